// The Kruise Advanced DaemonSet controller (apps.kruise.io DaemonSet, pkg/controller/daemonset): one pod per node
// that should run it, revisions identified by their hash (pods carry `controller-revision-hash: <hash>`, and so does
// `status.updateRevision`), and the rolling update without surge: nodes sorted by name, highest first, cut to
// `nodes - partition` (partition scaled from desiredNumberScheduled, rounded down) and to `rollingUpdate.selector`;
// at most maxUnavailable nodes (scaled, rounded up) unavailable; with `rollingUpdateType: InPlaceIfPossible` pods that
// carry the InPlaceUpdateReady readiness gate are updated in place, the others deleted and created again.
// Not simulated: maxSurge > 0 (updates wait), burstReplicas, lifecycle preDelete, taints and the template's own
// affinity (a node runs the pod when its labels match the template's nodeSelector).

import { type KObj } from './store';
import { deepEqual } from './patch';
import { selectorMatcher } from './selectors';
import { canonical, fnv32a, getCondition, isActive, randomId, safeEncode, strictScaledPercent, type Sim } from './sim';
import { hasInPlaceGate, inPlacePlan, refreshInPlaceCondition, startInPlaceUpdate } from './inplace-update';
import { KRUISE, type Condition, type IntOrString, type LabelSelector, type Pod, type PodTemplate } from '../../src/kruise/types';
import { WorkQueue } from './workqueue';
import { KRUISE_GROUP } from './resources';

export const DAEMONSETS = `daemonsets.${KRUISE_GROUP}`;

export interface AdvancedDaemonSet {
  apiVersion?: string;
  kind?: string;
  metadata: KObj['metadata'];
  spec: {
    selector: LabelSelector;
    template: PodTemplate;
    minReadySeconds?: number;
    updateStrategy?: {
      type?: 'RollingUpdate' | 'OnDelete';
      rollingUpdate?: {
        rollingUpdateType?: 'Standard' | 'InPlaceIfPossible' | 'Surging';
        maxUnavailable?: IntOrString;
        maxSurge?: IntOrString;
        selector?: LabelSelector;
        partition?: IntOrString;
        paused?: boolean;
      };
    };
    [field: string]: unknown;
  };
  status?: Record<string, unknown> & { desiredNumberScheduled?: number; conditions?: Condition[] };
}

export class AdvancedDaemonSetController {
  /** Per DaemonSet: revision hash → template. */
  private readonly revisions = new Map<string, Map<string, PodTemplate>>();
  private readonly queue: WorkQueue;

