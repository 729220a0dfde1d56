import assert from 'node:assert/strict';
import { bindingLimit, budgetLimits, holdOthersBetweenStatuses, labelSelectorMatches, ownLimit, roomUnder, takeRoom, tighterBudgets, type PodDisruptionBudget, type PodUnavailableBudget } from '../../src/kruise/disruption-budgets';
import { containersWithoutReadiness, describeSurge, foreignOwner, nativeSidecars, surgeForecast, targetingRollout, type KruiseRollout } from '../../src/kruise/hazards';
import { emptyMemory, nextPodsToStart } from '../../src/kruise/crr-plan';
import { cloneSet, crr, ms, oldPod } from './fixtures';
import { KRUISE } from '../../src/kruise/types';

const pods = (n: number, labels: Record<string, string> = {}) => Array.from({ length: n }, (_, i) => oldPod(`web-${i}`, { labels }));

function pdb(name: string, spec: PodDisruptionBudget['spec'], status?: PodDisruptionBudget['status']): PodDisruptionBudget {
  return { metadata: { name, generation: 1 }, spec, ...(status ? { status: { observedGeneration: 1, ...status } } : {}) };
}

describe('disruption budgets: each PDB and PUB as a cap on unavailable pods', () => {
  it('matches label selectors as Kubernetes does, an empty one matching everything', () => {
    assert.ok(labelSelectorMatches({}, { app: 'web' }));
    assert.ok(labelSelectorMatches({ matchLabels: { app: 'web' } }, { app: 'web', x: 'y' }));
    assert.ok(!labelSelectorMatches({ matchLabels: { app: 'web' } }, { app: 'api' }));
    assert.ok(labelSelectorMatches({ matchExpressions: [{ key: 'tier', operator: 'DoesNotExist' }] }, { app: 'web' }));
    assert.ok(!labelSelectorMatches({ matchExpressions: [{ key: 'app', operator: 'NotIn', values: ['web'] }] }, { app: 'web' }));
  });

  it('takes a PDB cap from its status (expectedPods - desiredHealthy), which the disruption controller enforces', () => {
    const limits = budgetLimits({
      pods: pods(10),
      cloneSetName: 'web',
      unavailableNow: new Set(),
      pdbs: [pdb('web-pdb', { selector: { matchLabels: { app: 'web' } }, maxUnavailable: 1 }, { expectedPods: 10, desiredHealthy: 9, currentHealthy: 10, disruptionsAllowed: 1 })],
      pubs: [],
    });
    assert.equal(limits.length, 1);
    assert.equal(limits[0].limit, 1);
    assert.equal(limits[0].source, 'PodDisruptionBudget web-pdb');
    assert.equal(limits[0].covers?.size, 10);
  });

  it('ignores a PDB whose selector is null (selects nothing) or that covers none of our pods', () => {
    const limits = budgetLimits({
      pods: pods(3),
      cloneSetName: 'web',
      unavailableNow: new Set(),
      pdbs: [pdb('none', { selector: null, maxUnavailable: 1 }), pdb('other', { selector: { matchLabels: { app: 'api' } }, maxUnavailable: 1 })],
      pubs: [],
    });
    assert.deepEqual(limits, []);
  });

  it('falls back to the spec, rounded up, while the controller has not seen the budget yet', () => {
    const limits = budgetLimits({ pods: pods(10), cloneSetName: 'web', unavailableNow: new Set(), pdbs: [pdb('p', { selector: {}, minAvailable: '85%' })], pubs: [] });
    // 85% of 10 rounded up is 9 desired healthy: 1 may be unavailable.
    assert.equal(limits[0].limit, 1);
  });

  it('reads a PDB status of zeros without observedGeneration (no disruption controller ran) as no status: the spec decides', () => {
    const zeros = { metadata: { name: 'p', generation: 1 }, spec: { selector: {}, minAvailable: '80%' }, status: { disruptionsAllowed: 0, currentHealthy: 0, desiredHealthy: 0, expectedPods: 0 } };
    const limits = budgetLimits({ pods: pods(5), cloneSetName: 'web', unavailableNow: new Set(), pdbs: [zeros], pubs: [] });
    assert.equal(limits[0].limit, 1, '80% of 5 rounded up is 4 healthy');
  });

    it('counts unavailable pods the budget covers outside the CloneSet against it', () => {
    // 12 pods covered (10 ours, 2 elsewhere), 2 allowed, 11 healthy: one pod elsewhere is down.
    const limits = budgetLimits({
      pods: pods(10),
      cloneSetName: 'web',
      unavailableNow: new Set(),
      pdbs: [pdb('wide', { selector: {}, maxUnavailable: 2 }, { expectedPods: 12, desiredHealthy: 10, currentHealthy: 11 })],
      pubs: [],
    });
    assert.equal(limits[0].othersUnavailable, 1);
    assert.equal(bindingLimit([ownLimit(3, false, '3'), ...limits]).effective, 1);
  });

  it("keeps others' unavailable pods as its status last said until the status changes: one of ours going down frees nothing", () => {
    // 7 covered (5 ours, 2 elsewhere), maxUnavailable 2, one pod elsewhere down.
    const wide = (rv: string, currentHealthy: number): PodDisruptionBudget => ({
      ...pdb('wide', { selector: {}, maxUnavailable: 2 }, { expectedPods: 7, desiredHealthy: 5, currentHealthy }),
      metadata: { name: 'wide', generation: 1, resourceVersion: rv },
    });
    const at = (p: PodDisruptionBudget, down: string[]) => budgetLimits({ pods: pods(5), cloneSetName: 'web', unavailableNow: new Set(down), pdbs: [p], pubs: [] });
    let held = holdOthersBetweenStatuses(at(wide('10', 6), []), new Map());
    assert.equal(held.limits[0].othersUnavailable, 1);
    // web-0 goes down before the controller has counted it: the same status now reads "none elsewhere" ...
    assert.equal(at(wide('10', 6), ['web-0'])[0].othersUnavailable, 0);
    // ... which would leave room for a second pod of ours. Held, it does not.
    held = holdOthersBetweenStatuses(at(wide('10', 6), ['web-0']), held.memory);
    assert.equal(held.limits[0].othersUnavailable, 1);
    assert.deepEqual(roomUnder(held.limits, new Set(['web-0'])), [0]);
    // The controller's next status counts web-0: taken afresh from it.
    held = holdOthersBetweenStatuses(at(wide('11', 5), ['web-0']), held.memory);
    assert.equal(held.limits[0].othersUnavailable, 1);
    // The pod elsewhere recovers: a new status, a new figure.
    held = holdOthersBetweenStatuses(at(wide('12', 6), ['web-0']), held.memory);
    assert.equal(held.limits[0].othersUnavailable, 0);
    // A budget read from its spec (no status yet) has nothing to hold.
    assert.equal(holdOthersBetweenStatuses(at(pdb('fresh', { selector: {}, maxUnavailable: 2 }), []), new Map()).memory.size, 0);
  });

  it('takes a PUB cap from status.totalReplicas - status.desiredAvailable, by selector or targetRef to the CloneSet', () => {
    const pub: PodUnavailableBudget = {
      metadata: { name: 'web-pub', generation: 1 },
      spec: { targetRef: { apiVersion: 'apps.kruise.io/v1alpha1', kind: 'CloneSet', name: 'web' }, maxUnavailable: '10%' },
      status: { observedGeneration: 1, totalReplicas: 10, desiredAvailable: 9, currentAvailable: 10, unavailableAllowed: 1 },
    };
    const other: PodUnavailableBudget = { ...pub, metadata: { name: 'api-pub' }, spec: { targetRef: { apiVersion: 'apps.kruise.io/v1alpha1', kind: 'CloneSet', name: 'api' }, maxUnavailable: 1 } };
    const limits = budgetLimits({ pods: pods(10), cloneSetName: 'web', unavailableNow: new Set(), pdbs: [], pubs: [pub, other] });
    assert.deepEqual(limits.map((l) => [l.source, l.limit]), [['PodUnavailableBudget web-pub', 1]]);
  });

  it('says which limit binds, and the budget wins a tie with maxUnavailable', () => {
    const own = ownLimit(3, false, '3');
    const budget = { source: 'PodDisruptionBudget web-pdb', rule: 'maxUnavailable 1', limit: 1, covers: new Set(['web-0']), othersUnavailable: 0 };
    const b = bindingLimit([own, budget]);
    assert.equal(b.effective, 1);
    assert.equal(b.binding, budget);
    assert.match(b.explanation, /^1 at a time: PodDisruptionBudget web-pdb maxUnavailable 1 binds \(CloneSet maxUnavailable 3 allows 3\)$/);
    assert.equal(bindingLimit([own, { ...budget, limit: 3 }]).binding.source, 'PodDisruptionBudget web-pdb');
    assert.equal(bindingLimit([own]).binding, own);
  });

  it('lets a pod start only when every cap covering it has room', () => {
    const own = ownLimit(3, false, '3');
    const budget = { source: 'PDB', rule: 'maxUnavailable 1', limit: 1, covers: new Set(['a', 'b']), othersUnavailable: 0 };
    const room = roomUnder([own, budget], new Set());
    assert.ok(takeRoom([own, budget], room, 'a'));
    assert.ok(!takeRoom([own, budget], room, 'b'), 'the PDB has no room left');
    assert.ok(takeRoom([own, budget], room, 'c'), 'c is not covered by the PDB');
    assert.deepEqual(room, [1, 0]);
    assert.deepEqual(roomUnder([own, budget], new Set(['a', 'x'])), [1, 0]);
  });

  it('names the budgets tighter than maxUnavailable for inplace', () => {
    const own = ownLimit(3, false, '3');
    const budget = { source: 'PDB', rule: 'maxUnavailable 1', limit: 1, covers: new Set(['a']), othersUnavailable: 0 };
    assert.deepEqual(tighterBudgets([own, budget], 3), [budget]);
    assert.deepEqual(tighterBudgets([own, budget], 1), []);
  });
});

