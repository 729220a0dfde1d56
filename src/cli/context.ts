import type { GlobalArgs } from '../commands/context';
import type { KubeClient } from '../kube/client';

/** The parser's way to the Kubernetes client: through the lazily loaded runtime, never a static import. */
export async function connectWith(args: GlobalArgs, log: (line: string) => void): Promise<KubeClient> {
  const { connect } = await import('../runtime');
  return connect(args, log);
}
