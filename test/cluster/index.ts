// Public entry point: start an emulated Kubernetes API server with a simulated OpenKruise installed, in-process.
// See test/cluster/README.md for usage.

import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import yaml from 'js-yaml';
import { SimClock } from './clock';
import { CloneSetController } from './cloneset-controller';
import { BudgetController } from './budget-controller';
import { CrrController } from './crr-controller';
import { AdvancedStatefulSetController, STATEFULSETS, type AdvancedStatefulSet } from './statefulset-controller';
import { AdvancedDaemonSetController, DAEMONSETS, type AdvancedDaemonSet } from './daemonset-controller';
import { FaultInjector } from './faults';
import { KruiseAdmission } from './kruise-webhook';
import { Kubelet } from './kubelet';
import { PodReadinessController } from './pod-readiness';
import { buildRegistry, CLONESETS, STORAGE_KEYS } from './resources';
import { ApiServer, type RbacRule, type RequestRecord } from './server';
import { deepCopy, type KObj, Store } from './store';
import { getCondition, type RestartRecord, type Sim } from './sim';
import { KRUISE, PLUGIN, type CloneSet, type Pod, type PodTemplate } from '../../src/kruise/types';

export type { RequestRecord, RbacRule } from './server';
export type { RestartRecord } from './sim';
export { FaultInjector } from './faults';
export type { FaultKind, RandomFault, RequestFilter, Verb } from './faults';

export interface ClusterOptions {
  /** Default true; false = OpenKruise not installed: /apis/apps.kruise.io* is 404 and absent from /apis. */
  kruise?: boolean;
  /** Default true; false = the CRR CRD is missing. */
  crrCrd?: boolean;
  /** Simulated-time speed-up for controller/kubelet/daemon delays: 1 = real time, 100 = 100x faster. Default 1. */
  speed?: number;
  /** Added to every request (wall-clock ms). */
  latencyMs?: number;
  /** Feature gate InPlaceUpdateEnvFromMetadata; default true. */
  envFromMetadataGate?: boolean;
  /** Container kill → new container running, simulated seconds; default 1. */
  restartSeconds?: number;
  /** New container running → Ready, simulated seconds; default 2. */
  readySeconds?: number;
  /**
   * InPlaceUpdateReady=False → kruise-daemon kills the container, simulated seconds; default 4, as in Kruise: the pod
   * event is queued 1 s late and the restarter's rate limiter starts at 3 s (container_meta_controller.go).
   */
  killDelaySeconds?: number;
  /** Default 0 (random); always 127.0.0.1. */
  port?: number;
  /** Namespace of the default kubeconfig context; created if missing. Default 'default'. */
  namespace?: string;
  /** Seed of the fault injector's random source. Default 1. */
  seed?: number;
  /** Watch events kept for resumption; older resourceVersions get 410 Gone. Default 1000. */
  watchHistory?: number;
  /** Wall-clock interval of watch BOOKMARK events when allowWatchBookmarks is set. Default 1000 ms. */
  bookmarkIntervalMs?: number;
  /** CRD manifests directory; default `<repo>/../shared/kruise-crds` (built-in lists without validation if absent). */
  crdDir?: string;
  /** Default true (part of OpenKruise): serve PodUnavailableBudgets (policy.kruise.io) and keep their status. */
  pubCrd?: boolean;
  /** Default false (a separate install): serve Kruise Rollouts (rollouts.kruise.io/v1beta1). No controller runs. */
  rollouts?: boolean;
  /**
   * Default true. false: no disruption controller (a cluster whose kube-controller-manager runs without it, or a PDB
   * it has not synced yet): a PDB's status stays the API server's zeros, without observedGeneration.
   */
  disruptionController?: boolean;
}

export type ResourceName =
  | 'pods'
  | 'clonesets'
  | 'statefulsets'
  | 'daemonsets'
  | 'containerrecreaterequests'
  | 'events'
  | 'namespaces'
  | 'nodes'
  | 'poddisruptionbudgets'
  | 'podunavailablebudgets'
  | 'uniteddeployments'
  | 'rollouts';

/** The workload kinds whose pods the unavailability history follows. */
export type WorkloadKind = 'CloneSet' | 'StatefulSet' | 'DaemonSet';

