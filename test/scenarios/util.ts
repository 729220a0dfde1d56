// What every scenario needs: the plugin run against a TestCluster, pods of a CloneSet, restart counts, and wall-clock
// budgets that fit the backend (the emulator runs 50x faster than the real cluster).
import type { TestCluster } from '../backend/index';
import { runPlugin, type PluginRun } from '../e2e/harness';
import type { CloneSet, Pod } from '../../src/kruise/types';

export const KEY = 'team.example.com/restart-token';

export type Scenario = { title: string; run: (c: TestCluster) => Promise<void> };

/** The plugin as the test's own user (or `kubeconfig`), in the test's namespace. */
export function plugin(c: TestCluster, args: string[], opts: { kubeconfig?: string; timeoutMs?: number } = {}): Promise<PluginRun> {
  return runPlugin(args, { kubeconfig: opts.kubeconfig ?? c.writeKubeconfig(), timeoutMs: opts.timeoutMs ?? (c.backend === 'real' ? 240_000 : 60_000) });
}

/** A wall-clock budget: `emulated` seconds on the emulator, `real` seconds on the real cluster. */
export const secs = (c: TestCluster, emulated: number, real: number): number => (c.backend === 'real' ? real : emulated);

export async function podsOf(c: TestCluster, name: string, ns = c.namespace): Promise<Pod[]> {
  return (await c.list<Pod>('pods', ns)).filter((p) => p.metadata.ownerReferences?.some((o) => o.kind === 'CloneSet' && o.name === name) && !p.metadata.deletionTimestamp);
}

export const identity = (pods: Pod[]): string[] => pods.map((p) => `${p.metadata.name}/${p.metadata.uid}`).sort();

export async function cloneSetOf(c: TestCluster, name: string, ns = c.namespace): Promise<CloneSet> {
  const cs = await c.get<CloneSet>('clonesets', ns, name);
  if (!cs) throw new Error(`CloneSet ${ns}/${name} is gone`);
  return cs;
}

/** restartCount of `container` per pod UID, from the kubelet's pod status. */
export function restartCounts(pods: Pod[], container: string): Map<string, number> {
  return new Map(pods.map((p) => [p.metadata.uid ?? '', p.status?.containerStatuses?.find((s) => s.name === container)?.restartCount ?? -1]));
}

/** In-place kills per pod name of `container` (cause inplace or crr), from the node side's own log. */
export function killsBy(c: TestCluster, container: string, cause: 'inplace' | 'crr'): Map<string, number> {
  const counts = new Map<string, number>();
  for (const r of c.restartLog()) if (r.container === container && r.cause === cause) counts.set(r.pod, (counts.get(r.pod) ?? 0) + 1);
  return counts;
}

export const escape = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
