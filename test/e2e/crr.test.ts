// Emulator only: simulated time and the request log. crr's key behaviours (paced restart, failed kill, ready timeout,
// container choice) run on both backends from test/scenarios/crr.ts via test/e2e/scenarios.test.ts.
// `crr` end to end: the built binary against the emulated API server and simulated OpenKruise.
import assert from 'node:assert/strict';
import { startCluster, type Cluster } from '../cluster/index';
import { call } from '../cluster/http-client';
import { loadCrds, validate } from '../cluster/schema';
import { compareNames } from '../../src/kruise/crr-plan';
import { readRecord } from '../../src/kruise/record';
import { PLUGIN, type CloneSet, type ContainerRecreateRequest, type Pod } from '../../src/kruise/types';
import { PluginProcess, assertOneLineError, requireBuild, runPlugin } from './harness';

const NS = 'default';

function podNames(cluster: Cluster): string[] {
  return cluster
    .list<Pod>('pods', NS)
    .map((p) => p.metadata.name ?? '')
    .sort(compareNames);
}

function crrsOf(cluster: Cluster): ContainerRecreateRequest[] {
  return cluster.list<ContainerRecreateRequest>('containerrecreaterequests', NS);
}

/** Restarts per pod and container, from the emulator's own log (what actually happened on the "nodes"). */
function restartsBy(cluster: Cluster, container: string): Map<string, number> {
  const counts = new Map<string, number>();
  for (const r of cluster.restartLog) if (r.container === container) counts.set(r.pod, (counts.get(r.pod) ?? 0) + 1);
  return counts;
}

function runIdOf(stderr: string): string {
  const m = /^run (\d{8}-\d{6}-[0-9a-z]{4})$/m.exec(stderr);
  assert.ok(m, `no "run <id>" line on stderr:\n${stderr}`);
  return m[1];
}

function assertEveryPodRestartedOnce(cluster: Cluster, pods: string[]): void {
  const app = restartsBy(cluster, 'app');
  for (const pod of pods) assert.equal(app.get(pod), 1, `app of ${pod} restarted ${app.get(pod) ?? 0} times`);
  assert.equal(restartsBy(cluster, 'sidecar').size, 0, 'no sidecar restarted');
  const perPod = new Map<string, number>();
  for (const c of crrsOf(cluster)) perPod.set(c.spec.podName, (perPod.get(c.spec.podName) ?? 0) + 1);
  for (const pod of pods) assert.equal(perPod.get(pod), 1, `${pod} has ${perPod.get(pod) ?? 0} CRRs`);
}

