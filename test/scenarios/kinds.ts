// The Advanced StatefulSet and Advanced DaemonSet on either backend (issue 15): in place within each kind's budget and
// order, pods without the InPlaceUpdateReady gate recreated and said so, crr paced and resumable, --setup, status.
// On the real tier Kruise's own StatefulSet and DaemonSet controllers drive the pods, so these pin the emulator to them.
import assert from 'node:assert/strict';
import type { TestCluster, WorkloadKind } from '../backend/index';
import { PluginProcess } from '../e2e/harness';
import { readRecord } from '../../src/kruise/record';
import { KRUISE, PLUGIN, type CloneSet, type ContainerRecreateRequest, type Pod } from '../../src/kruise/types';
import type { AdvancedDaemonSet } from '../../src/kruise/workload/advanced-daemonset';
import type { AdvancedStatefulSet } from '../../src/kruise/workload/advanced-statefulset';
import { assertCrrExactlyOnce, runIdOf } from './crr';
import { identity, KEY, killsBy, plugin, restartCounts, type Scenario } from './util';

/** Nodes of an Advanced DaemonSet here: what the shared real cluster's agent plays (the emulator adds them). */
const NODES = 6;

async function podsOwnedBy(c: TestCluster, kind: WorkloadKind, name: string): Promise<Pod[]> {
  return (await c.list<Pod>('pods', c.namespace)).filter(
    (p) => !p.metadata.deletionTimestamp && p.metadata.ownerReferences?.some((o) => o.controller && o.kind === kind && o.name === name && o.apiVersion.startsWith('apps.kruise.io/')),
  );
}

const hasGate = (p: Pod) => !!p.spec.readinessGates?.some((g) => g.conditionType === KRUISE.inPlaceUpdateReady);

/** Same pods, each wired container restarted once in place (restartCount +1), every pod Ready on the new revision. */
function assertRestartedInPlace(c: TestCluster, before: Pod[], after: Pod[], what: string): void {
  assert.deepEqual(identity(after), identity(before), `${what}: names and UIDs unchanged`);
  const counts = restartCounts(before, 'app');
  for (const p of after) {
    assert.equal(restartCounts([p], 'app').get(p.metadata.uid ?? ''), (counts.get(p.metadata.uid ?? '') ?? 0) + 1, `${what}: ${p.metadata.name} restartCount +1`);
    assert.equal(p.status?.conditions?.find((x) => x.type === KRUISE.inPlaceUpdateReady)?.status, 'True', `${what}: ${p.metadata.name} InPlaceUpdateReady`);
    assert.equal(p.status?.conditions?.find((x) => x.type === 'Ready')?.status, 'True', `${what}: ${p.metadata.name} Ready`);
  }
  const kills = killsBy(c, 'app', 'inplace');
  const names = after.map((p) => p.metadata.name!);
  assert.deepEqual(names.filter((n) => kills.get(n) !== 1).map((n) => `${n}: ${kills.get(n) ?? 0}`), [], `${what}: each app container killed exactly once`);
}

async function statusComplete(c: TestCluster, target: string, kind: string): Promise<void> {
  const status = await plugin(c, ['status', target, '-o', 'json']);
  assert.equal(status.code, 0, status.stderr + status.stdout);
  const doc = JSON.parse(status.stdout) as { state: string; complete: boolean; cloneSet: { kind: string } };
  assert.equal(doc.state, 'complete', status.stdout);
  assert.equal(doc.complete, true);
  assert.equal(doc.cloneSet.kind, kind);
}

async function statefulSetParallel(c: TestCluster): Promise<void> {
  await c.seedStatefulSet({ name: 'db', replicas: 5, podManagementPolicy: 'Parallel', podUpdatePolicy: 'InPlaceIfPossible', maxUnavailable: 2, triggerAnnotation: KEY });
  const before = await podsOwnedBy(c, 'StatefulSet', 'db');
  assert.equal(before.length, 5);
  const run = await plugin(c, ['inplace', 'asts/db']);
  assert.equal(run.code, 0, run.stderr + run.stdout);
  assert.match(run.stderr, new RegExp(`restart of Advanced StatefulSet ${c.namespace}/db \\(InPlaceIfPossible\\): 1 container app in 5 of 5 pods, 2 at a time from the highest ordinal`));
  assert.match(run.stdout, /restart complete: 5 of 5 pods restarted/);
  assertRestartedInPlace(c, before, await podsOwnedBy(c, 'StatefulSet', 'db'), 'db');
  const seen = c.maxUnavailableSeen(c.namespace, 'db', 'StatefulSet');
  assert.ok(seen <= 2 && seen >= 1, `max unavailable ${seen}`);
  const sts = (await c.get<AdvancedStatefulSet>('statefulsets', c.namespace, 'db'))!;
  for (const p of await podsOwnedBy(c, 'StatefulSet', 'db')) assert.equal(p.metadata.labels?.[KRUISE.revisionLabel], sts.status?.updateRevision, `${p.metadata.name} on the update revision`);
  await statusComplete(c, 'asts/db', 'StatefulSet');
}

