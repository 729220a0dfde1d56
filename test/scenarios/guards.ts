// Issue 14 on either backend: crr paced within a PodUnavailableBudget (kept by Kruise's own PUB controller on the real
// tier) and a PodDisruptionBudget, and the field manager on every write (managedFields on the real tier).
import assert from 'node:assert/strict';
import type { TestCluster } from '../backend/index';
import type { PodDisruptionBudget, PodUnavailableBudget } from '../../src/kruise/disruption-budgets';
import type { CloneSet, ContainerRecreateRequest } from '../../src/kruise/types';
import type { RestartProgress } from '../../src/kruise/progress';
import { PluginProcess } from '../e2e/harness';
import { assertCrrExactlyOnce } from './crr';
import { KEY, killsBy, plugin, podsOf, secs, type Scenario } from './util';

interface Managed {
  metadata: { managedFields?: { manager?: string; operation?: string }[] };
}

async function pubCapsCrr(c: TestCluster): Promise<void> {
  await c.seedCloneSet({ name: 'web', replicas: 6, containers: ['app', 'sidecar'], strategy: 'InPlaceIfPossible', maxUnavailable: 3 });
  const path = `/apis/policy.kruise.io/v1alpha1/namespaces/${c.namespace}/podunavailablebudgets`;
  const created = await c.api('POST', path, {
    apiVersion: 'policy.kruise.io/v1alpha1',
    kind: 'PodUnavailableBudget',
    metadata: { name: 'web-pub' },
    spec: { targetRef: { apiVersion: 'apps.kruise.io/v1alpha1', kind: 'CloneSet', name: 'web' }, maxUnavailable: 1 },
  });
  assert.equal(created.status, 201, created.text);
  // Its controller fills the status; the plugin reads the cap from there.
  const pub = await c.waitFor(async () => {
    const r = await c.api<PodUnavailableBudget>('GET', `${path}/web-pub`);
    return r.body.status?.totalReplicas === 6 && r.body.status.currentAvailable === 6 ? r.body : undefined;
  }, 60_000, 'the PodUnavailableBudget status');
  assert.deepEqual([pub.status?.desiredAvailable, pub.status?.unavailableAllowed], [5, 1]);
  const pods = (await podsOf(c, 'web')).map((p) => p.metadata.name ?? '').sort();
  const run = await plugin(c, ['crr', 'web', '-c', 'app']);
  assert.equal(run.code, 0, run.stderr + run.stdout);
  assert.match(run.stderr, /1 at a time: PodUnavailableBudget web-pub maxUnavailable 1 binds \(CloneSet maxUnavailable 3 allows 3\)/);
  assert.ok(c.maxUnavailableSeen(c.namespace, 'web') <= 1, `up to ${c.maxUnavailableSeen(c.namespace, 'web')} unavailable`);
  await assertCrrExactlyOnce(c, pods, 'crr within the PUB');
}

async function pdbCapsCrr(c: TestCluster): Promise<void> {
  await c.seedCloneSet({ name: 'web', replicas: 5, containers: ['app', 'sidecar'], strategy: 'InPlaceIfPossible', maxUnavailable: 3 });
  const created = await c.api('POST', `/apis/policy/v1/namespaces/${c.namespace}/poddisruptionbudgets`, {
    apiVersion: 'policy/v1',
    kind: 'PodDisruptionBudget',
    metadata: { name: 'web-pdb' },
    spec: { selector: { matchLabels: { app: 'web' } }, minAvailable: '80%' },
  });
  assert.equal(created.status, 201, created.text);
  // The disruption controller's status (kube-controller-manager's on the real tier) is what the plugin reads.
  const pdb = await pdbStatus(c, 'web-pdb', (s) => s.expectedPods === 5 && s.currentHealthy === 5);
  assert.deepEqual([pdb.desiredHealthy, pdb.disruptionsAllowed], [4, 1]);
  const pods = (await podsOf(c, 'web')).map((p) => p.metadata.name ?? '').sort();
  const run = await plugin(c, ['crr', 'web', '-c', 'app']);
  assert.equal(run.code, 0, run.stderr + run.stdout);
  assert.match(run.stderr, /1 at a time: PodDisruptionBudget web-pdb minAvailable 80% binds/);
  assert.ok(c.maxUnavailableSeen(c.namespace, 'web') <= 1, `up to ${c.maxUnavailableSeen(c.namespace, 'web')} unavailable`);
  await assertCrrExactlyOnce(c, pods, 'crr within the PDB');
}

