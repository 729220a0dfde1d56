import assert from 'node:assert/strict';
import { startCluster, type Cluster } from './index';
import { call } from './http-client';
import { KRUISE, PLUGIN, type CloneSet, type Pod } from '../../src/kruise/types';

const ANN = PLUGIN.defaultTriggerAnnotation;
const csPath = (ns: string, name: string) => `/apis/apps.kruise.io/v1alpha1/namespaces/${ns}/clonesets/${name}`;
const bump = (value: string) => ({ spec: { template: { metadata: { annotations: { [ANN]: value } } } } });

describe('simulated CloneSet controller', function () {
  this.timeout(30_000);
  let c: Cluster;
  afterEach(async () => c?.stop());

  it('restarts a 10-pod InPlaceIfPossible CloneSet in place, never more than 2 unavailable', async () => {
    c = await startCluster({ speed: 200 });
    const seeded = await c.seedCloneSet({ name: 'web', replicas: 10, strategy: 'InPlaceIfPossible', maxUnavailable: '20%', triggerAnnotation: ANN, containers: ['app', 'sidecar'], wiredContainers: ['app'] });
    const before = c.list<Pod>('pods', 'default');
    assert.equal(before.length, 10);
    const r = await call(c, 'PATCH', csPath('default', 'web'), bump('2025-01-01T00:00:00Z'), { contentType: 'application/merge-patch+json' });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.body.metadata.generation, 2);
    await c.whenIdle();
    const cs = c.get<CloneSet>('clonesets', 'default', 'web')!;
    assert.notEqual(cs.status?.updateRevision, seeded.status?.updateRevision);
    assert.equal(cs.status?.updatedReadyReplicas, 10);
    assert.equal(cs.status?.updatedAvailableReplicas, 10);
    assert.equal(cs.status?.observedGeneration, 2);
    assert.equal(cs.status?.currentRevision, cs.status?.updateRevision);
    assert.ok(c.maxUnavailableSeen('default', 'web') <= 2, `history ${c.unavailableHistory('default', 'web')}`);
    assert.ok(c.maxUnavailableSeen('default', 'web') >= 1);
    const after = c.list<Pod>('pods', 'default');
    assert.deepEqual(after.map((p) => `${p.metadata.name}/${p.metadata.uid}`).sort(), before.map((p) => `${p.metadata.name}/${p.metadata.uid}`).sort());
    for (const p of after) {
      const old = before.find((b) => b.metadata.uid === p.metadata.uid)!;
      const app = p.status!.containerStatuses!.find((s) => s.name === 'app')!;
      const side = p.status!.containerStatuses!.find((s) => s.name === 'sidecar')!;
      assert.equal(app.restartCount, 1);
      assert.notEqual(app.containerID, old.status!.containerStatuses!.find((s) => s.name === 'app')!.containerID);
      assert.equal(side.restartCount, 0, 'unwired container untouched');
      assert.equal(p.metadata.labels?.[KRUISE.revisionLabel], cs.status?.updateRevision);
      assert.equal(p.metadata.labels?.[KRUISE.lifecycleStateLabel], 'Normal');
      assert.equal(p.metadata.annotations?.[ANN], '2025-01-01T00:00:00Z');
      const state = JSON.parse(p.metadata.annotations![KRUISE.inPlaceUpdateStateAnnotation]);
      assert.equal(state.revision, cs.status?.updateRevision);
      assert.equal(state.updateEnvFromMetadata, true);
      assert.equal(p.status!.conditions!.find((x) => x.type === KRUISE.inPlaceUpdateReady)?.status, 'True');
    }
    const restarts = c.restartLog.filter((x) => x.cause === 'inplace');
    assert.equal(restarts.length, 10);
    assert.equal(new Set(restarts.map((x) => x.uid)).size, 10);
  });

  it('the in-place sequence: InPlaceUpdateReady=False before the revision label flips', async () => {
    c = await startCluster({ speed: 200 });
    await c.seedCloneSet({ name: 'web', replicas: 2, strategy: 'InPlaceIfPossible', maxUnavailable: 1, triggerAnnotation: ANN });
    const seen: string[] = [];
    await call(c, 'PATCH', csPath('default', 'web'), bump('x1'), { contentType: 'application/merge-patch+json' });
    await c.waitFor(() => c.list<Pod>('pods', 'default').some((p) => p.metadata.labels?.[KRUISE.lifecycleStateLabel] === 'Updating'), 5000, 'an Updating pod');
    for (const p of c.list<Pod>('pods', 'default')) {
      if (p.metadata.labels?.[KRUISE.lifecycleStateLabel] !== 'Updating') continue;
      seen.push(p.metadata.name!);
      assert.equal(p.status!.conditions!.find((x) => x.type === KRUISE.inPlaceUpdateReady)?.status, 'False');
      assert.equal(p.status!.conditions!.find((x) => x.type === 'Ready')?.status, 'False');
    }
    assert.equal(seen.length, 1, 'maxUnavailable 1 → one pod at a time');
    await c.whenIdle();
  });

  it('gate off: the annotation bump flips revisions and readiness but restarts nothing', async () => {
    c = await startCluster({ speed: 200, envFromMetadataGate: false });
    await c.seedCloneSet({ name: 'web', replicas: 4, strategy: 'InPlaceIfPossible', triggerAnnotation: ANN });
    await call(c, 'PATCH', csPath('default', 'web'), bump('v2'), { contentType: 'application/merge-patch+json' });
    await c.whenIdle();
    const cs = c.get<CloneSet>('clonesets', 'default', 'web')!;
    assert.equal(cs.status?.updatedReadyReplicas, 4);
    for (const p of c.list<Pod>('pods', 'default')) {
      assert.equal(p.metadata.labels?.[KRUISE.revisionLabel], cs.status?.updateRevision);
      assert.equal(p.status!.containerStatuses![0].restartCount, 0);
      // Go leaves a false updateEnvFromMetadata out (omitempty).
      assert.ok(!('updateEnvFromMetadata' in JSON.parse(p.metadata.annotations![KRUISE.inPlaceUpdateStateAnnotation])));
      assert.equal(p.status!.conditions!.find((x) => x.type === KRUISE.inPlaceUpdateReady)?.status, 'True');
    }
    assert.equal(c.restartLog.length, 0);
  });

  it('adding an env var under InPlaceIfPossible recreates every pod within maxUnavailable', async () => {
    c = await startCluster({ speed: 300 });
    await c.seedCloneSet({ name: 'web', replicas: 10, strategy: 'InPlaceIfPossible' });
    const before = new Set(c.list<Pod>('pods', 'default').map((p) => p.metadata.uid));
    const patch = [{ op: 'add', path: '/spec/template/spec/containers/0/env', value: [{ name: PLUGIN.defaultTriggerEnv, valueFrom: { fieldRef: { fieldPath: `metadata.annotations['${ANN}']` } } }] }];
    const r = await call(c, 'PATCH', csPath('default', 'web'), patch, { contentType: 'application/json-patch+json' });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.body.spec.template.spec.containers[0].env[0].valueFrom.fieldRef.apiVersion, 'v1', 'webhook defaults fieldRef.apiVersion');
    await c.whenIdle();
    const pods = c.list<Pod>('pods', 'default');
    assert.equal(pods.length, 10);
    for (const p of pods) assert.ok(!before.has(p.metadata.uid), 'every pod replaced');
    const cs = c.get<CloneSet>('clonesets', 'default', 'web')!;
    assert.equal(cs.status?.updatedReadyReplicas, 10);
    assert.ok(c.maxUnavailableSeen('default', 'web') <= 2, `history ${c.unavailableHistory('default', 'web')}`);
    assert.equal(c.restartLog.filter((x) => x.cause === 'recreate').length, 10);
  });

  it('adding an env var under InPlaceOnly is rejected with 422 and the real message', async () => {
    c = await startCluster({ speed: 300 });
    await c.seedCloneSet({ name: 'web', replicas: 2, strategy: 'InPlaceOnly', containers: ['app'] });
    const cs = c.get<CloneSet>('clonesets', 'default', 'web')!;
    const env = [{ name: 'A', value: '1' }];
    cs.spec.template.spec.containers[0].env = env;
    const r = await call(c, 'PUT', csPath('default', 'web'), cs);
    assert.equal(r.status, 422);
    assert.equal(r.body.message, 'admission webhook "vcloneset.kb.io" denied the request: spec: Forbidden: only allowed to update images in spec for InPlaceOnly, but found add /containers/0/env');
    assert.equal(c.writes().length, 0);
  });

  it('an image change under InPlaceIfPossible is done in place by the kubelet', async () => {
    c = await startCluster({ speed: 300 });
    await c.seedCloneSet({ name: 'web', replicas: 3, strategy: 'InPlaceIfPossible' });
    const uids = c.list<Pod>('pods', 'default').map((p) => p.metadata.uid).sort();
    const r = await call(c, 'PATCH', csPath('default', 'web'), [{ op: 'replace', path: '/spec/template/spec/containers/0/image', value: 'nginx:1.28' }], { contentType: 'application/json-patch+json' });
    assert.equal(r.status, 200, r.text);
    await c.whenIdle();
    const pods = c.list<Pod>('pods', 'default');
    assert.deepEqual(pods.map((p) => p.metadata.uid).sort(), uids);
    for (const p of pods) {
      assert.equal(p.status!.containerStatuses![0].image, 'nginx:1.28');
      assert.equal(p.status!.containerStatuses![0].restartCount, 1);
    }
    assert.equal(c.get<CloneSet>('clonesets', 'default', 'web')!.status?.updatedReadyReplicas, 3);
  });

  it('ReCreate: an annotation-only change recreates pods; re-applying an old template reuses its revision', async () => {
    c = await startCluster({ speed: 300 });
    const seeded = await c.seedCloneSet({ name: 'web', replicas: 3 });
    assert.equal(seeded.spec.updateStrategy?.type, 'ReCreate');
    assert.equal(seeded.spec.updateStrategy?.maxUnavailable, '20%');
    await call(c, 'PATCH', csPath('default', 'web'), bump('a'), { contentType: 'application/merge-patch+json' });
    await c.whenIdle();
    const rev1 = c.get<CloneSet>('clonesets', 'default', 'web')!.status!.updateRevision;
    assert.equal(c.restartLog.filter((x) => x.cause === 'recreate').length, 3);
    assert.ok(c.maxUnavailableSeen('default', 'web') <= 1);
    await call(c, 'PATCH', csPath('default', 'web'), bump('b'), { contentType: 'application/merge-patch+json' });
    await c.whenIdle();
    await call(c, 'PATCH', csPath('default', 'web'), bump('a'), { contentType: 'application/merge-patch+json' });
    await c.whenIdle();
    assert.equal(c.get<CloneSet>('clonesets', 'default', 'web')!.status!.updateRevision, rev1);
  });

  it('partition (percent rounds up, at least one pod updates) and paused', async () => {
    c = await startCluster({ speed: 300 });
    await c.seedCloneSet({ name: 'web', replicas: 4, strategy: 'InPlaceIfPossible', partition: '99%', triggerAnnotation: ANN });
    await call(c, 'PATCH', csPath('default', 'web'), bump('p'), { contentType: 'application/merge-patch+json' });
    await c.whenIdle();
    let cs = c.get<CloneSet>('clonesets', 'default', 'web')!;
    assert.equal(cs.status?.expectedUpdatedReplicas, 1);
    assert.equal(cs.status?.updatedReplicas, 1);
    assert.notEqual(cs.status?.currentRevision, cs.status?.updateRevision);
    await call(c, 'PATCH', csPath('default', 'web'), { spec: { updateStrategy: { partition: 0, paused: true } } }, { contentType: 'application/merge-patch+json' });
    await c.whenIdle();
    cs = c.get<CloneSet>('clonesets', 'default', 'web')!;
    assert.equal(cs.status?.updatedReplicas, 1, 'paused: nothing new');
    await call(c, 'PATCH', csPath('default', 'web'), { spec: { updateStrategy: { paused: false } } }, { contentType: 'application/merge-patch+json' });
    await c.whenIdle();
    cs = c.get<CloneSet>('clonesets', 'default', 'web')!;
    assert.equal(cs.status?.updatedReadyReplicas, 4);
  });

  it('maxSurge creates surge pods on the recreate path', async () => {
    c = await startCluster({ speed: 300 });
    await c.seedCloneSet({ name: 'web', replicas: 3, maxSurge: 1, maxUnavailable: 0 });
    await call(c, 'PATCH', csPath('default', 'web'), bump('s'), { contentType: 'application/merge-patch+json' });
    await c.waitFor(() => c.list<Pod>('pods', 'default').length === 4, 5000, 'a surge pod');
    await c.whenIdle();
    assert.equal(c.list<Pod>('pods', 'default').length, 3);
    assert.equal(c.maxUnavailableSeen('default', 'web'), 0);
    assert.equal(c.get<CloneSet>('clonesets', 'default', 'web')!.status?.updatedReadyReplicas, 3);
  });

  it('seeds 5,000 pods within a few seconds', async function () {
    this.timeout(60_000);
    c = await startCluster({ speed: 1000 });
    const t0 = Date.now();
    const cs = await c.seedCloneSet({ name: 'big', replicas: 5000, strategy: 'InPlaceIfPossible', triggerAnnotation: ANN });
    const took = Date.now() - t0;
    assert.equal(cs.status?.readyReplicas, 5000);
    assert.ok(took < 15_000, `took ${took} ms`);
  });
});
