// Steps several commands share: validating the target name, reading the CloneSet and its pods.
import { hostname, userInfo } from 'node:os';
import type * as ReadlinePromises from 'node:readline/promises';
import { builtin } from '../bundles';
import type { CommandArgs, CommandContext } from './context';
import { formatDocument } from '../ui/document';
import { ApiError, EXIT, FailedError, InterruptedError, RefusedError, UsageError } from '../errors';
import { describeFailure } from '../ui/failure';
import { parseDuration } from '../kube/config';
import type { KubeClient } from '../kube/client';
import { CLONESETS, CRRS, EVENTS, PODS, apiVersion, collectionPath, workloadResourceType, type ResourceType } from '../kube/resources';
import { describeOtherRestart, overrides, unfinishedRestart, type OtherRestart, type Starting } from '../kruise/exclusion';
import { printable, readRecord } from '../kruise/record';
import { ownedBy, podSelectorOf, validateObjectName } from '../kruise/selectors';
import { CLONESET, workloadByKind, workloadOf } from '../kruise/workload';
import { discoverVersion } from '../kube/discovery';
import { PLUGIN, type CloneSet, type ContainerRecreateRequest, type Pod } from '../kruise/types';

/** The kinds of workload the plugin restarts, by their API kind in apps.kruise.io. */
export type WorkloadKind = 'CloneSet' | 'StatefulSet' | 'DaemonSet';

/** A workload named on the command line. */
export interface Target {
  kind: WorkloadKind;
  name: string;
}

/** How messages name each kind. */
export const KIND_WORDS: Record<WorkloadKind, string> = { CloneSet: 'CloneSet', StatefulSet: 'Advanced StatefulSet', DaemonSet: 'Advanced DaemonSet' };

const BY_RESOURCE: Record<string, WorkloadKind> = {
  'clonesets.apps.kruise.io': 'CloneSet',
  'statefulsets.apps.kruise.io': 'StatefulSet',
  'daemonsets.apps.kruise.io': 'DaemonSet',
};

/** The targets as the parser hands them on: NAME (a CloneSet) or `statefulsets.apps.kruise.io/NAME`. */
export function targetsOf(args: CommandArgs): Target[] {
  const raw = Array.isArray(args.cloneset) ? args.cloneset : args.cloneset === undefined ? [] : [args.cloneset];
  return raw.map((word) => parseTargetWord(String(word)));
}

/** Several workloads: more than one target, or a kind to select them by (-l/--selector, --all). */
export function manyTargets(args: CommandArgs): boolean {
  // -o name prints kubectl's per-workload lines, which the several-workload path writes for one workload too.
  return targetsOf(args).length > 1 || typeof args.kind === 'string' || args.output === 'name';
}

/** The one target of a single-workload command line. */
export function targetOf(args: CommandArgs): Target {
  return targetsOf(args)[0] ?? parseTargetWord('');
}

/** Where a kind lives: CloneSets at their pinned version, the others at the version discovery picks. */
export async function resourceTypeOf(client: KubeClient, kind: WorkloadKind): Promise<ResourceType> {
  if (kind === 'CloneSet') return CLONESETS;
  return discoverVersion(client, workloadResourceType(workloadByKind(kind) ?? CLONESET));
}

/** kubectl's name for a kind's resource, as `-o name` prints it: `statefulset.apps.kruise.io`. */
export function resourceWord(kind: WorkloadKind): string {
  return `${kind.toLowerCase()}.apps.kruise.io`;
}

function parseTargetWord(raw: string): Target {
  const slash = raw.indexOf('/');
  const kind = slash < 0 ? 'CloneSet' : BY_RESOURCE[raw.slice(0, slash)];
  const name = slash < 0 ? raw : raw.slice(slash + 1);
  if (!kind) throw new UsageError(`unknown kind in "${raw}"`, 'give the workload as web, cloneset/web, asts/db or ads/agent');
  const problem = validateObjectName(name, KIND_WORDS[kind]);
  if (problem) throw new UsageError(problem);
  return { kind, name };
}

