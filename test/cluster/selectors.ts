// Label and field selectors with the API server's syntax and error wording.

import { Errors } from './errors';
import type { KObj } from './store';
import type { LabelSelector } from '../../src/kruise/types';

type Req = { key: string; op: 'in' | 'notin' | 'exists' | '!' ; values: string[] };
export type LabelMatcher = (labels: Record<string, string> | undefined) => boolean;

export function parseLabelSelector(s: string | null | undefined): LabelMatcher | undefined {
  if (!s) return undefined;
  const reqs: Req[] = [];
  // Split on commas that are not inside parentheses.
  const parts: string[] = [];
  let depth = 0;
  let cur = '';
  for (const ch of s) {
    if (ch === '(') depth++;
    if (ch === ')') depth--;
    if (ch === ',' && depth === 0) {
      parts.push(cur);
      cur = '';
    } else cur += ch;
  }
  parts.push(cur);
  for (const raw of parts) {
    const p = raw.trim();
    if (!p) continue;
    let m: RegExpMatchArray | null;
    if ((m = p.match(/^([^\s!=]+)\s+(in|notin)\s+\(([^)]*)\)$/))) {
      reqs.push({ key: m[1], op: m[2] as 'in' | 'notin', values: m[3].split(',').map((v) => v.trim()).filter((v) => v !== '' || true) });
    } else if ((m = p.match(/^([^\s!=]+)\s*!=\s*(\S*)$/))) {
      reqs.push({ key: m[1], op: 'notin', values: [m[2]] });
    } else if ((m = p.match(/^([^\s!=]+)\s*==?\s*(\S*)$/))) {
      reqs.push({ key: m[1], op: 'in', values: [m[2]] });
    } else if ((m = p.match(/^!\s*([^\s!=]+)$/))) {
      reqs.push({ key: m[1], op: '!', values: [] });
    } else if ((m = p.match(/^([^\s!=(),]+)$/))) {
      reqs.push({ key: m[1], op: 'exists', values: [] });
    } else {
      throw Errors.badRequest(`unable to parse requirement: found '${p}', expected: in, notin, =, ==, !=, gt, lt`);
    }
  }
  return (labels) => reqs.every((r) => matchReq(r, labels ?? {}));
}

function matchReq(r: Req, labels: Record<string, string>): boolean {
  const has = Object.prototype.hasOwnProperty.call(labels, r.key);
  switch (r.op) {
    case 'in':
      return has && r.values.includes(labels[r.key]);
    case 'notin':
      return !has || !r.values.includes(labels[r.key]);
    case 'exists':
      return has;
    case '!':
      return !has;
  }
}

export function selectorMatcher(sel: LabelSelector | undefined): LabelMatcher {
  if (!sel) return () => false;
  return (labels = {}) => {
    for (const [k, v] of Object.entries(sel.matchLabels ?? {})) if (labels[k] !== v) return false;
    for (const e of sel.matchExpressions ?? []) {
      const has = k(labels, e.key);
      if (e.operator === 'In' && !(has && e.values?.includes(labels[e.key]))) return false;
      if (e.operator === 'NotIn' && has && e.values?.includes(labels[e.key])) return false;
      if (e.operator === 'Exists' && !has) return false;
      if (e.operator === 'DoesNotExist' && has) return false;
    }
    return true;
  };
}
const k = (o: Record<string, string>, key: string) => Object.prototype.hasOwnProperty.call(o, key);

/** `app=foo,tier in (a,b)`: the string form CloneSet status.labelSelector carries. */
export function selectorString(sel: LabelSelector | undefined): string {
  const parts = Object.entries(sel?.matchLabels ?? {})
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([k2, v]) => `${k2}=${v}`);
  for (const e of sel?.matchExpressions ?? []) {
    if (e.operator === 'In') parts.push(`${e.key} in (${(e.values ?? []).join(',')})`);
    else if (e.operator === 'NotIn') parts.push(`${e.key} notin (${(e.values ?? []).join(',')})`);
    else if (e.operator === 'Exists') parts.push(e.key);
    else parts.push(`!${e.key}`);
  }
  return parts.join(',');
}

const FIELDS: Record<string, Record<string, (o: KObj) => string | undefined>> = {
  '*': {
    'metadata.name': (o) => o.metadata.name,
    'metadata.namespace': (o) => o.metadata.namespace,
  },
  pods: {
    'spec.nodeName': (o) => ((o.spec as { nodeName?: string } | undefined)?.nodeName ?? ''),
    'status.phase': (o) => ((o.status as { phase?: string } | undefined)?.phase ?? ''),
  },
  events: {
    'involvedObject.name': (o) => (o.involvedObject as { name?: string } | undefined)?.name,
    'involvedObject.uid': (o) => (o.involvedObject as { uid?: string } | undefined)?.uid,
    'involvedObject.kind': (o) => (o.involvedObject as { kind?: string } | undefined)?.kind,
    'involvedObject.namespace': (o) => (o.involvedObject as { namespace?: string } | undefined)?.namespace,
    reason: (o) => o.reason as string | undefined,
    type: (o) => o.type as string | undefined,
  },
};

export function parseFieldSelector(s: string | null | undefined, storageKey: string): ((o: KObj) => boolean) | undefined {
  if (!s) return undefined;
  const tests: Array<(o: KObj) => boolean> = [];
  for (const raw of s.split(',')) {
    const p = raw.trim();
    if (!p) continue;
    const m = p.match(/^([^!=]+)(==|=|!=)(.*)$/);
    if (!m) throw Errors.badRequest(`invalid selector: '${s}'; can't understand '${p}'`);
    const [, field, op, value] = m;
    const get = FIELDS['*'][field] ?? FIELDS[storageKey]?.[field];
    if (!get) throw Errors.badRequest(`"${field}" is not a known field selector: only "metadata.name", "metadata.namespace"`);
    tests.push(op === '!=' ? (o) => (get(o) ?? '') !== value : (o) => (get(o) ?? '') === value);
  }
  return (o) => tests.every((t) => t(o));
}
