// ContainerRecreateRequests: the manager-side controller (pod gone, deadlines, 60 s no-daemon timeout, readiness
// hold for unreadyGracePeriodSeconds, active label, TTL) and the kruise-daemon side (queueing per pod, phases, kills,
// per-container success rules).

import type { SimTimer } from './clock';
import type { Kubelet } from './kubelet';
import { CRRS } from './resources';
import type { KObj } from './store';
import { getCondition, type Sim, withCondition } from './sim';
import { KRUISE, type ContainerRecreateRequest, type CrrContainerPhase, type Pod } from '../../src/kruise/types';
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

  private reconcile(ns: string, name: string): void {
    const k = `${ns}/${name}`;
    const crr = this.sim.store.raw(CRRS, ns, name) as unknown as ContainerRecreateRequest | undefined;
    if (!crr) return;
    const now = this.sim.clock.now();
    const status = crr.status ?? { phase: '' as const };
    if (crr.metadata.deletionTimestamp) {
      this.releasePod(crr);
      return this.write(crr, { ...crr, metadata: { ...crr.metadata, finalizers: crr.metadata.finalizers?.filter((f) => f !== UNREADY) } });
    }
    if (status.phase === 'Completed') return this.afterCompletion(crr, k, now);

    const complete = (message: string, states = status.containerRecreateStates) =>
      this.write(crr, { ...crr, status: { ...status, phase: 'Completed', completionTime: this.sim.clock.iso(now), message, ...(states ? { containerRecreateStates: states } : {}) } });

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
    if (status.phase !== 'Recreating') {
      const states: States = crr.spec.containers.map((c) => ({ name: c.name, phase: 'Pending' as CrrContainerPhase }));
      return this.write(crr, { ...crr, status: { ...status, phase: 'Recreating', containerRecreateStates: states } });
    }

    // Manager: hold the pod NotReady before the daemon may kill (unreadyGracePeriodSeconds).
    const strategy = crr.spec.strategy ?? {};
    if (strategy.unreadyGracePeriodSeconds !== undefined) {
      const acquired = crr.metadata.annotations?.[UNREADY];
      if (!acquired) {
        this.holdPod(pod, crr);
        return this.write(crr, {
          ...crr,
          metadata: { ...crr.metadata, finalizers: [...new Set([...(crr.metadata.finalizers ?? []), UNREADY])], annotations: { ...crr.metadata.annotations, [UNREADY]: this.sim.clock.iso(now) } },
        });
      }
      const wait = Date.parse(acquired) + strategy.unreadyGracePeriodSeconds * 1000 - now;
      if (wait > 0) return this.requeue(k, Math.min(nextCheck, wait));
    }

    const rp = this.kubelet.runtime(pod.metadata.uid ?? '');
    const states: States = (status.containerRecreateStates ?? []).map((s) => ({ ...s }));
    const minStartedMs = (strategy.minStartedSeconds ?? 0) * 1000;
    let killed = false;
    for (let i = 0; i < states.length; i++) {
      const s = states[i];
      const ctx = crr.spec.containers.find((c) => c.name === s.name)?.statusContext;
      const rc = this.sim.knobs.missingOnNode.has(`${pod.metadata.name}/${s.name}`) ? undefined : rp?.containers.get(s.name);
      // A different container instance, or a higher restartCount, than the webhook's snapshot.
      const restartedSinceCtx = !!rc && !!ctx && (rc.id !== ctx.containerID || rc.restartCount > ctx.restartCount);
      if (s.phase === 'Succeeded' || s.phase === 'Failed') continue;
      if (s.phase === 'Pending') {
        if (strategy.orderedRecreate && states.slice(0, i).some((p) => p.phase !== 'Succeeded' && !(p.phase === 'Failed' && strategy.failurePolicy === 'Ignore'))) break;
        if (!rc) {
          // crr_daemon_util.go: the state stays Pending with this message and the request stays Recreating; only
          // activeDeadlineSeconds (checked above) ends it.
          states[i] = { ...s, phase: 'Pending', message: 'not found container on Node' };
          continue;
        }
        if (!strategy.forceRecreate && restartedSinceCtx) {
          states[i] = { ...s, phase: 'Recreating', isKilled: false };
        } else {
          if (killed) continue;
          const res = this.kubelet.kill(pod, s.name, 'crr');
          if (res.error) {
            states[i] = { ...s, phase: 'Failed', message: res.error };
            if ((strategy.failurePolicy ?? 'Fail') === 'Fail') return complete('', states);
            continue;
          }
          states[i] = { ...s, phase: 'Recreating', isKilled: true };
          killed = true;
          continue;
        }
      }
      const r = states[i];
      if (r.phase === 'Recreating' && rc && restartedSinceCtx && rc.running && rc.ready) {
        const age = now - rc.startedAt;
        if (age > minStartedMs) states[i] = { ...r, phase: 'Succeeded' };
        else nextCheck = Math.min(nextCheck, minStartedMs - age + 1);
      }
    }
    const done = states.every((s) => s.phase === 'Succeeded' || (s.phase === 'Failed' && strategy.failurePolicy === 'Ignore'));
    if (done) return complete('', states);
    const synced = [...(rp?.containers.values() ?? [])]
      .filter((c) => c.running && c.startedAt >= created - 1000 && crr.spec.containers.some((x) => x.name === c.name))
      .map((c) => ({ name: c.name, ready: c.ready, restartCount: c.restartCount, containerID: c.id }));
    const annotations = synced.length ? { ...crr.metadata.annotations, [SYNC_STATUSES]: JSON.stringify(synced) } : crr.metadata.annotations;
    this.write(crr, { ...crr, metadata: { ...crr.metadata, annotations }, status: { ...status, containerRecreateStates: states } });
    this.requeue(k, Math.min(nextCheck, 1000));
  }

  private afterCompletion(crr: ContainerRecreateRequest, k: string, now: number): void {
    this.releasePod(crr);
    const labels = { ...crr.metadata.labels };
    const hadActive = KRUISE.crrActiveLabel in labels;
    delete labels[KRUISE.crrActiveLabel];
    const finalizers = crr.metadata.finalizers?.filter((f) => f !== UNREADY);
    if (hadActive || (crr.metadata.finalizers?.length ?? 0) !== (finalizers?.length ?? 0)) {
      const next = { ...crr, metadata: { ...crr.metadata, labels, ...(finalizers ? { finalizers } : {}) } };
      if (finalizers && !finalizers.length) delete next.metadata.finalizers;
      this.write(crr, next);
      return;
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