export interface SeedCloneSet {
  namespace?: string;
  name: string;
  replicas: number;
  /** Container names; default ['app']. */
  containers?: string[];
  strategy?: 'ReCreate' | 'InPlaceIfPossible' | 'InPlaceOnly';
  maxUnavailable?: number | string;
  partition?: number | string;
  paused?: boolean;
  maxSurge?: number | string;
  /** Wire containers with an env var reading this template annotation through the Downward API. */
  triggerAnnotation?: string;
  /** Env var name for the wiring; default PLUGIN.defaultTriggerEnv. */
  triggerEnv?: string;
  /** Containers to wire; default all. */
  wiredContainers?: string[];
  /**
   * With triggerAnnotation: whether the template already carries that annotation (default true, as manifests that
   * wire it usually do). false leaves the template without annotations, so Kruise sees a first trigger as one
   * whole-map `add /metadata/annotations` and restarts nothing.
   */
  triggerAnnotationInTemplate?: boolean;
  /** Spread pods over node-0..N-1; default 3. */
  nodes?: number;
  image?: string;
  /** Full template override. */
  template?: object;
  /** Merged into spec. */
  extra?: object;
  /** metadata.ownerReferences of the CloneSet (a UnitedDeployment's subset, say). */
  ownerReferences?: CloneSet['metadata']['ownerReferences'];
  /** metadata.labels of the CloneSet. */
  labels?: Record<string, string>;
}

/** An Advanced StatefulSet (apps.kruise.io/v1beta1), settled with every pod Running and Ready. */
export interface SeedStatefulSet {
  namespace?: string;
  name: string;
  replicas: number;
  containers?: string[];
  podManagementPolicy?: 'OrderedReady' | 'Parallel';
  podUpdatePolicy?: 'ReCreate' | 'InPlaceIfPossible' | 'InPlaceOnly';
  maxUnavailable?: number | string;
  partition?: number;
  paused?: boolean;
  unorderedUpdate?: boolean;
  /** Put the InPlaceUpdateReady readiness gate in the template; default: when podUpdatePolicy is an in-place one. */
  readinessGate?: boolean;
  triggerAnnotation?: string;
  triggerEnv?: string;
  wiredContainers?: string[];
  /** As for CloneSets: whether the template already carries the trigger annotation (default true). */
  triggerAnnotationInTemplate?: boolean;
  nodes?: number;
  image?: string;
  extra?: object;
}

/** An Advanced DaemonSet (apps.kruise.io/v1beta1) on node-0..nodes-1, settled with a Ready pod on every node. */
export interface SeedDaemonSet {
  namespace?: string;
  name: string;
  /** Nodes that exist (node-0..N-1 are added when missing); default 3. The DaemonSet runs on every node. */
  nodes?: number;
  containers?: string[];
  rollingUpdateType?: 'Standard' | 'InPlaceIfPossible';
  maxUnavailable?: number | string;
  maxSurge?: number | string;
  partition?: number | string;
  paused?: boolean;
  /** rollingUpdate.selector over node labels. */
  nodeSelectorForUpdate?: object;
  triggerAnnotation?: string;
  triggerEnv?: string;
  wiredContainers?: string[];
  triggerAnnotationInTemplate?: boolean;
  /**
   * Create the pods under `Standard`, then switch to `rollingUpdateType` (InPlaceIfPossible): the existing pods lack
   * the InPlaceUpdateReady gate, as after such a switch on a real cluster. A list of node names keeps the gate off
   * only for the pods on those nodes (they are created first, the others after the switch).
   */
  podsWithoutGate?: boolean | string[];
  image?: string;
  extra?: object;
}

export interface Knobs {
  /** CRI kill of this container fails (CRR container Failed `kill container error: ...`; in-place kills never happen). */
  failRestart(pod: string, container: string): void;
  /** The runtime can stop that container again (undoes failRestart). */
  repairRestart(pod: string, container: string): void;
  /** The pod's containers turn and stay unready. */
  neverReady(pod: string): void;
  /** Readiness delay (simulated seconds) for this pod's next container starts. */
  readyDelay(pod: string, seconds: number): void;
  /** No kruise-daemon on the node: no env restarts, no runtime meta, CRRs time out after 60 simulated seconds. */
  noDaemonOnNode(node: string): void;
  /**
   * The image of `container` (in every pod, or only in `pod`) has no `env` binary: kruise-daemon's `env` exec fails, so
   * it reports no env hash for it (left out, as Go does with 0) and never kills it; an in-place restart of it stalls.
   */
  noEnvBinary(container: string, pod?: string): void;
  /** The node's container runtime has no such container (removed, or never created): a CRR for it never finds it. */
  missingOnNode(pod: string, container: string): void;
  /**
   * kruise-daemon hangs on this pod (the real tier's frozen-daemon knob): its runtime meta goes stale and it never
   * kills a container there, so an in-place update of the pod stays InPlaceUpdateReady=False: the early-done trap.
   */
  frozenDaemon(pod: string): void;
  /** Feature gate InPlaceUpdateEnvFromMetadata. */
  setGate(envFromMetadata: boolean): void;
}

