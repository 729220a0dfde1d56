import { ApiError, isPluginError } from '../errors';
import type { Connection } from './config';
import { readText, send } from './http';
import { DEFAULT_RETRY, isRetryableNetworkError, isRetryableStatus, nextDelay, parseRetryAfter, type RetryPolicy } from './retry';
import { groupVersionPath, qualifiedName, type ResourceType } from './resources';

export type Query = Record<string, string | number | boolean | undefined>;

export interface RequestOptions {
  query?: Query;
  body?: unknown;
  contentType?: string;
  /** Used to name the resource in errors (and to tell "OpenKruise not installed" from "object not found"). */
  type?: ResourceType;
  /** Retry 409 Conflict? Never: the caller must re-read and re-decide. */
  timeoutMs?: number;
}

export interface ClientOptions {
  verbosity: number;
  log: (line: string) => void;
  retry?: RetryPolicy;
  random?: () => number;
  sleep?: (ms: number) => Promise<void>;
  /** Client-side rate limit, like client-go's QPS/burst: protects the API server from our own bursts. */
  qps?: number;
  burst?: number;
}

export interface KubeStatus {
  kind?: string;
  status?: string;
  message?: string;
  reason?: string;
  code?: number;
  details?: { name?: string; group?: string; kind?: string; retryAfterSeconds?: number; causes?: { message?: string; field?: string }[] };
}

interface RawResponse {
  status: number;
  retryAfter: string | null;
  date?: string | null;
  text: string;
}

export interface ListResult<T> {
  items: T[];
  resourceVersion: string;
}

/** Who our writes are by, in managedFields, audit logs and GitOps diffs (`--field-manager` changes it). */
export const DEFAULT_FIELD_MANAGER = 'kubectl-kruise-restart';

const WRITES = new Set(['POST', 'PUT', 'PATCH']);

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

function isStatus(body: unknown): body is KubeStatus {
  return typeof body === 'object' && body !== null && (body as KubeStatus).kind === 'Status';
}

function errorCode(err: unknown): string | undefined {
  if (typeof err !== 'object' || err === null) return undefined;
  const e = err as { code?: string; errno?: string; type?: string; name?: string };
  if (e.name === 'AbortError' || e.type === 'aborted') return 'TIMEOUT';
  return e.code ?? e.errno;
}

/** A token bucket: `take()` resolves when a request may go. */
class RateLimiter {
  private tokens: number;
  private last = Date.now();
  constructor(
    private readonly qps: number,
    private readonly burst: number,
    private readonly sleep: (ms: number) => Promise<void>,
  ) {
    this.tokens = burst;
  }
  async take(): Promise<void> {
    for (;;) {
      const now = Date.now();
      this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) / 1000) * this.qps);
      this.last = now;
      if (this.tokens >= 1) {
        this.tokens -= 1;
        return;
      }
      await this.sleep(Math.ceil(((1 - this.tokens) / this.qps) * 1000));
    }
  }
}

/**
 * The one place that talks HTTP to the API server (watches aside): auth and TLS from the kubeconfig, a timeout per
 * attempt, retries with backoff for 429/5xx and dropped connections, and translation of failures into ApiError.
 */
export class KubeClient {
  /** Requests sent, retries included: the benchmark's "API economy" figure. */
  requestCount = 0;
  private reachedServer = false;
  private warnedSlow = false;
  /**
   * The API server's clock minus ours (ms), from the Date header of its latest answer (1 s resolution): run
   * heartbeats are written and judged on the server's clock, so two machines' clocks never need to agree.
   */
  serverClockOffsetMs = 0;
  /** Sent as `fieldManager` on every create, update and patch. */
  fieldManager = DEFAULT_FIELD_MANAGER;
  private readonly limiter: RateLimiter;
  private readonly retry: RetryPolicy;
  private readonly random: () => number;
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(
    readonly connection: Connection,
    private readonly options: ClientOptions,
  ) {
    this.retry = options.retry ?? DEFAULT_RETRY;
    this.random = options.random ?? Math.random;
    this.sleep = options.sleep ?? defaultSleep;
    this.limiter = new RateLimiter(options.qps ?? 50, options.burst ?? 100, this.sleep);
  }

  get namespace(): string {
    return this.connection.namespace;
  }

  /** The same connection aimed at another namespace (`status -A` reads workloads wherever they are). */
  inNamespace(namespace: string): KubeClient {
    const other = new KubeClient({ ...this.connection, namespace }, this.options);
    other.fieldManager = this.fieldManager;
    other.serverClockOffsetMs = this.serverClockOffsetMs;
    return other;
  }

  url(path: string, query?: Query): string {
    const url = new URL(this.connection.server + path);
    for (const [key, value] of Object.entries(query ?? {})) if (value !== undefined) url.searchParams.set(key, String(value));
    return url.toString();
  }

  debug(level: number, line: string): void {
    if (this.options.verbosity >= level) this.options.log(line);
  }

