// status on either backend, and the two Kruise v1.9 status habits the plugin must read right: zero counts left out
// (omitempty), and a FailedUpdate condition that predates the restart.
import assert from 'node:assert/strict';
import type { TestCluster } from '../backend/index';
import { KEY, cloneSetOf, killsBy, plugin, podsOf, secs, type Scenario } from './util';

async function omitemptyStatus(c: TestCluster): Promise<void> {
  // Long enough to look at the CloneSet between Ready and available, short enough for real time.
  const minReady = secs(c, 300, 20);
  await c.seedCloneSet({ name: 'web', replicas: 1, strategy: 'InPlaceIfPossible', triggerAnnotation: KEY, extra: { minReadySeconds: minReady } });
  const run = await plugin(c, ['inplace', 'web', '--no-wait']);
  assert.equal(run.code, 0, run.stderr);
  await c.waitFor(async () => killsBy(c, 'app', 'inplace').size === 1 && (await cloneSetOf(c, 'web')).status?.updatedReadyReplicas === 1, secs(c, 20, 60) * 1000, 'the pod restarted and Ready');
  const status = (await cloneSetOf(c, 'web')).status as Record<string, unknown>;
  assert.ok(!('updatedAvailableReplicas' in status), `the zero count is left out: ${JSON.stringify(status)}`);
  const early = await plugin(c, ['status', 'web', '-o', 'json']);
  const doc = JSON.parse(early.stdout) as { complete: boolean; message: string };
  assert.equal(doc.complete, false, doc.message);
  assert.match(doc.message, /0 of 1 updated replicas available/);
  await c.waitFor(async () => (await cloneSetOf(c, 'web')).status?.updatedAvailableReplicas === 1, (minReady + 30) * 1000, 'minReadySeconds to pass');
  const late = await plugin(c, ['status', 'web', '-o', 'json']);
  assert.equal(late.code, 0, late.stderr);
  assert.equal((JSON.parse(late.stdout) as { complete: boolean }).complete, true);
}

async function staleFailedUpdate(c: TestCluster): Promise<void> {
  await c.seedCloneSet({ name: 'web', replicas: 2, strategy: 'InPlaceIfPossible', maxUnavailable: 1, triggerAnnotation: KEY });
  const stale = { type: 'FailedUpdate', status: 'True', lastTransitionTime: '2026-01-01T00:00:00Z', lastUpdateTime: '2026-01-01T00:00:00Z', reason: '', message: 'an update error from long ago' };
  const cs = await cloneSetOf(c, 'web');
  const put = await c.api('PATCH', `/apis/apps.kruise.io/v1alpha1/namespaces/${c.namespace}/clonesets/web/status`, { status: { ...cs.status, conditions: [stale] } }, { contentType: 'application/merge-patch+json' });
  assert.equal(put.status, 200, put.text);
  const [pod] = await podsOf(c, 'web');
  await c.knobs.neverReady(c.namespace, pod.metadata.name!);
  const run = await plugin(c, ['inplace', 'web', '--timeout', `${secs(c, 5, 20)}s`, '-o', 'json']);
  assert.equal(run.code, 3, run.stderr + run.stdout);
  const doc = JSON.parse(run.stdout) as { diagnoses: Array<{ kind: string }> };
  assert.ok(!doc.diagnoses.some((d) => d.kind === 'update-failed'), JSON.stringify(doc.diagnoses));
  const st = await plugin(c, ['status', 'web', '-o', 'json']);
  assert.ok(!(JSON.parse(st.stdout) as { diagnoses: Array<{ kind: string }> }).diagnoses.some((d) => d.kind === 'update-failed'), st.stdout);
}

async function neverRestarted(c: TestCluster): Promise<void> {
  await c.seedCloneSet({ name: 'web', replicas: 3, strategy: 'InPlaceIfPossible', triggerAnnotation: KEY });
  const run = await plugin(c, ['status', 'web']);
  assert.equal(run.code, 0, run.stderr);
  assert.match(run.stdout, /No restart recorded/);
  assert.equal((run.stdout.match(/web-\w{5}/g) ?? []).length, 3);
  const doc = JSON.parse((await plugin(c, ['status', 'web', '-o', 'json'])).stdout) as { mode: string; state: string; complete: boolean; eta: unknown };
  assert.deepEqual([doc.mode, doc.state, doc.complete, doc.eta], ['none', 'none', false, null]);
  const watched = await plugin(c, ['status', 'web', '-w', '--timeout', '5s', '-o', 'json']);
  assert.equal(watched.code, 0, watched.stderr);
  assert.equal((JSON.parse(watched.stdout) as { outcome: string }).outcome, 'none');
  assert.deepEqual(await c.pluginWrites(), []);
}

async function followsToTheEnd(c: TestCluster): Promise<void> {
  await c.seedCloneSet({ name: 'web', replicas: 4, strategy: 'InPlaceIfPossible', maxUnavailable: 1, triggerAnnotation: KEY });
  const trigger = await plugin(c, ['inplace', 'web', '--no-wait']);
  assert.equal(trigger.code, 0, trigger.stderr);
  const follow = await plugin(c, ['status', 'web', '-w', '--timeout', `${secs(c, 30, 180)}s`]);
  assert.equal(follow.code, 0, follow.stderr + follow.stdout);
  assert.ok(!follow.stdout.includes('\u001b'), 'no escape codes off a terminal');
  const lines = follow.stdout.trim().split('\n');
  assert.ok(lines.every((l) => /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ /.test(l)), follow.stdout);
  assert.match(lines[lines.length - 1], /restart complete: 4 of 4 pods restarted/);
  assert.equal(killsBy(c, 'app', 'inplace').size, 4);
  const doc = JSON.parse((await plugin(c, ['status', 'web', '-o', 'json'])).stdout) as { complete: boolean; failed: boolean; mode: string; summary: { total: number; restarted: number } };
  assert.deepEqual([doc.complete, doc.failed, doc.mode, doc.summary.total, doc.summary.restarted], [true, false, 'inplace', 4, 4]);
}

export const statusScenarios: Scenario[] = [
  { title: 'omitempty status: an absent updatedAvailableReplicas is 0, so status says not complete until minReadySeconds pass', run: omitemptyStatus },
  { title: 'a FailedUpdate condition older than the restart is not blamed (inplace and status)', run: staleFailedUpdate },
  { title: 'status of a never-restarted CloneSet: no restart recorded, mode none, -w exits 0, nothing written', run: neverRestarted },
  { title: 'status -w follows an inplace restart to the end: timestamped lines, no escape codes, then complete in -o json', run: followsToTheEnd },
];
