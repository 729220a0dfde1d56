// Staged restarts: a canary first, then batches, each followed to completion before the next starts. The plan is a
// list of cumulative pod counts; `inplace` turns each into a CloneSet partition (Kruise counts the pods it keeps at
// old revisions), `crr` into how many of the run's pods may have been started. The stage under way lives in the
// restart record on the CloneSet, so `status` shows it and `--continue` picks it up from any machine.
import { resolveIntOrPercent } from './budget';
import { formatDuration, plural } from './duration';
import { HEARTBEAT_STALE_MS } from './record';
import type { IntOrString, RestartRecord, StagedRecord } from './types';

export interface StageFlags {
  /** `--canary N|P%`. */
  canary?: IntOrString;
  /** `--batches K`. */
  batches?: number;
  /** `--batch-size N|P%`. */
  batchSize?: IntOrString;
  /** `--pause D` between batches (seconds). */
  pauseSeconds?: number;
  /** `--canary-wait D`: go on by itself once the canary stayed healthy this long (seconds). */
  canaryWaitSeconds?: number;
}

export interface Stage {
  /** `canary`, `batch 1 of 3`, ... */
  name: string;
  /** Pods this stage restarts. */
  size: number;
  /** Pods restarted once this stage is done (cumulative). */
  through: number;
}

export interface StagePlan {
  /** Pods the whole run restarts (within the user's own partition for inplace, the selection for crr). */
  total: number;
  stages: Stage[];
  canary: boolean;
  pauseSeconds: number;
  canaryWaitSeconds?: number;
}

export type StagePlanResult = { ok: true; plan: StagePlan } | { ok: false; reason: string; remedy: string };

/** True when the user asked for stages at all. */
export function wantsStages(flags: StageFlags): boolean {
  return flags.canary !== undefined || flags.batches !== undefined || flags.batchSize !== undefined;
}

/**
 * Pods a canary of `value` restarts out of `base`. A number is taken as is. A percentage is counted as Kruise counts
 * a partition (pkg/util/tools.go CalculatePartitionReplicas): the canary restarts what a partition of the remaining
 * percentage leaves to update, i.e. the kept pods are rounded up, and below 100% at least one pod updates. So
 * `--canary 25%` of 10 pods is 2 (a partition of "75%" keeps ceil(7.5) = 8), as a hand-set partition would do.
 */
export function canaryCount(value: IntOrString, base: number): number {
  if (typeof value === 'number') return value;
  const percent = Number(value.replace(/%$/, ''));
  if (!Number.isFinite(percent) || percent <= 0) return 0;
  if (percent >= 100) return base;
  let kept = resolveIntOrPercent(`${100 - percent}%`, base, true);
  if (base > 1 && kept === base) kept = base - 1;
  return Math.max(0, base - Math.min(kept, base));
}

/** A batch size: a number as is, a percentage of `base` rounded up (as maxUnavailable is), never below one pod. */
export function batchSizeCount(value: IntOrString, base: number): number {
  return Math.max(1, typeof value === 'number' ? value : resolveIntOrPercent(value, base, true));
}

/** `n` split into `k` near-equal parts, the larger ones first: 10 in 3 is 4, 3, 3. */
function split(n: number, k: number): number[] {
  const parts: number[] = [];
  for (let i = 0; i < k; i++) parts.push(Math.floor(n / k) + (i < n % k ? 1 : 0));
  return parts.filter((p) => p > 0);
}

/**
 * The stages of a run restarting `total` pods. `base` is what percentages are counted against: the CloneSet's
 * replicas for inplace (as Kruise counts a partition), the selected pods for crr.
 */
