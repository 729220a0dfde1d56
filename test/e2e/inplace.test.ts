// `inplace` end to end on the emulator only: what needs simulated time (speed 1 rollouts), the request log, fault
// injection or emulator-only clusters (no OpenKruise). Its key behaviours run on both backends, the real kube-apiserver
// + Kruise v1.9.0 included, from test/scenarios/inplace.ts via test/e2e/scenarios.test.ts.
import assert from 'node:assert/strict';
import { startCluster, type Cluster } from '../cluster/index';
import { KRUISE, PLUGIN, type CloneSet, type Pod } from '../../src/kruise/types';
import { assertOneLineError, runPlugin, useEmulatedCluster } from './harness';

const NS = 'shop';
const TEAM_KEY = 'team.example.com/restart-token';

function podsOf(cluster: Cluster, name: string): Pod[] {
  return cluster.list<Pod>('pods', NS).filter((p) => p.metadata.name?.startsWith(`${name}-`) && !p.metadata.deletionTimestamp);
}

function identity(pods: Pod[]): string[] {
  return pods.map((p) => `${p.metadata.name}/${p.metadata.uid}`).sort();
}

function restartsBy(cluster: Cluster, container: string): Map<string, number> {
  const counts = new Map<string, number>();
  for (const r of cluster.restartLog) if (r.container === container && r.cause === 'inplace') counts.set(r.pod, (counts.get(r.pod) ?? 0) + 1);
  return counts;
}

function readRecordOf(cluster: Cluster) {
  return JSON.parse(cluster.get<CloneSet>('clonesets', NS, 'web')!.metadata.annotations![PLUGIN.lastRestartAnnotation]) as { run: string };
}