export function cloneSetName(args: CommandArgs): string {
  const target = targetOf(args);
  if (target.kind !== 'CloneSet') {
    throw new UsageError(`this command does not restart ${KIND_WORDS[target.kind]}s yet`, 'give a CloneSet (NAME or cloneset/NAME)');
  }
  return target.name;
}

/**
 * `--field-manager`, checked as the API server checks it (apimachinery ValidateFieldManager: at most 128 bytes,
 * all printable), so a bad one is a usage error before anything is read rather than a 422 halfway through.
 */
export function fieldManagerOf(args: CommandArgs): string | undefined {
  if (args['field-manager'] === undefined) return undefined;
  const name = String(args['field-manager']);
  if (!name.trim()) throw new UsageError('--field-manager needs a name', 'e.g. --field-manager ci-restarts');
  // Go's len(): bytes, not characters.
  if (Buffer.byteLength(name) > 128) throw new UsageError(`--field-manager must be at most 128 bytes, got ${Buffer.byteLength(name)}`, 'use a short name such as ci-restarts');
  if (!/^[\p{L}\p{M}\p{N}\p{P}\p{S} ]+$/u.test(name)) throw new UsageError('--field-manager must be printable characters only', 'use a name such as ci-restarts');
  return name;
}

/** `--timeout`: 0 means wait forever. */
export function timeoutMs(args: CommandArgs): number {
  return parseDuration(String(args.timeout ?? '0'), '--timeout');
}

/**
 * Whether the namespace itself is absent (a typo in -n is likelier than a typo in the name). Only a clear 404 says
 * so: a user who may not read namespaces keeps the plain "not found".
 */
async function namespaceIsMissing(client: KubeClient): Promise<boolean> {
  try {
    await client.get(`/api/v1/namespaces/${encodeURIComponent(client.namespace)}`);
    return false;
  } catch (err) {
    return err instanceof ApiError && err.status === 404;
  }
}

/**
 * Reads the CloneSet with a list narrowed to its name rather than a get: the same single request, and it proves the
 * list permission that following the restart needs (a relist after 410 Gone), so no access review is spent on it.
 */
export async function getCloneSet(client: KubeClient, name: string, type: ResourceType = CLONESETS): Promise<CloneSet> {
  const { items } = await client.list<CloneSet>(collectionPath(type, client.namespace), { fieldSelector: `metadata.name=${name}` }, { type });
  const found = items.find((cs) => cs.metadata.name === name);
  if (!found) {
    const what = KIND_WORDS[type.kind as WorkloadKind] ?? type.kind;
    const plural = type === CLONESETS ? 'clonesets' : `${type.plural}.${type.group}`;
    if (await namespaceIsMissing(client)) {
      throw new FailedError(`namespace "${client.namespace}" does not exist`, `check -n/--namespace (kubectl get namespaces)`);
    }
    throw new FailedError(`${what} "${name}" not found in namespace "${client.namespace}"`, `check the name and -n/--namespace (kubectl get ${plural} -n ${client.namespace})`);
  }
  // Items of a list carry no kind; the rest of the plugin does not need it, but documents printed from it should.
  return { apiVersion: apiVersion(type), kind: type.kind, ...found };
}

export interface PodList {
  pods: Pod[];
  resourceVersion: string;
}

export async function listPods(client: KubeClient, cloneSet: CloneSet, extraSelector?: string): Promise<PodList> {
  const selector = [podSelectorOf(cloneSet), extraSelector].filter(Boolean).join(',');
  const { items, resourceVersion } = await client.list<Pod>(collectionPath(PODS, client.namespace), { labelSelector: selector }, { type: PODS });
  return { pods: ownedBy(cloneSet, items, workloadOf(cloneSet)), resourceVersion };
}

/** On a terminal, long lines break between words at its width (a live table follows, and a word cut in two is hard to read). */
export function wrapWords(text: string, columns: number | undefined): string {
  if (!columns || columns < 20 || text.length <= columns) return text;
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(' ')) {
    if (line && line.length + 1 + word.length > columns) {
      lines.push(line);
      line = `  ${word}`;
    } else line = line ? `${line} ${word}` : word;
  }
  lines.push(line);
  return lines.join('\n');
}

