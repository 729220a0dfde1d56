// One cluster interface over both test beds: the emulator (test/cluster, in-process, simulated time) and the real
// tier (test/realcluster: kube-apiserver, etcd, Kruise's own manager, the node agent). Scenarios written against
// TestCluster run unchanged on either, so a disagreement between the two shows up as a failing scenario.
import { existsSync, readFileSync } from 'node:fs';
import { startCluster, type Cluster, type ClusterOptions, type RbacRule, type RestartRecord, type SeedCloneSet, type SeedDaemonSet, type SeedStatefulSet, type WorkloadKind } from '../cluster/index';
import { call, type Reply } from '../cluster/http-client';
import { startRealCluster, type RealCluster, type RealClusterOptions } from '../realcluster/index';
import { seedDaemonSet, seedStatefulSet } from '../realcluster/kinds';
import { realTier } from '../real/tier';
import type { CloneSet } from '../../src/kruise/types';
import type { AdvancedDaemonSet } from '../../src/kruise/workload/advanced-daemonset';
import type { AdvancedStatefulSet } from '../../src/kruise/workload/advanced-statefulset';

export type Backend = 'emulated' | 'real';
export type ResourceName = 'pods' | 'clonesets' | 'statefulsets' | 'daemonsets' | 'containerrecreaterequests' | 'events' | 'namespaces';
export type { RbacRule, RestartRecord, SeedCloneSet, SeedDaemonSet, SeedStatefulSet, WorkloadKind };

/** A write the plugin made, as the emulator's request log or the real server's audit log records it. */
export interface PluginWrite {
  verb: string;
  resource: string;
  subresource?: string;
  namespace?: string;
  name?: string;
  user: string;
  /** The `fieldManager` the write was sent with. */
  fieldManager?: string;
}

export interface TestCluster {
  readonly backend: Backend;
  /** The namespace this test owns (a fresh one per test on a shared real cluster). */
  readonly namespace: string;
  readonly url: string;
  /** Admin token: for the test's own reads and writes, never for the plugin. */
  readonly token: string;
  readonly caPem: string;
  createNamespace(name: string): Promise<void>;
  /** Creates the CloneSet (default namespace: this test's) and waits until every pod is Running and Ready. */
  seedCloneSet(s: SeedCloneSet): Promise<CloneSet>;
  /** Creates the Advanced StatefulSet (v1beta1) and waits until every pod is Running and Ready. */
  seedStatefulSet(s: SeedStatefulSet): Promise<AdvancedStatefulSet>;
  /**
   * Creates the Advanced DaemonSet (v1beta1) on every node and waits for a Ready pod on each. `nodes` must be what the
   * backend has: the emulator adds node-0..N-1, the real cluster's nodes are its agent's (REAL_NODES for the shared one).
   */
  seedDaemonSet(s: SeedDaemonSet): Promise<AdvancedDaemonSet>;
  get<T = unknown>(resource: ResourceName, namespace: string, name: string): Promise<T | undefined>;
  list<T = unknown>(resource: ResourceName, namespace: string): Promise<T[]>;
  /** A kubeconfig for the plugin: the plugin's own user (all rights) unless a token from addUser is given. */
  writeKubeconfig(opts?: { token?: string; user?: string; namespace?: string }): string;
  /** A user whose only rights are `rules` (cluster-wide); returns its token. */
  addUser(name: string, rules: RbacRule[]): Promise<string>;
  /** A raw API request, as the admin unless `token` is given. */
  api<T = unknown>(method: string, path: string, body?: unknown, opts?: { token?: string; contentType?: string }): Promise<Reply<T>>;
  /** Container restarts on this test's namespace, in order. */
  restartLog(): RestartRecord[];
  /** Most desired pods of the workload (a CloneSet unless `kind` says) down at once since it was seeded. */
  maxUnavailableSeen(namespace: string, workload: string, kind?: WorkloadKind): number;
  knobs: {
    neverReady(namespace: string, pod: string): Promise<void>;
    readyDelay(namespace: string, pod: string, seconds: number): Promise<void>;
    failRestart(namespace: string, pod: string, containers: string[]): Promise<void>;
    /** The runtime can stop those containers again (undoes failRestart). */
    repairRestart(namespace: string, pod: string, containers: string[]): Promise<void>;
    noEnvBinary(namespace: string, pod: string, containers: string[]): Promise<void>;
    /** kruise-daemon hangs on the pod: the early-done trap. */
    frozenDaemon(namespace: string, pod: string): Promise<void>;
  };
  /**
   * Successful writes the plugin's users made in this test's namespace (access reviews excluded); server dry runs
   * only with `dryRun: true` (then only they).
   */
  pluginWrites(opts?: { dryRun?: boolean }): Promise<PluginWrite[]>;
  /** Polls until `predicate` is truthy. */
  waitFor<T>(predicate: () => Promise<T | undefined | false | null>, timeoutMs?: number, what?: string): Promise<T>;
  /** Another cluster of the same backend with other options (e.g. a feature gate); the caller stops it. */
  startAnother(opts: { envFromMetadataGate?: boolean; namespace: string }): Promise<TestCluster>;
  stop(): Promise<void>;
}

