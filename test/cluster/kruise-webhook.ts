// Kruise's admission webhooks: CloneSet defaulting (mcloneset) and validation (vcloneset), the CRR handler
// (mcontainerrecreaterequest, which defaults and validates), and the pod webhook's KruisePodReady gate.

import { Errors } from './errors';
import { diff } from './patch';
import { KRUISE_GROUP, type ResourceDef } from './resources';
import type { Admission, AdmissionOp } from './server';
import { type JSONSchema, isObject, validate as schemaValidate } from './schema';
import { selectorMatcher } from './selectors';
import type { KObj } from './store';
import { deepEqual } from './patch';
import { isActive, scaledPercent, type Sim } from './sim';
import { defaultDaemonSet, defaultStatefulSet, validateDaemonSet, validateStatefulSet } from './workload-webhooks';
import type { AdvancedStatefulSet } from './statefulset-controller';
import type { AdvancedDaemonSet } from './daemonset-controller';
import { KRUISE, type CloneSet, type ContainerRecreateRequest, type Pod } from '../../src/kruise/types';

const MCLONESET = 'mcloneset.kb.io';
const VCLONESET = 'vcloneset.kb.io';
const MCRR = 'mcontainerrecreaterequest.kb.io';
const MSTATEFULSET = 'mstatefulset.kb.io';
const MDAEMONSET = 'mdaemonset.kb.io';

export class KruiseAdmission implements Admission {
  constructor(private readonly sim: Sim) {}

  mutate(op: AdmissionOp, def: ResourceDef, obj: KObj, old: KObj | undefined): KObj {
    if (def.group !== KRUISE_GROUP) return obj;
    if (def.plural === 'clonesets') {
      typedDecode(MCLONESET, def, obj);
      return defaultCloneSet(obj as unknown as CloneSet, old as unknown as CloneSet | undefined) as unknown as KObj;
    }
    if (def.plural === 'statefulsets') {
      typedDecode(MSTATEFULSET, def, obj);
      return defaultStatefulSet(obj as unknown as AdvancedStatefulSet, old as unknown as AdvancedStatefulSet | undefined) as unknown as KObj;
    }
    if (def.plural === 'daemonsets') {
      typedDecode(MDAEMONSET, def, obj);
      return defaultDaemonSet(obj as unknown as AdvancedDaemonSet) as unknown as KObj;
    }
    if (def.plural === 'containerrecreaterequests') {
      typedDecode(MCRR, def, obj);
      return op === 'CREATE' ? this.admitCrrCreate(obj as unknown as ContainerRecreateRequest) : this.admitCrrUpdate(obj as unknown as ContainerRecreateRequest, old as unknown as ContainerRecreateRequest);
    }
    return obj;
  }

  validate(op: AdmissionOp, def: ResourceDef, obj: KObj, old: KObj | undefined): void {
    if (def.group !== KRUISE_GROUP) return;
    if (def.plural === 'clonesets') validateCloneSet(obj as unknown as CloneSet, op === 'UPDATE' ? (old as unknown as CloneSet) : undefined);
    if (def.plural === 'statefulsets') validateStatefulSet(obj as unknown as AdvancedStatefulSet, op === 'UPDATE' ? (old as unknown as AdvancedStatefulSet) : undefined);
    if (def.plural === 'daemonsets') validateDaemonSet(obj as unknown as AdvancedDaemonSet, op);
  }

