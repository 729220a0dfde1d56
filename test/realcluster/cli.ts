// `npm run cluster -- --real ...`: the same seeded CloneSet as the emulator, on the real tier (built first if needed).
import { buildRealCluster, startRealCluster, startupSeconds } from './index';

export interface RealCliValues {
  replicas: number;
  name: string;
  namespace: string;
  strategy: 'ReCreate' | 'InPlaceIfPossible' | 'InPlaceOnly';
  maxUnavailable?: number | string;
  partition?: number | string;
  containers: string[];
  triggerAnnotation?: string;
  wiredContainers?: string[];
  nodes: number;
  restartSeconds: number;
  readySeconds: number;
  gateOff: boolean;
  noDaemon: string[];
}

/** Flags of the emulator that mean nothing on a real server. */
export const EMULATOR_ONLY = ['--speed', '--latency-ms', '--no-kruise', '--no-crr', '--port', '--quiet'];

export async function runRealCluster(v: RealCliValues): Promise<void> {
  try {
    buildRealCluster();
  } catch {
    process.stderr.write('error: building the real-cluster binaries failed (see above); Go 1.24+ must be on PATH\n');
    process.exit(1);
  }
  let cluster: Awaited<ReturnType<typeof startRealCluster>>;
  try {
    cluster = await startRealCluster({
      namespace: v.namespace,
      nodes: v.nodes,
      restartSeconds: v.restartSeconds,
      readySeconds: v.readySeconds,
      envFromMetadataGate: !v.gateOff,
    });
  } catch (e) {
    process.stderr.write(`error: ${(e as Error).message}\n`);
    process.exit(1);
  }
  const shutdown = async () => {
    await cluster.stop();
    process.exit(0);
  };
  process.on('SIGINT', shutdown);
  process.on('SIGTERM', shutdown);
  process.stderr.write(`real cluster ready in ${startupSeconds.toFixed(1)}s (logs in ${cluster.dir})\n`);
  try {
    for (const node of v.noDaemon) await cluster.knobs.noDaemonOnNode(node);
    if (v.replicas > 0) {
      await cluster.seedCloneSet({
        name: v.name,
        namespace: v.namespace,
        replicas: v.replicas,
        containers: v.containers,
        strategy: v.strategy,
        maxUnavailable: v.maxUnavailable,
        partition: v.partition,
        triggerAnnotation: v.triggerAnnotation,
        wiredContainers: v.wiredContainers,
      });
    }
  } catch (e) {
    process.stderr.write(`error: seeding the CloneSet: ${(e as Error).message} (logs in ${cluster.dir} are removed now)\n`);
    await cluster.stop();
    process.exit(1);
  }
  process.stdout.write(`KUBECONFIG=${cluster.kubeconfigPath}\n`);
}
