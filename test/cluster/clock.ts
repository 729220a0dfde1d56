// Simulated time. Controller and kubelet delays are expressed in simulated seconds and run `speed` times faster than
// wall time, so a test can go through a 200-pod rolling restart in a fraction of a second while the demo (speed 1)
// looks real. Timers are real timers scaled down; every one is tracked so stop() leaves nothing behind.

export interface SimTimer {
  cancel(): void;
}

export class SimClock {
  private readonly wallStart = Date.now();
  private readonly perfStart = performance.now();
  private readonly timers = new Map<ReturnType<typeof setTimeout>, { background: boolean }>();
  private stopped = false;

  constructor(readonly speed = 1) {
    if (!(speed > 0)) throw new Error(`speed must be > 0, got ${speed}`);
  }

  /** Simulated epoch milliseconds. */
  now(): number {
    return this.wallStart + (performance.now() - this.perfStart) * this.speed;
  }

  iso(ms = this.now()): string {
    // Kubernetes timestamps have second precision.
    return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');
  }

  /**
   * Runs fn after `simMs` simulated milliseconds. Background timers (deadlines, TTLs, the 60 s daemon timeout) do
   * not keep whenIdle() from resolving.
   */
  after(simMs: number, fn: () => void, background = false): SimTimer {
    if (this.stopped) return { cancel() {} };
    const handle = setTimeout(() => {
      this.timers.delete(handle);
      fn();
    }, Math.max(0, simMs / this.speed));
    this.timers.set(handle, { background });
    return {
      cancel: () => {
        clearTimeout(handle);
        this.timers.delete(handle);
      },
    };
  }

  pendingForeground(): number {
    let n = 0;
    for (const t of this.timers.values()) if (!t.background) n++;
    return n;
  }

  stop(): void {
    this.stopped = true;
    for (const h of this.timers.keys()) clearTimeout(h);
    this.timers.clear();
  }
}
