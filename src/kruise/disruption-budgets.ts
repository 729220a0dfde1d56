// The budgets beyond the CloneSet's own maxUnavailable: PodDisruptionBudgets (policy/v1) and Kruise's
// PodUnavailableBudgets (policy.kruise.io/v1alpha1). ContainerRecreateRequests and env-from-metadata restarts go
// around both (neither is an eviction, and PUB checks in-place updates only behind an alpha gate), so the plugin
// honours them itself: each one is turned into a cap on how many of the pods it covers may be unavailable at once.

import { resolveIntOrPercent } from './budget';
import type { IntOrString, LabelSelector, ObjectMeta, Pod } from './types';

export interface PodDisruptionBudget {
  apiVersion?: string;
  kind?: string;
  metadata: ObjectMeta;
  spec?: { selector?: LabelSelector | null; minAvailable?: IntOrString; maxUnavailable?: IntOrString; [field: string]: unknown };
  status?: {
    observedGeneration?: number;
    disruptionsAllowed?: number;
    currentHealthy?: number;
    desiredHealthy?: number;
    expectedPods?: number;
    [field: string]: unknown;
  };
}

export interface PodUnavailableBudget {
  apiVersion?: string;
  kind?: string;
  metadata: ObjectMeta;
  spec?: {
    selector?: LabelSelector | null;
    targetRef?: { apiVersion?: string; kind?: string; name?: string };
    minAvailable?: IntOrString;
    maxUnavailable?: IntOrString;
    [field: string]: unknown;
  };
  status?: {
    observedGeneration?: number;
    unavailableAllowed?: number;
    currentAvailable?: number;
    desiredAvailable?: number;
    totalReplicas?: number;
    [field: string]: unknown;
  };
}

/** One cap on unavailable pods, over the run's pods it covers. */
export interface UnavailabilityLimit {
  /** How it is named to the user: `PodDisruptionBudget web-pdb`, `--max-unavailable`. */
  source: string;
  /** What it says, in its owner's terms: `maxUnavailable 1`, `minAvailable 90%`. */
  rule: string;
  /** Pods (covered ones, ours and others) that may be unavailable at once. */
  limit: number;
  /** Names of our pods it covers; undefined: all of them (the plugin's own budget). */
  covers?: Set<string>;
  /** Covered pods outside the CloneSet that its status reports unavailable: they use the budget up too. */
  othersUnavailable: number;
  /** The budget's resourceVersion when othersUnavailable came from its status (see holdOthersBetweenStatuses). */
  statusVersion?: string;
}

/** `matchLabels` and `matchExpressions` as Kubernetes evaluates them (an empty selector matches everything). */
export function labelSelectorMatches(selector: LabelSelector, labels: Record<string, string> | undefined): boolean {
  const have = labels ?? {};
  for (const [key, value] of Object.entries(selector.matchLabels ?? {})) if (have[key] !== value) return false;
  for (const req of selector.matchExpressions ?? []) {
    const present = Object.prototype.hasOwnProperty.call(have, req.key);
    const values = req.values ?? [];
    if (req.operator === 'In' && !(present && values.includes(have[req.key]))) return false;
    if (req.operator === 'NotIn' && present && values.includes(have[req.key])) return false;
    if (req.operator === 'Exists' && !present) return false;
    if (req.operator === 'DoesNotExist' && present) return false;
  }
  return true;
}

function describeRule(spec: { minAvailable?: IntOrString; maxUnavailable?: IntOrString } | undefined): string {
  if (spec?.maxUnavailable !== undefined) return `maxUnavailable ${spec.maxUnavailable}`;
  if (spec?.minAvailable !== undefined) return `minAvailable ${spec.minAvailable}`;
  return 'no limit set';
}

/**
 * Pods that may be unavailable at once out of `expected`, the way the disruption controller and Kruise's PUB
 * controller both derive their desired count: maxUnavailable (rounded up) takes precedence, else minAvailable
 * (rounded up); a budget with neither guards nothing here.
 */
function allowedFromSpec(spec: { minAvailable?: IntOrString; maxUnavailable?: IntOrString } | undefined, expected: number): number | undefined {
  if (spec?.maxUnavailable !== undefined) return Math.max(0, resolveIntOrPercent(spec.maxUnavailable, expected, true));
  if (spec?.minAvailable !== undefined) return Math.max(0, expected - resolveIntOrPercent(spec.minAvailable, expected, true));
  return undefined;
}

