// Several workloads in one command: `inplace web api`, `inplace -l tier=web`, `inplace asts --all --yes`,
// `status -l tier=web -A`. Every target is checked before the first write (one refused target refuses the whole
// command unless --skip-refused), then the targets restart one after another (or --parallel N at once), each paced by
// its own budget and guarded by its own one-restart-at-a-time claim. Exit codes aggregate; a summary names each
// target's outcome; -o json|yaml prints one List document, -o name one `cloneset.apps.kruise.io/web restarted` line
// per target.
import { Writable } from 'node:stream';
import type { CommandArgs, CommandContext } from './context';
import { EXIT, FailedError, InterruptedError, RefusedError, TimeoutError, UsageError } from '../errors';
import { requirePermissions, type Permission } from '../kube/access';
import type { KubeClient } from '../kube/client';
import { collectionPath, type ResourceType } from '../kube/resources';
import { validateRunId } from '../kruise/crr-plan';
import { readRecord } from '../kruise/record';
import { PROGRAM } from '../version';
import { plural } from '../kruise/duration';
import type { CloneSet } from '../kruise/types';
import { formatDocument } from '../ui/document';
import { describeFailure } from '../ui/failure';
import { completeOptions, inplace, neededFor, runInplace } from './inplace';
import { completeOptions as completeCrrOptions, crr, neededFor as crrNeededFor, runCrr, type CrrOptions } from './crr';
import { runStatus, status } from './status';
import { confirm, getCloneSet, KIND_WORDS, manyTargets, note, OUTCOMES, resourceTypeOf, resourceWord, targetsOf, timeoutMs, type Report, type Target, type WorkloadKind } from './common';

export async function runInplaceCommand(ctx: CommandContext, args: CommandArgs): Promise<number> {
  return manyTargets(args) ? runManyInplace(ctx, args) : runInplace(ctx, args);
}

export async function runStatusCommand(ctx: CommandContext, args: CommandArgs): Promise<number> {
  return manyTargets(args) ? runManyStatus(ctx, args) : runStatus(ctx, args);
}

/** What happened to one target. */
export interface TargetResult {
  target: Target;
  namespace: string;
  exitCode: number;
  outcome: string;
  /** The one-line error of a target that did not succeed. */
  error?: string;
  doc?: Record<string, unknown>;
}

/**
 * The command's exit code from its targets': interrupted wins (the user stopped it), then failed, timed out, refused;
 * 0 only when every target is done.
 */
export function aggregateExitCode(codes: readonly number[]): number {
  for (const code of [EXIT.interrupted, EXIT.failed, EXIT.timeout, EXIT.usage]) if (codes.includes(code)) return code;
  return codes.every((c) => c === EXIT.ok) ? EXIT.ok : EXIT.failed;
}

const NAME_VERBS: Record<string, string> = {
  complete: 'restarted',
  started: 'restart started',
  'dry-run': 'restart planned (dry run)',
  failed: 'restart failed',
  timeout: 'restart timed out',
  interrupted: 'restart interrupted',
  refused: 'refused',
  'not-started': 'not started',
  held: 'restart held after its canary',
};

/** `cloneset.apps.kruise.io/web restarted`, as kubectl prints `deployment.apps/web restarted`. */
export function nameLine(result: Pick<TargetResult, 'target' | 'outcome'>): string {
  return `${resourceWord(result.target.kind)}/${result.target.name} ${NAME_VERBS[result.outcome] ?? result.outcome}`;
}

export function targetLabel(target: Target): string {
  return `${target.kind === 'CloneSet' ? 'cloneset' : target.kind === 'StatefulSet' ? 'asts' : 'ads'}/${target.name}`;
}

/** The summary line: how many of the targets are done, and each one's outcome. */
export function summaryOf(results: readonly TargetResult[]): string {
  const done = results.filter((r) => r.exitCode === EXIT.ok).length;
  return `${done} of ${plural(results.length, 'workload')} done: ${results.map((r) => `${targetLabel(r.target)} ${r.outcome}`).join(', ')}`;
}

/** The List document of -o json|yaml: one item per target, each the document its single-target command prints. */
export function listDocument(results: readonly TargetResult[], exitCode: number): Record<string, unknown> {
  return {
    apiVersion: 'v1',
    kind: 'List',
    metadata: {},
    exitCode,
    items: results.map((r) => ({ workload: `${resourceWord(r.target.kind)}/${r.target.name}`, namespace: r.namespace, ...(r.doc ?? {}), outcome: r.outcome, exitCode: r.exitCode, ...(r.error ? { error: r.error } : {}) })),
  };
}


