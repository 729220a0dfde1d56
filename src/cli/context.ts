import type { ConnectionFlags } from '../kube/config';
import type { KubeClient } from '../kube/client';

/** Flags every subcommand accepts, as yargs hands them over. */
export interface GlobalArgs extends ConnectionFlags {
  verbosity: number;
  color: boolean;
}

/** What a command may touch besides the cluster: injected so tests and the demo can drive commands in-process. */
export interface CommandContext {
  args: GlobalArgs;
  stdout: NodeJS.WritableStream & { isTTY?: boolean; columns?: number; rows?: number };
  stderr: NodeJS.WritableStream;
  env: NodeJS.ProcessEnv;
  /** Aborted on the first Ctrl-C: commands stop waiting, print how to resume, and exit 130. */
  interrupted: AbortSignal;
  now: () => number;
  random: () => number;
  /** Resolved lazily so --help and --version never load the Kubernetes client. */
  connect(): Promise<KubeClient>;
  /** Diagnostic lines on stderr, shown from the given -v level up. */
  log(level: number, line: string): void;
}

export async function connectWith(args: GlobalArgs, log: (line: string) => void): Promise<KubeClient> {
  const { connect } = await import('../runtime');
  return connect(args, log);
}
