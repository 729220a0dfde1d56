// The one entry to the Kubernetes layer. Commands reach it through a dynamic import so that start-up for --help,
// --version and completion does not pay for loading @kubernetes/client-node.
import type { GlobalArgs } from '../cli/context';
import { KubeClient } from './client';
import { loadConnection } from './config';

export { KubeClient } from './client';
export { LiveCollection } from './watch';
export * from './resources';

export function connect(args: GlobalArgs, log: (line: string) => void): KubeClient {
  return new KubeClient(loadConnection(args), { verbosity: args.verbosity, log });
}
