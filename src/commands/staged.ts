// Drives a staged in-place restart: follows the stage under way to completion, then holds after a canary (until
// --continue, or --canary-wait with the canary healthy), pauses between batches, and writes the next stage's partition
// together with the record in one compare-and-swap. The record on the CloneSet always says where the run stands, so a
// killed process loses nothing: `--continue` picks it up from any machine.
import type { CommandArgs, CommandContext } from './context';
import { FailedError, InterruptedError, PluginError, TimeoutError, UsageError } from '../errors';
import { parseDuration } from '../kube/config';
import { parseIntOrPercent } from '../kruise/budget';
import type { KubeClient } from '../kube/client';
import { PODS, objectPath, resourceTypeOfObject } from '../kube/resources';
import { LiveCollection } from '../kube/watch';
import { lostRace } from '../kruise/exclusion';
import { formatDuration, listNames, plural } from '../kruise/duration';
import { HEARTBEAT_EVERY_MS, readRecord, writeRecord } from '../kruise/record';
import { ownedBy, podSelectorOf } from '../kruise/selectors';
import { continueCommand, heldView, otherWayOut, type StagedProgress } from '../kruise/staged-progress';
import { isLastStage, readStaged, stageName, stagePartition, wantsStages, type StageFlags } from '../kruise/stages';
import { pointerEscape } from '../kruise/trigger';
import { kindTitle, workloadOf } from '../kruise/workload';
import { PLUGIN, type CloneSet, type IntOrString, type Pod, type RestartRecord, type StagedRecord } from '../kruise/types';
import { confirm, getCloneSet, listPods, note, warn } from './common';
import { followRestart, outcomeExitCode, type FollowResult } from './follow';
import type { PodBaseline } from '../kruise/progress';

/** --canary, --batches, --batch-size, --pause, --canary-wait: checked together, before the cluster is touched. */
export function stageFlags(args: CommandArgs, command: 'inplace' | 'crr'): StageFlags | undefined {
  const flags: StageFlags = {};
  const count = (flag: string): IntOrStringValue | undefined => {
    if (args[flag] === undefined) return undefined;
    const parsed = parseIntOrPercent(String(args[flag]));
    if (!parsed.ok) throw new UsageError(`--${flag}: ${parsed.error}`);
    if (parsed.value === 0 || parsed.value === '0%') throw new UsageError(`--${flag} 0 would restart nothing`, `use --${flag} 1 or more`);
    return parsed.value;
  };
  flags.canary = count('canary');
  flags.batchSize = count('batch-size');
  if (args.batches !== undefined) {
    const text = String(args.batches);
    if (!/^\d+$/.test(text) || Number(text) < 1 || Number(text) > 10_000) throw new UsageError(`--batches: "${text}" is not a whole number of batches from 1`, 'e.g. --batches 3');
    flags.batches = Number(text);
  }
  if (flags.batches !== undefined && flags.batchSize !== undefined) throw new UsageError('--batches and --batch-size cannot be combined', 'say how many batches, or how big each is');
  if (args.pause !== undefined) flags.pauseSeconds = parseDuration(String(args.pause), '--pause') / 1000;
  if (args['canary-wait'] !== undefined) {
    if (command === 'crr') throw new UsageError('--canary-wait applies to inplace only', 'crr holds after the canary until --continue');
    flags.canaryWaitSeconds = parseDuration(String(args['canary-wait']), '--canary-wait') / 1000;
    if (flags.canary === undefined) throw new UsageError('--canary-wait needs --canary', 'e.g. --canary 1 --canary-wait 5m');
  }
  if (!wantsStages(flags)) {
    if (flags.pauseSeconds !== undefined) throw new UsageError('--pause needs --batches or --batch-size', 'e.g. --batches 3 --pause 1m');
    return undefined;
  }
  return flags;
}

type IntOrStringValue = number | string;

type JsonPatchOp = { op: 'test' | 'add' | 'replace' | 'remove'; path: string; value?: unknown };

const RECORD_POINTER = `/metadata/annotations/${pointerEscape(PLUGIN.lastRestartAnnotation)}`;

