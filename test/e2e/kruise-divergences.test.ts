// Where OpenKruise v1.9 behaves differently from a first reading, end to end: the emulator reproduces each behaviour
// (checked against Kruise's source) and the built plugin copes with it.
import assert from 'node:assert/strict';
import type { Cluster } from '../cluster/index';
import { call, watch } from '../cluster/http-client';
import { KRUISE, type CloneSet, type ContainerRecreateRequest, type Pod } from '../../src/kruise/types';
import { assertOneLineError, runPlugin, useEmulatedCluster } from './harness';

const NS = 'shop';
const KEY = 'team.example.com/restart-token';
const CS_PATH = `/apis/apps.kruise.io/v1alpha1/namespaces/${NS}/clonesets`;

function podsOf(cluster: Cluster, name: string): Pod[] {
  return cluster.list<Pod>('pods', NS).filter((p) => p.metadata.name?.startsWith(`${name}-`) && !p.metadata.deletionTimestamp);
}

function inPlaceKills(cluster: Cluster, container: string): Map<string, number> {
  const counts = new Map<string, number>();
  for (const r of cluster.restartLog) if (r.container === container && r.cause === 'inplace') counts.set(r.pod, (counts.get(r.pod) ?? 0) + 1);
  return counts;
}

const cloneSetOf = (cluster: Cluster, name = 'web') => cluster.get<CloneSet>('clonesets', NS, name)!;

