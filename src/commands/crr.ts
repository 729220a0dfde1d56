// `crr`: restart chosen containers with one ContainerRecreateRequest per pod, paced by the plugin (CRRs bypass
// maxUnavailable and PDBs), stopped by the first failure, resumable from what the cluster holds: the run record on
// the CloneSet fixes the pods, and each pod's CRR has a name derived from the run, so no pod restarts twice.
import type { CommandArgs, CommandContext } from './context';
import { ApiError, EXIT, FailedError, InterruptedError, RefusedError, TimeoutError, UsageError } from '../errors';
import { PROGRAM } from '../version';
import { parseDuration } from '../kube/config';
import { requirePermissions } from '../kube/access';
import { DEFAULT_FIELD_MANAGER, type KubeClient } from '../kube/client';
import { CLONESETS, CRRS, PDBS, PODS, PUBS, collectionPath, objectPath, type ResourceType } from '../kube/resources';
import { LiveCollection } from '../kube/watch';
import { parseIntOrPercent, resolveIntOrPercent } from '../kruise/budget';
import { typedTarget, workloadOf } from '../kruise/workload';
import {
  batchCount,
  buildCrr,
  chooseContainers,
  emptyMemory,
  newRunId,
  nextPodsToStart,
  selectPods,
  validateRunId,
  withDeadline,
  withFailure,
  type CrrStrategy,
  type PacingDecision,
  type PacingMemory,
  type PodFailure,
  type SkippedPod,
} from '../kruise/crr-plan';
import { parseLabelSelector, type SelectorRequirement } from '../kruise/label-selector';
import { track, type ProgressHistory, type RestartProgress } from '../kruise/progress';
import { HEARTBEAT_EVERY_MS, HEARTBEAT_STALE_MS, readRecord, writeRecord } from '../kruise/record';
import {
  DEFAULT_TTL_SECONDS,
  claimedRecord,
  currentRequests,
  driverProof,
  finishedRecord,
  judgeResume,
  newRunRecord,
  pacingOf,
  requestName,
  resumeChoices,
  retryRecord,
  stoppedRecord,
  withOutcomes,
  type Pacing,
  type RunChoices,
} from '../kruise/crr-run';
import { lostRace } from '../kruise/exclusion';
import { formatDuration, listNames, plural } from '../kruise/duration';
import { ownedBy, podSelectorOf, validateObjectName } from '../kruise/selectors';
import { KRUISE, PLUGIN, type CloneSet, type ContainerRecreateRequest, type IntOrString, type Pod, type RestartRecord } from '../kruise/types';
import { formatDocument } from '../ui/document';
import { KIND_WORDS, resourceTypeOf, targetOf, type WorkloadKind, confirm, fieldManagerOf, getCloneSet, listPods, note, recordEvent, outputOf, reporting, requireNoOtherRestart, timeoutMs, warn, whoAmI, type Report } from './common';
import { progressSink } from './sinks';
import { processNow, thisProcess } from './driver';
import { BUDGET_READS, BUDGET_WATCHES, bindingOf, ignoredBudgetsWarning, limitsOf, ownerNote, readinessWarnings, snapshotBudgets, type BudgetSnapshot } from './guards';
import { holdOthersBetweenStatuses, type BindingLimit, type OthersMemory, type PodDisruptionBudget, type PodUnavailableBudget, type UnavailabilityLimit } from '../kruise/disruption-budgets';
import { atStage, sleep, stageFlags } from './staged';
import { buildProgress } from '../kruise/progress';
import { continueCommand, heldView, stageView } from '../kruise/staged-progress';
import { decideContinue, describeStages, isLastStage, planStages, readStaged, stageName, stagedRecordOf, type StageFlags, type StagePlan } from '../kruise/stages';
import { pointerEscape } from '../kruise/trigger';

const INT32_MAX = 2147483647;
/** At most one progress model a frame while a run is driven (ms). */
const RENDER_EVERY_MS = 100;
const DEFAULTS = { readyTimeout: '5m', ttl: DEFAULT_TTL_SECONDS, failurePolicy: 'Fail' as const };

export interface CrrOptions {
  name: string;
  kind: WorkloadKind;
  /** Where the workload lives (its kind's resource, at the version discovery picked). */
  type: ResourceType;
  containers?: string[];
  allContainers: boolean;
  selector?: SelectorRequirement[];
  selectorText?: string;
  podNames?: string[];
  maxUnavailable?: IntOrString;
  minReadySeconds?: number;
  readyTimeoutSeconds?: number;
  maxFailures?: number;
  strategy: CrrStrategy;
  resume?: string;
  newRun: boolean;
  force: boolean;
  ignorePdb: boolean;
  dryRun: 'none' | 'client' | 'server';
  timeoutMs: number;
  output?: 'json' | 'yaml' | 'wide';
  fieldManager?: string;
  /** Canary and batches of the run's pods, when asked for. */
  stages?: StageFlags;
  /** --continue: go on with the staged run recorded on the CloneSet. */
  continueRun: boolean;
}

/** A whole number flag within bounds; undefined when not given. yargs hands over NaN for "abc". */
function wholeNumber(args: CommandArgs, flag: string, min: number, max = INT32_MAX): number | undefined {
  const raw = args[flag];
  if (raw === undefined) return undefined;
  const value = Number(raw);
  if (!Number.isInteger(value)) throw new UsageError(`--${flag} must be a whole number of ${flag === 'max-failures' ? 'pods' : 'seconds'}, got "${String(raw)}"`);
  if (value < min) throw new UsageError(`--${flag} must be at least ${min}, got ${value}`);
  if (value > max) throw new UsageError(`--${flag} must be at most ${max}, got ${value}`);
  return value;
}

/** Flags that shape the requests themselves: a resumed run must create requests identical to the first ones. */
const FIXED_BY_RUN = ['container', 'all-containers', 'selector', 'pod', 'failure-policy', 'ordered', 'force-recreate', 'grace-period', 'unready-grace-period', 'min-started-seconds', 'active-deadline', 'ttl'];

