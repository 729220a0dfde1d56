// Server-side printing (meta.k8s.io/v1 Table), so `kubectl get` shows the CRD printer columns and pod READY/STATUS.

import type { ResourceDef } from './resources';
import type { KObj } from './store';
import type { PrinterColumn } from './schema';
import { isObject } from './schema';

export interface ColumnDefinition {
  name: string;
  type: string;
  format: string;
  description: string;
  priority: number;
}

export interface Table {
  kind: 'Table';
  apiVersion: 'meta.k8s.io/v1';
  metadata: { resourceVersion?: string; continue?: string; remainingItemCount?: number };
  columnDefinitions: ColumnDefinition[];
  rows: Array<{ cells: unknown[]; object: unknown }>;
}

const NAME: ColumnDefinition = { name: 'Name', type: 'string', format: 'name', description: 'Name must be unique within a namespace.', priority: 0 };
const col = (name: string, type: string, priority = 0, description = ''): ColumnDefinition => ({ name, type, format: '', description, priority });

export function wantsTable(accept: string | undefined): boolean {
  return !!accept && /as=Table/.test(accept) && /g=meta\.k8s\.io/.test(accept);
}

export function columnsFor(def: ResourceDef): ColumnDefinition[] {
  if (def.plural === 'pods') {
    return [NAME, col('Ready', 'string'), col('Status', 'string'), col('Restarts', 'string'), col('Age', 'string'), col('IP', 'string', 1), col('Node', 'string', 1), col('Nominated Node', 'string', 1), col('Readiness Gates', 'string', 1)];
  }
  if (def.custom && def.printerColumns?.length) {
    return [NAME, ...def.printerColumns.map((c: PrinterColumn) => ({ name: c.name, type: c.type, format: c.format ?? '', description: c.description ?? '', priority: c.priority ?? 0 }))];
  }
  if (def.plural === 'namespaces') return [NAME, col('Status', 'string'), col('Age', 'string')];
  if (def.plural === 'events') return [col('Last Seen', 'string'), col('Type', 'string'), col('Reason', 'string'), col('Object', 'string'), col('Message', 'string'), NAME];
  return [NAME, col('Age', 'string')];
}

export function toTable(def: ResourceDef, objs: KObj[], now: number, withColumns = true, rv?: string): Table {
  const cols = columnsFor(def);
  return {
    kind: 'Table',
    apiVersion: 'meta.k8s.io/v1',
    metadata: rv ? { resourceVersion: rv } : {},
    columnDefinitions: withColumns ? cols : [],
    rows: objs.map((o) => ({ cells: cells(def, o, now), object: { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: o.metadata } })),
  };
}

function cells(def: ResourceDef, o: KObj, now: number): unknown[] {
  const age = age0(o.metadata.creationTimestamp, now);
  if (def.plural === 'pods') return podCells(o, now);
  if (def.custom && def.printerColumns?.length) {
    return [
      o.metadata.name,
      ...def.printerColumns.map((c) => {
        const v = jsonPath(o, c.jsonPath);
        if (c.type === 'date') return typeof v === 'string' ? age0(v, now) : '<unknown>';
        if (v === undefined) return null;
        return v;
      }),
    ];
  }
  if (def.plural === 'namespaces') return [o.metadata.name, (o.status as { phase?: string } | undefined)?.phase ?? 'Active', age];
  if (def.plural === 'events') {
    const io = (o.involvedObject ?? {}) as { kind?: string; name?: string };
    return [age0((o.lastTimestamp as string | undefined) ?? o.metadata.creationTimestamp, now), o.type ?? 'Normal', o.reason ?? '', `${(io.kind ?? '').toLowerCase()}/${io.name ?? ''}`, o.message ?? '', o.metadata.name];
  }
  return [o.metadata.name, age];
}

interface PodView {
  spec?: { nodeName?: string; containers?: unknown[]; readinessGates?: Array<{ conditionType: string }> };
  status?: { phase?: string; podIP?: string; conditions?: Array<{ type: string; status: string }>; containerStatuses?: Array<{ ready: boolean; restartCount: number; state?: { waiting?: { reason?: string }; terminated?: { reason?: string } }; lastState?: { terminated?: { finishedAt?: string } } }> };
}

function podCells(o: KObj, now: number): unknown[] {
  const p = o as unknown as PodView & KObj;
  const cs = p.status?.containerStatuses ?? [];
  const total = p.spec?.containers?.length ?? cs.length;
  const ready = cs.filter((c) => c.ready).length;
  let status = p.status?.phase ?? 'Pending';
  for (const c of cs) {
    const r = c.state?.waiting?.reason ?? c.state?.terminated?.reason;
    if (r) status = r;
  }
  if (o.metadata.deletionTimestamp) status = 'Terminating';
  const restarts = cs.reduce((n, c) => n + (c.restartCount ?? 0), 0);
  const last = cs.map((c) => c.lastState?.terminated?.finishedAt).filter((x): x is string => !!x).sort().pop();
  const gates = p.spec?.readinessGates ?? [];
  const gatesTrue = gates.filter((g) => p.status?.conditions?.some((c) => c.type === g.conditionType && c.status === 'True')).length;
  return [
    o.metadata.name,
    `${ready}/${total}`,
    status,
    last ? `${restarts} (${age0(last, now)} ago)` : String(restarts),
    age0(o.metadata.creationTimestamp, now),
    p.status?.podIP ?? '<none>',
    p.spec?.nodeName ?? '<none>',
    '<none>',
    gates.length ? `${gatesTrue}/${gates.length}` : '<none>',
  ];
}

/** kubectl's short duration format: 45s, 3m12s, 5h, 2d. */
export function age0(ts: string | undefined, now: number): string {
  if (!ts) return '<unknown>';
  const s = Math.max(0, Math.floor((now - Date.parse(ts)) / 1000));
  if (s < 120) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 10) return s % 60 ? `${m}m${s % 60}s` : `${m}m`;
  if (m < 180) return `${m}m`;
  const h = Math.floor(m / 60);
  if (h < 48) return `${h}h`;
  return `${Math.floor(h / 24)}d`;
}

/** The subset of kubectl JSONPath used by CRD printer columns: `.a.b`, escaped dots, `[*]` and `[n]`. */
export function jsonPath(obj: unknown, path: string): unknown {
  const tokens: string[] = [];
  let cur = '';
  for (let i = 0; i < path.length; i++) {
    const ch = path[i];
    if (ch === '\\' && path[i + 1] === '.') {
      cur += '.';
      i++;
    } else if (ch === '.') {
      if (cur) tokens.push(cur);
      cur = '';
    } else if (ch === '[') {
      if (cur) tokens.push(cur);
      const end = path.indexOf(']', i);
      tokens.push(path.slice(i, end + 1));
      cur = '';
      i = end;
    } else cur += ch;
  }
  if (cur) tokens.push(cur);
  let values: unknown[] = [obj];
  for (const t of tokens) {
    const next: unknown[] = [];
    for (const v of values) {
      if (t === '[*]') {
        if (Array.isArray(v)) next.push(...v);
      } else if (t.startsWith('[')) {
        if (Array.isArray(v)) next.push(v[Number(t.slice(1, -1))]);
      } else if (isObject(v) && v[t] !== undefined) next.push(v[t]);
    }
    values = next;
  }
  if (!values.length) return undefined;
  return values.length === 1 && !tokens.includes('[*]') ? values[0] : values.join(',');
}
