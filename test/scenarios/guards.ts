// Issue 14 on either backend: crr paced within a PodUnavailableBudget (kept by Kruise's own PUB controller on the real
// tier) and a PodDisruptionBudget, and the field manager on every write (managedFields on the real tier).
import assert from 'node:assert/strict';
import type { TestCluster } from '../backend/index';
import type { PodUnavailableBudget } from '../../src/kruise/disruption-budgets';
import type { CloneSet, ContainerRecreateRequest } from '../../src/kruise/types';
import { assertCrrExactlyOnce } from './crr';
import { KEY, plugin, podsOf, type Scenario } from './util';

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
  const pods = (await podsOf(c, 'web')).map((p) => p.metadata.name ?? '').sort();
  // With or without a disruption controller keeping its status (the real tier runs none), 80% of 5 is 4 healthy.
  const run = await plugin(c, ['crr', 'web', '-c', 'app']);
  assert.equal(run.code, 0, run.stderr + run.stdout);
  assert.match(run.stderr, /1 at a time: PodDisruptionBudget web-pdb minAvailable 80% binds/);
  assert.ok(c.maxUnavailableSeen(c.namespace, 'web') <= 1, `up to ${c.maxUnavailableSeen(c.namespace, 'web')} unavailable`);
  await assertCrrExactlyOnce(c, pods, 'crr within the PDB');
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

export const guardScenarios: Scenario[] = [
  { title: 'crr within a PodUnavailableBudget allowing 1 (CloneSet maxUnavailable 3): never more than 1 unavailable', run: pubCapsCrr },
  { title: 'crr within a PodDisruptionBudget minAvailable 80% of 5: never more than 1 unavailable', run: pdbCapsCrr },
  { title: 'every write of inplace and crr carries the field manager', run: fieldManagerOnEveryWrite },
];