/** The targets of a line: named ones as typed (duplicates once), or every workload of the kind the selector matches. */
async function resolveTargets(ctx: CommandContext, client: KubeClient, args: CommandArgs, allNamespaces = false): Promise<Array<{ target: Target; namespace: string }>> {
  const kind = typeof args.kind === 'string' ? (args.kind as WorkloadKind) : undefined;
  if (!kind) {
    const seen = new Set<string>();
    return targetsOf(args)
      .filter((t) => !seen.has(`${t.kind}/${t.name}`) && seen.add(`${t.kind}/${t.name}`))
      .map((target) => ({ target, namespace: client.namespace }));
  }
  const selector = typeof args.selector === 'string' ? args.selector : undefined;
  const type = await resourceTypeOf(client, kind);
  const path = allNamespaces ? `/apis/${type.group}/${type.version}/${type.plural}` : collectionPath(type, client.namespace);
  const { items } = await client.list<CloneSet>(path, selector ? { labelSelector: selector } : {}, { type });
  const found = items
    .map((w) => ({ target: { kind, name: w.metadata.name ?? '' }, namespace: w.metadata.namespace ?? client.namespace }))
    .sort((a, b) => `${a.namespace}/${a.target.name}`.localeCompare(`${b.namespace}/${b.target.name}`));
  if (found.length === 0) {
    const where = allNamespaces ? 'in any namespace' : `in namespace "${client.namespace}"`;
    throw new RefusedError(`no ${KIND_WORDS[kind]}s ${selector ? `match ${selector} ` : ''}${where}`, 'check the selector and -n/--namespace');
  }
  return found;
}

/** A stream that keeps nothing: checks run silently before the restarts, which then say everything once. */
function discard(): NodeJS.WritableStream & { isTTY?: boolean } {
  return new Writable({ write: (_chunk, _enc, done) => done() });
}

function failureOf(err: unknown): { exitCode: number; line: string } {
  const f = describeFailure(err, 0);
  return { exitCode: f.exitCode, line: f.line.replace(/^error: /, '') };
}

/** What differs between `inplace` and `crr` when several workloads restart in one command. */
interface ManyRestart {
  command: 'inplace' | 'crr';
  dryRun: 'none' | 'client' | 'server';
  yes: boolean;
  needed(type: ResourceType): Permission[];
  /** Plans one target as a client dry run would, writing nothing; throws its refusal. */
  check(quiet: CommandContext, target: Target): Promise<void>;
  /** Restarts one target; `output` is json when the command prints one List at the end. */
  run(ctx: CommandContext, target: Target, output: 'json' | 'wide' | undefined, report: Report): Promise<number>;
}

export async function runManyInplace(ctx: CommandContext, args: CommandArgs): Promise<number> {
  const client = await ctx.connect();
  const targets = await resolveTargets(ctx, client, args);
  const base = completeOptions(args, targets[0].target);
  return runManyRestarts(ctx, args, client, targets, {
    command: 'inplace',
    dryRun: base.dryRun,
    yes: base.yes,
    needed: neededFor,
    check: async (quiet, target) => {
      await inplace(quiet, { ...base, name: target.name, kind: target.kind, dryRun: 'client', output: undefined }, { doc: {}, printed: false });
    },
    run: (c, target, output, report) => inplace(c, { ...base, name: target.name, kind: target.kind, output }, report),
  });
}

/**
 * `crr` over several workloads. With names typed, -l/--selector still picks pods of each; with a TYPE (or none) and
 * no name it picks the workloads. `--resume ID` (repeatable) resumes, on each target named, the run of those ids that
 * is recorded on it: the interrupted command prints that line with every unfinished target and its run id.
 */