describe('Kruise v1.9 behaviours the plugin must meet (built binary, emulated cluster)', function () {
  this.timeout(90_000);
  let cluster: Cluster;
  let kubeconfig: string;

  useEmulatedCluster(NS, (started, path) => {
    cluster = started;
    kubeconfig = path;
  });

  const seed = (over: Record<string, unknown> = {}) =>
    cluster.seedCloneSet({ namespace: NS, name: 'web', replicas: 4, containers: ['app'], strategy: 'InPlaceIfPossible', triggerAnnotation: KEY, ...over });

  const allUpdated = (name = 'web') => {
    const cs = cloneSetOf(cluster, name);
    const pods = podsOf(cluster, name);
    return (
      (cs.status?.observedGeneration ?? 0) >= (cs.metadata.generation ?? 0) &&
      pods.length === cs.spec.replicas &&
      pods.every(
        (p) =>
          p.metadata.labels?.[KRUISE.revisionLabel] === cs.status?.updateRevision &&
          p.status?.conditions?.find((c) => c.type === KRUISE.inPlaceUpdateReady)?.status === 'True' &&
          p.metadata.labels?.[KRUISE.lifecycleStateLabel] === 'Normal',
      )
    );
  };

  describe('1. the first annotation of a template arrives as one whole-map diff', () => {
    it('emulator: Kruise copies it to the pods as metadata and restarts nothing; a later per-key change restarts', async () => {
      await seed({ triggerAnnotationInTemplate: false });
      cluster.clearLog();
      const first = await call(cluster, 'PATCH', `${CS_PATH}/web`, { spec: { template: { metadata: { annotations: { [KEY]: 'one' } } } } }, { contentType: 'application/merge-patch+json' });
      assert.equal(first.status, 200, first.text);
      await cluster.waitFor(() => allUpdated() && podsOf(cluster, 'web').every((p) => p.metadata.annotations?.[KEY] === 'one'), 20_000, 'the metadata-only update');
      await cluster.whenIdle();
      assert.equal(inPlaceKills(cluster, 'app').size, 0, 'no container restarted');
      for (const p of podsOf(cluster, 'web')) {
        const state = JSON.parse(p.metadata.annotations?.[KRUISE.inPlaceUpdateStateAnnotation] ?? '{}') as Record<string, unknown>;
        assert.ok(!('updateEnvFromMetadata' in state), 'omitempty: false is left out');
      }
      const second = await call(cluster, 'PATCH', `${CS_PATH}/web`, { spec: { template: { metadata: { annotations: { [KEY]: 'two' } } } } }, { contentType: 'application/merge-patch+json' });
      assert.equal(second.status, 200, second.text);
      await cluster.waitFor(() => allUpdated() && inPlaceKills(cluster, 'app').size === 4, 20_000, 'the env-triggered restarts');
    });

    it('plugin: inplace refuses (exit 2, no write); inplace --setup writes the annotation alone, waits, then restarts every pod once', async () => {
      await seed({ triggerAnnotationInTemplate: false });
      const before = podsOf(cluster, 'web').map((p) => p.metadata.uid).sort();
      cluster.clearLog();
      const refused = await runPlugin(['inplace', 'web'], { kubeconfig });
      assert.equal(refused.code, 2, refused.stderr);
      assert.match(assertOneLineError(refused), /no annotations yet.*--setup/);
      assert.deepEqual(cluster.writes(), []);

      const run = await runPlugin(['inplace', 'web', '--setup', '--yes'], { kubeconfig, timeoutMs: 60_000 });
      assert.equal(run.code, 0, run.stderr + run.stdout);
      assert.match(run.stderr, /warning: the template has no annotations yet: --setup first writes team\.example\.com\/restart-token on its own/);
      assert.match(run.stderr, /Kruise rolled the annotation out to every pod; restarting/);
      const kills = inPlaceKills(cluster, 'app');
      assert.equal(kills.size, 4, `restarted: ${JSON.stringify([...kills])}`);
      assert.ok([...kills.values()].every((n) => n === 1), 'each container restarted exactly once');
      assert.deepEqual(podsOf(cluster, 'web').map((p) => p.metadata.uid).sort(), before, 'no pod recreated');
    });
  });

  it('2. omitempty status: an absent updatedAvailableReplicas is 0, so minReadySeconds is honoured before "complete"', async () => {
    await seed({ replicas: 1, extra: { minReadySeconds: 300 } });
    const run = await runPlugin(['inplace', 'web', '--no-wait'], { kubeconfig });
    assert.equal(run.code, 0, run.stderr);
    await cluster.waitFor(() => inPlaceKills(cluster, 'app').size === 1 && cloneSetOf(cluster).status?.updatedReadyReplicas === 1, 20_000, 'the pod restarted and Ready');
    const status = cloneSetOf(cluster).status as Record<string, unknown>;
    assert.ok(!('updatedAvailableReplicas' in status), `the zero count is left out: ${JSON.stringify(status)}`);
    const early = await runPlugin(['status', 'web', '-o', 'json'], { kubeconfig });
    const doc = JSON.parse(early.stdout) as { complete: boolean; message: string };
    assert.equal(doc.complete, false, doc.message);
    assert.match(doc.message, /0 of 1 updated replicas available/);
    await cluster.waitFor(() => cloneSetOf(cluster).status?.updatedAvailableReplicas === 1, 30_000, 'minReadySeconds to pass');
    const late = JSON.parse((await runPlugin(['status', 'web', '-o', 'json'], { kubeconfig })).stdout) as { complete: boolean };
    assert.equal(late.complete, true);
  });

  it('3. partition "12.5%" of 10 keeps 2 pods old (Kruise reads it as a float): inplace finishes with 8 restarted', async () => {
    await seed({ replicas: 10, partition: '12.5%', maxUnavailable: 3 });
    const run = await runPlugin(['inplace', 'web', '--timeout', '40s'], { kubeconfig, timeoutMs: 60_000 });
    assert.equal(run.code, 0, run.stderr + run.stdout);
    assert.match(run.stderr, /partition is 2: only 8 of 10 pods will restart/);
    assert.equal(inPlaceKills(cluster, 'app').size, 8);
    assert.equal(cloneSetOf(cluster).status?.expectedUpdatedReplicas, 8);
  });

  it('3b. maxUnavailable "12.5%": the webhook accepts it, the controller resolves it to 0 and never moves; inplace refuses and says why', async () => {
    await seed({ replicas: 10, maxUnavailable: '12.5%' });
    const refused = await runPlugin(['inplace', 'web'], { kubeconfig });
    assert.equal(refused.code, 2, refused.stderr);
    assert.match(assertOneLineError(refused), /maxUnavailable "12\.5%" resolves to 0 pods .*whole numbers.*never update a pod/);
    assert.deepEqual(cluster.writes(), []);
    // The emulated controller stalls exactly so.
    const patched = await call(cluster, 'PATCH', `${CS_PATH}/web`, { spec: { template: { metadata: { annotations: { [KEY]: 'x' } } } } }, { contentType: 'application/merge-patch+json' });
    assert.equal(patched.status, 200, patched.text);
    await cluster.whenIdle();
    const cs = cloneSetOf(cluster);
    assert.equal(cs.status?.observedGeneration, cs.metadata.generation);
    assert.equal(cs.status?.updatedReplicas, 0, 'no pod updated');
  });

  it('4. a wired container without an env binary: --setup wants -c with several containers; inplace warns, and the stall names the container', async () => {
    await cluster.seedCloneSet({ namespace: NS, name: 'two', replicas: 2, containers: ['app', 'sidecar'], strategy: 'InPlaceIfPossible' });
    const ask = await runPlugin(['inplace', 'two', '--setup', '--yes'], { kubeconfig });
    assert.equal(ask.code, 2, ask.stderr);
    assert.match(assertOneLineError(ask), /2 containers \(app, sidecar\).*-c NAME/);
    const setup = await runPlugin(['inplace', 'two', '--setup', '--yes', '-c', 'app', '--no-wait'], { kubeconfig });
    assert.equal(setup.code, 0, setup.stderr);
    assert.match(setup.stderr, /warning: kruise-daemon restarts app only after reading its environment by running `env` inside; the API cannot show what an image contains/);

    await seed({ replicas: 2 });
    cluster.knobs.noEnvBinary('app');
    await cluster.whenIdle();
    const run = await runPlugin(['inplace', 'web', '--timeout', '10s'], { kubeconfig, timeoutMs: 60_000 });
    assert.equal(run.code, 3, run.stderr + run.stdout);
    assert.match(run.stderr, /warning: kruise-daemon could not read the environment of container app \(no env binary\?\) in 2 pods/);
    assert.match(run.stderr + run.stdout, /kruise-daemon could not read the environment of container app \(no env binary\?\)/);
    assert.equal(inPlaceKills(cluster, 'app').size, 0);
  });

  it('5. a FailedUpdate condition older than the restart is not blamed', async () => {
    await seed();
    const stale = { type: 'FailedUpdate', status: 'True', lastTransitionTime: '2026-01-01T00:00:00Z', lastUpdateTime: '2026-01-01T00:00:00Z', reason: '', message: 'an update error from long ago' };
    const cs = cloneSetOf(cluster);
    const put = await call(cluster, 'PATCH', `${CS_PATH}/web/status`, { status: { ...cs.status, conditions: [stale] } }, { contentType: 'application/merge-patch+json' });
    assert.equal(put.status, 200, put.text);
    cluster.knobs.neverReady(podsOf(cluster, 'web')[0].metadata.name!);
    const run = await runPlugin(['inplace', 'web', '--timeout', '5s', '-o', 'json'], { kubeconfig, timeoutMs: 60_000 });
    assert.equal(run.code, 3, run.stderr + run.stdout);
    const doc = JSON.parse(run.stdout) as { diagnoses: Array<{ kind: string }> };
    assert.ok(!doc.diagnoses.some((d) => d.kind === 'update-failed'), JSON.stringify(doc.diagnoses));
  });

  it('6. a failed JSON-patch test is the API server\'s generic 422: inplace --setup re-reads and retries', async () => {
    await cluster.seedCloneSet({ namespace: NS, name: 'web', replicas: 2, containers: ['app'], strategy: 'InPlaceIfPossible' });
    cluster.faults.raceNext({ verb: 'patch', resource: 'clonesets', name: 'web' });
    const run = await runPlugin(['inplace', 'web', '--setup', '--yes', '--no-wait', '-v', '2'], { kubeconfig });
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stderr, /CloneSet changed while we were writing/);
    const cs = cloneSetOf(cluster);
    assert.ok(cs.spec.template.spec.containers[0].env?.some((e) => e.valueFrom?.fieldRef?.fieldPath?.includes('annotations')), 'wired');
    assert.ok(cs.metadata.annotations?.['example.com/touched-by'], "the other writer's change survived");
  });

  it('7. kruise-daemon absent with the gate on: the update stalls (InPlaceUpdateReady stays False), not "updated without restart"', async () => {
    await seed({ replicas: 2, nodes: 1 });
    cluster.knobs.noDaemonOnNode('node-0');
    const run = await runPlugin(['inplace', 'web', '--timeout', '10s', '-o', 'json'], { kubeconfig, timeoutMs: 60_000 });
    assert.equal(run.code, 3, run.stderr + run.stdout);
    const doc = JSON.parse(run.stdout) as { diagnoses: Array<{ kind: string }>; summary: { failed: number }; pods: Array<{ state: string; reason?: string }> };
    assert.equal(doc.summary.failed, 0);
    const waiting = doc.pods.filter((p) => p.state === 'restarting');
    assert.ok(waiting.length > 0 && waiting.every((p) => /waiting for kruise-daemon to restart app/.test(p.reason ?? '')), JSON.stringify(doc.pods));
    assert.ok(!doc.diagnoses.some((d) => d.kind === 'gate-off' || d.kind === 'not-restarted'), JSON.stringify(doc.diagnoses));
    for (const p of podsOf(cluster, 'web').filter((x) => x.metadata.labels?.[KRUISE.revisionLabel] === cloneSetOf(cluster).status?.updateRevision)) {
      assert.equal(p.status?.conditions?.find((c) => c.type === KRUISE.inPlaceUpdateReady)?.status, 'False');
    }
  });

  it('8. a CRR for a container missing on the node stays Recreating until its deadline; crr sets a default one and names the cause', async () => {
    await cluster.seedCloneSet({ namespace: NS, name: 'web', replicas: 2, containers: ['app'], strategy: 'InPlaceIfPossible' });
    const lost = podsOf(cluster, 'web')[0].metadata.name!;
    cluster.knobs.missingOnNode(lost, 'app');
    const run = await runPlugin(['crr', 'web', '--max-unavailable', '2'], { kubeconfig, timeoutMs: 60_000 });
    assert.equal(run.code, 1, run.stderr + run.stdout);
    assert.match(run.stderr, /recreating has exceeded the activeDeadlineSeconds/);
    const crrs = cluster.list<ContainerRecreateRequest>('containerrecreaterequests', NS);
    assert.ok(crrs.length === 2 && crrs.every((c) => c.spec.activeDeadlineSeconds === 300), JSON.stringify(crrs.map((c) => c.spec.activeDeadlineSeconds)));
    const stuck = crrs.find((c) => c.spec.podName === lost)!;
    assert.equal(stuck.status?.containerRecreateStates?.[0]?.phase, 'Pending');
    assert.equal(stuck.status?.containerRecreateStates?.[0]?.message, 'not found container on Node');
  });

  it('9. spec.lifecycle without an inPlaceUpdate hook: pods pass through Updated, the restart completes with no hook warning', async () => {
    await seed({ extra: { lifecycle: { preDelete: { finalizersHandler: ['example.com/drain'] } } } });
    const podWatch = watch(cluster, `/api/v1/namespaces/${NS}/pods?watch=true`);
    try {
      const run = await runPlugin(['inplace', 'web'], { kubeconfig, timeoutMs: 60_000 });
      assert.equal(run.code, 0, run.stderr + run.stdout);
      assert.doesNotMatch(run.stderr + run.stdout, /lifecycle hook/);
    } finally {
      podWatch.close();
    }
    assert.ok(allUpdated());
    const seen = new Set(podWatch.events.map((e) => (e.object as Pod).metadata.labels?.[KRUISE.lifecycleStateLabel]));
    assert.ok(seen.has('Updated'), `states seen: ${[...seen].join(', ')}`);
  });
});
