// Staged restarts without a cluster: the stage plan, the partitions it writes, the record, what --continue does, and
// how the progress of one stage reads as the whole run.
import assert from 'node:assert/strict';
import { resolvePartition } from '../../src/kruise/budget';
import { buildProgress } from '../../src/kruise/progress';
import { stageView } from '../../src/kruise/staged-progress';
import { canaryCount, decideContinue, describeStages, planStages, readStaged, stagePartition, stagedPhase, stagedRecordOf, type StagePlan } from '../../src/kruise/stages';
import type { RestartRecord, StagedRecord } from '../../src/kruise/types';
import { at, cloneSet, crrRecord, inplaceRecord, ms, NEW_REV, oldPod, restartedPod, succeededCrr } from './fixtures';

function plan(total: number, base: number, flags: Parameters<typeof planStages>[2]): StagePlan {
  const result = planStages(total, base, flags);
  if (!result.ok) throw new Error(result.reason);
  return result.plan;
}

describe('stages: the plan', () => {
  it('a canary of 2 of 10, then the other 8 in one stage', () => {
    const p = plan(10, 10, { canary: 2 });
    assert.deepEqual(p.stages, [
      { name: 'canary', size: 2, through: 2 },
      { name: 'batch 1 of 1', size: 8, through: 10 },
    ]);
    assert.equal(p.canary, true);
  });

  it('--batches 3 on 9 pods is 3, 3, 3; on 10 the larger batches come first', () => {
    assert.deepEqual(plan(9, 9, { batches: 3 }).stages.map((s) => s.size), [3, 3, 3]);
    assert.deepEqual(plan(10, 10, { batches: 3 }).stages.map((s) => s.size), [4, 3, 3]);
    assert.deepEqual(plan(2, 2, { batches: 5 }).stages.map((s) => s.size), [1, 1], 'never an empty batch');
  });

  it('a canary, then batches of the rest', () => {
    const p = plan(10, 10, { canary: 1, batches: 3 });
    assert.deepEqual(p.stages.map((s) => [s.name, s.size, s.through]), [
      ['canary', 1, 1],
      ['batch 1 of 3', 3, 4],
      ['batch 2 of 3', 3, 7],
      ['batch 3 of 3', 3, 10],
    ]);
  });

  it('--batch-size N or P% (of the base, rounded up), the last batch smaller', () => {
    assert.deepEqual(plan(10, 10, { batchSize: 4 }).stages.map((s) => s.size), [4, 4, 2]);
    assert.deepEqual(plan(10, 10, { batchSize: '25%' }).stages.map((s) => s.size), [3, 3, 3, 1]);
    assert.deepEqual(plan(3, 10, { batchSize: '1%' }).stages.map((s) => s.size), [1, 1, 1], 'at least one pod per batch');
  });

  it('a canary percentage is counted as Kruise counts a partition: the kept pods round up', () => {
    // A partition of "75%" keeps ceil(7.5) = 8 of 10, so 2 update (CalculatePartitionReplicas).
    assert.equal(canaryCount('25%', 10), 2);
    assert.equal(resolvePartition(cloneSet({ replicas: 10, partition: '75%' })), 8, 'the same as a hand-set partition');
    assert.equal(canaryCount('10%', 10), 1);
    // "99%" kept of 10 rounds up to 10; below 100% Kruise still updates one.
    assert.equal(canaryCount('1%', 10), 1);
    assert.equal(canaryCount('50%', 3), 1, 'a partition of "50%" keeps ceil(1.5) = 2 of 3');
    assert.equal(canaryCount(3, 10), 3);
  });

  it('refuses a canary that is every pod, or none', () => {
    const all = planStages(10, 10, { canary: 10 });
    assert.equal(all.ok, false);
    assert.match(!all.ok ? all.reason : '', /all 10 pods/);
    assert.match(!all.ok ? all.remedy : '', /below 10/);
    const one = planStages(1, 1, { canary: '50%' });
    assert.equal(one.ok, false);
    assert.equal(planStages(10, 10, { canary: '100%' }).ok, false);
  });

  it('with a pre-existing partition, stages count within what it lets restart', () => {
    // replicas 10, partition 3: 7 pods restart; a canary of 2, then 5.
    const p = plan(7, 10, { canary: 2 });
    const staged = stagedRecordOf(p, { replicas: 10, partition: 3 });
    assert.deepEqual(staged.through, [2, 7]);
    assert.equal(stagePartition(staged, 0), 8, 'the canary keeps 8 of 10 at the old revision');
    assert.equal(stagePartition(staged, 1), 3, 'the last stage puts the user partition back');
    const percent = stagedRecordOf(plan(8, 10, { batches: 2 }), { replicas: 10, partition: '20%' });
    assert.equal(stagePartition(percent, 0), 6);
    assert.equal(stagePartition(percent, 1), '20%', 'put back as it was written');
    const none = stagedRecordOf(plan(10, 10, { batches: 2 }), { replicas: 10, partition: null });
    assert.equal(stagePartition(none, 1), null, 'absent before: removed at the end');
  });

  it('the dry run lists each stage with its partition and what follows it', () => {
    const p = plan(10, 10, { canary: 2, batches: 2, pauseSeconds: 30 });
    const staged = stagedRecordOf(p, { replicas: 10, partition: null });
    const lines = describeStages(p, (i) => stagePartition(staged, i));
    assert.deepEqual(lines, [
      'canary: 2 pods (2 of 10 done after it, partition 8); then stops until --continue',
      'batch 1 of 2: 4 pods (6 of 10 done after it, partition 4); then a pause of 30s',
      'batch 2 of 2: 4 pods (10 of 10 done after it, partition removed)',
    ]);
  });
});

