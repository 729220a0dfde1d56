// ContainerRecreateRequests: the manager-side controller (pod gone, deadlines, 60 s no-daemon timeout, readiness
// hold for unreadyGracePeriodSeconds, active label, TTL) and the kruise-daemon side (queueing per pod, phases, kills,
// per-container success rules).

import type { SimTimer } from './clock';
import type { Kubelet } from './kubelet';
import { CRRS } from './resources';
import type { KObj } from './store';
import { getCondition, type Sim, withCondition } from './sim';
import { KRUISE, type ContainerRecreateRequest, type Pod } from '../../src/kruise/types';
import { WorkQueue } from './workqueue';

const UNREADY = 'crr.apps.kruise.io/unready-acquired';
const SYNC_STATUSES = 'crr.apps.kruise.io/sync-container-statuses';
const NO_DAEMON_TIMEOUT_MS = 60_000;
type States = NonNullable<NonNullable<ContainerRecreateRequest['status']>['containerRecreateStates']>;

export class CrrController {
  private readonly queue: WorkQueue;
  private readonly byPod = new Map<string, Set<string>>();
  private readonly timers = new Map<string, SimTimer>();

  constructor(
    private readonly sim: Sim,
    private readonly kubelet: Kubelet,
  ) {
    this.queue = new WorkQueue('crr', (ns) => sim.unmanaged.has(ns), (ns, name) => this.reconcile(ns, name));
    sim.store.subscribe((e) => {
      if (e.resource === CRRS) {
        const k = `${e.object.metadata.namespace}/${e.object.metadata.name}`;
        const uid = e.object.metadata.labels?.[KRUISE.crrPodUidLabel] ?? e.prev?.metadata.labels?.[KRUISE.crrPodUidLabel];
        if (uid) {
          let set = this.byPod.get(uid);
          if (!set) this.byPod.set(uid, (set = new Set()));
          if (e.type === 'DELETED') set.delete(k);
          else set.add(k);
        }
        if (e.type === 'DELETED') {
          this.timers.get(k)?.cancel();
          this.releasePod(e.object as unknown as ContainerRecreateRequest);
          // Siblings waiting in Pending may run now.
          for (const s of this.byPod.get(uid ?? '') ?? []) this.markDirty(s);
          return;
        }
        this.markDirty(k);
      } else if (e.resource === 'pods') {
        for (const k of this.byPod.get(e.object.metadata.uid ?? '') ?? []) this.markDirty(k);
      }
    });
  }

  stop(): void {
    this.queue.stop();
    for (const t of this.timers.values()) t.cancel();
  }

  busy(): boolean {
    return this.queue.busy();
  }

  private markDirty(k: string): void {
    const slash = k.indexOf('/');
    this.queue.add(k.slice(0, slash), k.slice(slash + 1));
  }

  private requeue(k: string, afterMs: number): void {
    this.timers.get(k)?.cancel();
    if (!Number.isFinite(afterMs)) return;
    this.timers.set(k, this.sim.clock.after(Math.max(afterMs, 1), () => this.markDirty(k), afterMs > 5000));
  }

  private write(crr: ContainerRecreateRequest, next: ContainerRecreateRequest): void {
    if (JSON.stringify(next) === JSON.stringify(crr)) return;
    this.sim.store.replace(CRRS, next as unknown as KObj);
  }

