// Emulator only: the faults are injected by the emulated API server; the real tier has no fault injector.
// The plugin keeps its promises on a bad network: 5xx, 429 with Retry-After, resets, slow answers past
// --request-timeout, cut watch streams, 410 Gone on resume and a 409 on every first write. A seeded matrix.
import assert from 'node:assert/strict';
import { startCluster, type Cluster } from '../cluster/index';
import type { CloneSet, Pod } from '../../src/kruise/types';
import { requireBuild, runPlugin } from './harness';

const NS = 'shop';
const KEY = 'team.example.com/restart-token';

interface Weather {
  name: string;
  apply(cluster: Cluster): void;
}

const resourceTraffic = { resource: ['clonesets', 'pods', 'events', 'selfsubjectrulesreviews', 'selfsubjectaccessreviews', 'containerrecreaterequests'] };

const weathers: Weather[] = [
  {
    name: '25% server errors (500/503), the first read always fails',
    apply: (c) => c.faults.failNext({ verb: 'list', resource: 'clonesets', status: 503 }).errors(0.15, 500, resourceTraffic).errors(0.1, 503, resourceTraffic),
  },
  {
    name: '20% throttled with Retry-After, 10% resets',
    apply: (c) => c.faults.throttle(0.2, 1, resourceTraffic).resets(0.1, resourceTraffic),
  },
  {
    name: '20% slower than --request-timeout, the first review always fails',
    apply: (c) => c.faults.failNext({ verb: 'create', resource: 'selfsubjectrulesreviews', status: 503 }).slow(0.2, 2_500, resourceTraffic),
  },
  {
    name: 'watches cut every 3 events, 410 Gone on resume, 409 on every first write',
    apply: (c) => {
      c.faults.dropWatchAfter = 3;
      c.faults.goneOnResume = 2;
      c.faults.conflictOnFirstWrite = true;
    },
  },
  {
    name: 'everything at once (seeded mix, 30% of requests)',
    apply: (c) => {
      c.faults.errors(0.1, 503, resourceTraffic).throttle(0.1, 1, resourceTraffic).resets(0.05, resourceTraffic).slow(0.05, 2_500, resourceTraffic);
      c.faults.dropWatchAfter = 4;
      c.faults.goneOnResume = 1;
      c.faults.conflictOnFirstWrite = true;
    },
  },
];

describe('fault matrix (seeded): inplace and status -w end right', function () {
  this.timeout(120_000);
  before(requireBuild);

  for (const [index, weather] of weathers.entries()) {
    for (const seed of [1, 2]) {
      it(`${weather.name}, seed ${seed}`, async () => {
        const cluster = await startCluster({ speed: 50, namespace: NS, seed: seed * 100 + index });
        try {
          await cluster.seedCloneSet({ namespace: NS, name: 'web', replicas: 6, strategy: 'InPlaceIfPossible', triggerAnnotation: KEY });
          const kubeconfig = cluster.writeKubeconfig({ namespace: NS });
          const before = cluster.list<Pod>('pods', NS).map((p) => p.metadata.uid).sort();
          weather.apply(cluster);

          const restart = await runPlugin(['inplace', 'web', '--request-timeout', '1s', '--timeout', '60s'], { kubeconfig, timeoutMs: 90_000 });
          assert.equal(restart.code, 0, `inplace: ${restart.stderr}\n${restart.stdout}`);
          const follow = await runPlugin(['status', 'web', '-w', '--request-timeout', '1s', '--timeout', '60s'], { kubeconfig, timeoutMs: 90_000 });
          assert.equal(follow.code, 0, `status -w: ${follow.stderr}\n${follow.stdout}`);
          const injected = cluster.faults.injected;
          cluster.faults.clear();
          cluster.faults.dropWatchAfter = undefined;
          cluster.faults.goneOnResume = false;
          cluster.faults.conflictOnFirstWrite = false;

          assert.ok(injected > 0 || index === 3, `faults were injected (${injected}) in ${cluster.requests.map((r) => `${r.verb} ${r.resource} ${r.status}`).join(", ")}`);
          const triggers = cluster.writes().filter((w) => w.verb === 'patch' && w.resource === 'clonesets');
          assert.equal(triggers.length, 1, 'exactly one restart was triggered');
          const counts = new Map<string, number>();
          for (const r of cluster.restartLog) if (r.cause === 'inplace') counts.set(r.pod, (counts.get(r.pod) ?? 0) + 1);
          assert.equal(counts.size, 6);
          assert.ok([...counts.values()].every((n) => n === 1), 'every pod restarted exactly once');
          assert.deepEqual(cluster.list<Pod>('pods', NS).map((p) => p.metadata.uid).sort(), before);
          assert.equal(cluster.get<CloneSet>('clonesets', NS, 'web')!.status!.updatedReadyReplicas, 6);
        } finally {
          await cluster.stop();
        }
      });
    }
  }

  it('gives up with a clear message after a bounded number of retries', async () => {
    const cluster = await startCluster({ speed: 50, namespace: NS });
    try {
      await cluster.seedCloneSet({ namespace: NS, name: 'web', replicas: 2, strategy: 'InPlaceIfPossible', triggerAnnotation: KEY });
      cluster.faults.errors(1, 503, { resource: 'clonesets' });
      cluster.clearLog();
      const run = await runPlugin(['status', 'web'], { kubeconfig: cluster.writeKubeconfig({ namespace: NS }) });
      assert.equal(run.code, 1);
      assert.match(run.stderr, /kept failing \(503.*gave up after 6 attempts: the cluster looks overloaded/);
      assert.equal(cluster.requests.filter((r) => r.resource === 'clonesets').length, 6);
    } finally {
      await cluster.stop();
    }
  });
});
