import assert from 'node:assert/strict';
import { buildProgress } from '../../src/kruise/progress';
import { ADVANCED_DAEMONSET, ADVANCED_STATEFULSET, CLONESET, IN_PLACE_WORKLOADS, daemonSetCaveats, ordinalOf, podsReachedBySelector, workloadByKind, type AdvancedDaemonSet, type AdvancedStatefulSet, type InPlaceWorkload } from '../../src/kruise/workload';
import type { Pod } from '../../src/kruise/types';
import { NEW_REV, OLD_REV, cloneSet, inplaceRecord, ms, oldPod, restartedPod } from './fixtures';

describe('in-place workload kinds', () => {
  it('three kinds, found by their API kind', () => {
    assert.deepEqual(IN_PLACE_WORKLOADS.map((w) => w.resource.kind), ['CloneSet', 'StatefulSet', 'DaemonSet']);
    assert.equal(workloadByKind('CloneSet'), CLONESET);
    assert.equal(workloadByKind('StatefulSet'), ADVANCED_STATEFULSET);
    assert.equal(workloadByKind('Deployment'), undefined);
    assert.deepEqual(CLONESET.resource, { kind: 'CloneSet', group: 'apps.kruise.io', version: 'v1alpha1', plural: 'clonesets', singular: 'cloneset', shortNames: ['clone'] });
    assert.equal(CLONESET.templatePath, '/spec/template');
  });

  describe('CloneSet', () => {
    it('resolves its rollout settings as the controller does (default ReCreate, 20% rounded up without surge, partition count)', () => {
      const settings = CLONESET.rollout(cloneSet({ replicas: 10, partition: '25%', status: { currentRevision: OLD_REV } }));
      assert.equal(settings.desired, 10);
      assert.equal(settings.maxUnavailable, 2);
      assert.equal(settings.partition, 3);
      assert.equal(settings.podsToUpdate, 7);
      assert.equal(settings.handling, 'in-place');
      assert.equal(settings.updateRevision, NEW_REV);
      const bare = cloneSet();
      delete bare.spec.updateStrategy;
      assert.deepEqual([CLONESET.rollout(bare).strategy, CLONESET.rollout(bare).handling], ['ReCreate', 'recreate']);
      assert.equal(CLONESET.rollout(cloneSet({ strategy: 'OnDelete' })).handling, 'on-delete');
      assert.equal(CLONESET.rollout(cloneSet({ strategy: 'InPlaceOnly' })).handling, 'in-place-only');
    });

    it('the partition, a count, is reached once as many pods as the controller expects are on the new revision', () => {
      const cs = cloneSet({ replicas: 4, partition: 2, status: { expectedUpdatedReplicas: 2 } });
      const pods = [restartedPod('web-a'), restartedPod('web-b'), oldPod('web-c'), oldPod('web-d')];
      const isNew = (p: Pod) => p.metadata.labels?.['controller-revision-hash'] === NEW_REV;
      assert.equal(CLONESET.partitionReached(cs, pods, isNew), true);
      assert.equal(CLONESET.partitionReached(cs, pods.slice(1), isNew), false);
      assert.equal(CLONESET.partitionReached(cloneSet({ replicas: 4 }), pods, isNew), false, 'no partition: nothing is kept back');
    });

    it('a budget of 0 with no surge would never move: said with the value as typed', () => {
      assert.match(CLONESET.budgetStall(cloneSet({ replicas: 4, maxUnavailable: '12.5%' })) ?? '', /"12.5%" resolves to 0 pods .*reads percentages as whole numbers/);
      assert.equal(CLONESET.budgetStall(cloneSet({ replicas: 4, maxUnavailable: 0, maxSurge: 1 })), undefined);
      assert.equal(CLONESET.budgetStall(cloneSet({ replicas: 4 })), undefined);
    });

    it('an unfinished earlier rollout is one the controller has not observed or not finished updating', () => {
      assert.match(CLONESET.rolloutUnfinished(cloneSet({ status: { observedGeneration: 1 } })) ?? '', /not yet observed generation 2/);
      assert.match(CLONESET.rolloutUnfinished(cloneSet({ replicas: 3, status: { currentRevision: OLD_REV, updatedReplicas: 1 } })) ?? '', /still rolling out \(1\/3 pods updated\)/);
      assert.equal(CLONESET.rolloutUnfinished(cloneSet({ replicas: 3, status: { currentRevision: NEW_REV } })), undefined);
    });
  });

  it('the progress model asks the kind, not the CloneSet: its completion rule, subject, budget and unpause command', () => {
    const pods = ['a', 'b'].map((n) => restartedPod(`web-${n}`));
    const cs = cloneSet({ pods, paused: true });
    const held: InPlaceWorkload = {
      ...CLONESET,
      resource: { ...CLONESET.resource, kind: 'Held', singular: 'held' },
      statusGap: () => 'the held controller has not caught up',
      rollout: (w) => ({ ...CLONESET.rollout(w), maxUnavailable: 7 }),
      unpauseCommand: () => 'unhold it',
    };
    const asCloneSet = buildProgress({ cloneSet: cs, pods, record: inplaceRecord(), now: ms(60) });
    assert.equal(asCloneSet.complete, true);
    const asHeld = buildProgress({ cloneSet: cs, pods, record: inplaceRecord(), now: ms(60), kind: held });
    assert.equal(asHeld.complete, false);
    assert.equal(asHeld.cloneSet.maxUnavailable, 7);
    assert.equal(asHeld.message, 'Waiting for held web restart to finish: 2 of 2 pods restarted (the held controller has not caught up)');
    const waiting = buildProgress({ cloneSet: cs, pods: [...pods, oldPod('web-c')], record: inplaceRecord(), now: ms(60), kind: held });
    assert.equal(waiting.state, 'paused');
    assert.match(waiting.message, /unpause with: unhold it$/);
  });
});