  /**
   * The manager's CRR controller and kruise-daemon's, as real Kruise runs them: each pass makes at most one write and
   * the write's own event brings the next pass, so a watcher sees the same writes in the same order as on a real
   * cluster (phase, finalizer, unready hold, container states, status snapshot, success, completion, release, label).
   */
  private reconcile(ns: string, name: string): void {
    const k = `${ns}/${name}`;
    const crr = this.sim.store.raw(CRRS, ns, name) as unknown as ContainerRecreateRequest | undefined;
    if (!crr) return;
    const now = this.sim.clock.now();
    const status = crr.status ?? { phase: '' as const };
    // Manager, finished or deleted (crr_controller.go): release the pod, drop the finalizer, then the active label.
    if (crr.metadata.deletionTimestamp || status.completionTime) {
      this.releasePod(crr);
      if (crr.metadata.finalizers?.includes(UNREADY)) {
        const finalizers = crr.metadata.finalizers.filter((f) => f !== UNREADY);
        const metadata = { ...crr.metadata, finalizers };
        if (!finalizers.length) delete (metadata as { finalizers?: string[] }).finalizers;
        return this.write(crr, { ...crr, metadata });
      }
      if (crr.metadata.deletionTimestamp) return;
      return this.afterCompletion(crr, k, now);
    }

    const complete = (message: string) =>
      this.write(crr, { ...crr, status: { ...status, phase: 'Completed', completionTime: this.sim.clock.iso(now), ...(message ? { message } : {}) } });

    const pod = this.sim.store.raw('pods', ns, crr.spec.podName) as Pod | undefined;
    if (!pod || pod.metadata.deletionTimestamp || pod.metadata.uid !== crr.metadata.labels?.[KRUISE.crrPodUidLabel]) return complete('pod has gone');
    const created = Date.parse(crr.metadata.creationTimestamp ?? '');
    let nextCheck = Infinity;
    if (crr.spec.activeDeadlineSeconds !== undefined) {
      const deadline = created + crr.spec.activeDeadlineSeconds * 1000;
      if (now >= deadline) return complete('recreating has exceeded the activeDeadlineSeconds');
      nextCheck = deadline - now;
    }
    const daemon = this.sim.nodes.get(pod.spec.nodeName ?? '')?.daemon !== false;
    if (!daemon) {
      if (!status.phase) {
        const due = created + NO_DAEMON_TIMEOUT_MS;
        if (now >= due) return complete('daemon has not responded for a long time');
        nextCheck = Math.min(nextCheck, due - now);
      }
      return this.requeue(k, nextCheck);
    }

    // kruise-daemon: one CRR per pod at a time.
    const order = { Completed: 0, Recreating: 1, Pending: 2, '': 3 } as const;
    const siblings = [...(this.byPod.get(pod.metadata.uid ?? '') ?? [])]
      .map((s) => this.sim.store.raw(CRRS, ...(s.split('/') as [string, string])) as unknown as ContainerRecreateRequest | undefined)
      .filter((c): c is ContainerRecreateRequest => !!c && c.status?.phase !== 'Completed' && !c.metadata.deletionTimestamp)
      .sort((a, b) => order[a.status?.phase ?? ''] - order[b.status?.phase ?? ''] || (a.metadata.creationTimestamp ?? '').localeCompare(b.metadata.creationTimestamp ?? '') || (a.metadata.name ?? '').localeCompare(b.metadata.name ?? ''));
    if (siblings[0] && siblings[0].metadata.name !== crr.metadata.name) {
      if (status.phase !== 'Pending') this.write(crr, { ...crr, status: { ...status, phase: 'Pending' } });
      return this.requeue(k, nextCheck);
    }
    // The daemon's first write is the phase alone (updateCRRPhase); container states come later.
    if (status.phase !== 'Recreating') return this.write(crr, { ...crr, status: { ...status, phase: 'Recreating' } });

    const rp = this.kubelet.runtime(pod.metadata.uid ?? '');
    const strategy = crr.spec.strategy ?? {};

    // Manager: the snapshot of the target containers running since the request was made (containerStatusSnapshot,
    // served in v1alpha1 as this annotation); kept as it was while no such container runs.
    const synced = crr.spec.containers
      .map((x) => pod.status?.containerStatuses?.find((s) => s.name === x.name))
      .filter((s): s is NonNullable<typeof s> => !!s?.state?.running && Date.parse(String((s.state.running as { startedAt?: string }).startedAt ?? '')) >= Math.floor(created / 1000) * 1000)
      .map((s) => ({ name: s.name, ready: !!s.ready, restartCount: s.restartCount ?? 0, containerID: s.containerID }));
    if (synced.length && JSON.stringify(synced) !== crr.metadata.annotations?.[SYNC_STATUSES]) {
      return this.write(crr, { ...crr, metadata: { ...crr.metadata, annotations: { ...crr.metadata.annotations, [SYNC_STATUSES]: JSON.stringify(synced) } } });
    }

    // Manager: hold the pod NotReady before the daemon may kill (unreadyGracePeriodSeconds): finalizer, pod, mark.
    if (strategy.unreadyGracePeriodSeconds !== undefined) {
      const acquired = crr.metadata.annotations?.[UNREADY];
      if (!acquired) {
        const gated = pod.spec.readinessGates?.some((g) => g.conditionType === KRUISE.kruisePodReady);
        if (gated && !crr.metadata.finalizers?.includes(UNREADY)) return this.write(crr, { ...crr, metadata: { ...crr.metadata, finalizers: [...(crr.metadata.finalizers ?? []), UNREADY] } });
        this.holdPod(pod, crr);
        return this.write(crr, { ...crr, metadata: { ...crr.metadata, annotations: { ...crr.metadata.annotations, [UNREADY]: this.sim.clock.iso(now) } } });
      }
      const wait = Date.parse(acquired) + strategy.unreadyGracePeriodSeconds * 1000 - now;
      if (wait > 0) return this.requeue(k, Math.min(nextCheck, wait));
    }

    // kruise-daemon (crr_daemon_util.go getCurrentCRRContainersRecreateStates): what the runtime shows now.
    let snapshot: { name: string; ready: boolean; containerID?: string }[] = [];
    try {
      snapshot = JSON.parse(crr.metadata.annotations?.[SYNC_STATUSES] ?? '[]') as typeof snapshot;
    } catch {
      snapshot = [];
    }
    const minStartedMs = (strategy.minStartedSeconds ?? 0) * 1000;
    const previous = status.containerRecreateStates ?? [];
    const states: States = crr.spec.containers.map((c) => {
      const prev = previous.find((s) => s.name === c.name);
      if (prev && (prev.phase === 'Failed' || prev.phase === 'Succeeded')) return { ...prev };
      const killed = prev?.isKilled ? { isKilled: true } : {};
      const rc = this.sim.knobs.missingOnNode.has(`${pod.metadata.name}/${c.name}`) ? undefined : rp?.containers.get(c.name);
      if (!rc) return { name: c.name, phase: 'Pending', ...killed, message: 'not found container on Node' };
      if (!rc.running) return { name: c.name, phase: 'Recreating', ...killed };
      if (strategy.forceRecreate && !prev?.isKilled) return { name: c.name, phase: 'Pending' };
      const ctx = c.statusContext;
      if (ctx && (rc.id !== ctx.containerID || rc.restartCount > ctx.restartCount)) {
        const seen = snapshot.find((s) => s.name === c.name);
        const age = now - rc.startedAt;
        if (age <= minStartedMs) nextCheck = Math.min(nextCheck, minStartedMs - age + 1);
        return { name: c.name, phase: seen && seen.containerID === rc.id && seen.ready && age > minStartedMs ? 'Succeeded' : 'Recreating', ...killed };
      }
      return { name: c.name, phase: 'Pending', ...killed };
    });
    if (JSON.stringify(states) !== JSON.stringify(previous)) return this.write(crr, { ...crr, status: { ...status, containerRecreateStates: states } });

    // kruise-daemon (crr_daemon_controller.go manage): kill the next pending container, one per pass.
    let completed = 0;
    for (let i = 0; i < states.length; i++) {
      const s = states[i];
      if (s.phase === 'Succeeded') {
        completed++;
        continue;
      }
      if (s.phase === 'Failed') {
        completed++;
        if (strategy.failurePolicy === 'Ignore') continue;
        return complete('');
      }
      if (s.phase === 'Recreating') {
        states[i] = { ...s, isKilled: true };
        if (strategy.orderedRecreate) break;
        continue;
      }
      if (!rp?.containers.get(s.name) || this.sim.knobs.missingOnNode.has(`${pod.metadata.name}/${s.name}`)) break;
      const res = this.kubelet.kill(pod, s.name, 'crr');
      if (res.error) {
        states[i] = { ...s, phase: 'Failed', message: res.error };
        if (strategy.failurePolicy === 'Ignore') continue;
        return this.write(crr, { ...crr, status: { ...status, containerRecreateStates: states } });
      }
      states[i] = { name: s.name, phase: 'Recreating', isKilled: true };
      break;
    }
    if (JSON.stringify(states) !== JSON.stringify(previous)) return this.write(crr, { ...crr, status: { ...status, containerRecreateStates: states } });
    if (completed === states.length) return complete('');
    this.requeue(k, Math.min(nextCheck, 1000));
  }

