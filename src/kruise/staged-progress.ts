// A staged restart seen through the progress model: the model judges the stage under way (for inplace, the partition
// on the CloneSet is the stage's), and this turns that into the whole run's view: pods of later stages are pending,
// not skipped; a finished canary is paused, not complete; a run nobody drives between stages is interrupted.
import { formatCount, plural } from './duration';
import type { Diagnosis, RestartProgress } from './progress';
import { readStaged, stageName, stagedPhase, type StagedPhase } from './stages';
import type { RestartRecord } from './types';
import { typedTarget } from './workload';

const PROGRAM = 'kubectl kruise-restart';

export interface StageProgress {
  /** 1-based. */
  number: number;
  of: number;
  /** `canary`, `batch 2 of 3`. */
  name: string;
  /** Pods restarted once this stage is done. */
  through: number;
  /** Pods of the whole run. */
  total: number;
  /** Every pod due by this stage restarted (for inplace: Kruise's status agrees). */
  done: boolean;
  phase: StagedPhase;
  /** holding or interrupted: the command that goes on. */
  next?: string;
}

export type StagedProgress = RestartProgress & { stage?: StageProgress };

export interface StageViewInput {
  record: RestartRecord | undefined;
  /** The caller's clock plus the API server's offset: heartbeats are judged on the server's clock. */
  serverNow: number;
  /** The caller itself drives the run: it is not interrupted whatever its heartbeat says. */
  driving?: boolean;
}

/** The other way out of a stopped staged run, said where it failed: restarts cannot be undone. */
export function otherWayOut(mode: 'inplace' | 'crr'): string {
  return mode === 'inplace'
    ? 'or leave the other pods as they are: the partition keeps them at the old revision until you continue (other restarts are refused meanwhile unless --force)'
    : `or leave the other pods as they are (a restart cannot be undone; the run is over)`;
}

export function continueCommand(mode: 'inplace' | 'crr', name: string, namespace: string, kind?: string): string {
  return `${PROGRAM} ${mode} ${typedTarget(kind, name)} -n ${namespace} --continue`;
}

/** Pods the run has finished with: restarted, recreated, failed, or skipped by the run itself. */
function settled(p: RestartProgress): number {
  return p.summary.restarted + p.summary.recreated + p.summary.failed;
}

/** crr: every pod of the stages so far (the record's order fixes them) has finished, one way or another. */
function crrStageDone(progress: RestartProgress, record: RestartRecord, through: number): boolean {
  const due = new Set((record.pods ?? []).slice(0, through));
  const states = new Map(progress.pods.map((p) => [p.name, p.state]));
  for (const name of due) {
    const state = states.get(name);
    if (state === 'pending' || state === 'restarting') return false;
  }
  return true;
}

