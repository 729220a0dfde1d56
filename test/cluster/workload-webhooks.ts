// Kruise's admission webhooks for Advanced StatefulSet (mstatefulset/vstatefulset) and Advanced DaemonSet
// (mdaemonset/vdaemonset): the v1beta1 defaults, and the validation rules with their real wording (field paths,
// Go's %#v of the bad value where apimachinery prints it so, the doubled `rollingUpdate.rollingUpdate` paths of the
// DaemonSet webhook).

import { Errors } from './errors';
import { deepEqual, diff } from './patch';
import { selectorMatcher } from './selectors';
import { defaultTemplate } from './kruise-webhook';
import type { AdvancedStatefulSet } from './statefulset-controller';
import type { AdvancedDaemonSet } from './daemonset-controller';
import { KRUISE, type CloneSet, type IntOrString } from '../../src/kruise/types';

const VSTATEFULSET = 'vstatefulset.kb.io';
const VDAEMONSET = 'vdaemonset.kb.io';

/** How apimachinery's field.Error prints an intstr.IntOrString value (no Stringer on the value type: %#v). */
export function goIntOrString(v: IntOrString): string {
  return typeof v === 'number' ? `intstr.IntOrString{Type:0, IntVal:${v}, StrVal:""}` : `intstr.IntOrString{Type:1, IntVal:0, StrVal:${JSON.stringify(v)}}`;
}

function goReadinessGates(gates: Array<{ conditionType: string }> | undefined): string {
  if (!gates) return '[]v1.PodReadinessGate(nil)';
  return `[]v1.PodReadinessGate{${gates.map((g) => `v1.PodReadinessGate{ConditionType:${JSON.stringify(g.conditionType)}}`).join(', ')}}`;
}

/** field.ErrorList.ToAggregate().Error(): one error as it is, several in brackets. */
function aggregate(errs: string[]): string {
  return errs.length === 1 ? errs[0] : `[${errs.join(', ')}]`;
}

function templateChanged(old: { spec: { template?: unknown } } | undefined, spec: { template?: unknown }): boolean {
  return !old || !deepEqual(old.spec.template, spec.template);
}

// ---- Advanced StatefulSet ---------------------------------------------------------------------------------------

/** SetDefaultsStatefulSet (apis/apps/defaults/v1beta1.go), template defaults on create and template changes. */
export function defaultStatefulSet(set: AdvancedStatefulSet, old: AdvancedStatefulSet | undefined): AdvancedStatefulSet {
  const spec = { ...set.spec };
  spec.podManagementPolicy ||= 'OrderedReady';
  const us = { ...(spec.updateStrategy ?? {}) };
  us.type ||= 'RollingUpdate';
  if (us.type === 'RollingUpdate') {
    const ru = { ...(us.rollingUpdate ?? {}) };
    ru.partition ??= 0;
    ru.maxUnavailable ??= 1;
    ru.podUpdatePolicy ||= 'ReCreate';
    ru.minReadySeconds ??= 0;
    us.rollingUpdate = ru;
  }
  spec.updateStrategy = us;
  spec.replicas ??= 1;
  spec.revisionHistoryLimit ??= 10;
  if (spec.template && templateChanged(old, spec)) spec.template = defaultTemplate(spec.template as CloneSet['spec']['template']);
  return { ...set, spec };
}