  private admitCrrCreate(crr: ContainerRecreateRequest): KObj {
    const deny = (msg: string, code = 400) => Errors.webhookDenied(MCRR, code, msg);
    const spec = crr.spec ?? ({} as ContainerRecreateRequest['spec']);
    if (!spec.podName) throw deny('podName can not be empty');
    if (!spec.containers?.length) throw deny('containers list can not be null');
    if (spec.activeDeadlineSeconds !== undefined && spec.activeDeadlineSeconds < 3) throw deny('activeDeadlineSeconds can not be less than 3s');
    const strategy = { ...(spec.strategy ?? {}) };
    if (strategy.terminationGracePeriodSeconds !== undefined && strategy.terminationGracePeriodSeconds < 0) throw deny('terminationGracePeriodSeconds must be non-negative integer');
    if (strategy.unreadyGracePeriodSeconds !== undefined && strategy.unreadyGracePeriodSeconds < 0) throw deny('unreadyGracePeriodSeconds must be non-negative integer');
    strategy.failurePolicy ??= 'Fail';
    if (strategy.failurePolicy !== 'Fail' && strategy.failurePolicy !== 'Ignore') throw deny(`unknown failurePolicy ${strategy.failurePolicy}`);
    const pod = this.sim.store.raw('pods', crr.metadata.namespace, spec.podName) as Pod | undefined;
    if (!pod) throw deny(`no found Pod named ${spec.podName}`);
    if (!isActive(pod)) throw deny('not allowed to recreate containers in an inactive Pod');
    // crr_mutating_handler.go: "pending" means unscheduled only; a scheduled pod in phase Pending is accepted.
    if (!pod.spec.nodeName) throw deny('not allowed to recreate containers in a pending Pod');
    if (!this.sim.nodes.has(pod.spec.nodeName)) throw deny(`failed to get Node ${pod.spec.nodeName}: nodes "${pod.spec.nodeName}" not found`);
    const seen = new Set<string>();
    const containers = spec.containers.map((c) => {
      if (seen.has(c.name)) throw deny(`can not recreate ${c.name} multi times`);
      seen.add(c.name);
      const raw = c as Record<string, unknown>;
      if (raw.preStop || raw.ports || raw.statusContext) throw deny('preStop, ports, statusContext in container are ready-only fields');
      const pc = pod.spec.containers.find((x) => x.name === c.name) ?? (pod.spec.initContainers as Pod['spec']['containers'] | undefined)?.find((x) => x.name === c.name);
      if (!pc) throw deny(`container ${c.name} not found in Pod`);
      const st = pod.status?.containerStatuses?.find((s) => s.name === c.name);
      if (!st) throw deny(`not found ${c.name} containerStatus in Pod Status`);
      if (!st.containerID) throw deny(`no containerID in ${c.name} containerStatus, maybe the container has not been initialized`);
      const out: Record<string, unknown> = { ...c, statusContext: { containerID: st.containerID, restartCount: st.restartCount } };
      const preStop = (pc.lifecycle as { preStop?: { httpGet?: unknown } } | undefined)?.preStop;
      if (preStop) {
        out.preStop = preStop;
        if (preStop.httpGet && pc.ports) out.ports = pc.ports;
      }
      return out;
    });
    strategy.terminationGracePeriodSeconds ??= (pod.spec.terminationGracePeriodSeconds as number | undefined) ?? 30;
    return {
      ...crr,
      metadata: {
        ...crr.metadata,
        labels: {
          ...crr.metadata.labels,
          [KRUISE.crrActiveLabel]: 'true',
          [KRUISE.crrNodeNameLabel]: pod.spec.nodeName,
          [KRUISE.crrPodUidLabel]: pod.metadata.uid ?? '',
        },
      },
      spec: { ...spec, containers: containers as ContainerRecreateRequest['spec']['containers'], strategy },
      // Served through Kruise's Go types (phase has no omitempty), a new request reads back with an empty phase.
      status: { phase: '' },
    } as unknown as KObj;
  }

  private admitCrrUpdate(crr: ContainerRecreateRequest, old: ContainerRecreateRequest): KObj {
    const deny = (msg: string) => Errors.webhookDenied(MCRR, 403, msg);
    if (!deepEqual(crr.spec, old.spec)) throw deny('spec of ContainerRecreateRequest is immutable');
    for (const l of [KRUISE.crrPodUidLabel, KRUISE.crrNodeNameLabel]) {
      if (old.metadata.labels?.[l] !== crr.metadata.labels?.[l]) throw deny(`not allowed to modify label ${l}`);
    }
    const ua = 'crr.apps.kruise.io/unready-acquired';
    if (old.metadata.annotations?.[ua] && old.metadata.annotations[ua] !== crr.metadata.annotations?.[ua]) throw deny(`not allowed to modify annotation ${ua}`);
    return crr as unknown as KObj;
  }
}

/**
 * Kruise's handlers decode the request into typed Go structs before anything else, so a wrongly typed field is a
 * 400 from the webhook (Go's json wording), not a 422 from the API server's schema check that runs later.
 */