describe('hazards: the controllers around a CloneSet', () => {
  it('names a UnitedDeployment owner and what to restart instead', () => {
    const cs = cloneSet();
    cs.metadata.ownerReferences = [{ apiVersion: 'apps.kruise.io/v1alpha1', kind: 'UnitedDeployment', name: 'shop', uid: 'u', controller: true }];
    cs.metadata.labels = { 'apps.kruise.io/subset-name': 'zone-a' };
    const owner = foreignOwner(cs);
    assert.match(owner?.reason ?? '', /subset \(zone-a\) of UnitedDeployment "shop".*reverted/);
    assert.match(owner?.instead ?? '', /ud\/shop/);
  });

  it('names any other controller owner, and ignores owners that are not controllers', () => {
    const cs = cloneSet();
    cs.metadata.ownerReferences = [{ apiVersion: 'example.com/v1', kind: 'App', name: 'a', uid: 'u', controller: false }];
    assert.equal(foreignOwner(cs), undefined);
    cs.metadata.ownerReferences[0].controller = true;
    assert.match(foreignOwner(cs)?.reason ?? '', /controlled by App "a" \(example.com\/v1\)/);
  });

  it('finds a Rollout targeting the CloneSet by v1beta1 workloadRef or v1alpha1 objectRef, skipping disabled or empty ones', () => {
    const cs = cloneSet();
    const ref = { apiVersion: 'apps.kruise.io/v1alpha1', kind: 'CloneSet', name: 'web' };
    const beta: KruiseRollout = { metadata: { name: 'r1' }, spec: { workloadRef: ref, strategy: { canary: { steps: [] } } } };
    const alpha: KruiseRollout = { metadata: { name: 'r2' }, spec: { objectRef: { workloadRef: ref }, strategy: { canary: {} } } };
    assert.equal(targetingRollout(cs, [beta])?.metadata.name, 'r1');
    assert.equal(targetingRollout(cs, [alpha])?.metadata.name, 'r2');
    assert.equal(targetingRollout(cs, [{ ...beta, status: { phase: 'Disabled' } }]), undefined);
    assert.equal(targetingRollout(cs, [{ ...beta, spec: { workloadRef: ref, strategy: {} } }]), undefined);
    assert.equal(targetingRollout(cs, [{ ...beta, spec: { workloadRef: { ...ref, name: 'api' }, strategy: { canary: {} } } }]), undefined);
    assert.equal(targetingRollout(cloneSet({ replicas: 0 }), [beta]), undefined, 'a CloneSet without replicas never enters a release');
  });

  it('lists native sidecars and containers without a readiness probe', () => {
    const cs = cloneSet({ containers: ['app', 'proxy'] });
    cs.spec.template.spec.containers[0].readinessProbe = { httpGet: { path: '/', port: 80 } };
    cs.spec.template.spec.initContainers = [{ name: 'init' }, { name: 'mesh', restartPolicy: 'Always' }];
    assert.deepEqual(nativeSidecars(cs.spec.template), ['mesh']);
    assert.deepEqual(containersWithoutReadiness(cs.spec.template, ['app', 'proxy']), ['proxy']);
  });
});