async function statefulSetOrderedReady(c: TestCluster): Promise<void> {
  await c.seedStatefulSet({ name: 'queue', replicas: 3, podUpdatePolicy: 'InPlaceIfPossible', triggerAnnotation: KEY });
  const before = await podsOwnedBy(c, 'StatefulSet', 'queue');
  // OrderedReady brought them up in ordinal order: each pod created only once the one below it was Ready.
  const byOrdinal = [...before].sort((a, b) => (a.metadata.name! < b.metadata.name! ? -1 : 1));
  for (let i = 1; i < byOrdinal.length; i++) {
    const readyAt = byOrdinal[i - 1].status?.conditions?.find((x) => x.type === 'Ready')?.lastTransitionTime ?? '';
    const createdAt = byOrdinal[i].metadata.creationTimestamp ?? '';
    assert.ok(readyAt && createdAt && Date.parse(createdAt) >= Date.parse(readyAt), `${byOrdinal[i].metadata.name} created ${createdAt}, before ${byOrdinal[i - 1].metadata.name} was Ready (${readyAt})`);
  }
  const plan = await plugin(c, ['inplace', 'statefulset.apps.kruise.io/queue', '--dry-run']);
  assert.equal(plan.code, 0, plan.stderr);
  assert.match(plan.stdout, new RegExp(`restart of Advanced StatefulSet ${c.namespace}/queue \\(InPlaceIfPossible\\): 1 container app in 3 of 3 pods, one pod at a time from the highest ordinal \\(podManagementPolicy OrderedReady\\)`));
  const run = await plugin(c, ['inplace', 'asts/queue']);
  assert.equal(run.code, 0, run.stderr + run.stdout);
  assertRestartedInPlace(c, before, await podsOwnedBy(c, 'StatefulSet', 'queue'), 'queue');
  assert.equal(c.maxUnavailableSeen(c.namespace, 'queue', 'StatefulSet'), 1, 'one pod at a time');
  const order = c.restartLog().filter((r) => r.cause === 'inplace' && r.container === 'app').map((r) => r.pod);
  assert.deepEqual(order, ['queue-2', 'queue-1', 'queue-0'], 'from the highest ordinal down');
  await statusComplete(c, 'asts/queue', 'StatefulSet');
}

async function daemonSetSixNodes(c: TestCluster): Promise<void> {
  await c.seedDaemonSet({ name: 'agent', nodes: NODES, rollingUpdateType: 'InPlaceIfPossible', maxUnavailable: 2, triggerAnnotation: KEY });
  const before = await podsOwnedBy(c, 'DaemonSet', 'agent');
  assert.equal(new Set(before.map((p) => p.spec.nodeName)).size, NODES, 'one pod on each node');
  // Kruise names each pod's node in a required affinity and leaves the binding to the scheduler (assign-pods-by-scheduler).
  for (const p of before) {
    const affinity = (p.spec as { affinity?: { nodeAffinity?: { requiredDuringSchedulingIgnoredDuringExecution?: { nodeSelectorTerms?: unknown[] } } } }).affinity;
    assert.deepEqual(affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms, [{ matchFields: [{ key: 'metadata.name', operator: 'In', values: [p.spec.nodeName] }] }], `${p.metadata.name}: ${JSON.stringify(affinity)}`);
  }
  const run = await plugin(c, ['inplace', 'daemonset.apps.kruise.io/agent']);
  assert.equal(run.code, 0, run.stderr + run.stdout);
  assert.match(run.stderr, new RegExp(`restart of Advanced DaemonSet ${c.namespace}/agent \\(InPlaceIfPossible\\): 1 container app in ${NODES} of ${NODES} nodes, 2 nodes at a time`));
  assert.match(run.stdout, new RegExp(`restart complete: ${NODES} of ${NODES} pods restarted`));
  assertRestartedInPlace(c, before, await podsOwnedBy(c, 'DaemonSet', 'agent'), 'agent');
  const seen = c.maxUnavailableSeen(c.namespace, 'agent', 'DaemonSet');
  assert.ok(seen <= 2 && seen >= 1, `max unavailable ${seen}`);
  await statusComplete(c, 'ads/agent', 'DaemonSet');
}

