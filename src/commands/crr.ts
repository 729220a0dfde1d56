import type { CommandContext } from '../cli/context';
import { UsageError } from '../cli/errors';
import type { CommandArgs } from '../cli/program';

export async function runCrr(_ctx: CommandContext, _args: CommandArgs): Promise<number> {
  throw new UsageError('the "crr" command is not implemented yet (issue #6)', 'nothing was changed');
}
