import assert from 'node:assert/strict';
import { startCluster, type Cluster } from './index';
import { call } from './http-client';
import { KRUISE, PLUGIN, type Pod } from '../../src/kruise/types';

const ANN = PLUGIN.defaultTriggerAnnotation;
const path = (version: string, plural: string, name: string) => `/apis/apps.kruise.io/${version}/namespaces/default/${plural}/${name}`;
const bump = (value: string) => ({ spec: { template: { metadata: { annotations: { [ANN]: value } } } } });
const merge = { contentType: 'application/merge-patch+json' };
type Workload = { metadata: { generation?: number }; spec: Record<string, unknown>; status?: Record<string, unknown> };

/** Pod name → order in which its containers were killed for the in-place restart. */
function killOrder(c: Cluster, cause: 'inplace' | 'recreate' = 'inplace'): string[] {
  return c.restartLog.filter((r) => r.cause === cause).map((r) => r.pod);
}

describe('simulated Advanced StatefulSet controller', function () {
  this.timeout(30_000);
  let c: Cluster;
  afterEach(async () => c?.stop());

  it('Parallel, maxUnavailable 2: every pod restarts in place once, at most 2 unavailable, highest ordinals first', async () => {
    c = await startCluster({ speed: 200 });
    await c.seedStatefulSet({ name: 'db', replicas: 5, podManagementPolicy: 'Parallel', podUpdatePolicy: 'InPlaceIfPossible', maxUnavailable: 2, triggerAnnotation: ANN });
    const before = c.list<Pod>('pods', 'default');
    assert.deepEqual(before.map((p) => p.metadata.name).sort(), ['db-0', 'db-1', 'db-2', 'db-3', 'db-4']);
    c.clearLog();
    const r = await call(c, 'PATCH', path('v1beta1', 'statefulsets', 'db'), bump('t1'), merge);
    assert.equal(r.status, 200, r.text);
    await c.whenIdle();
    const set = c.get<Workload>('statefulsets', 'default', 'db')!;
    assert.equal(set.status?.updatedReadyReplicas, 5);
    assert.equal(set.status?.currentRevision, set.status?.updateRevision);
    assert.ok(c.maxUnavailableSeen('default', 'db', 'StatefulSet') <= 2, `history ${c.unavailableHistory('default', 'db', 'StatefulSet')}`);
    assert.equal(c.maxUnavailableSeen('default', 'db', 'StatefulSet'), 2);
    for (const p of c.list<Pod>('pods', 'default')) {
      assert.equal(p.metadata.uid, before.find((b) => b.metadata.name === p.metadata.name)!.metadata.uid, 'same pod');
      assert.equal(p.status!.containerStatuses![0].restartCount, 1);
      assert.equal(p.metadata.labels?.[KRUISE.revisionLabel], set.status?.updateRevision);
    }
    const order = killOrder(c);
    assert.equal(order.length, 5);
    assert.deepEqual(order.slice(0, 2).sort(), ['db-3', 'db-4']);
  });

  it('OrderedReady: one pod at a time, from the highest ordinal down', async () => {
    c = await startCluster({ speed: 200 });
    await c.seedStatefulSet({ name: 'db', replicas: 3, podUpdatePolicy: 'InPlaceIfPossible', triggerAnnotation: ANN });
    c.clearLog();
    await call(c, 'PATCH', path('v1beta1', 'statefulsets', 'db'), bump('t1'), merge);
    await c.whenIdle();
    assert.deepEqual(killOrder(c), ['db-2', 'db-1', 'db-0']);
    assert.equal(c.maxUnavailableSeen('default', 'db', 'StatefulSet'), 1);
  });

  it('partition keeps the ordinals below it', async () => {
    c = await startCluster({ speed: 200 });
    await c.seedStatefulSet({ name: 'db', replicas: 4, podManagementPolicy: 'Parallel', podUpdatePolicy: 'InPlaceIfPossible', maxUnavailable: 4, partition: 2, triggerAnnotation: ANN });
    c.clearLog();
    await call(c, 'PATCH', path('v1beta1', 'statefulsets', 'db'), bump('t1'), merge);
    await c.whenIdle();
    assert.deepEqual(killOrder(c).sort(), ['db-2', 'db-3']);
    const set = c.get<Workload>('statefulsets', 'default', 'db')!;
    assert.equal(set.status?.updatedReplicas, 2);
    assert.notEqual(set.status?.currentRevision, set.status?.updateRevision);
  });

  it('ReCreate: a template change deletes and recreates the pods under the same names', async () => {
    c = await startCluster({ speed: 200 });
    await c.seedStatefulSet({ name: 'db', replicas: 2, triggerAnnotation: ANN });
    const before = c.list<Pod>('pods', 'default');
    await call(c, 'PATCH', path('v1beta1', 'statefulsets', 'db'), bump('t1'), merge);
    await c.whenIdle();
    const after = c.list<Pod>('pods', 'default');
    assert.deepEqual(after.map((p) => p.metadata.name).sort(), ['db-0', 'db-1']);
    for (const p of after) assert.notEqual(p.metadata.uid, before.find((b) => b.metadata.name === p.metadata.name)!.metadata.uid);
  });

  it('the webhook refuses an in-place policy without the readiness gate, and maxUnavailable > 1 without Parallel', async () => {
    c = await startCluster({ speed: 200 });
    const body = (ru: object, extra: object = {}) => ({
      apiVersion: 'apps.kruise.io/v1beta1',
      kind: 'StatefulSet',
      metadata: { name: 'x' },
      spec: { replicas: 1, selector: { matchLabels: { app: 'x' } }, template: { metadata: { labels: { app: 'x' } }, spec: { containers: [{ name: 'app', image: 'nginx' }] } }, updateStrategy: { type: 'RollingUpdate', rollingUpdate: ru }, ...extra },
    });
    const coll = '/apis/apps.kruise.io/v1beta1/namespaces/default/statefulsets';
    let r = await call(c, 'POST', coll, body({ podUpdatePolicy: 'InPlaceIfPossible' }));
    assert.equal(r.status, 422);
    assert.equal(r.body.message, 'admission webhook "vstatefulset.kb.io" denied the request: spec.template.spec.readinessGates: Invalid value: []v1.PodReadinessGate(nil): must contains InPlaceUpdateReady when podUpdatePolicy is InPlaceIfPossible');
    r = await call(c, 'POST', coll, body({ maxUnavailable: 2 }));
    assert.equal(r.status, 422);
    assert.equal(r.body.message, 'admission webhook "vstatefulset.kb.io" denied the request: spec.updateStrategy.rollingUpdate.maxUnavailable: Invalid value: intstr.IntOrString{Type:0, IntVal:2, StrVal:""}: can only work with Parallel PodManagementPolicyType');
    r = await call(c, 'POST', coll, body({ maxUnavailable: 2 }, { podManagementPolicy: 'Parallel' }));
    assert.equal(r.status, 201, r.text);
    assert.equal(r.body.spec.updateStrategy.rollingUpdate.podUpdatePolicy, 'ReCreate');
    assert.equal(r.body.spec.updateStrategy.rollingUpdate.partition, 0);
  });

  it('is served as v1beta1 (preferred) and v1alpha1', async () => {
    c = await startCluster({ speed: 200 });
    const g = await call(c, 'GET', '/apis/apps.kruise.io');
    assert.equal(g.body.preferredVersion.version, 'v1beta1');
    await c.seedStatefulSet({ name: 'db', replicas: 1 });
    for (const v of ['v1beta1', 'v1alpha1']) {
      const r = await call(c, 'GET', path(v, 'statefulsets', 'db'));
      assert.equal(r.status, 200);
      assert.equal(r.body.apiVersion, `apps.kruise.io/${v}`);
    }
  });
});

