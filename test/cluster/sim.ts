// State shared by the simulated Kruise components (webhooks, controller, kubelet, kruise-daemon): the store, the
// clock, feature gates, nodes, per-test knobs and the logs tests assert on.

import { createHash, randomBytes } from 'node:crypto';
import type { SimClock } from './clock';
import type { Store, KObj } from './store';
import type { Condition, Pod } from '../../src/kruise/types';

export interface RestartRecord {
  at: number;
  namespace: string;
  pod: string;
  uid: string;
  container: string;
  cause: 'inplace' | 'crr' | 'recreate';
}

export interface Sim {
  store: Store;
  clock: SimClock;
  gates: { envFromMetadata: boolean };
  /** Nodes by name: whether kruise-daemon runs there, and the node's labels (Advanced DaemonSets select by them). */
  nodes: Map<string, { daemon: boolean; labels?: Record<string, string> }>;
  restartSeconds: number;
  readySeconds: number;
  killDelaySeconds: number;
  knobs: {
    failRestart: Set<string>;
    neverReady: Set<string>;
    readyDelay: Map<string, number>;
    /** Containers (`name`, or `pod/name`) whose image has no `env` binary. */
    noEnvBinary: Set<string>;
    /** `pod/container` the container runtime on the pod's node does not have (CRRs find no container to kill). */
    missingOnNode: Set<string>;
    /** Pods kruise-daemon hangs on (every runtime call for them times out): no env hash read, no kill, no CRR. */
    frozenDaemon: Set<string>;
  };
  restartLog: RestartRecord[];
  /** CloneSets being seeded: their pods start Ready at once so seeding 5,000 pods does not wait on timers. */
  instantReady: Set<string>;
  /** Namespaces no controller, kubelet or daemon touches: objects there stay exactly as a test wrote them. */
  unmanaged: Set<string>;
  event(involved: KObj, type: 'Normal' | 'Warning', reason: string, message: string): void;
}

export const SAFE_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';

export function randomId(n = 5): string {
  const b = randomBytes(n);
  let s = '';
  for (let i = 0; i < n; i++) s += SAFE_ALPHABET[b[i] % SAFE_ALPHABET.length];
  return s;
}

export function containerId(): string {
  return `containerd://${randomBytes(32).toString('hex')}`;
}

