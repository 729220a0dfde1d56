// Steps several commands share: validating the target name, reading the CloneSet and its pods.
import { hostname, userInfo } from 'node:os';
import type { CommandContext } from '../cli/context';
import { ApiError, FailedError, UsageError } from '../cli/errors';
import type { CommandArgs } from '../cli/program';
import { parseDuration } from '../kube/config';
import type { KubeClient } from '../kube/client';
import { CLONESETS, EVENTS, PODS, apiVersion, collectionPath, objectPath } from '../kube/resources';
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

export async function getCloneSet(client: KubeClient, name: string): Promise<CloneSet> {
  try {
    return await client.get<CloneSet>(objectPath(CLONESETS, client.namespace, name), { type: CLONESETS });
  } catch (err) {
    if (err instanceof ApiError && err.status === 404 && err.reason === 'NotFound') {
      throw new FailedError(
        `CloneSet "${name}" not found in namespace "${client.namespace}"`,
        `check the name and -n/--namespace (kubectl get clonesets -n ${client.namespace})`,
      );
    }
    throw err;
  }
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

export function warn(ctx: CommandContext, message: string): void {
  ctx.stderr.write(`warning: ${message}\n`);
}

export function note(ctx: CommandContext, message: string): void {
  ctx.stderr.write(`${message}\n`);
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
