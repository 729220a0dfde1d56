// Records what an API server's watchers see during one restart (every pod, CloneSet and CRR write, in arrival order)
// and reduces it to what must be the same on the emulator and on real Kruise: per pod, the order of the changes Kruise,
// the kubelet and kruise-daemon make; the CloneSet status fields present at each step; the CRR's phases. Names, UIDs,
// times, hash values and the interleaving between pods are normalised away.
import { request } from 'node:https';
import type { CloneSet, Pod } from '../../src/kruise/types';

export type Watched = 'pods' | 'clonesets' | 'containerrecreaterequests';

export interface Target {
  url: string;
  token: string;
  caPem: string;
}

interface Obj {
  metadata: { name?: string; uid?: string; resourceVersion?: string; labels?: Record<string, string>; annotations?: Record<string, string>; [k: string]: unknown };
  spec?: unknown;
  status?: unknown;
}

export interface RecordedEvent {
  resource: Watched;
  type: 'ADDED' | 'MODIFIED' | 'DELETED';
  object: Obj;
}

const PATHS: Record<Watched, (ns: string) => string> = {
  pods: (ns) => `/api/v1/namespaces/${ns}/pods`,
  clonesets: (ns) => `/apis/apps.kruise.io/v1alpha1/namespaces/${ns}/clonesets`,
  containerrecreaterequests: (ns) => `/apis/apps.kruise.io/v1alpha1/namespaces/${ns}/containerrecreaterequests`,
};

function call(t: Target, path: string, signal?: AbortSignal, onLine?: (line: string) => void): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request(`${t.url}${path}`, { headers: { Authorization: `Bearer ${t.token}`, Accept: 'application/json' }, ca: t.caPem, signal }, (res) => {
      let buf = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        buf += chunk;
        if (!onLine) return;
        let nl: number;
        while ((nl = buf.indexOf('\n')) >= 0) {
          const line = buf.slice(0, nl);
          buf = buf.slice(nl + 1);
          if (line.trim()) onLine(line);
        }
      });
      res.on('end', () => (res.statusCode === 200 ? resolve(buf) : reject(new Error(`GET ${path}: ${res.statusCode} ${buf.slice(0, 200)}`))));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

/** Lists each resource (the starting state), then watches it from that resourceVersion until stop(). */
export class Recorder {
  readonly initial = new Map<Watched, Obj[]>();
  readonly events: RecordedEvent[] = [];
  private readonly abort = new AbortController();
  private lastEventAt = Date.now();
  private failure: Error | undefined;

  private constructor(private readonly target: Target, private readonly namespace: string) {}

  static async start(target: Target, namespace: string, resources: Watched[]): Promise<Recorder> {
    const r = new Recorder(target, namespace);
    for (const res of resources) {
      const list = JSON.parse(await call(target, PATHS[res](namespace))) as { metadata: { resourceVersion: string }; items: Obj[] };
      r.initial.set(res, list.items);
      r.watch(res, list.metadata.resourceVersion);
    }
    return r;
  }

  private watch(resource: Watched, rv: string): void {
    const path = `${PATHS[resource](this.namespace)}?watch=1&resourceVersion=${rv}&timeoutSeconds=600`;
    call(this.target, path, this.abort.signal, (line) => {
      const ev = JSON.parse(line) as { type: string; object: Obj };
      if (ev.type === 'ERROR' || ev.type === 'BOOKMARK') {
        if (ev.type === 'ERROR') this.failure = new Error(`${resource} watch error: ${JSON.stringify(ev.object)}`);
        return;
      }
      this.lastEventAt = Date.now();
      this.events.push({ resource, type: ev.type as RecordedEvent['type'], object: ev.object });
    }).catch((e: Error) => {
      if (!this.abort.signal.aborted) this.failure = e;
    });
  }

