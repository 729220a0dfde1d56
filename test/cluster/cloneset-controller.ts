// The Kruise CloneSet controller: revisions, scaling (incl. surge and specified-delete recreation), the per-pod
// refresh and in-place update sequence, pod selection under partition and maxUnavailable, and status.

import { type KObj } from './store';
import { deepEqual } from './patch';
import { CLONESETS } from './resources';
import { selectorString } from './selectors';
import {
  canonical, fnv32a, getCondition, isActive, randomId, legacyIntOrPercent, scaledPercent, safeEncode, type Sim, withCondition,
} from './sim';
import { type InPlacePlan, inPlacePlan, LIFECYCLE_TS, refreshInPlaceCondition, startInPlaceUpdate } from './inplace-update';
import { KRUISE, type CloneSet, type CloneSetStatus, type Pod, type PodTemplate } from '../../src/kruise/types';
import { WorkQueue } from './workqueue';

export const SPECIFIED_DELETE = 'apps.kruise.io/specified-delete';
const INSTANCE_ID = 'apps.kruise.io/cloneset-instance-id';
const POD_TEMPLATE_HASH = 'pod-template-hash';
export { inPlacePlan, type InPlacePlan } from './inplace-update';

export class CloneSetController {
  /** ControllerRevisions per CloneSet (not served over the API): name → template. */
  private readonly revisions = new Map<string, Map<string, PodTemplate>>();
  private readonly queue: WorkQueue;
  /** Per CloneSet: how many nodes to spread over (seedCloneSet's `nodes`). */
  readonly nodesFor = new Map<string, number>();
  private nodeCursor = 0;

  constructor(private readonly sim: Sim) {
    this.queue = new WorkQueue('cloneset', (ns) => sim.unmanaged.has(ns), (ns, name) => this.reconcile(ns, name));
    sim.store.subscribe((e) => {
      if (e.resource === CLONESETS) {
        const k = `${e.object.metadata.namespace}/${e.object.metadata.name}`;
        if (e.type === 'DELETED') return this.collectGarbage(e.object);
        this.markDirty(k);
      } else if (e.resource === 'pods') {
        const owner = (e.object as unknown as Pod).metadata.ownerReferences?.find((o) => o.controller && o.kind === 'CloneSet');
        if (owner) this.markDirty(`${e.object.metadata.namespace}/${owner.name}`);
      }
    });
  }

  stop(): void {
    this.queue.stop();
  }

  busy(): boolean {
    return this.queue.busy();
  }

  markDirty(key: string): void {
    const slash = key.indexOf('/');
    this.queue.add(key.slice(0, slash), key.slice(slash + 1));
  }

  private collectGarbage(cs: KObj): void {
    for (const p of this.ownedPods(cs as unknown as CloneSet)) this.sim.store.delete('pods', p.metadata.namespace, p.metadata.name ?? '');
    this.revisions.delete(`${cs.metadata.namespace}/${cs.metadata.name}`);
  }

  ownedPods(cs: CloneSet): Pod[] {
    const uid = cs.metadata.uid;
    return this.sim.store.rawList('pods', cs.metadata.namespace, (p) => !!p.metadata.ownerReferences?.some((o) => o.uid === uid && o.controller)) as unknown as Pod[];
  }

  revisionName(cs: CloneSet): string {
    const hash = fnv32a(canonical({ spec: { template: { ...cs.spec.template, $patch: 'replace' } } }));
    const name = `${cs.metadata.name}-${safeEncode(hash)}`;
    const k = `${cs.metadata.namespace}/${cs.metadata.name}`;
    let revs = this.revisions.get(k);
    if (!revs) this.revisions.set(k, (revs = new Map()));
    if (!revs.has(name)) revs.set(name, structuredClone(cs.spec.template));
    return name;
  }

  private reconcile(ns: string, name: string): void {
    const cs = this.sim.store.raw(CLONESETS, ns, name) as unknown as CloneSet | undefined;
    if (!cs || cs.metadata.deletionTimestamp) return;
    const pods = this.ownedPods(cs);
    const active = pods.filter(isActive);
    const updateRevision = this.revisionName(cs);
    const currentRevision = cs.status?.currentRevision ?? updateRevision;
    // Kruise computes the status from the pods it listed before scaling and updating (cloneset_controller.go
    // doReconcile: UpdateCloneSetStatus(instance, &newStatus, filteredPods)): this pass's own pod writes show up in the
    // status of the next pass, which their events bring.
    if (!this.scale(cs, active, updateRevision, currentRevision)) this.update(cs, active, updateRevision);
    this.writeStatus(cs, active, updateRevision, currentRevision);
  }

