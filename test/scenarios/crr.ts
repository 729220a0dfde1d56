// crr on either backend: one CRR per pod, paced within the budget, the unwired container untouched.
import assert from 'node:assert/strict';
import type { TestCluster } from '../backend/index';
import { compareNames } from '../../src/kruise/crr-plan';
import { readRecord } from '../../src/kruise/record';
import { PLUGIN, type CloneSet, type ContainerRecreateRequest } from '../../src/kruise/types';
import { assertOneLineError } from '../e2e/harness';
import { cloneSetOf, identity, killsBy, plugin, podsOf, restartCounts, secs, type Scenario } from './util';

export function runIdOf(stderr: string): string {
  const m = /^run (\d{8}-\d{6}-[0-9a-z]{4})$/m.exec(stderr);
  assert.ok(m, `no "run <id>" line on stderr:\n${stderr}`);
  return m[1];
}

/** Every pod's `app` restarted exactly once by crr, nothing else restarted or recreated, one CRR per pod. */
export async function assertCrrExactlyOnce(c: TestCluster, pods: string[], what: string): Promise<void> {
  const app = killsBy(c, 'app', 'crr');
  assert.deepEqual(pods.filter((p) => app.get(p) !== 1).map((p) => `${p}: ${app.get(p) ?? 0}`), [], `${what}: pods not restarted exactly once`);
  assert.equal(app.size, pods.length, `${what}: restarts outside the selected pods`);
  assert.equal(killsBy(c, 'sidecar', 'crr').size, 0, `${what}: a sidecar restarted`);
  const perPod = new Map<string, number>();
  for (const r of await c.list<ContainerRecreateRequest>('containerrecreaterequests', c.namespace)) perPod.set(r.spec.podName, (perPod.get(r.spec.podName) ?? 0) + 1);
  assert.deepEqual([...perPod.entries()].filter(([, n]) => n !== 1), [], `${what}: one CRR per pod`);
  assert.equal(perPod.size, pods.length);
}

async function pacedWithinBudget(c: TestCluster): Promise<void> {
  await c.seedCloneSet({ name: 'web', replicas: 4, containers: ['app', 'sidecar'], strategy: 'InPlaceIfPossible', maxUnavailable: 1 });
  const before = await podsOf(c, 'web');
  const run = await plugin(c, ['crr', 'web', '-c', 'app']);
  assert.equal(run.code, 0, run.stderr + run.stdout);
  const id = runIdOf(run.stderr);
  const after = await podsOf(c, 'web');
  assert.deepEqual(identity(after), identity(before), 'same pods');
  const pods = after.map((p) => p.metadata.name!).sort();
  await assertCrrExactlyOnce(c, pods, 'crr');
  const app0 = restartCounts(before, 'app');
  const side0 = restartCounts(before, 'sidecar');
  for (const p of after) {
    const uid = p.metadata.uid ?? '';
    assert.equal(restartCounts([p], 'app').get(uid), (app0.get(uid) ?? 0) + 1, `${p.metadata.name}: app restartCount +1`);
    assert.equal(restartCounts([p], 'sidecar').get(uid), side0.get(uid), `${p.metadata.name}: sidecar untouched`);
  }
  // The CloneSet's maxUnavailable 1 is the budget: one pod down at a time.
  const seen = c.maxUnavailableSeen(c.namespace, 'web');
  assert.ok(seen === 1, `max unavailable ${seen}`);
  for (const r of await c.list<ContainerRecreateRequest>('containerrecreaterequests', c.namespace)) {
    assert.equal(r.metadata.labels?.[PLUGIN.runLabel], id);
    assert.deepEqual(r.spec.containers.map((x) => x.name), ['app']);
    assert.equal(r.status?.phase, 'Completed', `${r.metadata.name}: ${JSON.stringify(r.status)}`);
  }
  const record = readRecord((await cloneSetOf(c, 'web')) as CloneSet);
  assert.equal(record?.run, id);
  assert.equal(record?.finished, 'completed');
  const writes = (await c.pluginWrites()).map((w) => `${w.verb} ${w.resource}`);
  assert.equal(writes.filter((w) => w === 'create containerrecreaterequests').length, 4, writes.join(', '));
  assert.deepEqual([...new Set(writes)].sort(), ['create containerrecreaterequests', 'create events', 'patch clonesets']);
}

/**
 * A run that failed is resumed without --force: the failed pod gets a second request (named for its attempt), the pod
 * the run never reached its first, and no pod restarts twice.
 */
