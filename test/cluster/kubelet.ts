// The node side: a kubelet per node (containers, readiness, pod status) and kruise-daemon's container-meta
// controller (runtime-containers-meta, env-from-metadata kills). The container runtime state lives here, outside the
// API objects, the way it lives in containerd on a real node.

import { type SimTimer } from './clock';
import { type KObj } from './store';
import { containerId, envHash, fnv32a, canonical, getCondition, metadataEnvRefs, resolveMetadataEnv, type Sim, withCondition } from './sim';
import { KRUISE, type Condition, type ContainerStatus, type Pod } from '../../src/kruise/types';
import { WorkQueue } from './workqueue';

export const RUNTIME_META = 'apps.kruise.io/runtime-containers-meta';

export interface RuntimeContainer {
  name: string;
  id: string;
  restartCount: number;
  startedAt: number;
  running: boolean;
  ready: boolean;
  image: string;
  imageID: string;
  env: Record<string, string>;
  plainHash: number;
  lastTerminatedAt?: number;
  /** The termination before lastTerminatedAt: what lastState shows while the container is down again. */
  previousTerminatedAt?: number;
  timer?: SimTimer;
}

interface RuntimePod {
  uid: string;
  namespace: string;
  name: string;
  ip: string;
  startTime: string;
  containers: Map<string, RuntimeContainer>;
}

export class Kubelet {
  private readonly pods = new Map<string, RuntimePod>();
  /** Env-triggered kills scheduled but not done yet (pod uid/container). */
  private readonly pendingKills = new Set<string>();
  private readonly queue: WorkQueue;
  private ipCounter = 0;

  constructor(private readonly sim: Sim) {
    this.queue = new WorkQueue('kubelet', (ns) => sim.unmanaged.has(ns), (ns, name) => {
      const pod = this.sim.store.raw('pods', ns, name) as Pod | undefined;
      if (pod) this.sync(pod);
    });
    sim.store.subscribe((e) => {
      if (e.resource !== 'pods') return;
      if (e.type === 'DELETED') {
        const rp = this.pods.get(e.object.metadata.uid ?? '');
        for (const c of rp?.containers.values() ?? []) c.timer?.cancel();
        this.pods.delete(e.object.metadata.uid ?? '');
        return;
      }
      this.markDirty(e.object.metadata.namespace ?? '', e.object.metadata.name ?? '');
    });
  }

  stop(): void {
    this.queue.stop();
  }

  runtime(uid: string): RuntimePod | undefined {
    return this.pods.get(uid);
  }

  busy(): boolean {
    return this.queue.busy();
  }

  markDirty(namespace: string, name: string): void {
    this.queue.add(namespace, name);
  }

  /** Kill a container (CRI StopContainer); the kubelet starts a new one after restartSeconds. */
  kill(pod: Pod, container: string, cause: 'inplace' | 'crr'): { error?: string } {
    if (this.sim.knobs.failRestart.has(`${pod.metadata.name}/${container}`)) {
      return { error: `kill container error: rpc error: code = Unknown desc = failed to stop container "${container}": simulated runtime failure` };
    }
    const rp = this.pods.get(pod.metadata.uid ?? '');
    const c = rp?.containers.get(container);
    if (!rp || !c) return { error: 'not found container on Node' };
    if (!c.running) return {};
    c.timer?.cancel();
    c.running = false;
    c.ready = false;
    c.previousTerminatedAt = c.lastTerminatedAt;
    c.lastTerminatedAt = this.sim.clock.now();
    this.sim.restartLog.push({ at: c.lastTerminatedAt, namespace: rp.namespace, pod: rp.name, uid: rp.uid, container, cause });
    c.timer = this.sim.clock.after(this.sim.restartSeconds * 1000, () => {
      const live = this.sim.store.raw('pods', rp.namespace, rp.name) as Pod | undefined;
      if (!live || live.metadata.uid !== rp.uid) return;
      this.start(rp, live, container, c.restartCount + 1);
      this.markDirty(rp.namespace, rp.name);
    });
    this.markDirty(rp.namespace, rp.name);
    return {};
  }

  private start(rp: RuntimePod, pod: Pod, name: string, restartCount: number): RuntimeContainer {
    const spec = pod.spec.containers.find((c) => c.name === name)!;
    const prev = rp.containers.get(name);
    const image = spec.image ?? '';
    const c: RuntimeContainer = {
      name,
      id: containerId(),
      restartCount,
      startedAt: this.sim.clock.now(),
      running: true,
      ready: false,
      image,
      imageID: `docker.io/library/${image.split(':')[0]}@sha256:${fnv32a(image).toString(16).padStart(8, '0').repeat(8)}`,
      env: resolveMetadataEnv(spec, pod.metadata),
      plainHash: fnv32a(canonical({ ...spec, env: spec.env })),
      lastTerminatedAt: prev?.lastTerminatedAt,
    };
    rp.containers.set(name, c);
    this.scheduleReady(rp, c, pod);
    return c;
  }

