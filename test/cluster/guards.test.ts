// The emulator around a CloneSet: disruption budgets' status as their controllers keep it, Kruise's surge on an
// in-place change, scaling, and the objects (UnitedDeployment, Rollout) whose presence the plugin checks.
import assert from 'node:assert/strict';
import { startCluster, type Cluster } from './index';
import { call } from './http-client';
import type { PodDisruptionBudget, PodUnavailableBudget } from '../../src/kruise/disruption-budgets';
import { PLUGIN, type CloneSet, type Pod } from '../../src/kruise/types';

const ANN = PLUGIN.defaultTriggerAnnotation;
const csPath = (ns: string, name: string) => `/apis/apps.kruise.io/v1alpha1/namespaces/${ns}/clonesets/${name}`;
const bump = (value: string) => ({ spec: { template: { metadata: { annotations: { [ANN]: value } } } } });

describe('simulated controllers around a CloneSet', function () {
  this.timeout(30_000);
  let c: Cluster;
  afterEach(async () => c?.stop());

  it('keeps a PDB status as the disruption controller does: expected from the CloneSet scale, healthy from Ready pods', async () => {
    c = await startCluster({ speed: 200 });
    await c.seedCloneSet({ name: 'web', replicas: 10, strategy: 'InPlaceIfPossible', triggerAnnotation: ANN });
    c.apply('poddisruptionbudgets', { apiVersion: 'policy/v1', kind: 'PodDisruptionBudget', metadata: { name: 'web' }, spec: { selector: { matchLabels: { app: 'web' } }, maxUnavailable: 1 } });
    const pdb = await c.waitFor(() => c.get<PodDisruptionBudget>('poddisruptionbudgets', 'default', 'web')?.status?.expectedPods === 10 && c.get<PodDisruptionBudget>('poddisruptionbudgets', 'default', 'web'), 5000, 'PDB status');
    assert.deepEqual(
      { expected: pdb.status?.expectedPods, desired: pdb.status?.desiredHealthy, current: pdb.status?.currentHealthy, allowed: pdb.status?.disruptionsAllowed, gen: pdb.status?.observedGeneration },
      { expected: 10, desired: 9, current: 10, allowed: 1, gen: 1 },
    );
    // Served on the API as kubectl sees it.
    const r = await call(c, 'GET', '/apis/policy/v1/namespaces/default/poddisruptionbudgets');
    assert.equal(r.status, 200);
    assert.equal(r.body.items[0].status.disruptionsAllowed, 1);
    c.knobs.neverReady(c.list<Pod>('pods', 'default')[0].metadata.name ?? '');
    await c.waitFor(() => c.get<PodDisruptionBudget>('poddisruptionbudgets', 'default', 'web')?.status?.currentHealthy === 9, 5000, 'one unhealthy');
    assert.equal(c.get<PodDisruptionBudget>('poddisruptionbudgets', 'default', 'web')?.status?.disruptionsAllowed, 0);
  });

  it('without a disruption controller (kube-controller-manager without it) a PDB status is the API server\'s zeros, with no observedGeneration', async () => {
    c = await startCluster({ speed: 200, disruptionController: false });
    await c.seedCloneSet({ name: 'web', replicas: 3 });
    c.apply('poddisruptionbudgets', { apiVersion: 'policy/v1', kind: 'PodDisruptionBudget', metadata: { name: 'web' }, spec: { selector: {}, maxUnavailable: 1 } });
    const pdb = await c.waitFor(() => c.get<PodDisruptionBudget>('poddisruptionbudgets', 'default', 'web')?.status, 5000, 'PDB status');
    assert.deepEqual(pdb, { disruptionsAllowed: 0, currentHealthy: 0, desiredHealthy: 0, expectedPods: 0 });
  });

    it('keeps a PUB status as Kruise does: unavailableAllowed = currentAvailable - desiredAvailable, totalReplicas from the target', async () => {
    c = await startCluster({ speed: 200 });
    await c.seedCloneSet({ name: 'web', replicas: 10, strategy: 'InPlaceIfPossible', triggerAnnotation: ANN });
    c.apply('podunavailablebudgets', {
      apiVersion: 'policy.kruise.io/v1alpha1',
      kind: 'PodUnavailableBudget',
      metadata: { name: 'web' },
      spec: { targetRef: { apiVersion: 'apps.kruise.io/v1alpha1', kind: 'CloneSet', name: 'web' }, maxUnavailable: '10%' },
    });
    const pub = await c.waitFor(() => c.get<PodUnavailableBudget>('podunavailablebudgets', 'default', 'web')?.status?.totalReplicas === 10 && c.get<PodUnavailableBudget>('podunavailablebudgets', 'default', 'web'), 5000, 'PUB status');
    assert.deepEqual(pub.status, { observedGeneration: 1, unavailableAllowed: 1, currentAvailable: 10, desiredAvailable: 9, totalReplicas: 10 });
    const r = await call(c, 'GET', '/apis/policy.kruise.io/v1alpha1/namespaces/default/podunavailablebudgets');
    assert.equal(r.status, 200, r.text);
  });

  it('serves no PUBs when the CRD is left out, and Rollouts only when asked', async () => {
    c = await startCluster({ speed: 200, pubCrd: false });
    assert.equal((await call(c, 'GET', '/apis/policy.kruise.io/v1alpha1/namespaces/default/podunavailablebudgets')).status, 404);
    assert.equal((await call(c, 'GET', '/apis/rollouts.kruise.io/v1beta1/namespaces/default/rollouts')).status, 404);
    await c.stop();
    c = await startCluster({ speed: 200, rollouts: true });
    assert.equal((await call(c, 'GET', '/apis/rollouts.kruise.io/v1beta1/namespaces/default/rollouts')).status, 200);
  });

  it('with maxSurge 2, an in-place change creates 2 surge pods, restarts 8 in place and deletes 2 old pods (Kruise v1.9)', async () => {
    c = await startCluster({ speed: 300 });
    await c.seedCloneSet({ name: 'web', replicas: 10, strategy: 'InPlaceIfPossible', maxSurge: 2, triggerAnnotation: ANN });
    const before = new Set(c.list<Pod>('pods', 'default').map((p) => p.metadata.uid));
    await call(c, 'PATCH', csPath('default', 'web'), bump('x'), { contentType: 'application/merge-patch+json' });
    await c.waitFor(() => c.get<CloneSet>('clonesets', 'default', 'web')?.status?.updatedReadyReplicas === 10 && c.list<Pod>('pods', 'default').length === 10, 20_000, 'the update');
    await c.whenIdle();
    const after = c.list<Pod>('pods', 'default');
    const survivors = after.filter((p) => before.has(p.metadata.uid));
    assert.equal(after.length, 10);
    assert.equal(survivors.length, 8, 'two old pods were deleted, not restarted');
    assert.equal(c.restartLog.filter((r) => r.cause === 'inplace').length, 8);
  });

  it('scales up and down through spec.replicas as an autoscaler would', async () => {
    c = await startCluster({ speed: 300 });
    await c.seedCloneSet({ name: 'web', replicas: 4, strategy: 'InPlaceIfPossible', triggerAnnotation: ANN });
    c.scale('default', 'web', 6);
    await c.waitFor(() => c.get<CloneSet>('clonesets', 'default', 'web')?.status?.readyReplicas === 6, 10_000, 'scale up');
    c.scale('default', 'web', 2);
    await c.waitFor(() => c.list<Pod>('pods', 'default').length === 2, 10_000, 'scale down');
  });
});
