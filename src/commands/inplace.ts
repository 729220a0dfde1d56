import type { CommandArgs, CommandContext } from './context';
import { EXIT, FailedError, RefusedError, TimeoutError, UsageError } from '../errors';
import { PROGRAM } from '../version';
import { requireClusterPermissions, requirePermissions } from '../kube/access';
import { CLONESETS, objectPath, type ResourceType } from '../kube/resources';
import { ADVANCED_DAEMONSET, ADVANCED_STATEFULSET, daemonSetCaveats, isParallel, workloadOf, type AdvancedDaemonSet, type NodeLabels, type AdvancedStatefulSet } from '../kruise/workload';
import { likelyUpdateOrder, planInplace, setupCost, type InplacePlan } from '../kruise/inplace-plan';
import { lostRace } from '../kruise/exclusion';
import { primeTemplateAnnotations } from './prime';
import { plural } from '../kruise/duration';
import { baselineOf } from '../kruise/progress';
import { readRecord, sanitizeReason, writeRecord } from '../kruise/record';
import {
  annotationsWouldArriveWhole,
  envBinaryWarning,
  envReadability,
  newTriggerValue,
  selectTrigger,
  setupPatch,
  triggerPatch,
  validateAnnotationKey,
  validateEnvName,
  type TriggerSelection,
} from '../kruise/trigger';
import { KRUISE, PLUGIN, type CloneSet, type Pod, type RestartRecord } from '../kruise/types';
import { formatDocument } from '../ui/document';
import { KIND_WORDS, resourceTypeOf, targetOf, type Target, type WorkloadKind, fieldManagerOf, confirm, getCloneSet, listPods, note, recordEvent, outputOf, reporting, requireNoOtherRestart, timeoutMs, warn, whoAmI, type Report } from './common';
import { buildProgress } from '../kruise/progress';
import { stageView, continueCommand } from '../kruise/staged-progress';
import { decideContinue, describeStages, planStages, stagePartition, stagedRecordOf, type StageFlags, type StagePlan } from '../kruise/stages';
import { driveStages, partitionOf, RecordKeeper, serverTime, stageFlags, startStage, withPartition, type DriveEnd } from './staged';
import { parseDuration } from '../kube/config';
import { followRestart, outcomeExitCode, type FollowResult } from './follow';
import { BUDGET_READS, ROLLOUT_READS, budgetWarnings, limitsOf, readinessWarnings, refuseForeignOwner, refuseTargetingRollout, snapshotBudgets } from './guards';
import type { KubeClient } from '../kube/client';

export interface InplaceOptions {
  name: string;
  kind: WorkloadKind;
  /** Where the workload lives (its kind's resource, at the version discovery picked). */
  type: ResourceType;
  containers?: string[];
  setup: boolean;
  envName: string;
  annotation: string;
  yes: boolean;
  allowRecreate: boolean;
  force: boolean;
  ignoreOwner: boolean;
  reason?: string;
  dryRun: 'none' | 'client' | 'server';
  wait: boolean;
  timeoutMs: number;
  pauseOnFailure: boolean;
  readyTimeoutMs: number;
  output?: 'json' | 'yaml' | 'wide';
  fieldManager?: string;
  /** Canary and batches, when asked for. */
  stages?: StageFlags;
  /** --continue: go on with the staged restart recorded on the CloneSet. */
  continueRun: boolean;
}


/** Everything about the flags is checked before the cluster is touched. */
export function completeOptions(args: CommandArgs, target: Target = targetOf(args)): InplaceOptions {
  const name = target.name;
  const annotation = String(args.annotation ?? PLUGIN.defaultTriggerAnnotation);
  const envName = String(args['env-name'] ?? PLUGIN.defaultTriggerEnv);
  const keyProblem = validateAnnotationKey(annotation);
  if (keyProblem) throw new UsageError(`--annotation: ${keyProblem}`, 'use a key such as example.com/restarted-at');
  const envProblem = validateEnvName(envName);
  if (envProblem) throw new UsageError(`--env-name: ${envProblem}`, 'use a name such as RESTARTED_AT');
  if (!args.setup && (args.annotation !== undefined || args['env-name'] !== undefined)) {
    throw new UsageError('--annotation and --env-name only apply with --setup', 'existing wiring is found by itself');
  }
  const containers = (args.container as string[] | undefined)?.map(String);
  if (containers?.some((c) => !c.trim())) throw new UsageError('--container needs a container name');
  if (args['dry-run'] && args['dry-run'] !== 'none' && args.wait === false) {
    throw new UsageError('--dry-run and --no-wait cannot be combined');
  }
  const stages = stageFlags(args, 'inplace');
  const continueRun = Boolean(args.continue);
  if (continueRun && (stages || args.setup || args.container !== undefined || args.reason !== undefined)) {
    throw new UsageError('--continue takes everything from the run it continues', 'drop --canary, --batches, --batch-size, --pause, --setup, -c and --reason');
  }
  if ((stages || continueRun) && args.wait === false) {
    throw new UsageError(`${continueRun ? '--continue' : 'a staged restart'} cannot be combined with --no-wait: this process starts each stage after the one before`, 'drop --no-wait');
  }
  return {
    name,
    kind: target.kind,
    type: CLONESETS,
    containers,
    setup: Boolean(args.setup),
    envName,
    annotation,
    yes: Boolean(args.yes),
    allowRecreate: Boolean(args['allow-recreate']),
    force: Boolean(args.force),
    ignoreOwner: Boolean(args['ignore-owner']),
    reason: args.reason === undefined ? undefined : sanitizeReason(String(args.reason)),
    dryRun: (args['dry-run'] as InplaceOptions['dryRun']) ?? 'none',
    wait: args.wait !== false,
    timeoutMs: timeoutMs(args),
    pauseOnFailure: Boolean(args['pause-on-failure']),
    readyTimeoutMs: parseDuration(String(args['ready-timeout'] ?? '10m'), '--ready-timeout'),
    output: args.output as InplaceOptions['output'],
    fieldManager: fieldManagerOf(args),
    stages,
    continueRun,
  };
}

