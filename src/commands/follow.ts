// The watch-and-redraw loop shared by `inplace`, `crr` and `status -w`: live collections in, RestartProgress out,
// rendered on every change. Never polls the API: a local tick only refreshes ages, stalls and the ETA.
import type { CommandContext } from './context';
import { FailedError, InterruptedError, TimeoutError, EXIT } from '../errors';
import type { KubeClient } from '../kube/client';
import { CLONESETS, CRRS, PODS, type ResourceType } from '../kube/resources';
import { LiveCollection } from '../kube/watch';
import { track, type PodBaseline, type ProgressHistory, type RestartProgress } from '../kruise/progress';
import { readRecord } from '../kruise/record';
import { stageView, type StagedProgress } from '../kruise/staged-progress';
import { ownedBy, podSelectorOf } from '../kruise/selectors';
import { workloadOf } from '../kruise/workload';
import { PLUGIN, type CloneSet, type ContainerRecreateRequest, type Pod, type RestartRecord } from '../kruise/types';
import { progressSink, type ProgressSink } from './sinks';
import { kindTitle } from '../kruise/workload';

export interface FollowInput {
  cloneSet: CloneSet;
  /** The workload's resource (default: CloneSets). */
  type?: ResourceType;
  pods: Pod[];
  podsVersion: string;
  /** Defaults to the record on the CloneSet; `status --run` and `crr` pass their own. */
  record?: RestartRecord;
  output?: 'json' | 'yaml' | 'wide';
  timeoutMs: number;
  /** Pods as read before the trigger (inplace): the strongest evidence of what restarted and what was recreated. */
  baseline?: PodBaseline;
  /** A pod restarting for longer than this (on our clock) fails the restart: it is not coming back Ready. */
  readyTimeoutMs?: number;
  /** This process drives a staged run: it is not interrupted between stages, and following ends with each stage. */
  driving?: boolean;
}

export type Outcome = 'complete' | 'failed' | 'timeout' | 'interrupted' | 'none';

export interface FollowResult {
  outcome: Outcome;
  /** With a staged run, the whole run's view (`stage` says which stage; `complete` of a stage that is not the last is false). */
  progress: StagedProgress;
  /** Pods that stayed restarting past the ready timeout. */
  stuck: string[];
}

/** Local redraw tick: ages, stall detection and the ETA move with time even when the cluster is quiet. */
const TICK_MS = 1000;

/**
 * Follows a restart until it completes, fails, times out or the user interrupts. The cluster is read through two or
 * three watches that start from what the caller already listed, so following costs no extra list.
 */
