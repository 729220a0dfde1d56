// Standalone emulated cluster: `npm run cluster -- --replicas 50`. Prints KUBECONFIG=<path> once ready and serves
// until interrupted.

import { parseArgs } from 'node:util';
import { startCluster } from './index';
import { PLUGIN } from '../../src/kruise/types';

const HELP = `Usage: npm run cluster -- [options]

Starts an emulated Kubernetes API server with a simulated OpenKruise (CloneSet controller, CRR controller,
kruise-daemon, kubelet) and seeds one CloneSet. Prints KUBECONFIG=<path> when ready; Ctrl-C stops it.

Options:
  --replicas N            pods in the seeded CloneSet (default 10; 0 = seed nothing)
  --name NAME             CloneSet name (default web)
  --namespace NS          namespace (default default)
  --strategy TYPE         ReCreate | InPlaceIfPossible | InPlaceOnly (default InPlaceIfPossible)
  --max-unavailable V     e.g. 2 or 20% (default: Kruise's 20%)
  --partition V           e.g. 3 or 30%
  --containers a,b        container names (default app)
  --wired a,b             containers wired to the trigger annotation (default all; "none" = no wiring)
  --trigger-annotation K  template annotation read by the trigger env (default ${PLUGIN.defaultTriggerAnnotation})
  --nodes N               nodes to spread pods over (default 3)
  --speed X               simulated time speed-up (default 1 = real time)
  --restart-seconds S     container kill → running (default 1)
  --ready-seconds S       running → Ready (default 2)
  --latency-ms MS         added to every request (default 0)
  --gate-off              feature gate InPlaceUpdateEnvFromMetadata off
  --no-kruise             OpenKruise not installed
  --no-crr                CRR CRD missing
  --no-daemon NODE        no kruise-daemon on NODE (repeatable)
  --port P                listen port on 127.0.0.1 (default random)
  --quiet                 do not log requests
  --real                  the real tier instead: kube-apiserver v1.32.10, etcd, Kruise v1.9.0's kruise-manager and
                          the node agent, built from Go modules (test/realcluster/build.sh; needs Go). Takes the
                          CloneSet, node, timing, --gate-off and --no-daemon flags; the emulator-only ones are errors
  -h, --help              this text
`;

const { values } = parseArgs({
  options: {
    replicas: { type: 'string', default: '10' },
    name: { type: 'string', default: 'web' },
    namespace: { type: 'string', default: 'default' },
    strategy: { type: 'string', default: 'InPlaceIfPossible' },
    'max-unavailable': { type: 'string' },
    partition: { type: 'string' },
    containers: { type: 'string', default: 'app' },
    wired: { type: 'string' },
    'trigger-annotation': { type: 'string', default: PLUGIN.defaultTriggerAnnotation },
    nodes: { type: 'string', default: '3' },
    speed: { type: 'string', default: '1' },
    'restart-seconds': { type: 'string', default: '1' },
    'ready-seconds': { type: 'string', default: '2' },
    'latency-ms': { type: 'string', default: '0' },
    'gate-off': { type: 'boolean', default: false },
    'no-kruise': { type: 'boolean', default: false },
    'no-crr': { type: 'boolean', default: false },
    'no-daemon': { type: 'string', multiple: true, default: [] },
    port: { type: 'string', default: '0' },
    quiet: { type: 'boolean', default: false },
    real: { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h', default: false },
  },
});

if (values.help) {
  process.stdout.write(HELP);
  process.exit(0);
}

const intOrPercent = (v: string | undefined) => (v === undefined ? undefined : /%$/.test(v) ? v : Number(v));
if (values.real) {
  const { EMULATOR_ONLY, runRealCluster } = await import('../realcluster/cli');
  const unusable = process.argv.slice(2).map((a) => a.split('=')[0]).filter((a) => EMULATOR_ONLY.includes(a));
  if (unusable.length) {
    process.stderr.write(`error: ${unusable.join(', ')} only apply to the emulator; drop them or drop --real\n`);
    process.exit(2);
  }
  await runRealCluster({
    replicas: Number(values.replicas),
    name: values.name!,
    namespace: values.namespace!,
    strategy: values.strategy as 'ReCreate' | 'InPlaceIfPossible' | 'InPlaceOnly',
    maxUnavailable: intOrPercent(values['max-unavailable']),
    partition: intOrPercent(values.partition),
    containers: values.containers!.split(',').filter(Boolean),
    triggerAnnotation: values.wired === 'none' ? undefined : values['trigger-annotation'],
    wiredContainers: values.wired && values.wired !== 'none' ? values.wired.split(',') : undefined,
    nodes: Number(values.nodes),
    restartSeconds: Number(values['restart-seconds']),
    readySeconds: Number(values['ready-seconds']),
    gateOff: values['gate-off']!,
    noDaemon: values['no-daemon'] ?? [],
  });
} else {
  const cluster = await startCluster({
    kruise: !values['no-kruise'],
    crrCrd: !values['no-crr'],
    speed: Number(values.speed),
    latencyMs: Number(values['latency-ms']),
    envFromMetadataGate: !values['gate-off'],
    restartSeconds: Number(values['restart-seconds']),
    readySeconds: Number(values['ready-seconds']),
    port: Number(values.port),
    namespace: values.namespace,
  });
  for (const node of values['no-daemon'] ?? []) cluster.knobs.noDaemonOnNode(node);
  const replicas = Number(values.replicas);
  if (replicas > 0 && !values['no-kruise']) {
    const containers = values.containers!.split(',').filter(Boolean);
    await cluster.seedCloneSet({
      name: values.name!,
      namespace: values.namespace,
      replicas,
      containers,
      strategy: values.strategy as 'ReCreate' | 'InPlaceIfPossible' | 'InPlaceOnly',
      maxUnavailable: intOrPercent(values['max-unavailable']),
      partition: intOrPercent(values.partition),
      triggerAnnotation: values.wired === 'none' ? undefined : values['trigger-annotation'],
      wiredContainers: values.wired && values.wired !== 'none' ? values.wired.split(',') : undefined,
      nodes: Number(values.nodes),
    });
  }
  const shutdown = async () => {
    await cluster.stop();
    process.exit(0);
  };
  // Before the KUBECONFIG line: whoever reads it may signal us at once (a write to a pipe is synchronous, so the
  // reader can run before our next statement), and a default SIGTERM would leave the kubeconfig folder behind.
  process.on('SIGINT', shutdown);
  process.on('SIGTERM', shutdown);
  process.stdout.write(`KUBECONFIG=${cluster.kubeconfigPath}\n`);
  if (!values.quiet) {
    let seen = 0;
    setInterval(() => {
      for (; seen < cluster.requests.length; seen++) {
        const r = cluster.requests[seen];
        if (r.status) process.stderr.write(`${r.status} ${r.method} ${r.path} (${r.user})\n`);
        else break;
      }
    }, 200).unref();
  }
}
