// The CloneSet's int-or-percent arithmetic, reproduced exactly as Kruise v1.9.0 computes it, so the budget and
// partition the plugin shows and paces with are the ones the controller enforces (kruise-semantics.md 1.1, 2.2, 2.3).

import type { CloneSet, IntOrString } from './types';

/** Kruise's default `spec.updateStrategy.maxUnavailable` (webhook and controller agree on it). */
export const DEFAULT_MAX_UNAVAILABLE = '20%';

// Go's strconv.Atoi: optional sign, decimal digits, nothing else (no spaces, no fraction).
const GO_INT = /^[+-]?\d+$/;
// The decimal forms of Go's strconv.ParseFloat (hex floats, "Inf" and "NaN" are left out: no one writes them here).
const GO_DECIMAL_FLOAT = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

interface ParsedIntOrPercent {
  value: number;
  isPercent: boolean;
}

/**
 * The CloneSet controller uses two parsers that differ: Kruise's own `util.GetScaledValueFromIntOrPercent`
 * (partition) insists on a `%` suffix and reads a float ("12.5%" works), apimachinery's deprecated
 * `GetValueFromIntOrPercent` (maxUnavailable, maxSurge) strips every `%` and reads a whole number with Atoi, so a
 * string "5" there means 5% and "12.5%" is an error the controller swallows as 0. The webhook validates all three with
 * the float parser, so it accepts a maxUnavailable of "12.5%" that the controller then treats as 0.
 */
function parseIntOrPercentValue(value: IntOrString, bareStringIsPercent: boolean): ParsedIntOrPercent | undefined {
  if (typeof value === 'number') {
    return Number.isFinite(value) ? { value: Math.trunc(value), isPercent: false } : undefined;
  }
  if (typeof value !== 'string') return undefined;
  if (bareStringIsPercent) {
    const digits = value.split('%').join('');
    if (!GO_INT.test(digits)) return undefined;
    const parsed = Number(digits);
    return Number.isSafeInteger(parsed) ? { value: parsed, isPercent: true } : undefined;
  }
  // Kruise's own GetScaledValueFromIntOrPercent (pkg/util/tools.go) reads the number with strconv.ParseFloat, so
  // "12.5%" is 12.5 percent there, not an error.
  if (!value.endsWith('%')) return undefined;
  const digits = value.slice(0, -1);
  if (!GO_DECIMAL_FLOAT.test(digits)) return undefined;
  const parsed = Number(digits.replace(/^\+/, ''));
  return Number.isFinite(parsed) ? { value: parsed, isPercent: true } : undefined;
}

function scale(parsed: ParsedIntOrPercent, total: number, roundUp: boolean): number {
  if (!parsed.isPercent) return parsed.value;
  // Same operation order as Go (value * total / 100 in float64) so rounding matches bit for bit; Go's int() of the
  // rounded float truncates toward zero.
  const exact = (parsed.value * total) / 100;
  return Math.trunc(roundUp ? Math.ceil(exact) : Math.floor(exact));
}

/**
 * An int-or-percent resolved against `total` the way Kruise's `util.GetScaledValueFromIntOrPercent` does: a number is taken
 * as is, `"N%"` (N may have a fraction) is scaled and rounded up or down. Anything else is an error in Kubernetes, which every Kruise caller
 * swallows and replaces by 0, so this returns 0 for it (and for a missing value).
 */
export function resolveIntOrPercent(value: IntOrString | undefined | null, total: number, roundUp: boolean): number {
  if (value === undefined || value === null) return 0;
  const parsed = parseIntOrPercentValue(value, false);
  return parsed ? scale(parsed, total, roundUp) : 0;
}

/** `spec.replicas`, with the webhook's default of 1 when absent. */
export function desiredReplicas(cloneSet: CloneSet): number {
  const replicas = cloneSet.spec?.replicas;
  return typeof replicas === 'number' && Number.isFinite(replicas) ? Math.max(0, Math.trunc(replicas)) : 1;
}