/**
 * A status its controller wrote for this generation. The API server returns a PDB status of zeros before any
 * disruption controller ran (its count fields are not omitempty), and so without kube-controller-manager forever:
 * only observedGeneration, which the controllers set, tells a real status from that.
 */
function statusIsCurrent(meta: ObjectMeta, observed: number | undefined, expected: number | undefined): boolean {
  return observed !== undefined && (meta.generation === undefined || observed >= meta.generation) && typeof expected === 'number' && expected > 0;
}

export interface BudgetInput {
  /** The CloneSet's live pods (the run's and the rest): coverage is decided on their labels. */
  pods: Pod[];
  cloneSetName: string;
  /** Pod names the caller counts unavailable right now: used to tell our unavailable pods from others' in a status. */
  unavailableNow: Set<string>;
  pdbs: PodDisruptionBudget[];
  pubs: PodUnavailableBudget[];
}

/**
 * Every budget covering at least one of the CloneSet's pods, as a cap on unavailable pods. The cap comes from the
 * budget's own status when it is current (expectedPods − desiredHealthy; totalReplicas − desiredAvailable), which
 * is what its controller enforces; before its controller has seen it, from its spec against the pods it covers here.
 * Unavailable pods it covers outside the CloneSet come from its status (reported unavailable minus ours).
 */
export function budgetLimits(input: BudgetInput): UnavailabilityLimit[] {
  const limits: UnavailabilityLimit[] = [];
  const names = (pred: (p: Pod) => boolean) => new Set(input.pods.filter(pred).map((p) => p.metadata.name ?? ''));
  const oursUnavailable = (covers: Set<string>) => [...covers].filter((n) => input.unavailableNow.has(n)).length;

  for (const pdb of input.pdbs) {
    if (pdb.metadata.deletionTimestamp) continue;
    const selector = pdb.spec?.selector;
    // policy/v1: a null selector selects nothing, an empty one every pod of the namespace.
    if (!selector) continue;
    const covers = names((p) => labelSelectorMatches(selector, p.metadata.labels));
    if (covers.size === 0) continue;
    const s = pdb.status;
    const current = s && statusIsCurrent(pdb.metadata, s.observedGeneration, s.expectedPods) && typeof s.desiredHealthy === 'number';
    let limit: number | undefined;
    let others = 0;
    if (current) {
      limit = Math.max(0, (s.expectedPods as number) - (s.desiredHealthy as number));
      const reported = Math.max(0, (s.expectedPods as number) - (s.currentHealthy ?? 0));
      others = Math.max(0, reported - oursUnavailable(covers));
      // A budget over more pods than ours: the pods beyond ours cannot be ours.
      others = Math.min(others, Math.max(0, (s.expectedPods as number) - covers.size));
    } else limit = allowedFromSpec(pdb.spec, covers.size);
    if (limit === undefined) continue;
    const version = current && pdb.metadata.resourceVersion ? { statusVersion: pdb.metadata.resourceVersion } : {};
    limits.push({ source: `PodDisruptionBudget ${pdb.metadata.name}`, rule: describeRule(pdb.spec), limit, covers, othersUnavailable: others, ...version });
  }

  for (const pub of input.pubs) {
    if (pub.metadata.deletionTimestamp) continue;
    const spec = pub.spec ?? {};
    let covers: Set<string>;
    if (spec.targetRef) {
      const group = (spec.targetRef.apiVersion ?? '').split('/')[0];
      const ours = spec.targetRef.kind === 'CloneSet' && group === 'apps.kruise.io' && spec.targetRef.name === input.cloneSetName;
      covers = ours ? names(() => true) : new Set();
    } else if (spec.selector) {
      const selector = spec.selector;
      covers = names((p) => labelSelectorMatches(selector, p.metadata.labels));
    } else covers = new Set();
    if (covers.size === 0) continue;
    const s = pub.status;
    const current = s && statusIsCurrent(pub.metadata, s.observedGeneration, s.totalReplicas) && typeof s.desiredAvailable === 'number';
    let limit: number | undefined;
    let others = 0;
    if (current) {
      limit = Math.max(0, (s.totalReplicas as number) - (s.desiredAvailable as number));
      const reported = Math.max(0, (s.totalReplicas as number) - (s.currentAvailable ?? 0));
      others = Math.min(Math.max(0, reported - oursUnavailable(covers)), Math.max(0, (s.totalReplicas as number) - covers.size));
    } else limit = allowedFromSpec(spec, covers.size);
    if (limit === undefined) continue;
    const version = current && pub.metadata.resourceVersion ? { statusVersion: pub.metadata.resourceVersion } : {};
    limits.push({ source: `PodUnavailableBudget ${pub.metadata.name}`, rule: describeRule(spec), limit, covers, othersUnavailable: others, ...version });
  }
  return limits;
}

