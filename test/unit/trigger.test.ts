import assert from 'node:assert/strict';
import {
  annotationsWouldArriveWhole,
  envReadability,
  findTriggerWires,
  newTriggerValue,
  primePatch,
  selectTrigger,
  setupPatch,
  triggerPatch,
  unreadableEnv,
  validateAnnotationKey,
} from '../../src/kruise/trigger';
import { planInplace, setupCost } from '../../src/kruise/inplace-plan';
import { ADVANCED_STATEFULSET } from '../../src/kruise/workload/index';
import type { CloneSet, Container, Pod, PodTemplate } from '../../src/kruise/types';

const wired = (name: string, key: string, env = 'RESTARTED_AT'): Container => ({
  name,
  env: [{ name: 'PLAIN', value: 'x' }, { name: env, valueFrom: { fieldRef: { fieldPath: `metadata.annotations['${key}']` } } }],
});
const template = (...containers: Container[]): PodTemplate => ({ metadata: { labels: { app: 'web' } }, spec: { containers } });
const cloneSet = (t: PodTemplate, strategy: Record<string, unknown> = { type: 'InPlaceIfPossible' }, status = {}): CloneSet => ({
  metadata: { name: 'web', namespace: 'prod', resourceVersion: '42', generation: 3 },
  spec: { replicas: 10, selector: { matchLabels: { app: 'web' } }, template: t, updateStrategy: strategy },
  status: { observedGeneration: 3, updateRevision: 'web-a', currentRevision: 'web-a', updatedReplicas: 10, updatedReadyReplicas: 10, replicas: 10, ...status },
});

describe('trigger wiring', () => {
  it('finds env vars that read a template annotation through the Downward API, in either quote style', () => {
    const t = template(wired('app', 'team.io/restart'), { name: 'side', env: [{ name: 'X', valueFrom: { fieldRef: { fieldPath: 'metadata.annotations["other"]' } } }] });
    assert.deepEqual(findTriggerWires(t), [
      { container: 'app', env: 'RESTARTED_AT', annotation: 'team.io/restart' },
      { container: 'side', env: 'X', annotation: 'other' },
    ]);
  });

  it('ignores labels, literal values and the SidecarSet reserved names', () => {
    const t = template({
      name: 'app',
      env: [
        { name: 'L', valueFrom: { fieldRef: { fieldPath: "metadata.labels['x']" } } },
        { name: 'SIDECARSET_VERSION', valueFrom: { fieldRef: { fieldPath: "metadata.annotations['x']" } } },
        { name: 'V', value: 'lit', valueFrom: { fieldRef: { fieldPath: "metadata.annotations['x']" } } },
      ],
    });
    assert.deepEqual(findTriggerWires(t), []);
  });

  it('targets every wired container by default and names the unwired ones', () => {
    const sel = selectTrigger(template(wired('app', 'k'), { name: 'proxy' }), undefined);
    assert.ok(sel.ok);
    assert.deepEqual(sel.value, { targets: ['app'], annotations: ['k'], unwired: ['proxy'] });
  });

  it('refuses unknown containers, unwired containers and a trigger shared with a container left out', () => {
    const t = template(wired('app', 'k'), wired('side', 'k'), { name: 'proxy' });
    assert.equal((selectTrigger(t, ['nope']) as { problem: string }).problem, 'unknown-container');
    assert.equal((selectTrigger(t, ['proxy']) as { problem: string }).problem, 'not-wired');
    assert.equal((selectTrigger(t, ['app']) as { problem: string }).problem, 'shared-trigger');
    assert.equal((selectTrigger(template({ name: 'a' }), undefined) as { problem: string }).problem, 'no-wiring');
  });

  it('makes trigger values that differ every time', () => {
    let seed = 1;
    const random = () => ((seed = (seed * 16807) % 2147483647) / 2147483647);
    const a = newTriggerValue(0, random);
    const b = newTriggerValue(0, random);
    assert.notEqual(a, b);
    assert.match(a, /^1970-01-01T00:00:00Z-[a-z0-9]{6}$/);
  });

  it('patches with the resourceVersion it read, annotations under the template and the record on metadata', () => {
    const cs = cloneSet(template(wired('app', 'k')));
    assert.deepEqual(triggerPatch(cs, ['k'], 'v1', 'rec', '{}'), {
      metadata: { resourceVersion: '42', annotations: { rec: '{}' } },
      spec: { template: { metadata: { annotations: { k: 'v1' } } } },
    });
  });

  it('sets up the wiring with a JSON patch guarded by a resourceVersion test', () => {
    const cs = cloneSet(template({ name: 'app' }, { name: 'side', env: [{ name: 'A', value: '1' }] }));
    const ops = setupPatch(cs, ['app', 'side'], 'RESTARTED_AT', 'kruise-restart.dev/restarted-at', 'v');
    assert.deepEqual(ops[0], { op: 'test', path: '/metadata/resourceVersion', value: '42' });
    assert.ok(ops.some((o) => o.path === '/spec/template/metadata/annotations/kruise-restart.dev~1restarted-at'));
    assert.ok(ops.some((o) => o.path === '/spec/template/spec/containers/0/env' && Array.isArray(o.value)));
    assert.ok(ops.some((o) => o.path === '/spec/template/spec/containers/1/env/-'));
  });

  it('validates annotation keys as Kubernetes does', () => {
    assert.equal(validateAnnotationKey('kruise-restart.dev/restarted-at'), undefined);
    assert.equal(validateAnnotationKey('restarted_at'), undefined);
    for (const bad of ['', 'a/b/c', 'Upper.Case/x', '-x', 'x'.repeat(64), 'sp ace', 'ü']) assert.ok(validateAnnotationKey(bad), bad);
  });
});