export function validateStatefulSet(set: AdvancedStatefulSet, old: AdvancedStatefulSet | undefined): void {
  const errs: string[] = [];
  const spec = set.spec;
  const policy = spec.podManagementPolicy;
  if (!policy) errs.push('spec.podManagementPolicy: Required value');
  else if (policy !== 'OrderedReady' && policy !== 'Parallel') errs.push(`spec.podManagementPolicy: Invalid value: ${JSON.stringify(policy)}: must be 'OrderedReady' or 'Parallel'`);
  const us = spec.updateStrategy ?? {};
  if (!us.type) errs.push('spec.updateStrategy: Required value');
  else if (us.type === 'OnDelete') {
    if (us.rollingUpdate) errs.push(`spec.updateStrategy.rollingUpdate: Invalid value: "object": only allowed for updateStrategy 'RollingUpdate'`);
  } else if (us.type === 'RollingUpdate') {
    const ru = us.rollingUpdate;
    if (ru) {
      if ((ru.partition ?? 0) < 0) errs.push(`spec.updateStrategy.rollingUpdate.partition: Invalid value: ${ru.partition}: must be greater than or equal to 0`);
      if ((ru.minReadySeconds ?? 0) < 0) errs.push(`spec.updateStrategy.rollingUpdate.minReadySeconds: Invalid value: ${ru.minReadySeconds}: must be greater than or equal to 0`);
      if ((ru.minReadySeconds ?? 0) > 300) errs.push(`spec.updateStrategy.rollingUpdate.minReadySeconds: Invalid value: ${ru.minReadySeconds}: must be no more than 300 seconds`);
      if (ru.maxUnavailable === undefined) errs.push('spec.updateStrategy.rollingUpdate.maxUnavailable: Required value');
      else errs.push(...maxUnavailableErrors(ru.maxUnavailable, policy, 'spec.updateStrategy.rollingUpdate.maxUnavailable'));
      const pup = ru.podUpdatePolicy;
      if (!pup) errs.push('spec.updateStrategy.rollingUpdate.podUpdatePolicy: Required value');
      else if (pup === 'InPlaceIfPossible' || pup === 'InPlaceOnly') {
        const gates = (spec.template?.spec as { readinessGates?: Array<{ conditionType: string }> } | undefined)?.readinessGates;
        if (!gates?.some((g) => g.conditionType === KRUISE.inPlaceUpdateReady)) {
          errs.push(`spec.template.spec.readinessGates: Invalid value: ${goReadinessGates(gates)}: must contains ${KRUISE.inPlaceUpdateReady} when podUpdatePolicy is ${pup}`);
        }
      } else if (pup !== 'ReCreate') {
        errs.push(`spec.updateStrategy.rollingUpdate.podUpdatePolicy: Invalid value: ${JSON.stringify(pup)}: must be 'ReCreate', InPlaceIfPossible or 'InPlaceOnly'`);
      }
      if (ru.unorderedUpdate && policy !== 'Parallel') errs.push('spec.updateStrategy.rollingUpdate.unorderedUpdate: Required value: unorderedUpdate can only work with Parallel PodManagementPolicyType');
    }
  } else errs.push(`spec.updateStrategy: Invalid value: "object": must be 'RollingUpdate' or 'OnDelete'`);
  if ((spec.replicas ?? 0) < 0) errs.push(`spec.replicas: Invalid value: ${spec.replicas}: must be greater than or equal to 0`);
  const sel = spec.selector;
  if (!sel) errs.push('spec.selector: Required value');
  else if (!Object.keys(sel.matchLabels ?? {}).length && !(sel.matchExpressions ?? []).length) errs.push('spec.selector: Invalid value: "object": empty selector is invalid for statefulset');
  else if (!selectorMatcher(sel)(spec.template?.metadata?.labels)) errs.push(`spec.template.metadata.labels: Invalid value: ${JSON.stringify(spec.template?.metadata?.labels ?? {})}: \`selector\` does not match template \`labels\``);
  const rp = (spec.template?.spec as { restartPolicy?: string } | undefined)?.restartPolicy;
  if (rp && rp !== 'Always') errs.push(`spec.template.spec.restartPolicy: Unsupported value: "${rp}": supported values: "Always"`);
  if (old) {
    const updatable = ['replicas', 'template', 'updateStrategy', 'persistentVolumeClaimRetentionPolicy', 'scaleStrategy', 'volumeClaimTemplates', 'volumeClaimUpdateStrategy', 'reserveOrdinals', 'lifecycle', 'revisionHistoryLimit', 'ordinals'];
    const frozen = (s: AdvancedStatefulSet['spec']) => Object.fromEntries(Object.entries(s).filter(([k]) => !updatable.includes(k)));
    if (!deepEqual(frozen(old.spec), frozen(spec))) {
      errs.push("spec: Forbidden: updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', 'reserveOrdinals', 'lifecycle', 'revisionHistoryLimit', 'persistentVolumeClaimRetentionPolicy', `volumeClaimTemplates`, `VolumeClaimUpdateStrategy` and 'updateStrategy' are forbidden");
    }
  }
  if (errs.length) throw Errors.webhookDenied(VSTATEFULSET, 422, aggregate(errs));
  if (old && us.rollingUpdate?.podUpdatePolicy === 'InPlaceOnly') {
    for (const op of diff(old.spec.template?.spec, spec.template?.spec)) {
      if (!(op.op === 'replace' && /\/containers\/([0-9]+)\/image/.test(op.path))) {
        throw Errors.webhookDenied(VSTATEFULSET, 422, `invalid template modified with InPlaceOnly strategy: ${op.op} ${op.path}, currently only image update is allowed for InPlaceOnly`);
      }
    }
  }
}