/** maxSurge as `calculateDiffsWithExpectation` uses it: percent rounds up, and it is forced to 0 while paused. */
export function resolveMaxSurge(cloneSet: CloneSet): number {
  const strategy = cloneSet.spec?.updateStrategy;
  const raw = strategy?.maxSurge;
  if (raw === undefined || raw === null) return 0;
  if (strategy?.paused === true) return 0;
  const parsed = parseIntOrPercentValue(raw, true);
  return parsed ? scale(parsed, desiredReplicas(cloneSet), true) : 0;
}

/**
 * The absolute number of pods the CloneSet controller lets be unavailable during an update: `maxUnavailable`
 * (default 20%) against `spec.replicas`, rounded up iff the effective maxSurge is 0 (so a paused CloneSet with surge
 * rounds up), down otherwise. No `max(1, …)`: Kruise has none on this path. A 0 here is legal only together with a
 * maxSurge ≥ 1 (the webhook forbids both < 1), and then surge pods carry the update.
 */
export function resolveMaxUnavailable(cloneSet: CloneSet): number {
  const raw = cloneSet.spec?.updateStrategy?.maxUnavailable ?? DEFAULT_MAX_UNAVAILABLE;
  const parsed = parseIntOrPercentValue(raw, true);
  return parsed ? scale(parsed, desiredReplicas(cloneSet), resolveMaxSurge(cloneSet) === 0) : 0;
}

/**
 * The number of pods kept at old revisions (`util.CalculatePartitionReplicas`): percent rounds up; a percent other
 * than exactly "100%" that would keep every pod of a CloneSet with more than one replica keeps one fewer, so at least
 * one pod updates; clamped to [0, replicas]. An unparsable partition is logged and ignored by the controller: 0.
 */
export function resolvePartition(cloneSet: CloneSet): number {
  const raw = cloneSet.spec?.updateStrategy?.partition;
  if (raw === undefined || raw === null) return 0;
  const parsed = parseIntOrPercentValue(raw, false);
  if (!parsed) return 0;
  const replicas = desiredReplicas(cloneSet);
  let partition = scale(parsed, replicas, true);
  if (replicas > 1 && partition === replicas && typeof raw === 'string' && raw !== '100%') partition = replicas - 1;
  return Math.max(0, Math.min(partition, replicas));
}

/** `status.expectedUpdatedReplicas` as the controller computes it, for when the status predates v1.2 or is absent. */
export function expectedUpdatedReplicas(cloneSet: CloneSet): number {
  return desiredReplicas(cloneSet) - resolvePartition(cloneSet);
}

export type ParseIntOrPercentResult = { ok: true; value: IntOrString } | { ok: false; error: string };

const INT32_MAX = 2147483647;

/**
 * Parses a user-typed int-or-percent (a CLI flag such as `--max-unavailable 25%`). Stricter than Kubernetes on
 * purpose: a typo should be an error before anything touches the cluster, not a silent 0.
 * Returns a number for `"3"` and the canonical string `"25%"` for a percent.
 */
export function parseIntOrPercent(text: string): ParseIntOrPercentResult {
  const input = typeof text === 'string' ? text.trim() : '';
  const shown = JSON.stringify(typeof text === 'string' ? text : String(text));
  const expected = 'expected a whole number of pods (e.g. 3) or a percentage from 0% to 100% (e.g. 25%)';
  if (input === '') return { ok: false, error: `empty value: ${expected}` };
  const isPercent = input.endsWith('%');
  const digits = isPercent ? input.slice(0, -1).trim() : input;
  if (/^-/.test(digits) && /^-\d+(\.\d+)?$/.test(digits)) {
    return { ok: false, error: `${shown} is negative: ${expected}` };
  }
  if (/^\+?\d*\.\d+$/.test(digits) || /^\+?\d+\.\d*$/.test(digits)) {
    return { ok: false, error: `${shown} is not a whole number: ${expected}` };
  }
  if (!/^\+?\d+$/.test(digits)) return { ok: false, error: `${shown} is not a number: ${expected}` };
  const value = Number(digits);
  if (isPercent) {
    if (value > 100) return { ok: false, error: `${shown} is more than 100%: ${expected}` };
    return { ok: true, value: `${value}%` };
  }
  if (!Number.isSafeInteger(value) || value > INT32_MAX) return { ok: false, error: `${shown} is too large: ${expected}` };
  return { ok: true, value };
}