/** Everything about the flags is checked before the cluster is touched. */
export function completeOptions(args: CommandArgs): CrrOptions {
  const target = targetOf(args);
  const name = target.name;
  const resume = args.resume === undefined ? undefined : String(args.resume);
  if (resume !== undefined) {
    const problem = validateRunId(resume);
    if (problem) throw new UsageError(`--resume: ${problem}`);
    if (args.new) throw new UsageError('--resume and --new cannot be combined', '--resume finishes a run, --new starts another');
    const fixed = FIXED_BY_RUN.filter((f) => args[f] !== undefined);
    if (fixed.length > 0) {
      throw new UsageError(`--resume takes ${fixed.map((f) => `--${f}`).join(', ')} from the run it resumes`, 'drop them, or start a --new run');
    }
  }
  const stages = stageFlags(args, 'crr');
  const continueRun = Boolean(args.continue);
  if (continueRun) {
    const taken = [...FIXED_BY_RUN, 'resume', 'new', 'canary', 'batches', 'batch-size', 'pause'].filter((f) => args[f] !== undefined && args[f] !== false);
    if (taken.length > 0) throw new UsageError(`--continue takes everything from the run it continues: drop ${taken.map((f) => `--${f}`).join(', ')}`);
  }
  if (resume !== undefined && stages) throw new UsageError('--resume takes the stages from the run it resumes', 'drop --canary, --batches, --batch-size and --pause');
  const containers = (args.container as unknown[] | undefined)?.map(String);
  if (containers?.some((c) => !c.trim())) throw new UsageError('--container needs a container name');
  if (containers?.length && args['all-containers']) throw new UsageError('-c/--container and --all-containers cannot be combined', 'pick one');
  const podNames = (args.pod as unknown[] | undefined)?.map(String);
  for (const pod of podNames ?? []) {
    const problem = validateObjectName(pod, 'pod');
    if (problem) throw new UsageError(`--pod: ${problem}`);
  }
  let selector: SelectorRequirement[] | undefined;
  if (args.selector !== undefined) {
    const parsed = parseLabelSelector(String(args.selector));
    if (!parsed.ok) throw new UsageError(`-l/--selector: ${parsed.error}`);
    selector = parsed.requirements;
  }
  let maxUnavailable: IntOrString | undefined;
  if (args['max-unavailable'] !== undefined) {
    const parsed = parseIntOrPercent(String(args['max-unavailable']));
    if (!parsed.ok) throw new UsageError(`--max-unavailable: ${parsed.error}`);
    if (parsed.value === 0 || parsed.value === '0%') throw new UsageError('--max-unavailable 0 would never restart anything', 'use 1 for one pod at a time');
    maxUnavailable = parsed.value;
  }
  const readyTimeoutSeconds = args['ready-timeout'] === undefined ? undefined : parseDuration(String(args['ready-timeout']), '--ready-timeout') / 1000;
  if (readyTimeoutSeconds !== undefined && readyTimeoutSeconds <= 0) throw new UsageError('--ready-timeout must be more than 0');
  const strategy: CrrStrategy = {
    failurePolicy: args['failure-policy'] === 'Ignore' ? 'Ignore' : DEFAULTS.failurePolicy,
    orderedRecreate: Boolean(args.ordered),
    forceRecreate: Boolean(args['force-recreate']),
    terminationGracePeriodSeconds: wholeNumber(args, 'grace-period', 0, Number.MAX_SAFE_INTEGER),
    unreadyGracePeriodSeconds: wholeNumber(args, 'unready-grace-period', 0, Number.MAX_SAFE_INTEGER),
    minStartedSeconds: wholeNumber(args, 'min-started-seconds', 0) ?? 0,
    // Kruise's webhook refuses less than 3 s (minDeadlineSeconds).
    activeDeadlineSeconds: wholeNumber(args, 'active-deadline', 3, Number.MAX_SAFE_INTEGER),
    ttlSecondsAfterFinished: wholeNumber(args, 'ttl', 0) ?? DEFAULTS.ttl,
  };
  const dryRun = args['dry-run'] === undefined || args['dry-run'] === 'none' ? 'none' : args['dry-run'] === 'server' ? 'server' : 'client';
  return {
    name,
    kind: target.kind,
    type: CLONESETS,
    containers,
    allContainers: Boolean(args['all-containers']),
    selector,
    selectorText: args.selector === undefined ? undefined : String(args.selector),
    podNames,
    maxUnavailable,
    minReadySeconds: wholeNumber(args, 'min-ready-seconds', 0),
    readyTimeoutSeconds,
    maxFailures: wholeNumber(args, 'max-failures', 0),
    strategy,
    resume,
    newRun: Boolean(args.new),
    force: Boolean(args.force),
    ignorePdb: Boolean(args['ignore-pdb']),
    dryRun,
    timeoutMs: timeoutMs(args),
    output: args.output as CrrOptions['output'],
    fieldManager: fieldManagerOf(args),
    stages,
    continueRun,
  };
}

// Read (lists of the CloneSet, its pods and the run's requests), the paced loop (create, watch; get adopts a request
// whose create answer was lost), the run record (patch) and the audit Event. Nothing is ever deleted: Kruise removes
// finished requests after their TTL.
export const neededFor = (type: ResourceType) => [
  { verb: 'list', group: type.group, resource: type.plural },
  { verb: 'patch', group: type.group, resource: type.plural },
  { verb: 'list', group: '', resource: 'pods' },
  { verb: 'watch', group: '', resource: 'pods' },
  { verb: 'create', group: 'apps.kruise.io', resource: 'containerrecreaterequests' },
  { verb: 'get', group: 'apps.kruise.io', resource: 'containerrecreaterequests' },
  { verb: 'list', group: 'apps.kruise.io', resource: 'containerrecreaterequests' },
  { verb: 'watch', group: 'apps.kruise.io', resource: 'containerrecreaterequests' },
  { verb: 'create', group: '', resource: 'events' },
  // Every PodDisruptionBudget and PodUnavailableBudget covering the pods caps the pacing, live.
  ...BUDGET_READS,
  ...BUDGET_WATCHES,
];

/** Everything the loop needs, whether the run is new or resumed. */
interface Run {
  id: string;
  /** Said right before the record is written: this run overrides another restart (--force, --new). */
  overrideWarning?: string;
  record: RestartRecord;
  /** The annotation value as it is on the CloneSet: the final write only replaces exactly this. */
  recordText: string;
  containers: string[];
  strategy: CrrStrategy;
  pacing: Pacing;
  crrs: ContainerRecreateRequest[];
  crrsVersion: string;
  skipped: SkippedPod[];
  /** --ignore-pdb and --field-manager: a new run's as typed, a resumed run's as it was started. */
  choices: RunChoices;
}

function resumeCommand(opts: CrrOptions, namespace: string, run: string): string {
  const typed = opts.kind === 'StatefulSet' ? `asts/${opts.name}` : opts.kind === 'DaemonSet' ? `ads/${opts.name}` : opts.name;
  return `${PROGRAM} crr ${typed} -n ${namespace} --resume ${run}`;
}

/** The budget as an absolute number of pods: a percentage scales with spec.replicas and rounds up, as Kruise does. */
function resolveBudget(cloneSet: CloneSet, opts: CrrOptions): number {
  const rollout = workloadOf(cloneSet).rollout(cloneSet);
  if (opts.maxUnavailable !== undefined) return resolveIntOrPercent(opts.maxUnavailable, rollout.desired, true);
  return rollout.maxUnavailable;
}

function pacing(opts: CrrOptions, budget: number, stored?: Record<string, unknown>): Pacing {
  return pacingOf(opts, budget, stored, parseDuration(DEFAULTS.readyTimeout, '--ready-timeout') / 1000);
}

function refuseZeroBudget(budget: number, cloneSet: CloneSet): void {
  if (budget >= 1) return;
  throw new RefusedError(
    `the unavailability budget of ${KIND_WORDS[(cloneSet.kind as WorkloadKind | undefined) ?? 'CloneSet'] ?? 'CloneSet'} "${cloneSet.metadata.name}" resolves to 0 pods (${workloadOf(cloneSet).fields.maxUnavailable} ${String(cloneSet.spec.updateStrategy?.maxUnavailable ?? '20%')} of ${workloadOf(cloneSet).rollout(cloneSet).desired}): no pod could restart`,
    'pass --max-unavailable N (e.g. 1 for one pod at a time)',
  );
}

