// Kruise's pod-readiness controller (pkg/controller/podreadiness): the manager, not the kubelet, sets KruisePodReady
// True on a pod that carries the gate and has no such condition yet, in a status write of its own.

import type { KObj } from './store';
import { getCondition, type Sim, withCondition } from './sim';
import { KRUISE, type Pod } from '../../src/kruise/types';
import { WorkQueue } from './workqueue';

const needsCondition = (pod: Pod): boolean =>
  !pod.metadata.deletionTimestamp && !!pod.spec.readinessGates?.some((g) => g.conditionType === KRUISE.kruisePodReady) && !getCondition(pod, KRUISE.kruisePodReady);

export class PodReadinessController {
  private readonly queue: WorkQueue;

  constructor(private readonly sim: Sim) {
    this.queue = new WorkQueue('pod-readiness', (ns) => sim.unmanaged.has(ns), (ns, name) => this.reconcile(ns, name));
    sim.store.subscribe((e) => {
      if (e.resource === 'pods' && e.type !== 'DELETED' && needsCondition(e.object as unknown as Pod)) this.queue.add(e.object.metadata.namespace ?? '', e.object.metadata.name ?? '');
    });
  }

  stop(): void {
    this.queue.stop();
  }

  busy(): boolean {
    return this.queue.busy();
  }

  private reconcile(ns: string, name: string): void {
    const pod = this.sim.store.raw('pods', ns, name) as unknown as Pod | undefined;
    if (!pod || !needsCondition(pod)) return;
    const conditions = withCondition(pod.status?.conditions, { type: KRUISE.kruisePodReady, status: 'True', lastTransitionTime: this.sim.clock.iso() });
    this.sim.store.replace('pods', { ...(pod as unknown as KObj), status: { ...pod.status, conditions } });
  }
}