describe('crr (built binary, emulated cluster)', function () {
  this.timeout(120_000);
  let cluster: Cluster | undefined;

  before(() => requireBuild());
  afterEach(async () => {
    await cluster?.stop();
    cluster = undefined;
  });

  /** Typed as always there, so the tests read plainly; afterEach stops it. */
  const start = async (o: Parameters<typeof startCluster>[0]) => (cluster = await startCluster(o));
  const crr = (args: string[], timeoutMs = 90_000) => runPlugin(['crr', ...args], { kubeconfig: cluster?.kubeconfigPath, timeoutMs });

  it('restarts app in all 20 pods, one CRR each, sidecar untouched, never above the budget', async () => {
    const cluster = await start({ speed: 20 });
    await cluster.seedCloneSet({ name: 'web', replicas: 20, containers: ['app', 'sidecar'] });
    cluster.clearLog();
    const run = await crr(['web', '-c', 'app']);
    assert.equal(run.code, 0, run.stderr);
    const pods = podNames(cluster);
    assert.equal(pods.length, 20);
    assertEveryPodRestartedOnce(cluster, pods);
    // Default budget: the CloneSet's 20% of 20.
    assert.ok(cluster.maxUnavailableSeen(NS, 'web') <= 4, `history ${cluster.unavailableHistory(NS, 'web').join(',')}`);

    const schema = loadCrds()?.find((c) => c.kind === 'ContainerRecreateRequest')?.versions.find((v) => v.name === 'v1alpha1')?.schema;
    assert.ok(schema);
    const id = runIdOf(run.stderr);
    assert.equal(run.stderr.split('\n')[0], `run ${id}`, 'the run id comes first');
    for (const c of crrsOf(cluster)) {
      assert.deepEqual(validate(c, schema), [], c.metadata.name);
      assert.equal(c.metadata.labels?.[PLUGIN.runLabel], id);
      assert.equal(c.metadata.labels?.[PLUGIN.cloneSetLabel], 'web');
      assert.deepEqual(c.spec.containers.map((x) => x.name), ['app']);
    }
    const record = readRecord(cluster.get<CloneSet>('clonesets', NS, 'web') as CloneSet);
    assert.equal(record?.run, id);
    assert.equal(record?.finished, 'completed');
    assert.deepEqual(record?.pods, pods);

    // API economy: one create per pod, and a small fixed number of other requests.
    const others = cluster.requests.filter((r) => !(r.verb === 'create' && r.resource === 'containerrecreaterequests'));
    assert.equal(cluster.requests.length - others.length, 20);
    assert.ok(others.length <= 14, `${others.length} other requests: ${others.map((r) => `${r.verb} ${r.resource}`).join(', ')}`);
  });

  it('stops at a failed restart with exit 1 naming the pod; later pods are untouched', async () => {
    const cluster = await start({ speed: 20 });
    await cluster.seedCloneSet({ name: 'web', replicas: 6, containers: ['app', 'sidecar'] });
    const pods = podNames(cluster);
    cluster.knobs.failRestart(pods[2], 'app');
    cluster.clearLog();
    const run = await crr(['web', '-c', 'app', '--max-unavailable', '1']);
    assert.equal(run.code, 1, run.stderr);
    const line = assertOneLineError(run);
    assert.match(line, new RegExp(`${pods[2]}/app: kill container error`));
    const app = restartsBy(cluster, 'app');
    assert.equal(app.get(pods[0]), 1);
    assert.equal(app.get(pods[1]), 1);
    for (const later of pods.slice(3)) assert.equal(app.has(later), false, `${later} was restarted`);
    assert.deepEqual(crrsOf(cluster).map((c) => c.spec.podName).sort(compareNames), pods.slice(0, 3));
    assert.equal(readRecord(cluster.get<CloneSet>('clonesets', NS, 'web') as CloneSet)?.finished, 'failed');
  });

  it('--resume of a failed run, without --force, retries the failed pod with a new request and restarts the pods never reached', async () => {
    const cluster = await start({ speed: 20 });
    await cluster.seedCloneSet({ name: 'web', replicas: 5, containers: ['app', 'sidecar'] });
    const pods = podNames(cluster);
    cluster.knobs.failRestart(pods[1], 'app');
    cluster.clearLog();
    const failed = await crr(['web', '-c', 'app', '--max-unavailable', '1']);
    assert.equal(failed.code, 1, failed.stderr);
    const id = runIdOf(failed.stderr);
    assert.equal(readRecord(cluster.get<CloneSet>('clonesets', NS, 'web') as CloneSet)?.finished, 'failed');
    cluster.knobs.repairRestart(pods[1], 'app');

    const resumed = await crr(['web', '--resume', id]);
    assert.equal(resumed.code, 0, resumed.stderr);
    assert.match(resumed.stderr, new RegExp(`retrying 1 failed pod \\(${pods[1]}\\) with new requests`));
    await cluster.whenIdle();
    const app = restartsBy(cluster, 'app');
    for (const pod of pods) assert.equal(app.get(pod), 1, `app of ${pod} restarted ${app.get(pod) ?? 0} times`);
    const requests = crrsOf(cluster).filter((c) => c.spec.podName === pods[1]).map((c) => c.metadata.name ?? '').sort();
    assert.equal(requests.length, 2, `${pods[1]}: the failed request and its retry`);
    assert.ok(requests.includes(`${pods[1]}-${id}-r2`), requests.join(', '));
    assert.equal(readRecord(cluster.get<CloneSet>('clonesets', NS, 'web') as CloneSet)?.finished, 'completed');

    // A completed run is never resumed.
    const again = await crr(['web', '--resume', id]);
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stderr, /already completed: nothing to do/);
    assert.equal(restartsBy(cluster, 'app').get(pods[0]), 1);
  });

  for (const signal of ['SIGINT', 'SIGKILL'] as const) {
    it(`finishes a run stopped by ${signal} with --resume, every pod restarted exactly once`, async () => {
      const cluster = await start({ speed: 2 });
      await cluster.seedCloneSet({ name: 'web', replicas: 10, containers: ['app', 'sidecar'] });
      cluster.clearLog();
      const first = new PluginProcess(['crr', 'web', '-c', 'app', '--max-unavailable', '2'], { kubeconfig: cluster.kubeconfigPath, timeoutMs: 90_000 });
      await first.waitFor(/-> restarted[\s\S]*-> restarted/);
      first.child.kill(signal);
      const stopped = await first.done;
      const id = runIdOf(stopped.stderr);
      if (signal === 'SIGINT') {
        assert.equal(stopped.code, 130, stopped.stderr);
        assert.ok(stopped.stderr.includes(`kubectl kruise-restart crr web -n default --resume ${id}`), stopped.stderr);
      } else assert.equal(stopped.signal, 'SIGKILL');
      const before = restartsBy(cluster, 'app').size;
      assert.ok(before >= 2 && before < 10, `${before} pods restarted before the stop`);

      // The unfinished run blocks a new one until the user says which.
      const refused = await crr(['web', '-c', 'app']);
      assert.equal(refused.code, 2, refused.stderr);
      assert.match(assertOneLineError(refused), new RegExp(`--resume ${id}`));

      // A killed process cannot say it stopped and its heartbeat is still fresh, but on the machine it ran on its pid is
      // provably gone: the resume goes ahead at once, without --force, and says why.
      const resumed = await crr(['web', '--resume', id]);
      assert.equal(resumed.code, 0, resumed.stderr);
      if (signal === 'SIGKILL') assert.match(resumed.stderr, new RegExp(`^run ${id}: its process \\(pid ${first.child.pid} on \\S+\\) is gone, so it is resumed at once$`, 'm'));
      assert.doesNotMatch(resumed.stderr, /--force/);
      await cluster.whenIdle();
      assertEveryPodRestartedOnce(cluster, podNames(cluster));
      assert.ok(cluster.maxUnavailableSeen(NS, 'web') <= 2, `history ${cluster.unavailableHistory(NS, 'web').join(',')}`);
      assert.equal(readRecord(cluster.get<CloneSet>('clonesets', NS, 'web') as CloneSet)?.finished, 'completed');
    });
  }

  it('refuses multi-container pods without -c or --all-containers, listing the containers', async () => {
    const cluster = await start({ speed: 20 });
    await cluster.seedCloneSet({ name: 'web', replicas: 2, containers: ['app', 'sidecar'] });
    cluster.clearLog();
    const run = await crr(['web']);
    assert.equal(run.code, 2);
    assert.match(assertOneLineError(run), /app, sidecar/);
    assert.deepEqual(cluster.writes(), []);
  });

  it('prints the plan with --dry-run and writes nothing', async () => {
    const cluster = await start({ speed: 20 });
    await cluster.seedCloneSet({ name: 'web', replicas: 10, containers: ['app', 'sidecar'] });
    cluster.clearLog();
    const text = await crr(['web', '-c', 'app', '--dry-run']);
    assert.equal(text.code, 0, text.stderr);
    assert.match(text.stdout, /10 pods .* 2 at a time \(about 5 batches\)/);
    const json = await crr(['web', '--all-containers', '--dry-run=server', '-o', 'json', '--max-unavailable', '50%']);
    assert.equal(json.code, 0, json.stderr);
    const doc = JSON.parse(json.stdout) as { pods: string[]; containers: string[]; batches: number; maxUnavailable: number };
    assert.deepEqual(doc.pods, podNames(cluster));
    assert.deepEqual(doc.containers, ['app', 'sidecar']);
    assert.equal(doc.maxUnavailable, 5);
    assert.equal(doc.batches, 2);
    assert.deepEqual(cluster.writes(), []);
    assert.equal(crrsOf(cluster).length, 0);
  });

  it('skips and lists pods that are terminating, and restarts the rest; -o json prints the final progress', async () => {
    const cluster = await start({ speed: 20 });
    await cluster.seedCloneSet({ name: 'web', replicas: 4, containers: ['app'] });
    const [stuck] = podNames(cluster);
    // A finalizer keeps the deleted pod terminating, as a stuck volume detach would.
    const path = `/api/v1/namespaces/${NS}/pods/${stuck}`;
    assert.equal((await call(cluster, 'PATCH', path, { metadata: { finalizers: ['example.com/hold'] } }, { contentType: 'application/merge-patch+json' })).status, 200);
    assert.equal((await call(cluster, 'DELETE', path)).status, 200);
    await cluster.waitFor(() => cluster.list<Pod>('pods', NS).filter((p) => !p.metadata.deletionTimestamp && p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')).length === 4, 10_000, 'a ready replacement');
    cluster.clearLog();

    const plan = await crr(['web', '--dry-run']);
    assert.equal(plan.code, 0, plan.stderr);
    assert.match(plan.stdout, new RegExp(`skipped: ${stuck}: terminating`));

    const run = await crr(['web', '-o', 'json']);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stderr, new RegExp(`skipping pod ${stuck}: terminating`));
    assert.equal(crrsOf(cluster).some((c) => c.spec.podName === stuck), false);
    const doc = JSON.parse(run.stdout) as { complete: boolean; mode: string; summary: { total: number; restarted: number } };
    assert.equal(doc.mode, 'crr');
    assert.equal(doc.complete, true);
    assert.deepEqual([doc.summary.total, doc.summary.restarted], [4, 4]);
  });

  it('fails a pod whose restarted container never gets Ready within --ready-timeout, and starts no other', async () => {
    const cluster = await start({ speed: 20 });
    await cluster.seedCloneSet({ name: 'web', replicas: 4, containers: ['app'] });
    const pods = podNames(cluster);
    cluster.knobs.neverReady(pods[0]);
    await cluster.whenIdle();
    cluster.clearLog();
    const run = await crr(['web', '--max-unavailable', '1', '--ready-timeout', '2s']);
    assert.equal(run.code, 1, run.stderr);
    assert.match(assertOneLineError(run), new RegExp(`${pods[0]}: not Ready within 2s after its containers restarted`));
    assert.deepEqual(crrsOf(cluster).map((c) => c.spec.podName), [pods[0]]);
  });

  it('checks its flags before touching any cluster', async () => {
    for (const [args, pattern] of [
      [['web', '--active-deadline', '2'], /--active-deadline must be at least 3/],
      [['web', '--resume', '20261126-101500-abcd', '--new'], /--resume and --new cannot be combined/],
      [['web', '--resume', '20261126-101500-abcd', '-c', 'app'], /--resume takes --container from the run/],
      [['web', '--resume', 'latest'], /invalid run id/],
      [['web', '--max-unavailable', 'ten'], /--max-unavailable: "ten" is not a number/],
      [['web', '--max-unavailable', '0'], /would never restart anything/],
      [['web', '--pod', 'Bad_Name'], /--pod: invalid pod name/],
      [['web', '-l', 'zone=(a'], /-l\/--selector/],
      [['web', '--min-ready-seconds', '1.5'], /--min-ready-seconds must be a whole number/],
      [['web', '-c', 'app', '--all-containers'], /cannot be combined/],
    ] as const) {
      const run = await runPlugin(['crr', ...args], { kubeconfig: '/nonexistent/kubeconfig' });
      assert.equal(run.code, 2, `${args.join(' ')}: ${run.stderr}`);
      assert.match(assertOneLineError(run), pattern, args.join(' '));
    }
  });

  it('--pod naming a stranger suggests a command that works as typed; one pod is "1 pod"; the end writes an Event', async () => {
    const cluster = await start({ speed: 20 });
    await cluster.seedCloneSet({ name: 'web', replicas: 3, containers: ['app', 'sidecar'] });
    const stranger = await crr(['web', '-c', 'app', '--pod', 'nosuch']);
    assert.equal(stranger.code, 2, stranger.stderr);
    const line = assertOneLineError(stranger);
    assert.match(line, /pod "nosuch" is not a pod of this CloneSet: list them with: kubectl get pods -n default -l app=web$/);
    assert.doesNotMatch(line, /<[^>]+>/, 'no placeholder left');
    const one = podNames(cluster)[0];
    const run = await crr(['web', '-c', 'app', '--pod', one]);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stderr, /restarting 1 container app in 1 pod of CloneSet/);
    assert.match(run.stderr, /completed: 1 of 1 pod restarted/);
    assert.doesNotMatch(run.stderr, /\b1 pods\b|\b1 containers\b/);
    const events = cluster.list<{ reason: string; message: string }>('events', NS);
    assert.ok(events.some((e) => e.reason === 'RestartCompleted' && e.message.includes(runIdOf(run.stderr))), JSON.stringify(events.map((e) => e.reason)));
  });
});