export async function runManyCrr(ctx: CommandContext, args: CommandArgs): Promise<number> {
  const ids = resumeIds(args);
  const selecting = typeof args.kind === 'string';
  if (ids.length > 0 && selecting) {
    throw new UsageError('--resume names runs of workloads: give the workloads by name, not with -l/--all', 'the interrupted command printed the line to type');
  }
  if (args.pod !== undefined && (selecting || targetsOf(args).length > 1)) {
    throw new UsageError('--pod names pods of one workload', 'drop --pod to restart several workloads, or name one workload with it');
  }
  // With the workloads picked by -l, the selector is not a pod selector as well. Each target's options are checked as
  // its own command line would be (staged flags are for CloneSets only).
  const podArgs: CommandArgs = { ...args, ...(selecting ? { selector: undefined } : {}), resume: ids[0] };
  const optionsOf = (target: Target): CrrOptions => completeCrrOptions({ ...podArgs, cloneset: target.kind === 'CloneSet' ? target.name : `${resourceWord(target.kind).replace('.', 's.')}/${target.name}` });
  const typed = targetsOf(args);
  typed.forEach(optionsOf);
  const client = await ctx.connect();
  const targets = await resolveTargets(ctx, client, args);
  const options = new Map(targets.map((t) => [targetLabel(t.target), optionsOf(t.target)]));
  const base = options.get(targetLabel(targets[0].target)) as CrrOptions;
  const runs = ids.length > 0 ? await matchRuns(client, targets.map((t) => t.target), ids) : new Map<string, string | undefined>();
  const optsFor = (target: Target): CrrOptions => ({ ...(options.get(targetLabel(target)) as CrrOptions), resume: runs.get(targetLabel(target)) });
  return runManyRestarts(ctx, args, client, targets, {
    command: 'crr',
    dryRun: base.dryRun,
    yes: Boolean(args.yes),
    needed: crrNeededFor,
    check: async (quiet, target) => {
      if (ids.length > 0 && !runs.get(targetLabel(target))) throw new RefusedError(`none of the --resume ids (${ids.join(', ')}) is the latest run of ${KIND_WORDS[target.kind]} "${target.name}"`, 'give each workload with the id its run printed');
      await crr(quiet, { ...optsFor(target), dryRun: 'client', output: undefined }, { doc: {}, printed: false });
    },
    run: (c, target, output, report) => crr(c, { ...optsFor(target), output }, report),
  });
}

function resumeIds(args: CommandArgs): string[] {
  const raw = args.resume === undefined ? [] : Array.isArray(args.resume) ? args.resume : [args.resume];
  const ids = [...new Set(raw.map(String))];
  for (const id of ids) {
    const problem = validateRunId(id);
    if (problem) throw new UsageError(`--resume: ${problem}`);
  }
  return ids;
}

/** Each target's run among the ids: the one its restart record holds. An id no target holds is refused. */
async function matchRuns(client: KubeClient, targets: Target[], ids: string[]): Promise<Map<string, string | undefined>> {
  const runs = new Map<string, string | undefined>();
  for (const target of targets) {
    const workload = await getCloneSet(client, target.name, await resourceTypeOf(client, target.kind));
    const run = readRecord(workload)?.run;
    runs.set(targetLabel(target), ids.find((id) => id === run));
  }
  const unmatched = ids.filter((id) => ![...runs.values()].includes(id));
  if (unmatched.length > 0) {
    throw new RefusedError(
      `${unmatched.length === 1 ? 'run' : 'runs'} ${unmatched.join(', ')} ${unmatched.length === 1 ? 'is' : 'are'} the latest run of none of ${targets.map(targetLabel).join(', ')}`,
      'name each workload whose run you resume (the interrupted command printed the line), or check its run with status',
    );
  }
  return runs;
}

export async function runCrrCommand(ctx: CommandContext, args: CommandArgs): Promise<number> {
  if (manyTargets(args)) return runManyCrr(ctx, args);
  const ids = args.resume === undefined ? [] : [args.resume].flat();
  if (ids.length > 1) throw new UsageError(`--resume is given ${ids.length} times for one workload`, 'give the one run id its run printed');
  return runCrr(ctx, { ...args, resume: ids[0] });
}