describe('hazards: maxSurge with an in-place change, replayed as Kruise v1.9 counts it', () => {
  it('10 replicas, maxSurge 2: 2 surge pods, 8 restarted in place, 2 old pods deleted instead of restarted', () => {
    const f = surgeForecast(cloneSet({ replicas: 10, maxSurge: 2 }));
    assert.deepEqual(f, { created: 2, restartedInPlace: 8, deletedOld: 2, deletedNew: 0, peakPods: 12 });
    assert.match(describeSurge(f!, 2), /creates 2 new pods .* restarts 8 in place, then deletes 2 old pods that are replaced, not restarted/);
  });

  it('3 replicas, maxSurge 2: the surge shrinks as the target nears, 2 old pods replaced and 1 restarted', () => {
    assert.deepEqual(surgeForecast(cloneSet({ replicas: 3, maxSurge: 2 })), { created: 2, restartedInPlace: 1, deletedOld: 2, deletedNew: 0, peakPods: 5 });
  });

  it('a partition keeps its pods out of it, and maxSurge 0 has no forecast', () => {
    assert.deepEqual(surgeForecast(cloneSet({ replicas: 10, maxSurge: 1, partition: 6 })), { created: 1, restartedInPlace: 3, deletedOld: 1, deletedNew: 0, peakPods: 11 });
    assert.equal(surgeForecast(cloneSet({ replicas: 10 })), undefined);
  });
});

