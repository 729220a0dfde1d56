// Entry point of the kubectl-kruise_restart binary. Kept tiny on purpose: `--version` and the help rendered at build
// time print from here, at the cost of Node's own start alone; every other line loads the parser (a second bundle).
import { renderedHelp } from './cli/rendered-help';
import { versionLine } from './version';

const interrupt = new AbortController();
process.on('SIGINT', () => {
  // First Ctrl-C: stop waiting gracefully (the command prints how to resume). Second: leave at once.
  if (interrupt.signal.aborted) process.exit(130);
  interrupt.abort();
});
process.on('SIGTERM', () => interrupt.abort());
// Output piped into `head` must not crash us with EPIPE.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(0);
});

function exit(code: number): void {
  process.exitCode = code;
  // Live watches and keep-alive sockets must not hold the process open once the command is done.
  setImmediate(() => process.exit(code));
}

const argv = process.argv.slice(2);
const ready = argv.length === 1 && argv[0] === '--version' ? versionLine() : renderedHelp(argv, process.stdout.columns);
if (ready !== undefined) {
  process.stdout.write(ready);
  exit(0);
} else {
  import('./cli/main').then(
    ({ main }) => main(argv, { stdout: process.stdout, stderr: process.stderr, env: process.env, interrupted: interrupt.signal }).then(exit),
    // Only a damaged install gets here (main itself never throws): one line, no stack.
    (err: unknown) => {
      process.stderr.write(`error: the plugin's files are incomplete (${err instanceof Error ? err.message.split('\n')[0] : String(err)}): reinstall it\n`);
      exit(1);
    },
  );
}