  private budget(cs: CloneSet) {
    const replicas = cs.spec.replicas ?? 1;
    const us = cs.spec.updateStrategy ?? {};
    const paused = !!us.paused;
    const maxSurge = paused ? 0 : legacyIntOrPercent(us.maxSurge, replicas, true, 0);
    const maxUnavailable = legacyIntOrPercent(us.maxUnavailable, replicas, maxSurge === 0, '20%');
    let partition = scaledPercent(us.partition, replicas, true, 0) ?? 0;
    // CalculatePartitionReplicas: a percentage other than "100%" always leaves at least one pod to update.
    if (typeof us.partition === 'string' && us.partition !== '100%' && replicas > 1 && partition === replicas) partition = replicas - 1;
    partition = Math.min(Math.max(partition, 0), replicas);
    return { replicas, maxSurge, maxUnavailable, partition, paused, type: us.type ?? 'ReCreate' };
  }

  /** Scale step: delete marked pods within limits, then create or remove to reach the desired count. */
  private scale(cs: CloneSet, active: Pod[], updateRevision: string, currentRevision: string): boolean {
    const b = this.budget(cs);
    const minReady = cs.spec.minReadySeconds ?? 0;
    const marked = active.filter((p) => p.metadata.labels?.[SPECIFIED_DELETE] === 'true');
    if (marked.length) {
      const unavailable = active.filter((p) => !this.available(p, minReady)).length;
      let readyLimit = Math.max(b.maxUnavailable + (active.length - b.replicas) - unavailable, 0);
      let deleted = 0;
      for (const p of marked) {
        const ready = this.available(p, minReady);
        if (ready) {
          if (readyLimit <= 0) continue;
          readyLimit--;
        }
        this.deletePod(p, 'recreate');
        deleted++;
      }
      if (deleted) return true;
    }
    const notUpdated = active.filter((p) => p.metadata.labels?.[KRUISE.revisionLabel] !== updateRevision).length;
    const surge = useSurge(b, notUpdated, active.length - notUpdated);
    const desired = b.replicas + surge;
    if (active.length < desired) {
      const updated = active.length - notUpdated;
      const expectedUpdated = b.replicas - b.partition;
      let toUpdate = Math.max(expectedUpdated - updated, 0);
      for (let i = active.length; i < desired; i++) {
        const useUpdate = toUpdate > 0 || !this.revisions.get(`${cs.metadata.namespace}/${cs.metadata.name}`)?.has(currentRevision);
        if (useUpdate) toUpdate--;
        this.createPod(cs, useUpdate ? updateRevision : currentRevision);
      }
      return true;
    }
    if (active.length > desired) {
      // Old revisions first, then not-ready, then newest.
      const order = [...active].sort((x, y) => {
        const ox = x.metadata.labels?.[KRUISE.revisionLabel] === updateRevision ? 1 : 0;
        const oy = y.metadata.labels?.[KRUISE.revisionLabel] === updateRevision ? 1 : 0;
        if (ox !== oy) return ox - oy;
        const rx = this.available(x, minReady) ? 1 : 0;
        const ry = this.available(y, minReady) ? 1 : 0;
        if (rx !== ry) return rx - ry;
        return (y.metadata.creationTimestamp ?? '').localeCompare(x.metadata.creationTimestamp ?? '');
      });
      // deleteReadyLimit: available pods go only within maxUnavailable plus the surge in hand.
      let readyLimit = Math.max(b.maxUnavailable + (active.length - b.replicas) - active.filter((p) => !this.available(p, minReady)).length, 0);
      let deleted = 0;
      for (const p of order.slice(0, active.length - desired)) {
        if (this.available(p, minReady)) {
          if (readyLimit <= 0) continue;
          readyLimit--;
        }
        this.deletePod(p, surge === 0 && notUpdated > 0 ? 'recreate' : undefined);
        deleted++;
      }
      return deleted > 0;
    }
    return false;
  }

  private deletePod(p: Pod, cause?: 'recreate'): void {
    if (cause) {
      for (const c of p.spec.containers) {
        this.sim.restartLog.push({ at: this.sim.clock.now(), namespace: p.metadata.namespace ?? '', pod: p.metadata.name ?? '', uid: p.metadata.uid ?? '', container: c.name, cause });
      }
    }
    this.sim.store.delete('pods', p.metadata.namespace, p.metadata.name ?? '');
  }