export interface Cluster {
  url: string;
  /** Admin bearer token. */
  token: string;
  caPem: string;
  kubeconfigPath: string;
  writeKubeconfig(opts?: { token?: string; namespace?: string; path?: string; user?: string }): string;
  addUser(name: string, rules: RbacRule[]): string;
  createNamespace(name: string): void;
  seedCloneSet(s: SeedCloneSet): Promise<CloneSet>;
  seedStatefulSet(s: SeedStatefulSet): Promise<AdvancedStatefulSet>;
  seedDaemonSet(s: SeedDaemonSet): Promise<AdvancedDaemonSet>;
  /** Add (or relabel) a node. */
  setNode(name: string, labels?: Record<string, string>): void;
  get<T = unknown>(resource: ResourceName, namespace: string, name: string): T | undefined;
  list<T = unknown>(resource: ResourceName, namespace: string): T[];
  requests: RequestRecord[];
  writes(): RequestRecord[];
  allWrites(): RequestRecord[];
  clearLog(): void;
  restartLog: RestartRecord[];
  /**
   * Calls `fn` with every stored change as it is made (resource is the storage key, e.g. `pods`), before any watch
   * stream carries it; the object is the store's own and must not be changed. Returns the unsubscribe function.
   */
  onChange(fn: (change: { type: 'ADDED' | 'MODIFIED' | 'DELETED'; resource: string; object: { metadata: { name?: string; namespace?: string } } & Record<string, unknown> }) => void): () => void;
  /** After every pod change, how many of the workload's desired pods were not Running and Ready. */
  unavailableHistory(namespace: string, name: string, kind?: WorkloadKind): number[];
  maxUnavailableSeen(namespace: string, name: string, kind?: WorkloadKind): number;
  faults: FaultInjector;
  knobs: Knobs;
  clock: SimClock;
  /** Resolves once no controller, kubelet or daemon work is queued or scheduled (background deadlines excepted). */
  whenIdle(timeoutMs?: number): Promise<void>;
  /** Polls `predicate` until it is truthy; rejects after timeoutMs (wall clock). */
  waitFor<T>(predicate: () => T | undefined | false | null, timeoutMs?: number, what?: string): Promise<T>;
  /**
   * Objects as a buggy controller, a newer Kruise or a hand edit may leave them: stored as given (no admission, no
   * schema, no defaults) in `namespace`, which the simulated controllers then leave alone.
   */
  putUnmanaged(resource: ResourceName, obj: { metadata: { namespace?: string; name?: string } }): void;
  /**
   * Creates or replaces an object as its owner would (kubectl apply of a PDB, a PUB, a UnitedDeployment, a Rollout),
   * bypassing admission; controllers keep managing the namespace. Returns the stored copy.
   */
  apply<T = unknown>(resource: ResourceName, obj: { metadata: { namespace?: string; name?: string; [k: string]: unknown }; [k: string]: unknown }): T;
  /** Sets spec.replicas as an autoscaler would, through the scale subresource's effect (a new generation). */
  scale(namespace: string, cloneSet: string, replicas: number): void;
  /** Drop watch history, so resuming any older resourceVersion answers 410 Gone. */
  compactHistory(): void;
  stop(): Promise<void>;
}

type SimNode = { daemon: boolean; labels?: Record<string, string> };

/**
 * The simulated nodes, each also served as a Node object (labels, Ready) so clients can read them as on a real
 * cluster: every change to the map is written to the store, whoever makes it.
 */
class NodeMap extends Map<string, SimNode> {
  constructor(
    private readonly store: Store,
    entries: Array<[string, SimNode]>,
  ) {
    super();
    for (const [name, node] of entries) this.set(name, node);
  }

  override set(name: string, node: SimNode): this {
    super.set(name, node);
    // Map's constructor calls set before the store is assigned.
    if (!this.store) return this;
    const labels = { 'kubernetes.io/hostname': name, ...node.labels };
    const existing = this.store.raw('nodes', undefined, name);
    if (existing) this.store.replace('nodes', { ...existing, metadata: { ...existing.metadata, labels } });
    else this.store.create('nodes', { apiVersion: 'v1', kind: 'Node', metadata: { name, labels }, status: { conditions: [{ type: 'Ready', status: 'True' }] } });
    return this;
  }

  override delete(name: string): boolean {
    if (this.store?.raw('nodes', undefined, name)) this.store.delete('nodes', undefined, name);
    return super.delete(name);
  }
}

const MUTATING = new Set(['create', 'update', 'patch', 'delete', 'deletecollection']);

/** Access reviews are creates that change nothing. */
const REVIEWS = new Set(['selfsubjectaccessreviews', 'selfsubjectrulesreviews']);

/** Every folder a cluster of this process made: test/hygiene.ts checks that each is gone at the end of a run. */
export const emulatorFolders = new Set<string>();

