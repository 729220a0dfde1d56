// A crr run's record and resume decisions, without a cluster.
import assert from 'node:assert/strict';
import { crrName, emptyMemory, nextPodsToStart, type PacingDecision } from '../../src/kruise/crr-plan';
import {
  claimedRecord,
  currentRequests,
  driverProof,
  finishedRecord,
  judgeResume,
  newRunRecord,
  pacingOf,
  requestName,
  resumeChoices,
  retryRecord,
  stoppedRecord,
  strategyFromRecord,
} from '../../src/kruise/crr-run';
import { buildProgress } from '../../src/kruise/progress';
import type { RestartRecord } from '../../src/kruise/types';
import { RUN, at, cloneSet, crr, crrRecord, ms, oldPod, succeededCrr } from './fixtures';

const clocks = (seconds: number) => ({ now: ms(seconds), serverNow: ms(seconds) });
const failedCrr = (pod: string, o: Parameters<typeof crr>[0] extends infer T ? Partial<T> : never = {}) =>
  crr({ pod, name: crrName(pod, RUN), completed: 20, states: [{ phase: 'Failed', message: 'kill failed' }], ...o });

function decision(o: Partial<PacingDecision> = {}): PacingDecision {
  return { start: [], done: [], inFlight: [], failed: [], failedPods: [], skipped: [], waiting: [], unavailable: [], stopped: false, finished: true, memory: emptyMemory(), ...o };
}

describe('crr run: may a run be resumed', () => {
  const beating = crrRecord(['web-a', 'web-b'], { heartbeatAt: at(55) });

  it('a completed run has nothing left to do', () => {
    assert.deepEqual(judgeResume({ ...beating, finished: 'completed' }, clocks(60), true), { verdict: 'completed' });
  });

  it('a run with a fresh heartbeat is driven by a live process: refused, unless --force takes it over', () => {
    assert.deepEqual(judgeResume(beating, clocks(60), false), { verdict: 'driven', why: undefined, staleInSeconds: 25 });
    const forced = judgeResume(beating, clocks(60), true);
    assert.equal(forced.verdict, 'resume');
    assert.equal(forced.verdict === 'resume' && forced.takeover, true);
  });

  describe('after kill -9: the driver proved gone on its own machine', () => {
    const here = { host: 'laptop', bootId: 'boot-1', pidNamespace: 'pid:[4026531836]', pid: 500, startTicks: '9000' };
    const driver = { ...here, pid: 123, startTicks: '4000' };
    const alive = () => ({ startTicks: '4000' });

    it('a pid that is gone, or that now belongs to a process started at another time, is proof', () => {
      assert.deepEqual(driverProof(driver, here, () => 'gone'), { gone: true, why: 'its process (pid 123 on laptop) is gone' });
      assert.deepEqual(driverProof(driver, here, () => ({ startTicks: '8000' })), { gone: true, why: 'its process (pid 123 on laptop) is gone; the pid now belongs to another process' });
      assert.deepEqual(driverProof(driver, here, alive), { gone: false, why: 'its process (pid 123 on laptop) is still running' });
    });

    it('nothing is proved from another machine, another boot, another container, or without a driver in the record', () => {
      const gone = () => 'gone' as const;
      assert.equal(driverProof({ ...driver, host: 'ci-runner' }, here, gone).gone, false);
      assert.match(driverProof({ ...driver, host: 'ci-runner' }, here, gone).why, /another machine \(ci-runner\)/);
      assert.equal(driverProof({ ...driver, bootId: 'boot-0' }, here, gone).gone, false);
      assert.equal(driverProof({ ...driver, pidNamespace: 'pid:[4026532000]' }, here, gone).gone, false);
      assert.equal(driverProof(undefined, here, gone).gone, false);
      assert.equal(driverProof(driver, undefined, gone).gone, false);
    });

    it('a proved-gone driver lets a resume go at once, no --force, no takeover; without proof the wait is said', () => {
      const judged = judgeResume(beating, clocks(60), false, driverProof(driver, here, () => 'gone'));
      assert.equal(judged.verdict, 'resume');
      assert.deepEqual(judged.verdict === 'resume' && [judged.takeover, judged.provedGone], [false, 'its process (pid 123 on laptop) is gone']);
      const refused = judgeResume(beating, clocks(60), false, driverProof(driver, here, alive));
      assert.deepEqual(refused, { verdict: 'driven', why: 'its process (pid 123 on laptop) is still running', staleInSeconds: 25 });
      assert.deepEqual(judgeResume(beating, clocks(84.5), false), { verdict: 'driven', why: undefined, staleInSeconds: 1 });
    });
  });

  it('an interrupted run (stale heartbeat, or stopped) is resumed as it is', () => {
    const judged = judgeResume(beating, clocks(90), false);
    assert.equal(judged.verdict, 'resume');
    assert.deepEqual(judged.verdict === 'resume' && [judged.retry, judged.takeover], [false, false]);
    assert.equal(judgeResume({ ...beating, stoppedAt: at(56) }, clocks(57), false).verdict, 'resume');
  });

  it('a failed run is resumable at once without --force (nobody drives a finished run), retrying what failed', () => {
    // Its final write renewed the heartbeat: the old rule read that as a live driver and demanded --force.
    const judged = judgeResume({ ...beating, finished: 'failed' }, clocks(56), false);
    assert.equal(judged.verdict, 'resume');
    assert.deepEqual(judged.verdict === 'resume' && [judged.retry, judged.takeover], [true, false]);
  });

  it("a run older than its requests' TTL is refused: Kruise may have deleted finished requests", () => {
    const old = crrRecord(['web-a'], { crr: { ttlSecondsAfterFinished: 600 } });
    assert.deepEqual(judgeResume(old, clocks(601), false), { verdict: 'expired', ageSeconds: 601, ttlSeconds: 600 });
    assert.equal(judgeResume(old, clocks(600), false).verdict, 'resume');
  });
});

