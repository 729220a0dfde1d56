// Pods are cut down to the fields the Pod type declares as each list page or watch event is parsed
// (src/kruise/pod-fields.ts). The verdicts must not notice: the emulator's full pods, at several moments of an
// in-place restart and after a crr run, give the same progress document trimmed or not.
import assert from 'node:assert/strict';
import { startCluster, type Cluster } from '../cluster/index';
import { track } from '../../src/kruise/progress';
import { trimPod } from '../../src/kruise/pod-fields';
import { readRecord } from '../../src/kruise/record';
import { PLUGIN, type CloneSet, type ContainerRecreateRequest, type Pod } from '../../src/kruise/types';
import { requireBuild, runPlugin } from './harness';

describe('trimmed pods give the same progress as full ones', function () {
  this.timeout(120_000);
  let cluster: Cluster;
  before(async () => {
    requireBuild();
    cluster = await startCluster({ speed: 20 });
  });
  after(async () => cluster.stop());

  function compare(name: string, crrs?: ContainerRecreateRequest[]): void {
    const cloneSet = cluster.get<CloneSet>('clonesets', 'default', name) as CloneSet;
    const pods = cluster.list<Pod>('pods', 'default').filter((p) => p.metadata.labels?.app === name);
    const record = readRecord(cloneSet);
    const now = Date.now();
    const full = track({ cloneSet, pods, record, crrs, now }).progress;
    const trimmed = track({ cloneSet, pods: pods.map(trimPod), record, crrs, now }).progress;
    assert.deepEqual(trimmed, full);
    assert.ok(JSON.stringify(pods.map(trimPod)).length < JSON.stringify(pods).length, 'trimming drops something');
  }

  it('during and after an in-place restart', async () => {
    await cluster.seedCloneSet({ name: 'web', replicas: 12, strategy: 'InPlaceIfPossible', maxUnavailable: 3, triggerAnnotation: PLUGIN.defaultTriggerAnnotation });
    const run = await runPlugin(['inplace', 'web', '--no-wait'], { kubeconfig: cluster.kubeconfigPath });
    assert.equal(run.code, 0, run.stderr);
    for (const restarted of [1, 4, 8]) {
      await cluster.waitFor(() => cluster.restartLog.length >= restarted, 60_000, `${restarted} restarts`);
      compare('web');
    }
    await cluster.whenIdle();
    compare('web');
  });

  it('after a crr run, with its requests', async () => {
    await cluster.seedCloneSet({ name: 'side', replicas: 6, strategy: 'InPlaceIfPossible', containers: ['app', 'sidecar'] });
    const run = await runPlugin(['crr', 'side', '-c', 'sidecar', '--max-unavailable', '2'], { kubeconfig: cluster.kubeconfigPath });
    assert.equal(run.code, 0, run.stderr);
    const crrs = cluster.list<ContainerRecreateRequest>('containerrecreaterequests', 'default');
    assert.ok(crrs.length >= 6);
    compare('side', crrs);
  });
});