async function planNewRun(ctx: CommandContext, client: KubeClient, cloneSet: CloneSet, pods: Pod[], opts: CrrOptions): Promise<Run> {
  const override = await requireNoOtherRestart(ctx, client, cloneSet, pods, 'crr', { force: opts.force, newRun: opts.newRun });
  const choice = chooseContainers(cloneSet, opts.containers, opts.allContainers);
  if (!choice.ok) throw choice.usage ? new UsageError(choice.message, choice.hint) : new RefusedError(choice.message, choice.hint);
  const active = await client.list<ContainerRecreateRequest>(collectionPath(CRRS, client.namespace), { labelSelector: `${KRUISE.crrActiveLabel}=true` }, { type: CRRS });
  const selection = selectPods({
    pods,
    activeCrrs: active.items,
    containers: choice.containers,
    selector: opts.selector,
    podNames: opts.podNames,
    listPodsCommand: `kubectl get pods -n ${client.namespace} -l ${shellWord(podSelectorOf(cloneSet))}`,
  });
  if (!selection.ok) throw new RefusedError(selection.message, selection.hint);
  if (selection.pods.length === 0) {
    const why = selection.skipped.length ? `; skipped: ${selection.skipped.map((s) => `${s.pod} (${s.reason})`).join(', ')}` : '';
    throw new RefusedError(`no pod of ${KIND_WORDS[opts.kind]} "${opts.name}" to restart${why}`, 'nothing was changed');
  }
  const budget = resolveBudget(cloneSet, opts);
  refuseZeroBudget(budget, cloneSet);
  const runPacing = pacing(opts, budget);
  let stagePlan: StagePlan | undefined;
  if (opts.stages) {
    // Percentages count the run's own pods: the plugin paces them, not Kruise's partition.
    const planned = planStages(selection.pods.length, selection.pods.length, opts.stages);
    if (!planned.ok) throw new RefusedError(planned.reason, planned.remedy);
    stagePlan = planned.plan;
  }
  // Fixed in the record before the first request, so a resume creates identical requests.
  const strategy = withDeadline(opts.strategy, cloneSet.spec.template, choice.containers);
  const id = newRunId(ctx.now(), ctx.random);
  const choices: RunChoices = { ignorePdb: opts.ignorePdb, fieldManager: client.fieldManager };
  const record = newRunRecord({
    id,
    startedAt: new Date(ctx.now()).toISOString(),
    by: whoAmI(client),
    containers: choice.containers,
    pods: selection.pods,
    strategy,
    pacing: runPacing,
    heartbeatAt: serverTime(ctx, client),
    ...(stagePlan ? { staged: stagedRecordOf(stagePlan, {}) } : {}),
    choices,
    driver: thisProcess(),
  });
  return {
    id,
    record,
    recordText: writeRecord(record),
    containers: choice.containers,
    strategy,
    pacing: runPacing,
    crrs: [],
    // Any resourceVersion of the collection starts a watch; the run's own CRRs cannot be older than this list.
    crrsVersion: active.resourceVersion,
    skipped: selection.skipped,
    overrideWarning: override?.warning,
    choices,
  };
}

/** Quoted for a POSIX shell when it needs to be (a selector with spaces, parentheses or '!'), so it can be pasted. */
function shellWord(text: string): string {
  return /^[A-Za-z0-9=,./_:-]+$/.test(text) ? text : `'${text.replace(/'/g, `'\\''`)}'`;
}

async function planResume(ctx: CommandContext, client: KubeClient, cloneSet: CloneSet, opts: CrrOptions, id: string): Promise<Run | 'completed'> {
  const record = readRecord(cloneSet);
  const recordText = cloneSet.metadata.annotations?.[PLUGIN.lastRestartAnnotation] ?? '';
  if (!record || record.mode !== 'crr' || record.run !== id) {
    // A run killed between printing its id and writing its record left nothing behind: say so plainly.
    const { items } = await client.list<ContainerRecreateRequest>(collectionPath(CRRS, client.namespace), { labelSelector: `${PLUGIN.runLabel}=${id}` }, { type: CRRS });
    if (items.length === 0) {
      const latest = record ? ` (the latest restart is ${record.mode} run ${record.run})` : '';
      throw new RefusedError(
        `no request of ${KIND_WORDS[opts.kind]} "${opts.name}" carries run id ${id}, so nothing of it was restarted${latest}`,
        'check the id printed when the run started, or start a new run without --resume',
      );
    }
    // The run did exist: what took its record is the news, not the id.
    const done = items.filter((c) => c.status?.completionTime || c.status?.phase === 'Completed').length;
    const replaced = record
      ? `its record was replaced by ${record.mode === 'crr' ? 'crr' : 'inplace'} run ${record.run} (started ${record.startedAt}${record.by ? ` by ${record.by}` : ''})`
      : `the ${KIND_WORDS[opts.kind]} no longer has its record (the annotation was removed)`;
    throw new RefusedError(
      `cannot resume crr run ${id} of ${KIND_WORDS[opts.kind]} "${opts.name}": ${replaced}; ${items.length} of its requests exist, ${done} finished`,
      `check the pods (${PROGRAM} status ${opts.name} -n ${client.namespace} --run ${id}) and start a --new crr run for those not restarted (--pod or -l) once the other restart is over`,
    );
  }
  // After kill -9 on this machine the heartbeat is still fresh, but the process provably gone: no need to wait.
  const proof = driverProof(record.driver, thisProcess(), processNow);
  const judged = judgeResume(record, { now: ctx.now(), serverNow: ctx.now() + client.serverClockOffsetMs }, opts.force, proof);
  if (judged.verdict === 'completed') return 'completed';
  if (judged.verdict === 'driven') {
    throw new RefusedError(
      `crr run ${id} of ${KIND_WORDS[opts.kind]} "${opts.name}" may still be driven by a running process (last heartbeat ${record.heartbeatAt ?? record.startedAt}${record.by ? `, started by ${record.by}` : ''}; ${judged.why ?? 'its process cannot be checked'})`,
      `follow it with: ${PROGRAM} status ${opts.name} -n ${client.namespace} -w; if that process is gone (killed), resume in ${judged.staleInSeconds}s, once its heartbeat is ${HEARTBEAT_STALE_MS / 1000}s old, or now with --force`,
    );
  }
  if (judged.verdict === 'resume' && judged.provedGone) note(ctx, `run ${id}: ${judged.provedGone}, so it is resumed at once`);
  if (judged.verdict === 'expired') {
    throw new RefusedError(
      `run ${id} started ${Math.round(judged.ageSeconds)}s ago, longer than its requests' TTL (${judged.ttlSeconds}s): Kruise may have deleted finished requests, so resuming could restart pods twice`,
      'check the pods, then start a --new run for the rest (with --pod or -l)',
    );
  }
  const resumed = resumeChoices(record, { ignorePdb: opts.ignorePdb, fieldManager: opts.fieldManager }, DEFAULT_FIELD_MANAGER);
  if (!resumed.ok) throw new RefusedError(resumed.reason, resumed.remedy);
  if (resumed.kept.length > 0) note(ctx, `run ${id} was started with ${resumed.kept.join(' and ')}: the resume keeps ${resumed.kept.length === 1 ? 'it' : 'them'}`);
  if (judged.takeover) warn(ctx, `--force: taking over run ${id} although its heartbeat is fresh; if its process is still alive, both drive the run and up to twice the budget may be unavailable`);
  const { strategy } = judged;
  const budget = opts.maxUnavailable !== undefined ? resolveBudget(cloneSet, opts) : (record.maxUnavailable ?? workloadOf(cloneSet).rollout(cloneSet).maxUnavailable);
  refuseZeroBudget(budget, cloneSet);
  const crrs = await client.list<ContainerRecreateRequest>(collectionPath(CRRS, client.namespace), { labelSelector: `${PLUGIN.runLabel}=${id}` }, { type: CRRS });
  // A failed run goes on from where it failed: the pods that failed get a new request, the others their first.
  const retrying = judged.retry ? retryRecord(record, crrs.items) : record;
  if (judged.retry) {
    const retried = Object.keys(retrying.attempts ?? {}).filter((pod) => retrying.attempts?.[pod] !== record.attempts?.[pod]);
    note(ctx, `run ${id} failed before; retrying ${retried.length > 0 ? `${plural(retried.length, 'failed pod')} (${retried.join(', ')}) with new requests` : 'no failed pod'} and starting the pods it never reached`);
  }
  return {
    id,
    record: retrying,
    recordText,
    containers: record.containers,
    strategy,
    pacing: pacing(opts, budget, record.crr),
    crrs: currentRequests(retrying, crrs.items),
    crrsVersion: crrs.resourceVersion,
    skipped: [],
    choices: resumed.choices,
  };
}