/** The backends this run covers: the emulator always, the real tier when it is on. */
export function backends(): Backend[] {
  return realTier().run ? ['emulated', 'real'] : ['emulated'];
}

/** Nodes of the shared real cluster: an Advanced DaemonSet there runs on all of them (issue 15's DaemonSet over 6 nodes). */
export const REAL_NODES = 6;

const ALL_RIGHTS: RbacRule[] = [{ verbs: ['*'], apiGroups: ['*'], resources: ['*'] }];
const WRITES = new Set(['create', 'update', 'patch', 'delete', 'deletecollection']);
const REVIEWS = new Set(['selfsubjectaccessreviews', 'selfsubjectrulesreviews']);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function poll<T>(predicate: () => Promise<T | undefined | false | null>, timeoutMs: number, what: string, everyMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await predicate();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(everyMs);
  }
}

/** The emulator at speed 50, as the e2e suites run it. */
export async function startEmulated(namespace: string, opts: ClusterOptions = {}): Promise<TestCluster> {
  const c: Cluster = await startCluster({ speed: 50, namespace, restartSeconds: 1, readySeconds: 2, ...opts });
  const pluginUsers = new Set<string>(['plugin']);
  const pluginToken = c.addUser('plugin', ALL_RIGHTS);
  const tc: TestCluster = {
    backend: 'emulated',
    namespace,
    url: c.url,
    token: c.token,
    caPem: c.caPem,
    createNamespace: async (name) => c.createNamespace(name),
    seedCloneSet: (s) => c.seedCloneSet({ namespace, ...s }),
    seedStatefulSet: (s) => c.seedStatefulSet({ namespace, ...s }),
    seedDaemonSet: (s) => c.seedDaemonSet({ namespace, ...s }),
    get: async (resource, ns, name) => c.get(resource, ns, name),
    list: async (resource, ns) => c.list(resource, ns),
    writeKubeconfig: (o = {}) => c.writeKubeconfig({ namespace, user: o.user ?? 'plugin', token: o.token ?? pluginToken, ...(o.namespace ? { namespace: o.namespace } : {}) }),
    async addUser(name, rules) {
      pluginUsers.add(name);
      return c.addUser(name, rules);
    },
    api: (method, path, body, o = {}) => call(c, method, path, body, o),
    restartLog: () => c.restartLog.filter((r) => r.namespace === namespace),
    maxUnavailableSeen: (ns, name, kind) => c.maxUnavailableSeen(ns, name, kind),
    knobs: {
      neverReady: async (_ns, pod) => c.knobs.neverReady(pod),
      readyDelay: async (_ns, pod, seconds) => c.knobs.readyDelay(pod, seconds),
      failRestart: async (_ns, pod, containers) => containers.forEach((n) => c.knobs.failRestart(pod, n)),
      repairRestart: async (_ns, pod, containers) => containers.forEach((n) => c.knobs.repairRestart(pod, n)),
      noEnvBinary: async (_ns, pod, containers) => containers.forEach((n) => c.knobs.noEnvBinary(n, pod)),
      frozenDaemon: async (_ns, pod) => c.knobs.frozenDaemon(pod),
    },
    pluginWrites: async (o = {}) =>
      c
        .allWrites()
        .filter((r) => r.status >= 200 && r.status < 300 && r.dryRun === !!o.dryRun)
        .filter((r) => pluginUsers.has(r.user) && (r.namespace === namespace || r.namespace === undefined))
        .map((r) => ({ verb: r.verb, resource: r.resource ?? '', subresource: r.subresource, namespace: r.namespace, name: r.name, user: r.user, fieldManager: r.fieldManager })),
    waitFor: (predicate, timeoutMs = 30_000, what = 'condition') => poll(predicate, timeoutMs, what, 5),
    startAnother: (o) => startEmulated(o.namespace, { envFromMetadataGate: o.envFromMetadataGate }),
    stop: () => c.stop(),
  };
  return tc;
}

interface AuditEvent {
  stage: string;
  verb: string;
  requestURI: string;
  user: { username: string };
  objectRef?: { resource?: string; subresource?: string; namespace?: string; name?: string };
  responseStatus?: { code?: number };
}