describe('inplace end to end (built binary, emulated cluster)', function () {
  this.timeout(60_000);
  let cluster: Cluster;
  let kubeconfig: string;

  useEmulatedCluster(NS, (started, path) => {
    cluster = started;
    kubeconfig = path;
  });

  const wiredCloneSet = (over: Record<string, unknown> = {}) =>
    cluster.seedCloneSet({
      namespace: NS,
      name: 'web',
      replicas: 10,
      containers: ['app', 'sidecar'],
      strategy: 'InPlaceIfPossible',
      maxUnavailable: '20%',
      triggerAnnotation: TEAM_KEY,
      wiredContainers: ['app'],
      ...over,
    });

  it("restarts every wired container in place under the team's own key, within maxUnavailable, and again on a second run", async () => {
    await wiredCloneSet();
    const before = identity(podsOf(cluster, 'web'));
    cluster.clearLog();

    const run = await runPlugin(['inplace', 'web', '--reason', 'rotate secret'], { kubeconfig });
    assert.equal(run.code, 0, run.stderr + run.stdout);
    assert.deepEqual(identity(podsOf(cluster, 'web')), before, 'names and UIDs unchanged');
    const app = restartsBy(cluster, 'app');
    assert.equal(app.size, 10);
    assert.ok([...app.values()].every((n) => n === 1), 'each app container restarted exactly once');
    assert.equal(restartsBy(cluster, 'sidecar').size, 0, 'the unwired sidecar never restarted');
    assert.ok(cluster.maxUnavailableSeen(NS, 'web') <= 2, `max unavailable ${cluster.maxUnavailableSeen(NS, 'web')}`);
    assert.match(run.stderr, /not restarted \(no trigger wiring\): sidecar/);
    assert.match(run.stdout, /restart complete/);

    const cs = cluster.get<CloneSet>('clonesets', NS, 'web')!;
    const first = cs.spec.template.metadata!.annotations![TEAM_KEY];
    const record = JSON.parse(cs.metadata.annotations![PLUGIN.lastRestartAnnotation]);
    assert.equal(record.run, first);
    assert.equal(record.reason, 'rotate secret');
    const events = cluster.list<{ reason: string; message: string; involvedObject: { name: string } }>('events', NS);
    assert.ok(events.some((e) => e.reason === 'RestartTriggered' && e.involvedObject.name === 'web' && e.message.includes('rotate secret')));
    // It ends as crr does: a summary line and an Event for the end as well as the start.
    assert.match(run.stderr, new RegExp(`^run ${first.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} completed: 10 of 10 pods restarted$`, 'm'));
    assert.ok(events.some((e) => e.reason === 'RestartCompleted' && e.message.includes(first)), JSON.stringify(events.map((e) => e.reason)));
    assert.match(run.stderr, /1 container app in 10 of 10 pods/);

    const again = await runPlugin(['inplace', 'web', '-o', 'json'], { kubeconfig });
    assert.equal(again.code, 0, again.stderr);
    const doc = JSON.parse(again.stdout);
    assert.equal(doc.complete, true);
    assert.equal(doc.mode, 'inplace');
    assert.equal(doc.summary.restarted, 10);
    const second = cluster.get<CloneSet>('clonesets', NS, 'web')!.spec.template.metadata!.annotations![TEAM_KEY];
    assert.notEqual(second, first);
    assert.ok([...restartsBy(cluster, 'app').values()].every((n) => n === 2));
  });

  it('refuses unsafe starts with exit 2, one line, and no write', async () => {
    await wiredCloneSet();
    await cluster.seedCloneSet({ namespace: NS, name: 'legacy', replicas: 2, strategy: 'ReCreate', triggerAnnotation: TEAM_KEY });
    await cluster.seedCloneSet({ namespace: NS, name: 'held', replicas: 2, strategy: 'InPlaceIfPossible', paused: true, triggerAnnotation: TEAM_KEY });
    await cluster.seedCloneSet({ namespace: NS, name: 'bare', replicas: 2, strategy: 'InPlaceIfPossible' });
    cluster.clearLog();
    const cases: [string[], RegExp][] = [
      [['inplace', 'legacy'], /ReCreate/],
      [['inplace', 'held'], /paused/],
      [['inplace', 'bare'], /not wired.*--setup/],
      [['inplace', 'web', '-c', 'nope'], /unknown container "nope"/],
      [['inplace', 'web', '-c', 'sidecar'], /reads no trigger annotation/],
      [['inplace', 'web', '--setup', '--annotation', 'Bad Key'], /--annotation/],
    ];
    for (const [args, message] of cases) {
      const run = await runPlugin(args, { kubeconfig });
      assert.equal(run.code, 2, `${args.join(' ')}: ${run.stderr}`);
      assert.match(assertOneLineError(run), message);
    }
    assert.deepEqual(cluster.writes(), []);
  });

  it('refuses while a rollout is in progress unless --force', async () => {
    const slow = await startCluster({ speed: 1, namespace: NS, restartSeconds: 2, readySeconds: 5 });
    try {
      await slow.seedCloneSet({ namespace: NS, name: 'web', replicas: 4, strategy: 'InPlaceIfPossible', maxUnavailable: 1, triggerAnnotation: TEAM_KEY });
      const config = slow.writeKubeconfig({ namespace: NS });
      const first = await runPlugin(['inplace', 'web', '--no-wait'], { kubeconfig: config });
      assert.equal(first.code, 0, first.stderr);
      slow.clearLog();
      const refused = await runPlugin(['inplace', 'web'], { kubeconfig: config });
      assert.equal(refused.code, 2, refused.stderr);
      assert.match(assertOneLineError(refused), /still being restarted in place \(run \S+, started .* by admin.*status web -n shop -w.*--force/);
      assert.deepEqual(slow.writes(), []);
      const forced = await runPlugin(['inplace', 'web', '--force', '--no-wait'], { kubeconfig: config });
      assert.equal(forced.code, 0, forced.stderr);
    } finally {
      await slow.stop();
    }
  });

  it('--allow-recreate under ReCreate: a rolling recreate within maxUnavailable, reported as such', async () => {
    await cluster.seedCloneSet({ namespace: NS, name: 'legacy', replicas: 5, strategy: 'ReCreate', maxUnavailable: 1, triggerAnnotation: TEAM_KEY });
    const before = identity(podsOf(cluster, 'legacy'));
    const run = await runPlugin(['inplace', 'legacy', '--allow-recreate'], { kubeconfig });
    assert.equal(run.code, 0, run.stderr + run.stdout);
    const after = identity(podsOf(cluster, 'legacy'));
    assert.equal(after.length, 5);
    assert.equal(after.filter((p) => before.includes(p)).length, 0, 'every pod was replaced');
    assert.ok(cluster.maxUnavailableSeen(NS, 'legacy') <= 1, `max unavailable ${cluster.maxUnavailableSeen(NS, 'legacy')}`);
    assert.match(run.stdout, /recreated/);
  });

  it('a pod that does not come back Ready fails the restart by --ready-timeout; --pause-on-failure pauses the CloneSet', async () => {
    await wiredCloneSet({ replicas: 6, maxUnavailable: 1 });
    const victim = podsOf(cluster, 'web')[0].metadata.name!;
    cluster.knobs.neverReady(victim);
    const run = await runPlugin(['inplace', 'web', '--ready-timeout', '2s', '--pause-on-failure'], { kubeconfig });
    // Our patience ran out, not the restart: a timeout (3), never "restart failed".
    assert.equal(run.code, 3, run.stderr + run.stdout);
    const line = assertOneLineError(run);
    assert.match(line, new RegExp(`not Ready again within the ready timeout: ${victim}`));
    assert.doesNotMatch(line, /restart failed/);
    assert.match(line, /status web -n shop -w/);
    assert.match(run.stderr, /paused CloneSet web.*"paused":false/);
    assert.equal(cluster.get<CloneSet>('clonesets', NS, 'web')!.spec.updateStrategy!.paused, true);
    // Paused is a state of its own: not "in progress", no ETA, and the way out.
    const status = await runPlugin(['status', 'web', '-o', 'json'], { kubeconfig });
    const doc = JSON.parse(status.stdout);
    assert.equal(doc.state, 'paused', doc.message);
    assert.equal(doc.eta, null);
    const text = await runPlugin(['status', 'web'], { kubeconfig });
    assert.match(text.stdout, /paused \(spec\.updateStrategy\.paused\)/);
    assert.doesNotMatch(text.stdout, /in progress|ETA/);
  });

  it('--ready-timeout passing is a timeout (exit 3) that says Kruise carries on and how to follow it, not "restart failed"', async () => {
    await wiredCloneSet({ replicas: 4, maxUnavailable: 1 });
    cluster.knobs.neverReady(podsOf(cluster, 'web')[0].metadata.name!);
    const run = await runPlugin(['inplace', 'web', '--ready-timeout', '1s'], { kubeconfig });
    assert.equal(run.code, 3, run.stderr);
    const line = assertOneLineError(run);
    assert.match(line, /not Ready again within the ready timeout/);
    assert.match(line, /the restart carries on; follow it with: kubectl kruise-restart status web -n shop -w/);
    assert.doesNotMatch(run.stderr, /restart failed/);
    assert.equal(cluster.get<CloneSet>('clonesets', NS, 'web')!.spec.updateStrategy!.paused ?? false, false);
  });

  it('-o json and -o yaml print one document in every outcome: started (--no-wait), refused (also with --dry-run), timed out', async () => {
    await wiredCloneSet({ replicas: 4, maxUnavailable: 1 });
    // One pod never Ready again keeps the restart unfinished for the refusals below.
    cluster.knobs.neverReady(podsOf(cluster, 'web')[0].metadata.name!);
    const started = await runPlugin(['inplace', 'web', '--no-wait', '-o', 'json'], { kubeconfig });
    assert.equal(started.code, 0, started.stderr);
    const doc = JSON.parse(started.stdout);
    assert.equal(doc.outcome, 'started');
    assert.equal(doc.run, readRecordOf(cluster).run);
    assert.equal(doc.cloneSet, 'shop/web');
    assert.match(doc.follow, /status web -n shop -w/);
    const yaml = await runPlugin(['inplace', 'web', '--no-wait', '-o', 'yaml', '--dry-run=client'], { kubeconfig });
    assert.equal(yaml.code, 2, yaml.stderr);
    assert.match(yaml.stdout, /^outcome: refused$/m);
    assert.match(yaml.stdout, /^exitCode: 2$/m);
    const refusedDry = await runPlugin(['inplace', 'web', '--dry-run=client', '-o', 'json'], { kubeconfig });
    assert.equal(refusedDry.code, 2, refusedDry.stderr);
    const refusal = JSON.parse(refusedDry.stdout);
    assert.equal(refusal.outcome, 'refused');
    assert.match(refusal.error, /still being restarted in place/);
    const timedOut = await runPlugin(['status', 'web', '-w', '--timeout', '1s', '-o', 'json'], { kubeconfig });
    assert.equal(timedOut.code, 3, timedOut.stderr);
    const t = JSON.parse(timedOut.stdout);
    assert.equal(t.outcome, 'timeout');
    assert.equal(t.mode, 'inplace');
    assert.match(t.error, /timed out/);
  });

  it('--dry-run prints the plan and the exact patch and writes nothing (client and server)', async () => {
    await wiredCloneSet({ partition: 4 });
    cluster.clearLog();
    const client = await runPlugin(['inplace', 'web', '--dry-run=client'], { kubeconfig });
    assert.equal(client.code, 0, client.stderr);
    assert.match(client.stdout, /6 of 10 pods, 2 at a time/);
    // Only the pods the partition lets restart are listed.
    const listed = /^pods[^:]*: (.*)$/m.exec(client.stdout)?.[1].split(', ') ?? [];
    assert.equal(listed.length, 6, client.stdout);
    assert.match(client.stdout, new RegExp(TEAM_KEY.replace(/\./g, '\\.')));
    assert.match(client.stderr, /partition is 4: only 6 of 10 pods will restart/);
    const server = await runPlugin(['inplace', 'web', '--dry-run=server', '-o', 'json'], { kubeconfig });
    assert.equal(server.code, 0, server.stderr);
    const doc = JSON.parse(server.stdout);
    assert.equal(doc.podsToRestart, 6);
    assert.equal(doc.pods.length, 6);
    assert.equal(doc.podsKept, 4);
    assert.equal(doc.batches, 3);
    assert.ok(cluster.requests.some((r) => r.verb === 'patch' && r.dryRun), 'server dry run sent the patch with dryRun=All');
    assert.deepEqual(cluster.writes(), []);
  });

  it('--setup --yes wires the trigger (Kruise recreates the pods once), then the next run is in place', async () => {
    await cluster.seedCloneSet({ namespace: NS, name: 'web', replicas: 4, containers: ['app'], strategy: 'InPlaceIfPossible' });
    const original = identity(podsOf(cluster, 'web'));
    const offTerminal = await runPlugin(['inplace', 'web', '--setup'], { kubeconfig });
    assert.equal(offTerminal.code, 2);
    assert.match(assertOneLineError(offTerminal), /--yes/);

    const setup = await runPlugin(['inplace', 'web', '--setup', '--yes'], { kubeconfig });
    assert.equal(setup.code, 0, setup.stderr + setup.stdout);
    assert.match(setup.stderr, /recreates all 4 pods once/);
    const wired = identity(podsOf(cluster, 'web'));
    assert.equal(wired.filter((p) => original.includes(p)).length, 0, 'every pod was recreated once');
    const env = cluster.get<CloneSet>('clonesets', NS, 'web')!.spec.template.spec.containers[0].env!;
    assert.ok(env.some((e) => e.name === PLUGIN.defaultTriggerEnv && e.valueFrom?.fieldRef?.fieldPath === `metadata.annotations['${PLUGIN.defaultTriggerAnnotation}']`));

    cluster.clearLog();
    const next = await runPlugin(['inplace', 'web'], { kubeconfig });
    assert.equal(next.code, 0, next.stderr);
    assert.deepEqual(identity(podsOf(cluster, 'web')), wired, 'in place this time');
    assert.equal(restartsBy(cluster, 'app').size, 4);
  });

  it('InPlaceOnly: restarts in place when wired; --setup is refused with guidance', async () => {
    await wiredCloneSet({ strategy: 'InPlaceOnly', replicas: 4 });
    await cluster.seedCloneSet({ namespace: NS, name: 'strict', replicas: 2, strategy: 'InPlaceOnly' });
    const before = identity(podsOf(cluster, 'web'));
    const run = await runPlugin(['inplace', 'web'], { kubeconfig });
    assert.equal(run.code, 0, run.stderr);
    assert.deepEqual(identity(podsOf(cluster, 'web')), before);
    cluster.clearLog();
    const setup = await runPlugin(['inplace', 'strict', '--setup', '--yes'], { kubeconfig });
    assert.equal(setup.code, 2, setup.stderr);
    assert.match(assertOneLineError(setup), /InPlaceOnly.*InPlaceIfPossible/);
    assert.deepEqual(cluster.writes(), []);
  });

  it('with the InPlaceUpdateEnvFromMetadata gate off: exit 1 and says why nothing restarted', async () => {
    await wiredCloneSet({ replicas: 4 });
    cluster.knobs.setGate(false);
    const run = await runPlugin(['inplace', 'web'], { kubeconfig });
    assert.equal(run.code, 1, run.stderr + run.stdout);
    assert.match(assertOneLineError(run), /InPlaceUpdateEnvFromMetadata/);
    assert.equal(restartsBy(cluster, 'app').size, 0);
  });

  it('retries a 409 Conflict on its patch after re-reading the CloneSet', async () => {
    await wiredCloneSet({ replicas: 4 });
    cluster.faults.failNext({ verb: 'patch', resource: 'clonesets', status: 409, count: 1 });
    const run = await runPlugin(['inplace', 'web', '--no-wait'], { kubeconfig });
    assert.equal(run.code, 0, run.stderr);
    assert.equal(cluster.requests.filter((r) => r.verb === 'patch' && r.resource === 'clonesets').length, 2);
    assert.match(run.stderr, /status web -n shop -w/);
    const follow = await runPlugin(['status', 'web', '-w', '--timeout', '30s'], { kubeconfig });
    assert.equal(follow.code, 0, follow.stderr + follow.stdout);
    assert.match(follow.stdout, /restart complete/);
  });

  it('names missing permissions at once and changes nothing', async () => {
    await wiredCloneSet({ replicas: 2 });
    const token = cluster.addUser('viewer', [
      { verbs: ['get', 'list', 'watch'], apiGroups: ['apps.kruise.io'], resources: ['clonesets'] },
      { verbs: ['get', 'list', 'watch'], apiGroups: [''], resources: ['pods'] },
      { verbs: ['create'], apiGroups: ['authorization.k8s.io'], resources: ['selfsubjectaccessreviews'] },
    ]);
    const restricted = cluster.writeKubeconfig({ namespace: NS, token, user: 'viewer' });
    cluster.clearLog();
    const run = await runPlugin(['inplace', 'web'], { kubeconfig: restricted });
    assert.equal(run.code, 1, run.stderr);
    const line = assertOneLineError(run);
    assert.match(line, /patch clonesets\.apps\.kruise\.io/);
    assert.match(line, /create events/);
    assert.deepEqual(cluster.writes(), []);
  });

  it('says what is wrong for an unknown CloneSet, a wrong namespace and a cluster without OpenKruise', async () => {
    await wiredCloneSet({ replicas: 2 });
    const missing = await runPlugin(['inplace', 'nope'], { kubeconfig });
    assert.equal(missing.code, 1);
    assert.match(assertOneLineError(missing), /CloneSet "nope" not found in namespace "shop"/);
    const wrongNs = await runPlugin(['status', 'web', '-n', 'default'], { kubeconfig });
    assert.equal(wrongNs.code, 1);
    assert.match(assertOneLineError(wrongNs), /namespace "default"/);
    const bare = await startCluster({ kruise: false });
    try {
      const run = await runPlugin(['inplace', 'web'], { kubeconfig: bare.writeKubeconfig() });
      assert.equal(run.code, 1);
      assert.match(assertOneLineError(run), /OpenKruise is not installed/);
    } finally {
      await bare.stop();
    }
  });

  it('keeps the pods and the revision label honest: InPlaceUpdateReady True and new revision on every pod at the end', async () => {
    await wiredCloneSet({ replicas: 6 });
    const run = await runPlugin(['inplace', 'web'], { kubeconfig });
    assert.equal(run.code, 0, run.stderr);
    const cs = cluster.get<CloneSet>('clonesets', NS, 'web')!;
    for (const pod of podsOf(cluster, 'web')) {
      assert.equal(pod.metadata.labels![KRUISE.revisionLabel], cs.status!.updateRevision);
      assert.equal(pod.status!.conditions!.find((c) => c.type === KRUISE.inPlaceUpdateReady)?.status, 'True');
    }
  });
});