describe('inplace preconditions', () => {
  const t = template(wired('app', 'k'));
  it('refuses ReCreate unless --allow-recreate, and OnDelete always', () => {
    assert.match(planInplace(cloneSet(t, { type: 'ReCreate' }), { allowRecreate: false, force: false, setup: false }).refusal!.reason, /ReCreate/);
    assert.equal(planInplace(cloneSet(t, { type: 'ReCreate' }), { allowRecreate: true, force: false, setup: false }).refusal, undefined);
    assert.match(planInplace(cloneSet(t, {}), { allowRecreate: false, force: false, setup: false }).refusal!.reason, /ReCreate/);
    assert.match(planInplace(cloneSet(t, { type: 'OnDelete' }), { allowRecreate: true, force: false, setup: false }).refusal!.reason, /OnDelete/);
  });

  it('refuses a paused CloneSet and a rollout in progress unless --force', () => {
    assert.match(planInplace(cloneSet(t, { type: 'InPlaceIfPossible', paused: true }), { allowRecreate: false, force: true, setup: false }).refusal!.reason, /paused/);
    const busy = cloneSet(t, undefined, { updateRevision: 'web-b', updatedReplicas: 3 });
    assert.match(planInplace(busy, { allowRecreate: false, force: false, setup: false }).refusal!.reason, /in progress/);
    assert.equal(planInplace(busy, { allowRecreate: false, force: true, setup: false }).refusal, undefined);
  });

  it('warns about partition, surge, lifecycle hooks and zero replicas, and counts batches', () => {
    const cs = cloneSet(t, { type: 'InPlaceIfPossible', partition: 4, maxSurge: 1 });
    cs.spec.lifecycle = { inPlaceUpdate: { labelsHandler: { hold: 'true' } } };
    const plan = planInplace(cs, { allowRecreate: false, force: false, setup: false });
    assert.equal(plan.podsToRestart, 6);
    assert.equal(plan.maxUnavailable, 2);
    assert.equal(plan.batches, 3);
    assert.equal(plan.warnings.length, 3);
    assert.match(plan.warnings[0], /only 6 of 10 pods/);
  });

  it('states the one-time cost of --setup, and refuses it under InPlaceOnly', () => {
    assert.match(setupCost(cloneSet(t)) as string, /recreates all 10 pods once/);
    assert.match((setupCost(cloneSet(t, { type: 'InPlaceOnly' })) as { reason: string }).reason, /InPlaceOnly/);
  });

  it('says an Advanced StatefulSet keeps its pod names through the --setup recreation', () => {
    const sts = { ...cloneSet(t), kind: 'StatefulSet', spec: { ...cloneSet(t).spec, podManagementPolicy: 'Parallel', updateStrategy: { type: 'RollingUpdate', rollingUpdate: { podUpdatePolicy: 'InPlaceIfPossible', maxUnavailable: 2 } } } };
    const cost = setupCost(sts as unknown as CloneSet, ADVANCED_STATEFULSET) as string;
    assert.match(cost, /recreates all 10 pods once \(same names, new UIDs and IPs\), at most 2 at a time/);
    assert.match(setupCost(cloneSet(t)) as string, /\(new names and IPs\)/);
  });
});

