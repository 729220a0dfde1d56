// Seeding the Advanced StatefulSet and Advanced DaemonSet on the real tier: the same objects the emulator's seeds
// build (test/cluster/index.ts), created through the real API server and Kruise's webhooks, then waited on until Kruise's
// own controllers report every pod Running and Ready.
import { daemonSetObject, statefulSetObject, type SeedDaemonSet, type SeedStatefulSet } from '../cluster/index';
import type { AdvancedDaemonSet } from '../../src/kruise/workload/advanced-daemonset';
import type { AdvancedStatefulSet } from '../../src/kruise/workload/advanced-statefulset';
import { KRUISE, type Pod } from '../../src/kruise/types';
import type { RealCluster } from './index';

export type { SeedDaemonSet, SeedStatefulSet };

const ownedBy = (kind: string, name: string) => (p: Pod) =>
  !p.metadata.deletionTimestamp && !!p.metadata.ownerReferences?.some((o) => o.controller && o.kind === kind && o.name === name && o.apiVersion.startsWith('apps.kruise.io/'));

const hasGate = (p: Pod) => !!p.spec.readinessGates?.some((g) => g.conditionType === KRUISE.inPlaceUpdateReady);

const readyPod = (p: Pod) => p.status?.phase === 'Running' && !!p.status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True');

async function create(rc: RealCluster, resource: 'statefulsets' | 'daemonsets', ns: string, obj: object): Promise<void> {
  await rc.createNamespace(ns);
  const r = await rc.api('POST', `/apis/apps.kruise.io/v1beta1/namespaces/${ns}/${resource}`, obj);
  if (r.status !== 201) throw new Error(`creating ${resource} ${ns}: ${r.status} ${JSON.stringify(r.body).slice(0, 300)}`);
}

/** Creates the Advanced StatefulSet and waits until the controller counts every replica ready and updated. */
export async function seedStatefulSet(rc: RealCluster, s: SeedStatefulSet & { namespace: string }): Promise<AdvancedStatefulSet> {
  const ns = s.namespace;
  await create(rc, 'statefulsets', ns, statefulSetObject(s, ns));
  return rc.waitFor(
    async () => {
      const sts = await rc.get<AdvancedStatefulSet>('statefulsets', ns, s.name);
      const st = sts?.status;
      if (!sts || !st || st.observedGeneration !== sts.metadata.generation) return undefined;
      if (st.replicas !== s.replicas || (st.readyReplicas ?? 0) !== s.replicas || (st.updatedReplicas ?? 0) !== s.replicas) return undefined;
      const pods = (await rc.list<Pod>('pods', ns)).filter(ownedBy('StatefulSet', s.name));
      return pods.length === s.replicas && pods.every(readyPod) ? sts : undefined;
    },
    // OrderedReady starts one pod after the previous is Ready: a few seconds each.
    Math.max(60_000, s.replicas * 10_000),
    `Advanced StatefulSet ${ns}/${s.name} to have ${s.replicas} Running and Ready pods`,
  );
}

async function nodeNames(rc: RealCluster): Promise<string[]> {
  return (await rc.list<{ metadata: { name: string } }>('nodes', '')).map((n) => n.metadata.name).sort();
}

async function daemonSetSettled(rc: RealCluster, ns: string, name: string, nodes: number, what: string): Promise<AdvancedDaemonSet> {
  return rc.waitFor(
    async () => {
      const ds = await rc.get<AdvancedDaemonSet>('daemonsets', ns, name);
      const st = ds?.status;
      if (!ds || !st || st.observedGeneration !== ds.metadata.generation) return undefined;
      if (st.desiredNumberScheduled !== nodes || (st.numberReady ?? 0) !== nodes || (st.updatedNumberScheduled ?? 0) !== nodes) return undefined;
      const pods = (await rc.list<Pod>('pods', ns)).filter(ownedBy('DaemonSet', name));
      return pods.length === nodes && pods.every(readyPod) && new Set(pods.map((p) => p.spec.nodeName)).size === nodes ? ds : undefined;
    },
    Math.max(60_000, nodes * 10_000),
    what,
  );
}