  private afterCompletion(crr: ContainerRecreateRequest, k: string, now: number): void {
    if (KRUISE.crrActiveLabel in (crr.metadata.labels ?? {})) {
      const labels = { ...crr.metadata.labels };
      delete labels[KRUISE.crrActiveLabel];
      return this.write(crr, { ...crr, metadata: { ...crr.metadata, labels } });
    }
    const ttl = crr.spec.ttlSecondsAfterFinished;
    if (ttl === undefined) return;
    const due = Date.parse(crr.status?.completionTime ?? '') + ttl * 1000;
    if (now >= due) this.sim.store.delete(CRRS, crr.metadata.namespace, crr.metadata.name ?? '');
    else this.requeue(k, due - now);
  }

  private holderKey(crr: ContainerRecreateRequest): string {
    return `${crr.metadata.namespace}/${crr.metadata.name}`;
  }

  /** KruisePodReady=False with this CRR as a holder (and Ready=False while containers are ready). */
  private holdPod(pod: Pod, crr: ContainerRecreateRequest): void {
    if (!pod.spec.readinessGates?.some((g) => g.conditionType === KRUISE.kruisePodReady)) return;
    const holders = this.holders(pod).filter((h) => h.key !== this.holderKey(crr));
    holders.push({ userAgent: 'ContainerRecreateRequest', key: this.holderKey(crr) });
    const now = this.sim.clock.iso();
    let conds = withCondition(pod.status?.conditions, { type: KRUISE.kruisePodReady, status: 'False', message: JSON.stringify(holders), lastTransitionTime: now });
    if (getCondition(pod, 'ContainersReady')?.status === 'True') {
      conds = withCondition(conds, { type: 'Ready', status: 'False', reason: 'ReadinessGatesNotReady', message: `the status of pod readiness gate "${KRUISE.kruisePodReady}" is not "True", but False`, lastTransitionTime: now });
    }
    this.sim.store.replace('pods', { ...(pod as unknown as KObj), status: { ...pod.status, conditions: conds } });
  }

  private holders(pod: Pod): Array<{ userAgent: string; key: string }> {
    const c = getCondition(pod, KRUISE.kruisePodReady);
    if (c?.status !== 'False' || !c.message) return [];
    try {
      return JSON.parse(c.message) as Array<{ userAgent: string; key: string }>;
    } catch {
      return [];
    }
  }

  private releasePod(crr: ContainerRecreateRequest): void {
    if (!crr.metadata.annotations?.[UNREADY]) return;
    const pod = this.sim.store.raw('pods', crr.metadata.namespace, crr.spec.podName) as Pod | undefined;
    if (!pod) return;
    const before = this.holders(pod);
    if (!before.some((h) => h.key === this.holderKey(crr))) return;
    const holders = before.filter((h) => h.key !== this.holderKey(crr));
    const now = this.sim.clock.iso();
    const cond = holders.length
      ? { type: KRUISE.kruisePodReady, status: 'False' as const, message: JSON.stringify(holders), lastTransitionTime: now }
      : { type: KRUISE.kruisePodReady, status: 'True' as const, lastTransitionTime: now };
    this.sim.store.replace('pods', { ...(pod as unknown as KObj), status: { ...pod.status, conditions: withCondition(pod.status?.conditions, cond) } });
  }
}
