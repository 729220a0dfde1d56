// What kube-controller-manager's controllers do to the objects a restart touches, on kube-apiserver v1.32.10 with
// OpenKruise v1.9.0: the disruption controller keeps a PodDisruptionBudget's status (the plugin reads its cap there),
// the garbage collector removes a ContainerRecreateRequest owned by its pod when the pod goes (Kruise's own requests,
// from its sidecar terminator, carry that owner; the plugin's do not and end through Kruise's TTL instead), and a
// deleted namespace really goes, with its CloneSet, pods, requests and budgets. Skipped (one line) when Go is missing.
import assert from 'node:assert/strict';
import { startRealCluster, type RealCluster } from '../realcluster/index';
import { namespacesLeft } from '../backend/index';
import type { PodDisruptionBudget } from '../../src/kruise/disruption-budgets';
import type { ContainerRecreateRequest, Pod } from '../../src/kruise/types';
import { requireBuild, runPlugin } from '../e2e/harness';
import { realTierOrSkip } from './tier';

const NS = 'controllers';
const crrPath = (ns: string, name = '') => `/apis/apps.kruise.io/v1alpha1/namespaces/${ns}/containerrecreaterequests${name ? `/${name}` : ''}`;

describe('real cluster: kube-controller-manager behind the plugin (disruption, garbage collection, namespaces)', function () {
  this.timeout(300_000);
  let cluster: RealCluster | undefined;

  before(async function () {
    this.timeout(90 * 60_000);
    realTierOrSkip(this);
    requireBuild();
    cluster = await startRealCluster({ namespace: NS, nodes: 2 });
  });
  after(async () => cluster?.stop());

  const podsOf = async (ns: string, name: string) => (await cluster!.list<Pod>('pods', ns)).filter((p) => p.metadata.name?.startsWith(`${name}-`) && !p.metadata.deletionTimestamp);

  it('the disruption controller writes a PDB status for its generation, counting the CloneSet through its scale subresource', async () => {
    const c = cluster!;
    await c.seedCloneSet({ namespace: NS, name: 'web', replicas: 5, strategy: 'InPlaceIfPossible', maxUnavailable: 3 });
    const created = await c.api('POST', `/apis/policy/v1/namespaces/${NS}/poddisruptionbudgets`, {
      apiVersion: 'policy/v1',
      kind: 'PodDisruptionBudget',
      metadata: { name: 'web' },
      spec: { selector: { matchLabels: { app: 'web' } }, maxUnavailable: '40%' },
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    assert.equal((created.body as PodDisruptionBudget).metadata.generation, 1, 'the API server keeps a PDB generation');
    const pdb = await c.waitFor(async () => {
      const r = await c.api('GET', `/apis/policy/v1/namespaces/${NS}/poddisruptionbudgets/web`);
      const b = r.body as PodDisruptionBudget;
      return b.status?.observedGeneration === 1 && b.status.currentHealthy === 5 ? b : undefined;
    }, 60_000, 'the PDB status from the disruption controller');
    // 40% of the CloneSet's 5 (its scale), rounded up: 2 may be down, so 3 must be healthy.
    assert.deepEqual([pdb.status?.expectedPods, pdb.status?.desiredHealthy, pdb.status?.disruptionsAllowed], [5, 3, 2]);

    const plan = await runPlugin(['crr', 'web', '--dry-run', '-o', 'json'], { kubeconfig: c.writeKubeconfig({ namespace: NS }) });
    assert.equal(plan.code, 0, plan.stderr);
    const doc = JSON.parse(plan.stdout) as { effectiveMaxUnavailable: number; limit: string };
    assert.equal(doc.effectiveMaxUnavailable, 2);
    assert.match(doc.limit, /^2 at a time: PodDisruptionBudget web maxUnavailable 40% binds/);
  });

  it("the garbage collector removes a request owned by its pod when the pod goes; the plugin's unowned one stays until its TTL", async () => {
    const c = cluster!;
    await c.seedCloneSet({ namespace: NS, name: 'gc', replicas: 2, strategy: 'InPlaceIfPossible', maxUnavailable: 1 });
    const [owner, other] = await podsOf(NS, 'gc');
    const request = (name: string, pod: Pod, owned: boolean) => ({
      apiVersion: 'apps.kruise.io/v1alpha1',
      kind: 'ContainerRecreateRequest',
      metadata: {
        name,
        // As Kruise's sidecar terminator writes its requests (pkg/controller/sidecarterminator/kill_container_action.go).
        ...(owned ? { ownerReferences: [{ apiVersion: 'v1', kind: 'Pod', name: pod.metadata.name, uid: pod.metadata.uid, controller: true, blockOwnerDeletion: true }] } : {}),
      },
      spec: { podName: pod.metadata.name, containers: [{ name: 'app' }], strategy: { failurePolicy: 'Fail', minStartedSeconds: 1 }, ttlSecondsAfterFinished: 600 },
    });
    for (const [name, pod, owned] of [['owned', owner, true], ['unowned', other, false]] as const) {
      const r = await c.api('POST', crrPath(NS), request(name, pod, owned));
      assert.equal(r.status, 201, JSON.stringify(r.body));
    }
    // Both run to completion first, as a finished request of a run would be.
    await c.waitFor(async () => {
      const items = await c.list<ContainerRecreateRequest>('containerrecreaterequests', NS);
      return ['owned', 'unowned'].every((n) => items.find((x) => x.metadata.name === n)?.status?.phase === 'Completed');
    }, 120_000, 'both requests Completed');

    for (const pod of [owner, other]) {
      const r = await c.api('DELETE', `/api/v1/namespaces/${NS}/pods/${pod.metadata.name}`);
      assert.equal(r.status, 200, JSON.stringify(r.body));
    }
    await c.waitFor(async () => (await c.api('GET', crrPath(NS, 'owned'))).status === 404, 120_000, 'the garbage collector to delete the owned request');
    // Kruise's TTL (600 s here), not the garbage collector, ends the unowned one: it is still there, and completed.
    const unowned = await c.api('GET', crrPath(NS, 'unowned'));
    assert.equal(unowned.status, 200, 'an unowned request outlives its pod until its ttlSecondsAfterFinished');
  });

  it('a deleted namespace goes, with its CloneSet, pods, requests and budgets (the namespace controller, the node agent confirming pod deletions)', async () => {
    const c = cluster!;
    const ns = 'doomed';
    await c.createNamespace(ns);
    await c.seedCloneSet({ namespace: ns, name: 'web', replicas: 3, strategy: 'InPlaceIfPossible', maxUnavailable: 1 });
    const pdb = await c.api('POST', `/apis/policy/v1/namespaces/${ns}/poddisruptionbudgets`, { apiVersion: 'policy/v1', kind: 'PodDisruptionBudget', metadata: { name: 'web' }, spec: { selector: { matchLabels: { app: 'web' } }, maxUnavailable: 1 } });
    assert.equal(pdb.status, 201, JSON.stringify(pdb.body));
    const run = await runPlugin(['crr', 'web', '-c', 'app'], { kubeconfig: c.writeKubeconfig({ namespace: ns }) });
    assert.equal(run.code, 0, run.stderr);
    assert.equal((await c.list('containerrecreaterequests', ns)).length, 3);

    const started = Date.now();
    const del = await c.api('DELETE', `/api/v1/namespaces/${ns}`);
    assert.equal(del.status, 200, JSON.stringify(del.body));
    const left = await namespacesLeft(c, [ns], 120_000);
    assert.deepEqual(left, [], 'the namespace is still there');
    process.stderr.write(`      namespace with a CloneSet of 3, 3 requests and a PDB deleted in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
  });

  it('namespacesLeft gives up after its bound and says what holds a namespace, instead of waiting forever', async () => {
    const c = cluster!;
    const ns = 'held';
    await c.createNamespace(ns);
    // A finalizer nobody removes holds the ConfigMap, so the namespace controller cannot finish.
    const cm = await c.api('POST', `/api/v1/namespaces/${ns}/configmaps`, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'held', finalizers: ['realcluster.test/held'] } });
    assert.equal(cm.status, 201, JSON.stringify(cm.body));
    await c.api('DELETE', `/api/v1/namespaces/${ns}`);
    const started = Date.now();
    const left = await namespacesLeft(c, [ns], 5_000);
    assert.ok(Date.now() - started < 60_000, 'the wait is bounded');
    assert.equal(left.length, 1);
    assert.match(left[0], /^held \(Terminating/);
    // Let it go: the finalizer off, the namespace follows.
    const patched = await c.api('PATCH', `/api/v1/namespaces/${ns}/configmaps/held`, { metadata: { finalizers: null } }, { contentType: 'application/merge-patch+json' });
    assert.equal(patched.status, 200, JSON.stringify(patched.body));
    assert.deepEqual(await namespacesLeft(c, [ns], 120_000), []);
  });
});
