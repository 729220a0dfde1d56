// Staged restarts (canary, batches) with the built binary against the emulated cluster: what restarts in which
// stage, what status shows between stages, --continue from another process, and the user's partition put back.
import assert from 'node:assert/strict';
import type { Cluster } from '../cluster/index';
import { PLUGIN, type CloneSet, type Pod } from '../../src/kruise/types';
import { assertOneLineError, PluginProcess, runPlugin, useEmulatedCluster } from './harness';

const NS = 'shop';
const KEY = 'team.example.com/restart-token';

describe('staged restarts end to end (built binary, emulated cluster)', function () {
  this.timeout(120_000);
  let cluster: Cluster;
  let kubeconfig: string;

  useEmulatedCluster(NS, (started, path) => {
    cluster = started;
    kubeconfig = path;
  });

  const seed = (over: Record<string, unknown> = {}) =>
    cluster.seedCloneSet({ namespace: NS, name: 'web', replicas: 10, containers: ['app'], strategy: 'InPlaceIfPossible', maxUnavailable: 2, triggerAnnotation: KEY, wiredContainers: ['app'], ...over });

  /** In-place restarts of the app container, in the order the kubelet did them. */
  const restarts = () => cluster.restartLog.filter((r) => r.container === 'app' && r.cause === 'inplace');
  const perPod = () => {
    const counts = new Map<string, number>();
    for (const r of restarts()) counts.set(r.pod, (counts.get(r.pod) ?? 0) + 1);
    return counts;
  };
  const strategy = () => cluster.get<CloneSet>('clonesets', NS, 'web')!.spec.updateStrategy ?? {};
  const record = () => JSON.parse(cluster.get<CloneSet>('clonesets', NS, 'web')!.metadata.annotations![PLUGIN.lastRestartAnnotation]);
  /** Every partition the CloneSet had, in order, sampled in-process (the stages are seconds apart). */
  const recordPartitions = () => {
    const seen: string[] = [];
    const sample = () => {
      const p = String(strategy().partition ?? 'none');
      if (seen[seen.length - 1] !== p) seen.push(p);
    };
    sample();
    const timer = setInterval(sample, 5);
    return { seen, stop: () => (clearInterval(timer), sample()) };
  };

  for (const partition of [undefined, 2] as const) {
    const label = partition === undefined ? 'no partition' : `a partition of ${partition}`;
    it(`a canary of 2 stops after exactly 2 pods, status shows the stage, --continue from another process finishes the rest, and ${label} is back at the end`, async () => {
      await seed(partition === undefined ? {} : { partition });
      const due = 10 - (partition ?? 0);
      cluster.clearLog();

      const canary = await runPlugin(['inplace', 'web', '--canary', '2', '-o', 'json'], { kubeconfig });
      assert.equal(canary.code, 0, canary.stderr + canary.stdout);
      assert.equal(perPod().size, 2, `restarted after the canary: ${[...perPod().keys()].join(', ')}`);
      assert.match(canary.stderr, /canary done: 2 pods of \d+ restarted/);
      // -o json: one document, the run held, and the way on.
      const held = JSON.parse(canary.stdout);
      assert.deepEqual([held.outcome, held.exitCode, held.state, held.next], ['held', 0, 'paused', 'kubectl kruise-restart inplace web -n shop --continue']);
      assert.match(canary.stderr, /continue with: kubectl kruise-restart inplace web -n shop --continue/);
      assert.equal(strategy().partition, 8, 'the canary keeps 8 of 10 at the old revision');
      assert.equal(record().staged.holding, true);

      const status = await runPlugin(['status', 'web', '-o', 'json'], { kubeconfig });
      assert.equal(status.code, 0, status.stderr);
      const doc = JSON.parse(status.stdout);
      assert.equal(doc.state, 'paused', doc.message);
      assert.equal(doc.complete, false);
      assert.deepEqual([doc.stage.number, doc.stage.of, doc.stage.name, doc.stage.phase], [1, 2, 'canary', 'holding']);
      assert.equal(doc.summary.restarted, 2);
      assert.equal(doc.summary.pending, due - 2);
      const text = await runPlugin(['status', 'web'], { kubeconfig });
      assert.match(text.stdout, /stage 1 of 2 \(canary\)/);

      // A held canary is an unfinished restart: another one is refused, and told the way on.
      const other = await runPlugin(['inplace', 'web'], { kubeconfig });
      assert.equal(other.code, 2, other.stderr);
      assert.match(assertOneLineError(other), /staged in-place restart .*stage 1 of 2 \(canary\).*--continue/);
      const otherCrr = await runPlugin(['crr', 'web', '-c', 'app'], { kubeconfig });
      assert.equal(otherCrr.code, 2, otherCrr.stderr);

      const rest = await runPlugin(['inplace', 'web', '--continue'], { kubeconfig });
      assert.equal(rest.code, 0, rest.stderr + rest.stdout);
      const counts = perPod();
      assert.equal(counts.size, due, `every due pod restarted: ${[...counts.keys()].join(', ')}`);
      assert.ok([...counts.values()].every((n) => n === 1), 'each exactly once');
      // Seeded without one, the webhook defaulted it to 0: that is what was there before.
      assert.equal(strategy().partition, partition ?? 0, 'the original partition is back');
      assert.ok(cluster.maxUnavailableSeen(NS, 'web') <= 2, `max unavailable ${cluster.maxUnavailableSeen(NS, 'web')}`);

      const after = JSON.parse((await runPlugin(['status', 'web', '-o', 'json'], { kubeconfig })).stdout);
      assert.equal(after.complete, true, after.message);
      assert.equal(after.stage.phase, 'last');
      const again = await runPlugin(['inplace', 'web', '--continue'], { kubeconfig });
      assert.equal(again.code, 2, 'nothing left to continue');
      assert.match(assertOneLineError(again), /already over/);
    });
  }

  it('--batches 3 on 9 pods restarts 3, 3, 3, one batch after the other, with the pause between', async () => {
    await seed({ replicas: 9, maxUnavailable: 3 });
    cluster.clearLog();
    const partitions = recordPartitions();
    const run = await runPlugin(['inplace', 'web', '--batches', '3', '--pause', '1s'], { kubeconfig });
    partitions.stop();
    assert.equal(run.code, 0, run.stderr + run.stdout);
    // The webhook defaults a missing partition to 0: that is what is put back.
    assert.deepEqual(partitions.seen, ['0', '6', '3', '0']);
    const order = restarts().map((r) => r.pod);
    assert.equal(new Set(order).size, 9);
    assert.equal(order.length, 9, 'each pod exactly once');
    // Batch by batch: the pods of a batch all restarted before any pod of the next one.
    const stageOf = new Map<string, number>();
    const lines = run.stderr.split('\n');
    assert.equal(lines.filter((l) => /^pausing 1s before the next stage$/.test(l)).length, 2, run.stderr);
    assert.match(run.stderr, /batch 1 of 3 done: 3 pods of 9 restarted/);
    assert.match(run.stderr, /batch 2 of 3 done: 6 pods of 9 restarted/);
    order.forEach((pod, i) => stageOf.set(pod, Math.floor(i / 3)));
    const times = restarts().map((r) => r.at);
    for (const b of [0, 1]) assert.ok(Math.max(...times.slice(b * 3, b * 3 + 3)) <= Math.min(...times.slice(b * 3 + 3, b * 3 + 6)), `batch ${b + 1} before batch ${b + 2}`);
  });

  it('a pod never Ready in batch 2 stops the run there: batch 3 never starts, and the error says how to go on', async () => {
    await seed({ replicas: 9, maxUnavailable: 3 });
    cluster.clearLog();
    const proc = new PluginProcess(['inplace', 'web', '--batches', '3', '--pause', '3s', '--ready-timeout', '3s'], { kubeconfig, env: { KRUISE_RESTART_DIST: process.env.KRUISE_RESTART_DIST } });
    await proc.waitFor(/pausing 3s before the next stage/, 60_000);
    // Every pod still at the old revision will never be Ready again once restarted: batch 2's pods are among them.
    const first = new Set(restarts().map((r) => r.pod));
    const others = cluster.list<Pod>('pods', NS).map((p) => p.metadata.name!).filter((n) => !first.has(n));
    assert.equal(others.length, 6);
    for (const name of others) cluster.knobs.neverReady(name);
    const run = await proc.done;
    assert.equal(run.code, 3, run.stderr + run.stdout);
    const line = assertOneLineError(run);
    assert.match(line, /stopped at stage 2 of 3 \(batch 2 of 3\): not Ready again within the ready timeout/);
    assert.match(line, /inplace web -n shop --continue/);
    const restarted = new Set(restarts().map((r) => r.pod));
    assert.equal(restarted.size, 6, `batches 1 and 2 only: ${[...restarted].join(', ')}`);
    assert.equal(strategy().partition, 3, 'batch 3 was never let through');
    const doc = JSON.parse((await runPlugin(['status', 'web', '-o', 'json'], { kubeconfig })).stdout);
    assert.deepEqual([doc.stage.number, doc.stage.name], [2, 'batch 2 of 3']);
    assert.equal(doc.complete, false);
  });

  it('Ctrl-C during the pause leaves the run interrupted with the way on; --continue from another process finishes it', async () => {
    await seed({ replicas: 6, maxUnavailable: 2 });
    cluster.clearLog();
    const proc = new PluginProcess(['inplace', 'web', '--batches', '2', '--pause', '1m'], { kubeconfig });
    await proc.waitFor(/pausing 1m before the next stage/, 60_000);
    proc.child.kill('SIGINT');
    const run = await proc.done;
    assert.equal(run.code, 130, run.stderr);
    assert.match(assertOneLineError(run), /interrupted between stages \(after batch 1 of 2\).*inplace web -n shop --continue/);
    assert.equal(perPod().size, 3, 'only the first batch');
    const status = await runPlugin(['status', 'web', '-o', 'json'], { kubeconfig });
    assert.equal(status.code, 1, 'an interrupted run will not finish on its own');
    const doc = JSON.parse(status.stdout);
    assert.equal(doc.state, 'interrupted', doc.message);
    assert.equal(doc.resume, 'kubectl kruise-restart inplace web -n shop --continue');
    assert.equal(doc.stage.phase, 'interrupted');
    const rest = await runPlugin(['inplace', 'web', '--continue'], { kubeconfig });
    assert.equal(rest.code, 0, rest.stderr);
    assert.equal(perPod().size, 6);
    assert.ok([...perPod().values()].every((n) => n === 1), 'each exactly once');
  });

  it('--canary-wait goes on by itself when the canary stays Ready, and stops after the canary when it does not', async () => {
    await seed({ replicas: 4, maxUnavailable: 1 });
    cluster.clearLog();
    const healthy = await runPlugin(['inplace', 'web', '--canary', '1', '--canary-wait', '1s'], { kubeconfig });
    assert.equal(healthy.code, 0, healthy.stderr);
    assert.match(healthy.stderr, /watching the canary for 1s before going on/);
    assert.equal(perPod().size, 4);

    cluster.clearLog();
    const proc = new PluginProcess(['inplace', 'web', '--canary', '1', '--canary-wait', '5m'], { kubeconfig });
    await proc.waitFor(/watching the canary for 5m/, 60_000);
    const canary = [...perPod().keys()];
    assert.equal(canary.length, 1);
    cluster.knobs.neverReady(canary[0]);
    const run = await proc.done;
    assert.equal(run.code, 1, run.stderr);
    assert.match(assertOneLineError(run), new RegExp(`the canary did not stay healthy for 5m: canary pod ${canary[0]} is not Ready.*--continue`));
    assert.equal(perPod().size, 1, 'nothing after the canary');
    const doc = JSON.parse((await runPlugin(['status', 'web', '-o', 'json'], { kubeconfig })).stdout);
    assert.equal(doc.stage.name, 'canary');
    assert.equal(doc.complete, false);
  });

  it('a dry run shows the stages and their partitions, and writes nothing', async () => {
    await seed({ partition: '20%' });
    cluster.clearLog();
    const run = await runPlugin(['inplace', 'web', '--canary', '25%', '--batches', '2', '--dry-run'], { kubeconfig });
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /canary: 2 pods \(2 of 8 done after it, partition 8\); then stops until --continue/);
    assert.match(run.stdout, /batch 1 of 2: 3 pods \(5 of 8 done after it, partition 5\)/);
    assert.match(run.stdout, /batch 2 of 2: 3 pods \(8 of 8 done after it, partition 20%\)/);
    const json = JSON.parse((await runPlugin(['inplace', 'web', '--canary', '2', '--dry-run', '-o', 'json'], { kubeconfig })).stdout);
    assert.deepEqual(json.stages.map((s: { size: number; partition: unknown }) => [s.size, s.partition]), [[2, 8], [6, '20%']]);
    assert.equal(cluster.requests.filter((r) => r.method !== 'GET').length, 0, 'no writes');
  });

  it('refuses bad stage flags in one line, before touching the cluster', async () => {
    await seed();
    cluster.clearLog();
    for (const [args, pattern] of [
      [['--canary', '10'], /a canary of 10 would restart all 10 pods/],
      [['--canary', '0'], /--canary 0 would restart nothing/],
      [['--batches', '2', '--batch-size', '3'], /--batches and --batch-size cannot be combined/],
      [['--pause', '1m'], /--pause needs --batches or --batch-size/],
      [['--canary-wait', '1m'], /--canary-wait needs --canary/],
      [['--canary', '2', '--no-wait'], /cannot be combined with --no-wait/],
      [['--continue'], /no staged restart to continue/],
      [['--continue', '--canary', '1'], /--continue takes everything from the run/],
    ] as const) {
      const run = await runPlugin(['inplace', 'web', ...args], { kubeconfig });
      assert.equal(run.code, 2, `${args.join(' ')}: ${run.stderr}`);
      assert.match(assertOneLineError(run), pattern);
    }
    assert.equal(cluster.requests.filter((r) => r.method !== 'GET' && !r.path.includes('selfsubject')).length, 0, 'no writes');
  });

  describe('crr', () => {
    type Crr = { metadata: { name: string; creationTimestamp: string; labels?: Record<string, string> }; spec: { podName: string }; status?: { completionTime?: string } };
    const crrs = () => cluster.list<Crr>('containerrecreaterequests', NS);
    const crrRestarts = () => {
      const counts = new Map<string, number>();
      for (const r of cluster.restartLog) if (r.container === 'app' && r.cause !== 'inplace') counts.set(r.pod, (counts.get(r.pod) ?? 0) + 1);
      return counts;
    };

    it('a canary of 2 stops after exactly 2 pods, status shows the stage, --continue from another process restarts the other 8 once each', async () => {
      await seed({ maxUnavailable: 3 });
      cluster.clearLog();
      const canary = await runPlugin(['crr', 'web', '-c', 'app', '--canary', '2', '-o', 'yaml'], { kubeconfig });
      assert.equal(canary.code, 0, canary.stderr + canary.stdout);
      assert.match(canary.stdout, /^outcome: held$/m);
      assert.match(canary.stdout, /^state: paused$/m);
      assert.equal(crrs().length, 2);
      assert.equal(crrRestarts().size, 2);
      assert.match(canary.stderr, /canary done: 2 pods of 10 restarted/);
      assert.match(canary.stderr, /continue with: kubectl kruise-restart crr web -n shop --continue/);

      const doc = JSON.parse((await runPlugin(['status', 'web', '-o', 'json'], { kubeconfig })).stdout);
      assert.equal(doc.state, 'paused', doc.message);
      assert.deepEqual([doc.stage.number, doc.stage.name, doc.stage.phase], [1, 'canary', 'holding']);
      assert.equal(doc.resume, undefined, 'held, not interrupted');
      const other = await runPlugin(['inplace', 'web'], { kubeconfig });
      assert.equal(other.code, 2);
      assert.match(assertOneLineError(other), /staged crr run .*crr web -n shop --continue/);

      const rest = await runPlugin(['crr', 'web', '--continue'], { kubeconfig });
      assert.equal(rest.code, 0, rest.stderr + rest.stdout);
      const counts = crrRestarts();
      assert.equal(counts.size, 10);
      assert.ok([...counts.values()].every((n) => n === 1), 'each exactly once');
      assert.equal(crrs().length, 10);
      assert.ok(cluster.maxUnavailableSeen(NS, 'web') <= 3, `max unavailable ${cluster.maxUnavailableSeen(NS, 'web')}`);
      const after = JSON.parse((await runPlugin(['status', 'web', '-o', 'json'], { kubeconfig })).stdout);
      assert.equal(after.complete, true, after.message);
    });

    it('--batches 3 on 9 pods: each batch finished before the next starts, with the pause; a pod never Ready in batch 2 stops the run there', async () => {
      await seed({ replicas: 9, maxUnavailable: 3 });
      const plan = JSON.parse((await runPlugin(['crr', 'web', '-c', 'app', '--batches', '3', '--dry-run', '-o', 'json'], { kubeconfig })).stdout);
      assert.deepEqual(plan.stages.map((s: { size: number }) => s.size), [3, 3, 3]);
      const batch = plan.stages.map((s: { pods: string[] }) => s.pods) as string[][];
      cluster.knobs.neverReady(batch[1][0]);
      await cluster.whenIdle();
      cluster.clearLog();
      const run = await runPlugin(['crr', 'web', '-c', 'app', '--batches', '3', '--pause', '1s', '--ready-timeout', '2s'], { kubeconfig });
      assert.equal(run.code, 1, run.stderr + run.stdout);
      const line = assertOneLineError(run);
      assert.match(line, /stopped at stage 2 of 3 \(batch 2 of 3\)/);
      assert.match(line, new RegExp(`${batch[1][0]}: not Ready within 2s`));
      assert.match(line, /crr web -n shop --continue/);
      assert.match(run.stderr, /pausing 1s before the next stage/);
      const created = crrs();
      assert.deepEqual(created.map((c) => c.spec.podName).sort(), [...batch[0], ...batch[1]].sort(), 'no request for batch 3');
      // Batch 1 finished before any request of batch 2 was created.
      const byPod = new Map(created.map((c) => [c.spec.podName, c]));
      const firstDone = Math.max(...batch[0].map((p) => Date.parse(byPod.get(p)!.status!.completionTime!)));
      const secondStart = Math.min(...batch[1].map((p) => Date.parse(byPod.get(p)!.metadata.creationTimestamp)));
      assert.ok(firstDone <= secondStart, 'batch 1 done before batch 2 started');
      const doc = JSON.parse((await runPlugin(['status', 'web', '-o', 'json'], { kubeconfig })).stdout);
      assert.deepEqual([doc.stage.number, doc.stage.name, doc.failed], [2, 'batch 2 of 3', true]);
    });
  });
});