async function failedRunResumed(c: TestCluster): Promise<void> {
  await c.seedCloneSet({ name: 'web', replicas: 3, containers: ['app', 'sidecar'], strategy: 'InPlaceIfPossible', maxUnavailable: 1 });
  const before = await podsOf(c, 'web');
  const pods = before.map((p) => p.metadata.name!).sort();
  await c.knobs.failRestart(c.namespace, pods[1], ['app']);
  const failed = await plugin(c, ['crr', 'web', '-c', 'app']);
  assert.equal(failed.code, 1, failed.stderr + failed.stdout);
  const id = runIdOf(failed.stderr);
  assert.equal(readRecord((await cloneSetOf(c, 'web')) as CloneSet)?.finished, 'failed');

  await c.knobs.repairRestart(c.namespace, pods[1], ['app']);
  const resumed = await plugin(c, ['crr', 'web', '--resume', id]);
  assert.equal(resumed.code, 0, resumed.stderr + resumed.stdout);
  assert.match(resumed.stderr, new RegExp(`retrying 1 failed pod \\(${pods[1]}\\) with new requests`));
  assert.match(resumed.stderr, new RegExp(`run ${id} completed: 3 of 3 pods restarted`));

  const after = await podsOf(c, 'web');
  assert.deepEqual(identity(after), identity(before), 'same pods');
  const app0 = restartCounts(before, 'app');
  const side0 = restartCounts(before, 'sidecar');
  for (const p of after) {
    const uid = p.metadata.uid ?? '';
    assert.equal(restartCounts([p], 'app').get(uid), (app0.get(uid) ?? 0) + 1, `${p.metadata.name}: app restarted exactly once`);
    assert.equal(restartCounts([p], 'sidecar').get(uid), side0.get(uid), `${p.metadata.name}: sidecar untouched`);
  }
  const names = (await c.list<ContainerRecreateRequest>('containerrecreaterequests', c.namespace)).map((r) => r.metadata.name ?? '').sort();
  assert.ok(names.includes(`${pods[1]}-${id}`) && names.includes(`${pods[1]}-${id}-r2`), names.join(', '));
  assert.equal(names.length, 4, `one request per pod and the retry: ${names.join(', ')}`);
  assert.equal(readRecord((await cloneSetOf(c, 'web')) as CloneSet)?.finished, 'completed');
}

const podNames = async (c: TestCluster) => (await podsOf(c, 'web')).map((p) => p.metadata.name!).sort(compareNames);
const crrPods = async (c: TestCluster) => (await c.list<ContainerRecreateRequest>('containerrecreaterequests', c.namespace)).map((r) => r.spec.podName).sort(compareNames);

async function stopsAtFailedRestart(c: TestCluster): Promise<void> {
  await c.seedCloneSet({ name: 'web', replicas: 4, containers: ['app', 'sidecar'], strategy: 'InPlaceIfPossible', maxUnavailable: 1 });
  const pods = await podNames(c);
  await c.knobs.failRestart(c.namespace, pods[1], ['app']);
  const run = await plugin(c, ['crr', 'web', '-c', 'app', '--max-unavailable', '1']);
  assert.equal(run.code, 1, run.stderr);
  // The runtime's own words reach the user through Kruise's CRR status.
  assert.match(assertOneLineError(run), new RegExp(`${pods[1]}/app: .*kill container`));
  const app = killsBy(c, 'app', 'crr');
  assert.equal(app.get(pods[0]), 1);
  for (const later of pods.slice(2)) assert.equal(app.has(later), false, `${later} was restarted after the failure`);
  assert.deepEqual(await crrPods(c), pods.slice(0, 2));
  assert.equal(readRecord(await cloneSetOf(c, 'web'))?.finished, 'failed');
}

async function multiContainerNeedsChoice(c: TestCluster): Promise<void> {
  await c.seedCloneSet({ name: 'web', replicas: 1, containers: ['app', 'sidecar'], strategy: 'InPlaceIfPossible' });
  const run = await plugin(c, ['crr', 'web']);
  assert.equal(run.code, 2, run.stderr);
  assert.match(assertOneLineError(run), /app, sidecar/);
  assert.deepEqual(await c.pluginWrites(), []);
}

async function readyTimeoutFailsPod(c: TestCluster): Promise<void> {
  await c.seedCloneSet({ name: 'web', replicas: 3, containers: ['app'], strategy: 'InPlaceIfPossible', maxUnavailable: 1 });
  const pods = await podNames(c);
  await c.knobs.neverReady(c.namespace, pods[0]);
  const timeout = secs(c, 2, 20);
  const run = await plugin(c, ['crr', 'web', '--max-unavailable', '1', '--ready-timeout', `${timeout}s`]);
  assert.equal(run.code, 1, run.stderr);
  assert.match(assertOneLineError(run), new RegExp(`${pods[0]}: not Ready within ${timeout}s after its containers restarted`));
  assert.deepEqual(await crrPods(c), [pods[0]], 'no other pod started');
}

export const crrScenarios: Scenario[] = [
  { title: 'crr -c app restarts each pod once, one CRR each, paced within maxUnavailable 1', run: pacedWithinBudget },
  { title: 'crr --resume of a failed run retries the failed pod with a new request, without --force', run: failedRunResumed },
  { title: 'crr stops at a failed container kill with exit 1 naming the pod; later pods untouched, the run recorded failed', run: stopsAtFailedRestart },
  { title: 'crr on multi-container pods without -c or --all-containers is refused, listing the containers', run: multiContainerNeedsChoice },
  { title: 'crr fails a pod not Ready within --ready-timeout after its restart and starts no other', run: readyTimeoutFailsPod },
];
