// The Kruise Advanced StatefulSet controller (apps.kruise.io StatefulSet, pkg/controller/statefulset): ordinal pods,
// OrderedReady (one pod at a time, and nothing else while any pod is unavailable) or Parallel management, the
// per-pod refresh of in-place updates, and the rolling update from the highest ordinal down to `partition` (or in
// any order with `unorderedUpdate`, at most `replicas - partition` pods) within `maxUnavailable`, in place under
// InPlaceIfPossible/InPlaceOnly, else by deleting the pod for the scale step to recreate.

import { type KObj } from './store';
import { deepEqual } from './patch';
import { selectorString } from './selectors';
import { canonical, fnv32a, getCondition, isActive, legacyScaledPercent, safeEncode, type Sim } from './sim';
import { inPlaceDone, inPlacePlan, LIFECYCLE_TS, refreshInPlaceCondition, startInPlaceUpdate } from './inplace-update';
import { KRUISE, type Condition, type IntOrString, type LabelSelector, type Pod, type PodTemplate } from '../../src/kruise/types';
import { WorkQueue } from './workqueue';
import { KRUISE_GROUP } from './resources';

export const STATEFULSETS = `statefulsets.${KRUISE_GROUP}`;
const POD_NAME_LABEL = 'statefulset.kubernetes.io/pod-name';

export interface AdvancedStatefulSet {
  apiVersion?: string;
  kind?: string;
  metadata: KObj['metadata'];
  spec: {
    replicas?: number;
    selector: LabelSelector;
    template: PodTemplate;
    serviceName?: string;
    podManagementPolicy?: 'OrderedReady' | 'Parallel';
    updateStrategy?: {
      type?: 'RollingUpdate' | 'OnDelete';
      rollingUpdate?: {
        partition?: number;
        maxUnavailable?: IntOrString;
        podUpdatePolicy?: 'ReCreate' | 'InPlaceIfPossible' | 'InPlaceOnly';
        paused?: boolean;
        unorderedUpdate?: { priorityStrategy?: unknown };
        inPlaceUpdateStrategy?: { gracePeriodSeconds?: number };
        minReadySeconds?: number;
      };
    };
    lifecycle?: unknown;
    [field: string]: unknown;
  };
  status?: Record<string, unknown> & { currentRevision?: string; conditions?: Condition[] };
}

export class AdvancedStatefulSetController {
  private readonly revisions = new Map<string, Map<string, PodTemplate>>();
  private readonly queue: WorkQueue;
  private nodeCursor = 0;
  /** Per set: how many nodes to spread over. */
  readonly nodesFor = new Map<string, number>();

  constructor(private readonly sim: Sim) {
    this.queue = new WorkQueue('statefulset', (ns) => sim.unmanaged.has(ns), (ns, name) => this.reconcile(ns, name));
    sim.store.subscribe((e) => {
      if (e.resource === STATEFULSETS) {
        if (e.type === 'DELETED') return this.collectGarbage(e.object);
        this.queue.add(e.object.metadata.namespace ?? '', e.object.metadata.name ?? '');
      } else if (e.resource === 'pods') {
        const owner = (e.object as unknown as Pod).metadata.ownerReferences?.find((o) => o.controller && o.kind === 'StatefulSet' && o.apiVersion.startsWith(`${KRUISE_GROUP}/`));
        if (owner) this.queue.add(e.object.metadata.namespace ?? '', owner.name);
      }
    });
  }

  stop(): void {
    this.queue.stop();
  }

  busy(): boolean {
    return this.queue.busy();
  }

  private collectGarbage(set: KObj): void {
    for (const p of this.ownedPods(set as unknown as AdvancedStatefulSet)) this.sim.store.delete('pods', p.metadata.namespace, p.metadata.name ?? '');
    this.revisions.delete(`${set.metadata.namespace}/${set.metadata.name}`);
  }

  private ownedPods(set: AdvancedStatefulSet): Pod[] {
    const uid = set.metadata.uid;
    return this.sim.store.rawList('pods', set.metadata.namespace, (p) => !!p.metadata.ownerReferences?.some((o) => o.uid === uid && o.controller)) as unknown as Pod[];
  }

