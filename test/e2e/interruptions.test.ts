// Emulator only: seeded trials at simulated speed. SIGKILL + --resume, crr --timeout + --resume and inplace killed
// after its trigger run on both backends from test/scenarios/interruptions.ts.
// Nothing done twice, nothing skipped: `crr` stopped at seeded random points (SIGINT and SIGKILL) and resumed, and
// `inplace` stopped right after its trigger, end with every selected pod restarted exactly once, per the emulator's
// own restart log (what happened on the "nodes", not what the plugin believes).
import assert from 'node:assert/strict';
import { startCluster, type Cluster } from '../cluster/index';
import { readRecord } from '../../src/kruise/record';
import type { CloneSet, ContainerRecreateRequest, Pod } from '../../src/kruise/types';
import { PluginProcess, assertOneLineError, requireBuild, runPlugin } from './harness';
import { mulberry32 } from '../cluster/faults';

const NS = 'default';
const KEY = 'team.example.com/restart-token';
const PODS = 8;
const BUDGET = 2;
const TRIALS = 30;


interface Trial {
  index: number;
  signal: 'SIGINT' | 'SIGKILL';
  /** Stop once this many CRRs exist (0: right after the run record is on the CloneSet). */
  afterCrrs: number;
  /** Then wait this long (wall ms) so the stop also lands between creations, not only right after one. */
  extraMs: number;
}

const random = mulberry32(20261126);
const trials: Trial[] = Array.from({ length: TRIALS }, (_, index) => ({
  index,
  signal: index % 2 === 0 ? 'SIGINT' : 'SIGKILL',
  afterCrrs: Math.floor(random() * (PODS - 1)),
  extraMs: Math.floor(random() * 60),
}));

function podNames(cluster: Cluster): string[] {
  return cluster
    .list<Pod>('pods', NS)
    .map((p) => p.metadata.name ?? '')
    .sort();
}

function crrsOf(cluster: Cluster): ContainerRecreateRequest[] {
  return cluster.list<ContainerRecreateRequest>('containerrecreaterequests', NS);
}

function recordOf(cluster: Cluster) {
  return readRecord(cluster.get<CloneSet>('clonesets', NS, 'web') as CloneSet);
}

function runIdOf(stderr: string): string {
  const m = /^run (\d{8}-\d{6}-[0-9a-z]{4})$/m.exec(stderr);
  assert.ok(m, `no "run <id>" line on stderr:\n${stderr}`);
  return m[1];
}

function restarts(cluster: Cluster, container: string, cause: 'crr' | 'inplace'): Map<string, number> {
  const counts = new Map<string, number>();
  for (const r of cluster.restartLog) if (r.container === container && r.cause === cause) counts.set(r.pod, (counts.get(r.pod) ?? 0) + 1);
  return counts;
}

function assertExactlyOnce(cluster: Cluster, pods: string[], cause: 'crr' | 'inplace', what: string): void {
  const app = restarts(cluster, 'app', cause);
  const wrong = pods.filter((p) => app.get(p) !== 1).map((p) => `${p}: ${app.get(p) ?? 0}`);
  assert.deepEqual(wrong, [], `${what}: pods not restarted exactly once`);
  assert.equal(app.size, pods.length, `${what}: restarts outside the selected pods`);
  assert.equal(restarts(cluster, 'sidecar', cause).size, 0, `${what}: a sidecar restarted`);
  assert.equal(cluster.restartLog.filter((r) => r.cause === 'recreate').length, 0, `${what}: a pod was recreated`);
}