// Read (lists), trigger (patch), follow (watch, and a relist after 410 Gone), and the audit Event.
export const neededFor = (type: ResourceType) => [
  { verb: 'list', group: type.group, resource: type.plural },
  { verb: 'watch', group: type.group, resource: type.plural },
  { verb: 'patch', group: type.group, resource: type.plural },
  { verb: 'list', group: '', resource: 'pods' },
  { verb: 'watch', group: '', resource: 'pods' },
  { verb: 'create', group: '', resource: 'events' },
  // The budgets covering the pods (warned about) and a Kruise Rollout targeting the CloneSet (refused).
  ...BUDGET_READS,
  ...ROLLOUT_READS,
];
export const NEEDED = neededFor(CLONESETS);

/**
 * The labels of every node, read only for an Advanced DaemonSet whose rollingUpdate.selector picks the nodes Kruise
 * updates (nodes are cluster-scoped: a permission of its own, checked first and named when missing).
 */
async function nodesForSelector(client: KubeClient, workload: CloneSet, opts: InplaceOptions): Promise<NodeLabels | undefined> {
  if (opts.kind !== 'DaemonSet' || !(workload as unknown as AdvancedDaemonSet).spec?.updateStrategy?.rollingUpdate?.selector) return undefined;
  if (opts.dryRun !== 'client') {
    await requireClusterPermissions(client, [{ verb: 'list', group: '', resource: 'nodes' }], `following the rollingUpdate.selector of Advanced DaemonSet "${opts.name}" needs`);
  }
  const { items } = await client.list<{ metadata: { name?: string; labels?: Record<string, string> } }>('/api/v1/nodes', {});
  return new Map(items.map((n) => [n.metadata.name ?? '', n.metadata.labels]));
}

type Decision = { kind: 'restart'; selection: TriggerSelection; plan: InplacePlan } | { kind: 'setup'; containers: string[]; plan: InplacePlan; cost: string };

/** Re-run after every 409: the CloneSet may have changed under us. */
function decideFor(cloneSet: CloneSet, pods: Pod[], opts: InplaceOptions, nodes?: NodeLabels): Decision {
  const kind = workloadOf(cloneSet);
  const what = kindWord(cloneSet);
  const plan = planInplace(cloneSet, { allowRecreate: opts.allowRecreate, force: opts.force, setup: opts.setup }, pods, kind);
  if (kind === ADVANCED_DAEMONSET) {
    const caveats = daemonSetCaveats(cloneSet as unknown as AdvancedDaemonSet, pods, nodes);
    if (caveats.refusal) throw new RefusedError(caveats.refusal.reason, caveats.refusal.remedy);
    plan.warnings.push(...caveats.warnings);
    if (caveats.reached) {
      plan.reached = caveats.reached.map((p) => p.metadata.name ?? '');
      plan.podsToRestart = caveats.reached.length;
      plan.batches = plan.podsToRestart === 0 ? 0 : Math.ceil(plan.podsToRestart / Math.max(1, plan.maxUnavailable));
      if (plan.podsToRestart === 0 && !plan.refusal) {
        plan.refusal = {
          reason: `the rollingUpdate.selector of Advanced DaemonSet "${cloneSet.metadata.name}" picks none of the nodes its pods run on: Kruise would restart no pod`,
          remedy: 'label the nodes to restart, or change the selector, or use "crr" with --pod',
        };
      }
    }
  }
  const selection = selectTrigger(cloneSet.spec.template, opts.containers);
  if (!selection.ok && selection.problem !== 'no-wiring') {
    const remedy =
      selection.problem === 'unknown-container'
        ? 'check -c/--container'
        : selection.problem === 'shared-trigger'
          ? 'restart all of them (drop -c), or use "crr" to restart single containers'
          : 'use --setup to wire it, or "crr" to restart it without wiring';
    throw new RefusedError(selection.message, remedy);
  }
  if (!selection.ok) {
    if (!opts.setup) {
      const cost = setupCost(cloneSet, kind);
      throw new RefusedError(
        `${what} "${cloneSet.metadata.name}" is not wired for in-place restarts: ${selection.message}`,
        typeof cost === 'string' ? `run again with --setup to add the wiring (one-time cost: ${cost}), or use "crr"` : cost.remedy,
      );
    }
    const cost = setupCost(cloneSet, kind);
    if (typeof cost !== 'string') throw new RefusedError(cost.reason, cost.remedy);
    if (plan.refusal && !/ReCreate/.test(plan.refusal.reason)) throw new RefusedError(plan.refusal.reason, plan.refusal.remedy);
    const all = cloneSet.spec.template.spec.containers.map((c) => c.name);
    // Every wired container must let kruise-daemon run `env` in it, which the API cannot show: with several
    // containers, wiring them all by default would risk a sidecar image without one stalling every restart.
    if (!opts.containers?.length && all.length > 1) {
      throw new RefusedError(
        `${what} "${cloneSet.metadata.name}" has ${all.length} containers (${all.join(', ')}): say which ones to wire for in-place restarts`,
        `run again with -c NAME for each (kruise-daemon must be able to run \`env\` in every wired container; distroless and scratch images cannot)`,
      );
    }
    const containers = opts.containers?.length ? opts.containers : all;
    return { kind: 'setup', containers, plan, cost };
  }
  if (plan.refusal) throw new RefusedError(plan.refusal.reason, plan.refusal.remedy);
  if (!opts.setup && annotationsWouldArriveWhole(cloneSet.spec.template)) {
    throw new RefusedError(
      `the template of ${what} "${cloneSet.metadata.name}" has no annotations yet: Kruise would take a first trigger as one whole-map change and copy it to the pods as plain metadata, restarting nothing`,
      'run again with --setup: it first writes the trigger annotation on its own (pods updated in place without a restart, each briefly NotReady), then restarts',
    );
  }
  if (annotationsWouldArriveWhole(cloneSet.spec.template)) {
    // Said in the plan too, so --dry-run shows the extra write that the patch below does not.
    plan.warnings.push(
      `the template has no annotations yet: --setup first writes ${selection.value.annotations.join(', ')} on its own (every pod updated in place without a restart, each briefly NotReady), waits for Kruise to roll it out, then restarts`,
    );
  }
  return { kind: 'restart', selection: selection.value, plan };
}