  constructor(private readonly sim: Sim) {
    this.queue = new WorkQueue('daemonset', (ns) => sim.unmanaged.has(ns), (ns, name) => this.reconcile(ns, name));
    sim.store.subscribe((e) => {
      if (e.resource === DAEMONSETS) {
        if (e.type === 'DELETED') return this.collectGarbage(e.object);
        this.queue.add(e.object.metadata.namespace ?? '', e.object.metadata.name ?? '');
      } else if (e.resource === 'pods') {
        const owner = (e.object as unknown as Pod).metadata.ownerReferences?.find((o) => o.controller && o.kind === 'DaemonSet' && o.apiVersion.startsWith(`${KRUISE_GROUP}/`));
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

  /** Nodes were added or relabelled: every DaemonSet looks again. */
  nodesChanged(): void {
    for (const ds of this.sim.store.rawList(DAEMONSETS, undefined, () => true)) this.queue.add(ds.metadata.namespace ?? '', ds.metadata.name ?? '');
  }

  private collectGarbage(ds: KObj): void {
    for (const p of this.ownedPods(ds as unknown as AdvancedDaemonSet)) this.sim.store.delete('pods', p.metadata.namespace, p.metadata.name ?? '');
    this.revisions.delete(`${ds.metadata.namespace}/${ds.metadata.name}`);
  }

  private ownedPods(ds: AdvancedDaemonSet): Pod[] {
    const uid = ds.metadata.uid;
    return this.sim.store.rawList('pods', ds.metadata.namespace, (p) => !!p.metadata.ownerReferences?.some((o) => o.uid === uid && o.controller)) as unknown as Pod[];
  }

  private revisionHash(ds: AdvancedDaemonSet): string {
    const hash = safeEncode(fnv32a(canonical({ spec: { template: { ...ds.spec.template, $patch: 'replace' } } })));
    const k = `${ds.metadata.namespace}/${ds.metadata.name}`;
    let revs = this.revisions.get(k);
    if (!revs) this.revisions.set(k, (revs = new Map()));
    if (!revs.has(hash)) revs.set(hash, structuredClone(ds.spec.template));
    return hash;
  }

  /** Nodes that should run the pod: every node whose labels match the template's nodeSelector. */
  private desiredNodes(ds: AdvancedDaemonSet): string[] {
    const sel = (ds.spec.template.spec as { nodeSelector?: Record<string, string> }).nodeSelector ?? {};
    return [...this.sim.nodes.entries()].filter(([, n]) => Object.entries(sel).every(([k, v]) => n.labels?.[k] === v)).map(([name]) => name).sort();
  }

  private reconcile(ns: string, name: string): void {
    const ds = this.sim.store.raw(DAEMONSETS, ns, name) as unknown as AdvancedDaemonSet | undefined;
    if (!ds || ds.metadata.deletionTimestamp) return;
    const hash = this.revisionHash(ds);
    const nodes = this.desiredNodes(ds);
    const pods = this.ownedPods(ds).filter(isActive);
    const byNode = new Map<string, Pod[]>();
    for (const p of pods) {
      const n = p.spec.nodeName ?? '';
      byNode.set(n, [...(byNode.get(n) ?? []), p]);
    }
    if (!this.manage(ds, nodes, byNode, hash)) {
      let refreshed = false;
      for (const p of pods) refreshed = refreshInPlaceCondition(this.sim, p).changed || refreshed;
      const us = ds.spec.updateStrategy ?? {};
      if (!refreshed && !us.rollingUpdate?.paused && (us.type ?? 'RollingUpdate') === 'RollingUpdate') this.rollingUpdate(ds, nodes, byNode, hash);
    }
    this.writeStatus(ds, nodes, hash);
  }

  /** manage: a pod on every desired node that has none; pods on other nodes deleted. True when it wrote anything. */
  private manage(ds: AdvancedDaemonSet, nodes: string[], byNode: Map<string, Pod[]>, hash: string): boolean {
    let changed = false;
    for (const node of nodes) {
      if ((byNode.get(node) ?? []).length === 0) {
        this.createPod(ds, node, hash);
        changed = true;
      }
    }
    for (const [node, list] of byNode) {
      if (nodes.includes(node)) continue;
      for (const p of list) this.sim.store.delete('pods', p.metadata.namespace, p.metadata.name ?? '');
      changed = true;
    }
    return changed;
  }

  private available(p: Pod, minReadySeconds: number): boolean {
    if (getCondition(p, 'Ready')?.status !== 'True') return false;
    if (minReadySeconds <= 0) return true;
    const since = Date.parse(getCondition(p, 'Ready')?.lastTransitionTime ?? '');
    if (this.sim.clock.now() - since >= minReadySeconds * 1000) return true;
    this.sim.clock.after(minReadySeconds * 1000, () => this.queue.add(p.metadata.namespace ?? '', ownerName(p)));
    return false;
  }

  private rollingUpdate(ds: AdvancedDaemonSet, nodes: string[], byNode: Map<string, Pod[]>, hash: string): void {
    const ru = ds.spec.updateStrategy?.rollingUpdate ?? {};
    const desired = nodes.length;
    // apimachinery's strict parser: "12.5%" is an error, and an error ends the pass (no pod is ever updated).
    const maxSurge = ru.maxSurge === undefined ? 0 : strictScaledPercent(ru.maxSurge, desired, true);
    let maxUnavailable = ru.maxUnavailable === undefined ? 0 : strictScaledPercent(ru.maxUnavailable, desired, true);
    if (maxSurge === undefined || maxUnavailable === undefined || maxSurge > 0) return;
    if (desired > 0 && maxUnavailable === 0) maxUnavailable = 1;
    const minReady = ds.spec.minReadySeconds ?? 0;
    const isNew = (p: Pod) => p.metadata.labels?.[KRUISE.revisionLabel] === hash;
    let numUnavailable = 0;
    const replacements: Pod[] = [];
    const candidates: Pod[] = [];
    for (const node of this.nodesToUpdate(ds, nodes, byNode, hash)) {
      const list = byNode.get(node) ?? [];
      if (list.length > 1) {
        numUnavailable++;
        continue;
      }
      const p = list[0];
      if (!p) {
        numUnavailable++;
        continue;
      }
      if (isNew(p)) {
        if (!this.available(p, minReady)) numUnavailable++;
        continue;
      }
      if (!this.available(p, minReady)) replacements.push(p);
      else if (numUnavailable < maxUnavailable) candidates.push(p);
    }
    const room = Math.min(Math.max(maxUnavailable - numUnavailable, 0), candidates.length);
    const revs = this.revisions.get(`${ds.metadata.namespace}/${ds.metadata.name}`);
    const target = revs?.get(hash) ?? ds.spec.template;
    for (const p of [...replacements, ...candidates.slice(0, room)]) {
      const from = revs?.get(p.metadata.labels?.[KRUISE.revisionLabel] ?? '');
      // canPodInPlaceUpdate: the pod must carry the readiness gate, and the change must be possible in place.
      const plan = ru.rollingUpdateType === 'InPlaceIfPossible' && hasInPlaceGate(p) && from ? inPlacePlan(from, target, this.sim.gates.envFromMetadata) : undefined;
      if (plan) {
        startInPlaceUpdate(this.sim, p, plan, { revision: hash, revisionLabels: { [KRUISE.revisionLabel]: hash }, lifecycleUpdating: false });
        this.sim.event(ds as unknown as KObj, 'Normal', 'SuccessfulUpdatePodInPlace', `successfully update pod ${p.metadata.name} in-place`);
      } else {
        for (const c of p.spec.containers) {
          this.sim.restartLog.push({ at: this.sim.clock.now(), namespace: p.metadata.namespace ?? '', pod: p.metadata.name ?? '', uid: p.metadata.uid ?? '', container: c.name, cause: 'recreate' });
        }
        this.sim.store.delete('pods', p.metadata.namespace, p.metadata.name ?? '');
        this.sim.event(ds as unknown as KObj, 'Normal', 'SuccessfulDelete', `Deleted pod: ${p.metadata.name}`);
      }
    }
  }

  /**
   * filterDaemonPodsNodeToUpdate: node names sorted, walked from the highest; updated nodes first, then nodes with no
   * old pod, then the rest (only those matching rollingUpdate.selector when it is set), cut to `nodes - partition`.
   */
  private nodesToUpdate(ds: AdvancedDaemonSet, nodes: string[], byNode: Map<string, Pod[]>, hash: string): string[] {
    const ru = ds.spec.updateStrategy?.rollingUpdate ?? {};
    const desiredScheduled = Number(ds.status?.desiredNumberScheduled ?? 0);
    const partition = ru.partition === undefined ? 0 : strictScaledPercent(ru.partition, desiredScheduled, false);
    if (partition === undefined) return [];
    const nodeSelector = ru.selector ? selectorMatcher(ru.selector) : undefined;
    const updated: string[] = [];
    const updating: string[] = [];
    const rest: string[] = [];
    for (let i = nodes.length - 1; i >= 0; i--) {
      const list = byNode.get(nodes[i]) ?? [];
      if (list.length > 1 || list.some((p) => p.metadata.labels?.[KRUISE.revisionLabel] === hash)) updated.push(nodes[i]);
      else if (list.length === 0) updating.push(nodes[i]);
      else if (!nodeSelector || nodeSelector(this.sim.nodes.get(nodes[i])?.labels ?? {})) rest.push(nodes[i]);
    }
    const maxUpdate = nodes.length - partition;
    if (maxUpdate <= 0) return [];
    return [...updated, ...updating, ...rest].slice(0, maxUpdate);
  }

  private createPod(ds: AdvancedDaemonSet, node: string, hash: string): void {
    const ns = ds.metadata.namespace ?? '';
    const tpl = ds.spec.template;
    const spec = structuredClone(tpl.spec) as Pod['spec'];
    const gates = [...(spec.readinessGates ?? [])];
    // syncNodes adds the gate only while the type is InPlaceIfPossible: pods created before keep running without it.
    if (ds.spec.updateStrategy?.rollingUpdate?.rollingUpdateType === 'InPlaceIfPossible') gates.push({ conditionType: KRUISE.inPlaceUpdateReady });
    if (!gates.some((g) => g.conditionType === KRUISE.kruisePodReady)) gates.push({ conditionType: KRUISE.kruisePodReady });
    spec.readinessGates = gates;
    // CreatePodTemplate's DaemonSet tolerations, and under --assign-pods-by-scheduler (the manager's default) the node
    // named by a required node affinity that replaces the template's required terms (daemonset_controller.go syncNodes,
    // k8s.io/kubernetes/pkg/controller/daemon/util). The scheduler then binds the pod there at once.
    spec.tolerations = withDaemonTolerations(spec.tolerations);
    spec.affinity = withNodeNameAffinity(spec.affinity, node);
    spec.nodeName = node;
    spec.enableServiceLinks ??= true;
    let name: string;
    do name = `${ds.metadata.name}-${randomId()}`;
    while (this.sim.store.raw('pods', ns, name));
    this.sim.store.create('pods', {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {
        name,
        generateName: `${ds.metadata.name}-`,
        namespace: ns,
        labels: { ...tpl.metadata?.labels, [KRUISE.revisionLabel]: hash },
        annotations: { ...tpl.metadata?.annotations },
        ownerReferences: [{ apiVersion: `${KRUISE_GROUP}/v1beta1`, kind: 'DaemonSet', name: ds.metadata.name ?? '', uid: ds.metadata.uid ?? '', controller: true, blockOwnerDeletion: true }],
      },
      spec: spec as unknown as Record<string, unknown>,
      status: { phase: 'Pending', qosClass: 'BestEffort' },
    });
    this.sim.event(ds as unknown as KObj, 'Normal', 'SuccessfulCreate', `Created pod: ${name}`);
  }

  /** updateDaemonSetStatus: per desired node, the oldest pod's readiness, availability and revision. */
  private writeStatus(dsIn: AdvancedDaemonSet, nodes: string[], hash: string): void {
    const ds = (this.sim.store.raw(DAEMONSETS, dsIn.metadata.namespace, dsIn.metadata.name ?? '') as unknown as AdvancedDaemonSet | undefined) ?? dsIn;
    const pods = this.ownedPods(ds).filter((p) => !p.metadata.deletionTimestamp);
    const minReady = ds.spec.minReadySeconds ?? 0;
    let current = 0;
    let ready = 0;
    let available = 0;
    let updated = 0;
    for (const node of nodes) {
      const onNode = pods.filter((p) => p.spec.nodeName === node).sort((a, b) => (a.metadata.creationTimestamp ?? '').localeCompare(b.metadata.creationTimestamp ?? ''));
      if (!onNode.length) continue;
      current++;
      const p = onNode[0];
      if (getCondition(p, 'Ready')?.status === 'True') {
        ready++;
        if (this.available(p, minReady)) available++;
      }
      if (p.metadata.labels?.[KRUISE.revisionLabel] === hash) updated++;
    }
    const misscheduled = new Set(pods.map((p) => p.spec.nodeName ?? '').filter((n) => !nodes.includes(n))).size;
    const status: Record<string, unknown> = {
      currentNumberScheduled: current,
      numberMisscheduled: misscheduled,
      desiredNumberScheduled: nodes.length,
      numberReady: ready,
      observedGeneration: ds.metadata.generation,
      updatedNumberScheduled: updated,
      numberAvailable: available,
      numberUnavailable: nodes.length - available,
      updateRevision: hash,
      ...(ds.status?.conditions?.length ? { conditions: ds.status.conditions } : {}),
    };
    // omitempty fields of DaemonSetStatus (v1beta1 daemonset_types.go).
    for (const f of ['observedGeneration', 'numberAvailable', 'numberUnavailable', 'updateRevision']) if (status[f] === 0 || status[f] === '') delete status[f];
    if (deepEqual(status, ds.status)) return;
    this.sim.store.replace(DAEMONSETS, { ...(ds as unknown as KObj), status });
  }
}

function ownerName(p: Pod): string {
  return p.metadata.ownerReferences?.find((o) => o.controller)?.name ?? '';
}

type Toleration = { key?: string; operator?: string; effect?: string; value?: string; tolerationSeconds?: number };
type NodeSelectorTerm = { matchExpressions?: unknown[]; matchFields?: Array<{ key: string; operator: string; values: string[] }> };
type Affinity = { nodeAffinity?: { requiredDuringSchedulingIgnoredDuringExecution?: { nodeSelectorTerms: NodeSelectorTerm[] }; [k: string]: unknown }; [k: string]: unknown };

/** AddOrUpdateDaemonPodTolerations (k8s.io/kubernetes/pkg/controller/daemon/util), in its order, for a pod without host networking. */
const DAEMON_TOLERATIONS: Toleration[] = [
  { key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute' },
  { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute' },
  { key: 'node.kubernetes.io/disk-pressure', operator: 'Exists', effect: 'NoSchedule' },
  { key: 'node.kubernetes.io/memory-pressure', operator: 'Exists', effect: 'NoSchedule' },
  { key: 'node.kubernetes.io/pid-pressure', operator: 'Exists', effect: 'NoSchedule' },
  { key: 'node.kubernetes.io/unschedulable', operator: 'Exists', effect: 'NoSchedule' },
];

/** v1helper.AddOrUpdateTolerationInPodSpec for each: one with the same key, operator, value and effect is replaced. */
function withDaemonTolerations(existing: unknown): Toleration[] {
  const out = [...((existing as Toleration[] | undefined) ?? [])];
  for (const t of DAEMON_TOLERATIONS) {
    const same = (x: Toleration) => x.key === t.key && (x.operator ?? 'Equal') === t.operator && (x.value ?? '') === '' && x.effect === t.effect;
    const i = out.findIndex(same);
    if (i >= 0) out[i] = { ...t };
    else out.push({ ...t });
  }
  return out;
}

/** ReplaceDaemonSetPodNodeNameNodeAffinity: the required terms become one matchFields term on metadata.name. */
function withNodeNameAffinity(existing: unknown, node: string): Affinity {
  const term: NodeSelectorTerm = { matchFields: [{ key: 'metadata.name', operator: 'In', values: [node] }] };
  const affinity = structuredClone((existing as Affinity | undefined) ?? {});
  affinity.nodeAffinity = { ...affinity.nodeAffinity, requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [term] } };
  return affinity;
}
