// Diagnoses: what is wrong or worth knowing about a restart, each one line naming the pods concerned and, for a
// stall, its most likely cause.

import { formatCount, formatDuration, listNames } from '../duration';
import type { Pod, RestartRecord } from '../types';
import type { InPlaceWorkload } from '../workload';
import type { CloneSetProgress, Diagnosis, DiagnosisKind, ProgressInput, ProgressSummary, Severity } from './document';
import { NO_RESTART_PLANNED } from './inplace-pod';
import { compareNames, factsOf, parseTime, podName } from './readers';
import type { Evaluated } from './verdict';
import { kindTitle } from '../workload';

export interface DiagnoseArgs {
  input: ProgressInput;
  kind: InPlaceWorkload;
  cs: CloneSetProgress;
  record: RestartRecord;
  evaluated: Evaluated[];
  summary: ProgressSummary;
  complete: boolean;
  anyFailed: boolean;
  statusGap?: string;
  stallAfterMs: number;
  lastProgressAt?: number;
  pods: Pod[];
}

/** What needs a human: every concern of the pods and the workload, worst first where a stall needs a cause. */
export function diagnose(a: DiagnoseArgs): Diagnosis[] {
  const { input, cs, record, evaluated, summary, complete } = a;
  const now = input.now;
  const diagnoses: Diagnosis[] = [];
  // One pass over the pods, not one per kind: most pods have no concern at all.
  const byKind = new Map<DiagnosisKind, Evaluated[]>();
  for (const e of evaluated) {
    for (const c of e.verdict.concerns) {
      if (c.whenStuck && !(e.sinceMs !== undefined && now - e.sinceMs > a.stallAfterMs)) continue;
      const list = byKind.get(c.kind);
      if (!list) byKind.set(c.kind, [e]);
      else if (list[list.length - 1] !== e) list.push(e);
    }
  }
  const concerned = (kind: DiagnosisKind): Evaluated[] => byKind.get(kind) ?? [];
  const names = (list: Evaluated[]) => list.map((e) => e.pod.name);
  const nodes = (list: Evaluated[]) => [...new Set(list.map((e) => e.pod.node ?? '(unscheduled)'))];
  const add = (kind: DiagnosisKind, severity: Severity, message: string, pods?: string[]) => {
    diagnoses.push(pods && pods.length > 0 ? { kind, severity, message, pods } : { kind, severity, message });
  };

  // Kruise sets FailedUpdate on any update error and never clears it, keeping the first message and transition time
  // (cloneset_controller.go, SetCloneSetCondition): one older than this restart is about something else.
  const restartBegan = parseTime(record.startedAt);
  const failedUpdate = (Array.isArray(input.cloneSet.status?.conditions) ? input.cloneSet.status.conditions : []).find((c) => {
    if (!c || c.type !== 'FailedUpdate' || c.status !== 'True') return false;
    const since = parseTime(c.lastTransitionTime);
    return since === undefined || restartBegan === undefined || since >= restartBegan;
  });
  if (failedUpdate && !complete) add('update-failed', 'error', `the ${kindTitle(cs.kind)} controller reports FailedUpdate: ${failedUpdate.message ?? failedUpdate.reason ?? ''}`.trim());

  // CRRs bypass the CloneSet controller, so pausing it does not hold a CRR run.
  if (record.mode === 'inplace' && cs.paused && !complete && summary.pending > 0) {
    add('paused', 'warning', `${a.kind.resource.kind} ${cs.name} is paused (${a.kind.fields.paused}): no new pod will restart until it is unpaused`);
  }

  if (record.mode === 'inplace' && a.statusGap && !complete) {
    const startedAt = parseTime(record.startedAt);
    const notObserved = /not observed|new revision/.test(a.statusGap);
    if (notObserved && startedAt !== undefined && now - startedAt > a.stallAfterMs) {
      add('not-observed', 'error', `${a.statusGap} after ${formatDuration((now - startedAt) / 1000)}: is kruise-manager running?`);
    }
  }

  if (record.mode === 'inplace' && cs.partition > 0) {
    add('partition', 'info', `partition ${formatCount(cs.partition)} keeps ${formatCount(cs.partition)} of ${formatCount(cs.replicas)} pods at the old revision: they will not restart`);
  }

  const hooked = concerned('lifecycle-hook');
  if (hooked.length > 0) {
    add('lifecycle-hook', 'warning', `${listNames(names(hooked))} ${hooked.length === 1 ? 'is' : 'are'} held by the inPlaceUpdate lifecycle hook: whoever owns the hook must release ${hooked.length === 1 ? 'it' : 'them'}`, names(hooked));
  }

  // Nothing would ever move: Kruise updates no pod with a budget of 0 and no surge.
  const budgetStall = record.mode === 'inplace' && !complete && summary.pending > 0 ? a.kind.budgetStall(input.cloneSet) : undefined;
  if (budgetStall) add('budget-exhausted', 'error', budgetStall);

  const missing = concerned('container-missing');
  if (missing.length > 0) {
    add(
      'container-missing',
      'error',
      `kruise-daemon finds the container to recreate missing on the node of ${listNames(names(missing))}: Kruise keeps such a request Recreating until its activeDeadlineSeconds, then completes it as failed`,
      names(missing),
    );
  }

  const daemon = concerned('daemon-not-acting');
  const noEnvDetail = (e: Evaluated) => e.verdict.concerns.find((c) => c.kind === 'daemon-not-acting' && c.detail?.startsWith('no-env:'))?.detail?.slice('no-env:'.length);
  const noEnv = daemon.filter((e) => noEnvDetail(e) !== undefined);
  const silent = daemon.filter((e) => noEnvDetail(e) === undefined);
  if (noEnv.length > 0) {
    const containers = [...new Set(noEnv.flatMap((e) => (noEnvDetail(e) ?? '').split(', ')))];
    add(
      'daemon-not-acting',
      'error',
      `kruise-daemon could not read the environment of ${containers.length === 1 ? 'container' : 'containers'} ${listNames(containers)} (no env binary?) in ${listNames(names(noEnv))}: it reads it by running \`env\` in the container and never restarts one it cannot read, so Kruise waits forever; restart ${noEnv.length === 1 ? 'it' : 'them'} with "crr", or add an env binary to the image`,
      names(noEnv),
    );
  }
  if (silent.length > 0) {
    const hint = record.mode === 'crr' ? 'is it running there?' : 'is it running there, and does the image have an `env` binary?';
    add('daemon-not-acting', 'error', `kruise-daemon has not restarted containers of ${listNames(names(silent))} on node ${listNames(nodes(silent))}: ${hint}`, names(silent));
  }

  const gateOff = concerned('gate-off');
  if (gateOff.length > 0) {
    add('gate-off', 'error', `Kruise updated ${listNames(names(gateOff))} in place without restarting containers: ${NO_RESTART_PLANNED}`, names(gateOff));
  }
  const notRestarted = concerned('not-restarted');
  if (notRestarted.length > 0) {
    add('not-restarted', 'error', `${listNames(names(notRestarted))}: containers not restarted although Kruise marked the in-place update done`, names(notRestarted));
  }

  const crrFailed = concerned('crr-failed');
  if (crrFailed.length > 0) {
    const first = crrFailed[0];
    add('crr-failed', 'error', `${crrFailed.length === 1 ? 'the CRR' : `${formatCount(crrFailed.length)} CRRs`} of ${listNames(names(crrFailed))} failed: ${first.pod.reason ?? ''}`.trim(), names(crrFailed));
  }

  const recreated = concerned('recreated');
  if (recreated.length > 0) {
    // Expected when this run added the trigger wiring (--setup) or the strategy is ReCreate; a surprise otherwise.
    const expected = record.setup === true || cs.strategy === 'ReCreate';
    const why =
      record.setup === true
        ? 'this run added the trigger env var (--setup), which Kruise can only apply by recreating pods'
        : cs.strategy === 'ReCreate'
          ? 'the ReCreate strategy replaces pods on every template change'
          : 'the template change could not be applied in place (e.g. the trigger env var was added for the first time)';
    add('recreated', expected ? 'info' : 'warning', `${listNames(names(recreated))} ${recreated.length === 1 ? 'was' : 'were'} recreated instead of restarted in place: ${why}`, names(recreated));
  }

  const notReady = concerned('not-ready');
  if (notReady.length > 0) {
    const detail = notReady.map((e) => e.verdict.concerns.find((c) => c.kind === 'not-ready')?.detail).find(Boolean);
    add('not-ready', 'warning', `${listNames(names(notReady))} not Ready for over ${formatDuration(a.stallAfterMs / 1000)}${detail ? ` (${detail})` : ''}`, names(notReady));
  }

  const terminating = concerned('terminating');
  if (terminating.length > 0) {
    add('terminating', 'warning', `${listNames(names(terminating))} still terminating after ${formatDuration(a.stallAfterMs / 1000)} (finalizers or a long grace period)`, names(terminating));
  }

  // Unavailable pods that are not part of the restart's own work eat the budget the restart paces with.
  if (!complete && summary.pending > 0 && summary.budget >= 0 && summary.unavailable >= summary.budget) {
    const inFlight = new Set(evaluated.filter((e) => e.pod.state === 'restarting').map((e) => e.pod.name));
    const outsiders = a.pods
      .filter((p) => {
        const f = factsOf(p);
        return !f.terminating && f.down && !inFlight.has(podName(p));
      })
      .map(podName)
      .sort(compareNames);
    if (outsiders.length > 0) {
      add('budget-exhausted', 'warning', `${listNames(outsiders)} ${outsiders.length === 1 ? 'is' : 'are'} unavailable outside the restart and use${outsiders.length === 1 ? 's' : ''} up the budget of ${formatCount(summary.budget)}`, outsiders);
    }
  }

  if (!complete && a.lastProgressAt !== undefined && now - a.lastProgressAt > a.stallAfterMs) {
    const order: DiagnosisKind[] = ['update-failed', 'paused', 'not-observed', 'lifecycle-hook', 'container-missing', 'daemon-not-acting', 'gate-off', 'not-restarted', 'crr-failed', 'not-ready', 'terminating', 'budget-exhausted'];
    const cause = order.map((kind) => diagnoses.find((d) => d.kind === kind)).find(Boolean);
    const partitionCause = record.mode === 'inplace' && cs.partition > 0 && summary.pending === 0 && summary.restarting === 0;
    const because = cause
      ? cause.message
      : partitionCause
        ? 'the partition keeps the remaining pods at the old revision'
        : 'no cause found: check `kubectl describe cloneset` and the kruise-manager logs';
    diagnoses.unshift({ kind: 'stalled', severity: 'warning', message: `no progress for ${formatDuration((now - a.lastProgressAt) / 1000)}: ${because}` });
  }
  return diagnoses;
}