export function planStages(total: number, base: number, flags: StageFlags): StagePlanResult {
  const sizes: number[] = [];
  let canary = false;
  let rest = total;
  if (flags.canary !== undefined) {
    const n = canaryCount(flags.canary, base);
    const shown = typeof flags.canary === 'number' ? String(flags.canary) : `${flags.canary} (${plural(n, 'pod')})`;
    if (n < 1) return { ok: false, reason: `a canary of ${shown} restarts no pod`, remedy: 'use --canary 1 or more' };
    if (n >= total) {
      return {
        ok: false,
        reason: `a canary of ${shown} would restart all ${plural(total, 'pod')} this restart covers: nothing would be left to do after it`,
        remedy: total > 1 ? `use a --canary below ${total}, or drop --canary` : 'drop --canary (there is only one pod to restart)',
      };
    }
    sizes.push(n);
    canary = true;
    rest -= n;
  }
  if (flags.batches !== undefined) {
    sizes.push(...split(rest, Math.min(flags.batches, rest)));
  } else if (flags.batchSize !== undefined) {
    const size = batchSizeCount(flags.batchSize, base);
    for (let left = rest; left > 0; left -= size) sizes.push(Math.min(size, left));
  } else if (rest > 0) {
    sizes.push(rest);
  }
  let through = 0;
  let batch = 0;
  const batchCount = sizes.length - (canary ? 1 : 0);
  const stages = sizes.map((size, i) => {
    through += size;
    const name = canary && i === 0 ? 'canary' : `batch ${++batch} of ${batchCount}`;
    return { name, size, through };
  });
  return { ok: true, plan: { total, stages, canary, pauseSeconds: flags.pauseSeconds ?? 0, canaryWaitSeconds: flags.canaryWaitSeconds } };
}

/** The record's part that says where a staged run stands (see StagedRecord). */
export function stagedRecordOf(plan: StagePlan, extra: { replicas?: number; partition?: IntOrString | null }): StagedRecord {
  return {
    through: plan.stages.map((s) => s.through),
    canary: plan.canary,
    stage: 0,
    pauseSeconds: plan.pauseSeconds,
    ...(plan.canaryWaitSeconds !== undefined ? { canaryWaitSeconds: plan.canaryWaitSeconds } : {}),
    ...(extra.replicas !== undefined ? { replicas: extra.replicas } : {}),
    ...(extra.partition !== undefined ? { partition: extra.partition } : {}),
  };
}

/** A staged record as read from the cluster, or undefined when it is not one we can trust. */
export function readStaged(record: RestartRecord | undefined): StagedRecord | undefined {
  const s = record?.staged as Partial<StagedRecord> | undefined;
  if (!s || typeof s !== 'object' || !Array.isArray(s.through) || s.through.length === 0) return undefined;
  if (!s.through.every((n, i, all) => Number.isInteger(n) && n > 0 && (i === 0 || n > all[i - 1]))) return undefined;
  if (!Number.isInteger(s.stage) || (s.stage as number) < 0 || (s.stage as number) >= s.through.length) return undefined;
  return {
    through: s.through,
    canary: s.canary === true,
    stage: s.stage as number,
    pauseSeconds: typeof s.pauseSeconds === 'number' && s.pauseSeconds >= 0 ? s.pauseSeconds : 0,
    ...(typeof s.canaryWaitSeconds === 'number' ? { canaryWaitSeconds: s.canaryWaitSeconds } : {}),
    ...(typeof s.replicas === 'number' ? { replicas: s.replicas } : {}),
    ...('partition' in s ? { partition: s.partition ?? null } : {}),
    ...(s.holding === true ? { holding: true } : {}),
  };
}

export function stageName(staged: StagedRecord, index: number): string {
  if (staged.canary && index === 0) return 'canary';
  const batches = staged.through.length - (staged.canary ? 1 : 0);
  return `batch ${index + 1 - (staged.canary ? 1 : 0)} of ${batches}`;
}

export function isLastStage(staged: StagedRecord): boolean {
  return staged.stage === staged.through.length - 1;
}

/**
 * The partition `inplace` writes for a stage: the pods not yet due stay at the old revision. The last stage puts back
 * the partition the CloneSet had (absent: removed), so the user's own partition holds again when the run ends.
 */
export function stagePartition(staged: StagedRecord, index: number): IntOrString | null {
  if (index >= staged.through.length - 1) return staged.partition ?? null;
  const replicas = staged.replicas ?? staged.through[staged.through.length - 1];
  return Math.max(0, replicas - staged.through[index]);
}

/** Where a staged run stands, as status shows it. */
export type StagedPhase =
  /** The current stage is under way (Kruise or our requests are restarting its pods). */
  | 'running'
  /** The current stage is done and the driving process waits out the pause before the next. */
  | 'pausing'
  /** The canary is done and the run waits for `--continue` (or `--canary-wait`). */
  | 'holding'
  /** The current stage is done, more remain, and no process drives the run. */
  | 'interrupted'
  /** The last stage is under way or done: from here it is an ordinary restart. */
  | 'last';

