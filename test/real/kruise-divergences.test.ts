// The Kruise v1.9 behaviours of test/e2e/kruise-divergences.test.ts that the real tier can show without emulator
// knobs, proven on kube-apiserver v1.32.10 with OpenKruise v1.9.0's own manager, webhooks and daemon controllers:
// the whole-map annotation diff, omitempty status counts, fractional partitions and the generic 422 of a failed
// JSON-patch test. Skipped (one line) when Go is missing; KRUISE_RESTART_REAL=required makes that a failure.
import assert from 'node:assert/strict';
import { startRealCluster, type RealCluster } from '../realcluster/index';
import { KRUISE, type CloneSet, type Pod } from '../../src/kruise/types';
import { requireBuild, runPlugin } from '../e2e/harness';
import { realTierOrSkip } from './tier';

const NS = 'divergences';
const KEY = 'team.example.com/restart-token';
const csPath = (name: string) => `/apis/apps.kruise.io/v1alpha1/namespaces/${NS}/clonesets/${name}`;

describe('real cluster: Kruise v1.9.0 behaviours the plugin must meet', function () {
  this.timeout(300_000);
  let cluster: RealCluster | undefined;
  let kubeconfig: string;

  before(async function () {
    this.timeout(90 * 60_000);
    realTierOrSkip(this);
    requireBuild();
    cluster = await startRealCluster({ namespace: NS, nodes: 2 });
    kubeconfig = cluster.writeKubeconfig({ namespace: NS });
  });
  after(async () => cluster?.stop());

  const podsOf = async (name: string) => (await cluster!.list<Pod>('pods', NS)).filter((p) => p.metadata.name?.startsWith(`${name}-`) && !p.metadata.deletionTimestamp);
  const kills = (name: string) => cluster!.restartLog.filter((r) => r.namespace === NS && r.pod.startsWith(`${name}-`) && r.cause === 'inplace');
  const cloneSet = async (name: string) => (await cluster!.get<CloneSet>('clonesets', NS, name))!;
  const settled = async (name: string) => {
    const cs = await cloneSet(name);
    const pods = await podsOf(name);
    return (
      (cs.status?.observedGeneration ?? 0) >= (cs.metadata.generation ?? 0) &&
      pods.length === cs.spec.replicas &&
      pods.every(
        (p) =>
          p.metadata.labels?.[KRUISE.revisionLabel] === cs.status?.updateRevision &&
          p.status?.conditions?.find((c) => c.type === KRUISE.inPlaceUpdateReady)?.status === 'True',
      )
    );
  };

  it('1. a first annotation on a template without any is copied as metadata and restarts nothing; inplace --setup copes', async () => {
    const c = cluster!;
    await c.seedCloneSet({ namespace: NS, name: 'bare', replicas: 2, strategy: 'InPlaceIfPossible', triggerAnnotation: KEY, triggerAnnotationInTemplate: false });
    const patched = await c.api('PATCH', csPath('bare'), { spec: { template: { metadata: { annotations: { [KEY]: 'one' } } } } }, { contentType: 'application/merge-patch+json' });
    assert.equal(patched.status, 200, JSON.stringify(patched.body));
    await c.waitFor(async () => (await settled('bare')) && (await podsOf('bare')).every((p) => p.metadata.annotations?.[KEY] === 'one'), 120_000, 'the metadata-only update');
    await new Promise((r) => setTimeout(r, 6000)); // longer than kruise-daemon's ~4 s kill latency
    assert.deepEqual(kills('bare'), [], 'no container restarted');
    for (const p of await podsOf('bare')) {
      const state = JSON.parse(p.metadata.annotations?.[KRUISE.inPlaceUpdateStateAnnotation] ?? '{}') as Record<string, unknown>;
      assert.ok(!('updateEnvFromMetadata' in state), `omitted when false: ${JSON.stringify(state)}`);
    }

    await c.seedCloneSet({ namespace: NS, name: 'web', replicas: 2, strategy: 'InPlaceIfPossible', triggerAnnotation: KEY, triggerAnnotationInTemplate: false });
    const refused = await runPlugin(['inplace', 'web'], { kubeconfig });
    assert.equal(refused.code, 2, refused.stderr);
    const run = await runPlugin(['inplace', 'web', '--setup', '--yes'], { kubeconfig, timeoutMs: 240_000 });
    assert.equal(run.code, 0, run.stderr + run.stdout);
    assert.deepEqual(kills('web').map((k) => k.pod).sort(), (await podsOf('web')).map((p) => p.metadata.name).sort(), 'every pod restarted once');
  });

  it('2. updatedAvailableReplicas is left out while 0, and the plugin does not call the restart done before minReadySeconds', async () => {
    const c = cluster!;
    await c.seedCloneSet({ namespace: NS, name: 'slow', replicas: 1, strategy: 'InPlaceIfPossible', triggerAnnotation: KEY });
    // Set after seeding, which waits for available pods; not a template change, so no rollout.
    const slower = await c.api('PATCH', csPath('slow'), { spec: { minReadySeconds: 60 } }, { contentType: 'application/merge-patch+json' });
    assert.equal(slower.status, 200, JSON.stringify(slower.body));
    await c.waitFor(async () => (await cloneSet('slow')).status?.observedGeneration === (await cloneSet('slow')).metadata.generation, 60_000, 'the controller to observe it');
    const run = await runPlugin(['inplace', 'slow', '--no-wait'], { kubeconfig });
    assert.equal(run.code, 0, run.stderr);
    await c.waitFor(async () => kills('slow').length === 1 && (await cloneSet('slow')).status?.updatedReadyReplicas === 1, 120_000, 'the pod restarted and Ready');
    const status = (await cloneSet('slow')).status as Record<string, unknown>;
    assert.ok(!('updatedAvailableReplicas' in status), `left out: ${JSON.stringify(status)}`);
    const doc = JSON.parse((await runPlugin(['status', 'slow', '-o', 'json'], { kubeconfig })).stdout) as { complete: boolean; message: string };
    assert.equal(doc.complete, false, doc.message);
  });

  it('3. partition "12.5%" of 8 keeps 1 pod (float parse): expectedUpdatedReplicas 7, inplace finishes', async () => {
    const c = cluster!;
    await c.seedCloneSet({ namespace: NS, name: 'part', replicas: 8, strategy: 'InPlaceIfPossible', triggerAnnotation: KEY, partition: '12.5%', maxUnavailable: 4 });
    const run = await runPlugin(['inplace', 'part', '--timeout', '200s'], { kubeconfig, timeoutMs: 240_000 });
    assert.equal(run.code, 0, run.stderr + run.stdout);
    assert.equal((await cloneSet('part')).status?.expectedUpdatedReplicas, 7);
    assert.equal(kills('part').length, 7);
  });

  it('5. a FailedUpdate condition from before the restart stays in the status and is not blamed', async () => {
    const c = cluster!;
    await c.seedCloneSet({ namespace: NS, name: 'stale', replicas: 2, strategy: 'InPlaceIfPossible', triggerAnnotation: KEY });
    const old = { type: 'FailedUpdate', status: 'True', lastTransitionTime: '2026-01-01T00:00:00Z', lastUpdateTime: '2026-01-01T00:00:00Z', message: 'an update error from long ago' };
    const put = await c.api('PATCH', `${csPath('stale')}/status`, { status: { conditions: [old] } }, { contentType: 'application/merge-patch+json' });
    assert.equal(put.status, 200, JSON.stringify(put.body));
    await c.knobs.neverReady(NS, (await podsOf('stale'))[0].metadata.name!);
    const run = await runPlugin(['inplace', 'stale', '--timeout', '30s', '-o', 'json'], { kubeconfig, timeoutMs: 120_000 });
    assert.equal(run.code, 3, run.stderr + run.stdout);
    const conditions = (await cloneSet('stale')).status?.conditions ?? [];
    assert.ok(conditions.some((x) => x.type === 'FailedUpdate' && x.message === old.message), `Kruise kept it: ${JSON.stringify(conditions)}`);
    const doc = JSON.parse(run.stdout) as { diagnoses: Array<{ kind: string }> };
    assert.ok(!doc.diagnoses.some((d) => d.kind === 'update-failed'), JSON.stringify(doc.diagnoses));
  });

  it('6. a failed JSON-patch test is 422 with the generic message and no causes', async () => {
    const r = await cluster!.api('PATCH', csPath('web'), [{ op: 'test', path: '/metadata/resourceVersion', value: '1' }, { op: 'replace', path: '/spec/replicas', value: 3 }], {
      contentType: 'application/json-patch+json',
    });
    assert.equal(r.status, 422);
    const body = r.body as { message: string; reason: string; details?: { causes?: unknown[] } };
    assert.equal(body.reason, 'Invalid');
    assert.equal(body.message, 'the server rejected our request due to an error in our request');
    assert.equal(body.details?.causes, undefined);
  });
});