async function runManyRestarts(ctx: CommandContext, args: CommandArgs, client: KubeClient, targets: Array<{ target: Target; namespace: string }>, restart: ManyRestart): Promise<number> {
  const output = typeof args.output === 'string' ? args.output : undefined;
  const parallel = args.parallel === undefined ? 1 : Number(args.parallel);
  if (!Number.isInteger(parallel) || parallel < 1) throw new UsageError(`--parallel needs a whole number of at least 1, got ${String(args.parallel)}`, 'e.g. --parallel 2');
  if (args.all && !restart.yes && restart.dryRun === 'none') {
    const names = targets.map((t) => t.target.name).join(', ');
    const what = plural(targets.length, KIND_WORDS[targets[0].target.kind]);
    if (!ctx.stdout.isTTY || !process.stdin.isTTY) throw new RefusedError(`--all restarts ${what} (${names}) and needs confirmation`, 'run again with --yes');
    if (!(await confirm(ctx, `Restart all ${what} in namespace ${client.namespace} (${names})?`))) throw new RefusedError('not confirmed', 'nothing was changed');
  }

  // Every precondition of every target before the first write: each target is planned as a client dry run, silently.
  if (restart.dryRun !== 'client') {
    for (const kind of new Set(targets.map((t) => t.target.kind))) await requirePermissions(client, client.namespace, restart.needed(await resourceTypeOf(client, kind)));
  }
  const quiet: CommandContext = { ...ctx, stdout: discard(), stderr: discard() };
  const refused: TargetResult[] = [];
  for (const { target, namespace } of targets) {
    try {
      await restart.check(quiet, target);
    } catch (err) {
      const f = failureOf(err);
      // A missing workload or an API failure is not a refusal to skip past: the whole command stops on it.
      if (f.exitCode !== EXIT.usage) throw err;
      // One workload (typed with -o name, say): its own refusal, not "1 of 1 refused ... restart the others".
      if (targets.length === 1 && !args['skip-refused']) throw err;
      refused.push({ target, namespace, exitCode: f.exitCode, outcome: 'refused', error: f.line });
    }
  }
  if (refused.length > 0 && !args['skip-refused']) {
    throw new RefusedError(
      `${refused.length} of ${plural(targets.length, 'workload')} refused, nothing was restarted: ${refused.map((r) => `${targetLabel(r.target)}: ${r.error}`).join('; ')}`,
      'fix them, or run again with --skip-refused to restart the others',
    );
  }
  for (const r of refused) note(ctx, `skipped ${targetLabel(r.target)} (--skip-refused): ${r.error}`);

  const results = new Map<string, TargetResult>(refused.map((r) => [targetLabel(r.target), r]));
  const todo = targets.filter((t) => !results.has(targetLabel(t.target)));
  // Captured per target, printed as one List at the end; -o name prints its lines as targets finish.
  const asDocument = output === 'json' || output === 'yaml';
  let stop: string | undefined;
  const runOne = async ({ target, namespace }: { target: Target; namespace: string }): Promise<void> => {
    if (stop || ctx.interrupted.aborted) {
      results.set(targetLabel(target), { target, namespace, exitCode: EXIT.usage, outcome: 'not-started', error: stop ?? 'interrupted before it started' });
      return;
    }
    if (!asDocument && output !== 'name' && targets.length > 1) note(ctx, `--- ${targetLabel(target)} (${namespace})`);
    const report: Report = { doc: {}, printed: false };
    // Several live tables cannot share one terminal: with --parallel each target appends lines instead.
    const stdout = asDocument || output === 'name' ? discard() : parallel > 1 ? Object.assign(Object.create(ctx.stdout) as typeof ctx.stdout, { isTTY: false }) : ctx.stdout;
    let result: TargetResult;
    try {
      const code = await restart.run({ ...ctx, stdout }, target, asDocument ? 'json' : output === 'wide' ? 'wide' : undefined, report);
      // A dry run restarted nothing, whatever its stdout was (-o name sends the plan nowhere).
      const outcome = String(report.doc.outcome ?? (report.printed || restart.dryRun !== 'none' ? 'dry-run' : OUTCOMES[code] ?? 'complete'));
      result = { target, namespace, exitCode: code, outcome, doc: report.doc };
    } catch (err) {
      const f = failureOf(err);
      ctx.stderr.write(`${targetLabel(target)}: ${f.line}\n`);
      result = { target, namespace, exitCode: f.exitCode, outcome: OUTCOMES[f.exitCode] ?? 'failed', error: f.line, doc: report.doc };
    }
    results.set(targetLabel(target), result);
    if (output === 'name') ctx.stdout.write(`${nameLine(result)}\n`);
    // A restart that failed or was stopped says something about the change or the cluster: start no more.
    if (result.exitCode !== EXIT.ok && !stop) stop = `not started after ${targetLabel(target)} ended ${result.outcome}`;
  };
  const queue = [...todo];
  await Promise.all(
    Array.from({ length: Math.min(parallel, queue.length) }, async () => {
      for (let next = queue.shift(); next; next = queue.shift()) await runOne(next);
    }),
  );
  const ordered = targets.map((t) => results.get(targetLabel(t.target))!).filter(Boolean);
  const exitCode = aggregateExitCode(ordered.map((r) => r.exitCode));
  if (asDocument) ctx.stdout.write(formatDocument(listDocument(ordered, exitCode), output as 'json' | 'yaml'));
  const summary = summaryOf(ordered);
  if (exitCode === EXIT.ok) {
    note(ctx, summary);
    return EXIT.ok;
  }
  const hint = restart.command === 'crr' ? crrHint(ordered, client.namespace) : notStartedHint(ordered);
  if (exitCode === EXIT.interrupted) throw new InterruptedError(summary, hint);
  if (exitCode === EXIT.timeout) throw new TimeoutError(summary, hint);
  if (exitCode === EXIT.usage) throw new RefusedError(summary, hint);
  throw new FailedError(summary, hint);
}

