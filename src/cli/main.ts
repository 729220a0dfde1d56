import { checkCommandLine, requestedDocument, type CheckedLine } from './argv';
import { complete } from './complete';
import type { CommandContext, CommandRunner } from '../commands/context';
import { EXIT, UsageError } from '../errors';
import { printable } from '../kruise/record';
import { describeFailure, redact } from '../ui/failure';
import { versionLine } from '../version';
import { dispatch, type BaseContext } from './dispatch';
import { printFailure } from './errors';
import { readCanonicalLine } from './parse';

export interface Io {
  stdout: CommandContext['stdout'];
  stderr: NodeJS.WritableStream;
  env: NodeJS.ProcessEnv;
  interrupted: AbortSignal;
}

async function loadCommand(name: string): Promise<CommandRunner> {
  const { commands } = await import('../runtime');
  const runner = (commands as Record<string, CommandRunner>)[name];
  if (!runner) throw new UsageError(`unknown command "${name}"`);
  return runner;
}

function verbosityOf(argv: string[]): number {
  for (let i = 0; i < argv.length; i++) {
    const m = /^(?:-v|--v|--verbosity)(?:=(\d+))?$/.exec(argv[i]);
    if (m) return Number(m[1] ?? argv[i + 1] ?? 0) || 0;
    const short = /^-v(\d+)$/.exec(argv[i]);
    if (short) return Number(short[1]);
  }
  return 0;
}

/**
 * The document the commands print for a refusal (outcome, exitCode, error), for a line refused before any command
 * ran. Written by hand so the YAML emitter stays out of the bundle that parses arguments: a JSON string is a valid
 * YAML scalar.
 */
function usageDocument(error: string, exitCode: number, format: 'json' | 'yaml'): string {
  const doc = { outcome: 'refused', exitCode, error };
  if (format === 'json') return `${JSON.stringify(doc, null, 2)}\n`;
  return `outcome: refused\nexitCode: ${exitCode}\nerror: ${JSON.stringify(error)}\n`;
}

function printVersionLine(out: NodeJS.WritableStream): number {
  out.write(versionLine());
  return EXIT.ok;
}

/** Build time only: scripts/build.mjs reads one line through the check and the reader before it makes this bundle's V8
 * code cache, so a run finds them compiled. */
export function warmUp(): void {
  const line = checkCommandLine(['--kubeconfig', '/warm-up', 'status', 'web', '-n', 'default', '-o', 'json']);
  readCanonicalLine(line);
}

/** Runs the plugin and returns its exit code; never throws, never prints a stack unless -v=9. */
export async function main(argv: string[], io: Io): Promise<number> {
  if (argv.length === 1 && argv[0] === '--version') return printVersionLine(io.stdout);
  // Cobra's hidden completion commands (kubectl_complete-kruise_restart, the completion scripts): never an error, and
  // the Kubernetes client is loaded only when cluster names are wanted.
  if (argv[0] === '__complete' || argv[0] === '__completeNoDesc') {
    const out = await complete(argv.slice(1), async (lookup) => (await import('../runtime')).completionCandidates(lookup), {
      descriptions: argv[0] === '__complete',
      // Whatever a shell runs for completion must stay silent; this is how to see why nothing is offered.
      debug: io.env.KRUISE_RESTART_COMPLETION_DEBUG ? (line) => io.stderr.write(`${redact(line)}\n`) : undefined,
    });
    io.stdout.write(out);
    return EXIT.ok;
  }
  const verbosity = verbosityOf(argv);
  const log = (line: string) => io.stderr.write(`${redact(printable(line))}\n`);
  let exitCode: number = EXIT.ok;
  const ctx: BaseContext = {
    stdout: io.stdout,
    stderr: io.stderr,
    env: io.env,
    interrupted: io.interrupted,
    now: Date.now,
    random: Math.random,
    log: (level, line) => {
      if (verbosity >= level) log(line);
    },
  };
  let line: CheckedLine;
  try {
    line = checkCommandLine(argv);
  } catch (err) {
    const report = describeFailure(err, verbosity);
    const format = requestedDocument(argv);
    if (format) io.stdout.write(usageDocument(report.line.replace(/^error: /, ''), report.exitCode, format));
    return printFailure(report, io.stderr);
  }
  try {
    const parsed = readCanonicalLine(line);
    if (parsed) return await dispatch(parsed.command, parsed.raw, ctx, loadCommand);
    // Help, and the few lines parse.ts leaves to yargs: its own bundle, loaded only for them.
    const { buildProgram } = await import('./program');
    const program = buildProgram(line.argv, ctx, loadCommand, (code) => (exitCode = code));
    const result = await program.parseAsync();
    if ((result as { version?: boolean }).version) return printVersionLine(io.stdout);
    return exitCode;
  } catch (err) {
    const report = describeFailure(err, verbosity);
    return printFailure(report, io.stderr);
  }
}