/** One real cluster, shared by the tests of a driver file: `forTest(namespace)` gives each test its own view. */
export interface SharedReal {
  cluster: RealCluster;
  /** Seconds from nothing to Ready nodes. */
  startSeconds: number;
  /** A test's view; its stop() deletes the namespaces and ClusterRoles the test made (without waiting for them). */
  forTest(namespace: string): Promise<TestCluster>;
  /**
   * Waits, at most `namespaceWaitMs` (default 120 s), for the namespaces the tests deleted to be gone, then stops the
   * cluster. Rejects, naming each namespace still there and what its status says, if any outlived the wait.
   */
  stop(opts?: { namespaceWaitMs?: number }): Promise<void>;
}

interface NamespaceLeft {
  metadata: { name: string; deletionTimestamp?: string; finalizers?: string[] };
  spec?: { finalizers?: string[] };
  status?: { phase?: string; conditions?: { type: string; status: string; message?: string }[] };
}

/** Deleted namespaces still there after `timeoutMs`, each with what its status says holds it. */
export async function namespacesLeft(rc: Pick<RealCluster, 'api'>, names: string[], timeoutMs: number): Promise<string[]> {
  const deadline = Date.now() + timeoutMs;
  let left = names;
  for (;;) {
    const seen: NamespaceLeft[] = [];
    for (const name of left) {
      const r = await rc.api('GET', `/api/v1/namespaces/${encodeURIComponent(name)}`);
      if (r.status !== 404) seen.push(r.body as NamespaceLeft);
    }
    left = seen.map((n) => n.metadata.name);
    if (!seen.length || Date.now() > deadline) {
      return seen.map((n) => {
        const holding = (n.status?.conditions ?? []).filter((c) => c.status === 'True').map((c) => `${c.type}: ${c.message ?? ''}`);
        const finalizers = [...(n.spec?.finalizers ?? []), ...(n.metadata.finalizers ?? [])];
        return `${n.metadata.name} (${n.status?.phase ?? 'no phase'}${finalizers.length ? `, finalizers ${finalizers.join(',')}` : ''}${holding.length ? `; ${holding.join('; ')}` : ''})`;
      });
    }
    await sleep(500);
  }
}