async function daemonSetWithoutGate(c: TestCluster): Promise<void> {
  const gateless = ['node-0', 'node-1'];
  await c.seedDaemonSet({ name: 'agent', nodes: NODES, rollingUpdateType: 'InPlaceIfPossible', maxUnavailable: 1, triggerAnnotation: KEY, podsWithoutGate: gateless });
  const before = await podsOwnedBy(c, 'DaemonSet', 'agent');
  assert.deepEqual(before.filter((p) => !hasGate(p)).map((p) => p.spec.nodeName).sort(), gateless, 'the seed left the gate off exactly there');
  const plan = await plugin(c, ['inplace', 'ads/agent', '--dry-run']);
  assert.equal(plan.code, 0, plan.stderr);
  assert.match(plan.stderr, new RegExp(`2 of ${NODES} pods lack the InPlaceUpdateReady readiness gate .*Kruise will delete and recreate them instead of restarting in place`));
  for (const p of before.filter((x) => !hasGate(x))) assert.match(plan.stderr, new RegExp(`${p.metadata.name} \\(node ${p.spec.nodeName}\\)`));

  const run = await plugin(c, ['inplace', 'ads/agent', '-o', 'json']);
  assert.equal(run.code, 0, run.stderr + run.stdout);
  const doc = JSON.parse(run.stdout) as { outcome: string; summary: { restarted: number; recreated: number } };
  assert.equal(doc.outcome, 'complete', run.stdout);
  assert.deepEqual([doc.summary.restarted, doc.summary.recreated], [NODES - 2, 2], JSON.stringify(doc.summary));
  const after = await podsOwnedBy(c, 'DaemonSet', 'agent');
  const gated = before.filter(hasGate);
  assertRestartedInPlace(c, gated, after.filter((p) => gated.some((g) => g.metadata.uid === p.metadata.uid)), 'gated pods');
  const recreated = after.filter((p) => !before.some((b) => b.metadata.uid === p.metadata.uid));
  assert.deepEqual(recreated.map((p) => p.spec.nodeName).sort(), gateless, 'the gate-less pods were replaced, on their own nodes');
  assert.ok(recreated.every(hasGate), 'their replacements carry the gate');
  assert.equal(after.length, NODES);
}

/** crr on `target`: killed with SIGKILL mid-run, resumed: each pod restarted exactly once, never above 2 down. */
async function crrKilledAndResumed(c: TestCluster, target: string, kind: WorkloadKind, name: string): Promise<void> {
  const pods = (await podsOwnedBy(c, kind, name)).map((p) => p.metadata.name!).sort();
  const first = new PluginProcess(['crr', target, '-c', 'app'], { kubeconfig: c.writeKubeconfig(), timeoutMs: 240_000 });
  await first.waitFor(/^run \S+$/m, 60_000);
  const id = runIdOf(first.stderr);
  const resource = kind === 'StatefulSet' ? 'statefulsets' : 'daemonsets';
  const workload = async () => (await c.get<CloneSet>(resource, c.namespace, name))!;
  await c.waitFor(
    async () => readRecord(await workload())?.run === id && (await c.list<ContainerRecreateRequest>('containerrecreaterequests', c.namespace)).length >= 2,
    120_000,
    'the run record and 2 CRRs',
  );
  first.child.kill('SIGKILL');
  assert.equal((await first.done).signal, 'SIGKILL');
  const created = (await c.list('containerrecreaterequests', c.namespace)).length;
  assert.ok(created < pods.length, `the kill came too late to test anything (${created} CRRs)`);

  // The driver was on this machine and is provably gone: resumed at once, without --force.
  const resumed = await plugin(c, ['crr', target, '--resume', id]);
  assert.equal(resumed.code, 0, resumed.stderr + resumed.stdout);
  assert.match(resumed.stderr, new RegExp(`run ${id}: its process \\(pid ${first.child.pid} on \\S+\\) is gone, so it is resumed at once`));
  assert.match(resumed.stderr, new RegExp(`run ${id} completed: ${pods.length} of ${pods.length} pods restarted`));
  await assertCrrExactlyOnce(c, pods, 'after --resume');
  assert.deepEqual((await podsOwnedBy(c, kind, name)).map((p) => p.metadata.name!).sort(), pods, 'same pods');
  assert.equal(readRecord(await workload())?.finished, 'completed');
  const seen = c.maxUnavailableSeen(c.namespace, name, kind);
  assert.ok(seen <= 2, `max unavailable ${seen}`);
}

async function crrStatefulSet(c: TestCluster): Promise<void> {
  await c.seedStatefulSet({ name: 'db', replicas: 6, podManagementPolicy: 'Parallel', podUpdatePolicy: 'InPlaceIfPossible', maxUnavailable: 2 });
  await crrKilledAndResumed(c, 'asts/db', 'StatefulSet', 'db');
}

