// One restart of a CloneSet at a time: two restarts (inplace and crr, or two of either) each pace themselves against
// the budget alone, so together they take down up to twice as many pods. The restart record on the CloneSet is the
// lock: a new restart claims it with a compare-and-swap write, and the record it replaces must be finished.
import { formatCount } from './duration';
import { buildProgress, type RestartProgress } from './progress';
import { crrRunAbandoned } from './record';
import { continueCommand, stageView, type StagedProgress } from './staged-progress';
import type { CloneSet, ContainerRecreateRequest, Pod, RestartRecord } from './types';
import { kindTitle, typedTarget } from './workload';

const PROGRAM = 'kubectl kruise-restart';

export interface OtherRestart {
  record: RestartRecord;
  progress: RestartProgress;
  /** crr only: unfinished, and no process drives it any more. */
  interrupted: boolean;
}

export interface ExclusionInput {
  cloneSet: CloneSet;
  pods: Pod[];
  /** The record on the CloneSet now. */
  record: RestartRecord | undefined;
  /** crr record: the run's requests; undefined when they could not be read (then only `finished` counts). */
  crrs?: ContainerRecreateRequest[];
  now: number;
  serverClockOffsetMs?: number;
}

/**
 * The restart on the CloneSet that is not over yet, if any.
 *
 * - inplace: unfinished until the progress model calls it complete (Kruise rolled the trigger out and every pod's
 *   containers show the restart), unless it failed with nothing left moving (no pod pending or restarting).
 * - crr: unfinished while the record is not marked finished and some selected pod is pending or restarting. Without
 *   its requests (no permission to read them) a record not marked finished is unfinished.
 */
export function unfinishedRestart(input: ExclusionInput): OtherRestart | undefined {
  const { record } = input;
  if (!record) return undefined;
  if (record.mode === 'crr' && record.finished) return undefined;
  const serverNow = input.now + (input.serverClockOffsetMs ?? 0);
  // A staged run is one restart from its first stage to its last: a canary holding for --continue is unfinished.
  const progress = stageView(
    buildProgress({
      cloneSet: input.cloneSet,
      pods: input.pods,
      record,
      crrs: input.crrs,
      now: input.now,
      serverClockOffsetMs: input.serverClockOffsetMs,
    }),
    { record, serverNow },
  );
  const moving = progress.summary.pending + progress.summary.restarting > 0;
  const interrupted = progress.state === 'interrupted' || (record.mode === 'crr' && crrRunAbandoned(record, serverNow));
  if (record.mode === 'inplace') {
    if (progress.complete || (progress.failed && !moving)) return undefined;
    return { record, progress, interrupted: false };
  }
  if (input.crrs !== undefined && !moving) return undefined;
  return { record, progress, interrupted };
}

export type Starting = 'inplace' | 'crr' | 'crr --new';

/** `stage 1 of 2 (canary), holding`: where a staged run stands, when it is one. */
function progress(other: OtherRestart): string | undefined {
  const stage = (other.progress as StagedProgress).stage;
  if (!stage) return undefined;
  const where = { running: 'under way', pausing: 'pausing', holding: 'done, waiting for --continue', interrupted: 'done, interrupted', last: 'under way' }[stage.phase];
  return `stage ${stage.number} of ${stage.of} (${stage.name}) ${where}`;
}

/** The one-line refusal and what to do, naming the other run, who started it, when, and how it ends. */
export function describeOtherRestart(other: OtherRestart, starting: Starting, namespace: string): { message: string; hint: string } {
  const r = other.record;
  const cs = other.progress.cloneSet.name;
  const kind = other.progress.cloneSet.kind;
  const what = kindTitle(kind);
  const typed = typedTarget(kind, cs);
  const by = r.by ? ` by ${r.by}` : '';
  const s = other.progress.summary;
  const target = s.total - s.skipped;
  const done = `${formatCount(s.restarted + s.recreated)} of ${formatCount(target)} ${target === 1 ? 'pod' : 'pods'} done`;
  const status = `${PROGRAM} status ${typed} -n ${namespace} -w`;
  const resume = `${PROGRAM} crr ${typed} -n ${namespace} --resume ${r.run}`;
  const both = 'pass --force to start anyway (both restarts then run at once, each within its own budget: up to twice as many pods unavailable)';
  if (r.staged && progress(other)) {
    const stage = progress(other);
    const next = continueCommand(r.mode, cs, namespace, kind);
    return {
      message: `${what} "${cs}" is in the middle of a staged ${r.mode === 'inplace' ? 'in-place restart' : 'crr run'} ${r.run} (started ${r.startedAt}${by}; ${stage}; ${done}): one restart at a time`,
      hint: `go on with it: ${next} (or follow it: ${status}), or ${both}`,
    };
  }
  if (r.mode === 'inplace') {
    return {
      message: `${what} "${cs}" is still being restarted in place (run ${r.run}, started ${r.startedAt}${by}; ${done}): one restart at a time`,
      hint: `wait for it to finish (${status}), or ${both}`,
    };
  }
  if (other.interrupted) {
    const abandon = starting === 'crr' ? 'abandon it with --new' : 'abandon it with --force';
    return {
      message: `${what} "${cs}" has an unfinished crr run ${r.run} (started ${r.startedAt}${by}, containers ${r.containers.join(', ')}; ${done}), interrupted: no process drives it`,
      hint: `finish it with: ${resume}, or ${abandon} (its pods not yet restarted stay as they are)`,
    };
  }
  return {
    message: `${what} "${cs}" is being restarted by crr run ${r.run} (started ${r.startedAt}${by}, containers ${r.containers.join(', ')}; ${done}), driven by a running process: one restart at a time`,
    hint: `wait for it (${status}); if its process is gone, finish it with ${resume} once it shows as interrupted; or ${both}`,
  };
}

/** A crr --new may replace an interrupted crr run; everything else needs --force. */
export function overrides(other: OtherRestart, flags: { force: boolean; newRun?: boolean }): boolean {
  if (flags.force) return true;
  return Boolean(flags.newRun) && other.record.mode === 'crr' && other.interrupted;
}

/**
 * A write guarded by the API server's optimistic concurrency lost the race: 409 Conflict for a stale
 * resourceVersion, or 422 for a JSON patch whose `test` op failed (a real API server answers that with only "the
 * server rejected our request due to an error in our request"). Re-read and decide again.
 */
export function lostRace(err: { status?: number; message?: string } | unknown, jsonPatchWithTest: boolean): boolean {
  const e = err as { status?: unknown; message?: unknown };
  if (typeof e !== 'object' || e === null) return false;
  if (e.status === 409) return true;
  return jsonPatchWithTest && e.status === 422 && /rejected our request due to an error in our request|test operation|testing value/i.test(String(e.message ?? ''));
}
