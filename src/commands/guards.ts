// What a careful SRE checks around a CloneSet before restarting it, for both commands: who owns it, whether a Kruise
// Rollout would take the change over, which disruption budgets cover its pods, which target containers have no
// readiness probe, and what maxSurge will really do. Reads through kube/, decisions in kruise/, refusals and
// warnings said here.
import type { CommandContext } from './context';
import { RefusedError } from '../errors';
import type { KubeClient } from '../kube/client';
import { PDBS, PUBS, ROLLOUTS } from '../kube/resources';
import { readBudgets, readRollouts } from '../kube/surroundings';
import type { Permission } from '../kube/access';
import { bindingLimit, budgetLimits, tighterBudgets, type PodDisruptionBudget, type PodUnavailableBudget, type UnavailabilityLimit } from '../kruise/disruption-budgets';
import { containersWithoutReadiness, foreignOwner, rolloutRefusal, targetingRollout } from '../kruise/hazards';
import { plural } from '../kruise/duration';
import type { CloneSet, Pod } from '../kruise/types';

/** The reads below, for the permission pre-check (and the README Role). Optional add-ons only where served. */
export const BUDGET_READS: Permission[] = [
  { verb: 'list', group: PDBS.group, resource: PDBS.plural },
  { verb: 'list', group: PUBS.group, resource: PUBS.plural, optionalVersion: PUBS.version },
];
export const BUDGET_WATCHES: Permission[] = [
  { verb: 'watch', group: PDBS.group, resource: PDBS.plural },
  { verb: 'watch', group: PUBS.group, resource: PUBS.plural, optionalVersion: PUBS.version },
];
export const ROLLOUT_READS: Permission[] = [{ verb: 'list', group: ROLLOUTS.group, resource: ROLLOUTS.plural, optionalVersion: ROLLOUTS.version }];

export interface OwnerFlags {
  force: boolean;
  ignoreOwner: boolean;
}

/**
 * inplace writes the template, which the owning controller rewrites: refused, naming the owner and what to restart
 * instead. --force alone does not override it (it is about restarts running at once, not about this); only
 * --ignore-owner does.
 */
export function refuseForeignOwner(ctx: CommandContext, cloneSet: CloneSet, flags: OwnerFlags): void {
  const owner = foreignOwner(cloneSet);
  if (!owner) return;
  if (flags.ignoreOwner) {
    ctx.stderr.write(`warning: --ignore-owner: ${owner.reason}\n`);
    return;
  }
  throw new RefusedError(owner.reason, `${owner.instead}${flags.force ? '; --force does not override this, --ignore-owner does' : ''}`);
}

/** crr leaves the template alone, so an owner cannot revert it: said, not refused. */
export function ownerNote(cloneSet: CloneSet): string | undefined {
  const owner = foreignOwner(cloneSet);
  if (!owner) return undefined;
  return `CloneSet "${cloneSet.metadata.name}" is controlled by ${owner.owner.kind} "${owner.owner.name}"; requests leave the template alone, so it has nothing to revert`;
}

/** A Kruise Rollout would turn the trigger into a staged release waiting for approvals: refused. */
export async function refuseTargetingRollout(client: KubeClient, cloneSet: CloneSet): Promise<void> {
  const rollout = targetingRollout(cloneSet, await readRollouts(client, client.namespace));
  if (!rollout) return;
  const { reason, remedy } = rolloutRefusal(cloneSet, rollout);
  throw new RefusedError(reason, remedy);
}

export interface BudgetSnapshot {
  pdbs: PodDisruptionBudget[];
  pubs: PodUnavailableBudget[];
  pdbsVersion: string;
  /** Undefined: PodUnavailableBudgets are not served. */
  pubsVersion?: string;
}

export async function snapshotBudgets(client: KubeClient): Promise<BudgetSnapshot> {
  const read = await readBudgets(client, client.namespace);
  return { pdbs: read.pdbs.items, pubs: read.pubs?.items ?? [], pdbsVersion: read.pdbs.resourceVersion, pubsVersion: read.pubs?.resourceVersion };
}

/** Pods counted unavailable the way both budget controllers count them: not Ready (or on their way out). */
export function notReadyPods(pods: Pod[]): Set<string> {
  return new Set(
    pods
      .filter((p) => p.metadata.deletionTimestamp || p.status?.phase !== 'Running' || !(p.status?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True'))
      .map((p) => p.metadata.name ?? ''),
  );
}

export function limitsOf(cloneSet: CloneSet, pods: Pod[], budgets: BudgetSnapshot, unavailable = notReadyPods(pods)): UnavailabilityLimit[] {
  return budgetLimits({ pods, cloneSetName: cloneSet.metadata.name ?? '', unavailableNow: unavailable, pdbs: budgets.pdbs, pubs: budgets.pubs });
}

/** inplace: Kruise paces by maxUnavailable alone; each covering budget that allows fewer is said with its numbers. */
export function budgetWarnings(cloneSet: CloneSet, pods: Pod[], budgets: BudgetSnapshot, maxUnavailable: number, largestStage?: number): string[] {
  const atOnce = largestStage === undefined ? maxUnavailable : Math.min(maxUnavailable, largestStage);
  const why = largestStage !== undefined && largestStage < maxUnavailable ? `stages of up to ${largestStage} let Kruise restart ${atOnce}` : `maxUnavailable lets Kruise restart ${atOnce}`;
  return tighterBudgets(limitsOf(cloneSet, pods, budgets), atOnce).map((l) => {
    const allows = Math.max(0, l.limit - l.othersUnavailable);
    const others = l.othersUnavailable > 0 ? ` (${l.othersUnavailable} of its pods elsewhere already unavailable)` : '';
    return (
      `${l.source} (${l.rule}) allows ${allows} unavailable ${allows === 1 ? 'pod' : 'pods'}${others} but ${why} at once, ` +
      `and in-place restarts do not ask it: use --batch-size ${Math.max(1, allows)}, lower maxUnavailable to ${Math.max(1, allows)}, or "crr", which honours it`
    );
  });
}

/** Target containers without a readinessProbe: each is Ready as soon as it starts, so no budget guards its warm-up. */
export function readinessWarnings(cloneSet: CloneSet, targets: string[], crr: { minReadySeconds?: number } | undefined): string[] {
  return containersWithoutReadiness(cloneSet.spec.template, targets).map(
    (c) =>
      `container ${c} has no readinessProbe: it counts as Ready the moment it starts, so the budget guards nothing while it warms up` +
      (crr ? (crr.minReadySeconds ? '' : '; pass --min-ready-seconds S to hold each pod unavailable for S seconds after it is Ready') : '; add a readinessProbe, or restart with "crr --min-ready-seconds S"'),
  );
}

/** crr with --ignore-pdb: loud, with the budgets it ignores and what that allows. */
export function ignoredBudgetsWarning(limits: UnavailabilityLimit[], budget: number): string | undefined {
  const covering = limits.filter((l) => l.covers);
  if (covering.length === 0) return `--ignore-pdb: no PodDisruptionBudget or PodUnavailableBudget covers these pods anyway`;
  const tighter = covering.filter((l) => l.limit - l.othersUnavailable < budget);
  const list = covering.map((l) => `${l.source} (${l.rule}, allows ${Math.max(0, l.limit - l.othersUnavailable)})`).join(', ');
  return `--ignore-pdb: NOT honouring ${list}: up to ${plural(budget, 'pod')} may be unavailable at once${tighter.length ? ', more than they allow' : ''}`;
}

export function bindingOf(limits: UnavailabilityLimit[]) {
  return bindingLimit(limits);
}