export async function startCluster(opts: ClusterOptions = {}): Promise<Cluster> {
  const clock = new SimClock(opts.speed ?? 1);
  const store = new Store(() => clock.iso(), opts.watchHistory ?? 1000);
  const registry = buildRegistry({ kruise: opts.kruise ?? true, crrCrd: opts.crrCrd ?? true, crdDir: opts.crdDir, pubCrd: opts.pubCrd, rollouts: opts.rollouts });
  const faults = new FaultInjector(opts.seed ?? 1);
  const restartLog: RestartRecord[] = [];
  const sim: Sim = {
    store,
    clock,
    gates: { envFromMetadata: opts.envFromMetadataGate ?? true },
    nodes: new NodeMap(store, [0, 1, 2].map((i) => [`node-${i}`, { daemon: true }])),
    restartSeconds: opts.restartSeconds ?? 1,
    readySeconds: opts.readySeconds ?? 2,
    killDelaySeconds: opts.killDelaySeconds ?? 4,
    knobs: { failRestart: new Set(), neverReady: new Set(), readyDelay: new Map(), noEnvBinary: new Set(), missingOnNode: new Set(), frozenDaemon: new Set() },
    restartLog,
    instantReady: new Set(),
    unmanaged: new Set(),
    event(involved, type, reason, message) {
      const ts = clock.iso();
      store.create('events', {
        apiVersion: 'v1',
        kind: 'Event',
        metadata: { name: `${involved.metadata.name}.${randomBytes(8).toString('hex')}`, namespace: involved.metadata.namespace },
        involvedObject: { apiVersion: involved.apiVersion, kind: involved.kind, name: involved.metadata.name, namespace: involved.metadata.namespace, uid: involved.metadata.uid },
        reason,
        message,
        type,
        source: { component: 'cloneset-controller' },
        firstTimestamp: ts,
        lastTimestamp: ts,
        count: 1,
        reportingComponent: 'cloneset-controller',
      });
    },
  };
  const kubelet = new Kubelet(sim);
  const clonesets = new CloneSetController(sim);
  const crrs = new CrrController(sim, kubelet);
  const budgets = new BudgetController(sim, opts.disruptionController ?? true);
  const statefulsets = new AdvancedStatefulSetController(sim);
  const daemonsets = new AdvancedDaemonSetController(sim);
  const podReadiness = new PodReadinessController(sim);
  const history = new UnavailableTracker(store);
  const server = new ApiServer({
    store,
    registry,
    faults,
    now: () => clock.now(),
    isoNow: () => clock.iso(),
    admission: new KruiseAdmission(sim),
    latencyMs: opts.latencyMs ?? 0,
    port: opts.port ?? 0,
    bookmarkIntervalMs: opts.bookmarkIntervalMs,
  });
  const url = await server.listen();
  const token = server.addUser('admin', [{ verbs: ['*'], apiGroups: ['*'], resources: ['*'] }]);
  const defaultNs = opts.namespace ?? 'default';
  const createNamespace = (name: string) => {
    if (!store.raw('namespaces', undefined, name)) store.create('namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels: { 'kubernetes.io/metadata.name': name } }, spec: { finalizers: ['kubernetes'] }, status: { phase: 'Active' } });
  };
  for (const ns of new Set(['default', 'kube-system', defaultNs])) createNamespace(ns);
  const kubeDir = mkdtempSync(join(tmpdir(), 'kruise-emu-'));
  emulatorFolders.add(kubeDir);

  const writeKubeconfig: Cluster['writeKubeconfig'] = (o = {}) => {
    const user = o.user ?? 'admin';
    const path = o.path ?? join(kubeDir, `kubeconfig-${user}-${randomBytes(3).toString('hex')}`);
    mkdirSync(dirname(path), { recursive: true });
    const doc = {
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [{ name: 'emulated', cluster: { server: url, 'certificate-authority-data': Buffer.from(server.caPem).toString('base64') } }],
      users: [{ name: user, user: { token: o.token ?? token } }],
      contexts: [{ name: 'emulated', context: { cluster: 'emulated', user, namespace: o.namespace ?? defaultNs } }],
      'current-context': 'emulated',
      preferences: {},
    };
    writeFileSync(path, yaml.dump(doc), { mode: 0o600 });
    return path;
  };
  const kubeconfigPath = writeKubeconfig({ path: join(kubeDir, 'kubeconfig') });

  const busy = () => kubelet.busy() || clonesets.busy() || crrs.busy() || podReadiness.busy() || budgets.busy() || statefulsets.busy() || daemonsets.busy() || clock.pendingForeground() > 0;
  const ensureNodes = (n: number) => {
    let added = false;
    for (let i = 0; i < n; i++) {
      if (!sim.nodes.has(`node-${i}`)) {
        sim.nodes.set(`node-${i}`, { daemon: true, labels: { 'kubernetes.io/hostname': `node-${i}` } });
        added = true;
      }
    }
    if (added) daemonsets.nodesChanged();
  };
  /** Store a seeded workload through the webhooks, as `kubectl apply` would, and wait for its pods to settle. */
  const seedWorkload = async <T>(storage: string, obj: KObj, key: string, settled: (o: T) => boolean, pods: number): Promise<T> => {
    const def = registry.byStorage(storage);
    if (!def) throw new Error('seeding a Kruise workload needs OpenKruise installed (kruise: true)');
    const admission = new KruiseAdmission(sim);
    const admitted = admission.mutate('CREATE', def, obj, undefined);
    admission.validate('CREATE', def, admitted, undefined);
    sim.instantReady.add(key);
    store.create(storage, admitted);
    const [ns, name] = key.split('/');
    const created = await waitFor(() => {
      const o = store.raw(storage, ns, name) as unknown as T | undefined;
      return o && settled(o) ? o : undefined;
    }, Math.max(10_000, pods * 20), `${key} to settle`);
    sim.instantReady.delete(key);
    await cluster.whenIdle();
    return deepCopy(created);
  };
  const waitFor: Cluster['waitFor'] = async (predicate, timeoutMs = 10_000, what = 'condition') => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const v = predicate();
      if (v) return v;
      if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 5));
    }
  };

  const cluster: Cluster = {
    url,
    token,
    caPem: server.caPem,
    kubeconfigPath,
    writeKubeconfig,
    addUser: (name, rules) => server.addUser(name, rules),
    createNamespace,
    async seedCloneSet(s) {
      const ns = s.namespace ?? defaultNs;
      createNamespace(ns);
      const key = `${ns}/${s.name}`;
      clonesets.nodesFor.set(key, s.nodes ?? 3);
      for (let i = 0; i < (s.nodes ?? 3); i++) if (!sim.nodes.has(`node-${i}`)) sim.nodes.set(`node-${i}`, { daemon: true });
      sim.instantReady.add(key);
      const def = registry.byStorage(CLONESETS);
      if (!def) throw new Error('seedCloneSet needs OpenKruise installed (kruise: true)');
      const admission = new KruiseAdmission(sim);
      const obj = admission.mutate('CREATE', def, seedObject(s, ns) as unknown as KObj, undefined);
      admission.validate('CREATE', def, obj, undefined);
      store.create(CLONESETS, obj);
      const created = await waitFor(
        () => {
          const cs = store.raw(CLONESETS, ns, s.name) as unknown as CloneSet | undefined;
          const st = cs?.status;
          const want = cs?.spec.replicas ?? 0;
          if (!cs || !st || st.observedGeneration !== cs.metadata.generation || st.replicas !== want || st.updatedReadyReplicas !== want || st.availableReplicas !== want) return undefined;
          return cs;
        },
        Math.max(10_000, s.replicas * 10),
        `CloneSet ${key} to settle`,
      );
      sim.instantReady.delete(key);
      await cluster.whenIdle();
      history.reset(ns, s.name);
      return deepCopy(created);
    },
    async seedStatefulSet(s) {
      const ns = s.namespace ?? defaultNs;
      createNamespace(ns);
      const key = `${ns}/${s.name}`;
      statefulsets.nodesFor.set(key, s.nodes ?? 3);
      ensureNodes(s.nodes ?? 3);
      const created = await seedWorkload<AdvancedStatefulSet>(STATEFULSETS, statefulSetObject(s, ns), key, (o) => {
        const st = o.status as Record<string, number | undefined> | undefined;
        return !!st && st.observedGeneration === o.metadata.generation && st.replicas === s.replicas && (st.readyReplicas ?? 0) === s.replicas && (st.updatedReplicas ?? 0) === s.replicas;
      }, s.replicas);
      history.reset(ns, s.name, 'StatefulSet');
      return created;
    },
    async seedDaemonSet(s) {
      const ns = s.namespace ?? defaultNs;
      createNamespace(ns);
      const key = `${ns}/${s.name}`;
      ensureNodes(s.nodes ?? 3);
      const nodeCount = sim.nodes.size;
      const obj = daemonSetObject(s, ns);
      const finalType = s.rollingUpdateType ?? 'Standard';
      const gateless = s.podsWithoutGate;
      const settled = (o: AdvancedDaemonSet, want: number) => {
        const st = o.status as Record<string, number | undefined> | undefined;
        return !!st && st.observedGeneration === o.metadata.generation && st.desiredNumberScheduled === want && (st.numberReady ?? 0) === want && (st.updatedNumberScheduled ?? 0) === want;
      };
      if (!gateless || finalType !== 'InPlaceIfPossible') {
        const created = await seedWorkload<AdvancedDaemonSet>(DAEMONSETS, obj, key, (o) => settled(o, nodeCount), nodeCount);
        history.reset(ns, s.name, 'DaemonSet');
        return created;
      }
      // Pods first created under Standard (no gate); then the type switches to InPlaceIfPossible, which changes no
      // template, so those pods keep running without the gate. Nodes listed in podsWithoutGate get their pod then;
      // the others get theirs after the switch (with the gate).
      const onlySome = Array.isArray(gateless) ? new Set(gateless) : undefined;
      const ru = (obj.spec as AdvancedDaemonSet['spec']).updateStrategy!.rollingUpdate!;
      ru.rollingUpdateType = 'Standard';
      const later = onlySome ? [...sim.nodes.keys()].filter((n) => !onlySome.has(n)) : [];
      const saved = new Map(later.map((n) => [n, sim.nodes.get(n)!]));
      for (const n of later) sim.nodes.delete(n);
      await seedWorkload<AdvancedDaemonSet>(DAEMONSETS, obj as unknown as KObj, key, (o) => settled(o, nodeCount - later.length), nodeCount);
      const cur = store.raw(DAEMONSETS, ns, s.name) as unknown as AdvancedDaemonSet;
      const next = structuredClone(cur);
      next.spec.updateStrategy!.rollingUpdate!.rollingUpdateType = 'InPlaceIfPossible';
      next.metadata.generation = (cur.metadata.generation ?? 1) + 1;
      sim.instantReady.add(key);
      store.replace(DAEMONSETS, next as unknown as KObj);
      for (const [n, v] of saved) sim.nodes.set(n, v);
      daemonsets.nodesChanged();
      const done = await waitFor(() => {
        const o = store.raw(DAEMONSETS, ns, s.name) as unknown as AdvancedDaemonSet | undefined;
        return o && settled(o, nodeCount) ? o : undefined;
      }, 10_000, `${key} to settle`);
      sim.instantReady.delete(key);
      await cluster.whenIdle();
      history.reset(ns, s.name, 'DaemonSet');
      return deepCopy(done);
    },
    setNode(name, labels) {
      const prev = sim.nodes.get(name);
      sim.nodes.set(name, { daemon: prev?.daemon ?? true, labels: { 'kubernetes.io/hostname': name, ...labels } });
      daemonsets.nodesChanged();
    },
    get: <T>(resource: ResourceName, namespace: string, name: string) => {
      const o = store.raw(STORAGE_KEYS[resource], resource === 'namespaces' || resource === 'nodes' ? undefined : namespace, name);
      return o ? (deepCopy(o) as T) : undefined;
    },
    list: <T>(resource: ResourceName, namespace: string) => store.rawList(STORAGE_KEYS[resource], resource === 'namespaces' || resource === 'nodes' ? undefined : namespace).map((o) => deepCopy(o) as T),
    requests: server.requests,
    writes: () => server.requests.filter((r) => MUTATING.has(r.verb) && !REVIEWS.has(r.resource ?? '') && !r.dryRun && r.status >= 200 && r.status < 300),
    allWrites: () => server.requests.filter((r) => MUTATING.has(r.verb) && !REVIEWS.has(r.resource ?? '')),
    clearLog() {
      server.requests.length = 0;
      restartLog.length = 0;
    },
    restartLog,
    onChange: (fn) => store.subscribe((e) => fn({ type: e.type, resource: e.resource, object: e.object })),
    unavailableHistory: (ns, name, kind = 'CloneSet') => history.get(ns, name, kind),
    maxUnavailableSeen: (ns, name, kind = 'CloneSet') => Math.max(0, ...history.get(ns, name, kind)),
    faults,
    knobs: {
      failRestart: (pod, container) => sim.knobs.failRestart.add(`${pod}/${container}`),
      repairRestart: (pod, container) => sim.knobs.failRestart.delete(`${pod}/${container}`),
      neverReady: (pod) => {
        sim.knobs.neverReady.add(pod);
        kubelet.refreshKnobs(pod);
      },
      readyDelay: (pod, seconds) => sim.knobs.readyDelay.set(pod, seconds),
      noDaemonOnNode: (node) => sim.nodes.set(node, { ...sim.nodes.get(node), daemon: false }),
      missingOnNode: (pod, container) => sim.knobs.missingOnNode.add(`${pod}/${container}`),
      noEnvBinary: (container, pod) => {
        sim.knobs.noEnvBinary.add(pod ? `${pod}/${container}` : container);
        for (const p of sim.store.rawList('pods', undefined, () => true)) kubelet.markDirty(p.metadata.namespace ?? '', p.metadata.name ?? '');
      },
      frozenDaemon: (pod) => sim.knobs.frozenDaemon.add(pod),
      setGate: (on) => {
        sim.gates.envFromMetadata = on;
      },
    },
    clock,
    async whenIdle(timeoutMs = 30_000) {
      let quiet = 0;
      await waitFor(() => {
        quiet = busy() ? 0 : quiet + 1;
        return quiet >= 3;
      }, timeoutMs, 'the simulator to go idle');
    },
    waitFor,
    putUnmanaged(resource, obj) {
      const ns = obj.metadata.namespace ?? defaultNs;
      createNamespace(ns);
      sim.unmanaged.add(ns);
      const o = { ...obj, metadata: { ...obj.metadata, namespace: ns } } as unknown as KObj;
      const storage = STORAGE_KEYS[resource];
      if (store.raw(storage, ns, o.metadata.name ?? '')) store.replace(storage, o);
      else store.create(storage, o);
    },
    apply<T>(resource: ResourceName, obj: { metadata: { namespace?: string; name?: string } }): T {
      const ns = obj.metadata.namespace ?? defaultNs;
      createNamespace(ns);
      const storage = STORAGE_KEYS[resource];
      const existing = store.raw(storage, ns, obj.metadata.name ?? '');
      const generation = ((existing?.metadata as { generation?: number } | undefined)?.generation ?? 0) + 1;
      const o = { ...obj, metadata: { ...obj.metadata, namespace: ns, generation } } as unknown as KObj;
      return deepCopy(existing ? store.replace(storage, { ...o, status: (existing as { status?: unknown }).status } as KObj) : store.create(storage, o)) as T;
    },
    scale(ns, name, replicas) {
      const cs = store.raw(CLONESETS, ns, name) as unknown as CloneSet | undefined;
      if (!cs) throw new Error(`no CloneSet ${ns}/${name}`);
      const next = { ...cs, metadata: { ...cs.metadata, generation: (cs.metadata.generation ?? 1) + 1 }, spec: { ...cs.spec, replicas } };
      store.replace(CLONESETS, next as unknown as KObj);
    },
    compactHistory: () => store.compact(),
    async stop() {
      budgets.stop();
      kubelet.stop();
      clonesets.stop();
      crrs.stop();
      statefulsets.stop();
      daemonsets.stop();
      podReadiness.stop();
      clock.stop();
      await server.close();
      // The kubeconfigs in it carry bearer tokens: nothing of the cluster may outlive it.
      rmSync(kubeDir, { recursive: true, force: true });
    },
  };
  return cluster;
}

