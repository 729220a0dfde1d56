// Interrupted runs on either backend: crr killed with SIGKILL mid-run, then --resume; each pod restarted exactly once.
import assert from 'node:assert/strict';
import type { TestCluster } from '../backend/index';
import { PluginProcess } from '../e2e/harness';
import { readRecord } from '../../src/kruise/record';
import type { CloneSet, ContainerRecreateRequest } from '../../src/kruise/types';
import { assertCrrExactlyOnce, runIdOf } from './crr';
import { cloneSetOf, plugin, podsOf, type Scenario } from './util';

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

  // The dead run's heartbeat is still fresh: taking it over at once needs --force.
  const resumed = await plugin(c, ['crr', 'web', '--resume', id, '--force']);
  assert.equal(resumed.code, 0, resumed.stderr + resumed.stdout);
  assert.match(resumed.stderr, new RegExp(`run ${id} completed: 4 of 4 pods restarted`));
  await assertCrrExactlyOnce(c, pods, 'after --resume');
  assert.equal(readRecord((await cloneSetOf(c, 'web')) as CloneSet)?.finished, 'completed');
  assert.ok(c.maxUnavailableSeen(c.namespace, 'web') <= 1, `max unavailable ${c.maxUnavailableSeen(c.namespace, 'web')}`);
}

export const interruptionScenarios: Scenario[] = [{ title: 'crr killed by SIGKILL mid-run, then crr --resume <id>: every pod restarted exactly once', run: sigkillThenResume }];
