// Entry point of the kubectl-kruise_restart binary.
import { main } from './cli/main';

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

main(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, env: process.env, interrupted: interrupt.signal }).then(
  (code) => {
    process.exitCode = code;
    // Live watches and keep-alive sockets must not hold the process open once the command is done.
    setImmediate(() => process.exit(code));
  },
);
