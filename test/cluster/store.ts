// The object store: what etcd plus the watch cache are to a real API server. Stored objects are never mutated in
// place (every write stores a fresh object), so history entries and in-process readers can share references
// safely; anything handed out of the simulator is deep-copied.

import { randomUUID } from 'node:crypto';
import type { ObjectMeta } from '../../src/kruise/types';

export interface KObj {
  apiVersion?: string;
  kind?: string;
  metadata: ObjectMeta;
  [field: string]: unknown;
}

export type EventType = 'ADDED' | 'MODIFIED' | 'DELETED';

export interface StoreEvent {
  type: EventType;
  /** Storage key of the resource, e.g. `pods` or `clonesets.apps.kruise.io`. */
  resource: string;
  rv: number;
  object: KObj;
  /** The object before this change (MODIFIED/DELETED); watchers need it to turn selector exits into DELETED. */
  prev?: KObj;
}

export const deepCopy = <T>(o: T): T => structuredClone(o);

export class StoreConflict extends Error {}

export class Store {
  private rv = 1;
  /** The resourceVersion below which history was dropped; a watch from an older version gets 410 Gone. */
  private compacted = 1;
  private readonly data = new Map<string, Map<string, KObj>>();
  private readonly history: StoreEvent[] = [];
  private readonly listeners = new Set<(e: StoreEvent) => void>();

  constructor(
    private readonly now: () => string,
    readonly historyLimit = 1000,
  ) {}

  currentRV(): number {
    return this.rv;
  }

  compactedRV(): number {
    return this.compacted;
  }

  /** Test hook: forget history so every resume with an older resourceVersion is answered 410 Gone. */
  compact(): void {
    this.history.length = 0;
    this.compacted = this.rv;
  }

  subscribe(fn: (e: StoreEvent) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  eventsSince(rv: number): StoreEvent[] {
    // History is ordered by rv; binary search keeps resume cheap with a full buffer.
    let lo = 0;
    let hi = this.history.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.history[mid].rv <= rv) lo = mid + 1;
      else hi = mid;
    }
    return this.history.slice(lo);
  }

  private bucket(resource: string): Map<string, KObj> {
    let b = this.data.get(resource);
    if (!b) {
      b = new Map();
      this.data.set(resource, b);
    }
    return b;
  }

  /** Shared, read-only reference. Callers must not mutate it. */
  raw(resource: string, namespace: string | undefined, name: string): KObj | undefined {
    return this.data.get(resource)?.get(key(namespace, name));
  }

  /** Shared, read-only references, sorted by namespace/name like etcd keys. */
  rawList(resource: string, namespace?: string, filter?: (o: KObj) => boolean): KObj[] {
    const b = this.data.get(resource);
    if (!b) return [];
    const out: KObj[] = [];
    for (const o of b.values()) {
      if (namespace && o.metadata.namespace !== namespace) continue;
      if (filter && !filter(o)) continue;
      out.push(o);
    }
    return out;
  }

  count(resource: string): number {
    return this.data.get(resource)?.size ?? 0;
  }

  /** Stores a new object; metadata.uid, creationTimestamp and resourceVersion are assigned here. */
  create(resource: string, obj: KObj): KObj {
    const b = this.bucket(resource);
    const k = key(obj.metadata.namespace, obj.metadata.name ?? '');
    if (b.has(k)) throw new StoreConflict(`exists ${k}`);
    const rv = ++this.rv;
    const stored: KObj = {
      ...obj,
      metadata: {
        ...obj.metadata,
        uid: obj.metadata.uid ?? randomUUID(),
        creationTimestamp: obj.metadata.creationTimestamp ?? this.now(),
        resourceVersion: String(rv),
      },
    };
    b.set(k, stored);
    this.emit({ type: 'ADDED', resource, rv, object: stored });
    return stored;
  }

  /**
   * Replaces an object. With `expectRV` the write is conditional (optimistic concurrency). Removing the last
   * finalizer of an object being deleted completes the deletion, as the garbage collector would.
   */
  replace(resource: string, obj: KObj, expectRV?: string): KObj {
    const b = this.bucket(resource);
    const k = key(obj.metadata.namespace, obj.metadata.name ?? '');
    const prev = b.get(k);
    if (!prev) throw new Error(`not found ${k}`);
    if (expectRV !== undefined && expectRV !== prev.metadata.resourceVersion) throw new StoreConflict(k);
    const rv = ++this.rv;
    const stored: KObj = {
      ...obj,
      metadata: {
        ...obj.metadata,
        uid: prev.metadata.uid,
        creationTimestamp: prev.metadata.creationTimestamp,
        resourceVersion: String(rv),
      },
    };
    if (stored.metadata.deletionTimestamp && !(stored.metadata.finalizers?.length)) {
      b.delete(k);
      this.emit({ type: 'DELETED', resource, rv, object: stored, prev });
      return stored;
    }
    b.set(k, stored);
    this.emit({ type: 'MODIFIED', resource, rv, object: stored, prev });
    return stored;
  }

  /** Deletes, or only marks for deletion while finalizers remain. Returns the last state. */
  delete(resource: string, namespace: string | undefined, name: string): KObj | undefined {
    const b = this.bucket(resource);
    const k = key(namespace, name);
    const prev = b.get(k);
    if (!prev) return undefined;
    if (prev.metadata.finalizers?.length) {
      if (prev.metadata.deletionTimestamp) return prev;
      return this.replace(resource, { ...prev, metadata: { ...prev.metadata, deletionTimestamp: this.now() } });
    }
    const rv = ++this.rv;
    b.delete(k);
    const gone: KObj = { ...prev, metadata: { ...prev.metadata, resourceVersion: String(rv) } };
    this.emit({ type: 'DELETED', resource, rv, object: gone, prev });
    return gone;
  }

  private emit(e: StoreEvent): void {
    this.history.push(e);
    if (this.history.length > this.historyLimit) {
      const dropped = this.history.splice(0, this.history.length - this.historyLimit);
      this.compacted = dropped[dropped.length - 1].rv;
    }
    for (const l of this.listeners) {
      try {
        l(e);
      } catch (err) {
        // A buggy listener must not corrupt the store; surface it loudly instead.
        console.error('[cluster] store listener failed:', err);
      }
    }
  }
}

export function key(namespace: string | undefined, name: string): string {
  return namespace ? `${namespace}/${name}` : name;
}