function notStartedHint(results: readonly TargetResult[]): string | undefined {
  return results.some((r) => r.outcome === 'not-started') ? 'the targets not started were left as they are; run them again once the cause is fixed' : undefined;
}

/**
 * What finishes the command: one --resume line for every run that stopped unfinished (each workload with its own run
 * id), and the workloads never started, to be started anew.
 */
export function crrHint(results: readonly TargetResult[], namespace: string): string | undefined {
  const unfinished = results.filter((r) => r.exitCode !== EXIT.ok && r.outcome !== 'refused' && r.outcome !== 'not-started' && typeof r.doc?.run === 'string');
  const notStarted = results.filter((r) => r.outcome === 'not-started');
  const parts: string[] = [];
  if (notStarted.length > 0) parts.push(`not started (left as they are; start them with the same flags once the cause is fixed): ${notStarted.map((r) => targetLabel(r.target)).join(' ')}`);
  // Last on the line, so it copies cleanly.
  if (unfinished.length > 0) {
    parts.push(`resume with: ${PROGRAM} crr ${unfinished.map((r) => targetLabel(r.target)).join(' ')} -n ${namespace} ${unfinished.map((r) => `--resume ${String(r.doc?.run)}`).join(' ')}`);
  }
  return parts.length > 0 ? parts.join('; ') : undefined;
}

export async function runManyStatus(ctx: CommandContext, args: CommandArgs): Promise<number> {
  const output = typeof args.output === 'string' ? args.output : undefined;
  const client = await ctx.connect();
  const targets = await resolveTargets(ctx, client, args, Boolean(args['all-namespaces']));
  if (output === 'name') {
    // As kubectl get -o name: the workloads, once each read (a name typed that does not exist is an error).
    for (const { target, namespace } of targets) {
      if (!args.kind) await status({ ...ctx, stdout: discard() }, args, { doc: {}, printed: false }, { name: target.name, kind: target.kind, wait: 0, output: 'json', run: undefined }, namespace === client.namespace ? client : client.inNamespace(namespace));
      ctx.stdout.write(`${resourceWord(target.kind)}/${target.name}\n`);
    }
    return EXIT.ok;
  }
  const asDocument = output === 'json' || output === 'yaml';
  const results: TargetResult[] = [];
  for (const { target, namespace } of targets) {
    if (ctx.interrupted.aborted) break;
    if (!asDocument) note(ctx, `--- ${targetLabel(target)} (${namespace})`);
    const report: Report = { doc: {}, printed: false };
    const sub = namespace === client.namespace ? client : client.inNamespace(namespace);
    try {
      const code = await status(
        { ...ctx, stdout: asDocument ? discard() : ctx.stdout },
        args,
        report,
        { name: target.name, kind: target.kind, wait: timeoutMs(args), output: asDocument ? (output as 'json') : (output as 'wide' | undefined), run: undefined },
        sub,
      );
      results.push({ target, namespace, exitCode: code, outcome: String(report.doc.outcome ?? (report.doc as { state?: string }).state ?? OUTCOMES[code]), doc: report.doc });
    } catch (err) {
      const f = failureOf(err);
      ctx.stderr.write(`${targetLabel(target)}: ${f.line}\n`);
      results.push({ target, namespace, exitCode: f.exitCode, outcome: OUTCOMES[f.exitCode] ?? 'failed', error: f.line });
    }
  }
  const exitCode = aggregateExitCode(results.map((r) => r.exitCode));
  if (asDocument) ctx.stdout.write(formatDocument(listDocument(results, exitCode), output as 'json' | 'yaml'));
  const unread = results.filter((r) => r.error);
  if (unread.length > 0) {
    const summary = `${unread.length} of ${plural(results.length, 'workload')} could not be shown: ${unread.map((r) => `${targetLabel(r.target)}: ${r.error}`).join('; ')}`;
    if (exitCode === EXIT.usage) throw new RefusedError(summary);
    if (exitCode === EXIT.interrupted) throw new InterruptedError(summary);
    throw new FailedError(summary);
  }
  return exitCode;
}