/** kruise-daemon restarts a wired container only if it can run `env` in it (unreadableEnv): what we know, said plainly. */
function envWarnings(d: Decision, pods: Pod[]): string[] {
  if (d.kind === 'setup') return [envBinaryWarning(d.containers)];
  const { unreadable, unproven } = envReadability(pods, d.selection.targets);
  const warnings = [...unreadable].map(
    ([container, names]) =>
      `kruise-daemon could not read the environment of container ${container} (no env binary?) in ${plural(names.length, 'pod')} (${names.slice(0, 3).join(', ')}${names.length > 3 ? ', ...' : ''}): ${names.length === 1 ? 'that pod' : 'those pods'} will not restart and will stay NotReady; use "crr" for ${container}`,
  );
  if (unproven.length > 0) warnings.push(envBinaryWarning(unproven));
  return warnings;
}

/**
 * The controllers around the CloneSet: an owner or a Kruise Rollout would each turn the trigger into something else
 * (refused); disruption budgets tighter than maxUnavailable and containers without readiness probes are warned about,
 * in the plan's warnings so the dry run shows them too.
 */
async function checkSurroundings(ctx: CommandContext, client: KubeClient, cloneSet: CloneSet, pods: Pod[], decision: Decision, opts: InplaceOptions, stages?: StagePlan): Promise<void> {
  refuseForeignOwner(ctx, cloneSet, { force: opts.force, ignoreOwner: opts.ignoreOwner });
  await refuseTargetingRollout(client, cloneSet);
  const budgets = await snapshotBudgets(client);
  // Within a stage Kruise still restarts up to maxUnavailable at once, but never more than the stage holds.
  const largestStage = stages ? Math.max(0, ...stages.stages.map((x) => x.size)) : undefined;
  decision.plan.warnings.push(...budgetWarnings(cloneSet, pods, budgets, decision.plan.maxUnavailable, largestStage));
  decision.plan.budgets = limitsOf(cloneSet, pods, budgets).map((l) => ({ budget: l.source, rule: l.rule, allows: Math.max(0, l.limit - l.othersUnavailable) }));
  const targets = decision.kind === 'restart' ? decision.selection.targets : decision.containers;
  decision.plan.warnings.push(...readinessWarnings(cloneSet, targets, undefined));
}

function describePlan(cloneSet: CloneSet, d: Decision, podCount: number): string {
  const cs = `${cloneSet.metadata.namespace}/${cloneSet.metadata.name}`;
  const p = d.plan;
  if (d.kind === 'setup') {
    const gate = needsGate(cloneSet) ? ` and the ${KRUISE.inPlaceUpdateReady} readiness gate` : '';
    return `setup of ${kindWord(cloneSet)} ${cs}: add the trigger env var to ${d.containers.join(', ')}${gate}; ${d.cost}`;
  }
  const batches = p.batches === 1 ? '1 batch' : `about ${p.batches} batches`;
  return `restart of ${kindWord(cloneSet)} ${cs} (${p.strategy}): ${plural(d.selection.targets.length, 'container')} ${d.selection.targets.join(', ')} in ${p.podsToRestart} of ${plural(podCount, unitOf(cloneSet))}, ${budgetWords(cloneSet, p.maxUnavailable)} (${batches})`;
}

