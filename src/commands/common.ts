// Steps several commands share: validating the target name, reading the CloneSet and its pods.
import { hostname, userInfo } from 'node:os';
// Static on purpose: the single executable has no loader for import() and dies with ERR_VM_DYNAMIC_IMPORT_CALLBACK_MISSING.
import { createInterface } from 'node:readline/promises';
import type { CommandContext } from '../cli/context';
import { FailedError, InterruptedError, UsageError, printable } from '../cli/errors';
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

/**
 * Asks y/N on a terminal. Off a terminal there is nobody to ask: the caller must require --yes instead. End of input
 * (Ctrl-D) is a no; Ctrl-C is an interruption (exit 130), whether it arrives as a keystroke or as a signal.
 */
export async function confirm(ctx: CommandContext, question: string): Promise<boolean> {
  const rl = createInterface({ input: process.stdin, output: ctx.stderr });
  const cancel = new AbortController();
  const interrupt = () => cancel.abort();
  // readline reads a terminal in raw mode, so Ctrl-C arrives as a keystroke, not as SIGINT to the process.
  rl.on('SIGINT', interrupt);
  ctx.interrupted.addEventListener('abort', interrupt, { once: true });
  const ended = new Promise<undefined>((resolve) => rl.once('close', () => resolve(undefined)));
  try {
    const answer = await Promise.race([rl.question(`${question} [y/N] `, { signal: cancel.signal }), ended]);
    if (answer === undefined) ctx.stderr.write('\n');
    return /^y(es)?$/i.test((answer ?? '').trim());
  } catch (err) {
    if (!cancel.signal.aborted) throw err;
    ctx.stderr.write('\n');
    throw new InterruptedError('interrupted before confirming', 'nothing was changed');
  } finally {
    ctx.interrupted.removeEventListener('abort', interrupt);
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
