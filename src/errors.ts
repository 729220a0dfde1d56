// Typed errors and exit codes, below every layer: kube/, kruise/, commands/ and cli/ all raise them, and only the edge
// (src/ui/failure.ts, printed by cli/) turns one into a line. Imports nothing, so any layer may import it.
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