  private scheduleReady(rp: RuntimePod, c: RuntimeContainer, pod: Pod): void {
    const { knobs } = this.sim;
    if (knobs.neverReady.has(rp.name)) return;
    const owner = pod.metadata.ownerReferences?.find((o) => o.controller);
    const instant = owner && this.sim.instantReady.has(`${rp.namespace}/${owner.name}`);
    const delay = instant ? 0 : (knobs.readyDelay.get(rp.name) ?? this.sim.readySeconds);
    const ready = () => {
      c.ready = true;
      this.markDirty(rp.namespace, rp.name);
    };
    if (delay <= 0) c.ready = true;
    else c.timer = this.sim.clock.after(delay * 1000, ready);
  }

  /** Re-evaluate readiness now (knobs changed). */
  refreshKnobs(podName: string): void {
    for (const rp of this.pods.values()) {
      if (rp.name !== podName) continue;
      const pod = this.sim.store.raw('pods', rp.namespace, rp.name) as Pod | undefined;
      for (const c of rp.containers.values()) {
        if (this.sim.knobs.neverReady.has(podName)) {
          c.timer?.cancel();
          c.ready = false;
        } else if (c.running && !c.ready && pod) {
          c.timer?.cancel();
          this.scheduleReady(rp, c, pod);
        }
      }
      this.markDirty(rp.namespace, rp.name);
    }
  }

  private sync(pod: Pod): void {
    if (!pod.spec.nodeName || pod.metadata.deletionTimestamp) return;
    const uid = pod.metadata.uid ?? '';
    let rp = this.pods.get(uid);
    if (!rp) {
      this.ipCounter++;
      rp = {
        uid,
        namespace: pod.metadata.namespace ?? '',
        name: pod.metadata.name ?? '',
        ip: `10.244.${(this.ipCounter >> 8) & 255}.${this.ipCounter & 255}`,
        startTime: this.sim.clock.iso(),
        containers: new Map(),
      };
      this.pods.set(uid, rp);
      for (const c of pod.spec.containers) this.start(rp, pod, c.name, 0);
    }
    // The kubelet restarts a container whose image changed in the spec (in-place image update).
    for (const spec of pod.spec.containers) {
      const c = rp.containers.get(spec.name);
      if (c && c.running && spec.image !== undefined && spec.image !== c.image) this.kill(pod, spec.name, 'inplace');
    }
    const node = this.sim.nodes.get(pod.spec.nodeName);
    const daemon = node?.daemon !== false && isKruiseOwned(pod) && !this.sim.knobs.frozenDaemon.has(pod.metadata.name ?? '');
    if (daemon && this.sim.gates.envFromMetadata && getCondition(pod, KRUISE.inPlaceUpdateReady)?.status === 'False') this.envKills(pod, rp);
    // The kubelet and kruise-daemon are two processes: the status and the runtime meta are two writes, the kubelet's
    // first (the daemon reacts to the new container ID it reports), as a watcher of a real node sees them.
    let current = pod;
    const status = this.podStatus(pod, rp);
    if (!sameStatus(status, pod.status)) current = this.sim.store.replace('pods', { ...(pod as unknown as KObj), status }) as unknown as Pod;
    if (daemon) {
      const annotations = this.containerMeta(current, rp);
      if (annotations !== current.metadata.annotations) this.sim.store.replace('pods', { ...(current as unknown as KObj), metadata: { ...current.metadata, annotations } });
    }
  }

  /** kruise-daemon: record what actually runs (container IDs and env hashes) for the controller's completion check. */
  private containerMeta(pod: Pod, rp: RuntimePod): Record<string, string> | undefined {
    // An exited container keeps its entry until its successor runs: the daemon matches the runtime's latest container
    // for each name by ID (container_meta_controller.go manageContainerMetaSet), so a kill alone changes nothing.
    const containers = [...rp.containers.values()]
      .map((c) => {
        // The env hash comes from running `env` in the container; when that fails it stays 0, which Go leaves out.
        const hash = this.envUnreadable(rp.name, c.name) ? 0 : envHash(c.env);
        return { name: c.name, containerID: c.id, restartCount: c.restartCount, hashes: { plainHash: c.plainHash, ...(hash ? { extractedEnvFromMetadataHash: hash } : {}) } };
      });
    const value = JSON.stringify({ containers });
    if (pod.metadata.annotations?.[RUNTIME_META] === value) return pod.metadata.annotations;
    return { ...pod.metadata.annotations, [RUNTIME_META]: value };
  }

  private envUnreadable(pod: string, container: string): boolean {
    const { noEnvBinary } = this.sim.knobs;
    return noEnvBinary.has(container) || noEnvBinary.has(`${pod}/${container}`);
  }