export async function startSharedReal(opts: RealClusterOptions = {}): Promise<SharedReal> {
  const started = Date.now();
  // The permission scenarios hand out a user per removed verb: more than the launcher's default.
  const rc = await startRealCluster({ nodes: REAL_NODES, users: 40, ...opts });
  const startSeconds = (Date.now() - started) / 1000;
  let pluginToken: string;
  try {
    pluginToken = await rc.addUser('plugin', ALL_RIGHTS);
  } catch (e) {
    await rc.stop();
    throw e;
  }
  const pluginUsers = new Set<string>();
  // addUser binds the next pre-made user, restricted-N: learn which name a token got from the token file.
  const userOf = (token: string) => {
    const line = readFileSync(`${rc.dir}/tokens.csv`, 'utf8').split('\n').find((l) => l.startsWith(`${token},`));
    return line?.split(',')[1] ?? '';
  };
  pluginUsers.add(userOf(pluginToken));
  const deleted: string[] = [];

  const forTest = async (namespace: string): Promise<TestCluster> => {
    await rc.createNamespace(namespace);
    const namespaces = new Set([namespace]);
    const roles: string[] = [];
    // Each seeded workload's unavailability history starts after its seeding, as the emulator's does.
    const seededAt = new Map<string, number>();
    const settledFrom = async (ns: string, name: string, kind: WorkloadKind) => {
      // The pod watch lags the API a little: wait until it, too, has seen every pod Ready.
      await rc.waitFor(async () => rc.unavailableHistory(ns, name, kind).at(-1) === 0, 30_000, `the pod watch to see ${kind} ${ns}/${name} settled`);
      seededAt.set(`${kind}/${ns}/${name}`, rc.unavailableHistory(ns, name, kind).length);
    };
    const tc: TestCluster = {
      backend: 'real',
      namespace,
      url: rc.url,
      token: rc.token,
      caPem: rc.caPem,
      async createNamespace(name) {
        await rc.createNamespace(name);
        namespaces.add(name);
      },
      async seedCloneSet(s) {
        const ns = s.namespace ?? namespace;
        if (!namespaces.has(ns)) {
          await rc.createNamespace(ns);
          namespaces.add(ns);
        }
        const cs = await rc.seedCloneSet({ namespace: ns, ...s });
        await settledFrom(ns, s.name, 'CloneSet');
        return cs;
      },
      async seedStatefulSet(s) {
        const ns = s.namespace ?? namespace;
        namespaces.add(ns);
        const sts = await seedStatefulSet(rc, { ...s, namespace: ns });
        await settledFrom(ns, s.name, 'StatefulSet');
        return sts;
      },
      async seedDaemonSet(s) {
        const ns = s.namespace ?? namespace;
        namespaces.add(ns);
        const ds = await seedDaemonSet(rc, { ...s, namespace: ns });
        await settledFrom(ns, s.name, 'DaemonSet');
        return ds;
      },
      get: (resource, ns, name) => rc.get(resource, ns, name),
      list: (resource, ns) => rc.list(resource, ns),
      writeKubeconfig: (o = {}) => rc.writeKubeconfig({ namespace: o.namespace ?? namespace, user: o.user ?? 'plugin', token: o.token ?? pluginToken }),
      async addUser(name, rules) {
        roles.push(`realcluster-${namespace}-${name}`);
        const token = await rc.addUser(`${namespace}-${name}`, rules);
        pluginUsers.add(userOf(token));
        return token;
      },
      api: (method, path, body, o = {}) => call(rc, method, path, body, o),
      restartLog: () => rc.restartLog.filter((r) => r.namespace === namespace),
      maxUnavailableSeen: (ns, name, kind = 'CloneSet') => Math.max(0, ...rc.unavailableHistory(ns, name, kind).slice(seededAt.get(`${kind}/${ns}/${name}`) ?? 0)),
      knobs: {
        neverReady: (ns, pod) => rc.knobs.neverReady(ns, pod),
        readyDelay: (ns, pod, seconds) => rc.knobs.readyDelay(ns, pod, seconds),
        failRestart: (ns, pod, containers) => rc.knobs.failRestart(ns, pod, containers),
        repairRestart: (ns, pod) => rc.knobs.repairRestart(ns, pod),
        noEnvBinary: (ns, pod, containers) => rc.knobs.noEnvBinary(ns, pod, containers),
        frozenDaemon: (ns, pod) => rc.knobs.frozenDaemon(ns, pod),
      },
      async pluginWrites(o = {}) {
        const text = existsSync(rc.auditLogPath) ? readFileSync(rc.auditLogPath, 'utf8') : '';
        return text
          .split('\n')
          .filter(Boolean)
          .map((l) => JSON.parse(l) as AuditEvent)
          .filter(
            (e) =>
              e.stage === 'ResponseComplete' &&
              WRITES.has(e.verb) &&
              pluginUsers.has(e.user.username) &&
              !REVIEWS.has(e.objectRef?.resource ?? '') &&
              /[?&]dryRun=/.test(e.requestURI) === !!o.dryRun &&
              (e.responseStatus?.code ?? 0) >= 200 &&
              (e.responseStatus?.code ?? 0) < 300 &&
              (e.objectRef?.namespace === namespace || e.objectRef?.namespace === undefined),
          )
          .map((e) => ({
            verb: e.verb,
            resource: e.objectRef?.resource ?? '',
            subresource: e.objectRef?.subresource,
            namespace: e.objectRef?.namespace,
            name: e.objectRef?.name,
            user: e.user.username,
            fieldManager: new URL(e.requestURI, 'https://x').searchParams.get('fieldManager') ?? undefined,
          }));
      },
      waitFor: (predicate, timeoutMs = 30_000, what = 'condition') => poll(predicate, timeoutMs, what, 200),
      async startAnother(o) {
        const other = await startSharedReal({ envFromMetadataGate: o.envFromMetadataGate, users: 4, nodes: 1 });
        const view = await other.forTest(o.namespace);
        return { ...view, stop: () => other.stop() };
      },
      // The cluster outlives the test: the driver stops it after the file. What the test made goes now, as in a real
      // cluster: the namespace controller deletes everything in the namespaces (pods through the node agent, as a
      // kubelet confirms them). The driver's stop() waits for them, so no test waits here.
      async stop() {
        for (const role of roles) {
          await rc.api('DELETE', `/apis/rbac.authorization.k8s.io/v1/clusterrolebindings/${role}`);
          await rc.api('DELETE', `/apis/rbac.authorization.k8s.io/v1/clusterroles/${role}`);
        }
        for (const ns of namespaces) {
          const r = await rc.api('DELETE', `/api/v1/namespaces/${encodeURIComponent(ns)}`);
          if (r.status !== 200 && r.status !== 202 && r.status !== 404) throw new Error(`deleting namespace ${ns}: ${r.status} ${JSON.stringify(r.body).slice(0, 200)}`);
          deleted.push(ns);
        }
      },
    };
    return tc;
  };
  const stop = async (o: { namespaceWaitMs?: number } = {}) => {
    let left: string[];
    try {
      left = await namespacesLeft(rc, deleted, o.namespaceWaitMs ?? 120_000);
    } finally {
      await rc.stop();
    }
    if (left.length) throw new Error(`namespaces deleted by tests still there after ${((o.namespaceWaitMs ?? 120_000) / 1000).toFixed(0)} s: ${left.join(', ')}`);
  };
  return { cluster: rc, startSeconds, forTest, stop };
}