describe('simulated Advanced DaemonSet controller', function () {
  this.timeout(30_000);
  let c: Cluster;
  afterEach(async () => c?.stop());

  it('6 nodes, maxUnavailable 2, InPlaceIfPossible: one pod per node restarts in place, at most 2 nodes unavailable', async () => {
    c = await startCluster({ speed: 200 });
    const seeded = await c.seedDaemonSet({ name: 'agent', nodes: 6, rollingUpdateType: 'InPlaceIfPossible', maxUnavailable: 2, triggerAnnotation: ANN });
    assert.equal(seeded.status?.desiredNumberScheduled, 6);
    const before = c.list<Pod>('pods', 'default');
    assert.equal(new Set(before.map((p) => p.spec.nodeName)).size, 6);
    for (const p of before) assert.ok(p.spec.readinessGates?.some((g) => g.conditionType === KRUISE.inPlaceUpdateReady));
    // As Kruise creates them (the scheduler binds them): the node named by a required affinity, the DaemonSet tolerations.
    for (const p of before) {
      const spec = p.spec as { affinity?: unknown; tolerations?: Array<{ key?: string; effect?: string }> };
      assert.deepEqual(spec.affinity, { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchFields: [{ key: 'metadata.name', operator: 'In', values: [p.spec.nodeName] }] }] } } });
      assert.deepEqual(spec.tolerations?.map((t) => `${t.key}:${t.effect}`), ['not-ready:NoExecute', 'unreachable:NoExecute', 'disk-pressure:NoSchedule', 'memory-pressure:NoSchedule', 'pid-pressure:NoSchedule', 'unschedulable:NoSchedule'].map((t) => `node.kubernetes.io/${t}`));
    }
    c.clearLog();
    await call(c, 'PATCH', path('v1beta1', 'daemonsets', 'agent'), bump('t1'), merge);
    await c.whenIdle();
    const ds = c.get<Workload>('daemonsets', 'default', 'agent')!;
    assert.equal(ds.status?.updatedNumberScheduled, 6);
    assert.equal(ds.status?.numberReady, 6);
    assert.notEqual(ds.status?.updateRevision, seeded.status?.updateRevision);
    assert.equal(c.maxUnavailableSeen('default', 'agent', 'DaemonSet'), 2, `history ${c.unavailableHistory('default', 'agent', 'DaemonSet')}`);
    const after = c.list<Pod>('pods', 'default');
    assert.deepEqual(after.map((p) => p.metadata.uid).sort(), before.map((p) => p.metadata.uid).sort());
    for (const p of after) {
      assert.equal(p.status!.containerStatuses![0].restartCount, 1);
      assert.equal(p.metadata.labels?.[KRUISE.revisionLabel], ds.status?.updateRevision, 'pods carry the revision hash, as status.updateRevision');
    }
    // Nodes sorted by name, highest first.
    const first = killOrder(c).slice(0, 2).map((pod) => after.find((p) => p.metadata.name === pod)!.spec.nodeName).sort();
    assert.deepEqual(first, ['node-4', 'node-5']);
  });

  it('pods created before InPlaceIfPossible lack the readiness gate and are recreated', async () => {
    c = await startCluster({ speed: 200 });
    await c.seedDaemonSet({ name: 'agent', nodes: 4, rollingUpdateType: 'InPlaceIfPossible', maxUnavailable: 1, triggerAnnotation: ANN, podsWithoutGate: ['node-0', 'node-1'] });
    const before = c.list<Pod>('pods', 'default');
    const gateless = before.filter((p) => !p.spec.readinessGates?.some((g) => g.conditionType === KRUISE.inPlaceUpdateReady)).map((p) => p.spec.nodeName).sort();
    assert.deepEqual(gateless, ['node-0', 'node-1']);
    c.clearLog();
    await call(c, 'PATCH', path('v1beta1', 'daemonsets', 'agent'), bump('t1'), merge);
    await c.whenIdle();
    const after = c.list<Pod>('pods', 'default');
    const kept = after.filter((p) => before.some((b) => b.metadata.uid === p.metadata.uid)).map((p) => p.spec.nodeName).sort();
    assert.deepEqual(kept, ['node-2', 'node-3']);
    assert.equal(new Set(killOrder(c, 'recreate')).size, 2);
    assert.ok(c.maxUnavailableSeen('default', 'agent', 'DaemonSet') <= 1);
    for (const p of after) assert.ok(p.spec.readinessGates?.some((g) => g.conditionType === KRUISE.inPlaceUpdateReady), 'recreated pods get the gate');
  });

  it('partition (percent of desiredNumberScheduled, rounded down) keeps the lowest node names', async () => {
    c = await startCluster({ speed: 200 });
    await c.seedDaemonSet({ name: 'agent', nodes: 4, rollingUpdateType: 'InPlaceIfPossible', maxUnavailable: 4, partition: '60%', triggerAnnotation: ANN });
    c.clearLog();
    await call(c, 'PATCH', path('v1beta1', 'daemonsets', 'agent'), bump('t1'), merge);
    await c.whenIdle();
    const nodesOf = (pods: string[]) => pods.map((n) => c.list<Pod>('pods', 'default').find((p) => p.metadata.name === n)!.spec.nodeName).sort();
    assert.deepEqual(nodesOf(killOrder(c)), ['node-2', 'node-3']);
  });

  it('rollingUpdate.selector limits the update to the nodes it matches', async () => {
    c = await startCluster({ speed: 200 });
    await c.seedDaemonSet({ name: 'agent', nodes: 4, rollingUpdateType: 'InPlaceIfPossible', maxUnavailable: 4, triggerAnnotation: ANN, nodeSelectorForUpdate: { matchLabels: { pool: 'canary' } } });
    c.setNode('node-1', { pool: 'canary' });
    c.clearLog();
    await call(c, 'PATCH', path('v1beta1', 'daemonsets', 'agent'), bump('t1'), merge);
    await c.whenIdle();
    assert.deepEqual(killOrder(c).map((n) => c.list<Pod>('pods', 'default').find((p) => p.metadata.name === n)!.spec.nodeName), ['node-1']);
    const ds = c.get<Workload>('daemonsets', 'default', 'agent')!;
    assert.equal(ds.status?.updatedNumberScheduled, 1);
  });

  it('rollingUpdate.selector with a partition: the picked nodes from the highest name, cut to nodes minus partition (filterDaemonPodsNodeToUpdate)', async () => {
    c = await startCluster({ speed: 200 });
    await c.seedDaemonSet({ name: 'agent', nodes: 5, rollingUpdateType: 'InPlaceIfPossible', maxUnavailable: 5, partition: 3, triggerAnnotation: ANN, nodeSelectorForUpdate: { matchExpressions: [{ key: 'pool', operator: 'In', values: ['canary'] }] } });
    for (const node of ['node-0', 'node-2', 'node-4']) c.setNode(node, { pool: 'canary' });
    await c.whenIdle();
    c.clearLog();
    await call(c, 'PATCH', path('v1beta1', 'daemonsets', 'agent'), bump('t1'), merge);
    await c.whenIdle();
    const nodesOf = (pods: string[]) => pods.map((n) => c.list<Pod>('pods', 'default').find((p) => p.metadata.name === n)!.spec.nodeName).sort();
    assert.deepEqual(nodesOf(killOrder(c)), ['node-2', 'node-4']);
  });

  it('serves the simulated nodes as Node objects with their labels, as the plugin reads them', async () => {
    c = await startCluster({ speed: 200 });
    c.setNode('node-1', { pool: 'canary' });
    const r = await call(c, 'GET', '/api/v1/nodes');
    assert.equal(r.status, 200);
    const items = (r.body as { items: Array<{ metadata: { name: string; labels: Record<string, string> } }> }).items;
    assert.deepEqual(items.map((n) => n.metadata.name).sort(), ['node-0', 'node-1', 'node-2']);
    assert.equal(items.find((n) => n.metadata.name === 'node-1')?.metadata.labels.pool, 'canary');
    assert.equal(items.find((n) => n.metadata.name === 'node-1')?.metadata.labels['kubernetes.io/hostname'], 'node-1');
  });

  it('the webhook refuses maxSurge with InPlaceIfPossible (500 on create) and a template without restartPolicy', async () => {
    c = await startCluster({ speed: 200 });
    const body = (ru: object, restartPolicy?: string) => ({
      apiVersion: 'apps.kruise.io/v1beta1',
      kind: 'DaemonSet',
      metadata: { name: 'x' },
      spec: { selector: { matchLabels: { app: 'x' } }, template: { metadata: { labels: { app: 'x' } }, spec: { ...(restartPolicy ? { restartPolicy } : {}), containers: [{ name: 'app', image: 'nginx' }] } }, updateStrategy: { type: 'RollingUpdate', rollingUpdate: ru } },
    });
    const coll = '/apis/apps.kruise.io/v1beta1/namespaces/default/daemonsets';
    let r = await call(c, 'POST', coll, body({ rollingUpdateType: 'InPlaceIfPossible', maxSurge: 1, maxUnavailable: 0 }, 'Always'));
    assert.equal(r.status, 500);
    assert.equal(r.body.message, 'admission webhook "vdaemonset.kb.io" denied the request: spec.updateStrategy.rollingUpdate.maxSurge: Required value: must be 0 for InPlaceIfPossible type');
    r = await call(c, 'POST', coll, body({}));
    assert.equal(r.status, 500);
    assert.match(r.body.message, /spec\.template\.spec\.restartPolicy: Unsupported value: "": supported values: "Always"/);
    r = await call(c, 'POST', coll, body({ rollingUpdateType: 'InPlaceIfPossible' }, 'Always'));
    assert.equal(r.status, 201, r.text);
    assert.equal(r.body.spec.updateStrategy.rollingUpdate.maxUnavailable, 1);
    assert.equal(r.body.spec.updateStrategy.rollingUpdate.maxSurge, 0);
  });
});