/** The whole staged run from the progress of its stage under way; other progress documents are returned as they are. */
export function stageView(progress: RestartProgress, input: StageViewInput): StagedProgress {
  const record = input.record;
  const staged = readStaged(record);
  if (!record || !staged || progress.mode === 'none' || progress.run !== record.run) return progress;
  const last = staged.through.length - 1;
  const through = staged.through[staged.stage];
  const total = staged.through[last];
  const cs = progress.cloneSet;
  const next = continueCommand(record.mode, cs.name, cs.namespace, cs.kind);
  // inplace: the model judged the restart against the stage's partition. crr: every pod due so far has finished.
  const stageDone = record.mode === 'inplace' ? progress.complete || (progress.failed && progress.summary.restarting === 0) : crrStageDone(progress, record, through);
  const phase = stagedPhase(record, staged, stageDone, input.serverNow, input.driving);
  const stage: StageProgress = { number: staged.stage + 1, of: staged.through.length, name: stageName(staged, staged.stage), through, total, done: stageDone, phase };
  if (phase === 'last') return { ...progress, stage };

  const out: StagedProgress = { ...progress, stage, complete: false, summary: { ...progress.summary } };
  if (record.mode === 'inplace') {
    // The stage's partition keeps the later stages' pods at the old revision: they are still to come, not left out.
    // With a partition of the user's own, some of the kept pods stay kept at the end: which ones is Kruise's choice,
    // so only as many as the later stages restart are counted pending.
    const waiting = `waiting for a later stage (${stage.name} of the run is ${stageDone ? 'done' : 'under way'})`;
    const due = total - through;
    let moved = 0;
    out.pods = progress.pods.map((p) => {
      if (moved >= due || p.state !== 'skipped' || !/partition/.test(p.reason ?? '')) return p;
      moved++;
      return { ...p, state: 'pending', reason: waiting };
    });
    out.summary.skipped -= moved;
    out.summary.pending += moved;
  }
  const diagnoses: Diagnosis[] = progress.diagnoses.filter((d) => d.kind !== 'partition' && !(stageDone && d.kind === 'stalled'));
  const done = `${stage.name} done: ${formatCount(settled(progress))} of ${plural(total, 'pod')} restarted`;
  if (progress.failed) {
    out.state = 'failed';
    stage.next = next;
    diagnoses.push({
      kind: 'stage',
      severity: 'error',
      message: `the ${stage.name} failed, so the run stopped there (${plural(total - through, 'pod')} not restarted); roll forward once the cause is fixed: ${next}; ${otherWayOut(record.mode)}`,
    });
  } else if (phase === 'holding') {
    out.state = 'paused';
    out.eta = null;
    stage.next = next;
    // Held on purpose, not interrupted: the crr model alone would call a stopped run with pods left interrupted.
    delete out.resume;
    diagnoses.splice(0, diagnoses.length, ...diagnoses.filter((d) => d.kind !== 'interrupted'));
    diagnoses.push({ kind: 'stage', severity: 'info', message: `${done}; the run waits for you: check the canary, then ${next}` });
  } else if (phase === 'interrupted') {
    out.state = 'interrupted';
    out.eta = null;
    out.resume = next;
    stage.next = next;
    diagnoses.unshift({ kind: 'interrupted', severity: 'error', message: `${done}, and no process drives the run to its next stage: ${next}` });
  } else if (phase === 'pausing') {
    out.state = 'in-progress';
    diagnoses.push({ kind: 'stage', severity: 'info', message: `${done}; the next stage starts after a pause of ${staged.pauseSeconds}s` });
  }
  if (out.state === 'complete') out.state = 'in-progress';
  out.diagnoses = diagnoses;
  const prefix = `stage ${stage.number} of ${stage.of} (${stage.name})`;
  out.message =
    phase === 'holding'
      ? `${prefix}: ${done}; continue with: ${next}`
      : phase === 'interrupted'
        ? `${prefix}: ${done}; interrupted: ${next}`
        : progress.failed
          ? `${prefix} failed: ${progress.message}`
          : phase === 'pausing'
            ? `${prefix}: ${done}; pausing before the next stage`
            : `${prefix}: ${progress.message}`;
  return out;
}

/** The view of a run its own driver just held after the canary (its last view was taken while it still drove it). */
export function heldView(progress: StagedProgress, mode: 'inplace' | 'crr'): StagedProgress {
  const stage = progress.stage;
  if (!stage) return progress;
  const next = continueCommand(mode, progress.cloneSet.name, progress.cloneSet.namespace, progress.cloneSet.kind);
  const out: StagedProgress = { ...progress, state: 'paused', complete: false, eta: null, stage: { ...stage, phase: 'holding', next } };
  delete out.resume;
  out.diagnoses = progress.diagnoses.filter((d) => d.kind !== 'interrupted' && d.kind !== 'stage');
  const done = `${stage.name} done: ${formatCount(settled(progress))} of ${plural(stage.total, 'pod')} restarted`;
  out.diagnoses.push({ kind: 'stage', severity: 'info', message: `${done}; the run waits for you: check the canary, then ${next}` });
  out.message = `stage ${stage.number} of ${stage.of} (${stage.name}): ${done}; continue with: ${next}`;
  return out;
}