/** The PDB's status once its controller has written one for the current generation that satisfies `ready`. */
async function pdbStatus(c: TestCluster, name: string, ready: (s: NonNullable<PodDisruptionBudget['status']>) => boolean): Promise<NonNullable<PodDisruptionBudget['status']>> {
  const path = `/apis/policy/v1/namespaces/${c.namespace}/poddisruptionbudgets/${name}`;
  return c.waitFor(async () => {
    const r = await c.api<PodDisruptionBudget>('GET', path);
    const s = r.body.status;
    return s && s.observedGeneration === r.body.metadata.generation && ready(s) ? s : undefined;
  }, 60_000, `PodDisruptionBudget ${name}'s status from the disruption controller`);
}

/**
 * A PDB over two CloneSets with one pod of the other already down: only its status (expectedPods 7, currentHealthy 6)
 * tells that one of its 2 allowed disruptions is taken, so crr restarts 1 at a time where the spec alone would allow 2.
 */
async function pdbStatusCountsPodsElsewhere(c: TestCluster): Promise<void> {
  await c.seedCloneSet({ name: 'web', replicas: 5, containers: ['app'], strategy: 'InPlaceIfPossible', maxUnavailable: 3 });
  await c.seedCloneSet({ name: 'cache', replicas: 2, containers: ['app'], strategy: 'InPlaceIfPossible', maxUnavailable: 1 });
  const created = await c.api('POST', `/apis/policy/v1/namespaces/${c.namespace}/poddisruptionbudgets`, {
    apiVersion: 'policy/v1',
    kind: 'PodDisruptionBudget',
    metadata: { name: 'shared-pdb' },
    spec: { selector: { matchExpressions: [{ key: 'app', operator: 'In', values: ['web', 'cache'] }] }, maxUnavailable: 2 },
  });
  assert.equal(created.status, 201, created.text);
  const [down] = (await podsOf(c, 'cache')).map((p) => p.metadata.name ?? '');
  await c.knobs.neverReady(c.namespace, down);
  const pdb = await pdbStatus(c, 'shared-pdb', (s) => s.expectedPods === 7 && s.currentHealthy === 6);
  assert.deepEqual([pdb.desiredHealthy, pdb.disruptionsAllowed], [5, 1]);
  const pods = (await podsOf(c, 'web')).map((p) => p.metadata.name ?? '').sort();
  const run = await plugin(c, ['crr', 'web', '-c', 'app']);
  assert.equal(run.code, 0, run.stderr + run.stdout);
  assert.match(run.stderr, /1 at a time: PodDisruptionBudget shared-pdb maxUnavailable 2, 1 of its pods outside this CloneSet already unavailable binds/);
  assert.ok(c.maxUnavailableSeen(c.namespace, 'web') <= 1, `up to ${c.maxUnavailableSeen(c.namespace, 'web')} unavailable`);
  await assertCrrExactlyOnce(c, pods, 'crr within the shared PDB');
}

async function fieldManagerOnEveryWrite(c: TestCluster): Promise<void> {
  await c.seedCloneSet({ name: 'web', replicas: 3, containers: ['app'], strategy: 'InPlaceIfPossible', maxUnavailable: 1, triggerAnnotation: KEY });
  const inplace = await plugin(c, ['inplace', 'web']);
  assert.equal(inplace.code, 0, inplace.stderr + inplace.stdout);
  const crr = await plugin(c, ['crr', 'web', '--field-manager', 'ci-restarts']);
  assert.equal(crr.code, 0, crr.stderr + crr.stdout);
  const writes = await c.pluginWrites();
  assert.ok(writes.some((w) => w.resource === 'clonesets') && writes.some((w) => w.resource === 'containerrecreaterequests') && writes.some((w) => w.resource === 'events'));
  const unnamed = writes.filter((w) => w.fieldManager !== 'kubectl-kruise-restart' && w.fieldManager !== 'ci-restarts');
  assert.deepEqual(unnamed, [], 'writes without our field manager');
  assert.ok(writes.some((w) => w.fieldManager === 'ci-restarts' && w.resource === 'containerrecreaterequests'));
  if (c.backend === 'real') {
    // What GitOps tools and audits see: our name in managedFields.
    const cs = (await c.get<CloneSet & Managed>('clonesets', c.namespace, 'web')) as Managed;
    const managers = (cs.metadata.managedFields ?? []).map((m) => `${m.manager}/${m.operation}`);
    assert.ok(managers.includes('kubectl-kruise-restart/Update'), managers.join(', '));
    const requests = (await c.list<ContainerRecreateRequest & Managed>('containerrecreaterequests', c.namespace)) as Managed[];
    assert.ok(requests.length > 0 && requests.every((r) => (r.metadata.managedFields ?? []).some((m) => m.manager === 'ci-restarts')));
  }
}

/** spec.replicas through the scale subresource, as an HPA sets it. */
async function scaleTo(c: TestCluster, replicas: number): Promise<void> {
  const r = await c.api('PATCH', `/apis/apps.kruise.io/v1alpha1/namespaces/${c.namespace}/clonesets/web/scale`, { spec: { replicas } }, { contentType: 'application/merge-patch+json' });
  assert.equal(r.status, 200, r.text);
}

