import type * as Readline from 'node:readline';
import { builtin } from '../bundles';
import type { ObjectMeta } from '../kruise/types';
import type { KubeClient, Query } from './client';
import { readText, send } from './http';
import { collectionPath, type ResourceType } from './resources';
import { nextDelay } from './retry';

export interface WatchedObject {
  metadata: ObjectMeta;
}

interface WatchEvent {
  type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';
  object: { metadata?: ObjectMeta; code?: number; message?: string };
}

/** The server ends a watch after this long; we simply resume from the last resourceVersion. */
const WATCH_SECONDS = 240;

/**
 * A live copy of one filtered collection, kept by list-then-watch (never polling): a dropped stream resumes from the
 * last resourceVersion seen (bookmarks included), and 410 Gone triggers one fresh list.
 */
export class LiveCollection<T extends WatchedObject> {
  readonly items = new Map<string, T>();
  /** Full lists done: 1, plus one per 410 Gone. */
  lists = 0;
  private resourceVersion = '';
  private stopped = false;
  private abort?: AbortController;
  private failures = 0;

  constructor(
    private readonly client: KubeClient,
    private readonly type: ResourceType,
    private readonly namespace: string,
    private readonly query: Query,
    private readonly onChange: (collection: LiveCollection<T>) => void,
  ) {}

  /** Resolves after the first list; the watch then runs in the background until stop(). */
  async start(): Promise<void> {
    await this.relist();
    void this.watchLoop();
  }

  /** Starts watching from objects the caller already read (saves a list): events after `resourceVersion` follow. */
  startFrom(items: T[], resourceVersion: string): void {
    for (const item of items) this.items.set(item.metadata.name ?? '', item);
    this.resourceVersion = resourceVersion;
    this.onChange(this);
    void this.watchLoop();
  }

  stop(): void {
    this.stopped = true;
    this.abort?.abort();
  }

  values(): T[] {
    return [...this.items.values()];
  }

  private async relist(): Promise<void> {
    const { items, resourceVersion } = await this.client.list<T>(collectionPath(this.type, this.namespace), this.query, {
      type: this.type,
    });
    this.lists++;
    this.items.clear();
    for (const item of items) this.items.set(item.metadata.name ?? '', item);
    this.resourceVersion = resourceVersion;
    this.onChange(this);
  }

  private async watchLoop(): Promise<void> {
    while (!this.stopped) {
      let outcome: 'ended' | 'gone' | 'failed';
      try {
        outcome = await this.watchOnce();
      } catch (err) {
        this.client.debug(4, `watch ${this.type.plural}: ${err instanceof Error ? err.message : String(err)}`);
        outcome = 'failed';
      }
      if (this.stopped) return;
      if (outcome === 'gone') {
        try {
          await this.relist();
          this.failures = 0;
        } catch {
          outcome = 'failed';
        }
      }
      if (outcome === 'failed') {
        this.failures++;
        const delay = nextDelay(Math.min(this.failures, 5), undefined, { maxAttempts: 6, baseDelayMs: 100, maxDelayMs: 5_000, maxRetryAfterMs: 0 }, Math.random) ?? 5_000;
        await new Promise((resolve) => setTimeout(resolve, delay));
      }
    }
  }

  private async watchOnce(): Promise<'ended' | 'gone' | 'failed'> {
    const url = this.client.url(collectionPath(this.type, this.namespace), {
      ...this.query,
      watch: 1,
      allowWatchBookmarks: true,
      resourceVersion: this.resourceVersion || undefined,
      timeoutSeconds: WATCH_SECONDS,
    });
    const controller = new AbortController();
    this.abort = controller;
    // A stream that goes silent for longer than the server's own timeout plus slack is dead: reconnect.
    const silence = (WATCH_SECONDS + 30) * 1000;
    let watchdog = setTimeout(() => controller.abort(), Math.max(this.client.connection.requestTimeoutMs, 1000));
    const feed = () => {
      clearTimeout(watchdog);
      watchdog = setTimeout(() => controller.abort(), silence);
    };
    try {
      const { headers, agent } = await this.client.connection.credentials.forRequest();
      headers.accept = 'application/json';
      headers['user-agent'] = 'kubectl-kruise_restart';
      const response = await send(url, { method: 'GET', headers, agent, signal: controller.signal });
      this.client.requestCount++;
      this.client.debug(6, `GET ${url} ${response.status} (watch)`);
      if (response.status === 410) return 'gone';
      if (response.status !== 200) {
        await readText(response.body).catch(() => '');
        return 'failed';
      }
      feed();
      const lines = builtin<typeof Readline>('node:readline').createInterface({ input: response.body, crlfDelay: Infinity });
      for await (const line of lines) {
        feed();
        if (!line.trim()) continue;
        const event = JSON.parse(line) as WatchEvent;
        if (event.type === 'ERROR') return event.object.code === 410 ? 'gone' : 'failed';
        this.apply(event);
        this.failures = 0;
      }
      return 'ended';
    } finally {
      clearTimeout(watchdog);
    }
  }

  private apply(event: WatchEvent): void {
    const meta = event.object.metadata;
    if (meta?.resourceVersion) this.resourceVersion = meta.resourceVersion;
    if (event.type === 'BOOKMARK' || !meta?.name) return;
    if (event.type === 'DELETED') this.items.delete(meta.name);
    else {
      const trim = this.type.trim as ((item: T) => T) | undefined;
      const object = event.object as unknown as T;
      this.items.set(meta.name, trim ? trim(object) : object);
    }
    this.onChange(this);
  }
}