describe('crr pacing within disruption budgets', () => {
  const order = ['web-0', 'web-1', 'web-2', 'web-3'];
  const base = { order, crrs: [], budget: 3, minReadySeconds: 0, readyTimeoutSeconds: 300, maxFailures: 0, now: ms(10), memory: emptyMemory() };

  it('starts no more pods than the tightest budget covering them allows', () => {
    const pdb = { source: 'PodDisruptionBudget web', rule: 'maxUnavailable 1', limit: 1, covers: new Set(order), othersUnavailable: 0 };
    assert.deepEqual(nextPodsToStart({ ...base, pods: pods(4), limits: [pdb] }).start, ['web-0']);
    assert.deepEqual(nextPodsToStart({ ...base, pods: pods(4) }).start, ['web-0', 'web-1', 'web-2']);
    // Pods of the budget unavailable elsewhere use it up: nothing starts.
    assert.deepEqual(nextPodsToStart({ ...base, pods: pods(4), limits: [{ ...pdb, othersUnavailable: 1 }] }).start, []);
  });

  it('a pod deleted under its request (Kruise: "pod has gone") is skipped, not failed', () => {
    const gone = crr({ pod: 'web-0', completed: 5, message: 'pod has gone' });
    const d = nextPodsToStart({ ...base, pods: pods(4).slice(1), crrs: [gone], budget: 1 });
    assert.deepEqual(d.failed, []);
    assert.deepEqual(d.skipped.map((x) => x.pod), ['web-0']);
    assert.deepEqual(d.start, ['web-1']);
  });

  it('a pod still terminating, or replaced under the same name, is gone as Kruise judges it: skipped, not failed', () => {
    const gone = crr({ pod: 'web-0', completed: 5, message: 'pod has gone' });
    const [first, ...rest] = pods(4);
    const terminating = { ...first, metadata: { ...first.metadata, deletionTimestamp: '2026-01-01T00:00:05Z' } };
    const d = nextPodsToStart({ ...base, pods: [terminating, ...rest], crrs: [gone], budget: 1 });
    assert.deepEqual(d.failed, []);
    assert.deepEqual(d.skipped.map((x) => x.pod), ['web-0']);
    const replaced = { ...first, metadata: { ...first.metadata, uid: 'a-new-pod' } };
    const stamped = { ...gone, metadata: { ...gone.metadata, labels: { ...gone.metadata.labels, [KRUISE.crrPodUidLabel]: 'the-old-pod' } } };
    assert.deepEqual(nextPodsToStart({ ...base, pods: [replaced, ...rest], crrs: [stamped], budget: 1 }).failed, []);
    // Kruise said "pod has gone" while our cache still holds the pod (its DELETED event not yet here): Kruise is right.
    assert.deepEqual(nextPodsToStart({ ...base, pods: [first, ...rest], crrs: [gone], budget: 1 }).failed, []);
    // The same pod, alive, whose request failed for another reason: a failed restart.
    const failed = crr({ pod: 'web-0', completed: 5, message: 'daemon has not responded for a long time' });
    assert.deepEqual(nextPodsToStart({ ...base, pods: [first, ...rest], crrs: [failed], budget: 1 }).failed.map((f) => f.pod), ['web-0']);
  });
});
