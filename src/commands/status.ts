import type { CommandContext } from '../cli/context';
import { UsageError } from '../cli/errors';
import type { CommandArgs } from '../cli/program';

export async function runStatus(_ctx: CommandContext, _args: CommandArgs): Promise<number> {
  throw new UsageError('the "status" command is not implemented yet (issue #4)', 'nothing was changed');
}
