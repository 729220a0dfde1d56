import type { CommandArgs, CommandContext } from './context';
import { EXIT, FailedError } from '../errors';
import { PROGRAM } from '../version';
import { CRRS, collectionPath } from '../kube/resources';
import { track } from '../kruise/progress';
import { readRecord } from '../kruise/record';
import { stageView } from '../kruise/staged-progress';
import { PLUGIN, type ContainerRecreateRequest, type RestartRecord } from '../kruise/types';
import { formatDocument } from '../ui/document';
import { resourceTypeOf, targetOf, getCloneSet, type WorkloadKind, listPods, reporting, timeoutMs, type Report } from './common';
import { followRestart, outcomeExitCode } from './follow';
import { renderOnce } from './sinks';
import type { KubeClient } from '../kube/client';

/** An older CRR run is rebuilt from its requests: the CloneSet only carries the latest record. */
function recordFromCrrs(run: string, crrs: ContainerRecreateRequest[]): RestartRecord {
  const created = crrs.map((c) => c.metadata.creationTimestamp ?? '').filter(Boolean).sort();
  return {
    mode: 'crr',
    run,
    startedAt: created[0] ?? new Date(0).toISOString(),
    containers: [...new Set(crrs.flatMap((c) => c.spec.containers.map((x) => x.name)))],
    pods: crrs.map((c) => c.spec.podName),
  };
}

async function listRunCrrs(client: KubeClient, run: string): Promise<ContainerRecreateRequest[]> {
  const { items } = await client.list<ContainerRecreateRequest>(collectionPath(CRRS, client.namespace), { labelSelector: `${PLUGIN.runLabel}=${run}` }, { type: CRRS });
  return items;
}

export async function runStatus(ctx: CommandContext, args: CommandArgs): Promise<number> {
  const output = args.output as 'json' | 'yaml' | 'wide' | undefined;
  const run = args.run === undefined ? undefined : String(args.run);
  return reporting(ctx, output, (report) => {
    const target = targetOf(args);
    return status(ctx, args, report, { name: target.name, kind: target.kind, wait: timeoutMs(args), output, run });
  });
}

export async function status(
  ctx: CommandContext,
  args: CommandArgs,
  report: Report,
  { name, kind = 'CloneSet', wait, output, run }: { name: string; kind?: WorkloadKind; wait: number; output: 'json' | 'yaml' | 'wide' | undefined; run: string | undefined },
  connected?: KubeClient,
): Promise<number> {
  const client = connected ?? (await ctx.connect());
  report.doc.cloneSet = `${client.namespace}/${name}`;
  const type = await resourceTypeOf(client, kind);
  const cloneSet = await getCloneSet(client, name, type);
  let record = readRecord(cloneSet);
  let crrs: ContainerRecreateRequest[] | undefined;
  if (run && record?.run !== run) {
    crrs = await listRunCrrs(client, run);
    if (crrs.length === 0) throw new FailedError(`no restart run "${run}" found for CloneSet "${name}"`, 'the latest run is shown without --run');
    record = recordFromCrrs(run, crrs);
  }
  const { pods, resourceVersion } = await listPods(client, cloneSet);

  if (args.watch) {
    const result = await followRestart(ctx, client, { cloneSet, type, pods, podsVersion: resourceVersion, record, output, timeoutMs: wait });
    // Nothing to follow reads as nothing, never as a finished restart.
    report.doc = { ...result.progress, ...(result.progress.state === 'none' ? { outcome: 'none' } : {}) };
    return outcomeExitCode(ctx, result, `${PROGRAM} status ${name} -n ${client.namespace} -w`);
  }

  if (record?.mode === 'crr' && !crrs) crrs = await listRunCrrs(client, record.run);
  const tracked = track({ cloneSet, pods, record, crrs, now: ctx.now(), serverClockOffsetMs: client.serverClockOffsetMs });
  const progress = stageView(tracked.progress, { record, serverNow: ctx.now() + client.serverClockOffsetMs });
  if (output === 'json' || output === 'yaml') {
    report.printed = true;
    report.doc = { ...progress };
    ctx.stdout.write(formatDocument(progress, output));
  } else renderOnce(ctx, progress, output);
  // An interrupted run will not finish on its own: a script checking status must hear it.
  return progress.failed || progress.state === 'interrupted' ? EXIT.failed : EXIT.ok;
}