/**
 * The driving process renews the heartbeat while it pauses between stages; Kruise (inplace) or our requests (crr)
 * carry a stage once started, but nobody starts the next one without a live process.
 */
export function stagedRunDriven(record: RestartRecord, serverNow: number): boolean {
  // A run marked finished, or stopped, has no driver left: its process wrote that as its last act.
  if (typeof record.stoppedAt === 'string' || record.finished) return false;
  const beat = Date.parse(typeof record.heartbeatAt === 'string' ? record.heartbeatAt : record.startedAt);
  return Number.isFinite(beat) && serverNow - beat <= HEARTBEAT_STALE_MS;
}

export function stagedPhase(record: RestartRecord, staged: StagedRecord, stageDone: boolean, serverNow: number, driving = false): StagedPhase {
  if (isLastStage(staged)) return 'last';
  if (!stageDone) return 'running';
  if (staged.holding) return 'holding';
  return driving || stagedRunDriven(record, serverNow) ? 'pausing' : 'interrupted';
}

export type ContinueDecision =
  | { kind: 'refuse'; reason: string; remedy: string }
  /** The current stage is not done yet (the process died mid-stage): follow it to the end, then go on. */
  | { kind: 'finish-stage'; stage: number }
  /** Start the next stage. */
  | { kind: 'next'; stage: number };

export interface ContinueInput {
  record: RestartRecord | undefined;
  /** The current stage is done (every pod due so far restarted). */
  stageDone: boolean;
  /** The whole restart is complete. */
  complete: boolean;
  serverNow: number;
  force: boolean;
  /** How to follow the run, for the refusal. */
  follow: string;
}

/** What `--continue` does with the restart recorded on the CloneSet. */
export function decideContinue(input: ContinueInput): ContinueDecision {
  const { record } = input;
  const staged = readStaged(record);
  if (!record || !staged) {
    return { kind: 'refuse', reason: 'there is no staged restart to continue on this CloneSet', remedy: 'start one with --canary, --batches or --batch-size' };
  }
  // A failed crr run is finished but not over: resuming it retries its failed pods.
  if (input.complete || (record.mode === 'crr' && record.finished === 'completed')) {
    return { kind: 'refuse', reason: `the staged restart ${record.run} is already over`, remedy: 'nothing to continue; start a new restart instead' };
  }
  const holding = staged.holding === true && input.stageDone;
  if (!holding && !input.force && stagedRunDriven(record, input.serverNow)) {
    return {
      kind: 'refuse',
      reason: `the staged restart ${record.run} is being driven by a running process (last heartbeat ${record.heartbeatAt ?? record.startedAt}${record.by ? `, started by ${record.by}` : ''})`,
      remedy: `follow it with: ${input.follow}; if that process is gone, continue once status shows it interrupted (no heartbeat for ${formatDuration(HEARTBEAT_STALE_MS / 1000)}), or now with --force`,
    };
  }
  if (!input.stageDone) return { kind: 'finish-stage', stage: staged.stage };
  if (isLastStage(staged)) return { kind: 'finish-stage', stage: staged.stage };
  return { kind: 'next', stage: staged.stage + 1 };
}

/** One line per stage, for the plan and the dry run: `canary: 2 pods (partition 8); batch 1 of 2: 4 pods ...`. */
export function describeStages(plan: StagePlan, partitionOf?: (index: number) => IntOrString | null): string[] {
  return plan.stages.map((s, i) => {
    const p = partitionOf ? partitionOf(i) : undefined;
    const partition = p === undefined ? '' : p === null ? ', partition removed' : `, partition ${p}`;
    const after =
      i === plan.stages.length - 1
        ? ''
        : plan.canary && i === 0
          ? plan.canaryWaitSeconds !== undefined
            ? `; then waits ${formatDuration(plan.canaryWaitSeconds)} with the canary healthy`
            : '; then stops until --continue'
          : plan.pauseSeconds > 0
            ? `; then a pause of ${formatDuration(plan.pauseSeconds)}`
            : '';
    return `${s.name}: ${plural(s.size, 'pod')} (${s.through} of ${plan.total} done after it${partition})${after}`;
  });
}
