// The cluster side of shell completion (src/cli/complete.ts decides what to complete): names only, one quick
// attempt per request, nothing on stderr.
import type { CompletionLookup } from './context';
import { KubeClient } from '../kube/client';
import { kubeconfigNames, loadConnection } from '../kube/config';
import { CLONESETS, CRRS, PODS, collectionPath, objectPath } from '../kube/resources';
import { labelValue } from '../kruise/crr-plan';
import { resumableRun } from '../kruise/crr-run';
import { readRecord } from '../kruise/record';
import { ownedBy, podSelectorOf } from '../kruise/selectors';
import { PLUGIN, type CloneSet, type ContainerRecreateRequest, type Pod } from '../kruise/types';

/** A shell waits for us on every Tab: a slow or dead cluster must not freeze it. */
const COMPLETION_REQUEST_TIMEOUT = '2s';

interface Named {
  metadata: { name: string; creationTimestamp?: string; labels?: Record<string, string> };
}

export async function completionCandidates(lookup: CompletionLookup): Promise<string[]> {
  if (lookup.kind === 'contexts' || lookup.kind === 'clusters' || lookup.kind === 'users') {
    return kubeconfigNames(lookup.connection)[lookup.kind];
  }
  const connection = loadConnection({ requestTimeout: COMPLETION_REQUEST_TIMEOUT, ...lookup.connection });
  const client = new KubeClient(connection, {
    verbosity: 0,
    log: () => undefined,
    retry: { maxAttempts: 1, baseDelayMs: 0, maxDelayMs: 0, maxRetryAfterMs: 0 },
  });
  const ns = client.namespace;
  const names = (items: Named[]) => items.map((i) => i.metadata.name).sort();
  switch (lookup.kind) {
    case 'namespaces':
      return names((await client.list<Named>('/api/v1/namespaces', {})).items);
    case 'clonesets':
      return names((await client.list<Named>(collectionPath(CLONESETS, ns), {}, { type: CLONESETS })).items);
    default:
      break;
  }
  const cloneSet = await client.get<CloneSet>(objectPath(CLONESETS, ns, lookup.cloneSet ?? ''), { type: CLONESETS });
  if (lookup.kind === 'containers') return (cloneSet.spec.template.spec?.containers ?? []).map((c) => c.name);
  if (lookup.kind === 'pods') {
    const { items } = await client.list<Pod>(collectionPath(PODS, ns), { labelSelector: podSelectorOf(cloneSet) }, { type: PODS });
    return ownedBy(cloneSet, items)
      .map((p) => p.metadata.name ?? '')
      .filter(Boolean)
      .sort();
  }
  const record = readRecord(cloneSet);
  if (lookup.kind === 'resumableRuns') {
    const run = resumableRun(record, Date.now() + client.serverClockOffsetMs);
    return run ? [`${run.run}\t${run.finished === 'failed' ? 'failed' : 'interrupted'} crr run started ${run.startedAt}`] : [];
  }
  // Runs: the latest from the CloneSet's record, then older CRR runs still in the cluster, newest first.
  const started = new Map<string, string>();
  if (record) started.set(record.run, record.startedAt);
  const crrs = await client
    .list<ContainerRecreateRequest>(collectionPath(CRRS, ns), { labelSelector: `${PLUGIN.cloneSetLabel}=${labelValue(cloneSet.metadata.name ?? lookup.cloneSet ?? '')}` }, { type: CRRS })
    .then((r) => r.items)
    .catch(() => []);
  for (const crr of crrs) {
    const run = crr.metadata.labels?.[PLUGIN.runLabel];
    const at = crr.metadata.creationTimestamp ?? '';
    if (run && (!started.has(run) || at < (started.get(run) ?? ''))) started.set(run, at);
  }
  return [...started].sort((a, b) => b[1].localeCompare(a[1])).map(([run, at]) => (at ? `${run}\tstarted ${at}` : run));
}