/** How messages name the workload's kind. */
function kindWord(workload: CloneSet): string {
  return KIND_WORDS[(workload.kind as WorkloadKind | undefined) ?? 'CloneSet'] ?? 'CloneSet';
}

/** What the budget counts: pods, or for an Advanced DaemonSet nodes (one pod each). */
function unitOf(workload: CloneSet): string {
  return workloadOf(workload) === ADVANCED_DAEMONSET ? 'node' : 'pod';
}

/** The budget in the kind's own terms: OrderedReady Advanced StatefulSets move one pod at a time, highest ordinal first. */
function budgetWords(workload: CloneSet, maxUnavailable: number): string {
  const kind = workloadOf(workload);
  if (kind === ADVANCED_STATEFULSET) {
    const set = workload as unknown as AdvancedStatefulSet;
    if (!isParallel(set)) return 'one pod at a time from the highest ordinal (podManagementPolicy OrderedReady)';
    return `${maxUnavailable} at a time from the highest ordinal${set.spec.updateStrategy?.rollingUpdate?.unorderedUpdate ? ' (unorderedUpdate: in any order)' : ''}`;
  }
  if (kind === ADVANCED_DAEMONSET) return `${plural(maxUnavailable, 'node')} at a time, highest node name first`;
  return `${maxUnavailable} at a time`;
}

/** An Advanced StatefulSet template without the InPlaceUpdateReady gate: --setup adds it with the wiring. */
function needsGate(workload: CloneSet): boolean {
  return workloadOf(workload) === ADVANCED_STATEFULSET && !(workload.spec.template.spec.readinessGates as Array<{ conditionType: string }> | undefined)?.some((g) => g.conditionType === KRUISE.inPlaceUpdateReady);
}

function gatePatch(workload: CloneSet): { op: string; path: string; value: unknown } {
  const gates = workload.spec.template.spec.readinessGates as Array<{ conditionType: string }> | undefined;
  return gates ? { op: 'add', path: '/spec/template/spec/readinessGates/-', value: { conditionType: KRUISE.inPlaceUpdateReady } } : { op: 'add', path: '/spec/template/spec/readinessGates', value: [{ conditionType: KRUISE.inPlaceUpdateReady }] };
}

export async function runInplace(ctx: CommandContext, args: CommandArgs): Promise<number> {
  // A usage error is an outcome too: with -o json|yaml it still gets its document.
  return reporting(ctx, outputOf(args), (report) => inplace(ctx, completeOptions(args), report));
}

