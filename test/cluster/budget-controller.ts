// The two controllers that keep disruption budgets' status: Kubernetes' disruption controller for PodDisruptionBudgets
// (pkg/controller/disruption) and Kruise's PodUnavailableBudget controller (pkg/controller/podunavailablebudget).
// Both recount on every pod, budget or workload change; the status is written only when it changed.

import { resolveIntOrPercent } from '../../src/kruise/budget';
import { labelSelectorMatches, type PodDisruptionBudget, type PodUnavailableBudget } from '../../src/kruise/disruption-budgets';
import type { CloneSet, Pod } from '../../src/kruise/types';
import { CLONESETS, PDB_DEF, STORAGE_KEYS } from './resources';
import { getCondition, isActive, type Sim } from './sim';
import type { KObj } from './store';

const PDBS = PDB_DEF.storageKey;
const PUBS = STORAGE_KEYS.podunavailablebudgets;

export class BudgetController {
  private readonly dirty = new Set<string>();
  private scheduled = false;
  private stopped = false;
  private readonly unsubscribe: () => void;

  /** `disruptionController: false`: kube-controller-manager runs without its disruption controller; PDB status stays the server's zeros. */
  constructor(
    private readonly sim: Sim,
    private readonly disruptionController = true,
  ) {
    this.unsubscribe = sim.store.subscribe((e) => {
      if (![PDBS, PUBS, 'pods', CLONESETS].includes(e.resource)) return;
      const ns = e.object.metadata.namespace;
      if (!ns || this.sim.unmanaged.has(ns)) return;
      this.dirty.add(ns);
      this.schedule();
    });
  }

  busy(): boolean {
    return this.dirty.size > 0;
  }

  stop(): void {
    this.stopped = true;
    this.unsubscribe();
  }

  private schedule(): void {
    if (this.scheduled || this.stopped) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      const namespaces = [...this.dirty];
      this.dirty.clear();
      for (const ns of namespaces) this.sync(ns);
    });
  }

  private sync(ns: string): void {
    const store = this.sim.store;
    const pods = (store.rawList('pods', ns) as unknown as Pod[]).filter(isActive);
    const clonesets = store.rawList(CLONESETS, ns) as unknown as CloneSet[];
    const ready = (p: Pod) => !p.metadata.deletionTimestamp && getCondition(p, 'Ready')?.status === 'True';
    // getExpectedScale: each matched pod's controller contributes its replicas once; pods without one count as 1.
    const expectedScale = (matched: Pod[]) => {
      const seen = new Set<string>();
      let expected = 0;
      for (const p of matched) {
        const owner = p.metadata.ownerReferences?.find((o) => o.controller);
        const cs = owner?.kind === 'CloneSet' ? clonesets.find((c) => c.metadata.uid === owner.uid) : undefined;
        if (!cs) {
          expected++;
          continue;
        }
        if (seen.has(cs.metadata.uid ?? '')) continue;
        seen.add(cs.metadata.uid ?? '');
        expected += cs.spec.replicas ?? 1;
      }
      return expected;
    };

    for (const raw of store.rawList(PDBS, ns)) {
      const pdb = raw as unknown as PodDisruptionBudget;
      if (!this.disruptionController) {
        // The API server's own serialization of an empty status: the count fields are not omitempty.
        if (!pdb.status) this.write(PDBS, raw, { disruptionsAllowed: 0, currentHealthy: 0, desiredHealthy: 0, expectedPods: 0 });
        continue;
      }
      const selector = pdb.spec?.selector;
      const matched = selector ? pods.filter((p) => labelSelectorMatches(selector, p.metadata.labels)) : [];
      const currentHealthy = matched.filter(ready).length;
      let expectedPods: number;
      let desiredHealthy: number;
      const { maxUnavailable, minAvailable } = pdb.spec ?? {};
      if (maxUnavailable !== undefined) {
        expectedPods = expectedScale(matched);
        desiredHealthy = Math.max(0, expectedPods - resolveIntOrPercent(maxUnavailable, expectedPods, true));
      } else if (typeof minAvailable === 'string') {
        expectedPods = expectedScale(matched);
        desiredHealthy = resolveIntOrPercent(minAvailable, expectedPods, true);
      } else {
        expectedPods = matched.length;
        desiredHealthy = typeof minAvailable === 'number' ? minAvailable : 0;
      }
      const disruptionsAllowed = Math.max(0, currentHealthy - desiredHealthy);
      const status = {
        observedGeneration: pdb.metadata.generation ?? 1,
        disruptionsAllowed,
        currentHealthy,
        desiredHealthy,
        expectedPods,
        conditions: [
          {
            type: 'DisruptionAllowed',
            status: disruptionsAllowed > 0 ? 'True' : 'False',
            reason: disruptionsAllowed > 0 ? 'SufficientPods' : 'InsufficientPods',
            message: '',
            observedGeneration: pdb.metadata.generation ?? 1,
            lastTransitionTime: getConditionTime(pdb.status, disruptionsAllowed > 0) ?? this.sim.clock.iso(),
          },
        ],
      };
      this.write(PDBS, raw, status);
    }

    for (const raw of store.rawList(PUBS, ns)) {
      const pub = raw as unknown as PodUnavailableBudget;
      const spec = pub.spec ?? {};
      let matched: Pod[];
      let expected: number;
      if (spec.targetRef) {
        const cs = spec.targetRef.kind === 'CloneSet' ? clonesets.find((c) => c.metadata.name === spec.targetRef?.name) : undefined;
        matched = cs ? pods.filter((p) => p.metadata.ownerReferences?.some((o) => o.controller && o.uid === cs.metadata.uid)) : [];
        expected = cs ? (cs.spec.replicas ?? 1) : 0;
      } else {
        const selector = spec.selector;
        matched = selector ? pods.filter((p) => labelSelectorMatches(selector, p.metadata.labels)) : [];
        expected = expectedScale(matched);
      }
      let desiredAvailable = 0;
      if (spec.maxUnavailable !== undefined) desiredAvailable = Math.max(0, expected - resolveIntOrPercent(spec.maxUnavailable, expected, true));
      else if (typeof spec.minAvailable === 'number') desiredAvailable = spec.minAvailable;
      else if (spec.minAvailable !== undefined) desiredAvailable = resolveIntOrPercent(spec.minAvailable, expected, true);
      // IsPodStateConsistent && IsPodReady: a pod whose in-place update is not finished is not available.
      const consistent = (p: Pod) => getCondition(p, 'InPlaceUpdateReady')?.status !== 'False';
      const currentAvailable = matched.filter((p) => ready(p) && consistent(p)).length;
      const status = {
        observedGeneration: pub.metadata.generation ?? 1,
        unavailableAllowed: Math.max(0, currentAvailable - desiredAvailable),
        currentAvailable,
        desiredAvailable,
        totalReplicas: expected,
      };
      this.write(PUBS, raw, status);
    }
  }

  private write(resource: string, raw: KObj, status: Record<string, unknown>): void {
    const current = (raw as { status?: Record<string, unknown> }).status;
    if (JSON.stringify(current) === JSON.stringify(status)) return;
    this.sim.store.replace(resource, { ...raw, status } as KObj);
  }
}

function getConditionTime(status: PodDisruptionBudget['status'], allowed: boolean): string | undefined {
  const conditions = (status?.conditions as { type: string; status: string; lastTransitionTime?: string }[] | undefined) ?? [];
  const c = conditions.find((x) => x.type === 'DisruptionAllowed');
  return c && c.status === (allowed ? 'True' : 'False') ? c.lastTransitionTime : undefined;
}