function dryRunDocument(cloneSet: CloneSet, run: Run, opts: CrrOptions, namespace: string, guard: Guard) {
  const pods = run.record.pods ?? [];
  return {
    dryRun: opts.dryRun,
    cloneSet: `${namespace}/${opts.name}`,
    ...(opts.resume ? { resume: run.id } : {}),
    containers: run.containers,
    pods,
    skipped: run.skipped,
    maxUnavailable: run.pacing.budget,
    // The smallest cap at the start: budgets' live status moves it during the run.
    effectiveMaxUnavailable: guard.binding.effective,
    limit: guard.binding.explanation,
    budgets: guard.limits.filter((l) => l.covers).map((l) => ({ budget: l.source, rule: l.rule, allows: Math.max(0, l.limit - l.othersUnavailable), honoured: !opts.ignorePdb })),
    batches: batchCount(pods.length, guard.binding.effective),
    ...(stagesOf(run.record) ? { stages: stagesOf(run.record), pauseSeconds: readStaged(run.record)?.pauseSeconds ?? 0 } : {}),
    minReadySeconds: run.pacing.minReadySeconds,
    readyTimeoutSeconds: run.pacing.readyTimeoutSeconds,
    maxFailures: run.pacing.maxFailures,
    request: buildCrr({ namespace, cloneSet: opts.name, run: run.id, pod: pods[0] ?? '<pod>', containers: run.containers, strategy: run.strategy }),
  };
}

function printDryRun(ctx: CommandContext, doc: ReturnType<typeof dryRunDocument>, opts: CrrOptions): void {
  if (opts.output === 'json' || opts.output === 'yaml') {
    ctx.stdout.write(formatDocument(doc, opts.output));
    return;
  }
  const batches = doc.batches === 1 ? '1 batch' : `about ${doc.batches} batches`;
  ctx.stdout.write(`restart of ${plural(doc.containers.length, 'container')} ${doc.containers.join(', ')} in ${plural(doc.pods.length, 'pod')} of CloneSet ${doc.cloneSet} with ContainerRecreateRequests, ${doc.effectiveMaxUnavailable} at a time (${batches})\n`);
  ctx.stdout.write(`limit: ${doc.limit}\n`);
  ctx.stdout.write(`pods: ${doc.pods.join(', ') || '(none)'}\n`);
  if (doc.stages) {
    const plan: StagePlan = { total: doc.pods.length, stages: doc.stages, canary: doc.stages[0]?.name === 'canary', pauseSeconds: doc.pauseSeconds ?? 0 };
    ctx.stdout.write(`stages:\n${describeStages(plan).map((l, i) => `  ${l}: ${doc.stages?.[i].pods.join(', ')}\n`).join('')}`);
  }
  for (const s of doc.skipped) ctx.stdout.write(`skipped: ${s.pod}: ${s.reason}\n`);
  ctx.stdout.write(`request (one per pod):\n${JSON.stringify(doc.request, null, 2)}\n`);
  ctx.stdout.write(`dry run (${doc.dryRun}): nothing was created\n`);
}

/** Writes the record before the first request, so a killed process leaves everything a resume needs on the CloneSet. */
async function writeNewRecord(ctx: CommandContext, client: KubeClient, cloneSet: CloneSet, pods: Pod[], opts: CrrOptions, run: Run): Promise<CloneSet> {
  const path = objectPath(opts.type, client.namespace, opts.name);
  let current = cloneSet;
  for (let attempt = 1; ; attempt++) {
    try {
      // The resourceVersion makes this a compare-and-swap: two runs started at once cannot both believe they own it.
      const body = { metadata: { resourceVersion: current.metadata.resourceVersion, annotations: { [PLUGIN.lastRestartAnnotation]: run.recordText } } };
      return await client.patch<CloneSet>(path, body, 'merge', { type: opts.type });
    } catch (err) {
      if (!lostRace(err, false) || attempt >= 5) throw err;
      ctx.log(2, `CloneSet changed while we were writing the run record (attempt ${attempt}); re-reading`);
      current = await getCloneSet(client, opts.name, opts.type);
      // A retried request may have landed the first time: then the record is ours already.
      if (readRecord(current)?.run === run.id) return current;
      // Another restart may have claimed the CloneSet in between: the same refusal as if it had been there first.
      const override = await requireNoOtherRestart(ctx, client, current, pods, 'crr', { force: opts.force, newRun: opts.newRun });
      if (override && override.warning !== run.overrideWarning) warn(ctx, override.warning);
    }
  }
}

/** Now on the API server's clock (its Date header), as heartbeats are written and judged. */
function serverTime(ctx: CommandContext, client: KubeClient): string {
  return new Date(ctx.now() + client.serverClockOffsetMs).toISOString();
}

/**
 * Replaces the record's text with a new one only if it is still exactly what we last wrote (a JSON patch `test`):
 * another restart's record is never overwritten. Returns false when the record is no longer ours.
 */
async function swapRecord(client: KubeClient, opts: CrrOptions, run: Run, next: RestartRecord): Promise<boolean> {
  const pointer = `/metadata/annotations/${pointerEscape(PLUGIN.lastRestartAnnotation)}`;
  const text = writeRecord(next);
  try {
    await client.patch(objectPath(opts.type, client.namespace, opts.name), [{ op: 'test', path: pointer, value: run.recordText }, { op: 'replace', path: pointer, value: text }], 'json', { type: opts.type });
  } catch (err) {
    if (!lostRace(err, true)) throw err;
    // Lost the race: re-read. Still our run (a write whose answer was lost)? Then carry on from what is there.
    const current = await getCloneSet(client, opts.name, opts.type);
    const record = readRecord(current);
    if (record?.mode !== 'crr' || record.run !== run.id) return false;
    run.recordText = current.metadata.annotations?.[PLUGIN.lastRestartAnnotation] ?? run.recordText;
    run.record = record;
    return swapRecord(client, opts, run, { ...next, outcomes: next.outcomes ?? record.outcomes });
  }
  run.record = next;
  run.recordText = text;
  return true;
}

/**
 * Renews the run's heartbeat every few seconds while this process drives it, so `status` elsewhere can tell a
 * driven run from an interrupted one. Stops (with one warning) when the record is no longer ours.
 */
interface Heartbeat {
  stop(): Promise<void>;
  /** Aborted when the heartbeat could not be renewed in time: the run must stop creating requests. */
  readonly unrenewed: AbortSignal;
  /** Why, once `unrenewed` is aborted. */
  readonly why?: string;
}

/**
 * A heartbeat not renewed for this long (the API server gone, or too slow to answer): everyone else will judge the
 * run interrupted once it is HEARTBEAT_STALE_MS old, and another process may resume it, so this one stops creating
 * requests two beats before that. Two drivers must never both believe they own the run.
 */
const UNRENEWED_LIMIT_MS = HEARTBEAT_STALE_MS - 2 * HEARTBEAT_EVERY_MS;