async function crrDaemonSet(c: TestCluster): Promise<void> {
  await c.seedDaemonSet({ name: 'agent', nodes: NODES, rollingUpdateType: 'InPlaceIfPossible', maxUnavailable: 2 });
  await crrKilledAndResumed(c, 'ads/agent', 'DaemonSet', 'agent');
}

const wired = (containers: Array<{ env?: Array<{ name: string; valueFrom?: { fieldRef?: { fieldPath?: string } } }> }>) =>
  containers.every((ct) => ct.env?.some((e) => e.name === PLUGIN.defaultTriggerEnv && e.valueFrom?.fieldRef?.fieldPath === `metadata.annotations['${PLUGIN.defaultTriggerAnnotation}']`));

/** --setup on an unwired workload of the kind: every pod recreated once (with the gate), the next restart in place. */
async function setupThenInPlace(c: TestCluster, target: string, kind: WorkloadKind, name: string, pods: number): Promise<void> {
  const original = await podsOwnedBy(c, kind, name);
  assert.equal(original.length, pods);
  const setup = await plugin(c, ['inplace', target, '--setup', '--yes']);
  assert.equal(setup.code, 0, setup.stderr + setup.stdout);
  assert.match(setup.stderr, new RegExp(`recreates all ${pods} pods once \\(${kind === 'StatefulSet' ? 'same names' : 'new names'}`));
  const resource = kind === 'StatefulSet' ? 'statefulsets' : 'daemonsets';
  const obj = (await c.get<AdvancedStatefulSet | AdvancedDaemonSet>(resource, c.namespace, name))!;
  assert.ok(wired(obj.spec.template.spec.containers), JSON.stringify(obj.spec.template.spec.containers));
  const recreated = await podsOwnedBy(c, kind, name);
  assert.equal(recreated.length, pods);
  assert.equal(recreated.filter((p) => original.some((o) => o.metadata.uid === p.metadata.uid)).length, 0, 'every pod was recreated once');
  assert.ok(recreated.every(hasGate), 'every new pod carries the InPlaceUpdateReady gate');

  const next = await plugin(c, ['inplace', target]);
  assert.equal(next.code, 0, next.stderr + next.stdout);
  assertRestartedInPlace(c, recreated, await podsOwnedBy(c, kind, name), 'after --setup');
}

async function setupStatefulSet(c: TestCluster): Promise<void> {
  await c.seedStatefulSet({ name: 'db', replicas: 3, podManagementPolicy: 'Parallel', podUpdatePolicy: 'InPlaceIfPossible', maxUnavailable: 2 });
  await setupThenInPlace(c, 'asts/db', 'StatefulSet', 'db', 3);
  const names = (await podsOwnedBy(c, 'StatefulSet', 'db')).map((p) => p.metadata.name!).sort();
  assert.deepEqual(names, ['db-0', 'db-1', 'db-2'], 'a StatefulSet keeps its pod names across the recreation');
}

async function setupDaemonSet(c: TestCluster): Promise<void> {
  // Created under Standard, then switched: the pods lack the gate until --setup's recreation gives it to them.
  await c.seedDaemonSet({ name: 'agent', nodes: NODES, rollingUpdateType: 'InPlaceIfPossible', maxUnavailable: 2, podsWithoutGate: true });
  await setupThenInPlace(c, 'ads/agent', 'DaemonSet', 'agent', NODES);
}

export const kindScenarios: Scenario[] = [
  { title: 'an Advanced StatefulSet of 5 (Parallel, maxUnavailable 2) restarts in place within 2; status says complete', run: statefulSetParallel },
  { title: 'an Advanced StatefulSet of 3 (OrderedReady) restarts in place one pod at a time from the highest ordinal', run: statefulSetOrderedReady },
  { title: 'an Advanced DaemonSet over 6 nodes (maxUnavailable 2) restarts in place, never above 2 nodes; status says complete', run: daemonSetSixNodes },
  { title: 'an Advanced DaemonSet whose pods on 2 nodes lack the readiness gate: planned and reported as recreating those 2', run: daemonSetWithoutGate },
  { title: 'crr on an Advanced StatefulSet (Parallel, maxUnavailable 2) killed by SIGKILL, then --resume: each pod exactly once', run: crrStatefulSet },
  { title: 'crr on an Advanced DaemonSet over 6 nodes killed by SIGKILL, then --resume: each pod exactly once', run: crrDaemonSet },
  { title: '--setup on an Advanced StatefulSet recreates each pod once under its own name; the next restart is in place', run: setupStatefulSet },
  { title: '--setup on an Advanced DaemonSet without the gate recreates each pod once with it; the next restart is in place', run: setupDaemonSet },
];
