// The life of a crr run as its record on the CloneSet tells it: what a new run records, whether and how a run may be
// resumed, which request of each pod is current, and the run's own verdicts folded back into the record. Pure: the
// command reads, writes and paces; the decisions are here, tested with plain objects.

import { crrName, crrOutcome, type CrrStrategy, type PacingDecision } from './crr-plan';
import { HEARTBEAT_STALE_MS, crrRunAbandoned } from './record';
import { PLUGIN, type ContainerRecreateRequest, type DriverIdentity, type RestartRecord, type StagedRecord } from './types';

/** Kruise's default ttlSecondsAfterFinished, which crr uses too when the user sets none. */
export const DEFAULT_TTL_SECONDS = 86400;

/** The pacing knobs of a run: stored in the record, and a resume may change them (slower, more patient). */
export interface Pacing {
  budget: number;
  minReadySeconds: number;
  readyTimeoutSeconds: number;
  maxFailures: number;
}

/** Pacing from the flags typed now, else what the run stored, else the defaults. */
export function pacingOf(
  flags: { minReadySeconds?: number; readyTimeoutSeconds?: number; maxFailures?: number },
  budget: number,
  stored: Record<string, unknown> | undefined,
  defaultReadyTimeoutSeconds: number,
): Pacing {
  const num = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);
  return {
    budget,
    minReadySeconds: flags.minReadySeconds ?? num(stored?.minReadySeconds) ?? 0,
    readyTimeoutSeconds: flags.readyTimeoutSeconds ?? num(stored?.readyTimeoutSeconds) ?? defaultReadyTimeoutSeconds,
    maxFailures: flags.maxFailures ?? num(stored?.maxFailures) ?? 0,
  };
}

/** The request strategy a run fixed in its record, so a resume creates identical requests. */
export function strategyFromRecord(stored: Record<string, unknown> | undefined): CrrStrategy {
  const s = stored ?? {};
  const int = (v: unknown) => (typeof v === 'number' && Number.isInteger(v) ? v : undefined);
  return {
    failurePolicy: s.failurePolicy === 'Ignore' ? 'Ignore' : 'Fail',
    orderedRecreate: s.orderedRecreate === true,
    forceRecreate: s.forceRecreate === true,
    terminationGracePeriodSeconds: int(s.terminationGracePeriodSeconds),
    unreadyGracePeriodSeconds: int(s.unreadyGracePeriodSeconds),
    minStartedSeconds: int(s.minStartedSeconds) ?? 0,
    activeDeadlineSeconds: int(s.activeDeadlineSeconds),
    ttlSecondsAfterFinished: int(s.ttlSecondsAfterFinished) ?? DEFAULT_TTL_SECONDS,
  };
}

export interface NewRun {
  id: string;
  /** The plugin's clock, RFC3339. */
  startedAt: string;
  by?: string;
  containers: string[];
  pods: string[];
  strategy: CrrStrategy;
  pacing: Pacing;
  /** The API server's clock, RFC3339. */
  heartbeatAt: string;
  /** A staged run (canary, batches): the stages of its pods, in the record's order. */
  staged?: StagedRecord;
  /** Choices a resume keeps (see resumeChoices). */
  choices: RunChoices;
  /** This process, where it can be told (see DriverIdentity). */
  driver?: DriverIdentity;
}

/**
 * What a run was started with that is neither its requests' shape nor its pacing, and that a resume must keep:
 * honouring PodDisruptionBudgets/PodUnavailableBudgets or not (--ignore-pdb), and the name its writes carry
 * (--field-manager), so the run's requests and record writes all tell the same story.
 */
export interface RunChoices {
  ignorePdb: boolean;
  fieldManager: string;
}

/** The choices a resume goes on with, or why what was typed contradicts the run. */
export type ResumeChoices = { ok: true; choices: RunChoices; kept: string[] } | { ok: false; reason: string; remedy: string };

/**
 * A resume keeps the run's choices: a flag left out takes the run's value, a flag typed with the run's value is
 * fine, a flag that contradicts it is refused (a run half honouring budgets, or written under two names, is not one
 * run any more). Records written before the choices were kept have none: what is typed now goes.
 */
export function resumeChoices(record: RestartRecord, typed: { ignorePdb: boolean; fieldManager?: string }, defaultFieldManager: string): ResumeChoices {
  const stored = record.crr ?? {};
  const kept: string[] = [];
  let ignorePdb = typed.ignorePdb;
  if (typeof stored.ignorePdb === 'boolean') {
    if (typed.ignorePdb && !stored.ignorePdb) {
      return {
        ok: false,
        reason: `--ignore-pdb: run ${record.run} honours PodDisruptionBudgets and PodUnavailableBudgets, and a resume keeps that`,
        remedy: 'drop --ignore-pdb to resume it as it was started, or finish it and start a --new run with --ignore-pdb',
      };
    }
    if (stored.ignorePdb && !typed.ignorePdb) kept.push('--ignore-pdb');
    ignorePdb = stored.ignorePdb;
  }
  let fieldManager = typed.fieldManager ?? defaultFieldManager;
  if (typeof stored.fieldManager === 'string') {
    if (typed.fieldManager !== undefined && typed.fieldManager !== stored.fieldManager) {
      return {
        ok: false,
        reason: `--field-manager ${typed.fieldManager}: run ${record.run} writes as "${stored.fieldManager}", and a resume keeps that`,
        remedy: 'drop --field-manager to resume it under the same name',
      };
    }
    if (typed.fieldManager === undefined && stored.fieldManager !== defaultFieldManager) kept.push(`--field-manager ${stored.fieldManager}`);
    fieldManager = stored.fieldManager;
  }
  return { ok: true, choices: { ignorePdb, fieldManager }, kept };
}