/** fnv32a, as Kubernetes' hash.DeepHashObject uses for ControllerRevision names. */
export function fnv32a(s: string): number {
  let h = 0x811c9dc5;
  const bytes = Buffer.from(s, 'utf8');
  for (let i = 0; i < bytes.length; i++) {
    h ^= bytes[i];
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

/** rand.SafeEncodeString(fmt.Sprint(hash)): each decimal digit mapped into the vowel-free alphabet. */
export function safeEncode(n: number): string {
  let out = '';
  for (const ch of String(n)) out += SAFE_ALPHABET[ch.charCodeAt(0) % SAFE_ALPHABET.length];
  return out;
}

/** JSON with sorted keys, so equal templates hash equally whatever the key order on the wire. */
export function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (v && typeof v === 'object') {
    return `{${Object.keys(v)
      .filter((k) => (v as Record<string, unknown>)[k] !== undefined)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical((v as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(v);
}

export function sha(s: string): string {
  return createHash('sha256').update(s).digest('hex').slice(0, 16);
}

export function getCondition(pod: Pod, type: string): Condition | undefined {
  return pod.status?.conditions?.find((c) => c.type === type);
}

export function isRunningReady(pod: Pod): boolean {
  return pod.status?.phase === 'Running' && getCondition(pod, 'Ready')?.status === 'True';
}

export function isActive(pod: Pod): boolean {
  return !pod.metadata.deletionTimestamp && pod.status?.phase !== 'Succeeded' && pod.status?.phase !== 'Failed';
}

/** Condition list with `cond` set; lastTransitionTime only moves when the status flips. */
export function withCondition(conds: Condition[] | undefined, cond: Condition): Condition[] {
  const list = [...(conds ?? [])];
  const i = list.findIndex((c) => c.type === cond.type);
  if (i >= 0) {
    const prev = list[i];
    list[i] = { ...cond, lastTransitionTime: prev.status === cond.status ? prev.lastTransitionTime ?? cond.lastTransitionTime : cond.lastTransitionTime };
  } else list.push(cond);
  return list;
}

const FIELD_REF = /^metadata\.(annotations|labels)\['(.+)'\]$/;

/** Env vars of a container that read a pod label or annotation through the Downward API (Kruise's rules, 2.7). */
export function metadataEnvRefs(container: { env?: Array<{ name: string; value?: string; valueFrom?: { fieldRef?: { fieldPath: string } } }> }): Array<{ env: string; kind: 'annotations' | 'labels'; key: string }> {
  const out: Array<{ env: string; kind: 'annotations' | 'labels'; key: string }> = [];
  for (const e of container.env ?? []) {
    const m = e.valueFrom?.fieldRef?.fieldPath?.match(FIELD_REF);
    if (!m || e.value || e.name === 'SIDECARSET_VERSION' || e.name === 'SIDECARSET_VERSION_ALT') continue;
    out.push({ env: e.name, kind: m[1] as 'annotations' | 'labels', key: m[2] });
  }
  return out;
}

/** The env values a container started now would see for its metadata fieldRefs. */
export function resolveMetadataEnv(container: Parameters<typeof metadataEnvRefs>[0], meta: { labels?: Record<string, string>; annotations?: Record<string, string> }): Record<string, string> {
  const out: Record<string, string> = {};
  for (const r of metadataEnvRefs(container)) out[r.env] = meta[r.kind]?.[r.key] ?? '';
  return out;
}

/** extractedEnvFromMetadataHash: 0 when the container reads no metadata. */
export function envHash(values: Record<string, string>): number {
  const keys = Object.keys(values).sort();
  if (!keys.length) return 0;
  return fnv32a(keys.map((k) => `${k}=${values[k]}`).join('\n'));
}

/**
 * Kruise's util.GetScaledValueFromIntOrPercent (pkg/util/tools.go): numbers as they are, strings must end in "%" and
 * are read with ParseFloat, so "12.5%" is 12.5 percent. The CloneSet controller uses it for partition; the webhook for
 * partition, maxUnavailable and maxSurge. undefined for what Go reports as an error.
 */
export function scaledPercent(v: number | string | undefined, total: number, roundUp: boolean, dflt: number | string): number | undefined {
  const val = v === undefined || v === null ? dflt : v;
  if (typeof val === 'number') return Math.trunc(val);
  if (!val.endsWith('%') || !/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(val.slice(0, -1))) return undefined;
  const x = (Number(val.slice(0, -1)) * total) / 100;
  return Math.trunc(roundUp ? Math.ceil(x) : Math.floor(x));
}

/**
 * apimachinery's deprecated intstr.GetValueFromIntOrPercent, which the CloneSet controller uses for maxUnavailable and
 * maxSurge: every "%" is stripped and the rest read with Atoi, so "5" is 5% and "12.5%" is an error the controller
 * swallows as 0 (cloneset_sync_utils.go).
 */
export function legacyIntOrPercent(v: number | string | undefined, total: number, roundUp: boolean, dflt: number | string): number {
  const val = v === undefined || v === null ? dflt : v;
  if (typeof val === 'number') return Math.trunc(val);
  const digits = val.split('%').join('');
  if (!/^[+-]?\d+$/.test(digits)) return 0;
  const x = (Number(digits) * total) / 100;
  return roundUp ? Math.ceil(x) : Math.floor(x);
}

/**
 * apimachinery's intstr.GetScaledValueFromIntOrPercent, which the Advanced DaemonSet controller uses for maxUnavailable,
 * maxSurge and partition: a string must end in "%" and the rest be a whole number (Atoi), so "12.5%" is an error.
 * undefined for an error (the controller then gives up the pass).
 */
export function strictScaledPercent(v: number | string, total: number, roundUp: boolean): number | undefined {
  if (typeof v === 'number') return Math.trunc(v);
  if (!v.endsWith('%') || !/^[+-]?\d+$/.test(v.slice(0, -1))) return undefined;
  const x = (Number(v.slice(0, -1)) * total) / 100;
  return roundUp ? Math.ceil(x) : Math.floor(x);
}

/** The deprecated intstr.GetValueFromIntOrPercent (Advanced StatefulSet maxUnavailable): undefined for an error. */
export function legacyScaledPercent(v: number | string, total: number, roundUp: boolean): number | undefined {
  if (typeof v === 'number') return Math.trunc(v);
  const digits = v.split('%').join('');
  if (!/^[+-]?\d+$/.test(digits)) return undefined;
  const x = (Number(digits) * total) / 100;
  return roundUp ? Math.ceil(x) : Math.floor(x);
}