  private pickNode(cs: CloneSet): string {
    const n = this.nodesFor.get(`${cs.metadata.namespace}/${cs.metadata.name}`) ?? 3;
    const node = `node-${this.nodeCursor++ % n}`;
    if (!this.sim.nodes.has(node)) this.sim.nodes.set(node, { daemon: true });
    return node;
  }

  private createPod(cs: CloneSet, revision: string): void {
    const ns = cs.metadata.namespace ?? '';
    const tpl = this.revisions.get(`${ns}/${cs.metadata.name}`)?.get(revision) ?? cs.spec.template;
    let name: string;
    let id: string;
    do {
      id = randomId();
      name = `${cs.metadata.name}-${id}`;
    } while (this.sim.store.raw('pods', ns, name));
    const spec = structuredClone(tpl.spec) as Pod['spec'];
    const gates = [...(spec.readinessGates ?? [])];
    for (const g of [KRUISE.inPlaceUpdateReady, KRUISE.kruisePodReady]) if (!gates.some((x) => x.conditionType === g)) gates.push({ conditionType: g });
    spec.readinessGates = gates;
    spec.nodeName = this.pickNode(cs);
    spec.enableServiceLinks ??= true;
    const pod: KObj = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {
        name,
        generateName: `${cs.metadata.name}-`,
        namespace: ns,
        labels: {
          ...tpl.metadata?.labels,
          [KRUISE.revisionLabel]: revision,
          [POD_TEMPLATE_HASH]: revision.slice((cs.metadata.name ?? '').length + 1),
          [INSTANCE_ID]: id,
          [KRUISE.lifecycleStateLabel]: 'PreparingNormal',
        },
        annotations: { ...tpl.metadata?.annotations, [LIFECYCLE_TS]: this.sim.clock.iso() },
        ownerReferences: [{ apiVersion: 'apps.kruise.io/v1alpha1', kind: 'CloneSet', name: cs.metadata.name ?? '', uid: cs.metadata.uid ?? '', controller: true, blockOwnerDeletion: true }],
      },
      spec: spec as unknown as Record<string, unknown>,
      status: { phase: 'Pending', qosClass: 'BestEffort' },
    };
    this.sim.store.create('pods', pod);
    this.sim.event(cs as unknown as KObj, 'Normal', 'SuccessfulCreate', `succeed to create pod ${name}`);
  }

  /** IsPodAvailable in Kruise's sense (2.3). */
  available(p: Pod, minReadySeconds: number): boolean {
    const state = p.metadata.labels?.[KRUISE.lifecycleStateLabel] ?? '';
    if (state !== '' && state !== 'Normal') return false;
    if (!this.readyForStatus(p)) return false;
    if (minReadySeconds > 0) {
      const since = Date.parse(getCondition(p, 'Ready')?.lastTransitionTime ?? '');
      if (!(this.sim.clock.now() - since >= minReadySeconds * 1000)) return false;
    }
    return true;
  }

  private readyForStatus(p: Pod): boolean {
    if (p.status?.phase !== 'Running' || getCondition(p, 'Ready')?.status !== 'True') return false;
    const ipr = getCondition(p, KRUISE.inPlaceUpdateReady);
    return !ipr || ipr.status === 'True';
  }

  // ---- update ------------------------------------------------------------------------------------------------

  private update(cs: CloneSet, active: Pod[], updateRevision: string): boolean {
    if (this.refresh(cs, active)) return true;
    const b = this.budget(cs);
    if (b.paused) return false;
    const minReady = cs.spec.minReadySeconds ?? 0;
    const old = active.filter((p) => p.metadata.labels?.[KRUISE.revisionLabel] !== updateRevision);
    // calculateDiffsWithExpectation: the smaller of what the old pods owe and what the new ones lack, so surge pods
    // (already at the new revision) take the place of as many in-place updates.
    const updateNum = Math.min(old.length - b.partition, b.replicas - b.partition - (active.length - old.length));
    if (updateNum <= 0) return false;
    const waiting = old.filter((p) => p.metadata.labels?.[SPECIFIED_DELETE] !== 'true' && p.metadata.labels?.[KRUISE.lifecycleStateLabel] !== 'PreparingDelete');
    waiting.sort((x, y) => this.activePodsOrder(x, y));
    const candidates = waiting.slice(0, updateNum);
    const updateMaxUnavailable = b.maxUnavailable + (active.length - b.replicas);
    const unavailableUpdated = active.filter((p) => p.metadata.labels?.[KRUISE.revisionLabel] === updateRevision && !this.available(p, minReady)).length;
    let totalUnavailable = active.filter((p) => !this.available(p, minReady)).length;
    const picked: Pod[] = [];
    for (const c of candidates) {
      if (unavailableUpdated + picked.length >= updateMaxUnavailable) break;
      if (this.available(c, minReady)) {
        if (totalUnavailable >= updateMaxUnavailable) break;
        totalUnavailable++;
      }
      picked.push(c);
    }
    const revs = this.revisions.get(`${cs.metadata.namespace}/${cs.metadata.name}`);
    const target = revs?.get(updateRevision) ?? cs.spec.template;
    let changed = false;
    for (const p of picked) {
      const from = revs?.get(p.metadata.labels?.[KRUISE.revisionLabel] ?? '');
      const plan = from && b.type !== 'ReCreate' ? inPlacePlan(from, target, this.sim.gates.envFromMetadata) : undefined;
      if (plan) {
        this.updateInPlace(cs, p, updateRevision, target, plan);
        changed = true;
      } else if (b.type === 'InPlaceOnly') {
        this.setCondition(cs, 'FailedUpdate', `find Pod ${p.metadata.name} update strategy is InPlaceOnly but can not update in-place`);
      } else {
        const next = { ...p, metadata: { ...p.metadata, labels: { ...p.metadata.labels, [SPECIFIED_DELETE]: 'true' } } };
        this.sim.store.replace('pods', next as unknown as KObj);
        this.sim.event(cs as unknown as KObj, 'Normal', 'SuccessfulUpdatePodReCreate', `successfully update pod ${p.metadata.name} recreate`);
        changed = true;
      }
    }
    return changed;
  }

  /** k8s ActivePods order, simplified: not ready first, then most recently ready, more restarts, newer. */
  private activePodsOrder(x: Pod, y: Pod): number {
    const rx = getCondition(x, 'Ready')?.status === 'True' ? 1 : 0;
    const ry = getCondition(y, 'Ready')?.status === 'True' ? 1 : 0;
    if (rx !== ry) return rx - ry;
    if (rx && ry) {
      const tx = getCondition(x, 'Ready')?.lastTransitionTime ?? '';
      const ty = getCondition(y, 'Ready')?.lastTransitionTime ?? '';
      if (tx !== ty) return ty.localeCompare(tx);
    }
    const restarts = (p: Pod) => (p.status?.containerStatuses ?? []).reduce((n, c) => n + c.restartCount, 0);
    if (restarts(x) !== restarts(y)) return restarts(y) - restarts(x);
    const cx = x.metadata.creationTimestamp ?? '';
    const cy = y.metadata.creationTimestamp ?? '';
    if (cx !== cy) return cy.localeCompare(cx);
    return (x.metadata.name ?? '').localeCompare(y.metadata.name ?? '');
  }

  private updateInPlace(cs: CloneSet, pod: Pod, revision: string, target: PodTemplate, plan: InPlacePlan): void {
    void target;
    startInPlaceUpdate(this.sim, pod, plan, {
      revision,
      revisionLabels: { [KRUISE.revisionLabel]: revision, [POD_TEMPLATE_HASH]: revision.slice((cs.metadata.name ?? '').length + 1) },
      lifecycleUpdating: true,
    });
    this.sim.event(cs as unknown as KObj, 'Normal', 'SuccessfulUpdatePodInPlace', `successfully update pod ${pod.metadata.name} in-place(revision ${revision})`);
  }

  /** Per-pod refresh: gate conditions to True, lifecycle to Normal, finishing in-place updates. */
  private refresh(cs: CloneSet, active: Pod[]): boolean {
    let changed = false;
    const now = this.sim.clock.iso();
    for (const p of active) {
      const state = p.metadata.labels?.[KRUISE.lifecycleStateLabel];
      const refreshed = refreshInPlaceCondition(this.sim, p);
      const cur = refreshed.pod;
      if (refreshed.changed) changed = true;
      const iprNow = getCondition(cur, KRUISE.inPlaceUpdateReady)?.status;
      // cloneset_update.go: with any spec.lifecycle, a finished in-place update goes through Updated; without an
      // inPlaceUpdate hook the next reconcile moves it on to Normal (hooks themselves are not simulated).
      const next =
        (state === 'PreparingNormal' || state === 'Updating') && iprNow === 'True'
          ? state === 'Updating' && cs.spec.lifecycle
            ? 'Updated'
            : 'Normal'
          : state === 'Updated'
            ? 'Normal'
            : undefined;
      if (next) {
        this.sim.store.replace('pods', {
          ...(cur as unknown as KObj),
          metadata: { ...cur.metadata, labels: { ...cur.metadata.labels, [KRUISE.lifecycleStateLabel]: next }, annotations: { ...cur.metadata.annotations, [LIFECYCLE_TS]: now } },
        });
        changed = true;
        if (next === 'Updated') this.markDirty(`${cs.metadata.namespace}/${cs.metadata.name}`);
      }
    }
    return changed;
  }

  private setCondition(cs: CloneSet, type: string, message: string): void {
    const now = this.sim.clock.iso();
    const conds = withCondition(cs.status?.conditions, { type, status: 'True', reason: '', message, lastTransitionTime: now, lastUpdateTime: now });
    if (deepEqual(conds, cs.status?.conditions)) return;
    this.sim.store.replace(CLONESETS, { ...(cs as unknown as KObj), status: { ...cs.status, conditions: conds } });
  }

  private writeStatus(csIn: CloneSet, active: Pod[], updateRevision: string, currentRevision: string): void {
    const cs = (this.sim.store.raw(CLONESETS, csIn.metadata.namespace, csIn.metadata.name ?? '') as unknown as CloneSet | undefined) ?? csIn;
    const b = this.budget(cs);
    const minReady = cs.spec.minReadySeconds ?? 0;
    const isUpdated = (p: Pod) => p.metadata.labels?.[KRUISE.revisionLabel] === updateRevision;
    const ready = active.filter((p) => this.readyForStatus(p));
    const available = active.filter((p) => this.available(p, minReady));
    const updated = active.filter(isUpdated);
    const status: CloneSetStatus & Record<string, unknown> = {
      observedGeneration: cs.metadata.generation,
      replicas: active.length,
      readyReplicas: ready.length,
      availableReplicas: available.length,
      updatedReplicas: updated.length,
      updatedReadyReplicas: ready.filter(isUpdated).length,
      updatedAvailableReplicas: available.filter(isUpdated).length,
      expectedUpdatedReplicas: b.replicas - b.partition,
      updateRevision,
      currentRevision: updated.length === active.length && active.length === b.replicas ? updateRevision : currentRevision,
      collisionCount: 0,
      labelSelector: selectorString(cs.spec.selector),
      ...(cs.status?.conditions?.length ? { conditions: cs.status.conditions } : {}),
    };
    // Go's encoding/json leaves out the zero values of the fields CloneSetStatus tags omitempty (cloneset_types.go).
    for (const field of ['observedGeneration', 'updatedAvailableReplicas', 'expectedUpdatedReplicas', 'updateRevision', 'currentRevision', 'labelSelector'] as const) {
      if (status[field] === 0 || status[field] === '' || status[field] === undefined) delete status[field];
    }
    if (minReady > 0 && ready.length > available.length) {
      this.sim.clock.after(minReady * 1000, () => this.markDirty(`${cs.metadata.namespace}/${cs.metadata.name}`));
    }
    if (deepEqual(status, cs.status)) return;
    this.sim.store.replace(CLONESETS, { ...(cs as unknown as KObj), status });
  }
}

/**
 * The surge Kruise v1.9 keeps (cloneset_sync_utils.go calculateDiffsWithExpectation), whatever the update type: while
 * old pods are above the partition and new pods below their target, the smaller of the two gaps, capped by maxSurge.
 * Pods marked for deletion are handled before this (scaleSurge), as in the controller.
 */
function useSurge(b: { maxSurge: number; partition: number; replicas: number }, oldActive: number, newActive: number): number {
  if (b.maxSurge <= 0) return 0;
  const oldDiff = Math.max(oldActive - b.partition, 0);
  const newDiff = Math.min(newActive - (b.replicas - b.partition), 0);
  if (!(oldDiff > 0 && newDiff < 0)) return 0;
  return Math.min(b.maxSurge, Math.min(oldDiff, -newDiff));
}