function seedObject(s: SeedCloneSet, ns: string): CloneSet {
  const names = s.containers ?? ['app'];
  const wired = s.triggerAnnotation ? new Set(s.wiredContainers ?? names) : new Set<string>();
  const template = (s.template as CloneSet['spec']['template'] | undefined) ?? {
    metadata: { labels: { app: s.name }, ...(s.triggerAnnotation && s.triggerAnnotationInTemplate !== false ? { annotations: { [s.triggerAnnotation]: '' } } : {}) },
    spec: {
      containers: names.map((n) => ({
        name: n,
        image: s.image ?? 'nginx:1.27',
        ...(wired.has(n)
          ? { env: [{ name: s.triggerEnv ?? PLUGIN.defaultTriggerEnv, valueFrom: { fieldRef: { fieldPath: `metadata.annotations['${s.triggerAnnotation}']` } } }] }
          : {}),
      })),
    },
  };
  const labels = template.metadata?.labels ?? { app: s.name };
  const us: Record<string, unknown> = {};
  if (s.strategy) us.type = s.strategy;
  if (s.maxUnavailable !== undefined) us.maxUnavailable = s.maxUnavailable;
  if (s.partition !== undefined) us.partition = s.partition;
  if (s.paused !== undefined) us.paused = s.paused;
  if (s.maxSurge !== undefined) us.maxSurge = s.maxSurge;
  return {
    apiVersion: 'apps.kruise.io/v1alpha1',
    kind: 'CloneSet',
    metadata: { name: s.name, namespace: ns, generation: 1, ...(s.ownerReferences ? { ownerReferences: s.ownerReferences } : {}), ...(s.labels ? { labels: s.labels } : {}) },
    spec: { replicas: s.replicas, selector: { matchLabels: labels }, template, updateStrategy: us, ...(s.extra as object) },
  };
}

