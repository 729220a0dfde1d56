// `inplace --setup` on a wired CloneSet whose template has no annotations yet: give the template its first
// annotations in a write of their own and wait until Kruise has rolled them out, so the restart that follows is a
// per-key change Kruise turns into container restarts (see annotationsWouldArriveWhole).
import type { CommandContext } from './context';
import { InterruptedError, RefusedError, TimeoutError } from '../errors';
import type { KubeClient } from '../kube/client';
import { CLONESETS, objectPath, type ResourceType } from '../kube/resources';
import { lostRace } from '../kruise/exclusion';
import { rolloutInProgress } from '../kruise/inplace-plan';
import { primePatch } from '../kruise/trigger';
import type { CloneSet } from '../kruise/types';
import { confirm, getCloneSet, listPods, note } from './common';

const POLL_MS = 1000;

export interface PrimeOptions {
  name: string;
  type?: ResourceType;
  yes: boolean;
  /** 0: no limit. */
  timeoutMs: number;
}

export async function primeTemplateAnnotations(ctx: CommandContext, client: KubeClient, cloneSet: CloneSet, keys: string[], opts: PrimeOptions): Promise<CloneSet> {
  const where = `${client.namespace}/${opts.name}`;
  note(ctx, `writing ${keys.join(', ')} with an empty value into the template of CloneSet ${where} first: Kruise copies a template's first annotations to the pods as plain metadata`);
  if (!opts.yes) {
    if (!ctx.stdout.isTTY || !process.stdin.isTTY) {
      throw new RefusedError('--setup first writes the trigger annotation into the template and needs confirmation', 'run again with --yes');
    }
    if (!(await confirm(ctx, `Write the trigger annotation into the template of CloneSet ${where}?`))) {
      throw new RefusedError('setup not confirmed', 'nothing was changed');
    }
  }
  const type = opts.type ?? CLONESETS;
  const path = objectPath(type, client.namespace, opts.name);
  let current = cloneSet;
  let primed: CloneSet | undefined;
  for (let attempt = 1; !primed; attempt++) {
    try {
      primed = await client.patch<CloneSet>(path, primePatch(current, keys), 'json', { type });
    } catch (err) {
      if (!lostRace(err, true) || attempt >= 5) throw err;
      ctx.log(2, `CloneSet changed while we were writing (attempt ${attempt}); re-reading`);
      current = await getCloneSet(client, opts.name, type);
      // Someone (or our own lost answer) gave the template annotations meanwhile: nothing left to prime.
      if (Object.keys(current.spec.template.metadata?.annotations ?? {}).length > 0) return current;
    }
  }
  const generation = primed.metadata.generation ?? 0;
  const fromRevision = cloneSet.status?.updateRevision;
  const started = ctx.now();
  for (;;) {
    const now = await getCloneSet(client, opts.name, type);
    const status = now.status ?? {};
    const observed = (status.observedGeneration ?? 0) >= generation && status.updateRevision !== undefined && status.updateRevision !== fromRevision;
    if (observed) {
      const { pods } = await listPods(client, now);
      if (!rolloutInProgress(now, pods)) {
        note(ctx, `Kruise rolled the annotation out to every pod; restarting`);
        return now;
      }
    }
    if (ctx.interrupted.aborted) {
      throw new InterruptedError(
        `stopped waiting for Kruise to copy the trigger annotation to the pods of CloneSet ${where}; nothing was restarted yet`,
        'run the restart again (without --setup) once the rollout is over',
      );
    }
    if (opts.timeoutMs > 0 && ctx.now() - started >= opts.timeoutMs) {
      throw new TimeoutError(
        `Kruise has not finished copying the trigger annotation to the pods of CloneSet ${where} within the timeout; nothing was restarted yet`,
        `watch it with "kubectl get clone ${opts.name} -n ${client.namespace} -w", then run the restart again (without --setup)`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}
