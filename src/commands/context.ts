// The contract between the parser and the commands: what a command is handed (its context and parsed arguments) and
// what shell completion asks of the cluster side. Commands own it; src/cli/ imports its types and reaches the
// implementations only through the lazily loaded runtime (src/runtime.ts).
import type { KubeClient } from '../kube/client';
import type { ConnectionFlags } from '../kube/config';

/** Flags every subcommand accepts, as the parser hands them over. */
export interface GlobalArgs extends ConnectionFlags {
  verbosity: number;
  color: boolean;
}

/** Parsed arguments of one subcommand, handed to its implementation. */
export type CommandArgs = GlobalArgs & Record<string, unknown>;

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

export type CommandRunner = (ctx: CommandContext, args: CommandArgs) => Promise<number>;

/** The names shell completion may fetch from the cluster or the kubeconfig. */
export type LookupKind = 'clonesets' | 'containers' | 'runs' | 'resumableRuns' | 'pods' | 'namespaces' | 'contexts' | 'clusters' | 'users';

export interface CompletionLookup {
  kind: LookupKind;
  /** The CloneSet named on the line, for containers, runs and pods. */
  cloneSet?: string;
  /** --kubeconfig, --context, -n ... as typed on the line: completion must look where the command would. */
  connection: ConnectionFlags;
}