function startHeartbeat(ctx: CommandContext, client: KubeClient, opts: CrrOptions, run: Run): Heartbeat {
  let pending: Promise<unknown> | undefined;
  let lost = false;
  // The record was written (or claimed) just before this starts.
  let renewedAt = ctx.now();
  const unrenewed = new AbortController();
  const state: Heartbeat = {
    unrenewed: unrenewed.signal,
    async stop() {
      clearInterval(timer);
      await pending;
    },
  };
  const giveUp = (why: string) => {
    if (unrenewed.signal.aborted) return;
    (state as { why?: string }).why = why;
    unrenewed.abort();
  };
  const beat = () => {
    if (lost) return;
    const silentMs = ctx.now() - renewedAt;
    if (silentMs > UNRENEWED_LIMIT_MS) giveUp(`the heartbeat of run ${run.id} could not be renewed for ${Math.round(silentMs / 1000)}s`);
    // One write at a time: a slow server must not pile them up.
    if (pending) return;
    const sentAt = ctx.now();
    pending = swapRecord(client, opts, run, { ...run.record, heartbeatAt: serverTime(ctx, client) })
      .then((ours) => {
        renewedAt = sentAt;
        if (!ours && !lost) {
          lost = true;
          warn(ctx, `the ${KIND_WORDS[opts.kind]}'s restart record no longer shows run ${run.id} (another restart replaced it); requests already created finish on their own`);
        }
      })
      .catch((err: unknown) => {
        const why = err instanceof Error ? err.message : String(err);
        ctx.log(2, `heartbeat of run ${run.id} not written: ${why}`);
        if (ctx.now() - renewedAt > UNRENEWED_LIMIT_MS) giveUp(`the heartbeat of run ${run.id} could not be renewed for ${Math.round((ctx.now() - renewedAt) / 1000)}s (${why})`);
      })
      .finally(() => (pending = undefined));
  };
  const timer = setInterval(beat, HEARTBEAT_EVERY_MS);
  return state;
}

/** The context a stage is driven with: stopped by Ctrl-C, or by a heartbeat that could not be renewed. */
function drivenBy(ctx: CommandContext, heartbeat: Heartbeat): CommandContext {
  return { ...ctx, interrupted: AbortSignal.any([ctx.interrupted, heartbeat.unrenewed]) };
}

/** Marks the run finished, only if the record is still ours: a newer restart's record must not be overwritten. */
async function finishRecord(ctx: CommandContext, client: KubeClient, opts: CrrOptions, run: Run, decision: PacingDecision): Promise<void> {
  const next = finishedRecord(run.record, decision, serverTime(ctx, client));
  try {
    const ours = await swapRecord(client, opts, run, next);
    if (!ours) warn(ctx, `the ${KIND_WORDS[opts.kind]}'s restart record no longer shows run ${run.id} (a newer restart replaced it); left it as is`);
  } catch (err) {
    warn(ctx, `could not mark run ${run.id} ${next.finished} on the ${KIND_WORDS[opts.kind]}: ${err instanceof Error ? err.message : String(err)}`);
  }
}

type LoopEnd = { kind: 'finished'; decision: PacingDecision } | { kind: 'timeout' | 'interrupted'; decision?: PacingDecision } | { kind: 'error'; error: unknown };

interface LoopResult {
  end: LoopEnd;
  progress?: RestartProgress;
}

/**
 * The paced loop. Every decision is taken on a watch event (or when a min-ready / ready timeout ends), so a freed
 * slot is used at once; the API sees one create per pod and two long-lived watches.
 */
async function drive(ctx: CommandContext, client: KubeClient, cloneSet: CloneSet, pods: Pod[], podsVersion: string, opts: CrrOptions, run: Run, guard: Guard): Promise<LoopResult> {
  const namespace = client.namespace;
  const sink = progressSink(ctx, opts.output);
  const order = stageOrder(run.record);
  let memory: PacingMemory = emptyMemory();
  let history: ProgressHistory | undefined;
  let progress: RestartProgress | undefined;
  let decision: PacingDecision | undefined;
  const creating = new Set<string>();
  let stopping = false;
  let settle!: (end: LoopEnd) => void;
  const ended = new Promise<LoopEnd>((resolve) => (settle = resolve));
  let scheduled = false;
  let wakeTimer: NodeJS.Timeout | undefined;
  const reported = new Set<string>();

  const podsLive = new LiveCollection<Pod>(client, PODS, namespace, { labelSelector: podSelectorOf(cloneSet) }, () => schedule());
  const crrsLive = new LiveCollection<ContainerRecreateRequest>(client, CRRS, namespace, { labelSelector: `${PLUGIN.runLabel}=${run.id}` }, () => schedule());
  // The budgets' status moves as pods come and go (ours and others'): every change may open or close a slot.
  const pdbsLive = guard.honoured ? new LiveCollection<PodDisruptionBudget>(client, PDBS, namespace, {}, () => schedule()) : undefined;
  const pubsLive = guard.honoured && guard.budgets.pubsVersion !== undefined ? new LiveCollection<PodUnavailableBudget>(client, PUBS, namespace, {}, () => schedule()) : undefined;
  let othersSeen: OthersMemory = new Map();
  const liveLimits = (livePods: Pod[]): UnavailabilityLimit[] => {
    if (!pdbsLive) return [];
    const held = holdOthersBetweenStatuses(limitsOf(cloneSet, livePods, { pdbs: pdbsLive.values(), pubs: pubsLive?.values() ?? [], pdbsVersion: '' }), othersSeen);
    othersSeen = held.memory;
    return held.limits;
  };

  const render = () => {
    if (renderTimer) clearTimeout(renderTimer);
    renderTimer = undefined;
    renderedAt = performance.now();
    const record = withOutcomes(run.record, decision);
    const result = track({ cloneSet, kind: workloadOf(cloneSet), pods: ownedBy(cloneSet, podsLive.values(), workloadOf(cloneSet)), record, crrs: crrsLive.values(), now: ctx.now(), history, driving: true });
    history = result.history;
    progress = stageView(result.progress, { record, serverNow: ctx.now() + client.serverClockOffsetMs, driving: true });
    sink.update(progress);
  };
  // The model reads every pod and request: built once a frame at most (the live view draws every 150 ms anyway), so
  // a burst of watch events costs one build, and the build never delays the next event, hence the next create.
  let renderTimer: NodeJS.Timeout | undefined;
  let renderedAt = Number.NEGATIVE_INFINITY;
  const renderSoon = () => {
    if (renderTimer) return;
    renderTimer = setTimeout(render, Math.max(0, renderedAt + RENDER_EVERY_MS - performance.now()));
  };

  const create = async (pod: string) => {
    creating.add(pod);
    const body = buildCrr({ namespace, cloneSet: opts.name, run: run.id, pod, containers: run.containers, strategy: run.strategy, name: requestName(run.record, pod) });
    const name = body.metadata.name as string;
    try {
      let crr: ContainerRecreateRequest;
      try {
        crr = await client.create<ContainerRecreateRequest>(collectionPath(CRRS, namespace), body, { type: CRRS });
      } catch (err) {
        if (!(err instanceof ApiError && err.status === 409)) throw err;
        // Created before (a retry whose answer was lost, or a crash): adopt it rather than restart the pod twice.
        crr = await client.get<ContainerRecreateRequest>(objectPath(CRRS, namespace, name), { type: CRRS });
        if (crr.metadata.labels?.[PLUGIN.runLabel] !== run.id) throw new FailedError(`a ContainerRecreateRequest named ${name} exists but belongs to another run`, 'delete it or start a --new run');
        ctx.log(2, `adopted existing request ${name}`);
      }
      // The watch may already have a newer copy; never replace it with this older answer.
      if (!crrsLive.items.has(name)) crrsLive.items.set(name, crr);
    } catch (err) {
      // The webhook judges each pod (gone, pending, container never started): that pod fails, the run decides.
      if (err instanceof ApiError && (err.status === 400 || err.status === 422)) memory = withFailure(memory, { pod, message: `request refused: ${err.message}` });
      else settle({ kind: 'error', error: err });
    } finally {
      creating.delete(pod);
      schedule();
    }
  };

  const evaluate = () => {
    scheduled = false;
    const now = ctx.now();
    const livePods = ownedBy(cloneSet, podsLive.values(), workloadOf(cloneSet));
    decision = nextPodsToStart({
      order,
      pods: livePods,
      limits: liveLimits(livePods),
      crrs: currentRequests(run.record, crrsLive.values()),
      creating: [...creating],
      budget: run.pacing.budget,
      minReadySeconds: run.pacing.minReadySeconds,
      readyTimeoutSeconds: run.pacing.readyTimeoutSeconds,
      maxFailures: run.pacing.maxFailures,
      now,
      memory,
    });
    memory = decision.memory;
    for (const f of decision.failed) {
      const key = `${f.pod}/${f.container ?? ''}`;
      if (!reported.has(key)) {
        reported.add(key);
        warn(ctx, `pod ${f.pod}${f.container ? ` container ${f.container}` : ''} failed: ${f.message}${decision.stopped ? '; no more requests start' : ''}`);
      }
    }
    if (!stopping) for (const pod of decision.start) void create(pod);
    renderSoon();
    if (decision.finished && creating.size === 0 && decision.start.length === 0) settle({ kind: 'finished', decision });
    if (wakeTimer) clearTimeout(wakeTimer);
    wakeTimer = decision.wakeAt !== undefined ? setTimeout(schedule, Math.max(0, decision.wakeAt - now) + 5) : undefined;
  };
  function schedule() {
    if (scheduled) return;
    scheduled = true;
    setImmediate(evaluate);
  }

  // Only redraws ages and the ETA; decisions wait for the cluster (or a deadline) to change.
  const tick = setInterval(() => {
    if (!scheduled) render();
  }, 1000);
  const timer = opts.timeoutMs > 0 ? setTimeout(() => settle({ kind: 'timeout' }), opts.timeoutMs) : undefined;
  const onInterrupt = () => settle({ kind: 'interrupted' });
  ctx.interrupted.addEventListener('abort', onInterrupt, { once: true });
  if (ctx.interrupted.aborted) settle({ kind: 'interrupted' });

  try {
    crrsLive.startFrom(run.crrs, run.crrsVersion);
    pdbsLive?.startFrom(guard.budgets.pdbs, guard.budgets.pdbsVersion);
    pubsLive?.startFrom(guard.budgets.pubs, guard.budgets.pubsVersion ?? '');
    podsLive.startFrom(pods, podsVersion);
    const end = await ended;
    stopping = true;
    // Requests already sent either land or not; wait for the answers so the summary and the record are right.
    while (creating.size > 0) await new Promise((resolve) => setTimeout(resolve, 20));
    // The last frame shows the end: built now if events came after the latest build.
    if (renderTimer || !progress) render();
    sink.finish(progress as RestartProgress);
    if (end.kind === 'timeout' || end.kind === 'interrupted') return { end: { kind: end.kind, decision }, progress };
    return { end, progress };
  } finally {
    clearInterval(tick);
    if (renderTimer) clearTimeout(renderTimer);
    if (timer) clearTimeout(timer);
    if (wakeTimer) clearTimeout(wakeTimer);
    ctx.interrupted.removeEventListener('abort', onInterrupt);
    podsLive.stop();
    crrsLive.stop();
    pdbsLive?.stop();
    pubsLive?.stop();
  }
}