describe('crr run: retrying a failed run', () => {
  const failedRun = crrRecord(['web-a', 'web-b', 'web-c', 'web-d'], {
    finished: 'failed',
    stoppedAt: at(30),
    outcomes: { 'web-a': { state: 'failed', reason: 'app: kill failed' }, 'web-b': { state: 'failed', reason: 'not Ready within 300s after its containers restarted' } },
  });
  const crrs = [failedCrr('web-a'), succeededCrr('web-b', 20, { name: crrName('web-b', RUN) }), succeededCrr('web-c', 20, { name: crrName('web-c', RUN) })];

  it('the pods that failed get a new attempt; the rest keep theirs; the run is unfinished again and judged afresh', () => {
    const retried = retryRecord(failedRun, crrs);
    assert.deepEqual(retried.attempts, { 'web-a': 2, 'web-b': 2 });
    assert.equal(retried.finished, undefined);
    assert.equal(retried.stoppedAt, undefined);
    assert.equal(retried.outcomes, undefined);
    assert.deepEqual(retried.pods, failedRun.pods);
  });

  it("a retried pod's request has a name of its own, and its failed request before no longer counts", () => {
    const retried = retryRecord(failedRun, crrs);
    assert.equal(requestName(retried, 'web-a'), `web-a-${RUN}-r2`);
    assert.equal(requestName(retried, 'web-c'), crrName('web-c', RUN));
    assert.deepEqual(currentRequests(retried, crrs).map((c) => c.spec.podName), ['web-c']);
    const again = retryRecord({ ...retried, finished: 'failed' }, [...crrs, failedCrr('web-a', { name: requestName(retried, 'web-a') })]);
    assert.equal(again.attempts?.['web-a'], 3, 'failed again: a third attempt');
    assert.equal(again.attempts?.['web-b'], 2, 'its retry never started: still the second attempt');
  });

  it('pacing starts the retried pods again, and progress shows them pending rather than failed', () => {
    const retried = retryRecord(failedRun, crrs);
    const pods = ['web-a', 'web-b', 'web-c', 'web-d'].map((n) => oldPod(n));
    const next = nextPodsToStart({ order: retried.pods ?? [], pods, crrs: currentRequests(retried, crrs), budget: 4, minReadySeconds: 0, readyTimeoutSeconds: 300, maxFailures: 0, now: ms(100), memory: emptyMemory() });
    assert.deepEqual(next.start, ['web-a', 'web-b', 'web-d']);
    assert.deepEqual(next.failed, []);
    const progress = buildProgress({ cloneSet: cloneSet({ pods }), pods, record: retried, crrs, now: ms(100), driving: true });
    assert.deepEqual(progress.pods.map((p) => p.state), ['pending', 'pending', 'restarted', 'pending']);
    assert.equal(progress.failed, false);
  });
});