/** After every pod change, how many of each workload's desired pods are not Running+Ready. */
class UnavailableTracker {
  private readonly available = new Map<string, Set<string>>();
  private readonly history = new Map<string, number[]>();
  private static readonly storage: Record<WorkloadKind, string> = { CloneSet: CLONESETS, StatefulSet: STATEFULSETS, DaemonSet: DAEMONSETS };

  constructor(private readonly store: Store) {
    store.subscribe((e) => {
      if (e.resource === 'pods') {
        const owner = (e.object as unknown as Pod).metadata.ownerReferences?.find((o) => o.controller && o.apiVersion.startsWith('apps.kruise.io/') && o.kind in UnavailableTracker.storage);
        if (!owner) return;
        const key = `${owner.kind}/${e.object.metadata.namespace}/${owner.name}`;
        let set = this.available.get(key);
        if (!set) this.available.set(key, (set = new Set()));
        const pod = e.object as unknown as Pod;
        const ok = e.type !== 'DELETED' && !pod.metadata.deletionTimestamp && pod.status?.phase === 'Running' && getCondition(pod, 'Ready')?.status === 'True';
        if (ok) set.add(pod.metadata.uid ?? '');
        else set.delete(pod.metadata.uid ?? '');
        this.record(key);
      } else if (e.type !== 'DELETED') {
        const kind = (Object.keys(UnavailableTracker.storage) as WorkloadKind[]).find((k) => UnavailableTracker.storage[k] === e.resource);
        if (kind) this.record(`${kind}/${e.object.metadata.namespace}/${e.object.metadata.name}`);
      }
    });
  }

