// Every failure a user can see is one of these, mapped to one line and one exit code in `describeFailure`.
import { printable } from '../kruise/record';

export { printable };

export const EXIT = {
  ok: 0,
  failed: 1,
  usage: 2,
  timeout: 3,
  interrupted: 130,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** The plugin ships as two bundles, each with its own copy of these classes: recognise errors by brand, not class. */
const BRAND = Symbol.for('kubectl-kruise_restart.PluginError');

export function isPluginError(err: unknown): err is PluginError {
  return typeof err === 'object' && err !== null && (err as Record<symbol, unknown>)[BRAND] === true;
}

export class PluginError extends Error {
  readonly [BRAND] = true;
  constructor(
    message: string,
    readonly exitCode: ExitCode,
    /** What the user can do about it; appended to the message. */
    readonly hint?: string,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/** Bad flags or arguments. Nothing was sent to the cluster. */
export class UsageError extends PluginError {
  constructor(message: string, hint?: string) {
    super(message, EXIT.usage, hint);
  }
}

/** The cluster is not in a state where the command may safely act. Nothing was changed. */
export class RefusedError extends PluginError {
  constructor(message: string, hint?: string) {
    super(message, EXIT.usage, hint);
  }
}

/** The restart (or the request) failed. */
export class FailedError extends PluginError {
  constructor(message: string, hint?: string) {
    super(message, EXIT.failed, hint);
  }
}

/** Waiting ran out of time; the cluster carries on without us. */
export class TimeoutError extends PluginError {
  constructor(message: string, hint?: string) {
    super(message, EXIT.timeout, hint);
  }
}

export class InterruptedError extends PluginError {
  constructor(message: string, hint?: string) {
    super(message, EXIT.interrupted, hint);
  }
}

/** An HTTP-level failure from the API server, already translated into the user's terms by the kube layer. */
export class ApiError extends PluginError {
  constructor(
    message: string,
    readonly status: number,
    readonly reason: string,
    hint?: string,
    /** The Kubernetes Status object, when the server sent one. */
    readonly details?: unknown,
  ) {
    super(message, EXIT.failed, hint);
  }
}

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