  private revisionName(set: AdvancedStatefulSet): string {
    const hash = fnv32a(canonical({ spec: { template: { ...set.spec.template, $patch: 'replace' } } }));
    const name = `${set.metadata.name}-${safeEncode(hash)}`;
    const k = `${set.metadata.namespace}/${set.metadata.name}`;
    let revs = this.revisions.get(k);
    if (!revs) this.revisions.set(k, (revs = new Map()));
    if (!revs.has(name)) revs.set(name, structuredClone(set.spec.template));
    return name;
  }

  private reconcile(ns: string, name: string): void {
    const set = this.sim.store.raw(STATEFULSETS, ns, name) as unknown as AdvancedStatefulSet | undefined;
    if (!set || set.metadata.deletionTimestamp) return;
    const updateRevision = this.revisionName(set);
    const currentRevision = set.status?.currentRevision ?? updateRevision;
    const replicasWanted = set.spec.replicas ?? 1;
    const monotonic = set.spec.podManagementPolicy !== 'Parallel';
    const minReady = set.spec.updateStrategy?.rollingUpdate?.minReadySeconds ?? 0;
    const pods = this.ownedPods(set).filter(isActive);
    const replicas: Array<Pod | undefined> = new Array(replicasWanted).fill(undefined);
    const condemned: Pod[] = [];
    for (const p of pods) {
      const ord = ordinalOf(p, name);
      if (ord >= 0 && ord < replicasWanted) replicas[ord] = p;
      else if (ord >= 0) condemned.push(p);
    }
    // Kruise computes the status from the pods listed at the start of the pass (updateStatefulSet).
    const status = this.computeStatus(set, pods, updateRevision, currentRevision, minReady);
    this.step(set, replicas, condemned, monotonic, minReady, currentRevision, updateRevision);
    this.writeStatus(set, status);
  }

  private step(set: AdvancedStatefulSet, replicas: Array<Pod | undefined>, condemned: Pod[], monotonic: boolean, minReady: number, currentRevision: string, updateRevision: string): void {
    // processReplica for every ordinal: create what is missing; under OrderedReady stop at the first pod that is not
    // Running and available (its successors wait, and so does the rolling update).
    for (let ord = 0; ord < replicas.length; ord++) {
      const p = replicas[ord];
      if (!p) {
        this.createPod(set, ord, this.revisionFor(set, ord, currentRevision, updateRevision));
        if (monotonic) return;
        continue;
      }
      const refreshed = this.refreshPod(set, p, updateRevision);
      if (refreshed) return;
      if (monotonic && !this.available(p, minReady)) return;
    }
    if (replicas.some((p) => !p)) return;
    // processCondemned: highest ordinal first; under OrderedReady one at a time.
    condemned.sort((a, b) => ordinalOf(b, set.metadata.name ?? '') - ordinalOf(a, set.metadata.name ?? ''));
    for (const p of condemned) {
      this.sim.store.delete('pods', p.metadata.namespace, p.metadata.name ?? '');
      if (monotonic) return;
    }
    if (condemned.length) return;
    const us = set.spec.updateStrategy ?? {};
    if (us.type === 'OnDelete') return;
    this.rollingUpdate(set, replicas as Pod[], minReady, updateRevision);
  }

  /** newVersionedStatefulSetPod: ordinals below the partition are created at the current revision. */
  private revisionFor(set: AdvancedStatefulSet, ord: number, currentRevision: string, updateRevision: string): string {
    const ru = set.spec.updateStrategy?.rollingUpdate;
    const known = this.revisions.get(`${set.metadata.namespace}/${set.metadata.name}`)?.has(currentRevision);
    if (set.spec.updateStrategy?.type === 'RollingUpdate' && known && !ru?.unorderedUpdate && ord < (ru?.partition ?? 0)) return currentRevision;
    return updateRevision;
  }