  private desired(kind: WorkloadKind, ns: string, name: string): number | undefined {
    const o = this.store.raw(UnavailableTracker.storage[kind], ns, name) as unknown as { spec: { replicas?: number }; status?: { desiredNumberScheduled?: number } } | undefined;
    if (!o) return undefined;
    return kind === 'DaemonSet' ? o.status?.desiredNumberScheduled ?? 0 : o.spec.replicas ?? 1;
  }

  private record(key: string): void {
    const [kind, ns, name] = key.split('/') as [WorkloadKind, string, string];
    const want = this.desired(kind, ns, name);
    if (want === undefined) return;
    const value = Math.max(0, want - (this.available.get(key)?.size ?? 0));
    let h = this.history.get(key);
    if (!h) this.history.set(key, (h = []));
    if (h[h.length - 1] !== value) h.push(value);
  }

  reset(ns: string, name: string, kind: WorkloadKind = 'CloneSet'): void {
    const key = `${kind}/${ns}/${name}`;
    this.history.set(key, []);
    this.record(key);
  }

  get(ns: string, name: string, kind: WorkloadKind = 'CloneSet'): number[] {
    return [...(this.history.get(`${kind}/${ns}/${name}`) ?? [])];
  }
}

function containersFor(s: { name: string; containers?: string[]; triggerAnnotation?: string; triggerEnv?: string; wiredContainers?: string[]; image?: string }): PodTemplate['spec']['containers'] {
  const names = s.containers ?? ['app'];
  const wired = s.triggerAnnotation ? new Set(s.wiredContainers ?? names) : new Set<string>();
  return names.map((n) => ({
    name: n,
    image: s.image ?? 'nginx:1.27',
    ...(wired.has(n) ? { env: [{ name: s.triggerEnv ?? PLUGIN.defaultTriggerEnv, valueFrom: { fieldRef: { fieldPath: `metadata.annotations['${s.triggerAnnotation}']` } } }] } : {}),
  }));
}

