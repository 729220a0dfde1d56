// Staged restarts on either backend: the partition a canary writes is counted by Kruise itself (the real manager on
// the real tier), the user's own partition is back at the end, and a crr run in batches restarts each pod once.
import assert from 'node:assert/strict';
import type { TestCluster } from '../backend/index';
import { cloneSetOf, KEY, killsBy, plugin, podsOf, restartCounts, type Scenario } from './util';

async function canaryThenContinue(c: TestCluster): Promise<void> {
  // 10 replicas with a partition of 2 of the user's own: 8 may restart; a canary of 2, then the other 6.
  await c.seedCloneSet({ name: 'web', replicas: 10, containers: ['app'], strategy: 'InPlaceIfPossible', maxUnavailable: 2, partition: 2, triggerAnnotation: KEY, wiredContainers: ['app'] });
  const before = await podsOf(c, 'web');
  const canary = await plugin(c, ['inplace', 'web', '--canary', '2']);
  assert.equal(canary.code, 0, canary.stderr + canary.stdout);
  const afterCanary = await podsOf(c, 'web');
  const cs = await cloneSetOf(c, 'web');
  assert.equal(cs.spec.updateStrategy?.partition, 8, 'the canary keeps 8 of 10 at the old revision');
  const moved = afterCanary.filter((p) => p.metadata.labels?.['controller-revision-hash'] === cs.status?.updateRevision);
  assert.equal(moved.length, 2, 'Kruise moved exactly 2 pods to the new revision');
  assert.equal(killsBy(c, 'app', 'inplace').size, 2, 'and restarted exactly their app containers');
  const status = await plugin(c, ['status', 'web', '-o', 'json']);
  const doc = JSON.parse(status.stdout);
  assert.deepEqual([doc.state, doc.stage?.name, doc.stage?.phase], ['paused', 'canary', 'holding'], doc.message);

  const rest = await plugin(c, ['inplace', 'web', '--continue']);
  assert.equal(rest.code, 0, rest.stderr + rest.stdout);
  const end = await cloneSetOf(c, 'web');
  assert.equal(end.spec.updateStrategy?.partition, 2, 'the user partition is back');
  const kills = killsBy(c, 'app', 'inplace');
  assert.equal(kills.size, 8, JSON.stringify([...kills]));
  assert.ok([...kills.values()].every((n) => n === 1), 'each restarted exactly once');
  const after = await podsOf(c, 'web');
  const count0 = restartCounts(before, 'app');
  const count1 = restartCounts(after, 'app');
  const restarted = after.filter((p) => (count1.get(p.metadata.uid ?? '') ?? 0) > (count0.get(p.metadata.uid ?? '') ?? 0));
  assert.equal(restarted.length, 8, 'restartCount +1 on exactly 8 pods; the partition kept 2');
  assert.ok(c.maxUnavailableSeen(c.namespace, 'web') <= 2, `max unavailable ${c.maxUnavailableSeen(c.namespace, 'web')}`);
}

async function crrInBatches(c: TestCluster): Promise<void> {
  await c.seedCloneSet({ name: 'web', replicas: 6, containers: ['app'], strategy: 'InPlaceIfPossible', maxUnavailable: 2 });
  const run = await plugin(c, ['crr', 'web', '-c', 'app', '--batches', '3', '--pause', '1s']);
  assert.equal(run.code, 0, run.stderr + run.stdout);
  assert.match(run.stderr, /batch 2 of 3 done: 4 pods of 6 restarted/);
  const kills = killsBy(c, 'app', 'crr');
  assert.equal(kills.size, 6, JSON.stringify([...kills]));
  assert.ok([...kills.values()].every((n) => n === 1), 'each pod once');
}

export const stagedScenarios: Scenario[] = [
  { title: 'inplace --canary 2 of 10 with a partition of 2: Kruise moves exactly 2, --continue the other 6, partition 2 again', run: canaryThenContinue },
  { title: 'crr --batches 3 on 6 pods with a pause: each pod restarted once', run: crrInBatches },
];