describe('Advanced StatefulSet as an in-place workload', () => {
  const set = (spec: Record<string, unknown>, status: Record<string, unknown> = {}) =>
    ({ metadata: { name: 'db', namespace: 'shop', generation: 2 }, spec: { replicas: 5, selector: {}, template: { spec: { containers: [] } }, ...spec }, status: { observedGeneration: 2, ...status } }) as unknown as AdvancedStatefulSet;

  it('reads podUpdatePolicy; OrderedReady moves one pod at a time whatever maxUnavailable says; Parallel reads it rounded down, at least 1', () => {
    const ordered = ADVANCED_STATEFULSET.rollout(set({ updateStrategy: { type: 'RollingUpdate', rollingUpdate: { podUpdatePolicy: 'InPlaceIfPossible', maxUnavailable: 3 } } }));
    assert.equal(ordered.handling, 'in-place');
    assert.equal(ordered.maxUnavailable, 1);
    const parallel = (mu: number | string) => ADVANCED_STATEFULSET.rollout(set({ podManagementPolicy: 'Parallel', updateStrategy: { type: 'RollingUpdate', rollingUpdate: { podUpdatePolicy: 'InPlaceOnly', maxUnavailable: mu } } }));
    assert.equal(parallel(2).maxUnavailable, 2);
    assert.equal(parallel('50%').maxUnavailable, 2);
    assert.equal(parallel('10%').maxUnavailable, 1);
    assert.equal(parallel('12.5%').maxUnavailable, 0);
    assert.match(ADVANCED_STATEFULSET.budgetStall(set({ podManagementPolicy: 'Parallel', updateStrategy: { rollingUpdate: { maxUnavailable: '12.5%' } } })) ?? '', /cannot be read/);
    assert.equal(ADVANCED_STATEFULSET.rollout(set({})).handling, 'recreate');
    assert.equal(ADVANCED_STATEFULSET.rollout(set({ updateStrategy: { type: 'OnDelete' } })).handling, 'on-delete');
  });

  it('the partition is an ordinal boundary: replicas - partition pods to update; the status must show them updated and available', () => {
    const w = set({ updateStrategy: { rollingUpdate: { partition: 2, podUpdatePolicy: 'InPlaceIfPossible' } } }, { replicas: 5, updateRevision: 'db-new', updatedReplicas: 3, updatedAvailableReplicas: 2 });
    assert.equal(ADVANCED_STATEFULSET.rollout(w).podsToUpdate, 3);
    assert.equal(ADVANCED_STATEFULSET.statusGap(w, 'db-old'), '2 of 3 updated replicas available');
    assert.equal(ADVANCED_STATEFULSET.statusGap({ ...w, status: { ...w.status, updatedAvailableReplicas: 3 } }, 'db-old'), undefined);
    assert.equal(ADVANCED_STATEFULSET.statusGap(w, 'db-new'), 'the controller has not produced the new revision yet');
    assert.equal(ordinalOf('db', 'db-12'), 12);
    assert.equal(ordinalOf('db', 'db-x'), undefined);
  });
});