export async function followRestart(ctx: CommandContext, client: KubeClient, input: FollowInput): Promise<FollowResult> {
  const namespace = client.namespace;
  const name = input.cloneSet.metadata.name ?? '';
  let record = input.record ?? readRecord(input.cloneSet);
  const sink: ProgressSink = progressSink(ctx, input.output);
  let history: ProgressHistory | undefined;
  let latest: StagedProgress | undefined;
  let settle!: (outcome: Outcome) => void;
  const finished = new Promise<Outcome>((resolve) => (settle = resolve));
  let scheduled = false;
  const restartingSince = new Map<string, number>();
  let stuck: string[] = [];

  // Items of a list carry no kind: the workload's kind comes from the object the caller read.
  const kind = workloadOf(input.cloneSet);
  const cloneSets = new LiveCollection<CloneSet>(client, input.type ?? CLONESETS, namespace, { fieldSelector: `metadata.name=${name}` }, () => schedule());
  const pods = new LiveCollection<Pod>(client, PODS, namespace, { labelSelector: podSelectorOf(input.cloneSet) }, () => schedule());
  let crrs: LiveCollection<ContainerRecreateRequest> | undefined;

  const evaluate = () => {
    scheduled = false;
    const cloneSet = cloneSets.items.get(name);
    if (!cloneSet) {
      settle('failed');
      return;
    }
    if (!input.record) record = readRecord(cloneSet) ?? record;
    const result = track({
      cloneSet,
      kind,
      pods: ownedBy(cloneSet, pods.values(), kind),
      record,
      crrs: crrs?.values(),
      now: ctx.now(),
      history,
      baseline: input.baseline,
      serverClockOffsetMs: client.serverClockOffsetMs,
    });
    history = result.history;
    latest = stageView(result.progress, { record, serverNow: ctx.now() + (client.serverClockOffsetMs ?? 0), driving: input.driving });
    sink.update(latest);
    stuck = overdue(latest, restartingSince, ctx.now(), input.readyTimeoutMs);
    // The driver of a staged run moves on when its stage is done; everyone else follows the whole run.
    const stageDone = input.driving === true && latest.stage !== undefined && latest.stage.phase !== 'last' && latest.stage.done;
    if (latest.state === 'none') settle('none');
    else if (latest.failed || stuck.length > 0) settle('failed');
    else if (latest.complete || stageDone) settle('complete');
  };
  function schedule() {
    if (scheduled) return;
    scheduled = true;
    setImmediate(evaluate);
  }

  const tick = setInterval(schedule, TICK_MS);
  const timer = input.timeoutMs > 0 ? setTimeout(() => settle('timeout'), input.timeoutMs) : undefined;
  const onInterrupt = () => settle('interrupted');
  ctx.interrupted.addEventListener('abort', onInterrupt, { once: true });
  if (ctx.interrupted.aborted) settle('interrupted');

  try {
    if (record?.mode === 'crr') {
      crrs = new LiveCollection<ContainerRecreateRequest>(client, CRRS, namespace, { labelSelector: `${PLUGIN.runLabel}=${record.run}` }, () => schedule());
      await crrs.start();
    }
    cloneSets.startFrom([input.cloneSet], input.cloneSet.metadata.resourceVersion ?? '');
    pods.startFrom(input.pods, input.podsVersion);
    const outcome = await finished;
    if (scheduled || !latest) evaluate();
    const progress = latest as StagedProgress;
    sink.finish(progress);
    return { outcome: cloneSets.items.has(name) ? outcome : 'failed', progress, stuck };
  } finally {
    clearInterval(tick);
    if (timer) clearTimeout(timer);
    ctx.interrupted.removeEventListener('abort', onInterrupt);
    cloneSets.stop();
    pods.stop();
    crrs?.stop();
  }
}

/** Pods restarting for longer than the timeout, measured on our own clock from when we first saw them restarting. */
function overdue(progress: RestartProgress, since: Map<string, number>, now: number, timeoutMs: number | undefined): string[] {
  const restarting = new Set(progress.pods.filter((p) => p.state === 'restarting').map((p) => p.name));
  for (const name of since.keys()) if (!restarting.has(name)) since.delete(name);
  for (const name of restarting) if (!since.has(name)) since.set(name, now);
  if (!timeoutMs) return [];
  return [...since.entries()].filter(([, at]) => now - at > timeoutMs).map(([name]) => name);
}

/** Maps the end of a follow to the exit code, through the one central error mapping for anything but success. */
export function outcomeExitCode(_ctx: CommandContext, result: FollowResult, followCommand: string): number {
  const p = result.progress;
  const carriesOn =
    p.state === 'interrupted'
      ? `nothing moves until the run is resumed: ${p.resume}`
      : p.state === 'paused'
        ? `the ${kindTitle(p.cloneSet.kind)} is paused: nothing moves until it is unpaused; then follow it with: ${followCommand}`
        : `the restart carries on; follow it with: ${followCommand}`;
  switch (result.outcome) {
    case 'complete':
    case 'none':
      return EXIT.ok;
    case 'failed': {
      if (result.stuck.length > 0 && !p.failed) {
        const pods = result.stuck.map((name) => {
          const reason = p.pods.find((x) => x.name === name)?.reason;
          return reason ? `${name} (${reason})` : name;
        });
        // Our patience ran out, not the controller's: Kruise keeps rolling (unless --pause-on-failure paused it).
        throw new TimeoutError(`not Ready again within the ready timeout: ${pods.join(', ')}`, `${carriesOn}; check those pods (kubectl describe pod, logs)`);
      }
      const diagnosis = p.diagnoses.find((d) => d.severity === 'error') ?? p.diagnoses[0];
      throw new FailedError(`restart failed: ${diagnosis?.message ?? p.message}`, undefined);
    }
    case 'timeout':
      throw new TimeoutError(`timed out waiting: ${p.message}`, carriesOn);
    case 'interrupted':
      throw new InterruptedError(`stopped watching: ${p.message}`, carriesOn);
  }
}