function stderrColumns(ctx: CommandContext): number | undefined {
  const err = ctx.stderr as NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
  return err.isTTY ? err.columns : undefined;
}

// Both carry text from the cluster (pod names, request messages): never raw to the terminal.
export function warn(ctx: CommandContext, message: string): void {
  ctx.stderr.write(`${wrapWords(`warning: ${printable(message)}`, stderrColumns(ctx))}\n`);
}

export function note(ctx: CommandContext, message: string): void {
  ctx.stderr.write(`${wrapWords(printable(message), stderrColumns(ctx))}\n`);
}

/**
 * The `-o json|yaml` document of a command that may end any way: exactly one document on stdout, whatever happens.
 * The command fills `doc` as it learns things (the plan, the run id, the final progress); a refusal, failure, timeout
 * or interruption still prints it, with `outcome`, `exitCode` and the `error` line.
 */
export interface Report {
  doc: Record<string, unknown>;
  /** Set when the command printed its own document (dry runs). */
  printed: boolean;
}

export const OUTCOMES: Record<number, string> = { [EXIT.ok]: 'complete', [EXIT.failed]: 'failed', [EXIT.usage]: 'refused', [EXIT.timeout]: 'timeout', [EXIT.interrupted]: 'interrupted' };

export function outputOf(args: CommandArgs): string | undefined {
  return typeof args.output === 'string' ? args.output : undefined;
}

export async function reporting(ctx: CommandContext, output: string | undefined, run: (report: Report) => Promise<number>): Promise<number> {
  const report: Report = { doc: {}, printed: false };
  if (output !== 'json' && output !== 'yaml') return run(report);
  const print = (extra: Record<string, unknown>) => {
    if (report.printed) return;
    report.printed = true;
    ctx.stdout.write(formatDocument({ ...report.doc, ...extra }, output));
  };
  try {
    const code = await run(report);
    print({ outcome: report.doc.outcome ?? OUTCOMES[code] ?? 'complete', exitCode: code });
    return code;
  } catch (err) {
    const failure = describeFailure(err, 0);
    print({ outcome: OUTCOMES[failure.exitCode] ?? 'failed', exitCode: failure.exitCode, error: failure.line.replace(/^error: /, '') });
    throw err;
  }
}

/**
 * Asks y/N on a terminal. Off a terminal there is nobody to ask: the caller must require --yes instead. End of input
 * (Ctrl-D) is a no; Ctrl-C is an interruption (exit 130), whether it arrives as a keystroke or as a signal.
 */
export async function confirm(ctx: CommandContext, question: string): Promise<boolean> {
  // At first use, not at every start (builtin(): the single executable has no loader for import()).
  const rl = builtin<typeof ReadlinePromises>('node:readline/promises').createInterface({ input: process.stdin, output: ctx.stderr });
  const cancel = new AbortController();
  const interrupt = () => cancel.abort();
  // readline reads a terminal in raw mode, so Ctrl-C arrives as a keystroke, not as SIGINT to the process.
  rl.on('SIGINT', interrupt);
  ctx.interrupted.addEventListener('abort', interrupt, { once: true });
  const ended = new Promise<undefined>((resolve) => rl.once('close', () => resolve(undefined)));
  try {
    const asked = rl.question(`${question} [y/N] `, { signal: cancel.signal });
    // After end of input the question may still reject when readline closes: nobody waits for it then.
    asked.catch(() => undefined);
    const answer = await Promise.race([asked, ended]);
    if (answer === undefined) ctx.stderr.write('\n');
    return /^y(es)?$/i.test((answer ?? '').trim());
  } catch (err) {
    if (!cancel.signal.aborted) throw err;
    ctx.stderr.write('\n');
    throw new InterruptedError('interrupted before confirming', 'nothing was changed');
  } finally {
    ctx.interrupted.removeEventListener('abort', interrupt);
    rl.close();
  }
}