export async function inplace(ctx: CommandContext, opts: InplaceOptions, report: Report): Promise<number> {
  const client = await ctx.connect();
  if (opts.fieldManager) client.fieldManager = opts.fieldManager;
  const namespace = client.namespace;
  report.doc.cloneSet = `${namespace}/${opts.name}`;
  report.doc.mode = 'inplace';
  if (opts.dryRun !== 'none') report.doc.dryRun = opts.dryRun;
  if (opts.kind !== 'CloneSet') {
    // The version discovery prefers and the server serves (v1beta1 for both in Kruise v1.9), never an unserved one.
    // Resolved first: the permissions are those on this kind's resource, not on CloneSets.
    opts = { ...opts, type: await resourceTypeOf(client, opts.kind) };
    report.doc.kind = opts.kind;
  }
  // Before any read: a user missing several permissions hears about all of them, not just the first one hit.
  if (opts.dryRun !== 'client') await requirePermissions(client, namespace, neededFor(opts.type));
  if (opts.continueRun) return continueInplace(ctx, client, opts, report);
  let cloneSet = await getCloneSet(client, opts.name, opts.type);
  const { pods, resourceVersion: podsVersion } = await listPods(client, cloneSet);
  const nodes = await nodesForSelector(client, cloneSet, opts);
  const decide = (cs: CloneSet, p: Pod[], o: InplaceOptions) => decideFor(cs, p, o, nodes);
  // Before the plan's own refusals, so the user hears which restart is in the way and how it ends.
  let override = await requireNoOtherRestart(ctx, client, cloneSet, pods, 'inplace', { force: opts.force });
  let decision: Decision;
  try {
    decision = decide(cloneSet, pods, opts);
  } catch (err) {
    // The pods were listed after the CloneSet: a restart that started in between shows in them first. Name it.
    if (err instanceof RefusedError && !opts.force) await requireNoOtherRestart(ctx, client, await getCloneSet(client, opts.name, opts.type), pods, 'inplace', { force: false });
    throw err;
  }

  let stagePlan = opts.stages ? planStagesFor(cloneSet, decision, opts.stages) : undefined;
  await checkSurroundings(ctx, client, cloneSet, pods, decision, opts, stagePlan);
  for (const w of decision.plan.warnings) warn(ctx, w);
  for (const w of envWarnings(decision, pods)) warn(ctx, w);
  if (decision.kind === 'restart' && decision.selection.unwired.length > 0) {
    warn(ctx, `not restarted (no trigger wiring): ${decision.selection.unwired.join(', ')}`);
  }
  if (decision.kind === 'restart' && opts.setup) note(ctx, 'the trigger wiring is already there: restarting in place');

  const path = objectPath(opts.type, namespace, opts.name);
  const value = newTriggerValue(ctx.now(), ctx.random);
  const recordFor = (cs: CloneSet, d: Decision): RestartRecord => ({
    mode: 'inplace',
    run: value,
    startedAt: new Date(ctx.now()).toISOString(),
    by: whoAmI(client),
    reason: opts.reason,
    containers: d.kind === 'restart' ? d.selection.targets : d.containers,
    annotationKeys: d.kind === 'restart' ? d.selection.annotations : [opts.annotation],
    fromRevision: cs.status?.updateRevision,
    ...(d.plan.reached ? { pods: d.plan.reached } : {}),
    ...(d.kind === 'setup' ? { setup: true } : {}),
    ...(stagePlan ? { staged: stagedRecordOf(stagePlan, { replicas: d.plan.replicas, partition: partitionOf(cs) }), heartbeatAt: serverTime(ctx, client) } : {}),
  });
  // A staged restart writes its first stage's partition with the trigger, so Kruise never sees the trigger without it.
  const stagedPatch = (body: object, cs: CloneSet, d: Decision): object => {
    const staged = recordFor(cs, d).staged;
    if (!staged) return body;
    return withPartition(cs, body as { spec: Record<string, unknown> }, stagePartition(staged, 0));
  };
  const patchFor = (cs: CloneSet, d: Decision) =>
    d.kind === 'restart'
      ? { kind: 'merge' as const, body: stagedPatch(triggerPatch(cs, d.selection.annotations, value, PLUGIN.lastRestartAnnotation, writeRecord(recordFor(cs, d))), cs, d) }
      : {
          kind: 'json' as const,
          body: [
            ...setupPatch(cs, d.containers, opts.envName, opts.annotation, value),
            // The Advanced StatefulSet webhook refuses an in-place policy without the gate; adding it is part of the one-time recreation.
            ...(needsGate(cs) ? [gatePatch(cs)] : []),
            {
              op: 'add',
              path: '/metadata/annotations',
              value: { ...(cs.metadata.annotations ?? {}), [PLUGIN.lastRestartAnnotation]: writeRecord(recordFor(cs, d)) },
            },
          ],
        };

  if (opts.dryRun !== 'none') {
    const patch = patchFor(cloneSet, decision);
    if (opts.dryRun === 'server') {
      await client.patch(path, patch.body, patch.kind, { query: { dryRun: 'All' }, type: opts.type });
    }
    // Under a partition Kruise moves only replicas - partition pods: list those, in the order it would pick them.
    const reached = decision.plan.reached;
    const restarting = reached ? pods.filter((p) => reached.includes(p.metadata.name ?? '')) : likelyUpdateOrder(pods).slice(0, decision.plan.podsToRestart);
    const doc = {
      dryRun: opts.dryRun,
      outcome: 'dry-run',
      plan: describePlan(cloneSet, decision, pods.length),
      cloneSet: `${namespace}/${opts.name}`,
      strategy: decision.plan.strategy,
      containers: decision.kind === 'restart' ? decision.selection.targets : decision.containers,
      podsToRestart: decision.plan.podsToRestart,
      pods: restarting.map((p) => p.metadata.name),
      ...(decision.plan.partition > 0 || reached ? { podsKept: pods.length - restarting.length } : {}),
      maxUnavailable: decision.plan.maxUnavailable,
      partition: decision.plan.partition,
      batches: decision.plan.batches,
      ...(stagePlan ? { stages: stagesDocument(stagePlan, recordFor(cloneSet, decision), cloneSet, pods) } : {}),
      ...(decision.plan.surge ? { surge: decision.plan.surge } : {}),
      ...(decision.plan.budgets?.length ? { budgets: decision.plan.budgets } : {}),
      warnings: decision.plan.warnings,
      patchType: patch.kind === 'merge' ? 'application/merge-patch+json' : 'application/json-patch+json',
      patch: patch.body,
    };
    if (opts.output === 'json' || opts.output === 'yaml') {
      report.printed = true;
      report.doc = { ...doc };
      ctx.stdout.write(formatDocument(doc, opts.output));
    } else {
      ctx.stdout.write(`${doc.plan}\n`);
      const which = decision.plan.partition > 0 && restarting.length < pods.length ? ' (Kruise picks not-ready, then the most recently ready pods first; the partition keeps the rest)' : '';
      ctx.stdout.write(`pods${which}: ${doc.pods.join(', ') || '(none)'}\n`);
      if (stagePlan) ctx.stdout.write(`stages:\n${stageLines(stagePlan, recordFor(cloneSet, decision), cloneSet, pods).map((l) => `  ${l}\n`).join('')}`);
      const surge = decision.plan.surge;
      if (surge) {
        ctx.stdout.write(
          `surge: Kruise creates ${plural(surge.created, 'new pod')}, restarts ${surge.restartedInPlace} in place, deletes ${plural(surge.deletedOld, 'old pod')}${surge.deletedNew ? ` and ${surge.deletedNew} updated` : ''} (up to ${surge.peakPods} pods at once)\n`,
        );
      }
      for (const b of decision.plan.budgets ?? []) ctx.stdout.write(`budget: ${b.budget} (${b.rule}) allows ${b.allows} unavailable; Kruise does not ask it\n`);
      ctx.stdout.write(`patch (${doc.patchType}):\n${JSON.stringify(patch.body, null, 2)}\n`);
      ctx.stdout.write(`dry run (${opts.dryRun}): nothing was changed\n`);
    }
    return EXIT.ok;
  }

  if (decision.kind === 'setup') {
    note(ctx, decision.cost);
    if (!opts.yes) {
      if (!ctx.stdout.isTTY || !process.stdin.isTTY) {
        throw new RefusedError('--setup recreates every pod once and needs confirmation', 'run again with --yes');
      }
      if (!(await confirm(ctx, `Add the trigger wiring to CloneSet ${namespace}/${opts.name}?`))) {
        throw new RefusedError('setup not confirmed', 'nothing was changed');
      }
    }
  }

  if (decision.kind === 'restart' && annotationsWouldArriveWhole(cloneSet.spec.template)) {
    cloneSet = await primeTemplateAnnotations(ctx, client, cloneSet, decision.selection.annotations, opts);
    decision = decide(cloneSet, pods, opts);
  }

  // The write that claims the CloneSet is a compare-and-swap (resourceVersion, or a JSON patch test): when another
  // process wrote in between (maybe starting its own restart), re-read and decide again, exclusion included.
  let patched: CloneSet | undefined;
  let warned = false;
  for (let attempt = 1; !patched; attempt++) {
    const patch = patchFor(cloneSet, decision);
    if (override && !warned) {
      warn(ctx, override.warning);
      warned = true;
    }
    try {
      patched = await client.patch<CloneSet>(path, patch.body, patch.kind, { type: opts.type });
    } catch (err) {
      if (!lostRace(err, patch.kind === 'json') || attempt >= 5) throw err;
      ctx.log(2, `CloneSet changed while we were writing (attempt ${attempt}); re-reading`);
      cloneSet = await getCloneSet(client, opts.name, opts.type);
      // A retried request may have landed the first time (a reset after the server applied it): then it is done.
      if (readRecord(cloneSet)?.run === value) {
        patched = cloneSet;
        break;
      }
      override = await requireNoOtherRestart(ctx, client, cloneSet, pods, 'inplace', { force: opts.force });
      warned = warned && override !== undefined;
      decision = decide(cloneSet, pods, opts);
      if (opts.stages) stagePlan = planStagesFor(cloneSet, decision, opts.stages);
    }
  }

  Object.assign(report.doc, { run: value, startedAt: recordFor(patched, decision).startedAt });
  note(ctx, `${decision.kind === 'setup' ? 'started' : 'triggered'} ${describePlan(patched, decision, pods.length)} [run ${value}]`);
  const what = decision.kind === 'setup' ? 'Trigger wiring added' : 'In-place restart triggered';
  await recordEvent(ctx, client, patched, decision.kind === 'setup' ? 'RestartSetup' : 'RestartTriggered', `${what} by kubectl-kruise_restart (run ${value})${opts.reason ? `: ${opts.reason}` : ''}`);

  const follow = `${PROGRAM} status ${opts.name} -n ${namespace} -w`;
  if (!opts.wait) {
    Object.assign(report.doc, { outcome: 'started', follow });
    note(ctx, `follow it with: ${follow}`);
    return EXIT.ok;
  }
  let result: FollowResult;
  if (stagePlan) {
    const keeper = RecordKeeper.of(ctx, client, patched);
    if (!keeper) throw new FailedError(`the restart record of CloneSet "${opts.name}" could not be read back`, `follow it with: ${follow}`);
    note(ctx, `stage 1 of ${stagePlan.stages.length} (${stagePlan.stages[0].name}): ${plural(stagePlan.stages[0].size, 'pod')}`);
    const end = await driveStages(ctx, client, keeper, { output: opts.output, deadline: opts.timeoutMs > 0 ? ctx.now() + opts.timeoutMs : 0, readyTimeoutMs: opts.readyTimeoutMs, follow, baseline: baselineOf(pods) });
    if (end.kind === 'held') return held(report, end);
    result = end.result;
    patched = keeper.cloneSet;
  } else {
    result = await followRestart(ctx, client, {
      cloneSet: patched,
      type: opts.type,
      pods,
      podsVersion,
      output: opts.output,
      timeoutMs: opts.timeoutMs,
      readyTimeoutMs: opts.readyTimeoutMs,
      baseline: baselineOf(pods),
    });
  }
  return finishFollow(ctx, client, opts, patched, value, result, report, follow);
}