/**
 * Creates the Advanced DaemonSet, which runs on every node of the cluster: `nodes`, when given, must be the number the
 * node agent plays (nodes are shared by every test of a real cluster, so a seed cannot add its own).
 *
 * podsWithoutGate is reached as on any real cluster: the pods are created under `Standard` (no InPlaceUpdateReady gate),
 * the type is switched to InPlaceIfPossible (a strategy change, not a template change: no pod is touched), and the pods
 * on the nodes that should have the gate are deleted so the controller creates them again, now with it.
 */
export async function seedDaemonSet(rc: RealCluster, s: SeedDaemonSet & { namespace: string }): Promise<AdvancedDaemonSet> {
  const ns = s.namespace;
  const all = await nodeNames(rc);
  if (s.nodes !== undefined && s.nodes !== all.length) {
    throw new Error(`seedDaemonSet: the real cluster has ${all.length} nodes (${all.join(', ')}), not ${s.nodes}: start it with nodes: ${s.nodes}`);
  }
  const finalType = s.rollingUpdateType ?? 'Standard';
  const gateless = finalType === 'InPlaceIfPossible' ? s.podsWithoutGate : undefined;
  const obj = daemonSetObject(gateless ? { ...s, rollingUpdateType: 'Standard' } : s, ns);
  await create(rc, 'daemonsets', ns, obj);
  const settled = await daemonSetSettled(rc, ns, s.name, all.length, `Advanced DaemonSet ${ns}/${s.name} to have a Ready pod on each of ${all.length} nodes`);
  if (!gateless) return settled;

  const path = `/apis/apps.kruise.io/v1beta1/namespaces/${ns}/daemonsets/${s.name}`;
  const r = await rc.api('PATCH', path, { spec: { updateStrategy: { rollingUpdate: { rollingUpdateType: 'InPlaceIfPossible' } } } }, { contentType: 'application/merge-patch+json' });
  if (r.status !== 200) throw new Error(`switching ${ns}/${s.name} to InPlaceIfPossible: ${r.status} ${JSON.stringify(r.body).slice(0, 300)}`);
  // The controller adds the gate to pods it creates once it has seen the new type: wait for that before deleting.
  const generation = (r.body as AdvancedDaemonSet).metadata.generation;
  await rc.waitFor(async () => ((await rc.get<AdvancedDaemonSet>('daemonsets', ns, s.name))?.status?.observedGeneration ?? 0) >= (generation ?? 0), 30_000, `the controller to observe ${ns}/${s.name} generation ${generation}`);
  const keep = new Set(Array.isArray(gateless) ? gateless : all);
  const pods = (await rc.list<Pod>('pods', ns)).filter(ownedBy('DaemonSet', s.name));
  const renew = pods.filter((p) => !keep.has(p.spec.nodeName ?? ''));
  for (const p of renew) {
    const d = await rc.api('DELETE', `/api/v1/namespaces/${ns}/pods/${p.metadata.name}`);
    if (d.status !== 200) throw new Error(`deleting ${ns}/${p.metadata.name} for a gated replacement: ${d.status} ${JSON.stringify(d.body).slice(0, 300)}`);
  }
  const old = new Set(renew.map((p) => p.metadata.uid));
  await rc.waitFor(
    async () => {
      const now = (await rc.list<Pod>('pods', ns)).filter(ownedBy('DaemonSet', s.name));
      return now.length === all.length && now.every((p) => !old.has(p.metadata.uid) && readyPod(p) && hasGate(p) !== keep.has(p.spec.nodeName ?? ''));
    },
    60_000,
    `the pods of ${ns}/${s.name} on ${renew.map((p) => p.spec.nodeName).join(', ')} to come back with the InPlaceUpdateReady gate`,
  );
  return daemonSetSettled(rc, ns, s.name, all.length, `Advanced DaemonSet ${ns}/${s.name} settled after the switch to InPlaceIfPossible`);
}