/** The pods the run may start so far: all of them, or those of the stages up to the one under way (the record's order). */
function stageOrder(record: RestartRecord): string[] {
  const pods = record.pods ?? [];
  const staged = readStaged(record);
  return staged ? pods.slice(0, staged.through[staged.stage]) : pods;
}

/** Each stage with its pods, for the dry run: the record's order fixes which pod is in which stage. */
function stagesOf(record: RestartRecord) {
  const staged = readStaged(record);
  if (!staged) return undefined;
  const pods = record.pods ?? [];
  return staged.through.map((through, i) => {
    const from = i === 0 ? 0 : staged.through[i - 1];
    return { name: stageName(staged, i), size: through - from, through, pods: pods.slice(from, through) };
  });
}

function describeFailures(failures: PodFailure[]): string {
  return failures.map((f) => `${f.pod}${f.container ? `/${f.container}` : ''}: ${f.message}`).join('; ');
}

/** The limits a run paces within, besides its own budget: every covering PDB and PUB, unless --ignore-pdb. */
interface Guard {
  honoured: boolean;
  budgets: BudgetSnapshot;
  /** Its own budget first, then the covering budgets (all of them, also when ignored: the dry run lists them). */
  limits: UnavailabilityLimit[];
  binding: BindingLimit;
  /** Said after the run id (the first line of a run), or before a dry run's plan. */
  warnings: string[];
}

/**
 * Reads the budgets once for the plan (the loop then watches them), says which limit binds, and says what the user
 * must hear first: --ignore-pdb loudly, containers without readiness probes, an owning controller. A budget that
 * allows no pod at all to be unavailable would stall the run forever: refused.
 */
async function guardRun(ctx: CommandContext, client: KubeClient, cloneSet: CloneSet, pods: Pod[], opts: CrrOptions, run: Run): Promise<Guard> {
  const budgets = await snapshotBudgets(client);
  const raw = opts.maxUnavailable ?? (opts.resume ? run.pacing.budget : (cloneSet.spec.updateStrategy?.maxUnavailable ?? '20%'));
  const own: UnavailabilityLimit = {
    source: opts.maxUnavailable !== undefined ? '--max-unavailable' : opts.resume ? "the run's budget" : `${KIND_WORDS[opts.kind]} maxUnavailable`,
    rule: String(raw),
    limit: run.pacing.budget,
    othersUnavailable: 0,
  };
  const covering = limitsOf(cloneSet, pods, budgets);
  const honoured = !opts.ignorePdb;
  const warnings: string[] = [];
  if (!honoured) {
    const loud = ignoredBudgetsWarning(covering, run.pacing.budget);
    if (loud) warnings.push(loud);
  } else {
    const closed = covering.find((l) => l.limit <= 0);
    if (closed) {
      throw new RefusedError(
        `${closed.source} (${closed.rule}) allows no pod of ${KIND_WORDS[opts.kind]} "${opts.name}" to be unavailable: no pod could restart`,
        'relax the budget for the restart, or pass --ignore-pdb to restart anyway without honouring it',
      );
    }
  }
  warnings.push(...readinessWarnings(cloneSet, run.containers, { minReadySeconds: run.pacing.minReadySeconds }));
  const owner = ownerNote(cloneSet);
  if (owner) ctx.log(1, owner);
  const limits = [own, ...covering];
  const binding = bindingOf(honoured ? limits : [own]);
  return { honoured, budgets, limits, binding, warnings };
}

export async function runCrr(ctx: CommandContext, args: CommandArgs): Promise<number> {
  // A usage error is an outcome too: with -o json|yaml it still gets its document.
  return reporting(ctx, outputOf(args), (report) => crr(ctx, completeOptions(args), report));
}

/**
 * A resume claims the run with a heartbeat written over exactly the record it judged abandoned: of two resumes at
 * the same moment, one wins and the other is refused, so a run never has two drivers.
 */
async function claimResume(ctx: CommandContext, client: KubeClient, opts: CrrOptions, run: Run): Promise<void> {
  const pointer = `/metadata/annotations/${pointerEscape(PLUGIN.lastRestartAnnotation)}`;
  const next = claimedRecord(run.record, serverTime(ctx, client), whoAmI(client), thisProcess());
  const text = writeRecord(next);
  try {
    await client.patch(objectPath(opts.type, client.namespace, opts.name), [{ op: 'test', path: pointer, value: run.recordText }, { op: 'replace', path: pointer, value: text }], 'json', { type: opts.type });
  } catch (err) {
    if (!lostRace(err, true)) throw err;
    const current = readRecord(await getCloneSet(client, opts.name, opts.type));
    const who = current?.run === run.id ? `another process resumed run ${run.id} just now${current.by ? ` (${current.by})` : ''}` : `another restart replaced run ${run.id} just now`;
    throw new RefusedError(who, `follow it with: ${PROGRAM} status ${opts.name} -n ${client.namespace} -w`);
  }
  run.record = next;
  run.recordText = text;
}

