// Seeded fault injection for the emulated API server: random 5xx/429/resets/slowness on a fraction of matching
// requests, deterministic one-shot failures, first-write conflicts, and watch-stream disruptions.

export type Verb = 'get' | 'list' | 'watch' | 'create' | 'update' | 'patch' | 'delete' | 'deletecollection';

export interface RequestFilter {
  verb?: Verb | Verb[];
  /** Plural resource name, e.g. `pods`, `clonesets`; `clonesets/status` matches a subresource. */
  resource?: string | string[];
  namespace?: string;
  name?: string;
}

export type FaultKind =
  | { kind: 'status'; status: 500 | 503 | 504 }
  | { kind: 'throttle'; retryAfterSeconds: number }
  | { kind: 'reset' }
  | { kind: 'slow'; delayMs: number };

export interface RandomFault {
  fraction: number;
  filter?: RequestFilter;
  fault: FaultKind;
}

export interface RequestInfo {
  verb: Verb;
  resource?: string;
  subresource?: string;
  namespace?: string;
  name?: string;
}

export type Decision = { kind: 'none' } | FaultKind | { kind: 'fail'; status: number; retryAfterSeconds?: number } | { kind: 'race' };

export class FaultInjector {
  private random: () => number;
  private rules: RandomFault[] = [];
  private queued: Array<{ filter: RequestFilter; status: number; count: number; retryAfterSeconds?: number }> = [];
  private conflicted = new Set<string>();
  private races: Array<{ filter: RequestFilter; count: number }> = [];
  /** Answer 409 Conflict to the first attempt of every write to each object. */
  conflictOnFirstWrite = false;
  /** Close every watch stream after this many events. */
  dropWatchAfter: number | undefined;
  /** Answer 410 Gone to the next `goneOnResume` watches that pass a resourceVersion (true: all of them). */
  goneOnResume: boolean | number = false;
  /** Injected faults so far, for assertions. */
  injected = 0;

  constructor(seed = 1) {
    this.random = mulberry32(seed);
  }

  seed(seed: number): void {
    this.random = mulberry32(seed);
  }

  /** A random fault on `fraction` (0..1) of the requests matching `filter`. */
  add(rule: RandomFault): this {
    this.rules.push(rule);
    return this;
  }

  /** Convenience forms of add(). */
  errors(fraction: number, status: 500 | 503 | 504 = 500, filter?: RequestFilter): this {
    return this.add({ fraction, filter, fault: { kind: 'status', status } });
  }
  throttle(fraction: number, retryAfterSeconds = 1, filter?: RequestFilter): this {
    return this.add({ fraction, filter, fault: { kind: 'throttle', retryAfterSeconds } });
  }
  resets(fraction: number, filter?: RequestFilter): this {
    return this.add({ fraction, filter, fault: { kind: 'reset' } });
  }
  slow(fraction: number, delayMs: number, filter?: RequestFilter): this {
    return this.add({ fraction, filter, fault: { kind: 'slow', delayMs } });
  }

  /** Deterministic: the next `count` requests matching get `status` (429 gets Retry-After). */
  failNext(f: { verb?: Verb | Verb[]; resource?: string | string[]; namespace?: string; name?: string; status: number; count?: number; retryAfterSeconds?: number }): this {
    const { status, count = 1, retryAfterSeconds, ...filter } = f;
    this.queued.push({ filter, status, count, retryAfterSeconds });
    return this;
  }

  /**
   * Someone else writes the object just before each of the next `count` matching requests is handled (its
   * resourceVersion moves on), the way a controller or a colleague does: a write guarded by a JSON-patch `test` on
   * resourceVersion then fails as a real API server fails it, with a resourceVersion precondition a 409.
   */
  raceNext(f: RequestFilter & { count?: number }): this {
    const { count = 1, ...filter } = f;
    this.races.push({ filter, count });
    return this;
  }

  clear(): void {
    this.races = [];
    this.rules = [];
    this.queued = [];
    this.conflicted.clear();
    this.conflictOnFirstWrite = false;
    this.dropWatchAfter = undefined;
    this.goneOnResume = false;
  }

  decide(req: RequestInfo): Decision {
    for (const r of this.races) {
      if (r.count > 0 && matches(r.filter, req)) {
        r.count--;
        this.injected++;
        return { kind: 'race' };
      }
    }
    for (const q of this.queued) {
      if (q.count > 0 && matches(q.filter, req)) {
        q.count--;
        this.injected++;
        return { kind: 'fail', status: q.status, retryAfterSeconds: q.retryAfterSeconds };
      }
    }
    this.queued = this.queued.filter((q) => q.count > 0);
    for (const r of this.rules) {
      if (matches(r.filter ?? {}, req) && this.random() < r.fraction) {
        this.injected++;
        return r.fault;
      }
    }
    return { kind: 'none' };
  }

  /** True when this write should be answered with a Conflict (first attempt per object). */
  firstWriteConflict(objectKey: string): boolean {
    if (!this.conflictOnFirstWrite || this.conflicted.has(objectKey)) return false;
    this.conflicted.add(objectKey);
    this.injected++;
    return true;
  }

  takeGoneOnResume(): boolean {
    if (this.goneOnResume === true) return true;
    if (typeof this.goneOnResume === 'number' && this.goneOnResume > 0) {
      this.goneOnResume--;
      return true;
    }
    return false;
  }
}

function matches(f: RequestFilter, r: RequestInfo): boolean {
  const inList = <T>(want: T | T[] | undefined, v: T | undefined) => want === undefined || (Array.isArray(want) ? want.includes(v as T) : want === v);
  const res = r.subresource ? `${r.resource}/${r.subresource}` : r.resource;
  const resOk = f.resource === undefined || inList(f.resource, res);
  return inList(f.verb, r.verb) && resOk && (f.namespace === undefined || f.namespace === r.namespace) && (f.name === undefined || f.name === r.name);
}

/** A small seeded generator: fault injection and seeded trials are the same on every machine. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
