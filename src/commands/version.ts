import type { CommandArgs, CommandContext } from './context';
import { EXIT } from '../errors';
import { versionInfo, versionLine } from '../version';
import { formatDocument } from '../ui/document';

export async function runVersion(ctx: CommandContext, args: CommandArgs): Promise<number> {
  const output = args.output as string | undefined;
  if (output === 'json' || output === 'yaml') {
    ctx.stdout.write(formatDocument(versionInfo(), output));
    return EXIT.ok;
  }
  ctx.stdout.write(versionLine());
  return EXIT.ok;
}
