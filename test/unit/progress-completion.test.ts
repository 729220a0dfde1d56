import assert from 'node:assert/strict';
import { cloneSetProgress, completion, inPlaceStatusGap, runState } from '../../src/kruise/progress/completion';
import { emptySummary } from '../../src/kruise/progress/summary';
import type { ProgressInput } from '../../src/kruise/progress/document';
import { NEW_REV, OLD_REV, at, cloneSet, crrRecord, inplaceRecord, ms, restartedPod } from './fixtures';

describe('the workload-level completion rule', () => {
  const done = [{ state: 'restarted' as const }, { state: 'recreated' as const }, { state: 'skipped' as const }];

  it('an in-place restart is complete only when every pod is done and the CloneSet status agrees', () => {
    assert.deepEqual(completion(inplaceRecord(), done, 0, undefined), { complete: true, failed: false });
    assert.deepEqual(completion(inplaceRecord(), done, 0, '2 of 3 replicas updated'), { complete: false, failed: false });
    assert.deepEqual(completion(inplaceRecord(), [...done, { state: 'restarting' }], 0, undefined), { complete: false, failed: false });
  });

  it("a crr run bypasses the controller: the CloneSet status does not hold it; a run recorded failed is failed", () => {
    assert.deepEqual(completion(crrRecord(['a']), done, 0, 'anything'), { complete: true, failed: false });
    assert.deepEqual(completion(crrRecord(['a'], { finished: 'failed' }), done, 0, undefined), { complete: false, failed: true });
  });

  it('one failed pod fails the restart', () => {
    assert.deepEqual(completion(inplaceRecord(), [...done, { state: 'failed' }], 1, undefined), { complete: false, failed: true });
  });

  describe('inPlaceStatusGap (the CloneSet status alone)', () => {
    const pods = ['a', 'b', 'c'].map((n) => restartedPod(`web-${n}`));
    it('holds once observed, on a new revision, all replicas updated and available', () => {
      assert.equal(inPlaceStatusGap(cloneSet({ pods }), inplaceRecord()), undefined);
    });
    it('names the first unmet point', () => {
      assert.equal(inPlaceStatusGap(cloneSet({ pods, status: { observedGeneration: 1 } }), inplaceRecord()), 'the controller has not observed generation 2 yet');
      assert.equal(inPlaceStatusGap(cloneSet({ pods, status: { updateRevision: OLD_REV } }), inplaceRecord()), 'the controller has not produced the new revision yet');
      assert.equal(inPlaceStatusGap(cloneSet({ pods, status: { updatedReplicas: 2 } }), inplaceRecord()), '2 of 3 replicas updated');
    });
    it('an omitted updatedAvailableReplicas is 0 once the controller wrote a status (omitempty), not "unknown"', () => {
      const cs = cloneSet({ pods });
      delete cs.status!.updatedAvailableReplicas;
      assert.equal(inPlaceStatusGap(cs, inplaceRecord()), '0 of 3 updated replicas available');
    });
    it('with a partition, reaching expectedUpdatedReplicas is enough', () => {
      const cs = cloneSet({ replicas: 3, partition: 1, status: { replicas: 3, updatedReplicas: 2, updatedAvailableReplicas: 2, updateRevision: NEW_REV } });
      assert.equal(inPlaceStatusGap(cs, inplaceRecord()), undefined);
    });
  });

  describe("the run's one-word state", () => {
    const cs = cloneSetProgress(cloneSet({ paused: true }));
    const pending = { ...emptySummary(1), pending: 1 };
    const input = (o: Partial<ProgressInput> = {}): ProgressInput => ({ cloneSet: cloneSet(), pods: [], now: ms(600), ...o });
    it('failed before complete, then paused only while pods wait on a paused CloneSet', () => {
      assert.equal(runState(input(), inplaceRecord(), cs, pending, true, true), 'failed');
      assert.equal(runState(input(), inplaceRecord(), cs, pending, true, false), 'complete');
      assert.equal(runState(input(), inplaceRecord(), cs, pending, false, false), 'paused');
      assert.equal(runState(input(), inplaceRecord(), cs, emptySummary(1), false, false), 'in-progress');
    });
    it('a crr run with pods to start and a stale heartbeat is interrupted, unless this process drives it', () => {
      const stale = crrRecord(['a'], { heartbeatAt: at(0) });
      assert.equal(runState(input(), stale, cs, pending, false, false), 'interrupted');
      assert.equal(runState(input({ driving: true }), stale, cs, pending, false, false), 'in-progress');
      assert.equal(runState(input(), crrRecord(['a'], { heartbeatAt: at(590) }), cs, pending, false, false), 'in-progress');
      assert.equal(runState(input(), stale, cs, emptySummary(1), false, false), 'in-progress', 'nothing left to start: requests finish on their own');
    });
  });
});