/** The end of a followed restart, staged or not: the verdict, the end Event, --pause-on-failure, the exit code. */
async function finishFollow(ctx: CommandContext, client: KubeClient, opts: InplaceOptions, patched: CloneSet, value: string, result: FollowResult, report: Report, follow: string): Promise<number> {
  const namespace = client.namespace;
  const path = objectPath(opts.type, namespace, opts.name);
  report.doc = { ...result.progress };
  const p = result.progress;
  const s = p.summary;
  const target = s.total - s.skipped;
  const done = `${s.restarted + s.recreated} of ${plural(target, 'pod')} ${s.recreated > 0 ? 'done' : 'restarted'}`;
  const ended = result.outcome === 'failed' || result.outcome === 'complete';
  let paused = false;
  if (result.outcome === 'failed' && opts.pauseOnFailure && !workloadOf(patched).rollout(patched).paused) {
    // Pods already being updated finish; Kruise picks no new ones while paused.
    // The kind says where its pause switch lives (spec.updateStrategy.paused, or .rollingUpdate.paused).
    const pause = workloadOf(patched).fields.paused.split('.').reduceRight<unknown>((inner, key) => ({ [key]: inner }), true);
    await client.patch(path, pause as object, 'merge', { type: opts.type });
    paused = true;
    warn(ctx, `paused ${kindWord(patched)} ${opts.name} to stop the restart spreading; resume with: ${workloadOf(patched).unpauseCommand({ ...patched, metadata: { ...patched.metadata, namespace } })}`);
  }
  if (ended) {
    const failed = result.outcome === 'failed' && p.failed;
    if (result.outcome === 'complete') note(ctx, `run ${value} completed: ${done}`);
    else if (failed) note(ctx, `run ${value} failed: ${done}, ${s.failed} failed`);
    // The ready timeout is our patience, not the end of the restart: no end Event for it.
    if (result.outcome === 'complete' || failed) {
      await recordEvent(
        ctx,
        client,
        patched,
        failed ? 'RestartFailed' : 'RestartCompleted',
        `In-place restart ${failed ? 'failed' : 'completed'} (run ${value}): ${done}${failed ? `, ${s.failed} failed` : ''}${opts.reason ? `; reason: ${opts.reason}` : ''}`,
        failed ? 'Warning' : 'Normal',
      );
    }
  }
  if (paused && result.stuck.length > 0 && !p.failed) {
    throw new TimeoutError(
      `not Ready again within the ready timeout: ${result.stuck.join(', ')}`,
      `paused ${kindWord(patched)} ${opts.name}: pods already being updated finish, no new ones start until you unpause it; follow it with: ${follow}`,
    );
  }
  if (result.outcome === 'failed' && p.failed && paused) throw new FailedError(`restart failed: ${p.message}`, `the ${kindWord(patched)} is paused; see the warning above to resume`);
  return outcomeExitCode(ctx, result, follow);
}