function templateMetadata(s: { name: string; triggerAnnotation?: string; triggerAnnotationInTemplate?: boolean }): PodTemplate['metadata'] {
  return { labels: { app: s.name }, ...(s.triggerAnnotation && s.triggerAnnotationInTemplate !== false ? { annotations: { [s.triggerAnnotation]: '' } } : {}) };
}

/** The Advanced StatefulSet a seed describes, as the real tier creates it too. */
export function statefulSetObject(s: SeedStatefulSet, ns: string): KObj {
  const inPlace = s.podUpdatePolicy === 'InPlaceIfPossible' || s.podUpdatePolicy === 'InPlaceOnly';
  const gate = s.readinessGate ?? inPlace;
  const ru: Record<string, unknown> = {};
  if (s.podUpdatePolicy) ru.podUpdatePolicy = s.podUpdatePolicy;
  if (s.maxUnavailable !== undefined) ru.maxUnavailable = s.maxUnavailable;
  if (s.partition !== undefined) ru.partition = s.partition;
  if (s.paused !== undefined) ru.paused = s.paused;
  if (s.unorderedUpdate) ru.unorderedUpdate = {};
  return {
    apiVersion: 'apps.kruise.io/v1beta1',
    kind: 'StatefulSet',
    metadata: { name: s.name, namespace: ns, generation: 1 },
    spec: {
      replicas: s.replicas,
      serviceName: s.name,
      selector: { matchLabels: { app: s.name } },
      podManagementPolicy: s.podManagementPolicy ?? 'OrderedReady',
      template: { metadata: templateMetadata(s), spec: { containers: containersFor(s), ...(gate ? { readinessGates: [{ conditionType: KRUISE.inPlaceUpdateReady }] } : {}) } },
      updateStrategy: { type: 'RollingUpdate', rollingUpdate: ru },
      ...(s.extra as object),
    },
  };
}

/** The Advanced DaemonSet a seed describes, as the real tier creates it too. */
export function daemonSetObject(s: SeedDaemonSet, ns: string): KObj {
  const ru: Record<string, unknown> = { rollingUpdateType: s.rollingUpdateType ?? 'Standard' };
  if (s.maxUnavailable !== undefined) ru.maxUnavailable = s.maxUnavailable;
  if (s.maxSurge !== undefined) ru.maxSurge = s.maxSurge;
  if (s.partition !== undefined) ru.partition = s.partition;
  if (s.paused !== undefined) ru.paused = s.paused;
  if (s.nodeSelectorForUpdate) ru.selector = s.nodeSelectorForUpdate;
  return {
    apiVersion: 'apps.kruise.io/v1beta1',
    kind: 'DaemonSet',
    metadata: { name: s.name, namespace: ns, generation: 1 },
    spec: {
      selector: { matchLabels: { app: s.name } },
      template: { metadata: templateMetadata(s), spec: { restartPolicy: 'Always', containers: containersFor(s) } },
      updateStrategy: { type: 'RollingUpdate', rollingUpdate: ru },
      ...(s.extra as object),
    },
  };
}