/** Now on the API server's clock (its Date header), as heartbeats are written and judged. */
export function serverTime(ctx: CommandContext, client: KubeClient): string {
  return new Date(ctx.now() + client.serverClockOffsetMs).toISOString();
}

/** The ops that set a stage's partition: a number, the user's own value put back, or removed when there was none. */
export function partitionOps(cloneSet: CloneSet, partition: IntOrString | null): JsonPatchOp[] {
  // The kind's own field: spec.updateStrategy.partition (CloneSet), spec.updateStrategy.rollingUpdate.partition (the others).
  const keys = workloadOf(cloneSet).fields.partition.split('.');
  let node: unknown = cloneSet;
  let depth = 0;
  for (; depth < keys.length - 1; depth++) {
    const next = (node as Record<string, unknown> | undefined)?.[keys[depth]];
    if (typeof next !== 'object' || next === null) break;
    node = next;
  }
  const pointer = (n: number) => `/${keys.slice(0, n).join('/')}`;
  if (partition === null) {
    return depth === keys.length - 1 && keys[depth] in (node as object) ? [{ op: 'remove', path: pointer(keys.length) }] : [];
  }
  if (depth === keys.length - 1) return [{ op: 'add', path: pointer(keys.length), value: partition }];
  // The missing objects on the way are added with the partition inside.
  let value: unknown = partition;
  for (let i = keys.length - 1; i > depth; i--) value = { [keys[i]]: value };
  return [{ op: 'add', path: pointer(depth + 1), value }];
}

/** The partition the workload has now in its kind's own field (null: none). */
export function partitionOf(cloneSet: CloneSet): IntOrString | null {
  let node: unknown = cloneSet;
  for (const key of workloadOf(cloneSet).fields.partition.split('.')) node = (node as Record<string, unknown> | undefined)?.[key];
  return typeof node === 'number' || typeof node === 'string' ? node : null;
}

/** A merge patch setting the partition in its kind's own field, merged into `body`. */
export function withPartition(cloneSet: CloneSet, body: { spec?: Record<string, unknown> }, partition: IntOrString | null): object {
  const keys = workloadOf(cloneSet).fields.partition.split('.').slice(1);
  const merged: Record<string, unknown> = { ...(body.spec ?? {}) };
  let node = merged;
  for (let i = 0; i < keys.length - 1; i++) {
    node[keys[i]] = { ...((node[keys[i]] as Record<string, unknown> | undefined) ?? {}) };
    node = node[keys[i]] as Record<string, unknown>;
  }
  node[keys[keys.length - 1]] = partition;
  return { ...body, spec: merged };
}

/**
 * The record of a run this process drives. Every write replaces exactly the text last written (a JSON patch `test`),
 * so another restart's record is never overwritten; the partition of a stage goes in the same patch.
 */
export class RecordKeeper {
  private heartbeatTimer: ReturnType<typeof setInterval> | undefined;
  private pending: Promise<unknown> = Promise.resolve();
  lost = false;

  constructor(
    private readonly ctx: CommandContext,
    private readonly client: KubeClient,
    readonly name: string,
    public record: RestartRecord,
    private text: string,
    public cloneSet: CloneSet,
  ) {}

  static of(ctx: CommandContext, client: KubeClient, cloneSet: CloneSet): RecordKeeper | undefined {
    const record = readRecord(cloneSet);
    const text = cloneSet.metadata.annotations?.[PLUGIN.lastRestartAnnotation];
    return record && text ? new RecordKeeper(ctx, client, cloneSet.metadata.name ?? '', record, text, cloneSet) : undefined;
  }

  get staged(): StagedRecord {
    const staged = readStaged(this.record);
    if (!staged) throw new FailedError(`the restart record of ${kindTitle(this.cloneSet.kind)} "${this.name}" no longer describes a staged run`, 'check it with status');
    return staged;
  }