/** Who started a restart, for the record and the Event: the kubeconfig user and the local account. */
export function whoAmI(client: KubeClient): string {
  let local = 'unknown';
  try {
    local = `${userInfo().username}@${hostname()}`;
  } catch {
    // Some containers have no passwd entry; the kubeconfig user still identifies the caller.
  }
  return `${client.connection.userName || 'unknown'} (${local})`;
}

/** So `kubectl describe clone` shows who restarted it and why. A missing Event is not worth failing a restart for. */
export async function recordEvent(ctx: CommandContext, client: KubeClient, cloneSet: CloneSet, reason: string, message: string, type: 'Normal' | 'Warning' = 'Normal'): Promise<void> {
  const now = new Date(ctx.now()).toISOString();
  try {
    await client.create(collectionPath(EVENTS, client.namespace), {
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { generateName: `${cloneSet.metadata.name}.`, namespace: client.namespace },
      involvedObject: {
        apiVersion: cloneSet.apiVersion ?? apiVersion(CLONESETS),
        kind: cloneSet.kind ?? 'CloneSet',
        name: cloneSet.metadata.name,
        namespace: client.namespace,
        uid: cloneSet.metadata.uid,
        resourceVersion: cloneSet.metadata.resourceVersion,
      },
      reason,
      message,
      type,
      source: { component: 'kubectl-kruise_restart' },
      reportingComponent: 'kubectl-kruise_restart',
      reportingInstance: hostname(),
      firstTimestamp: now,
      lastTimestamp: now,
      count: 1,
    });
  } catch (err) {
    warn(ctx, `could not record an Event on the CloneSet: ${err instanceof Error ? err.message : String(err)}`);
  }
}

/** The unfinished restart recorded on the CloneSet, judged with the crr run's own requests when we may read them. */
export async function otherRestart(ctx: CommandContext, client: KubeClient, cloneSet: CloneSet, pods: Pod[]): Promise<OtherRestart | undefined> {
  const record = readRecord(cloneSet);
  if (!record || (record.mode === 'crr' && record.finished)) return undefined;
  let crrs: ContainerRecreateRequest[] | undefined;
  if (record.mode === 'crr') {
    try {
      crrs = (await client.list<ContainerRecreateRequest>(collectionPath(CRRS, client.namespace), { labelSelector: `${PLUGIN.runLabel}=${record.run}` }, { type: CRRS })).items;
    } catch (err) {
      // inplace alone needs no access to requests: then a crr record not marked finished counts as unfinished.
      if (!(err instanceof ApiError && (err.status === 403 || err.status === 404))) throw err;
    }
  }
  return unfinishedRestart({ cloneSet, pods, record, crrs, now: ctx.now(), serverClockOffsetMs: client.serverClockOffsetMs });
}

/**
 * One restart of a CloneSet at a time. Refuses (exit 2, nothing written) while another one is unfinished, naming it
 * and what ends it; --force (or --new for an interrupted crr run) goes ahead with the risk said out loud.
 */
export async function requireNoOtherRestart(
  ctx: CommandContext,
  client: KubeClient,
  cloneSet: CloneSet,
  pods: Pod[],
  starting: Starting,
  flags: { force: boolean; newRun?: boolean },
): Promise<{ other: OtherRestart; warning: string } | undefined> {
  const other = await otherRestart(ctx, client, cloneSet, pods);
  if (!other) return undefined;
  const { message, hint } = describeOtherRestart(other, starting, client.namespace);
  if (!overrides(other, flags)) throw new RefusedError(message, hint);
  // Said by the caller right before its write: a later refusal must not leave a warning about an override that never happened.
  const warning =
    flags.force && !(other.record.mode === 'crr' && other.interrupted)
      ? `--force: starting anyway although ${message.replace(/: one restart at a time$/, '')}; both restarts now run at once, each within its own budget, so up to twice as many pods may be unavailable`
      : `abandoning crr run ${other.record.run} (interrupted): its pods not yet restarted stay as they are`;
  return { other, warning };
}