  async request<T>(method: string, path: string, opts: RequestOptions = {}): Promise<T> {
    const query = WRITES.has(method) && this.fieldManager ? { fieldManager: this.fieldManager, ...opts.query } : opts.query;
    const url = this.url(path, query);
    for (let attempt = 1; ; attempt++) {
      await this.limiter.take();
      const started = Date.now();
      let response: RawResponse | undefined;
      let body: unknown;
      let failure: unknown;
      try {
        response = await this.send(method, url, opts);
        body = parseBody(response.text);
      } catch (err) {
        failure = err;
      }
      // Our own errors (an exec credential plugin that failed) already say what is wrong: not a network failure.
      if (isPluginError(failure)) throw failure;
      this.requestCount++;
      const took = Date.now() - started;
      if (response) {
        this.reachedServer = true;
        const date = response.date ? Date.parse(response.date) : Number.NaN;
        // Mid-second on average: the header is truncated to the second.
        if (Number.isFinite(date)) this.serverClockOffsetMs = date + 500 - Date.now();
        this.debug(6, `${method} ${url} ${response.status} in ${took} ms`);
        if (response.status >= 200 && response.status < 300) return body as T;
        const retryAfter = parseRetryAfter(response.retryAfter, Date.now());
        if (isRetryableStatus(response.status)) {
          const delay = nextDelay(attempt, retryAfter, this.retry, this.random);
          if (delay !== undefined) {
            this.debug(2, `${method} ${path}: ${response.status}, retrying in ${delay} ms (attempt ${attempt})`);
            await this.sleep(delay);
            continue;
          }
          throw this.gaveUp(method, path, `${response.status} ${statusText(body, response.status)}`, attempt);
        }
        throw await this.translate(response.status, body, method, path, opts);
      }
      const code = errorCode(failure);
      this.debug(6, `${method} ${url} failed after ${took} ms: ${code ?? String(failure)}`);
      // A server that never answered is most likely the wrong address: say so at once. Once it has answered, a
      // refused connection is an API server restart worth waiting out.
      const firstContact = !this.reachedServer && (code === 'ECONNREFUSED' || code === 'ENOTFOUND');
      if (isRetryableNetworkError(code) && !(firstContact && attempt >= 2)) {
        const delay = nextDelay(attempt, undefined, this.retry, this.random);
        if (delay !== undefined) {
          const why = code === 'TIMEOUT' ? `no answer within ${this.connection.requestTimeoutMs / 1000}s` : (code ?? 'network error');
          this.debug(2, `${method} ${path}: ${why}, retrying in ${delay} ms (attempt ${attempt})`);
          // Said once, at every verbosity: nobody should stare at a silent terminal while requests time out.
          if (code === 'TIMEOUT' && !this.warnedSlow && this.options.verbosity < 2) {
            this.warnedSlow = true;
            this.options.log(`warning: the API server at ${this.connection.server} did not answer within ${this.connection.requestTimeoutMs / 1000}s; still trying (up to ${this.retry.maxAttempts} attempts; -v 2 shows each retry)`);
          }
          await this.sleep(delay);
          continue;
        }
      }
      throw this.unreachable(failure, code, attempt);
    }
  }

  private async send(method: string, url: string, opts: RequestOptions): Promise<RawResponse> {
    const controller = new AbortController();
    const timeoutMs = opts.timeoutMs ?? this.connection.requestTimeoutMs;
    const timer = timeoutMs > 0 ? setTimeout(() => controller.abort(), timeoutMs) : undefined;
    try {
      const { headers, agent } = await this.connection.credentials.forRequest();
      headers.accept = 'application/json';
      headers['user-agent'] = 'kubectl-kruise_restart';
      let body: string | undefined;
      if (opts.body !== undefined) {
        headers['content-type'] = opts.contentType ?? 'application/json';
        body = JSON.stringify(opts.body);
      }
      const response = await send(url, { method, headers, agent, body, signal: controller.signal });
      // The body must arrive within the same deadline as the headers.
      return { status: response.status, retryAfter: response.header('retry-after') ?? null, date: response.header('date'), text: await readText(response.body) };
    } finally {
      if (timer) clearTimeout(timer);
    }
  }

  private gaveUp(method: string, path: string, last: string, attempts: number): ApiError {
    return new ApiError(
      `the API server kept failing (${last}) for ${method} ${path}; gave up after ${attempts} attempts`,
      503,
      'ServiceUnavailable',
      'the cluster looks overloaded or unhealthy; try again later',
    );
  }