function maxUnavailableErrors(v: IntOrString, policy: string | undefined, path: string): string[] {
  const errs: string[] = [];
  if (typeof v === 'number') {
    if (v < 0) errs.push(`${path}: Invalid value: ${v}: must be greater than or equal to 0`);
  } else if (!/^[0-9]+%$/.test(v)) errs.push(`${path}: Invalid value: ${JSON.stringify(v)}: a valid percent string must be a numeric string followed by an ending '%' (e.g. '1%',  or '93%', regex used for validation is '[0-9]+%')`);
  // GetValueFromIntOrPercent(maxUnavailable, 1, true): a percent of one pod, rounded up.
  const one = typeof v === 'number' ? v : /^[0-9]+%$/.test(v) ? Math.ceil(Number(v.slice(0, -1)) / 100) : undefined;
  if (one !== undefined && one < 1) errs.push(`${path}: Invalid value: ${goIntOrString(v)}: should not be less than 1`);
  if (policy !== 'Parallel' && v !== 1) errs.push(`${path}: Invalid value: ${goIntOrString(v)}: can only work with Parallel PodManagementPolicyType`);
  return errs;
}

// ---- Advanced DaemonSet -----------------------------------------------------------------------------------------

/**
 * SetDefaultsDaemonSetV1beta1. Unlike the other workloads' webhooks, mdaemonset does not default the pod template, so
 * a template without `restartPolicy: Always` is refused by vdaemonset.
 */
export function defaultDaemonSet(ds: AdvancedDaemonSet): AdvancedDaemonSet {
  const spec = { ...ds.spec };
  spec.burstReplicas ??= 250;
  const us = { ...(spec.updateStrategy ?? {}) };
  us.type ||= 'RollingUpdate';
  if (us.type === 'RollingUpdate') {
    const ru = { ...(us.rollingUpdate ?? {}) };
    ru.rollingUpdateType ||= 'Standard';
    if (ru.maxUnavailable === undefined && ru.maxSurge === undefined) {
      ru.maxUnavailable = 1;
      ru.maxSurge = 0;
    }
    us.rollingUpdate = ru;
  }
  spec.updateStrategy = us;
  spec.revisionHistoryLimit ??= 10;
  return { ...ds, spec };
}

/** getIntOrPercentValue: the number, or a valid percent's number; anything else is 0. */
function intOrPercentValue(v: IntOrString): number {
  if (typeof v === 'number') return v;
  return /^[0-9]+%$/.test(v) ? Number(v.slice(0, -1)) : 0;
}

function positiveIntOrPercent(v: IntOrString, path: string): string[] {
  if (typeof v === 'number') return v < 0 ? [`${path}: Invalid value: ${v}: must be greater than or equal to 0`] : [];
  return /^[0-9]+%$/.test(v) ? [] : [`${path}: Invalid value: ${JSON.stringify(v)}: a valid percent string must be a numeric string followed by an ending '%' (e.g. '1%',  or '93%', regex used for validation is '[0-9]+%')`];
}

function notMoreThan100Percent(v: IntOrString, path: string): string[] {
  return typeof v === 'string' && /^[0-9]+%$/.test(v) && Number(v.slice(0, -1)) > 100 ? [`${path}: Invalid value: ${JSON.stringify(v)}: must not be greater than 100%`] : [];
}

