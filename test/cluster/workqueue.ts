// The reconcile queue of every simulated controller: keys marked dirty are coalesced and handled together on the
// next turn of the event loop, like a controller-runtime work queue without rate limiting.

export class WorkQueue {
  private readonly dirty = new Set<string>();
  private flushing = false;
  private stopped = false;

  constructor(
    private readonly name: string,
    /** Namespaces the controllers must leave alone (objects stored as given, for odd-input tests). */
    private readonly ignored: (namespace: string) => boolean,
    private readonly handle: (namespace: string, name: string) => void,
  ) {}

  add(namespace: string, name: string): void {
    if (this.stopped || this.ignored(namespace)) return;
    this.dirty.add(`${namespace}/${name}`);
    if (!this.flushing) {
      this.flushing = true;
      setImmediate(() => this.flush());
    }
  }

  busy(): boolean {
    return this.dirty.size > 0;
  }

  stop(): void {
    this.stopped = true;
  }

  private flush(): void {
    this.flushing = false;
    if (this.stopped) return;
    const batch = [...this.dirty];
    this.dirty.clear();
    for (const key of batch) {
      const slash = key.indexOf('/');
      try {
        this.handle(key.slice(0, slash), key.slice(slash + 1));
      } catch (e) {
        console.error(`[cluster] ${this.name} ${key} reconcile failed:`, e);
      }
    }
  }
}
