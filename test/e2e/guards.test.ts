// Issue 14, parts 2-4 end to end: the built binary against the emulated cluster. Budgets beyond maxUnavailable
// (PDB, PUB), the controllers around a CloneSet (owners, Rollouts, scaling, surge, native sidecars), and the field
// manager on every write.
import assert from 'node:assert/strict';
import { startCluster, type Cluster, type ClusterOptions, type RequestRecord } from '../cluster/index';
import { PLUGIN } from '../../src/kruise/types';
import { assertOneLineError, requireBuild, runPlugin } from './harness';

const ANN = PLUGIN.defaultTriggerAnnotation;

function describeWrite(w: RequestRecord): string {
  return `${w.method} ${w.path} (${w.status})`;
}

describe('guards around a restart (built binary, emulated cluster)', function () {
  this.timeout(180_000);
  let cluster: Cluster | undefined;

  before(() => requireBuild());
  afterEach(async () => {
    await cluster?.stop();
    cluster = undefined;
  });

  const start = async (o: ClusterOptions) => (cluster = await startCluster(o));
  const plugin = (args: string[], timeoutMs = 120_000) => runPlugin(args, { kubeconfig: cluster?.kubeconfigPath, timeoutMs });

  describe('every write says who made it', () => {
    it('inplace and crr send fieldManager=kubectl-kruise-restart on every create and patch', async () => {
      const c = await start({ speed: 50 });
      await c.seedCloneSet({ name: 'web', replicas: 4, strategy: 'InPlaceIfPossible', triggerAnnotation: ANN, containers: ['app'] });
      c.clearLog();
      const inplace = await plugin(['inplace', 'web']);
      assert.equal(inplace.code, 0, inplace.stderr);
      const crr = await plugin(['crr', 'web', '-c', 'app']);
      assert.equal(crr.code, 0, crr.stderr);
      const writes = c.allWrites();
      assert.ok(writes.some((w) => w.method === 'PATCH') && writes.some((w) => w.resource === 'containerrecreaterequests') && writes.some((w) => w.resource === 'events'), writes.map(describeWrite).join('\n'));
      for (const w of writes) assert.equal(w.fieldManager, 'kubectl-kruise-restart', describeWrite(w));
    });

    it('--field-manager names the writes instead; a bad one is refused before anything is read', async () => {
      const c = await start({ speed: 50 });
      await c.seedCloneSet({ name: 'web', replicas: 3, strategy: 'InPlaceIfPossible', triggerAnnotation: ANN });
      c.clearLog();
      const run = await plugin(['inplace', 'web', '--field-manager', 'ci-restarts', '--no-wait']);
      assert.equal(run.code, 0, run.stderr);
      const writes = c.allWrites();
      assert.ok(writes.length >= 2);
      for (const w of writes) assert.equal(w.fieldManager, 'ci-restarts', describeWrite(w));

      c.clearLog();
      const bad = await plugin(['crr', 'web', '--field-manager', 'x'.repeat(129)]);
      assert.equal(bad.code, 2, bad.stderr);
      assert.match(assertOneLineError(bad), /--field-manager must be at most 128 bytes, got 129/);
      assert.deepEqual(c.requests, []);
    });
  });
});
