// Interrupted runs on either backend: crr killed with SIGKILL mid-run, then --resume; each pod restarted exactly once.
import assert from 'node:assert/strict';
import type { TestCluster } from '../backend/index';
import { PluginProcess, assertOneLineError } from '../e2e/harness';
import { readRecord } from '../../src/kruise/record';
import type { CloneSet, ContainerRecreateRequest } from '../../src/kruise/types';
import { assertCrrExactlyOnce, runIdOf } from './crr';
import { cloneSetOf, KEY, killsBy, plugin, podsOf, secs, type Scenario } from './util';

async function sigkillThenResume(c: TestCluster): Promise<void> {
  await c.seedCloneSet({ name: 'web', replicas: 4, containers: ['app', 'sidecar'], strategy: 'InPlaceIfPossible', maxUnavailable: 1 });
  const pods = (await podsOf(c, 'web')).map((p) => p.metadata.name!).sort();
  const first = new PluginProcess(['crr', 'web', '-c', 'app'], { kubeconfig: c.writeKubeconfig(), timeoutMs: 240_000 });
  await first.waitFor(/^run \S+$/m, 60_000);
  const id = runIdOf(first.stderr);
  // Mid-run: the record is on the CloneSet and some, not all, CRRs exist.
  await c.waitFor(
    async () => readRecord(await cloneSetOf(c, 'web'))?.run === id && (await c.list<ContainerRecreateRequest>('containerrecreaterequests', c.namespace)).length >= 2,
    120_000,
    'the run record and 2 CRRs',
  );
  first.child.kill('SIGKILL');
  const stopped = await first.done;
  assert.equal(stopped.signal, 'SIGKILL');
  const created = (await c.list('containerrecreaterequests', c.namespace)).length;
  assert.ok(created < pods.length, `the kill came too late to test anything (${created} CRRs)`);

  // The dead run's heartbeat is still fresh, but its process was on this machine and is provably gone: no --force.
  const resumed = await plugin(c, ['crr', 'web', '--resume', id]);
  assert.equal(resumed.code, 0, resumed.stderr + resumed.stdout);
  assert.match(resumed.stderr, new RegExp(`run ${id}: its process \\(pid ${first.child.pid} on \\S+\\) is gone, so it is resumed at once`));
  assert.match(resumed.stderr, new RegExp(`run ${id} completed: 4 of 4 pods restarted`));
  await assertCrrExactlyOnce(c, pods, 'after --resume');
  assert.equal(readRecord((await cloneSetOf(c, 'web')) as CloneSet)?.finished, 'completed');
  assert.ok(c.maxUnavailableSeen(c.namespace, 'web') <= 1, `max unavailable ${c.maxUnavailableSeen(c.namespace, 'web')}`);
}

async function crrTimeoutThenResume(c: TestCluster): Promise<void> {
  await c.seedCloneSet({ name: 'web', replicas: 4, containers: ['app', 'sidecar'], strategy: 'InPlaceIfPossible', maxUnavailable: 1 });
  const pods = (await podsOf(c, 'web')).map((p) => p.metadata.name!).sort();
  // Slow readiness after each restart: a timeout that leaves room for at most one pod of four, one at a time.
  for (const p of pods) await c.knobs.readyDelay(c.namespace, p, secs(c, 100, 6));
  const timeout = secs(c, 1, 8);
  const first = await plugin(c, ['crr', 'web', '-c', 'app', '--max-unavailable', '1', '--timeout', `${timeout}s`]);
  assert.equal(first.code, 3, first.stderr);
  const id = runIdOf(first.stderr);
  const line = assertOneLineError(first);
  assert.match(line, new RegExp(`timed out after ${timeout}s: \\d+ of 4 pods restarted`));
  assert.ok(line.includes(`resume with: kubectl kruise-restart crr web -n ${c.namespace} --resume ${id}`), line);
  assert.ok((await c.list('containerrecreaterequests', c.namespace)).length < pods.length, 'the timeout stopped creating requests');
  const resumed = await plugin(c, ['crr', 'web', '--resume', id]);
  assert.equal(resumed.code, 0, resumed.stderr);
  await assertCrrExactlyOnce(c, pods, 'after the timeout and --resume');
  assert.equal(readRecord(await cloneSetOf(c, 'web'))?.finished, 'completed');
}

async function inplaceKilledAfterTrigger(c: TestCluster): Promise<void> {
  await c.seedCloneSet({ name: 'web', replicas: 4, containers: ['app', 'sidecar'], strategy: 'InPlaceIfPossible', maxUnavailable: 1, triggerAnnotation: KEY, wiredContainers: ['app'] });
  const pods = (await podsOf(c, 'web')).map((p) => p.metadata.name!).sort();
  const first = new PluginProcess(['inplace', 'web'], { kubeconfig: c.writeKubeconfig(), timeoutMs: 240_000 });
  // Killed as soon as the server has applied the trigger: possibly before the plugin even read the answer.
  await c.waitFor(async () => (await c.pluginWrites()).some((w) => w.verb === 'patch' && w.resource === 'clonesets'), 60_000, 'the trigger patch');
  first.child.kill('SIGKILL');
  assert.equal((await first.done).signal, 'SIGKILL');
  const follow = await plugin(c, ['status', 'web', '-w', '--timeout', `${secs(c, 30, 180)}s`]);
  assert.equal(follow.code, 0, follow.stderr + follow.stdout);
  assert.match(follow.stdout, /restart complete: 4 of 4 pods restarted/);
  const app = killsBy(c, 'app', 'inplace');
  assert.deepEqual(pods.filter((p) => app.get(p) !== 1), [], `each app restarted once: ${JSON.stringify([...app])}`);
  assert.equal(killsBy(c, 'sidecar', 'inplace').size, 0);
  assert.equal((await c.pluginWrites()).filter((w) => w.verb === 'patch' && w.resource === 'clonesets').length, 1, 'one trigger, no second restart');
  assert.equal(readRecord(await cloneSetOf(c, 'web'))?.mode, 'inplace');
}

export const interruptionScenarios: Scenario[] = [
  { title: 'crr killed by SIGKILL mid-run, then crr --resume <id>: every pod restarted exactly once', run: sigkillThenResume },
  { title: 'crr --timeout: exit 3 with the resume command, and the resume completes the run exactly once', run: crrTimeoutThenResume },
  { title: 'inplace killed by SIGKILL right after its trigger: status -w follows the restart to the end, each pod once', run: inplaceKilledAfterTrigger },
];