/** The record a new run writes before its first request: everything a resume in another process needs. */
export function newRunRecord(r: NewRun): RestartRecord {
  const { pacing } = r;
  return {
    mode: 'crr',
    run: r.id,
    startedAt: r.startedAt,
    by: r.by,
    containers: r.containers,
    pods: r.pods,
    maxUnavailable: pacing.budget,
    crr: {
      ...r.strategy,
      minReadySeconds: pacing.minReadySeconds,
      readyTimeoutSeconds: pacing.readyTimeoutSeconds,
      maxFailures: pacing.maxFailures,
      ignorePdb: r.choices.ignorePdb,
      fieldManager: r.choices.fieldManager,
    },
    heartbeatAt: r.heartbeatAt,
    ...(r.staged ? { staged: r.staged } : {}),
    ...(r.driver ? { driver: r.driver } : {}),
  };
}

/** Whether the process a run's record names is provably gone, and in words either way. */
export type DriverProof = { gone: true; why: string } | { gone: false; why: string };

/**
 * A run's driver is provably gone only when it ran on this machine (same host name, boot and PID namespace) and its
 * pid is gone or now belongs to a process started at another time. Anything else (another machine, a record without
 * a driver, a system without /proc) proves nothing: the heartbeat decides.
 */
export function driverProof(recorded: DriverIdentity | undefined, here: DriverIdentity | undefined, lookup: (pid: number) => 'gone' | { startTicks: string | undefined }): DriverProof {
  if (!recorded) return { gone: false, why: 'its record does not say which process drives it' };
  if (!here) return { gone: false, why: 'this machine cannot check processes' };
  if (recorded.host !== here.host) return { gone: false, why: `its process runs on another machine (${recorded.host})` };
  if (recorded.bootId !== here.bootId || recorded.pidNamespace !== here.pidNamespace) {
    return { gone: false, why: `its process on ${recorded.host} cannot be checked from here (another boot, or another container)` };
  }
  const now = lookup(recorded.pid);
  if (now === 'gone') return { gone: true, why: `its process (pid ${recorded.pid} on ${recorded.host}) is gone` };
  if (now.startTicks !== recorded.startTicks) return { gone: true, why: `its process (pid ${recorded.pid} on ${recorded.host}) is gone; the pid now belongs to another process` };
  return { gone: false, why: `its process (pid ${recorded.pid} on ${recorded.host}) is still running` };
}

/**
 * What `crr --resume` may do with the run of the CloneSet's record:
 * - `completed`: nothing left to do;
 * - `driven`: a live process drives it (fresh heartbeat): two drivers would each pace against the budget, so only
 *   --force takes it over;
 * - `expired`: older than its requests' TTL: Kruise may have deleted finished requests, and a pod whose request is
 *   gone would restart a second time;
 * - `resume`: go on. An interrupted run starts the pods never started; a failed run also retries the pods that
 *   failed (`retry`), each with a new request.
 */
export type ResumeVerdict =
  | { verdict: 'completed' }
  | { verdict: 'driven'; why?: string; staleInSeconds: number }
  | { verdict: 'expired'; ageSeconds: number; ttlSeconds: number }
  | { verdict: 'resume'; strategy: CrrStrategy; retry: boolean; takeover: boolean; provedGone?: string };

/**
 * `now`: the plugin's clock (the record's startedAt is on it); `serverNow`: the API server's (heartbeats are).
 * `proof`: whether the recorded driver is provably gone (kill -9 on this machine): then its fresh heartbeat means
 * nothing and the run resumes at once, without --force.
 */
export function judgeResume(record: RestartRecord, clocks: { now: number; serverNow: number }, force: boolean, proof?: DriverProof): ResumeVerdict {
  if (record.finished === 'completed') return { verdict: 'completed' };
  const failed = record.finished === 'failed';
  // A run marked finished has no driver left: its process wrote that as its last act.
  const beating = !failed && !crrRunAbandoned(record, clocks.serverNow);
  const provedGone = beating && proof?.gone ? proof.why : undefined;
  const driven = beating && !provedGone;
  if (driven && !force) return { verdict: 'driven', why: proof?.why, staleInSeconds: staleInSeconds(record, clocks.serverNow) };
  const strategy = strategyFromRecord(record.crr);
  const ageSeconds = (clocks.now - Date.parse(record.startedAt)) / 1000;
  if (ageSeconds > strategy.ttlSecondsAfterFinished) return { verdict: 'expired', ageSeconds, ttlSeconds: strategy.ttlSecondsAfterFinished };
  return { verdict: 'resume', strategy, retry: failed, takeover: driven, ...(provedGone ? { provedGone } : {}) };
}