describe('stages: the record and --continue', () => {
  const staged: StagedRecord = { through: [2, 10], canary: true, stage: 0, pauseSeconds: 0, replicas: 10, partition: null };
  const record = (o: Partial<RestartRecord> = {}, s: Partial<StagedRecord> = {}): RestartRecord => inplaceRecord({ staged: { ...staged, ...s }, heartbeatAt: at(0), ...o });

  it('reads only a record it can trust', () => {
    assert.deepEqual(readStaged(record()), staged);
    assert.equal(readStaged(record({}, { through: [3, 2] })), undefined, 'not increasing');
    assert.equal(readStaged(record({}, { stage: 2 })), undefined, 'no such stage');
    assert.equal(readStaged(inplaceRecord()), undefined);
  });

  it('a stage under way is running; a finished canary holds; between batches a live process pauses, a dead one is interrupted', () => {
    assert.equal(stagedPhase(record(), readStaged(record())!, false, ms(100)), 'running');
    assert.equal(stagedPhase(record(), readStaged(record({}, { holding: true }))!, true, ms(100)), 'holding');
    assert.equal(stagedPhase(record(), readStaged(record({}, { canary: false }))!, true, ms(10)), 'pausing', 'heartbeat 10 s old');
    assert.equal(stagedPhase(record(), readStaged(record({}, { canary: false }))!, true, ms(100)), 'interrupted', 'heartbeat 100 s old');
    assert.equal(stagedPhase(record({ stoppedAt: at(5) }), readStaged(record({}, { canary: false }))!, true, ms(6)), 'interrupted', 'stopped');
    assert.equal(stagedPhase(record(), readStaged(record({}, { stage: 1 }))!, false, ms(6)), 'last');
  });

  it('--continue goes on from a held canary, finishes a stage a killed process left, and refuses a run still driven', () => {
    const base = { complete: false, serverNow: ms(100), force: false, follow: 'status -w' };
    assert.deepEqual(decideContinue({ ...base, record: record({}, { holding: true }), stageDone: true }), { kind: 'next', stage: 1 });
    assert.deepEqual(decideContinue({ ...base, record: record({ stoppedAt: at(3) }), stageDone: false }), { kind: 'finish-stage', stage: 0 });
    const driven = decideContinue({ ...base, serverNow: ms(5), record: record({}, { canary: false }), stageDone: true });
    assert.equal(driven.kind, 'refuse');
    assert.match(driven.kind === 'refuse' ? driven.remedy : '', /--force/);
    assert.deepEqual(decideContinue({ ...base, serverNow: ms(5), force: true, record: record({}, { canary: false }), stageDone: true }), { kind: 'next', stage: 1 });
    assert.equal(decideContinue({ ...base, record: inplaceRecord(), stageDone: true }).kind, 'refuse', 'not staged');
    assert.equal(decideContinue({ ...base, record: record(), stageDone: true, complete: true }).kind, 'refuse', 'over');
    // A failed crr run is marked finished, yet --continue rolls it forward at once (nobody drives a finished run).
    const failedCrr = crrRecord(['web-a', 'web-b'], { staged: { through: [1, 2], canary: true, stage: 0, pauseSeconds: 0 }, finished: 'failed', heartbeatAt: at(99) });
    assert.deepEqual(decideContinue({ ...base, record: failedCrr, stageDone: true }), { kind: 'next', stage: 1 });
    assert.equal(decideContinue({ ...base, record: { ...failedCrr, finished: 'completed' }, stageDone: true }).kind, 'refuse');
  });
});

