// Small readers of pods and timestamps that tolerate anything a cluster (or a hand edit) can hold, and the per-pod
// facts every evaluation asks. Shared by the verdicts, the summary and the diagnoses.

import { KRUISE, type Condition, type ContainerStatus, type Pod, type RestartRecord } from '../types';
import type { ContainerProgress, PodProgress } from './document';
import type { InPlaceMemo } from './verdict';

export function parseTime(value: unknown): number | undefined {
  if (typeof value !== 'string' || value === '') return undefined;
  const ms = Date.parse(value);
  return Number.isFinite(ms) ? ms : undefined;
}

export function isoSeconds(ms: number): string {
  if (!Number.isFinite(ms)) return new Date(0).toISOString().replace(/\.\d{3}Z$/, 'Z');
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

export function str(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

export function num(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}


export function labels(obj: { metadata?: { labels?: Record<string, string> } } | undefined): Record<string, string> {
  const l = obj?.metadata?.labels;
  return l && typeof l === 'object' ? l : {};
}

export function annotations(obj: { metadata?: { annotations?: Record<string, string> } } | undefined): Record<string, string> {
  const a = obj?.metadata?.annotations;
  return a && typeof a === 'object' ? a : {};
}

export function condition(pod: Pod, type: string): Condition | undefined {
  const conditions = pod.status?.conditions;
  if (!Array.isArray(conditions)) return undefined;
  return conditions.find((c) => c && c.type === type);
}

export function podName(pod: Pod): string {
  return str(pod.metadata?.name) ?? '';
}

export function isPodReady(pod: Pod): boolean {
  return condition(pod, 'Ready')?.status === 'True';
}

export function isRunning(pod: Pod): boolean {
  return pod.status?.phase === 'Running';
}

export function isActive(pod: Pod): boolean {
  return pod.status?.phase !== 'Succeeded' && pod.status?.phase !== 'Failed';
}

export function isTerminating(pod: Pod): boolean {
  return typeof pod.metadata?.deletionTimestamp === 'string' && pod.metadata.deletionTimestamp !== '';
}

/** Kruise's revision match: equal, or equal short hash (the part after the last `-`), for CloneSetShortHash. */
export function sameRevision(podRevision: string | undefined, revision: string | undefined): boolean {
  if (!podRevision || !revision) return false;
  if (podRevision === revision) return true;
  // Called for every pod on every evaluation: compare the suffix in place rather than splitting both strings.
  const short = shortHashOf(revision);
  return podRevision.endsWith(short) && (podRevision.length === short.length || podRevision.charCodeAt(podRevision.length - short.length - 1) === 45 /* - */);
}

let lastRevision: string | undefined;
let lastShortHash = '';
/** The CloneSet's revision is the same for every pod of an evaluation: split it once. */
function shortHashOf(revision: string): string {
  if (revision !== lastRevision) {
    lastRevision = revision;
    lastShortHash = shortHash(revision);
  }
  return lastShortHash;
}

export function shortHash(revision: string): string {
  const parts = revision.split('-');
  return parts[parts.length - 1];
}

export function containerStatuses(pod: Pod): ContainerStatus[] {
  const list = pod.status?.containerStatuses;
  return Array.isArray(list) ? list.filter((c) => c && typeof c.name === 'string') : [];
}

/** The containers this restart is about: the record's, else every container of the pod. */
export function targetNames(record: RestartRecord | undefined, pod: Pod): string[] {
  const fromRecord = Array.isArray(record?.containers) ? record.containers.filter((c) => typeof c === 'string') : [];
  if (fromRecord.length > 0) return fromRecord;
  const fromSpec = Array.isArray(pod.spec?.containers) ? pod.spec.containers.map((c) => c?.name).filter((n): n is string => typeof n === 'string') : [];
  return fromSpec.length > 0 ? fromSpec : containerStatuses(pod).map((c) => c.name);
}

export function containerProgress(pod: Pod, targets: string[]): ContainerProgress[] {
  const statuses = containerStatuses(pod);
  return targets.map((name) => {
    const status = statuses.find((c) => c.name === name);
    return {
      name,
      restartCount: num(status?.restartCount) ?? 0,
      containerID: str(status?.containerID) || undefined,
      ready: status?.ready === true,
      startedAt: str(status?.state?.running?.startedAt) || undefined,
    };
  });
}

/** The first target container that is not running, with kubelet's reason (CrashLoopBackOff, ImagePullBackOff…). */
export function waitingContainer(pod: Pod, targets: string[]): string | undefined {
  for (const status of containerStatuses(pod)) {
    if (!targets.includes(status.name)) continue;
    const waiting = status.state?.waiting;
    if (waiting) return `container ${status.name} ${str(waiting.reason) ?? 'waiting'}`;
    const terminated = status.state?.terminated;
    if (terminated) return `container ${status.name} ${str(terminated.reason) ?? 'terminated'}`;
  }
  return undefined;
}

export function latestStart(containers: ContainerProgress[]): number | undefined {
  let latest: number | undefined;
  for (const c of containers) {
    const t = parseTime(c.startedAt);
    if (t !== undefined && (latest === undefined || t > latest)) latest = t;
  }
  return latest;
}

/** What every evaluation asks of every pod, whatever the restart: depends on the pod object alone. */
export interface PodFacts {
  terminating: boolean;
  active: boolean;
  /** Not Running, or not Ready. */
  down: boolean;
  revisionHash?: string;
  /** One lookup per pod and evaluation: the in-place memo lives here too. */
  inPlace?: InPlaceMemo;
}

const podFactsMemo = new WeakMap<Pod, PodFacts>();

export function factsOf(pod: Pod): PodFacts {
  let facts = podFactsMemo.get(pod);
  if (!facts) {
    facts = { terminating: isTerminating(pod), active: isActive(pod), down: !isRunning(pod) || !isPodReady(pod), revisionHash: labels(pod)[KRUISE.revisionLabel] };
    podFactsMemo.set(pod, facts);
  }
  return facts;
}

export function compareNames(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * The pods by name, one per name (the last one wins, as in byName). A watch keeps pods in the order the API server
 * listed them, which is by name: then the input is already the answer, and checking that costs less than sorting.
 */
export function inNameOrder(pods: Pod[], byNameMap: () => Map<string, Pod>): Pod[] {
  let sorted = true;
  for (let i = 1; i < pods.length && sorted; i++) sorted = podName(pods[i - 1]) < podName(pods[i]);
  if (sorted) return pods;
  const byName = byNameMap();
  return sortedNames(byName).map((name) => byName.get(name) as Pod);
}

export function sortedNames(byName: Map<string, Pod>): string[] {
  return [...byName.keys()].sort(compareNames);
}

export function basePod(pod: Pod, containers: ContainerProgress[], updateRevision: string | undefined): PodProgress {
  const revisionHash = labels(pod)[KRUISE.revisionLabel];
  const base: PodProgress = {
    name: podName(pod),
    ready: isPodReady(pod),
    revision: sameRevision(revisionHash, updateRevision) ? 'new' : 'old',
    restarts: containers.reduce((sum, c) => sum + c.restartCount, 0),
    containers,
    state: 'pending',
  };
  const node = str(pod.spec?.nodeName);
  if (node) base.node = node;
  const ip = str(pod.status?.podIP);
  if (ip) base.ip = ip;
  if (typeof revisionHash === 'string') base.revisionHash = revisionHash;
  return base;
}