  private unreachable(err: unknown, code: string | undefined, attempts: number): ApiError {
    const server = this.connection.server;
    if (code === 'TIMEOUT') {
      return new ApiError(
        `the API server at ${server} did not answer within ${this.connection.requestTimeoutMs / 1000}s (${attempts} attempts)`,
        0,
        'Timeout',
        'check your network or VPN, or raise --request-timeout',
      );
    }
    const raw = err instanceof Error ? err.message : String(err);
    if (/certificate|self[- ]signed|SSL|TLS/i.test(raw) || (code && code.startsWith('ERR_TLS')) || code === 'DEPTH_ZERO_SELF_SIGNED_CERT') {
      return new ApiError(
        `TLS verification of the API server at ${server} failed (${code ?? raw})`,
        0,
        'TLS',
        'check certificate-authority data for this cluster in your kubeconfig',
      );
    }
    return new ApiError(
      `cannot reach the Kubernetes API server at ${server} (${code ?? raw})`,
      0,
      'Unreachable',
      'check the cluster address, your network or VPN, and --context/--kubeconfig',
    );
  }

  /** Turns an HTTP failure into a message that names the resource and says what to do. */
  private async translate(status: number, body: unknown, method: string, path: string, opts: RequestOptions): Promise<ApiError> {
    const st: KubeStatus = isStatus(body) ? body : { message: typeof body === 'string' ? body.slice(0, 200) : undefined };
    const message = st.message ?? statusText(body, status);
    const reason = st.reason ?? String(status);
    switch (status) {
      case 401:
        return new ApiError(
          `the API server rejected your credentials (401 Unauthorized) for user "${this.connection.userName}" in context "${this.connection.context}"`,
          status,
          'Unauthorized',
          'your token or certificate may have expired: log in again and retry',
          st,
        );
      case 403:
        return new ApiError(`forbidden: ${message}`, status, 'Forbidden', 'ask a cluster admin for the RBAC role in the README', st);
      case 404:
        if (opts.type && !(isStatus(body) && body.details?.kind)) return this.missingType(opts.type);
        return new ApiError(message, status, 'NotFound', undefined, st);
      default:
        return new ApiError(message, status, reason, undefined, st);
    }
  }

  /** A 404 without a NotFound Status means the resource type itself is not served. */
  private async missingType(type: ResourceType): Promise<ApiError> {
    if (type.group === 'apps.kruise.io') {
      try {
        const list = await this.request<{ resources?: { name: string }[] }>('GET', groupVersionPath(type));
        if (!list.resources?.some((r) => r.name === type.plural)) {
          return new ApiError(
            `the CRD ${qualifiedName(type)} is not installed in this cluster`,
            404,
            'NotFound',
            'install or upgrade OpenKruise (v1.0 or later) with its CRDs',
          );
        }
      } catch (err) {
        if (err instanceof ApiError && err.status === 404) {
          return new ApiError(
            `OpenKruise is not installed in this cluster (${type.group}/${type.version} is not served)`,
            404,
            'KruiseNotInstalled',
            'install OpenKruise, or check that --context points at the right cluster',
          );
        }
        if (err instanceof ApiError) return err;
      }
    }
    return new ApiError(`the server does not serve ${qualifiedName(type)}`, 404, 'NotFound', undefined);
  }

  get<T>(path: string, opts: RequestOptions = {}): Promise<T> {
    return this.request<T>('GET', path, opts);
  }

  /** Lists every page (limit/continue), returning the collection's resourceVersion for a following watch. */
  async list<T>(path: string, query: Query = {}, opts: RequestOptions = {}): Promise<ListResult<T>> {
    const items: T[] = [];
    let resourceVersion = '';
    let cont: string | undefined;
    do {
      const page = await this.request<{ items?: T[]; metadata?: { resourceVersion?: string; continue?: string } }>('GET', path, {
        ...opts,
        query: { limit: 500, ...query, continue: cont },
      });
      // Each object is cut down as its page arrives: the page's full objects go when the next page is read.
      const trim = opts.type?.trim as ((item: T) => T) | undefined;
      for (const item of page.items ?? []) items.push(trim ? trim(item) : item);
      // The first page's version: a watch from there replays whatever changed while later pages were read, even from
      // a server whose later pages are newer than the first (a watch from the last page's version would miss those).
      resourceVersion ||= page.metadata?.resourceVersion ?? '';
      cont = page.metadata?.continue || undefined;
    } while (cont);
    return { items, resourceVersion };
  }

  patch<T>(path: string, patch: unknown, kind: 'merge' | 'json', opts: RequestOptions = {}): Promise<T> {
    const contentType = kind === 'merge' ? 'application/merge-patch+json' : 'application/json-patch+json';
    return this.request<T>('PATCH', path, { ...opts, body: patch, contentType });
  }

  create<T>(path: string, body: unknown, opts: RequestOptions = {}): Promise<T> {
    return this.request<T>('POST', path, { ...opts, body });
  }

  delete<T>(path: string, opts: RequestOptions = {}): Promise<T> {
    return this.request<T>('DELETE', path, opts);
  }
}

function parseBody(text: string): unknown {
  if (!text) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

function statusText(body: unknown, status: number): string {
  if (isStatus(body) && body.message) return body.message;
  return `HTTP ${status}`;
}