export async function crr(ctx: CommandContext, opts: CrrOptions, report: Report): Promise<number> {
  const client = await ctx.connect();
  if (opts.fieldManager) client.fieldManager = opts.fieldManager;
  const namespace = client.namespace;
  Object.assign(report.doc, { cloneSet: `${namespace}/${opts.name}`, mode: 'crr' });
  if (opts.dryRun !== 'none') report.doc.dryRun = opts.dryRun;
  // Before any read: a user missing several permissions hears about all of them, not just the first one hit.
  // Advanced StatefulSets and DaemonSets at the version discovery picks (never one the server does not serve).
  if (opts.kind !== 'CloneSet') opts = { ...opts, type: await resourceTypeOf(client, opts.kind) };
  if (opts.dryRun !== 'client') await requirePermissions(client, namespace, neededFor(opts.type));
  let cloneSet = await getCloneSet(client, opts.name, opts.type);
  const { pods, resourceVersion: podsVersion } = await listPods(client, cloneSet);

  // --continue is a resume of the staged run on the CloneSet, moved on to its next stage once claimed.
  let advanceTo: number | undefined;
  if (opts.continueRun) {
    const target = await continueTarget(ctx, client, cloneSet, pods, opts);
    opts = { ...opts, resume: target.run };
    advanceTo = target.stage;
  }
  if (opts.resume) report.doc.run = opts.resume;
  const planned = opts.resume ? await planResume(ctx, client, cloneSet, opts, opts.resume) : await planNewRun(ctx, client, cloneSet, pods, opts);
  if (planned === 'completed') {
    note(ctx, `run ${opts.resume} of ${KIND_WORDS[opts.kind]} ${namespace}/${opts.name} already completed: nothing to do`);
    return EXIT.ok;
  }
  const run = planned;
  report.doc.run = run.id;
  // A resumed run goes on as it was started: honouring budgets or not, writing under the same name.
  opts = { ...opts, ignorePdb: run.choices.ignorePdb };
  client.fieldManager = run.choices.fieldManager;
  const guard = await guardRun(ctx, client, cloneSet, pods, opts, run);
  const warnSkipped = () => {
    run.skipped.forEach((s) => warn(ctx, `skipping pod ${s.pod}: ${s.reason}`));
    guard.warnings.forEach((w) => warn(ctx, w));
  };

  if (opts.dryRun !== 'none') {
    if (opts.dryRun === 'server') {
      const first = run.record.pods?.[0];
      // One request through the webhook proves schema, admission and permissions without restarting anything.
      if (first) {
        const body = buildCrr({ namespace, cloneSet: opts.name, run: run.id, pod: first, containers: run.containers, strategy: run.strategy });
        await client.create(collectionPath(CRRS, namespace), body, { query: { dryRun: 'All' }, type: CRRS });
      }
    }
    warnSkipped();
    report.printed = opts.output === 'json' || opts.output === 'yaml';
    printDryRun(ctx, dryRunDocument(cloneSet, run, opts, namespace, guard), opts);
    return EXIT.ok;
  }

  const total = run.record.pods?.length ?? 0;
  // The run line comes first once the claim is won, before anything else can fail: whatever happens next, the user
  // knows what to --resume. Not before: a process that loses the race for the record has started no run.
  const announce = () => {
    note(ctx, `run ${run.id}`);
    warnSkipped();
  };
  if (opts.resume) {
    await claimResume(ctx, client, opts, run);
    announce();
    const staged = readStaged(run.record);
    if (advanceTo !== undefined && staged) {
      if (!(await swapRecord(client, opts, run, { ...run.record, staged: { ...withoutHold(staged), stage: advanceTo } }))) {
        throw new RefusedError(`another restart replaced run ${run.id} just now`, `follow it with: ${PROGRAM} status ${opts.name} -n ${namespace} -w`);
      }
      note(ctx, `stage ${advanceTo + 1} of ${staged.through.length} (${stageName(staged, advanceTo)}): up to ${plural(staged.through[advanceTo], 'pod')} in all`);
    }
    note(ctx, `resuming: ${plural(run.containers.length, 'container')} ${run.containers.join(', ')} in ${plural(total, 'pod')} of ${KIND_WORDS[opts.kind]} ${namespace}/${opts.name}, ${guard.binding.explanation}`);
  } else {
    if (run.overrideWarning) warn(ctx, run.overrideWarning);
    cloneSet = await writeNewRecord(ctx, client, cloneSet, pods, opts, run);
    announce();
    note(ctx, `restarting ${plural(run.containers.length, 'container')} ${run.containers.join(', ')} in ${plural(total, 'pod')} of ${KIND_WORDS[opts.kind]} ${namespace}/${opts.name}, ${guard.binding.explanation} (stop with Ctrl-C; resume with: ${readStaged(run.record) ? continueCommand('crr', opts.name, namespace) : resumeCommand(opts, namespace, run.id)})`);
    await recordEvent(ctx, client, cloneSet, 'ContainerRestartStarted', `Restart of ${run.containers.join(', ')} in ${plural(total, 'pod')} with ContainerRecreateRequests started by kubectl-kruise_restart (run ${run.id})`);
  }

  let heartbeat = startHeartbeat(ctx, client, opts, run);
  let loop: LoopResult;
  let held = false;
  try {
    let podsNow = pods;
    let podsVersionNow = podsVersion;
    for (;;) {
      loop = await drive(drivenBy(ctx, heartbeat), client, cloneSet, podsNow, podsVersionNow, opts, run, guard);
      if (heartbeat.unrenewed.aborted) break;
      const staged = readStaged(run.record);
      if (!staged || isLastStage(staged) || loop.end.kind !== 'finished' || loop.end.decision.failed.length > 0) break;
      const next = await betweenStages(ctx, client, opts, run, staged, loop.end.decision);
      if (next === 'hold') {
        held = true;
        break;
      }
      if (next === 'interrupted') {
        loop = { ...loop, end: { kind: 'interrupted', decision: loop.end.decision } };
        break;
      }
      // The heartbeat rewrites the record it last saw: stop it while the stage moves on, so it cannot put the old stage back.
      await heartbeat.stop();
      if (!(await swapRecord(client, opts, run, { ...run.record, staged: { ...withoutHold(staged), stage: staged.stage + 1 }, heartbeatAt: serverTime(ctx, client) }))) {
        throw new FailedError(`another restart replaced run ${run.id}`, 'requests already created finish on their own');
      }
      heartbeat = startHeartbeat(ctx, client, opts, run);
      const moved = readStaged(run.record) as NonNullable<ReturnType<typeof readStaged>>;
      note(ctx, `stage ${moved.stage + 1} of ${moved.through.length} (${stageName(moved, moved.stage)}): up to ${plural(moved.through[moved.stage], 'pod')} in all`);
      ({ pods: podsNow, resourceVersion: podsVersionNow } = await listPods(client, cloneSet));
      const crrs = await client.list<ContainerRecreateRequest>(collectionPath(CRRS, namespace), { labelSelector: `${PLUGIN.runLabel}=${run.id}` }, { type: CRRS });
      run.crrs = crrs.items;
      run.crrsVersion = crrs.resourceVersion;
    }
  } finally {
    // Before the final write: the record must not change under finishRecord's test.
    await heartbeat.stop();
  }
  const { end, progress } = loop;
  if (held) {
    // Stopped on purpose after the canary: the record says so, and nothing is left running.
    await swapRecord(client, opts, run, { ...run.record, staged: { ...(readStaged(run.record) as NonNullable<ReturnType<typeof readStaged>>), holding: true }, stoppedAt: serverTime(ctx, client) });
    const view = progress ? heldView(progress, 'crr') : undefined;
    if (view) report.doc = { ...view, outcome: 'held', next: continueCommand('crr', opts.name, namespace, opts.kind) };
    note(ctx, `the run holds after the canary; continue with: ${continueCommand('crr', opts.name, namespace, opts.kind)}`);
    return EXIT.ok;
  }
  if (progress) report.doc = { ...progress };
  // A staged run goes on with --continue (status and the refusals say so too), which follows the stage and moves on.
  const resume = readStaged(run.record) ? continueCommand('crr', opts.name, namespace) : resumeCommand(opts, namespace, run.id);
  if (end.kind === 'interrupted' && heartbeat.unrenewed.aborted && !ctx.interrupted.aborted) {
    // No stoppedAt write either: the server did not take the heartbeat, and others see it go stale in a few seconds.
    const d = end.decision;
    const state = d ? `${d.done.length} of ${plural(total, 'pod')} restarted, ${d.inFlight.length} in flight (they finish on their own)` : 'no pod restarted yet';
    Object.assign(report.doc, { resume });
    throw new FailedError(
      `stopped creating requests: ${heartbeat.why ?? 'the heartbeat could not be renewed'}, so the API server may soon show the run interrupted and let another process resume it; ${state}`,
      `once the cluster answers again, resume with: ${resume}`,
    );
  }
  if (end.kind !== 'finished') {
    // Said before exiting, so status and a --resume elsewhere need not wait for the heartbeat to go stale.
    await swapRecord(client, opts, run, stoppedRecord(run.record, end.kind === 'error' ? undefined : end.decision, serverTime(ctx, client))).catch((err: unknown) =>
      ctx.log(2, `could not mark run ${run.id} stopped: ${err instanceof Error ? err.message : String(err)}`),
    );
  }

  switch (end.kind) {
    case 'error':
      warn(ctx, `stopped creating requests; the ones already created finish on their own. Resume with: ${resume}`);
      throw end.error;
    case 'interrupted':
    case 'timeout': {
      const d = end.decision;
      const state = d ? `${d.done.length} of ${plural(total, 'pod')} restarted, ${d.inFlight.length} in flight (they finish on their own)` : 'no pod restarted yet';
      Object.assign(report.doc, { resume });
      if (end.kind === 'interrupted') throw new InterruptedError(`interrupted: ${state}`, `resume with: ${resume}`);
      throw new TimeoutError(`timed out after ${opts.timeoutMs / 1000}s: ${state}`, `resume with: ${resume}`);
    }
    case 'finished': {
      const d = end.decision;
      const staged = readStaged(run.record);
      if (d.failed.length > 0 && staged && !isLastStage(staged)) {
        // The run ends failed, as any failed run: --continue retries the stage's failed pods and goes on (roll forward).
        await finishRecord(ctx, client, opts, run, d);
        await recordEvent(ctx, client, cloneSet, 'RestartFailed', `Container restart stopped at ${stageName(staged, staged.stage)} (run ${run.id}): ${d.failedPods.length} failed`, 'Warning');
        throw atStage(new FailedError(`${plural(d.failedPods.length, 'pod')} failed to restart: ${describeFailures(d.failed)}`), staged, 'crr', typedTarget(opts.kind, opts.name), namespace);
      }
      if (d.failed.length > 0) {
        await finishRecord(ctx, client, opts, run, d);
        const untouched = d.waiting.length > 0 ? `; ${plural(d.waiting.length, 'pod')} ${d.waiting.length === 1 ? 'was' : 'were'} not restarted` : '';
        await recordEvent(ctx, client, cloneSet, 'RestartFailed', `Container restart failed (run ${run.id}): ${d.done.length} of ${plural(total, 'pod')} restarted, ${d.failedPods.length} failed`, 'Warning');
        throw new FailedError(`${plural(d.failedPods.length, 'pod')} failed to restart: ${describeFailures(d.failed)}${untouched}`);
      }
      const skipped = d.skipped.length > 0 ? ` (${d.skipped.length} skipped: ${d.skipped.map((s) => `${s.pod} ${s.reason}`).join(', ')})` : '';
      // Two independent writes, each handling its own failure: sent together, the run ends a round trip sooner.
      await Promise.all([
        finishRecord(ctx, client, opts, run, d),
        recordEvent(ctx, client, cloneSet, 'RestartCompleted', `Container restart completed (run ${run.id}): ${d.done.length} of ${plural(total, 'pod')} restarted`),
      ]);
      note(ctx, `run ${run.id} completed: ${d.done.length} of ${plural(total, 'pod')} restarted${skipped}`);
      return EXIT.ok;
    }
  }
}