describe('crr run: the record', () => {
  const pacing = { budget: 2, minReadySeconds: 5, readyTimeoutSeconds: 300, maxFailures: 1 };
  const strategy = strategyFromRecord(undefined);

  it('a new run records the pods, budget, strategy and pacing a resume needs', () => {
    const choices = { ignorePdb: true, fieldManager: 'ci-restarts' };
    const record = newRunRecord({ id: RUN, startedAt: at(0), by: 'alice', containers: ['app'], pods: ['web-a'], strategy, pacing, heartbeatAt: at(1), choices });
    assert.equal(record.mode, 'crr');
    assert.equal(record.maxUnavailable, 2);
    assert.deepEqual(record.crr, { ...strategy, minReadySeconds: 5, readyTimeoutSeconds: 300, maxFailures: 1, ignorePdb: true, fieldManager: 'ci-restarts' });
    assert.deepEqual(strategyFromRecord(record.crr), strategy, 'the strategy survives the record');
  });

  describe('a resume keeps the choices of the run it resumes', () => {
    const DEFAULT = 'kubectl-kruise-restart';
    const started = (choices: { ignorePdb: boolean; fieldManager: string }) =>
      newRunRecord({ id: RUN, startedAt: at(0), containers: ['app'], pods: ['web-a'], strategy, pacing, heartbeatAt: at(1), choices });

    it('--ignore-pdb left out of the resume of a run started with it: still ignored, and said', () => {
      const r = resumeChoices(started({ ignorePdb: true, fieldManager: DEFAULT }), { ignorePdb: false }, DEFAULT);
      assert.deepEqual(r, { ok: true, choices: { ignorePdb: true, fieldManager: DEFAULT }, kept: ['--ignore-pdb'] });
    });

    it('--ignore-pdb typed on the resume of a run that honours budgets: refused, saying how to go on', () => {
      const r = resumeChoices(started({ ignorePdb: false, fieldManager: DEFAULT }), { ignorePdb: true }, DEFAULT);
      assert.equal(r.ok, false);
      assert.ok(!r.ok && /--ignore-pdb: run .* honours PodDisruptionBudgets/.test(r.reason), JSON.stringify(r));
      assert.ok(!r.ok && /drop --ignore-pdb/.test(r.remedy));
    });

    it('the same choices typed again are fine, and nothing is said', () => {
      const r = resumeChoices(started({ ignorePdb: true, fieldManager: 'ci' }), { ignorePdb: true, fieldManager: 'ci' }, DEFAULT);
      assert.deepEqual(r, { ok: true, choices: { ignorePdb: true, fieldManager: 'ci' }, kept: [] });
    });

    it('--field-manager: the run\'s name when left out, a different one refused', () => {
      assert.deepEqual(resumeChoices(started({ ignorePdb: false, fieldManager: 'ci' }), { ignorePdb: false }, DEFAULT), {
        ok: true,
        choices: { ignorePdb: false, fieldManager: 'ci' },
        kept: ['--field-manager ci'],
      });
      const r = resumeChoices(started({ ignorePdb: false, fieldManager: 'ci' }), { ignorePdb: false, fieldManager: 'me' }, DEFAULT);
      assert.ok(!r.ok && /--field-manager me: run .* writes as "ci"/.test(r.reason), JSON.stringify(r));
      const defaulted = resumeChoices(started({ ignorePdb: false, fieldManager: DEFAULT }), { ignorePdb: false, fieldManager: 'me' }, DEFAULT);
      assert.equal(defaulted.ok, false, 'a run started under the default name keeps it too');
    });

    it('a record from before choices were kept: what is typed now goes', () => {
      assert.deepEqual(resumeChoices(crrRecord(['web-a']), { ignorePdb: true, fieldManager: 'me' }, DEFAULT), {
        ok: true,
        choices: { ignorePdb: true, fieldManager: 'me' },
        kept: [],
      });
    });
  });

  it('pacing: the flags typed now, else what the run stored, else the defaults', () => {
    assert.deepEqual(pacingOf({}, 3, undefined, 300), { budget: 3, minReadySeconds: 0, readyTimeoutSeconds: 300, maxFailures: 0 });
    assert.deepEqual(pacingOf({ maxFailures: 4 }, 3, { minReadySeconds: 10, maxFailures: 1 }, 300), { budget: 3, minReadySeconds: 10, readyTimeoutSeconds: 300, maxFailures: 4 });
  });

  it('finishing records the run failed when any pod failed, with the verdicts, else completed', () => {
    const record: RestartRecord = crrRecord(['web-a', 'web-b']);
    const failed = finishedRecord(record, decision({ failed: [{ pod: 'web-a', container: 'app', message: 'kill failed' }] }), at(40));
    assert.equal(failed.finished, 'failed');
    assert.deepEqual(failed.outcomes, { 'web-a': { state: 'failed', reason: 'app: kill failed' } });
    assert.equal(finishedRecord(record, decision({ done: ['web-a', 'web-b'] }), at(40)).finished, 'completed');
  });

  it('a stopped run says when; a claimed run is neither stopped nor finished, and names its new driver', () => {
    const stopped = stoppedRecord(crrRecord(['web-a']), decision({ skipped: [{ pod: 'web-a', reason: 'pod gone' }] }), at(9));
    assert.equal(stopped.stoppedAt, at(9));
    assert.deepEqual(stopped.outcomes, { 'web-a': { state: 'skipped', reason: 'pod gone' } });
    const claimed = claimedRecord({ ...stopped, finished: 'failed' }, at(20), 'bob');
    assert.deepEqual([claimed.stoppedAt, claimed.finished, claimed.heartbeatAt, claimed.by], [undefined, undefined, at(20), 'bob']);
  });
});