/** Seconds until the run's heartbeat is stale (at least 1): how long a resume without proof must wait. */
export function staleInSeconds(record: RestartRecord, serverNow: number): number {
  const beat = Date.parse(typeof record.heartbeatAt === 'string' ? record.heartbeatAt : record.startedAt);
  return Math.max(1, Math.ceil((beat + HEARTBEAT_STALE_MS - serverNow) / 1000));
}

/** The crr run `crr --resume` would accept without --force (for completion): the record's, when resumable. */
export function resumableRun(record: RestartRecord | undefined, serverNow: number): RestartRecord | undefined {
  if (!record || record.mode !== 'crr') return undefined;
  return judgeResume(record, { now: serverNow, serverNow }, false).verdict === 'resume' ? record : undefined;
}

/** A pod's request for its current attempt: the first has the run's own name, a retry adds `-r<attempt>`. */
export function requestName(record: RestartRecord, pod: string): string {
  const attempt = record.attempts?.[pod] ?? 1;
  return crrName(pod, attempt > 1 ? `${record.run}-r${attempt}` : record.run);
}

/**
 * The run's requests that count: of a pod retried by a resume, only the request of its current attempt (the failed
 * one before it is history). Other pods' requests are all kept (the newest wins where it matters).
 */
export function currentRequests(record: RestartRecord, crrs: readonly ContainerRecreateRequest[]): ContainerRecreateRequest[] {
  const attempts = record.attempts;
  if (!attempts || Object.keys(attempts).length === 0) return [...crrs];
  return crrs.filter((crr) => {
    const pod = crr?.spec?.podName;
    if (!pod || (attempts[pod] ?? 1) <= 1) return true;
    return crr.metadata?.name === requestName(record, pod);
  });
}

/**
 * The record a failed run is resumed with: every pod whose current request failed gets a new attempt (so a new
 * request), the run's earlier verdicts are dropped to be reached again, and it is no longer finished.
 */
export function retryRecord(record: RestartRecord, crrs: readonly ContainerRecreateRequest[]): RestartRecord {
  const current = new Map<string, ContainerRecreateRequest>();
  for (const crr of currentRequests(record, crrs)) {
    const pod = crr?.spec?.podName;
    if (!pod || crr.metadata?.labels?.[PLUGIN.runLabel] !== record.run) continue;
    const seen = current.get(pod);
    if (!seen || (crr.metadata.creationTimestamp ?? '') >= (seen.metadata.creationTimestamp ?? '')) current.set(pod, crr);
  }
  const attempts: Record<string, number> = { ...record.attempts };
  for (const pod of record.pods ?? []) {
    const request = current.get(pod);
    if (!request) continue; // never started, or refused by the webhook: its first request is still to be created
    // A request that failed, or one that succeeded on a pod the run then judged failed (not Ready in time).
    const failed = crrOutcome(request).state === 'failed' || record.outcomes?.[pod]?.state === 'failed';
    if (failed) attempts[pod] = (attempts[pod] ?? 1) + 1;
  }
  const { finished: _finished, stoppedAt: _stopped, outcomes: _outcomes, attempts: _attempts, ...rest } = record;
  return Object.keys(attempts).length > 0 ? { ...rest, attempts } : rest;
}

/** The record a resume claims the run with: written over exactly the record it judged, so of two resumes one wins. */
export function claimedRecord(record: RestartRecord, heartbeatAt: string, by: string | undefined, driver?: DriverIdentity): RestartRecord {
  const { stoppedAt: _stopped, finished: _finished, driver: _driver, ...rest } = record;
  return { ...rest, heartbeatAt, by, ...(driver ? { driver } : {}) };
}

/** The run's own verdicts, carried in the record so the progress view (and a later `status`) agrees with the exit code. */
export function withOutcomes(record: RestartRecord, decision: PacingDecision | undefined): RestartRecord {
  if (!decision || (decision.failed.length === 0 && decision.skipped.length === 0)) return record;
  const outcomes: NonNullable<RestartRecord['outcomes']> = { ...record.outcomes };
  for (const s of decision.skipped) outcomes[s.pod] = { state: 'skipped', reason: s.reason };
  for (const f of decision.failed) outcomes[f.pod] = { state: 'failed', reason: `${f.container ? `${f.container}: ` : ''}${f.message}` };
  return { ...record, outcomes };
}

/** How a run that reached its end is recorded: failed if any pod failed, else completed. */
export function finishedRecord(record: RestartRecord, decision: PacingDecision, heartbeatAt: string): RestartRecord {
  return { ...withOutcomes(record, decision), finished: decision.failed.length > 0 ? 'failed' : 'completed', heartbeatAt };
}

/** A run whose process stops before its end says so, so it shows as interrupted at once rather than 30 s later. */
export function stoppedRecord(record: RestartRecord, decision: PacingDecision | undefined, stoppedAt: string): RestartRecord {
  return { ...withOutcomes(record, decision), stoppedAt };
}