describe('Advanced DaemonSet as an in-place workload', () => {
  const ds = (ru: Record<string, unknown>, status: Record<string, unknown> = {}) =>
    ({ metadata: { name: 'agent', namespace: 'shop', generation: 1 }, spec: { selector: {}, template: { spec: { containers: [] } }, updateStrategy: { type: 'RollingUpdate', rollingUpdate: ru } }, status: { observedGeneration: 1, desiredNumberScheduled: 6, ...status } }) as unknown as AdvancedDaemonSet;

  it('counts nodes: maxUnavailable of desiredNumberScheduled rounded up (1 when both are 0), partition rounded down, the strict parser', () => {
    assert.equal(ADVANCED_DAEMONSET.rollout(ds({ rollingUpdateType: 'InPlaceIfPossible', maxUnavailable: '30%' })).maxUnavailable, 2);
    assert.equal(ADVANCED_DAEMONSET.rollout(ds({ maxUnavailable: 0, maxSurge: 0 })).maxUnavailable, 1);
    assert.equal(ADVANCED_DAEMONSET.rollout(ds({ partition: '50%' })).podsToUpdate, 3);
    assert.equal(ADVANCED_DAEMONSET.rollout(ds({ partition: '60%' })).partition, 3);
    assert.equal(ADVANCED_DAEMONSET.rollout(ds({ rollingUpdateType: 'InPlaceIfPossible' })).handling, 'in-place');
    assert.equal(ADVANCED_DAEMONSET.rollout(ds({ rollingUpdateType: 'Standard' })).handling, 'recreate');
    assert.match(ADVANCED_DAEMONSET.budgetStall(ds({ maxUnavailable: '12.5%' })) ?? '', /maxUnavailable "12.5%" cannot be read/);
  });

  it('complete by its status once the nodes it updates are updated (no updated-ready count: the pods decide the rest)', () => {
    assert.equal(ADVANCED_DAEMONSET.statusGap(ds({}, { updateRevision: 'h2', updatedNumberScheduled: 5 }), 'h1'), '5 of 6 nodes updated');
    assert.equal(ADVANCED_DAEMONSET.statusGap(ds({}, { updateRevision: 'h2', updatedNumberScheduled: 6 }), 'h1'), undefined);
  });

  it('names the pods without the readiness gate as recreated, and refuses a rollingUpdate.selector', () => {
    const pod = (name: string, gate: boolean) => ({ metadata: { name }, spec: { nodeName: `n-${name}`, containers: [], ...(gate ? { readinessGates: [{ conditionType: 'InPlaceUpdateReady' }] } : {}) } }) as unknown as Pod;
    const caveats = daemonSetCaveats(ds({ rollingUpdateType: 'InPlaceIfPossible' }), [pod('a', true), pod('b', false)]);
    assert.match(caveats.warnings[0], /^1 of 2 pods lack the InPlaceUpdateReady readiness gate .* recreate it instead of restarting in place: b \(node n-b\)$/);
    assert.match(daemonSetCaveats(ds({ selector: { matchLabels: { a: 'b' } } }), []).refusal?.reason ?? '', /rollingUpdate\.selector: .*without reading the nodes/);
  });

  describe('rollingUpdate.selector (filterDaemonPodsNodeToUpdate)', () => {
    const pod = (node: string) => ({ metadata: { name: `agent-${node}` }, spec: { nodeName: node, containers: [], readinessGates: [{ conditionType: 'InPlaceUpdateReady' }] } }) as unknown as Pod;
    const pods = ['n0', 'n1', 'n2', 'n3', 'n4', 'n5'].map(pod);
    const nodes = new Map(['n0', 'n1', 'n2', 'n3', 'n4', 'n5'].map((n, i) => [n, { 'kubernetes.io/hostname': n, ...(i % 2 === 0 ? { pool: 'canary' } : {}) }]));
    const names = (list: Pod[]) => list.map((p) => p.metadata.name).sort();

    it('reaches only the pods on the nodes it picks (matchLabels or matchExpressions; an empty selector picks every node)', () => {
      assert.deepEqual(names(podsReachedBySelector(ds({ selector: { matchLabels: { pool: 'canary' } } }), pods, nodes).reached), ['agent-n0', 'agent-n2', 'agent-n4']);
      assert.deepEqual(names(podsReachedBySelector(ds({ selector: { matchExpressions: [{ key: 'pool', operator: 'DoesNotExist' }] } }), pods, nodes).reached), ['agent-n1', 'agent-n3', 'agent-n5']);
      assert.equal(podsReachedBySelector(ds({ selector: {} }), pods, nodes).reached.length, 6);
    });

    it('the partition cuts the picked nodes to nodes minus partition, from the highest name down', () => {
      const split = podsReachedBySelector(ds({ selector: { matchLabels: { pool: 'canary' } }, partition: 4 }), pods, nodes);
      assert.deepEqual(names(split.reached), ['agent-n2', 'agent-n4']);
      assert.deepEqual(names(split.passed), ['agent-n0', 'agent-n1', 'agent-n3', 'agent-n5']);
      assert.equal(podsReachedBySelector(ds({ selector: { matchLabels: { pool: 'canary' } }, partition: '100%' }), pods, nodes).reached.length, 0);
    });

    it('the plan names how many and which pods restart and which stay', () => {
      const caveats = daemonSetCaveats(ds({ rollingUpdateType: 'InPlaceIfPossible', selector: { matchLabels: { pool: 'canary' } } }), pods, nodes);
      assert.equal(caveats.reached?.length, 3);
      assert.match(caveats.warnings[0], /^spec\.updateStrategy\.rollingUpdate\.selector pool=canary limits the update to 3 of 6 pods: agent-n4 \(node n4\), agent-n2 \(node n2\), agent-n0 \(node n0\); Kruise leaves the other 3 as they are: agent-n1 \(node n1\)/);
    });

    it('completion counts the nodes the restart reached; a rollout under a selector is judged by its pods, not the status count', () => {
      assert.equal(ADVANCED_DAEMONSET.statusGap(ds({}, { updateRevision: 'h2', updatedNumberScheduled: 2 }), 'h1', 2), undefined);
      assert.equal(ADVANCED_DAEMONSET.statusGap(ds({}, { updateRevision: 'h2', updatedNumberScheduled: 1 }), 'h1', 2), '1 of 2 nodes updated');
      assert.equal(ADVANCED_DAEMONSET.rolloutUnfinished(ds({ selector: { matchLabels: { pool: 'canary' } } }, { updateRevision: 'h2', updatedNumberScheduled: 2 })), undefined);
      assert.match(ADVANCED_DAEMONSET.rolloutUnfinished(ds({}, { updateRevision: 'h2', updatedNumberScheduled: 2 })) ?? '', /still rolling out \(2\/6 nodes updated\)/);
    });
  });
});