/** othersUnavailable of each budget as last taken from its status, keyed by source, with the version it came from. */
export type OthersMemory = ReadonlyMap<string, { version: string; others: number }>;

/**
 * Others' unavailable pods are known only from a budget's status, so they change only when the status does. Between
 * two statuses, one of our pods going down would otherwise look like one of theirs coming back (reported minus ours,
 * from a status that has not counted ours yet: the disruption controller writes a moment after the pod changes), and
 * open a slot the budget does not have. So the figure taken at a status version is kept until the next version.
 */
export function holdOthersBetweenStatuses(limits: UnavailabilityLimit[], memory: OthersMemory): { limits: UnavailabilityLimit[]; memory: OthersMemory } {
  const next = new Map<string, { version: string; others: number }>();
  const held = limits.map((l) => {
    if (l.statusVersion === undefined) return l;
    const before = memory.get(l.source);
    const others = before && before.version === l.statusVersion ? before.others : l.othersUnavailable;
    next.set(l.source, { version: l.statusVersion, others });
    return others === l.othersUnavailable ? l : { ...l, othersUnavailable: others };
  });
  return { limits: held, memory: next };
}

/** The plugin's own cap, over every pod of the run: `--max-unavailable` or the CloneSet's maxUnavailable. */
export function ownLimit(budget: number, fromFlag: boolean, raw: string): UnavailabilityLimit {
  return { source: fromFlag ? '--max-unavailable' : 'CloneSet maxUnavailable', rule: raw, limit: budget, othersUnavailable: 0 };
}

/**
 * Room left under each cap, given the pods counted unavailable now. A pod that is already unavailable costs nothing
 * more when it restarts; one that is up spends one unit of every cap covering it.
 */
export function roomUnder(limits: UnavailabilityLimit[], unavailable: Set<string>): number[] {
  return limits.map((l) => {
    const used = l.covers ? [...l.covers].filter((n) => unavailable.has(n)).length : unavailable.size;
    return l.limit - used - l.othersUnavailable;
  });
}

/** Whether starting `pod` (currently up) fits every cap that covers it; spends the room when it does. */
export function takeRoom(limits: UnavailabilityLimit[], room: number[], pod: string): boolean {
  const applies = limits.map((l) => !l.covers || l.covers.has(pod));
  if (applies.some((a, i) => a && room[i] <= 0)) return false;
  applies.forEach((a, i) => {
    if (a) room[i]--;
  });
  return true;
}

export interface BindingLimit {
  /** The smallest cap: the number of pods the run may have unavailable at once (others' unavailable pods deducted). */
  effective: number;
  binding: UnavailabilityLimit;
  /** One line: "1 at a time: PodDisruptionBudget web (maxUnavailable 1) binds; CloneSet maxUnavailable 3". */
  explanation: string;
}

/** Which limit binds: the smallest room any cap leaves for the run's pods. Ties go to the budget (the stricter voice). */
export function bindingLimit(limits: UnavailabilityLimit[]): BindingLimit {
  let best = limits[0];
  let bestValue = best.limit - best.othersUnavailable;
  for (const l of limits.slice(1)) {
    const value = l.limit - l.othersUnavailable;
    if (value <= bestValue) {
      best = l;
      bestValue = value;
    }
  }
  const others = limits.filter((l) => l !== best).map((l) => `${l.source} ${l.rule} allows ${Math.max(0, l.limit - l.othersUnavailable)}`);
  const used = best.othersUnavailable > 0 ? `, ${best.othersUnavailable} of its pods outside this CloneSet already unavailable` : '';
  const explanation = `${Math.max(0, bestValue)} at a time: ${best.source} ${best.rule}${used} binds${others.length ? ` (${others.join('; ')})` : ''}`;
  return { effective: Math.max(0, bestValue), binding: best, explanation };
}

/**
 * For `inplace`, where Kruise paces by maxUnavailable alone: the budgets that allow fewer unavailable pods than the
 * CloneSet's maxUnavailable, each said with its numbers.
 */
export function tighterBudgets(limits: UnavailabilityLimit[], maxUnavailable: number): UnavailabilityLimit[] {
  return limits.filter((l) => l.covers && l.limit - l.othersUnavailable < maxUnavailable);
}
