import assert from 'node:assert/strict';
import { crrFailure, crrVerdict, crrVerdicts, crrsByPod } from '../../src/kruise/progress/crr-pod';
import { RUN, crr, crrRecord, ms, oldPod, pod, succeededCrr } from './fixtures';

describe('per-pod CRR verdict', () => {
  const record = crrRecord(['web-a', 'web-b']);

  it('a selected pod with no request yet is pending since the run started; after a failed run, says the run ended first', () => {
    const v = crrVerdict(record, 'web-a', oldPod('web-a'), undefined);
    assert.equal(v.state, 'pending');
    assert.equal(v.evidenceSince, ms(0));
    assert.equal(crrVerdict(crrRecord(['web-a'], { finished: 'failed' }), 'web-a', oldPod('web-a'), undefined).reason, 'the run ended before this pod');
  });

  it('a request not picked up is restarting, a daemon concern once stuck; a queued one waits behind another', () => {
    const fresh = crrVerdict(record, 'web-a', oldPod('web-a'), crr({ pod: 'web-a' }));
    assert.equal(fresh.state, 'restarting');
    assert.match(fresh.reason ?? '', /waiting for kruise-daemon on node node-1/);
    assert.deepEqual(fresh.concerns, [{ kind: 'daemon-not-acting', whenStuck: true }]);
    assert.equal(crrVerdict(record, 'web-a', oldPod('web-a'), crr({ pod: 'web-a', phase: 'Pending' })).reason, 'queued behind another CRR on this pod');
  });

  it('a succeeded request on a Ready pod is restarted, since the later of completion and Ready', () => {
    const v = crrVerdict(record, 'web-a', oldPod('web-a', { readySince: 25 }), succeededCrr('web-a', 20));
    assert.equal(v.state, 'restarted');
    assert.equal(v.evidenceSince, ms(25));
    assert.equal(v.crrPhase, 'Completed');
  });

  it('Completed is not success: a container that ended Failed fails the pod unless the policy is Ignore', () => {
    const failed = crr({ pod: 'web-a', completed: 20, states: [{ phase: 'Failed', message: 'kill failed' }] });
    assert.equal(crrFailure(failed), 'container app: kill failed');
    const v = crrVerdict(record, 'web-a', oldPod('web-a'), failed);
    assert.equal(v.state, 'failed');
    assert.deepEqual(v.concerns.map((c) => c.kind), ['crr-failed']);
    assert.equal(crrFailure(crr({ pod: 'web-a', completed: 20, failurePolicy: 'Ignore', states: [{ phase: 'Failed' }] })), undefined);
    assert.equal(crrFailure(crr({ pod: 'web-a', completed: 20 })), 'container app: no recreate state reported');
  });

  it('a container missing on the node keeps the request Recreating: container-missing, named with the deadline', () => {
    const missing = crr({ pod: 'web-a', phase: 'Recreating', states: [{ phase: 'Pending', message: 'not found container on Node' }] });
    const v = crrVerdict(record, 'web-a', oldPod('web-a'), missing);
    assert.equal(v.state, 'restarting');
    assert.match(v.reason ?? '', /stays Recreating forever \(no activeDeadlineSeconds\)/);
    assert.deepEqual(v.concerns.map((c) => c.kind), ['container-missing']);
  });

  it("the run's own recorded verdicts win: a pod the run failed is failed, one it skipped without a request is skipped", () => {
    const withOutcomes = crrRecord(['web-a', 'web-b'], { outcomes: { 'web-a': { state: 'failed', reason: 'not Ready within 5m' }, 'web-b': { state: 'skipped', reason: 'pod gone' } } });
    assert.equal(crrVerdict(withOutcomes, 'web-a', oldPod('web-a'), succeededCrr('web-a')).state, 'failed');
    assert.equal(crrVerdict(withOutcomes, 'web-b', undefined, undefined).state, 'skipped');
  });

  it('keeps the newest request of the run per pod and ignores other runs', () => {
    const older = crr({ pod: 'web-a', name: 'old', created: 1 });
    const newer = crr({ pod: 'web-a', name: 'new', created: 5 });
    const other = crr({ pod: 'web-b', run: 'another-run', name: 'other' });
    const byPod = crrsByPod([newer, older, other], RUN);
    assert.deepEqual([...byPod.keys()], ['web-a']);
    assert.equal(byPod.get('web-a')?.metadata.name, 'new');
  });

  it('judges exactly the pods the run selected, by name, even one that is gone', () => {
    const byName = new Map([['web-b', oldPod('web-b')], ['web-c', pod({ name: 'web-c' })]]);
    const evaluated = crrVerdicts(crrRecord(['web-b', 'web-a']), [crr({ pod: 'web-a', node: 'node-9' })], byName, undefined);
    assert.deepEqual(evaluated.map((e) => [e.pod.name, e.pod.state]), [['web-a', 'restarting'], ['web-b', 'pending']]);
    assert.equal(evaluated[0].pod.node, 'node-9', 'a gone pod shows the node its request was for');
  });
});