  /** refreshPodState: the InPlaceUpdateReady condition, then the lifecycle state (Updating → Normal once complete). */
  private refreshPod(set: AdvancedStatefulSet, p: Pod, updateRevision: string): boolean {
    const refreshed = refreshInPlaceCondition(this.sim, p);
    const cur = refreshed.pod;
    const state = cur.metadata.labels?.[KRUISE.lifecycleStateLabel];
    let next: string | undefined;
    if (state === 'PreparingNormal') next = 'Normal';
    else if (state === 'Updating' && inPlaceDone(cur)) next = set.spec.lifecycle ? 'Updated' : 'Normal';
    else if (state === 'Updated') next = 'Normal';
    else if (state === 'PreparingUpdate' && cur.metadata.labels?.[KRUISE.revisionLabel] === updateRevision) next = 'Normal';
    if (!next) return refreshed.changed;
    this.sim.store.replace('pods', {
      ...(cur as unknown as KObj),
      metadata: { ...cur.metadata, labels: { ...cur.metadata.labels, [KRUISE.lifecycleStateLabel]: next }, annotations: { ...cur.metadata.annotations, [LIFECYCLE_TS]: this.sim.clock.iso() } },
    });
    return true;
  }

  private rollingUpdate(set: AdvancedStatefulSet, replicas: Pod[], minReady: number, updateRevision: string): void {
    const ru = set.spec.updateStrategy?.rollingUpdate;
    if (ru?.paused) return;
    // intstrutil.GetValueFromIntOrPercent(maxUnavailable, replicas, false), at least 1; a value it cannot parse ends
    // the pass with an error, so nothing is ever updated.
    const parsed = legacyScaledPercent(ru?.maxUnavailable ?? 1, replicas.length, false);
    if (parsed === undefined) return;
    const maxUnavailable = Math.max(1, parsed);
    const unavailable = new Set<string>();
    for (const p of replicas) {
      if (!this.healthy(p) || !inPlaceDone(p) || !this.available(p, minReady)) unavailable.add(p.metadata.name ?? '');
    }
    const revs = this.revisions.get(`${set.metadata.namespace}/${set.metadata.name}`);
    const target = revs?.get(updateRevision) ?? set.spec.template;
    for (const idx of sortPodsToUpdate(ru, updateRevision, replicas)) {
      const p = replicas[idx];
      if (p.metadata.labels?.[KRUISE.revisionLabel] === updateRevision) continue;
      if (unavailable.size >= maxUnavailable && !unavailable.has(p.metadata.name ?? '')) return;
      if (p.metadata.deletionTimestamp) continue;
      const policy = ru?.podUpdatePolicy ?? 'ReCreate';
      const from = revs?.get(p.metadata.labels?.[KRUISE.revisionLabel] ?? '');
      const plan = from && policy !== 'ReCreate' ? inPlacePlan(from, target, this.sim.gates.envFromMetadata) : undefined;
      const state = p.metadata.labels?.[KRUISE.lifecycleStateLabel] ?? '';
      if (plan && (state === '' || state === 'Normal' || state === 'PreparingNormal' || state === 'Updating')) {
        startInPlaceUpdate(this.sim, p, plan, { revision: updateRevision, revisionLabels: { [KRUISE.revisionLabel]: updateRevision }, lifecycleUpdating: state !== '' });
        this.sim.event(set as unknown as KObj, 'Normal', 'SuccessfulUpdatePodInPlace', `successfully update pod ${p.metadata.name} in-place(revision ${updateRevision})`);
      } else if (policy === 'InPlaceOnly') {
        // The error aborts the pass (the controller retries with backoff); nothing else is updated.
        return;
      } else {
        for (const c of p.spec.containers) {
          this.sim.restartLog.push({ at: this.sim.clock.now(), namespace: p.metadata.namespace ?? '', pod: p.metadata.name ?? '', uid: p.metadata.uid ?? '', container: c.name, cause: 'recreate' });
        }
        this.sim.store.delete('pods', p.metadata.namespace, p.metadata.name ?? '');
      }
      unavailable.add(p.metadata.name ?? '');
    }
  }