function planStagesFor(cloneSet: CloneSet, d: Decision, flags: StageFlags): StagePlan {
  if (d.kind === 'setup') {
    throw new RefusedError('--setup recreates every pod once and cannot be staged', 'run --setup on its own first; stage the restarts after it');
  }
  const reserved = (cloneSet as unknown as AdvancedStatefulSet).spec?.reserveOrdinals;
  if (cloneSet.kind === 'StatefulSet' && Array.isArray(reserved) && reserved.length > 0) {
    throw new RefusedError(
      `Advanced StatefulSet "${cloneSet.metadata.name}" reserves ordinals (${reserved.join(', ')}): its partition is an ordinal boundary, which then no longer counts pods, so the stages could not be told apart`,
      `stage it with crr instead (crr asts/${cloneSet.metadata.name} -c CONTAINER --canary 1: by the run's pod order)`,
    );
  }
  // Kruise counts a partition against spec.replicas (an Advanced DaemonSet's against desiredNumberScheduled; an
  // Advanced StatefulSet's boundary is the ordinal, the same number while the ordinals run 0..replicas-1): so do the
  // canary's percentages.
  const planned = planStages(d.plan.podsToRestart, d.plan.replicas, flags);
  if (!planned.ok) throw new RefusedError(planned.reason, planned.remedy);
  return planned.plan;
}

function stageLines(plan: StagePlan, record: RestartRecord, cloneSet: CloneSet, pods: Pod[]): string[] {
  const staged = record.staged;
  const who = stageMembers(plan, cloneSet, pods);
  return describeStages(plan, staged ? (i) => stagePartition(staged, i) : undefined).map((line, i) => (who[i] ? line.replace(/^.*?: \d+ pods?/, (head) => `${head}, ${who[i]}`) : line));
}

function stagesDocument(plan: StagePlan, record: RestartRecord, cloneSet: CloneSet, pods: Pod[]) {
  const staged = record.staged;
  const who = stageMembers(plan, cloneSet, pods);
  return plan.stages.map((s, i) => ({ ...s, ...(staged ? { partition: stagePartition(staged, i) } : {}), ...(who[i] ? { members: who[i] } : {}) }));
}

/**
 * Each stage in its kind's terms, where the partition makes it certain: the ordinals of an Advanced StatefulSet (the
 * highest first, below the boundary kept), the nodes of an Advanced DaemonSet (the highest names first). A CloneSet's
 * partition picks pods by readiness and age when it moves, so its stages are counts only.
 */
