// The three patch formats a Kubernetes API server applies: JSON merge patch (RFC 7386), JSON patch (RFC 6902) and a
// strategic merge patch good enough for what kubectl sends to pods (lists merged by their Kubernetes merge keys).

import { isObject } from './schema';

type J = unknown;

export function mergePatch(target: J, patch: J): J {
  if (!isObject(patch)) return structuredClone(patch);
  const out: Record<string, J> = isObject(target) ? { ...target } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = mergePatch(out[k], v);
  }
  return out;
}

export class PatchError extends Error {}

interface Op {
  op: string;
  path: string;
  from?: string;
  value?: J;
}

function parsePointer(p: string): string[] {
  if (p === '') return [];
  if (!p.startsWith('/')) throw new PatchError(`invalid JSON pointer ${JSON.stringify(p)}`);
  return p
    .slice(1)
    .split('/')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
}

function getAt(doc: J, parts: string[]): J {
  let cur = doc;
  for (const p of parts) {
    if (Array.isArray(cur)) cur = cur[Number(p)];
    else if (isObject(cur)) cur = cur[p];
    else return undefined;
  }
  return cur;
}

function parentOf(doc: J, parts: string[], path: string): { parent: Record<string, J> | J[]; last: string } {
  const parent = getAt(doc, parts.slice(0, -1));
  if (!isObject(parent) && !Array.isArray(parent)) throw new PatchError(`doc is missing path: "${path}": missing value`);
  return { parent, last: parts[parts.length - 1] };
}

function add(doc: J, path: string, value: J): J {
  const parts = parsePointer(path);
  if (!parts.length) return value;
  const { parent, last } = parentOf(doc, parts, path);
  if (Array.isArray(parent)) {
    const i = last === '-' ? parent.length : Number(last);
    if (!Number.isInteger(i) || i < 0 || i > parent.length) throw new PatchError(`Unable to access invalid index: ${last}: invalid index referenced`);
    parent.splice(i, 0, value);
  } else parent[last] = value;
  return doc;
}

function remove(doc: J, path: string): J {
  const parts = parsePointer(path);
  const { parent, last } = parentOf(doc, parts, path);
  if (Array.isArray(parent)) {
    const i = Number(last);
    if (!(i >= 0 && i < parent.length)) throw new PatchError(`Unable to remove nonexistent key: ${last}: missing value`);
    parent.splice(i, 1);
  } else {
    if (!(last in parent)) throw new PatchError(`Unable to remove nonexistent key: ${last}: missing value`);
    delete parent[last];
  }
  return doc;
}

export function jsonPatch(target: J, ops: J): J {
  if (!Array.isArray(ops)) throw new PatchError('json: cannot unmarshal object into Go value of type jsonpatch.Patch');
  let doc = structuredClone(target);
  for (const raw of ops as Op[]) {
    switch (raw.op) {
      case 'add':
        doc = add(doc, raw.path, structuredClone(raw.value));
        break;
      case 'remove':
        doc = remove(doc, raw.path);
        break;
      case 'replace': {
        const parts = parsePointer(raw.path);
        if (parts.length && getAt(doc, parts) === undefined) throw new PatchError(`replace operation does not apply: doc is missing key: ${raw.path}: missing value`);
        doc = parts.length ? add(remove(doc, raw.path), raw.path, structuredClone(raw.value)) : structuredClone(raw.value);
        break;
      }
      case 'move': {
        const v = getAt(doc, parsePointer(raw.from ?? ''));
        doc = add(remove(doc, raw.from ?? ''), raw.path, v);
        break;
      }
      case 'copy':
        doc = add(doc, raw.path, structuredClone(getAt(doc, parsePointer(raw.from ?? ''))));
        break;
      case 'test':
        // evanphx/json-patch wording, which the API server relays.
        if (!deepEqual(getAt(doc, parsePointer(raw.path)), raw.value)) throw new PatchError(`testing value ${raw.path} failed: test failed`);
        break;
      default:
        throw new PatchError(`Unexpected kind: ${raw.op}`);
    }
  }
  return doc;
}