  /** Resolves once no event arrived for `quietMs`: a write that lands late must still be in the recording. */
  async settle(quietMs: number, timeoutMs = 60_000): Promise<void> {
    const started = Date.now();
    while (Date.now() - this.lastEventAt < quietMs) {
      if (Date.now() - started > timeoutMs) throw new Error(`watch never went quiet for ${quietMs} ms`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  stop(): void {
    this.abort.abort();
    if (this.failure) throw this.failure;
  }
}

// ---- normalisation: pure functions over a recording ----

/** Kruise's own keys keep their names; the values of hashes, times and ids are not compared. */
const VOLATILE_METADATA = new Set(['resourceVersion', 'managedFields', 'generation', 'creationTimestamp', 'uid', 'name', 'generateName', 'ownerReferences', 'namespace', 'selfLink']);

type Json = unknown;

function changedKeys(a: Record<string, string> | undefined, b: Record<string, string> | undefined, what: string, showValue: (k: string) => boolean): string[] {
  const out: string[] = [];
  const keys = new Set([...Object.keys(a ?? {}), ...Object.keys(b ?? {})]);
  for (const k of [...keys].sort()) {
    const x = a?.[k];
    const y = b?.[k];
    if (x === y) continue;
    if (x === undefined) out.push(`${what}+ ${k}${showValue(k) ? `=${y}` : ''}`);
    else if (y === undefined) out.push(`${what}- ${k}`);
    // A time with one-second resolution changes or not depending on when the write lands: only its presence counts.
    else if (!/timestamp/.test(k)) out.push(`${what}~ ${k}${showValue(k) ? ` ${x} -> ${y}` : ''}`);
  }
  return out;
}

interface Condition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
}
interface ContainerStatus {
  name: string;
  ready?: boolean;
  started?: boolean;
  restartCount?: number;
  image?: string;
  imageID?: string;
  containerID?: string;
  state?: Record<string, unknown>;
  lastState?: Record<string, unknown>;
}

/** The in-place state annotation reduced to its shape: which keys it has, and the containers it names. */
function stateShape(raw: string | undefined): string {
  if (raw === undefined) return '(absent)';
  try {
    const s = JSON.parse(raw) as Record<string, unknown>;
    const keys = Object.keys(s).sort();
    const parts = keys.map((k) => {
      const v = s[k];
      if (k === 'lastContainerStatuses' && v && typeof v === 'object') return `${k}[${Object.keys(v).sort().join(',')}]`;
      if (k === 'updateEnvFromMetadata' || k === 'updateImages' || k === 'updateResources') return `${k}=${JSON.stringify(v)}`;
      if (k === 'containerBatchesRecord' && Array.isArray(v)) return `${k}[${v.map((b: { containers?: string[] }) => (b.containers ?? []).join('+')).join(';')}]`;
      if (k === 'nextContainerImages' || k === 'nextContainerRefMetadata' || k === 'nextContainerResources' || k === 'preCheckBeforeNext') return `${k}=${JSON.stringify(v)}`;
      return k;
    });
    return `{${parts.join(' ')}}`;
  } catch {
    return '(not JSON)';
  }
}

/** Runtime meta reduced to per-container presence of the env hashes (their values are the daemon's business). */
function runtimeMetaShape(raw: string | undefined): string {
  if (raw === undefined) return '(absent)';
  try {
    const m = JSON.parse(raw) as { containers?: { name: string; hashes?: Record<string, unknown>; containerID?: string; restartCount?: number }[] };
    return (m.containers ?? [])
      .map((c) => `${c.name}{${Object.keys(c.hashes ?? {}).sort().map((h) => `${h}${c.hashes?.[h] ? '' : '=0'}`).join(',')}${c.containerID ? ' id' : ''}}`)
      .sort()
      .join(' ');
  } catch {
    return '(not JSON)';
  }
}

/** What changed in a pod between two watch events, one line per observable change, in a fixed order. */
export function podChanges(prev: Pod | undefined, next: Pod): string[] {
  const out: string[] = [];
  const pm = prev?.metadata;
  const nm = next.metadata;
  if (!prev) out.push('created');
  out.push(...changedKeys(pm?.labels, nm.labels, 'label', (k) => !/hash|revision/i.test(k)));
  const annotationShown = (k: string) => !/hash|revision|time|runtime-containers-meta|inplace-update-state|grace|restart-kruise/i.test(k);
  out.push(...changedKeys(pm?.annotations, nm.annotations, 'annotation', annotationShown));
  const st = (p: Pod | undefined) => p?.metadata.annotations?.['apps.kruise.io/inplace-update-state'];
  if (prev && st(prev) !== st(next)) out.push(`  inplace-update-state ${stateShape(st(prev))} -> ${stateShape(st(next))}`);
  else if (!prev && st(next) !== undefined) out.push(`  inplace-update-state ${stateShape(st(next))}`);
  const rm = (p: Pod | undefined) => p?.metadata.annotations?.['apps.kruise.io/runtime-containers-meta'];
  if (rm(prev) !== rm(next) && runtimeMetaShape(rm(prev)) !== runtimeMetaShape(rm(next))) out.push(`  runtime-containers-meta ${runtimeMetaShape(rm(prev))} -> ${runtimeMetaShape(rm(next))}`);
  if (!!pm?.deletionTimestamp !== !!nm.deletionTimestamp) out.push('deletionTimestamp set');
  const metaKeys = (m: Pod['metadata'] | undefined) => Object.keys(m ?? {}).filter((k) => !VOLATILE_METADATA.has(k) && k !== 'labels' && k !== 'annotations' && k !== 'deletionTimestamp' && k !== 'deletionGracePeriodSeconds').sort().join(',');
  if (prev && metaKeys(pm) !== metaKeys(nm)) out.push(`metadata keys ${metaKeys(pm)} -> ${metaKeys(nm)}`);

  // spec: only what an in-place update may change (image, env) and the node binding; the rest must never change.
  const containers = (p: Pod | undefined) => (p?.spec?.containers ?? []) as { name: string; image?: string; env?: Json[] }[];
  if (prev) {
    for (const c of containers(next)) {
      const o = containers(prev).find((x) => x.name === c.name);
      if (o?.image !== c.image) out.push(`spec ${c.name} image`);
      if (JSON.stringify(o?.env) !== JSON.stringify(c.env)) out.push(`spec ${c.name} env`);
    }
    if (prev.spec?.nodeName !== next.spec?.nodeName) out.push(`spec nodeName ${prev.spec?.nodeName ? 'changed' : 'bound'}`);
    const rest = (p: Pod) => JSON.stringify({ ...p.spec, containers: containers(p).map((c) => ({ ...c, image: undefined, env: undefined })), nodeName: undefined });
    if (rest(prev) !== rest(next)) out.push('spec other');
  } else {
    out.push(`spec readinessGates ${(next.spec?.readinessGates ?? []).map((g) => g.conditionType).join(',') || '(none)'}`);
  }

  const ps = prev?.status as { phase?: string; conditions?: Condition[]; containerStatuses?: ContainerStatus[] } | undefined;
  const ns = next.status as { phase?: string; conditions?: Condition[]; containerStatuses?: ContainerStatus[] } | undefined;
  if (ps?.phase !== ns?.phase) out.push(`phase ${ps?.phase ?? '(none)'} -> ${ns?.phase ?? '(none)'}`);
  const conds = new Set([...(ps?.conditions ?? []), ...(ns?.conditions ?? [])].map((c) => c.type));
  for (const t of [...conds].sort()) {
    const a = ps?.conditions?.find((c) => c.type === t);
    const b = ns?.conditions?.find((c) => c.type === t);
    const show = (c: Condition | undefined) => (c ? `${c.status}${c.reason ? `(${c.reason})` : ''}` : '(absent)');
    if (show(a) !== show(b)) out.push(`condition ${t} ${show(a)} -> ${show(b)}`);
  }
  const names = new Set([...(ps?.containerStatuses ?? []), ...(ns?.containerStatuses ?? [])].map((c) => c.name));
  for (const n of [...names].sort()) {
    const a = ps?.containerStatuses?.find((c) => c.name === n);
    const b = ns?.containerStatuses?.find((c) => c.name === n);
    if (!a || !b) {
      out.push(`container ${n} status ${a ? 'removed' : `added ready=${b?.ready} restartCount=${b?.restartCount}`}`);
      continue;
    }
    if ((a.restartCount ?? 0) !== (b.restartCount ?? 0)) out.push(`container ${n} restartCount +${(b.restartCount ?? 0) - (a.restartCount ?? 0)}`);
    if (!!a.ready !== !!b.ready) out.push(`container ${n} ready ${!!a.ready} -> ${!!b.ready}`);
    if (a.started !== b.started) out.push(`container ${n} started ${a.started} -> ${b.started}`);
    const state = (c: ContainerStatus) => Object.keys(c.state ?? {}).join(',') || '(none)';
    if (state(a) !== state(b)) out.push(`container ${n} state ${state(a)} -> ${state(b)}`);
    if (a.containerID !== b.containerID) out.push(`container ${n} containerID changed`);
    const last = (c: ContainerStatus) => Object.keys(c.lastState ?? {}).join(',') || '(none)';
    if (last(a) !== last(b)) out.push(`container ${n} lastState ${last(a)} -> ${last(b)}`);
  }
  return out;
}

/** One line per pod write that changed something observable; pods that only existed unchanged are left out. */
export function podTimelines(rec: { initial: Map<Watched, Obj[]>; events: RecordedEvent[] }, select: (p: Pod) => boolean): string[][][] {
  const last = new Map<string, Pod>();
  for (const p of (rec.initial.get('pods') ?? []) as unknown as Pod[]) if (select(p)) last.set(p.metadata.uid ?? '', p);
  const timelines = new Map<string, string[][]>();
  for (const ev of rec.events) {
    if (ev.resource !== 'pods') continue;
    const pod = ev.object as unknown as Pod;
    if (!select(pod)) continue;
    const uid = pod.metadata.uid ?? '';
    const prev = last.get(uid);
    const changes = ev.type === 'DELETED' ? ['deleted'] : podChanges(prev, pod);
    last.set(uid, pod);
    if (changes.length === 0) continue;
    let t = timelines.get(uid);
    if (!t) timelines.set(uid, (t = []));
    t.push(changes);
  }
  return [...timelines.values()].map(daemonMetaAfterKubelet);
}

const kubeletOnly = (w: string[]) => w.every((c) => /^(container |condition (Ready|ContainersReady) |phase )/.test(c));
const daemonMetaOnly = (w: string[]) => w.every((c) => /runtime-containers-meta/.test(c));

/**
 * kruise-daemon's runtime-meta write and the kubelet's status write come from two processes reacting to the same
 * container start, so which lands first is a race on a real node too. A meta-only write is moved after the
 * kubelet-only writes that directly follow it; its place relative to Kruise's own writes is still compared.
 */
export function daemonMetaAfterKubelet(timeline: string[][]): string[][] {
  const t = timeline.map((w) => [...w]);
  for (let i = t.length - 2; i >= 0; i--) {
    for (let j = i; j + 1 < t.length && daemonMetaOnly(t[j]) && kubeletOnly(t[j + 1]); j++) [t[j], t[j + 1]] = [t[j + 1], t[j]];
  }
  return t;
}

const STATUS_FIELDS = ['observedGeneration', 'replicas', 'readyReplicas', 'availableReplicas', 'updatedReplicas', 'updatedReadyReplicas', 'updatedAvailableReplicas', 'expectedUpdatedReplicas'] as const;

/**
 * The CloneSet's status as a line: every count (or `absent`), the revisions as relations, the condition types.
 * Conditions already there, unchanged, when the recording started are left out: real Kruise keeps a FailedUpdate from
 * any conflict while the pods were being created (it never clears it), and that belongs to the seeding, not the restart.
 */
export function cloneSetStatusLine(cs: CloneSet, before: Condition[] = []): string {
  const st = (cs.status ?? {}) as Record<string, unknown>;
  const parts: string[] = [];
  for (const f of STATUS_FIELDS) {
    const v = st[f];
    parts.push(`${f}=${v === undefined ? 'absent' : f === 'observedGeneration' ? (v === cs.metadata.generation ? 'current' : 'behind') : String(v)}`);
  }
  const upd = st.updateRevision as string | undefined;
  const cur = st.currentRevision as string | undefined;
  parts.push(`updateRevision=${upd ? 'set' : 'absent'}`, `currentRevision=${cur ? (cur === upd ? 'same as update' : 'older') : 'absent'}`);
  if (st.labelSelector !== undefined) parts.push('labelSelector=set');
  const same = (c: Condition) => before.some((b) => b.type === c.type && b.status === c.status && b.message === c.message);
  const conditions = ((st.conditions as Condition[] | undefined) ?? []).filter((c) => !same(c));
  parts.push(`conditions=[${conditions.map((c) => `${c.type}:${c.status}${c.reason ? `(${c.reason})` : ''}`).join(',')}]`);
  const extra = Object.keys(st).filter((k) => !(STATUS_FIELDS as readonly string[]).includes(k) && !['updateRevision', 'currentRevision', 'labelSelector', 'conditions', 'collisionCount'].includes(k));
  if (extra.length) parts.push(`other=${extra.sort().join(',')}`);
  return parts.join(' ');
}

/** The distinct CloneSet statuses in the order they were written (metadata-only writes and repeats dropped). */
export function cloneSetTimeline(rec: { initial: Map<Watched, Obj[]>; events: RecordedEvent[] }, name: string): string[] {
  const out: string[] = [];
  const initial = ((rec.initial.get('clonesets') ?? []) as unknown as CloneSet[]).find((cs) => cs.metadata.name === name);
  const before = ((initial?.status as { conditions?: Condition[] } | undefined)?.conditions ?? []).map((c) => ({ ...c }));
  const push = (cs: CloneSet) => {
    const line = cloneSetStatusLine(cs, before);
    if (out[out.length - 1] !== line) out.push(line);
  };
  if (initial) push(initial);
  for (const ev of rec.events) if (ev.resource === 'clonesets' && ev.object.metadata.name === name) push(ev.object as unknown as CloneSet);
  return out;
}

/** Pod timelines in a fixed order, so the interleaving and the choice of which pod went first do not matter. */
export function canonicalPods(timelines: string[][][]): string[] {
  return timelines
    .map((t) => t.map((ev, i) => `  write ${i + 1}:\n${ev.map((c) => `    ${c}`).join('\n')}`).join('\n'))
    .sort()
    .map((text, i) => `pod ${i + 1}:\n${text}`);
}

/** A line diff of two texts, enough to read a mismatch: `-` the real cluster only, `+` the emulator only. */
export function lineDiff(real: string, emulated: string): string {
  const a = real.split('\n');
  const b = emulated.split('\n');
  const n = a.length;
  const m = b.length;
  const lcs: number[][] = Array.from({ length: n + 1 }, () => new Array<number>(m + 1).fill(0));
  for (let i = n - 1; i >= 0; i--) for (let j = m - 1; j >= 0; j--) lcs[i][j] = a[i] === b[j] ? lcs[i + 1][j + 1] + 1 : Math.max(lcs[i + 1][j], lcs[i][j + 1]);
  const out: string[] = [];
  let i = 0;
  let j = 0;
  while (i < n || j < m) {
    if (i < n && j < m && a[i] === b[j]) {
      out.push(`  ${a[i]}`);
      i++;
      j++;
    } else if (j < m && (i === n || lcs[i][j + 1] >= lcs[i + 1][j])) out.push(`+ ${b[j++]}`);
    else out.push(`- ${a[i++]}`);
  }
  return out.join('\n');
}

/** One API call as the recorder's user: status and parsed body. */
export function send(t: Target, method: string, path: string, body: unknown, contentType = 'application/json'): Promise<{ status: number; body: unknown }> {
  return new Promise((resolve, reject) => {
    const data = JSON.stringify(body);
    const req = request(`${t.url}${path}`, { method, headers: { Authorization: `Bearer ${t.token}`, 'Content-Type': contentType, Accept: 'application/json' }, ca: t.caPem }, (res) => {
      let buf = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (buf += c));
      res.on('end', () => {
        let parsed: unknown = buf;
        try {
          parsed = JSON.parse(buf);
        } catch {
          // not JSON: keep the text
        }
        resolve({ status: res.statusCode ?? 0, body: parsed });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(data);
  });
}

interface Crr {
  metadata: Obj['metadata'];
  spec?: { containers?: { name: string; statusContext?: unknown; [k: string]: unknown }[]; strategy?: Record<string, unknown>; [k: string]: unknown };
  status?: { phase?: string; completionTime?: string; message?: string; containerRecreateStates?: { name: string; phase: string; message?: string; isKilled?: boolean }[] };
}

/** What changed in a CRR between two watch events. */
export function crrChanges(prev: Crr | undefined, next: Crr): string[] {
  const out: string[] = [];
  if (!prev) {
    out.push('created');
    const spec = next.spec ?? {};
    out.push(`spec keys ${Object.keys(spec).sort().join(',')}`);
    const strategy = spec.strategy ?? {};
    out.push(`spec strategy ${Object.keys(strategy).sort().map((k) => `${k}=${JSON.stringify(strategy[k])}`).join(' ') || '(none)'}`);
    out.push(`spec containers ${(spec.containers ?? []).map((c) => `${c.name}{${Object.keys(c).filter((k) => k !== 'name').sort().join(',')}}`).join(' ')}`);
  }
  out.push(...changedKeys(prev?.metadata.labels, next.metadata.labels, 'label', (k) => !/uid|hash|node-name/i.test(k)));
  out.push(...changedKeys(prev?.metadata.annotations, next.metadata.annotations, 'annotation', () => false));
  const fin = (c: Crr | undefined) => (c?.metadata.finalizers as string[] | undefined)?.join(',') ?? '';
  if (fin(prev) !== fin(next)) out.push(`finalizers [${fin(prev)}] -> [${fin(next)}]`);
  if (!!prev?.metadata.deletionTimestamp !== !!next.metadata.deletionTimestamp) out.push('deletionTimestamp set');
  if (prev && JSON.stringify(prev.spec) !== JSON.stringify(next.spec)) out.push('spec changed');
  const ps = prev?.status;
  const ns = next.status;
  if (ps?.phase !== ns?.phase) out.push(`phase ${ps?.phase ?? '(none)'} -> ${ns?.phase ?? '(none)'}`);
  if (!!ps?.completionTime !== !!ns?.completionTime) out.push(`completionTime ${ns?.completionTime ? 'set' : 'removed'}`);
  if ((ps?.message ?? '') !== (ns?.message ?? '')) out.push(`message ${JSON.stringify(ns?.message ?? '')}`);
  const states = (c: Crr['status']) => (c?.containerRecreateStates ?? []).map((s) => `${s.name}:${s.phase}${s.isKilled ? '(killed)' : ''}${s.message ? `(${s.message})` : ''}`).join(' ');
  if (states(ps) !== states(ns)) out.push(`containerRecreateStates [${states(ps)}] -> [${states(ns)}]`);
  return out;
}

/** Every CRR's writes in order, created to deleted. */
export function crrTimelines(rec: { events: RecordedEvent[] }): string[][][] {
  const last = new Map<string, Crr>();
  const timelines = new Map<string, string[][]>();
  for (const ev of rec.events) {
    if (ev.resource !== 'containerrecreaterequests') continue;
    const crr = ev.object as unknown as Crr;
    const uid = crr.metadata.uid ?? '';
    const changes = ev.type === 'DELETED' ? ['deleted'] : crrChanges(last.get(uid), crr);
    last.set(uid, crr);
    if (!changes.length) continue;
    let t = timelines.get(uid);
    if (!t) timelines.set(uid, (t = []));
    t.push(changes);
  }
  return [...timelines.values()];
}