function stageMembers(plan: StagePlan, cloneSet: CloneSet, pods: Pod[]): Array<string | undefined> {
  const bounds = plan.stages.map((_, i) => [i === 0 ? 0 : plan.stages[i - 1].through, plan.stages[i].through]);
  if (cloneSet.kind === 'StatefulSet' && !(cloneSet as unknown as AdvancedStatefulSet).spec?.updateStrategy?.rollingUpdate?.unorderedUpdate) {
    const replicas = workloadOf(cloneSet).rollout(cloneSet).desired;
    return bounds.map(([from, to]) => {
      const high = replicas - 1 - from;
      const low = replicas - to;
      return low === high ? `ordinal ${high}` : `ordinals ${high} to ${low}`;
    });
  }
  // Under a rollingUpdate.selector the nodes are those it picks: the plan's warning names them.
  if (cloneSet.kind === 'DaemonSet' && !(cloneSet as unknown as AdvancedDaemonSet).spec?.updateStrategy?.rollingUpdate?.selector) {
    const nodes = pods.map((p) => p.spec.nodeName ?? '').filter(Boolean).sort().reverse();
    return bounds.map(([from, to]) => `${to - from === 1 ? 'node' : 'nodes'} ${nodes.slice(from, to).join(', ')}`);
  }
  return [];
}

/** The canary is done and the run holds: exit 0 with the way on, in words and in the document. */
function held(report: Report, end: Extract<DriveEnd, { kind: 'held' }>): number {
  report.doc = { ...end.progress, outcome: 'held', next: end.progress.stage?.next };
  return EXIT.ok;
}

/** --continue: the next stage of the staged restart recorded on the CloneSet (or the rest of the one a killed process left). */
async function continueInplace(ctx: CommandContext, client: KubeClient, opts: InplaceOptions, report: Report): Promise<number> {
  const namespace = client.namespace;
  const follow = `${PROGRAM} status ${opts.name} -n ${namespace} -w`;
  const cloneSet = await getCloneSet(client, opts.name, opts.type);
  const { pods } = await listPods(client, cloneSet);
  const record = readRecord(cloneSet);
  if (record?.mode === 'crr' && record.staged) {
    throw new RefusedError(`the staged restart of CloneSet "${opts.name}" is crr run ${record.run}`, `continue it with: ${continueCommand('crr', opts.name, namespace)}`);
  }
  const serverNow = ctx.now() + client.serverClockOffsetMs;
  const progress = stageView(buildProgress({ cloneSet, pods, record, now: ctx.now(), serverClockOffsetMs: client.serverClockOffsetMs }), { record, serverNow });
  const decision = decideContinue({ record, stageDone: progress.stage?.done ?? false, complete: progress.complete, serverNow, force: opts.force, follow });
  if (decision.kind === 'refuse') throw new RefusedError(decision.reason, decision.remedy);
  const keeper = RecordKeeper.of(ctx, client, cloneSet);
  if (!keeper || !record) throw new RefusedError(`there is no staged restart to continue on CloneSet "${opts.name}"`, 'start one with --canary or --batches');
  report.doc.run = record.run;
  report.doc.startedAt = record.startedAt;
  const staged = keeper.staged;
  if (progress.failed) warn(ctx, `going on although the ${progress.stage?.name ?? 'stage'} failed: ${progress.message}`);
  if (opts.dryRun !== 'none') {
    const next = decision.kind === 'next' ? decision.stage : staged.stage;
    const partition = stagePartition(staged, next);
    const doc = { dryRun: opts.dryRun, outcome: 'dry-run', cloneSet: `${namespace}/${opts.name}`, run: record.run, stage: next + 1, of: staged.through.length, partition, through: staged.through[next] };
    if (opts.output === 'json' || opts.output === 'yaml') {
      report.printed = true;
      ctx.stdout.write(formatDocument(doc, opts.output));
    } else {
      ctx.stdout.write(`continue restart ${record.run} of CloneSet ${namespace}/${opts.name}: stage ${next + 1} of ${staged.through.length}, ${staged.through[next]} of ${staged.through[staged.through.length - 1]} pods restarted after it, partition ${partition === null ? 'removed' : partition}\n`);
      ctx.stdout.write(`dry run (${opts.dryRun}): nothing was changed\n`);
    }
    return EXIT.ok;
  }
  if (decision.kind === 'next') {
    await startStage(ctx, client, keeper, decision.stage);
  } else {
    // Claim the run: a fresh heartbeat over exactly the record judged, so two --continue cannot both drive it.
    const ours = await keeper.write((r) => {
      const next: RestartRecord = { ...r, heartbeatAt: serverTime(ctx, client) };
      delete next.stoppedAt;
      return next;
    });
    if (!ours) throw new RefusedError(`the restart record of CloneSet "${opts.name}" changed meanwhile`, 'run the command again');
    note(ctx, `following stage ${staged.stage + 1} of ${staged.through.length} to its end`);
  }
  const end = await driveStages(ctx, client, keeper, { output: opts.output, deadline: opts.timeoutMs > 0 ? ctx.now() + opts.timeoutMs : 0, readyTimeoutMs: opts.readyTimeoutMs, follow });
  if (end.kind === 'held') return held(report, end);
  return finishFollow(ctx, client, opts, keeper.cloneSet, record.run, end.result, report, follow);
}
