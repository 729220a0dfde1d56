// The shipped binary used hard, as an SRE at 3 a.m. would: each test here is a problem found that way, pinned after
// its fix (built binary, emulated cluster).
import assert from 'node:assert/strict';
import type { Cluster } from '../cluster/index';
import { runPlugin, useEmulatedCluster } from './harness';

const NS = 'default';

describe('used hard (built binary, emulated cluster)', function () {
  this.timeout(180_000);
  let cluster: Cluster;
  let kubeconfig: string;
  useEmulatedCluster(NS, (c, k) => {
    cluster = c;
    kubeconfig = k;
  });

  it('a dry run with -o name says the restart is planned, not done, for inplace and crr, and writes nothing', async () => {
    await cluster.seedCloneSet({ name: 'web', replicas: 3, strategy: 'InPlaceIfPossible', containers: ['app'], triggerAnnotation: 'kruise-restart.dev/restarted-at' });
    cluster.clearLog();
    for (const args of [['inplace', 'web', '--dry-run'], ['crr', 'web', '--dry-run=server'], ['inplace', 'web', '--dry-run=server']]) {
      const run = await runPlugin([...args, '-o', 'name'], { kubeconfig });
      assert.equal(run.code, 0, run.stderr);
      assert.equal(run.stdout, 'cloneset.apps.kruise.io/web restart planned (dry run)\n', args.join(' '));
      assert.doesNotMatch(run.stderr, /complete|restarted/, run.stderr);
    }
    assert.deepEqual(cluster.writes().filter((w) => !w.dryRun), []);
  });
});