describe('interruptions (seeded): crr resumed after SIGINT/SIGKILL, inplace stopped after its trigger', function () {
  this.timeout(60_000);
  let cluster: Cluster | undefined;

  before(requireBuild);
  afterEach(async () => {
    await cluster?.stop();
    cluster = undefined;
  });

  const fresh = async (): Promise<Cluster> => {
    const c = await startCluster({ speed: 20, namespace: NS });
    cluster = c;
    return c;
  };

  it(`draws ${TRIALS} trials mixing SIGINT and SIGKILL at different points`, () => {
    assert.equal(trials.filter((t) => t.signal === 'SIGINT').length, TRIALS / 2);
    assert.ok(new Set(trials.map((t) => t.afterCrrs)).size >= 5, 'stop points spread over the run');
  });

  for (const t of trials) {
    it(`trial ${t.index + 1}: ${t.signal} after ${t.afterCrrs} CRRs (+${t.extraMs} ms), then --resume`, async () => {
      const c = await fresh();
      await c.seedCloneSet({ name: 'web', replicas: PODS, containers: ['app', 'sidecar'] });
      const pods = podNames(c);
      c.clearLog();

      const first = new PluginProcess(['crr', 'web', '-c', 'app', '--max-unavailable', String(BUDGET)], { kubeconfig: c.kubeconfigPath, timeoutMs: 30_000 });
      await first.waitFor(/^run \S+$/m);
      const id = runIdOf(first.stderr);
      // The run record is the point from which a resume is promised; a kill before it leaves nothing to resume.
      await c.waitFor(() => recordOf(c)?.run === id && crrsOf(c).length >= t.afterCrrs, 20_000, `record and ${t.afterCrrs} CRRs`);
      if (t.extraMs > 0) await new Promise((r) => setTimeout(r, t.extraMs));
      first.child.kill(t.signal);
      const stopped = await first.done;
      const createdBeforeStop = crrsOf(c).length;

      if (t.signal === 'SIGINT') {
        assert.equal(stopped.code, 130, `exit ${stopped.code}:\n${stopped.stderr}`);
        assert.match(assertOneLineError(stopped), /interrupted: (\d+ of 8 pods restarted|no pod restarted yet)/);
        assert.ok(stopped.stderr.includes(`resume with: kubectl kruise-restart crr web -n ${NS} --resume ${id}`), stopped.stderr);
      } else {
        assert.equal(stopped.signal, 'SIGKILL');
      }
      assert.ok(createdBeforeStop < PODS, `the stop came too late to test anything (${createdBeforeStop} CRRs)`);

      // After SIGKILL the heartbeat is still fresh, but the killed process ran here and is provably gone: no --force.
      const resumed = await runPlugin(['crr', 'web', '--resume', id], { kubeconfig: c.kubeconfigPath, timeoutMs: 30_000 });
      assert.equal(resumed.code, 0, `resume exit ${resumed.code}:\n${resumed.stderr}`);
      assert.match(resumed.stderr, new RegExp(`run ${id} completed: 8 of 8 pods restarted`));
      await c.whenIdle();

      assertExactlyOnce(c, pods, 'crr', `trial ${t.index + 1}`);
      const perPod = new Map<string, number>();
      for (const r of crrsOf(c)) perPod.set(r.spec.podName, (perPod.get(r.spec.podName) ?? 0) + 1);
      assert.deepEqual([...perPod.entries()].filter(([, n]) => n !== 1), [], 'one CRR per pod');
      assert.equal(perPod.size, PODS);
      assert.equal(recordOf(c)?.finished, 'completed');
      assert.ok(c.maxUnavailableSeen(NS, 'web') <= BUDGET, `unavailable history ${c.unavailableHistory(NS, 'web').join(',')}`);
    });
  }

  it('crr --timeout: exit 3 with the resume command, and the resume completes the run', async () => {
    const c = await startCluster({ speed: 5, namespace: NS });
    cluster = c;
    await c.seedCloneSet({ name: 'web', replicas: PODS, containers: ['app', 'sidecar'] });
    const pods = podNames(c);
    c.clearLog();
    const first = await runPlugin(['crr', 'web', '-c', 'app', '--max-unavailable', '1', '--timeout', '1s'], { kubeconfig: c.kubeconfigPath, timeoutMs: 30_000 });
    assert.equal(first.code, 3, first.stderr);
    const id = runIdOf(first.stderr);
    const line = assertOneLineError(first);
    assert.match(line, /timed out after 1s: \d+ of 8 pods restarted/);
    assert.ok(line.includes(`resume with: kubectl kruise-restart crr web -n ${NS} --resume ${id}`), line);
    assert.ok(crrsOf(c).length < PODS, 'the timeout stopped creating requests');

    const resumed = await runPlugin(['crr', 'web', '--resume', id], { kubeconfig: c.kubeconfigPath, timeoutMs: 30_000 });
    assert.equal(resumed.code, 0, resumed.stderr);
    await c.whenIdle();
    assertExactlyOnce(c, pods, 'crr', 'timeout');
    assert.equal(crrsOf(c).length, PODS);
    assert.equal(recordOf(c)?.finished, 'completed');
  });

  for (const signal of ['SIGINT', 'SIGKILL'] as const) {
    it(`inplace stopped by ${signal} right after its trigger: status -w shows the restart and it completes`, async () => {
      const c = await fresh();
      await c.seedCloneSet({ name: 'web', replicas: PODS, containers: ['app', 'sidecar'], strategy: 'InPlaceIfPossible', maxUnavailable: BUDGET, triggerAnnotation: KEY, wiredContainers: ['app'] });
      const pods = podNames(c);
      c.clearLog();
      const first = new PluginProcess(['inplace', 'web'], { kubeconfig: c.kubeconfigPath, timeoutMs: 30_000 });
      if (signal === 'SIGINT') await first.waitFor(/^triggered /m);
      // A kill as soon as the server has applied the patch: possibly before the plugin even read the answer.
      else await c.waitFor(() => c.writes().some((w) => w.verb === 'patch' && w.resource === 'clonesets'), 20_000, 'the trigger patch');
      first.child.kill(signal);
      const stopped = await first.done;
      if (signal === 'SIGINT') {
        assert.equal(stopped.code, 130, stopped.stderr);
        const line = assertOneLineError(stopped);
        assert.match(line, /stopped watching: .*the restart carries on; follow it with: kubectl kruise-restart status web -n default -w/);
      } else {
        assert.equal(stopped.signal, 'SIGKILL');
      }

      const follow = await runPlugin(['status', 'web', '-w', '--timeout', '30s'], { kubeconfig: c.kubeconfigPath, timeoutMs: 40_000 });
      assert.equal(follow.code, 0, follow.stderr + follow.stdout);
      assert.match(follow.stdout + follow.stderr, /complete/i);
      await c.whenIdle();
      assertExactlyOnce(c, pods, 'inplace', signal);
      const triggers = c.writes().filter((w) => w.verb === 'patch' && w.resource === 'clonesets');
      assert.equal(triggers.length, 1, 'one trigger, no second restart');
      const record = recordOf(c);
      assert.equal(record?.mode, 'inplace');
      const once = await runPlugin(['status', 'web', '-o', 'json'], { kubeconfig: c.kubeconfigPath });
      assert.equal(once.code, 0, once.stderr);
      assert.equal((JSON.parse(once.stdout) as { complete: boolean }).complete, true);
    });
  }
});