  /** Writes `next` (and `ops`) only over the record last written; false when the record is no longer this run's. */
  async swap(next: RestartRecord, ops: (cs: CloneSet) => JsonPatchOp[] = () => []): Promise<boolean> {
    const text = writeRecord(next);
    for (let attempt = 1; ; attempt++) {
      try {
        this.cloneSet = await this.client.patch<CloneSet>(
          objectPath(resourceTypeOfObject(this.cloneSet), this.client.namespace, this.name),
          [{ op: 'test', path: RECORD_POINTER, value: this.text }, { op: 'replace', path: RECORD_POINTER, value: text }, ...ops(this.cloneSet)],
          'json',
          { type: resourceTypeOfObject(this.cloneSet) },
        );
        this.record = next;
        this.text = text;
        return true;
      } catch (err) {
        if (!lostRace(err, true) || attempt >= 5) throw err;
        // Another write reached the CloneSet first: still our run (a heartbeat whose answer was lost, Kruise's status)?
        const current = await getCloneSet(this.client, this.name, resourceTypeOfObject(this.cloneSet));
        const record = readRecord(current);
        if (record?.run !== this.record.run || record.mode !== this.record.mode) return false;
        this.cloneSet = current;
        this.text = current.metadata.annotations?.[PLUGIN.lastRestartAnnotation] ?? this.text;
      }
    }
  }

  /** Renews `heartbeatAt` while this process drives the run, so status elsewhere can tell driven from interrupted. */
  startHeartbeat(): void {
    const beat = () => {
      if (this.lost) return;
      this.pending = this.pending
        .then(() => this.swap({ ...this.record, heartbeatAt: serverTime(this.ctx, this.client) }))
        .then((ours) => {
          if (!ours && !this.lost) {
            this.lost = true;
            warn(this.ctx, `the ${kindTitle(this.cloneSet.kind)}'s restart record no longer shows run ${this.record.run} (another restart replaced it)`);
          }
        })
        .catch((err: unknown) => this.ctx.log(2, `heartbeat of run ${this.record.run} not written: ${err instanceof Error ? err.message : String(err)}`));
    };
    this.heartbeatTimer = setInterval(beat, HEARTBEAT_EVERY_MS);
  }

  async stopHeartbeat(): Promise<void> {
    if (this.heartbeatTimer) clearInterval(this.heartbeatTimer);
    this.heartbeatTimer = undefined;
    await this.pending;
  }

  /** Serialised with the heartbeat, so two writes never race each other from this process. */
  async write(next: (record: RestartRecord) => RestartRecord, ops?: (cs: CloneSet) => JsonPatchOp[]): Promise<boolean> {
    const run = this.pending.then(() => this.swap(next(this.record), ops));
    this.pending = run.catch(() => undefined);
    return run;
  }
}

/** Moves the run to stage `index`: its partition and the record in one write. */
export async function startStage(ctx: CommandContext, client: KubeClient, keeper: RecordKeeper, index: number): Promise<void> {
  const staged = { ...keeper.staged, stage: index };
  delete staged.holding;
  const partition = stagePartition(staged, index);
  const ours = await keeper.write(
    (record) => {
      const next: RestartRecord = { ...record, staged, heartbeatAt: serverTime(ctx, client), by: record.by };
      delete next.stoppedAt;
      return next;
    },
    (cs) => partitionOps(cs, partition),
  );
  if (!ours) throw new FailedError(`the restart record of ${kindTitle(keeper.cloneSet.kind)} "${keeper.name}" no longer shows run ${keeper.record.run}: another restart replaced it`, 'see status');
  const shown = partition === null ? 'removed' : String(partition);
  note(ctx, `stage ${index + 1} of ${staged.through.length} (${stageName(staged, index)}): restarting up to ${plural(staged.through[index], 'pod')} in all; partition ${shown}`);
}

export interface DriveOptions {
  output?: 'json' | 'yaml' | 'wide';
  /** Absolute deadline on our clock (0: none). */
  deadline: number;
  readyTimeoutMs: number;
  /** The status -w command. */
  follow: string;
  baseline?: PodBaseline;
}

export type DriveEnd = { kind: 'done'; result: FollowResult } | { kind: 'held'; progress: StagedProgress };

