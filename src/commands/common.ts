// Steps several commands share: validating the target name, reading the CloneSet and its pods.
import { hostname, userInfo } from 'node:os';
import type { CommandContext } from '../cli/context';
import { FailedError, UsageError, printable } from '../cli/errors';
import type { CommandArgs } from '../cli/program';
import { parseDuration } from '../kube/config';
import type { KubeClient } from '../kube/client';
import { CLONESETS, EVENTS, PODS, apiVersion, collectionPath } from '../kube/resources';
import { ownedBy, podSelectorOf, validateObjectName } from '../kruise/selectors';
import type { CloneSet, Pod } from '../kruise/types';

export function cloneSetName(args: CommandArgs): string {
  const name = String(args.cloneset ?? '');
  const problem = validateObjectName(name, 'CloneSet');
  if (problem) throw new UsageError(problem);
  return name;
}

/** `--timeout`: 0 means wait forever. */
export function timeoutMs(args: CommandArgs): number {
  return parseDuration(String(args.timeout ?? '0'), '--timeout');
}

/**
 * Reads the CloneSet with a list narrowed to its name rather than a get: the same single request, and it proves the
 * list permission that following the restart needs (a relist after 410 Gone), so no access review is spent on it.
 */
export async function getCloneSet(client: KubeClient, name: string): Promise<CloneSet> {
  const { items } = await client.list<CloneSet>(collectionPath(CLONESETS, client.namespace), { fieldSelector: `metadata.name=${name}` }, { type: CLONESETS });
  const found = items.find((cs) => cs.metadata.name === name);
  if (!found) {
    throw new FailedError(
      `CloneSet "${name}" not found in namespace "${client.namespace}"`,
      `check the name and -n/--namespace (kubectl get clonesets -n ${client.namespace})`,
    );
  }
  // Items of a list carry no kind; the rest of the plugin does not need it, but documents printed from it should.
  return { apiVersion: 'apps.kruise.io/v1alpha1', kind: 'CloneSet', ...found };
}

export interface PodList {
  pods: Pod[];
  resourceVersion: string;
}

export async function listPods(client: KubeClient, cloneSet: CloneSet, extraSelector?: string): Promise<PodList> {
  const selector = [podSelectorOf(cloneSet), extraSelector].filter(Boolean).join(',');
  const { items, resourceVersion } = await client.list<Pod>(collectionPath(PODS, client.namespace), { labelSelector: selector }, { type: PODS });
  return { pods: ownedBy(cloneSet, items), resourceVersion };
}

// Both carry text from the cluster (pod names, request messages): never raw to the terminal.
export function warn(ctx: CommandContext, message: string): void {
  ctx.stderr.write(`warning: ${printable(message)}\n`);
}

export function note(ctx: CommandContext, message: string): void {
  ctx.stderr.write(`${printable(message)}\n`);
}

/** Asks y/N on a terminal. Off a terminal there is nobody to ask: the caller must require --yes instead. */
export async function confirm(ctx: CommandContext, question: string): Promise<boolean> {
  const { createInterface } = await import('node:readline/promises');
  const rl = createInterface({ input: process.stdin, output: ctx.stderr });
  try {
    const answer = await rl.question(`${question} [y/N] `, { signal: ctx.interrupted });
    return /^y(es)?$/i.test(answer.trim());
  } catch {
    return false;
  } finally {
    rl.close();
  }
}

/** Who started a restart, for the record and the Event: the kubeconfig user and the local account. */
export function whoAmI(client: KubeClient): string {
  let local = 'unknown';
  try {
    local = `${userInfo().username}@${hostname()}`;
  } catch {
    // Some containers have no passwd entry; the kubeconfig user still identifies the caller.
  }
  return `${client.connection.userName || 'unknown'} (${local})`;
}

/** So `kubectl describe clone` shows who restarted it and why. A missing Event is not worth failing a restart for. */
export async function recordEvent(ctx: CommandContext, client: KubeClient, cloneSet: CloneSet, reason: string, message: string): Promise<void> {
  const now = new Date(ctx.now()).toISOString();
  try {
    await client.create(collectionPath(EVENTS, client.namespace), {
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { generateName: `${cloneSet.metadata.name}.`, namespace: client.namespace },
      involvedObject: {
        apiVersion: apiVersion(CLONESETS),
        kind: 'CloneSet',
        name: cloneSet.metadata.name,
        namespace: client.namespace,
        uid: cloneSet.metadata.uid,
        resourceVersion: cloneSet.metadata.resourceVersion,
      },
      reason,
      message,
      type: 'Normal',
      source: { component: 'kubectl-kruise_restart' },
      reportingComponent: 'kubectl-kruise_restart',
      reportingInstance: hostname(),
      firstTimestamp: now,
      lastTimestamp: now,
      count: 1,
    });
  } catch (err) {
    warn(ctx, `could not record an Event on the CloneSet: ${err instanceof Error ? err.message : String(err)}`);
  }
}
