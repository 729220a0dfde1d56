import type { CommandContext } from '../cli/context';
import { EXIT } from '../cli/errors';
import { printVersionLine, type CommandArgs } from '../cli/program';
import { versionInfo } from '../cli/version';
import { formatDocument } from '../ui/document';

export async function runVersion(ctx: CommandContext, args: CommandArgs): Promise<number> {
  const output = args.output as string | undefined;
  if (output === 'json' || output === 'yaml') {
    ctx.stdout.write(formatDocument(versionInfo(), output));
    return EXIT.ok;
  }
  return printVersionLine(ctx.stdout);
}
