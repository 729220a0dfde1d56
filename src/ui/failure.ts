// What the user reads about a failure: one line (and the exit code that goes with it), credentials removed. The CLI
// prints it on stderr; commands put the same line in their -o json|yaml document. Kept apart from src/ui/index.ts so
// the argument-parsing bundle can use it without loading the renderers.
import { EXIT, isPluginError, type ExitCode } from '../errors';
import { printable } from '../kruise/record';

export interface FailureReport {
  line: string;
  exitCode: ExitCode;
  /** Printed only at high verbosity. */
  stack?: string;
}

const SECRET_PATTERNS: RegExp[] = [
  /(Bearer\s+)[A-Za-z0-9._~+/=-]+/gi,
  /(\bauthorization"?\s*[:=]\s*"?Basic\s+)[A-Za-z0-9+/=]+/gi,
  // A kubeconfig server may carry user:password@ in its URL, and the URL is in -v 6 logs and "cannot reach" errors.
  /(\b[a-z][a-z0-9+.-]*:\/\/)[^\s/@]+(?=@)/gi,
  /("?(?:token|password|client-key-data|client-certificate-data|id-token|refresh-token|access-token)"?\s*[:=]\s*"?)[^\s",}]+/gi,
  /-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?-----END [A-Z ]*PRIVATE KEY-----/g,
  // A JSON Web Token without a name before it, as an exec credential plugin's stderr may quote one.
  /\beyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*/g,
];

/** Removes anything that looks like a credential; applied to every line we print about a failure. */
export function redact(text: string): string {
  return SECRET_PATTERNS.reduce(
    // Without a capture group the second argument is the match offset, not a prefix to keep.
    (out, pattern) => out.replace(pattern, (_m, keep: unknown) => `${typeof keep === 'string' ? keep : ''}[REDACTED]`),
    text,
  );
}

function oneLine(text: string): string {
  return text.replace(/\s*\n\s*/g, ' ').trim();
}

/** The single place that turns any thrown value into what the user sees and the exit code. */
export function describeFailure(err: unknown, verbosity: number): FailureReport {
  const stack = verbosity >= 9 && err instanceof Error ? redact(printable(err.stack ?? '')) : undefined;
  if (isPluginError(err)) {
    const hint = err.hint ? `: ${err.hint}` : '';
    return { line: redact(oneLine(printable(`error: ${err.message}${hint}`))), exitCode: err.exitCode, stack };
  }
  const message = err instanceof Error ? err.message : String(err);
  return {
    // At -v=9 the stack follows on the next lines: asking for -v=9 again would send the user round in circles.
    line: redact(oneLine(printable(`error: unexpected failure: ${message}${verbosity >= 9 ? '' : ' (run again with -v=9 for details)'}`))),
    exitCode: EXIT.failed,
    stack,
  };
}
