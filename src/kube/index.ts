// The one entry to the Kubernetes layer. Commands reach it through a dynamic import so that start-up for --help,
// --version and completion does not pay for loading @kubernetes/client-node.
import { KubeClient } from './client';
import { loadConnection, type ConnectionFlags } from './config';

export { KubeClient } from './client';
export { LiveCollection } from './watch';
export * from './resources';

/** The connection flags of a command line, plus -v for request logging. */
export interface ClientFlags extends ConnectionFlags {
  verbosity: number;
}

export function connect(args: ClientFlags, log: (line: string) => void): KubeClient {
  return new KubeClient(loadConnection(args), { verbosity: args.verbosity, log });
}