describe('the first annotations of a template (whole-map diff)', () => {
  it('is a risk when the template has no annotations, absent or {}, and not once it has any', () => {
    assert.equal(annotationsWouldArriveWhole(template(wired('app', 'k/v'))), true);
    assert.equal(annotationsWouldArriveWhole({ ...template(wired('app', 'k/v')), metadata: { labels: { app: 'web' }, annotations: {} } }), true);
    assert.equal(annotationsWouldArriveWhole({ ...template(wired('app', 'k/v')), metadata: { labels: { app: 'web' }, annotations: { other: 'x' } } }), false);
  });

  it('primes with the keys alone, at the empty value the containers already read, guarded by resourceVersion', () => {
    assert.deepEqual(primePatch(cloneSet(template(wired('app', 'k/v'))), ['k/v']), [
      { op: 'test', path: '/metadata/resourceVersion', value: '42' },
      { op: 'add', path: '/spec/template/metadata/annotations', value: { 'k/v': '' } },
    ]);
  });
});

describe('whether kruise-daemon can read a wired container\'s environment', () => {
  const meta = (hashes: Record<string, number | undefined>) => ({
    'apps.kruise.io/runtime-containers-meta': JSON.stringify({
      containers: Object.entries(hashes).map(([name, h]) => ({ name, containerID: `id-${name}`, hashes: { plainHash: 1, ...(h ? { extractedEnvFromMetadataHash: h } : {}) } })),
    }),
  });
  const pod = (name: string, annotations?: Record<string, string>) => ({ metadata: { name, annotations }, spec: { containers: [] } }) as unknown as Pod;

  it('a left-out (zero) hash means it could not; no report proves nothing either way', () => {
    const pods = [pod('a', meta({ app: 7, side: undefined })), pod('b', meta({ app: undefined })), pod('c')];
    assert.deepEqual(unreadableEnv(pods[0], ['app', 'side']), ['side']);
    const r = envReadability(pods, ['app']);
    assert.deepEqual([...r.unreadable], [['app', ['b']]]);
    assert.deepEqual(r.unproven, []);
    assert.deepEqual(envReadability([pods[0], pods[2]], ['app']).unproven, ['app']);
    assert.deepEqual(envReadability([pod('x', { 'apps.kruise.io/runtime-containers-meta': '{bad' })], ['app']).unproven, ['app']);
  });
});

describe('a budget of 0 with no surge', () => {
  it('refuses: Kruise would never update a pod (a fractional maxUnavailable passes the webhook and is 0 in the controller)', () => {
    const plan = planInplace(cloneSet(template(wired('app', 'k/v')), { type: 'InPlaceIfPossible', maxUnavailable: '12.5%' }), { allowRecreate: false, force: false, setup: false });
    assert.match(plan.refusal?.reason ?? '', /maxUnavailable "12\.5%" resolves to 0 pods .*whole numbers/);
    const surge = planInplace(cloneSet(template(wired('app', 'k/v')), { type: 'InPlaceIfPossible', maxUnavailable: 0, maxSurge: 1 }), { allowRecreate: false, force: false, setup: false });
    assert.equal(surge.refusal, undefined);
  });
});
