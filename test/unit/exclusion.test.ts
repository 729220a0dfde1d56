// The state model (interrupted, paused) and the exclusion rule, without a cluster.
import assert from 'node:assert/strict';
import { describeOtherRestart, lostRace, overrides, unfinishedRestart } from '../../src/kruise/exclusion';
import { buildProgress } from '../../src/kruise/progress';
import { crrRunAbandoned, HEARTBEAT_STALE_MS } from '../../src/kruise/record';
import { at, cloneSet, crrRecord, inplaceRecord, ms, oldPod, restartedPod, restartingPod, succeededCrr, RUN } from './fixtures';

describe('exclusion: when another restart is unfinished', () => {
  const pods = [oldPod('web-a'), oldPod('web-b')];

  it('an inplace restart is unfinished until complete', () => {
    const other = unfinishedRestart({ cloneSet: cloneSet({ pods }), pods, record: inplaceRecord(), now: ms(30) });
    assert.ok(other);
    assert.equal(other.interrupted, false);
    const done = [restartedPod('web-a'), restartedPod('web-b')];
    assert.equal(unfinishedRestart({ cloneSet: cloneSet({ pods: done }), pods: done, record: inplaceRecord(), now: ms(60) }), undefined);
  });

  it('a crr run is unfinished while not marked finished and some pod is pending or restarting', () => {
    const record = crrRecord(['web-a', 'web-b'], { heartbeatAt: at(25) });
    const other = unfinishedRestart({ cloneSet: cloneSet({ pods }), pods, record, crrs: [succeededCrr('web-a')], now: ms(30) });
    assert.ok(other);
    assert.equal(other.interrupted, false, 'heartbeat 5 s old');
    const both = [succeededCrr('web-a'), succeededCrr('web-b')];
    assert.equal(unfinishedRestart({ cloneSet: cloneSet({ pods }), pods, record, crrs: both, now: ms(30) }), undefined, 'every pod done');
    assert.equal(unfinishedRestart({ cloneSet: cloneSet({ pods }), pods, record: { ...record, finished: 'failed' }, now: ms(30) }), undefined, 'marked finished');
    assert.ok(unfinishedRestart({ cloneSet: cloneSet({ pods }), pods, record, now: ms(30) }), 'requests unreadable: not finished is unfinished');
  });

  it('judges a heartbeat on the server clock, and a stopped run at once', () => {
    const record = crrRecord(['web-a'], { heartbeatAt: at(0) });
    assert.equal(crrRunAbandoned(record, ms(0) + HEARTBEAT_STALE_MS - 1), false);
    assert.equal(crrRunAbandoned(record, ms(0) + HEARTBEAT_STALE_MS + 1), true);
    assert.equal(crrRunAbandoned({ ...record, stoppedAt: at(1) }, ms(2)), true);
    assert.equal(crrRunAbandoned({ ...record, finished: 'completed' }, ms(999)), false);
  });

  it('--new overrides only an interrupted crr run; --force overrides anything', () => {
    const base = { progress: buildProgress({ cloneSet: cloneSet({ pods }), pods, record: crrRecord(['web-a']), now: ms(0) }) };
    assert.equal(overrides({ ...base, record: crrRecord(['web-a']), interrupted: false }, { force: false, newRun: true }), false);
    assert.equal(overrides({ ...base, record: crrRecord(['web-a']), interrupted: true }, { force: false, newRun: true }), true);
    assert.equal(overrides({ ...base, record: inplaceRecord(), interrupted: false }, { force: false, newRun: true }), false);
    assert.equal(overrides({ ...base, record: inplaceRecord(), interrupted: false }, { force: true }), true);
  });

  it('names the other run, who, when, and what ends it', () => {
    const record = crrRecord(['web-a', 'web-b'], { by: 'alice (alice@laptop)', stoppedAt: at(10) });
    const other = unfinishedRestart({ cloneSet: cloneSet({ pods }), pods, record, crrs: [], now: ms(30) })!;
    const { message, hint } = describeOtherRestart(other, 'inplace', 'default');
    assert.match(message, new RegExp(`crr run ${RUN} \\(started ${at(0).replace(/[.]/g, '\\.')} by alice`));
    assert.match(message, /interrupted/);
    assert.match(hint, new RegExp(`crr web -n default --resume ${RUN}`));
    assert.match(hint, /--force/);
  });

  it('takes a 409, and a 422 without detail for a JSON patch with a test op, as a lost race', () => {
    const generic = { status: 422, message: 'the server rejected our request due to an error in our request' };
    assert.equal(lostRace(generic, true), true);
    assert.equal(lostRace(generic, false), false);
    assert.equal(lostRace({ status: 409, message: 'Operation cannot be fulfilled' }, false), true);
    assert.equal(lostRace({ status: 422, message: 'spec.template: Forbidden: only image may be changed in place' }, true), false);
    assert.equal(lostRace(new Error('ECONNRESET'), true), false);
  });
});

describe('progress states: interrupted and paused are not in progress', () => {
  it('an unfinished crr run without a live driver is interrupted: no ETA, the resume command, a diagnosis', () => {
    const pods = [restartedPod('web-a'), oldPod('web-b'), oldPod('web-c')];
    const record = crrRecord(['web-a', 'web-b', 'web-c'], { heartbeatAt: at(10) });
    const p = buildProgress({ cloneSet: cloneSet({ pods }), pods, record, crrs: [succeededCrr('web-a')], now: ms(120) });
    assert.equal(p.state, 'interrupted');
    assert.equal(p.eta, null);
    assert.equal(p.resume, `kubectl kruise-restart crr web -n default --resume ${RUN}`);
    assert.equal(p.diagnoses[0].kind, 'interrupted');
    assert.ok(!p.diagnoses.some((d) => d.kind === 'stalled'));
    assert.match(p.message, /interrupted.*resume with: kubectl kruise-restart crr web/);
    // The same run driven by this very process, or with a fresh heartbeat, is in progress.
    assert.equal(buildProgress({ cloneSet: cloneSet({ pods }), pods, record, crrs: [succeededCrr('web-a')], now: ms(120), driving: true }).state, 'in-progress');
    assert.equal(buildProgress({ cloneSet: cloneSet({ pods }), pods, record: { ...record, heartbeatAt: at(115) }, crrs: [succeededCrr('web-a')], now: ms(120) }).state, 'in-progress');
  });

  it('a restarting pod\'s reason does not repeat its state (no "restarting (restarting (...))" in the log lines)', () => {
    const pods = [restartingPod('web-a', { containers: [{ restartCount: 1, startedAt: null, waitingReason: 'CrashLoopBackOff' }] })];
    const p = buildProgress({ cloneSet: cloneSet({ pods }), pods, record: inplaceRecord(), now: ms(30) });
    assert.equal(p.pods[0].state, 'restarting');
    assert.equal(p.pods[0].reason, 'container app CrashLoopBackOff');
  });

  it('a paused CloneSet with pods waiting is paused, with no ETA', () => {
    const pods = [restartedPod('web-a'), restartingPod('web-b'), oldPod('web-c')];
    const p = buildProgress({ cloneSet: cloneSet({ pods, paused: true }), pods, record: inplaceRecord(), now: ms(40) });
    assert.equal(p.state, 'paused');
    assert.equal(p.eta, null);
    assert.match(p.message, /restart paused.*unpause with: kubectl patch clone web/);
  });
});