describe('stages: the progress of a staged run', () => {
  const staged: StagedRecord = { through: [2, 4], canary: true, stage: 0, pauseSeconds: 0, replicas: 4, partition: null };

  it('after the canary: two restarted, two pending for the next stage, paused, not complete, with the continue command', () => {
    const pods = [restartedPod('web-a'), restartedPod('web-b'), oldPod('web-c'), oldPod('web-d')];
    const cs = cloneSet({ pods, partition: 2 });
    const rec = inplaceRecord({ staged: { ...staged, holding: true }, heartbeatAt: at(20) });
    const raw = buildProgress({ cloneSet: cs, pods, record: rec, now: ms(60) });
    assert.equal(raw.complete, true, 'the stage is done as Kruise and the pods show');
    const view = stageView(raw, { record: rec, serverNow: ms(60) });
    assert.equal(view.complete, false);
    assert.equal(view.state, 'paused');
    assert.equal(view.summary.pending, 2);
    assert.equal(view.summary.skipped, 0);
    assert.equal(view.summary.restarted, 2);
    assert.deepEqual(view.stage && [view.stage.number, view.stage.of, view.stage.name, view.stage.done, view.stage.phase], [1, 2, 'canary', true, 'holding']);
    assert.match(view.message, /canary done: 2 of 4 pods restarted; continue with: kubectl kruise-restart inplace web -n default --continue/);
    assert.ok(!view.diagnoses.some((d) => d.kind === 'partition'), 'the partition is ours, not the user\u2019s');
  });

  it('a canary still restarting is in progress, and a process that died between batches leaves it interrupted', () => {
    const pods = [restartedPod('web-a'), restartedPod('web-b'), oldPod('web-c'), oldPod('web-d')];
    const cs = cloneSet({ pods, partition: 2 });
    const rec = inplaceRecord({ staged: { ...staged, canary: false }, heartbeatAt: at(1) });
    const view = stageView(buildProgress({ cloneSet: cs, pods, record: rec, now: ms(60) }), { record: rec, serverNow: ms(60) });
    assert.equal(view.state, 'interrupted');
    assert.equal(view.resume, 'kubectl kruise-restart inplace web -n default --continue');
    const stillDriven = stageView(buildProgress({ cloneSet: cs, pods, record: rec, now: ms(60) }), { record: rec, serverNow: ms(60), driving: true });
    assert.equal(stillDriven.state, 'in-progress');
  });

  it('the last stage is an ordinary restart with its stage shown', () => {
    const pods = [restartedPod('web-a'), restartedPod('web-b'), restartedPod('web-c'), restartedPod('web-d')];
    const cs = cloneSet({ pods });
    const rec = inplaceRecord({ staged: { ...staged, stage: 1 }, heartbeatAt: at(1) });
    const view = stageView(buildProgress({ cloneSet: cs, pods, record: rec, now: ms(90) }), { record: rec, serverNow: ms(90) });
    assert.equal(view.complete, true);
    assert.equal(view.stage?.phase, 'last');
    assert.equal(cs.status?.updateRevision, NEW_REV);
  });

  it('crr: the stage is done when every pod due so far finished', () => {
    const rec = crrRecord(['web-a', 'web-b', 'web-c'], { staged: { through: [1, 3], canary: true, stage: 0, pauseSeconds: 0, holding: true }, heartbeatAt: at(1) });
    const pods = [oldPod('web-a'), oldPod('web-b'), oldPod('web-c')];
    const raw = buildProgress({ cloneSet: cloneSet({ pods }), pods, record: rec, crrs: [succeededCrr('web-a')], now: ms(60) });
    const view = stageView(raw, { record: rec, serverNow: ms(60) });
    assert.equal(view.state, 'paused');
    assert.equal(view.stage?.done, true);
    assert.match(view.message, /crr web -n default --continue/);
  });
});
