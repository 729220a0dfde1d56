// Hands a parsed line to its command, whichever parser read it (parse.ts on the everyday path, yargs in program.ts
// for the rest): both give the command the same arguments, context and connection.
import type { CommandContext, CommandRunner } from '../commands/context';
import { printable } from '../kruise/record';
import { redact } from '../ui/failure';
import { connectWith } from './context';

export type BaseContext = Omit<CommandContext, 'args' | 'connect'>;

/** Runs command `name` (its implementation resolved by `run`, lazily) with the parsed arguments; returns its exit code. */
export async function dispatch(name: string, raw: Record<string, unknown>, ctx: BaseContext, run: (name: string) => Promise<CommandRunner>): Promise<number> {
  const args = { ...raw, verbosity: Number(raw.v ?? 0), color: raw.color !== false } as Parameters<CommandRunner>[1];
  const runner = await run(name);
  const connect = () => connectWith(args, (line) => ctx.stderr.write(`${redact(printable(line))}\n`));
  return runner({ ...ctx, args, connect }, args);
}