/** vdaemonset: a refused create is answered 500 (the handler's error path), a refused update 422. */
export function validateDaemonSet(ds: AdvancedDaemonSet, op: 'CREATE' | 'UPDATE'): void {
  const errs: string[] = [];
  const spec = ds.spec;
  const sel = spec.selector;
  if (sel && !selectorMatcher(sel)(spec.template?.metadata?.labels)) errs.push(`spec.template.metadata.labels: Invalid value: ${JSON.stringify(spec.template?.metadata?.labels ?? {})}: \`selector\` does not match template \`labels\``);
  if (sel && !Object.keys(sel.matchLabels ?? {}).length && !(sel.matchExpressions ?? []).length) errs.push('spec.selector: Invalid value: "object": empty selector is invalid for daemonset');
  const rp = (spec.template?.spec as { restartPolicy?: string } | undefined)?.restartPolicy;
  if (rp !== 'Always') errs.push(`spec.template.spec.restartPolicy: Unsupported value: "${rp ?? ''}": supported values: "Always"`);
  if ((spec.minReadySeconds ?? 0) < 0) errs.push(`spec.minReadySeconds: Invalid value: ${spec.minReadySeconds}: must be greater than or equal to 0`);
  const us = spec.updateStrategy ?? {};
  if (us.type === 'RollingUpdate') {
    const ru = us.rollingUpdate;
    if (!ru) errs.push('spec.updateStrategy.rollingUpdate: Required value');
    else {
      const path = 'spec.updateStrategy.rollingUpdate';
      const hasUnavailable = ru.maxUnavailable !== undefined && intOrPercentValue(ru.maxUnavailable) !== 0;
      const hasSurge = ru.maxSurge !== undefined && intOrPercentValue(ru.maxSurge) !== 0;
      if (hasUnavailable) errs.push(...positiveIntOrPercent(ru.maxUnavailable!, `${path}.maxUnavailable`), ...notMoreThan100Percent(ru.maxUnavailable!, `${path}.maxUnavailable`));
      if (hasSurge) errs.push(...positiveIntOrPercent(ru.maxSurge!, `${path}.maxSurge`), ...notMoreThan100Percent(ru.maxSurge!, `${path}.maxSurge`));
      if (hasUnavailable && hasSurge) errs.push(`${path}.maxSurge: Invalid value: ${goIntOrString(ru.maxSurge!)}: may not be set when maxUnavailable is non-zero`);
      if (!hasUnavailable && !hasSurge) errs.push(`${path}.maxUnavailable: Required value: cannot be 0 when maxSurge is 0`);
      const type = ru.rollingUpdateType ?? '';
      if (type === 'InPlaceIfPossible') {
        if (hasSurge) errs.push(`${path}.maxSurge: Required value: must be 0 for InPlaceIfPossible type`);
      } else if (type === 'Surging') {
        if (hasUnavailable) errs.push(`${path}.maxUnavailable: Required value: must be 0 for Surging type`);
      } else if (type !== '' && type !== 'Standard') {
        errs.push(`${path}.rollingUpdate.type: Unsupported value: ${JSON.stringify(type)}: supported values: "Standard", "Surging", "InPlaceIfPossible"`);
      }
      if (ru.partition !== undefined) {
        const p = `${path}.rollingUpdate.partition`;
        if (typeof ru.partition === 'number') {
          if (ru.partition < 0) errs.push(`${p}: Invalid value: ${ru.partition}: must be greater than or equal to 0`);
        } else errs.push(...positiveIntOrPercent(ru.partition, p));
        errs.push(...notMoreThan100Percent(ru.partition, p));
      }
    }
  } else if (us.type !== 'OnDelete') errs.push(`spec.updateStrategy: Unsupported value: "object": supported values: "RollingUpdate", "OnDelete"`);
  if (errs.length) throw Errors.webhookDenied(VDAEMONSET, op === 'CREATE' ? 500 : 422, aggregate(errs));
}

