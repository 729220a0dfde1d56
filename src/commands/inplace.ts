import type { CommandContext } from '../cli/context';
import { UsageError } from '../cli/errors';
import type { CommandArgs } from '../cli/program';

export async function runInplace(_ctx: CommandContext, _args: CommandArgs): Promise<number> {
  throw new UsageError('the "inplace" command is not implemented yet (issue #5)', 'nothing was changed');
}