function withoutHold<T extends { holding?: boolean }>(staged: T): T {
  const copy = { ...staged };
  delete copy.holding;
  return copy;
}

/** The staged run --continue goes on with, and the stage it moves to (undefined: finish the one under way first). */
async function continueTarget(ctx: CommandContext, client: KubeClient, cloneSet: CloneSet, pods: Pod[], opts: CrrOptions): Promise<{ run: string; stage?: number }> {
  const record = readRecord(cloneSet);
  const namespace = client.namespace;
  if (record?.mode === 'inplace' && record.staged) {
    throw new RefusedError(`the staged restart of ${KIND_WORDS[opts.kind]} "${opts.name}" is an in-place one (run ${record.run})`, `continue it with: ${continueCommand('inplace', opts.name, namespace, opts.kind)}`);
  }
  const crrs = record?.mode === 'crr' ? (await client.list<ContainerRecreateRequest>(collectionPath(CRRS, namespace), { labelSelector: `${PLUGIN.runLabel}=${record.run}` }, { type: CRRS })).items : undefined;
  const serverNow = ctx.now() + client.serverClockOffsetMs;
  const progress = stageView(buildProgress({ cloneSet, pods, record, crrs, now: ctx.now(), serverClockOffsetMs: client.serverClockOffsetMs }), { record, serverNow });
  const decision = decideContinue({ record, stageDone: progress.stage?.done ?? false, complete: progress.complete, serverNow, force: opts.force, follow: `${PROGRAM} status ${opts.name} -n ${namespace} -w` });
  if (decision.kind === 'refuse' || !record) throw new RefusedError(decision.kind === 'refuse' ? decision.reason : 'no staged run', decision.kind === 'refuse' ? decision.remedy : '');
  if (progress.failed) warn(ctx, `going on although the ${progress.stage?.name ?? 'stage'} failed: ${progress.message}`);
  // A failed stage is finished first: the resume retries its failed pods, and the run holds or goes on from there.
  return { run: record.run, stage: decision.kind === 'next' && !progress.failed ? decision.stage : undefined };
}

/**
 * Between two stages of a staged run: after the canary, hold (off a terminal, or when the user says no) or go on;
 * after a batch, wait out the pause. Ctrl-C during the pause stops the run where it is.
 */
async function betweenStages(ctx: CommandContext, client: KubeClient, opts: CrrOptions, run: Run, staged: NonNullable<ReturnType<typeof readStaged>>, decision: PacingDecision): Promise<'go' | 'hold' | 'interrupted'> {
  const total = staged.through[staged.through.length - 1];
  note(ctx, `${stageName(staged, staged.stage)} done: ${plural(decision.done.length, 'pod')} of ${total} restarted (${listNames(decision.done)})`);
  if (staged.canary && staged.stage === 0) {
    const interactive = ctx.stdout.isTTY && process.stdin.isTTY && opts.output !== 'json' && opts.output !== 'yaml';
    if (!interactive) return 'hold';
    return (await confirm(ctx, `Canary healthy. Continue with the other ${plural(total - staged.through[0], 'pod')}?`)) ? 'go' : 'hold';
  }
  if (staged.pauseSeconds > 0) {
    note(ctx, `pausing ${formatDuration(staged.pauseSeconds)} before the next stage`);
    if ((await sleep(ctx, staged.pauseSeconds * 1000)) === 'interrupted') return 'interrupted';
  }
  return 'go';
}
