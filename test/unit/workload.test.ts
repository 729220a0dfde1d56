import assert from 'node:assert/strict';
import { buildProgress } from '../../src/kruise/progress';
import { CLONESET, IN_PLACE_WORKLOADS, workloadByKind, type InPlaceWorkload } from '../../src/kruise/workload';
import type { Pod } from '../../src/kruise/types';
import { NEW_REV, OLD_REV, cloneSet, inplaceRecord, ms, oldPod, restartedPod } from './fixtures';

describe('in-place workload kinds', () => {
  it('the CloneSet is the one kind, found by its API kind', () => {
    assert.deepEqual(IN_PLACE_WORKLOADS.map((w) => w.resource.kind), ['CloneSet']);
    assert.equal(workloadByKind('CloneSet'), CLONESET);
    assert.equal(workloadByKind('StatefulSet'), undefined);
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