function scaledMidway(command: 'inplace' | 'crr', target: number) {
  return async (c: TestCluster): Promise<void> => {
    await c.seedCloneSet({ name: 'web', replicas: 10, containers: ['app'], strategy: 'InPlaceIfPossible', maxUnavailable: 2, triggerAnnotation: KEY });
    const original = (await podsOf(c, 'web')).map((p) => p.metadata.name ?? '');
    const args = command === 'inplace' ? ['inplace', 'web', '-o', 'json'] : ['crr', 'web', '-c', 'app', '-o', 'json'];
    const p = new PluginProcess(args, { kubeconfig: c.writeKubeconfig(), timeoutMs: secs(c, 90, 400) * 1000 });
    await c.waitFor(async () => killsBy(c, 'app', command).size >= 2, secs(c, 60, 200) * 1000, 'two pods restarted');
    await scaleTo(c, target);
    const run = await p.done;
    assert.equal(run.code, 0, run.stderr);
    const kills = killsBy(c, 'app', command);
    assert.deepEqual([...kills.entries()].filter(([, n]) => n !== 1), [], 'a pod restarted twice');
    assert.deepEqual([...kills.keys()].filter((n) => !original.includes(n)), [], 'a pod outside the run restarted');
    const now = (await podsOf(c, 'web')).map((x) => x.metadata.name ?? '');
    assert.equal(now.length, target);
    assert.deepEqual(now.filter((n) => original.includes(n) && kills.get(n) !== 1), [], 'an original pod left out');
    const doc = JSON.parse(run.stdout) as RestartProgress;
    const s = doc.summary;
    assert.equal(s.failed, 0);
    assert.equal(s.restarted + s.recreated + s.skipped + s.pending + s.restarting, s.total);
    if (command === 'crr') {
      const requested = (await c.list<ContainerRecreateRequest>('containerrecreaterequests', c.namespace)).map((r) => r.spec.podName);
      assert.deepEqual(requested.filter((n) => !original.includes(n)), [], 'a request for a pod outside the run record');
    }
  };
}

async function surgeAsForecast(c: TestCluster): Promise<void> {
  await c.seedCloneSet({ name: 'web', replicas: 6, containers: ['app'], strategy: 'InPlaceIfPossible', maxUnavailable: 1, maxSurge: 1, triggerAnnotation: KEY });
  const dry = await plugin(c, ['inplace', 'web', '--dry-run', '-o', 'json']);
  assert.equal(dry.code, 0, dry.stderr);
  const surge = (JSON.parse(dry.stdout) as { surge: { created: number; restartedInPlace: number; deletedOld: number; deletedNew: number } }).surge;
  assert.deepEqual(surge, { ...surge, created: 1, restartedInPlace: 5, deletedOld: 1, deletedNew: 0 });
  const before = new Set((await podsOf(c, 'web')).map((p) => p.metadata.name ?? ''));
  const run = await plugin(c, ['inplace', 'web']);
  assert.equal(run.code, 0, run.stderr);
  await c.waitFor(async () => (await podsOf(c, 'web')).length === 6, secs(c, 30, 120) * 1000, 'the surge pod given back');
  const after = (await podsOf(c, 'web')).map((p) => p.metadata.name ?? '');
  assert.equal(after.filter((n) => before.has(n)).length, 5, `survivors of the original pods: ${after.join(', ')}`);
  assert.equal(killsBy(c, 'app', 'inplace').size, 5);
}

export const guardScenarios: Scenario[] = [
  { title: 'maxSurge 1 on 6 pods with an in-place restart: 1 surge pod, 5 restarted in place, 1 old pod deleted, as the plan said', run: surgeAsForecast },
  { title: 'scale 10 -> 14 during inplace', run: scaledMidway('inplace', 14) },
  { title: 'scale 10 -> 6 during inplace', run: scaledMidway('inplace', 6) },
  { title: 'scale 10 -> 14 during crr', run: scaledMidway('crr', 14) },
  { title: 'scale 10 -> 6 during crr', run: scaledMidway('crr', 6) },
  { title: 'crr within a PodUnavailableBudget allowing 1 (CloneSet maxUnavailable 3): never more than 1 unavailable', run: pubCapsCrr },
  { title: 'crr within a PodDisruptionBudget minAvailable 80% of 5: never more than 1 unavailable', run: pdbCapsCrr },
  { title: "crr within a PodDisruptionBudget over two CloneSets, one pod of the other down: the budget's status leaves 1 at a time", run: pdbStatusCountsPodsElsewhere },
  { title: 'every write of inplace and crr carries the field manager', run: fieldManagerOnEveryWrite },
];