  /**
   * kruise-daemon: while InPlaceUpdateReady=False, kill containers whose env no longer matches pod metadata, after
   * the daemon's own latency (killDelaySeconds), re-checking then.
   */
  private envKills(pod: Pod, rp: RuntimePod): void {
    for (const spec of pod.spec.containers) {
      if (!this.envMismatch(pod, rp, spec.name)) continue;
      const key = `${rp.uid}/${spec.name}`;
      if (this.pendingKills.has(key)) continue;
      this.pendingKills.add(key);
      this.sim.clock.after(this.sim.killDelaySeconds * 1000, () => {
        this.pendingKills.delete(key);
        const live = this.sim.store.raw('pods', rp.namespace, rp.name) as Pod | undefined;
        if (!live || live.metadata.uid !== rp.uid || !this.sim.gates.envFromMetadata) return;
        if (getCondition(live, KRUISE.inPlaceUpdateReady)?.status !== 'False') return;
        if (this.sim.nodes.get(live.spec.nodeName ?? '')?.daemon === false || this.sim.knobs.frozenDaemon.has(rp.name)) return;
        if (this.envMismatch(live, rp, spec.name)) this.kill(live, spec.name, 'inplace');
      });
    }
  }

  private envMismatch(pod: Pod, rp: RuntimePod, container: string): boolean {
    const spec = pod.spec.containers.find((c) => c.name === container);
    if (!spec || !metadataEnvRefs(spec).length) return false;
    const c = rp.containers.get(container);
    if (!c || !c.running) return false;
    // Kill only on a known hash that differs (container_meta_controller.go): an unreadable env is never restarted.
    const actual = this.envUnreadable(rp.name, container) ? 0 : envHash(c.env);
    return actual !== 0 && actual !== envHash(resolveMetadataEnv(spec, pod.metadata));
  }

  private podStatus(pod: Pod, rp: RuntimePod): NonNullable<Pod['status']> {
    const now = this.sim.clock.iso();
    const statuses: ContainerStatus[] = pod.spec.containers.map((spec) => {
      const c = rp.containers.get(spec.name)!;
      return {
        name: c.name,
        state: c.running ? { running: { startedAt: this.sim.clock.iso(c.startedAt) } } : { terminated: { exitCode: 137, reason: 'Error', finishedAt: this.sim.clock.iso(c.lastTerminatedAt) } },
        // While a restarted container is down again, the kubelet still shows the termination before this one.
        lastState: c.running
          ? c.restartCount > 0
            ? { terminated: { exitCode: 137, reason: 'Error', finishedAt: this.sim.clock.iso(c.lastTerminatedAt) } }
            : {}
          : c.restartCount > 0 && c.previousTerminatedAt !== undefined
            ? { terminated: { exitCode: 137, reason: 'Error', finishedAt: this.sim.clock.iso(c.previousTerminatedAt) } }
            : {},
        ready: c.running && c.ready,
        restartCount: c.restartCount,
        image: c.image,
        imageID: c.imageID,
        containerID: c.id,
        started: c.running,
      } as ContainerStatus;
    });
    const unready = statuses.filter((s) => !s.ready).map((s) => s.name);
    let conds = pod.status?.conditions ?? [];
    const set = (type: string, ok: boolean, reason?: string, message?: string) => {
      const cond: Condition = { type, status: ok ? 'True' : 'False', lastTransitionTime: now, ...(ok ? {} : { reason, message }) };
      (cond as Condition & { lastProbeTime: null }).lastProbeTime = null;
      conds = withCondition(conds, cond);
    };
    set('PodReadyToStartContainers', true);
    set('Initialized', true);
    set('ContainersReady', unready.length === 0, 'ContainersNotReady', `containers with unready status: [${unready.join(' ')}]`);
    const gatesFalse = (pod.spec.readinessGates ?? []).filter((g) => conds.find((c) => c.type === g.conditionType)?.status !== 'True');
    if (unready.length) set('Ready', false, 'ContainersNotReady', `containers with unready status: [${unready.join(' ')}]`);
    else if (gatesFalse.length) {
      // The kubelet names every gate that holds the pod, in spec order (pkg/kubelet/status/generate.go).
      const why = gatesFalse.map(({ conditionType: g }) => {
        const st = conds.find((c) => c.type === g)?.status;
        return st ? `the status of pod readiness gate "${g}" is not "True", but ${st}` : `corresponding condition of pod readiness gate "${g}" does not exist.`;
      });
      set('Ready', false, 'ReadinessGatesNotReady', why.join(', '));
    } else set('Ready', true);
    set('PodScheduled', true);
    return {
      ...pod.status,
      phase: 'Running',
      conditions: conds,
      hostIP: '192.168.0.' + (Number(pod.spec.nodeName?.replace(/\D/g, '') || 0) + 10),
      podIP: rp.ip,
      podIPs: [{ ip: rp.ip }],
      startTime: rp.startTime,
      containerStatuses: statuses,
      qosClass: 'BestEffort',
    };
  }
}

function isKruiseOwned(pod: Pod): boolean {
  return !!pod.metadata.ownerReferences?.some((o) => o.controller && o.apiVersion.startsWith('apps.kruise.io/'));
}

function sameStatus(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}