/** Kubernetes patchMergeKey per list field name, for the pod fields kubectl patches strategically. */
const MERGE_KEYS: Record<string, string> = {
  containers: 'name',
  initContainers: 'name',
  ephemeralContainers: 'name',
  env: 'name',
  ports: 'containerPort',
  volumeMounts: 'mountPath',
  volumes: 'name',
  conditions: 'type',
  containerStatuses: 'name',
  initContainerStatuses: 'name',
  readinessGates: 'conditionType',
  ownerReferences: 'uid',
  tolerations: 'key',
  imagePullSecrets: 'name',
};
const SET_LISTS = new Set(['finalizers']);

export function strategicMergePatch(target: J, patch: J, field = ''): J {
  if (!isObject(patch)) return structuredClone(patch);
  if (patch.$patch === 'replace') {
    const { $patch: _, ...rest } = patch;
    return structuredClone(rest);
  }
  const out: Record<string, J> = isObject(target) ? { ...target } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (k.startsWith('$')) continue;
    if (v === null) {
      delete out[k];
      continue;
    }
    const mk = MERGE_KEYS[k];
    if (Array.isArray(v) && mk && Array.isArray(out[k])) out[k] = mergeList(out[k] as J[], v, mk, k);
    else if (Array.isArray(v) && SET_LISTS.has(k) && Array.isArray(out[k])) out[k] = [...new Set([...(out[k] as J[]), ...v])];
    else out[k] = Array.isArray(v) ? structuredClone(v) : strategicMergePatch(out[k], v, k);
  }
  void field;
  return out;
}

function mergeList(base: J[], patch: J[], mk: string, field: string): J[] {
  const out = base.map((x) => x);
  for (const item of patch) {
    if (!isObject(item)) {
      out.push(item);
      continue;
    }
    const idx = out.findIndex((x) => isObject(x) && x[mk] === item[mk]);
    if (item.$patch === 'delete') {
      if (idx >= 0) out.splice(idx, 1);
    } else if (idx >= 0) out[idx] = strategicMergePatch(out[idx], item, field);
    else out.push(strategicMergePatch({}, item, field));
  }
  return out;
}

export function deepEqual(a: J, b: J): boolean {
  if (a === b) return true;
  if (Array.isArray(a)) return Array.isArray(b) && a.length === b.length && a.every((x, i) => deepEqual(x, b[i]));
  if (isObject(a) && isObject(b)) {
    const ka = Object.keys(a).filter((k) => a[k] !== undefined);
    const kb = Object.keys(b).filter((k) => b[k] !== undefined);
    return ka.length === kb.length && ka.every((k) => deepEqual(a[k], b[k]));
  }
  return false;
}

/**
 * RFC 6902 ops turning `a` into `b`, in the shape mattbaird/jsonpatch (used by Kruise) produces: arrays compared by
 * index, trailing elements added or removed. Kruise's in-place rules and messages are phrased in these ops.
 */
export function diff(a: J, b: J, path = ''): Op[] {
  if (deepEqual(a, b)) return [];
  if (isObject(a) && isObject(b)) {
    const ops: Op[] = [];
    for (const k of Object.keys(a)) {
      const p = `${path}/${esc(k)}`;
      if (!(k in b) || b[k] === undefined) ops.push({ op: 'remove', path: p });
      else ops.push(...diff(a[k], b[k], p));
    }
    for (const k of Object.keys(b)) if (!(k in a) || a[k] === undefined) ops.push({ op: 'add', path: `${path}/${esc(k)}`, value: b[k] });
    return ops;
  }
  if (Array.isArray(a) && Array.isArray(b)) {
    const ops: Op[] = [];
    const n = Math.min(a.length, b.length);
    for (let i = 0; i < n; i++) ops.push(...diff(a[i], b[i], `${path}/${i}`));
    for (let i = n; i < b.length; i++) ops.push({ op: 'add', path: `${path}/${i}`, value: b[i] });
    for (let i = a.length - 1; i >= n; i--) ops.push({ op: 'remove', path: `${path}/${i}` });
    return ops;
  }
  return [{ op: 'replace', path, value: b }];
}

const esc = (k: string) => k.replace(/~/g, '~0').replace(/\//g, '~1');