function typedDecode(webhook: string, def: ResourceDef, obj: KObj): void {
  if (!def.schema) return;
  const typeErr = schemaValidate(obj, def.schema).find((e) => e.reason === 'FieldValueTypeInvalid');
  if (!typeErr) return;
  const path = typeErr.field;
  const sub = schemaAt(def.schema, path);
  const goType = sub?.['x-kubernetes-int-or-string'] ? 'intstr.IntOrString' : sub?.type === 'integer' ? (sub.format === 'int32' ? 'int32' : 'int64') : sub?.type === 'boolean' ? 'bool' : sub?.type === 'array' ? '[]' : sub?.type === 'object' ? 'struct' : sub?.type ?? 'string';
  const actual = typeErr.message.match(/: "(\w+)"$/)?.[1] ?? 'value';
  const value = actual === 'integer' ? 'number' : actual;
  throw Errors.webhookDenied(webhook, 400, `json: cannot unmarshal ${value} into Go struct field ${def.kind}.${path.replace(/\[\d+\]/g, '')} of type ${goType}`);
}

function schemaAt(s: JSONSchema, path: string): JSONSchema | undefined {
  let cur: JSONSchema | undefined = s;
  for (const seg of path.split('.')) {
    const m = seg.match(/^([^[]+)((\[\d+\])*)$/);
    if (!m || !cur) return undefined;
    cur = cur.properties?.[m[1]];
    for (let i = 0; i < (m[2].match(/\[/g)?.length ?? 0); i++) cur = cur?.items;
  }
  return cur;
}

// ---- CloneSet ----------------------------------------------------------------------------------------------------

function defaultCloneSet(cs: CloneSet, old: CloneSet | undefined): CloneSet {
  const spec = { ...cs.spec };
  spec.replicas ??= 1;
  spec.revisionHistoryLimit ??= 10;
  const us = { ...(spec.updateStrategy ?? {}) };
  us.type ??= 'ReCreate';
  us.partition ??= 0;
  us.maxUnavailable ??= '20%';
  us.maxSurge ??= 0;
  if (us.type === 'InPlaceIfPossible' || us.type === 'InPlaceOnly') us.inPlaceUpdateStrategy ??= {};
  spec.updateStrategy = us;
  spec.scaleStrategy ??= {};
  // SetDefaultPodSpec runs on create and on updates that change the template (TemplateNoDefaults off).
  if (spec.template && (!old || !deepEqual(old.spec.template, spec.template))) spec.template = defaultTemplate(spec.template);
  return { ...cs, spec };
}

export function defaultTemplate(t: CloneSet['spec']['template']): CloneSet['spec']['template'] {
  if (!isObject(t)) return t;
  const tpl = structuredClone(t);
  const spec = (tpl.spec ?? { containers: [] }) as Record<string, unknown> & { containers: Array<Record<string, unknown>> };
  tpl.spec = spec as CloneSet['spec']['template']['spec'];
  spec.restartPolicy ??= 'Always';
  spec.terminationGracePeriodSeconds ??= 30;
  spec.dnsPolicy ??= 'ClusterFirst';
  spec.securityContext ??= {};
  spec.schedulerName ??= 'default-scheduler';
  for (const c of [...(spec.containers ?? []), ...((spec.initContainers as Array<Record<string, unknown>>) ?? [])]) {
    c.imagePullPolicy ??= 'Always';
    c.terminationMessagePath ??= '/dev/termination-log';
    c.terminationMessagePolicy ??= 'File';
    c.resources ??= {};
    for (const p of (c.ports as Array<Record<string, unknown>> | undefined) ?? []) p.protocol ??= 'TCP';
    for (const e of (c.env as Array<{ valueFrom?: { fieldRef?: { apiVersion?: string } } }> | undefined) ?? []) {
      if (e.valueFrom?.fieldRef) e.valueFrom.fieldRef.apiVersion ??= 'v1';
    }
  }
  return tpl;
}

const UPDATABLE = new Set(['replicas', 'template', 'lifecycle', 'scaleStrategy', 'updateStrategy', 'minReadySeconds', 'progressDeadlineSeconds', 'volumeClaimTemplates', 'revisionHistoryLimit']);

function validateCloneSet(cs: CloneSet, old: CloneSet | undefined): void {
  const errs: string[] = [];
  const spec = cs.spec;
  const name = cs.metadata.name ?? '';
  const deny = () => Errors.webhookDenied(VCLONESET, 422, errs.join(', ').length && errs.length > 1 ? `[${errs.join(', ')}]` : errs[0]);
  const sel = spec.selector;
  if (!sel || (!Object.keys(sel.matchLabels ?? {}).length && !(sel.matchExpressions ?? []).length)) errs.push('spec.selector: Invalid value: "null": empty selector is invalid for cloneset');
  else if (!selectorMatcher(sel)(spec.template?.metadata?.labels)) errs.push(`spec.template.metadata.labels: Invalid value: ${JSON.stringify(spec.template?.metadata?.labels ?? {})}: \`selector\` does not match template \`labels\``);
  if ((spec.replicas ?? 0) < 0) errs.push(`spec.replicas: Invalid value: ${spec.replicas}: must be greater than or equal to 0`);
  const rp = (spec.template?.spec as { restartPolicy?: string } | undefined)?.restartPolicy;
  if (rp && rp !== 'Always') errs.push(`spec.template.spec.restartPolicy: Unsupported value: "${rp}": supported values: "Always"`);
  if ((spec.template?.spec as { activeDeadlineSeconds?: number } | undefined)?.activeDeadlineSeconds !== undefined) errs.push('spec.template.spec.activeDeadlineSeconds: Forbidden: activeDeadlineSeconds in cloneset is not Supported');
  const us = spec.updateStrategy ?? {};
  if (us.type && !['ReCreate', 'InPlaceIfPossible', 'InPlaceOnly'].includes(us.type)) errs.push(`spec.updateStrategy.type: Unsupported value: "${us.type}": supported values: "ReCreate", "InPlaceIfPossible", "InPlaceOnly"`);
  const replicas = spec.replicas ?? 1;
  // validation.go reads all three with Kruise's float parser, rounding up: it accepts a maxUnavailable of "12.5%" that
  // the controller's whole-number parser then resolves to 0.
  const scaled = (field: string, v: number | string | undefined, dflt: number | string): number => {
    const n = scaledPercent(v, replicas, true, dflt);
    if (n === undefined) errs.push(`spec.updateStrategy.${field}: Invalid value: ${JSON.stringify(v)}: failed GetScaledValueFromIntOrPercent for ${field}`);
    return n ?? 0;
  };
  const partition = scaled('partition', us.partition, 0);
  if (partition < 0) errs.push(`spec.updateStrategy.partition: Invalid value: ${JSON.stringify(us.partition)}: must be greater than or equal to 0`);
  const surge = scaled('maxSurge', us.maxSurge, 0);
  const unavail = scaled('maxUnavailable', us.maxUnavailable, '20%');
  if (replicas > 0 && unavail < 1 && surge < 1) errs.push(`spec.updateStrategy.maxUnavailable: Invalid value: ${JSON.stringify(us.maxUnavailable)}: maxUnavailable should not be less than 1 when maxSurge is 0`);
  if (us.type === 'InPlaceOnly' && surge > 0) errs.push(`spec.updateStrategy.maxSurge: Invalid value: ${JSON.stringify(us.maxSurge)}: can not use maxSurge with strategy type InPlaceOnly`);
  if (old) {
    for (const k of new Set([...Object.keys(old.spec), ...Object.keys(spec)])) {
      if (!UPDATABLE.has(k) && !deepEqual(old.spec[k], spec[k])) {
        errs.push(`spec: Forbidden: updates to cloneset spec for fields other than 'replicas', 'template', 'lifecycle', 'scaleStrategy', 'updateStrategy', 'minReadySeconds', 'progressDeadlineSeconds', 'volumeClaimTemplates' and 'revisionHistoryLimit' are forbidden`);
        break;
      }
    }
    if (us.type === 'InPlaceOnly') {
      for (const op of diff(old.spec.template?.spec, spec.template?.spec)) {
        if (!(op.op === 'replace' && /^\/containers\/\d+\/image$/.test(op.path))) {
          errs.push(`spec: Forbidden: only allowed to update images in spec for InPlaceOnly, but found ${op.op} ${op.path}`);
          break;
        }
      }
    }
  }
  void name;
  if (errs.length) throw deny();
}