export function sleep(ctx: CommandContext, ms: number): Promise<'slept' | 'interrupted'> {
  return new Promise((resolve) => {
    if (ctx.interrupted.aborted) return resolve('interrupted');
    const onAbort = () => {
      clearTimeout(timer);
      resolve('interrupted');
    };
    const timer = setTimeout(() => {
      ctx.interrupted.removeEventListener('abort', onAbort);
      resolve('slept');
    }, ms);
    ctx.interrupted.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * Watches the canary's pods for `waitMs`: any of them not Ready (or gone) before the time is up fails the canary.
 * Follows the pods through a watch, like everything else: no polling.
 */
async function canaryStaysHealthy(ctx: CommandContext, client: KubeClient, cloneSet: CloneSet, canary: string[], waitMs: number): Promise<'healthy' | 'interrupted' | string> {
  const { pods, resourceVersion } = await listPods(client, cloneSet);
  let settle!: (v: string) => void;
  const done = new Promise<string>((resolve) => (settle = resolve));
  const check = (all: Pod[]) => {
    const owned = new Map(ownedBy(cloneSet, all).map((p) => [p.metadata.name ?? '', p]));
    for (const name of canary) {
      const pod = owned.get(name);
      if (!pod) return settle(`canary pod ${name} is gone`);
      const ready = pod.status?.conditions?.find((c) => c.type === 'Ready')?.status === 'True';
      if (!ready) return settle(`canary pod ${name} is not Ready`);
    }
  };
  const watch = new LiveCollection<Pod>(client, PODS, client.namespace, { labelSelector: podSelectorOf(cloneSet) }, () => check(watch.values()));
  const timer = setTimeout(() => settle('healthy'), waitMs);
  const onAbort = () => settle('interrupted');
  ctx.interrupted.addEventListener('abort', onAbort, { once: true });
  try {
    watch.startFrom(pods, resourceVersion);
    check(pods);
    return await done;
  } finally {
    clearTimeout(timer);
    ctx.interrupted.removeEventListener('abort', onAbort);
    watch.stop();
  }
}

/** Says on the record that no process drives the run any more, so status and --continue need not wait for the heartbeat. */
async function markStopped(ctx: CommandContext, client: KubeClient, keeper: RecordKeeper, holding = false): Promise<void> {
  await keeper.stopHeartbeat();
  try {
    await keeper.write((record) => {
      const staged = { ...keeper.staged, ...(holding ? { holding: true } : {}) };
      return holding ? { ...record, staged, heartbeatAt: serverTime(ctx, client) } : { ...record, staged, stoppedAt: serverTime(ctx, client) };
    });
  } catch (err) {
    warn(ctx, `could not write on the ${kindTitle(keeper.cloneSet.kind)} that run ${keeper.record.run} stopped: ${err instanceof Error ? err.message : String(err)}`);
  }
}

/** Adds where the run stopped and how to go on (or back) to an error ending a stage. */
export function atStage(err: unknown, staged: StagedRecord, mode: 'inplace' | 'crr', name: string, namespace: string): unknown {
  if (!(err instanceof PluginError) || isLastStage(staged)) return err;
  const where = `stopped at stage ${staged.stage + 1} of ${staged.through.length} (${stageName(staged, staged.stage)})`;
  const next = continueCommand(mode, name, namespace);
  const hint = `${err.hint ? `${err.hint}; ` : ''}no later stage started; roll forward once fixed: ${next}; ${otherWayOut(mode)}`;
  const Type = err.constructor as new (message: string, hint?: string) => PluginError;
  try {
    return new Type(`${where}: ${err.message}`, hint);
  } catch {
    return err;
  }
}

/**
 * Follows the staged run in `keeper` from its stage under way to the end, or to the canary's hold. Throws the usual
 * errors (failed, ready timeout, timeout, Ctrl-C), each saying the stage and how to go on.
 */
export async function driveStages(ctx: CommandContext, client: KubeClient, keeper: RecordKeeper, opts: DriveOptions): Promise<DriveEnd> {
  const namespace = client.namespace;
  const name = keeper.name;
  keeper.startHeartbeat();
  let stopped = false;
  try {
    for (;;) {
      const staged = keeper.staged;
      const { pods, resourceVersion } = await listPods(client, keeper.cloneSet);
      const left = opts.deadline > 0 ? opts.deadline - ctx.now() : 0;
      if (opts.deadline > 0 && left <= 0) {
        stopped = true;
        await markStopped(ctx, client, keeper);
        throw new TimeoutError(`timed out before stage ${staged.stage + 1} of ${staged.through.length}`, `continue with: ${continueCommand('inplace', name, namespace, keeper.cloneSet.kind)}`);
      }
      const result = await followRestart(ctx, client, {
        cloneSet: keeper.cloneSet,
        type: resourceTypeOfObject(keeper.cloneSet),
        pods,
        podsVersion: resourceVersion,
        output: opts.output,
        timeoutMs: opts.deadline > 0 ? left : 0,
        readyTimeoutMs: opts.readyTimeoutMs,
        baseline: opts.baseline,
        driving: true,
      });
      if (result.outcome !== 'complete' && !isLastStage(staged)) {
        stopped = true;
        await markStopped(ctx, client, keeper);
        // Always throws for an outcome other than complete: the stage and the way on are added below.
        outcomeExitCode(ctx, result, opts.follow);
      }
      if (isLastStage(staged)) {
        if (result.outcome !== 'complete') {
          stopped = true;
          await markStopped(ctx, client, keeper);
        }
        return { kind: 'done', result };
      }
      const progress = result.progress;
      const restarted = progress.pods.filter((p) => p.state === 'restarted' || p.state === 'recreated').map((p) => p.name);
      note(ctx, `${stageName(staged, staged.stage)} done: ${plural(restarted.length, 'pod')} of ${staged.through[staged.through.length - 1]} restarted (${listNames(restarted)})`);
      if (staged.canary && staged.stage === 0) {
        if (staged.canaryWaitSeconds === undefined) {
          const rest = staged.through[staged.through.length - 1] - staged.through[0];
          const interactive = ctx.stdout.isTTY && process.stdin.isTTY && opts.output !== 'json' && opts.output !== 'yaml';
          // Off a terminal nobody can answer: the run holds and says how to go on.
          if (!interactive || !(await confirm(ctx, `Canary healthy. Continue with the other ${plural(rest, 'pod')}?`))) {
            stopped = true;
            await markStopped(ctx, client, keeper, true);
            note(ctx, `the run holds after the canary; continue with: ${continueCommand('inplace', name, namespace, keeper.cloneSet.kind)}`);
            return { kind: 'held', progress: heldView(progress, 'inplace') };
          }
        } else {
          note(ctx, `watching the canary for ${formatDuration(staged.canaryWaitSeconds)} before going on`);
          const verdict = await canaryStaysHealthy(ctx, client, keeper.cloneSet, restarted, staged.canaryWaitSeconds * 1000);
          if (verdict === 'interrupted') {
            stopped = true;
            await markStopped(ctx, client, keeper);
            throw new InterruptedError('interrupted while watching the canary', `the canary is done; continue with: ${continueCommand('inplace', name, namespace, keeper.cloneSet.kind)}`);
          }
          if (verdict !== 'healthy') {
            stopped = true;
            await markStopped(ctx, client, keeper, true);
            throw new FailedError(`the canary did not stay healthy for ${formatDuration(staged.canaryWaitSeconds)}: ${verdict}`, undefined);
          }
        }
      } else if (staged.pauseSeconds > 0) {
        note(ctx, `pausing ${formatDuration(staged.pauseSeconds)} before the next stage`);
        if ((await sleep(ctx, staged.pauseSeconds * 1000)) === 'interrupted') {
          stopped = true;
          await markStopped(ctx, client, keeper);
          throw new InterruptedError(`interrupted between stages (after ${stageName(staged, staged.stage)})`, `nothing restarts until you continue: ${continueCommand('inplace', name, namespace, keeper.cloneSet.kind)}`);
        }
      }
      await startStage(ctx, client, keeper, staged.stage + 1);
    }
  } catch (err) {
    if (!stopped) await markStopped(ctx, client, keeper);
    throw atStage(err, keeper.staged, 'inplace', name, namespace);
  } finally {
    await keeper.stopHeartbeat();
  }
}
