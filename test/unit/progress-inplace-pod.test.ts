import assert from 'node:assert/strict';
import { baselineOf, inPlaceKey, inPlaceVerdict, inPlaceVerdicts, type InPlaceContext } from '../../src/kruise/progress/inplace-pod';
import { containerProgress, targetNames } from '../../src/kruise/progress/readers';
import type { Pod } from '../../src/kruise/types';
import { NEW_REV, inplaceRecord, ms, notRestartedPod, oldPod, pod, recreatedPod, restartedPod, restartingPod } from './fixtures';

function context(o: Partial<InPlaceContext> = {}): InPlaceContext {
  return { record: inplaceRecord(), updateRevision: NEW_REV, revisionChanged: true, startedAt: ms(0), partitionReached: false, paused: false, inPlaceHook: false, ...o };
}
function verdictOf(p: Pod, ctx = context()) {
  const targets = targetNames(ctx.record, p);
  return inPlaceVerdict(ctx, p, targets, containerProgress(p, targets));
}
const kindsOf = (v: { concerns: { kind: string }[] }) => v.concerns.map((c) => c.kind);

describe('per-pod in-place verdict', () => {
  it('a pod whose target container started after its in-place update and that is Ready again is restarted, since Ready', () => {
    const v = verdictOf(restartedPod('web-a'));
    assert.equal(v.state, 'restarted');
    assert.equal(v.evidenceSince, ms(20));
    assert.deepEqual(v.concerns, []);
  });

  it('the early-done trap: revision flipped but containers not restarted yet is restarting, waiting for kruise-daemon', () => {
    const v = verdictOf(restartingPod('web-a'));
    assert.equal(v.state, 'restarting');
    assert.match(v.reason ?? '', /waiting for kruise-daemon to restart app/);
    assert.deepEqual(kindsOf(v), ['daemon-not-acting']);
    assert.equal(v.concerns[0].whenStuck, true);
  });

  it('Kruise done but the container still runs from before, with no env-from-metadata restart planned: failed, gate off', () => {
    const v = verdictOf(notRestartedPod('web-a'));
    assert.equal(v.state, 'failed');
    assert.match(v.reason ?? '', /started before the in-place update/);
    assert.deepEqual(kindsOf(v), ['not-restarted', 'gate-off']);
  });

  it('a restart planned but not done blames the wiring, not the gate', () => {
    const v = verdictOf(notRestartedPod('web-a', { envFromMetadata: true }));
    assert.equal(v.state, 'failed');
    assert.match(v.reason ?? '', /reads no env var from the trigger annotation/);
    assert.deepEqual(kindsOf(v), ['not-restarted']);
  });

  it('a pod created after the update is recreated, not restarted', () => {
    const v = verdictOf(recreatedPod('web-a'));
    assert.equal(v.state, 'recreated');
    assert.deepEqual(kindsOf(v), ['recreated']);
  });

  it('an old-revision pod is pending, skipped once the partition is reached, and waits for the controller before a new revision', () => {
    assert.equal(verdictOf(oldPod('web-a')).state, 'pending');
    assert.equal(verdictOf(oldPod('web-a'), context({ partitionReached: true })).state, 'skipped');
    const before = verdictOf(oldPod('web-a'), context({ revisionChanged: false }));
    assert.equal(before.state, 'pending');
    assert.match(before.reason ?? '', /controller to pick up the new template/);
    assert.equal(verdictOf(oldPod('web-a'), context({ paused: true })).reason, 'CloneSet is paused');
  });

  it('a terminating pod is restarting with a terminating concern that counts only once stuck', () => {
    const v = verdictOf(restartedPod('web-a', { deleting: true }));
    assert.equal(v.state, 'restarting');
    assert.deepEqual(v.concerns, [{ kind: 'terminating', whenStuck: true }]);
  });

  it('with a baseline, a new container ID proves the restart, and a new UID a recreation', () => {
    const before = [oldPod('web-a', { containers: [{ id: 'containerd://one', startedAt: -86000 }] })];
    const baseline = baselineOf(before);
    assert.deepEqual(baseline, { 'web-a': { uid: 'uid-web-a', containers: { app: { restartCount: 0, containerID: 'containerd://one' } } } });
    const same = verdictOf(restartedPod('web-a', { containers: [{ id: 'containerd://one', startedAt: 15 }] }), context({ baseline }));
    assert.equal(same.state, 'failed');
    assert.match(same.reason ?? '', /still runs the same container/);
    const restarted = verdictOf(restartedPod('web-a', { containers: [{ id: 'containerd://two', restartCount: 1, startedAt: 15 }] }), context({ baseline }));
    assert.equal(restarted.state, 'restarted');
    assert.equal(verdictOf(restartedPod('web-a', { uid: 'uid-new' }), context({ baseline })).state, 'recreated');
  });

  it('reuses the verdict of a pod object seen before in the same context, and judges again when the context changes', () => {
    const pods = [restartedPod('web-a'), oldPod('web-b')];
    const ctx = context();
    const first = inPlaceVerdicts(ctx, pods);
    assert.deepEqual(first.map((e) => e.pod.state), ['restarted', 'pending']);
    const again = inPlaceVerdicts(context(), pods);
    assert.equal(again[0].verdict, first[0].verdict, 'same pod object, same context: same verdict object');
    const partitioned = inPlaceVerdicts(context({ partitionReached: true }), pods);
    assert.notEqual(inPlaceKey(context({ partitionReached: true })), inPlaceKey(ctx));
    assert.equal(partitioned[1].pod.state, 'skipped');
  });

  it('an unparsable inplace-update-state is no evidence: the new-revision pod counts as recreated, never throws', () => {
    const v = verdictOf(pod({ name: 'web-a', revision: NEW_REV, updateState: '{not json' }));
    assert.equal(v.state, 'recreated');
  });
});