  /** isHealthy: lifecycle Normal (or none), Running and Ready, not terminating. */
  private healthy(p: Pod): boolean {
    const state = p.metadata.labels?.[KRUISE.lifecycleStateLabel] ?? '';
    if (state !== '' && state !== 'Normal') return false;
    return p.status?.phase === 'Running' && getCondition(p, 'Ready')?.status === 'True' && !p.metadata.deletionTimestamp;
  }

  /** isRunningAndAvailable. */
  private available(p: Pod, minReadySeconds: number): boolean {
    const state = p.metadata.labels?.[KRUISE.lifecycleStateLabel] ?? '';
    if (state !== '' && state !== 'Normal') return false;
    if (p.status?.phase !== 'Running' || getCondition(p, 'Ready')?.status !== 'True') return false;
    if (minReadySeconds > 0) {
      const since = Date.parse(getCondition(p, 'Ready')?.lastTransitionTime ?? '');
      if (!(this.sim.clock.now() - since >= minReadySeconds * 1000)) {
        this.sim.clock.after(minReadySeconds * 1000, () => this.queue.add(p.metadata.namespace ?? '', ownerName(p)));
        return false;
      }
    }
    return true;
  }

  private pickNode(set: AdvancedStatefulSet): string {
    const n = this.nodesFor.get(`${set.metadata.namespace}/${set.metadata.name}`) ?? 3;
    const node = `node-${this.nodeCursor++ % n}`;
    if (!this.sim.nodes.has(node)) this.sim.nodes.set(node, { daemon: true });
    return node;
  }

  private createPod(set: AdvancedStatefulSet, ord: number, revision: string): void {
    const ns = set.metadata.namespace ?? '';
    const tpl = this.revisions.get(`${ns}/${set.metadata.name}`)?.get(revision) ?? set.spec.template;
    const name = `${set.metadata.name}-${ord}`;
    const spec = structuredClone(tpl.spec) as Pod['spec'];
    // The pod webhook adds KruisePodReady to every Kruise-owned pod; InPlaceUpdateReady comes only from the template.
    const gates = [...(spec.readinessGates ?? [])];
    if (!gates.some((g) => g.conditionType === KRUISE.kruisePodReady)) gates.push({ conditionType: KRUISE.kruisePodReady });
    spec.readinessGates = gates;
    spec.hostname = name;
    if (set.spec.serviceName) spec.subdomain = set.spec.serviceName;
    spec.nodeName = this.pickNode(set);
    spec.enableServiceLinks ??= true;
    this.sim.store.create('pods', {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {
        name,
        namespace: ns,
        labels: { ...tpl.metadata?.labels, [KRUISE.revisionLabel]: revision, [POD_NAME_LABEL]: name, [KRUISE.lifecycleStateLabel]: 'Normal' },
        annotations: { ...tpl.metadata?.annotations },
        ownerReferences: [{ apiVersion: `${KRUISE_GROUP}/v1beta1`, kind: 'StatefulSet', name: set.metadata.name ?? '', uid: set.metadata.uid ?? '', controller: true, blockOwnerDeletion: true }],
      },
      spec: spec as unknown as Record<string, unknown>,
      status: { phase: 'Pending', qosClass: 'BestEffort' },
    });
    this.sim.event(set as unknown as KObj, 'Normal', 'SuccessfulCreate', `create Pod ${name} in StatefulSet ${set.metadata.name} successful`);
  }

  private computeStatus(set: AdvancedStatefulSet, pods: Pod[], updateRevision: string, currentRevision: string, minReady: number): Record<string, unknown> {
    const runningReady = (p: Pod) => p.status?.phase === 'Running' && getCondition(p, 'Ready')?.status === 'True';
    const rev = (p: Pod) => p.metadata.labels?.[KRUISE.revisionLabel];
    const created = pods.filter((p) => !!p.status?.phase);
    const ready = created.filter(runningReady);
    const available = ready.filter((p) => this.availableNoRequeue(p, minReady));
    const live = created.filter((p) => !p.metadata.deletionTimestamp);
    const status: Record<string, unknown> = {
      observedGeneration: set.metadata.generation,
      replicas: created.length,
      readyReplicas: ready.length,
      availableReplicas: available.length,
      currentReplicas: live.filter((p) => rev(p) === currentRevision).length,
      updatedReplicas: live.filter((p) => rev(p) === updateRevision).length,
      updatedReadyReplicas: ready.filter((p) => rev(p) === updateRevision).length,
      updatedAvailableReplicas: available.filter((p) => rev(p) === updateRevision).length,
      currentRevision,
      updateRevision,
      collisionCount: 0,
      labelSelector: selectorString(set.spec.selector),
      ...(set.status?.conditions?.length ? { conditions: set.status.conditions } : {}),
    };
    // completeRollingUpdate.
    if (set.spec.updateStrategy?.type !== 'OnDelete' && status.updatedReplicas === status.replicas && status.readyReplicas === status.replicas) {
      status.currentReplicas = status.updatedReplicas;
      status.currentRevision = updateRevision;
    }
    // omitempty fields of StatefulSetStatus (v1beta1 statefulset_types.go).
    for (const f of ['observedGeneration', 'updatedReadyReplicas', 'updatedAvailableReplicas', 'currentRevision', 'updateRevision', 'labelSelector']) {
      if (status[f] === 0 || status[f] === '' || status[f] === undefined) delete status[f];
    }
    return status;
  }

  private availableNoRequeue(p: Pod, minReadySeconds: number): boolean {
    if (minReadySeconds <= 0) return (p.metadata.labels?.[KRUISE.lifecycleStateLabel] ?? 'Normal') === 'Normal';
    const since = Date.parse(getCondition(p, 'Ready')?.lastTransitionTime ?? '');
    return (p.metadata.labels?.[KRUISE.lifecycleStateLabel] ?? 'Normal') === 'Normal' && this.sim.clock.now() - since >= minReadySeconds * 1000;
  }

  private writeStatus(setIn: AdvancedStatefulSet, status: Record<string, unknown>): void {
    const set = (this.sim.store.raw(STATEFULSETS, setIn.metadata.namespace, setIn.metadata.name ?? '') as unknown as AdvancedStatefulSet | undefined) ?? setIn;
    if (deepEqual(status, set.status)) return;
    this.sim.store.replace(STATEFULSETS, { ...(set as unknown as KObj), status });
  }
}

/** getParentNameAndOrdinal: `<set>-<ordinal>`, else -1. */
export function ordinalOf(p: Pod, setName: string): number {
  const name = p.metadata.name ?? '';
  if (!name.startsWith(`${setName}-`)) return -1;
  const rest = name.slice(setName.length + 1);
  return /^\d+$/.test(rest) ? Number(rest) : -1;
}

function ownerName(p: Pod): string {
  return p.metadata.ownerReferences?.find((o) => o.controller)?.name ?? '';
}

type RollingUpdate = NonNullable<NonNullable<AdvancedStatefulSet['spec']['updateStrategy']>['rollingUpdate']>;

/**
 * sortPodsToUpdate (stateful_update_utils.go): without unorderedUpdate, ordinals from the highest down to the
 * partition; with it, pods already updated (or terminating) first, then the rest from the highest ordinal (no
 * priority strategy simulated), cut to `replicas - partition` pods.
 */
export function sortPodsToUpdate(ru: RollingUpdate | undefined, updateRevision: string, replicas: Pod[]): number[] {
  const partition = ru?.partition ?? 0;
  const maxUpdate = replicas.length - partition;
  if (maxUpdate <= 0) return [];
  if (!ru?.unorderedUpdate) {
    const out: number[] = [];
    for (let i = replicas.length - 1; i >= partition && out.length < maxUpdate; i--) out.push(i);
    return out;
  }
  const updated: number[] = [];
  const waiting: number[] = [];
  for (let i = replicas.length - 1; i >= 0; i--) {
    const p = replicas[i];
    if (p.metadata.deletionTimestamp || p.metadata.labels?.[KRUISE.revisionLabel] === updateRevision) updated.push(i);
    else waiting.push(i);
  }
  return [...updated, ...waiting].slice(0, maxUpdate);
}

