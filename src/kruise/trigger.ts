// The Downward-API wiring that makes a template-annotation change restart containers in place (semantics 2.7, 2.8):
// an env var with valueFrom.fieldRef.fieldPath = metadata.annotations['<key>'] and no literal value.
import type { CloneSet, Container, EnvVar, Pod, PodTemplate } from './types';

export interface TriggerWire {
  container: string;
  env: string;
  annotation: string;
}

/** Env names Kruise itself reserves for SidecarSet: never treated as triggers by the controller. */
const RESERVED_ENV = new Set(['SIDECARSET_VERSION', 'SIDECARSET_VERSION_ALT']);

const ANNOTATION_FIELD = /^metadata\.annotations\[(['"])(.+)\1\]$/;

export function annotationOfFieldPath(fieldPath: string): string | undefined {
  return ANNOTATION_FIELD.exec(fieldPath.trim())?.[2];
}

export function fieldPathOfAnnotation(key: string): string {
  return `metadata.annotations['${key}']`;
}

function wiresOf(container: Container): TriggerWire[] {
  return (container.env ?? []).flatMap((env: EnvVar) => {
    const fieldPath = env.valueFrom?.fieldRef?.fieldPath;
    const annotation = fieldPath ? annotationOfFieldPath(fieldPath) : undefined;
    if (!annotation || env.value || RESERVED_ENV.has(env.name)) return [];
    return [{ container: container.name, env: env.name, annotation }];
  });
}

/** Every trigger wire in the template's containers (init containers are never restarted in place). */
export function findTriggerWires(template: PodTemplate): TriggerWire[] {
  return (template.spec?.containers ?? []).flatMap(wiresOf);
}

export interface TriggerSelection {
  /** Containers that will restart. */
  targets: string[];
  /** Annotation keys to bump. */
  annotations: string[];
  /** Containers that will not restart because nothing wires them. */
  unwired: string[];
}

export type Selection = { ok: true; value: TriggerSelection } | { ok: false; problem: 'unknown-container' | 'not-wired' | 'no-wiring' | 'shared-trigger'; message: string };

/**
 * Which containers restart and which annotations to bump. Bumping a key restarts every container that reads it, so
 * narrowing with -c is refused when another container shares the key (it would restart too).
 */
export function selectTrigger(template: PodTemplate, requested: string[] | undefined): Selection {
  const names = (template.spec?.containers ?? []).map((c) => c.name);
  const unknown = (requested ?? []).filter((n) => !names.includes(n));
  if (unknown.length > 0) {
    return { ok: false, problem: 'unknown-container', message: `unknown container ${unknown.map((n) => `"${n}"`).join(', ')}; the pods have: ${names.join(', ')}` };
  }
  const wires = findTriggerWires(template);
  const wired = [...new Set(wires.map((w) => w.container))];
  if (wires.length === 0) {
    return { ok: false, problem: 'no-wiring', message: 'no container reads a pod-template annotation through the Downward API, so an in-place restart would restart nothing' };
  }
  const targets = requested?.length ? [...new Set(requested)] : wired;
  const notWired = targets.filter((n) => !wired.includes(n));
  if (notWired.length > 0) {
    return { ok: false, problem: 'not-wired', message: `container ${notWired.map((n) => `"${n}"`).join(', ')} reads no trigger annotation (wired: ${wired.join(', ')})` };
  }
  const annotations = [...new Set(wires.filter((w) => targets.includes(w.container)).map((w) => w.annotation))];
  const collateral = [...new Set(wires.filter((w) => annotations.includes(w.annotation) && !targets.includes(w.container)).map((w) => w.container))];
  if (collateral.length > 0) {
    return {
      ok: false,
      problem: 'shared-trigger',
      message: `container ${collateral.map((n) => `"${n}"`).join(', ')} reads the same trigger annotation and would restart too`,
    };
  }
  return { ok: true, value: { targets, annotations, unwired: names.filter((n) => !targets.includes(n)) } };
}

/** A value never used before: reusing one would roll the CloneSet back to an old revision (semantics 2.0). */
export function newTriggerValue(now: number, random: () => number): string {
  const suffix = Array.from({ length: 6 }, () => 'bcdfghjklmnpqrstvwxz2456789'[Math.floor(random() * 27)]).join('');
  return `${new Date(now).toISOString().replace(/\.\d{3}Z$/, 'Z')}-${suffix}`;
}

export type JsonPatchOp = { op: 'add' | 'replace' | 'test' | 'remove'; path: string; value?: unknown };

/** A JSON Pointer segment (RFC 6901): annotation keys contain '/', which must not split the path. */
export function pointerEscape(segment: string): string {
  return segment.replace(/~/g, '~0').replace(/\//g, '~1');
}

/**
 * The one-time --setup change: an env var reading the trigger annotation in each target container, plus the
 * annotation itself. A JSON patch guarded by `test` on resourceVersion, so a concurrent edit is never overwritten.
 */
export function setupPatch(cloneSet: CloneSet, containers: string[], envName: string, annotation: string, value: string): JsonPatchOp[] {
  const ops: JsonPatchOp[] = [{ op: 'test', path: '/metadata/resourceVersion', value: cloneSet.metadata.resourceVersion }];
  if (!cloneSet.spec.template.metadata) ops.push({ op: 'add', path: '/spec/template/metadata', value: {} });
  if (!cloneSet.spec.template.metadata?.annotations) ops.push({ op: 'add', path: '/spec/template/metadata/annotations', value: {} });
  ops.push({ op: 'add', path: `/spec/template/metadata/annotations/${pointerEscape(annotation)}`, value });
  const env: EnvVar = { name: envName, valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath: fieldPathOfAnnotation(annotation) } } };
  cloneSet.spec.template.spec.containers.forEach((c, i) => {
    if (!containers.includes(c.name)) return;
    if (c.env) ops.push({ op: 'add', path: `/spec/template/spec/containers/${i}/env/-`, value: env });
    else ops.push({ op: 'add', path: `/spec/template/spec/containers/${i}/env`, value: [env] });
  });
  return ops;
}

/**
 * The restart itself: new trigger values in the template (a new revision Kruise rolls in place) and the restart
 * record on the CloneSet's own metadata (no new revision). resourceVersion makes it optimistic: 409 if anyone wrote
 * in between.
 */
export function triggerPatch(cloneSet: CloneSet, annotations: string[], value: string, recordAnnotation: string, record: string): object {
  return {
    metadata: { resourceVersion: cloneSet.metadata.resourceVersion, annotations: { [recordAnnotation]: record } },
    spec: { template: { metadata: { annotations: Object.fromEntries(annotations.map((k) => [k, value])) } } },
  };
}

/**
 * True when the template has no annotations (absent or `{}`, which Go marshals alike). Kruise diffs the two
 * revisions' templates as a JSON patch, so the first annotation ever added arrives as one `add /metadata/annotations`
 * op carrying the whole map, and only `/metadata/annotations/<key>` ops count as env-from-metadata changes
 * (pkg/util/inplaceupdate/inplace_update_defaults.go): the trigger would be copied to the pods as plain metadata and
 * no container would restart.
 */
export function annotationsWouldArriveWhole(template: PodTemplate): boolean {
  const annotations = template.metadata?.annotations;
  return !annotations || Object.keys(annotations).length === 0;
}

/**
 * Gives the template its first annotations before the first restart, so the restart's own change is a per-key one.
 * The keys get the empty string, which is what the wired containers already read (a missing annotation is an empty
 * env var): Kruise copies them to every pod in place (a metadata-only update: no container restarts, each pod is
 * briefly NotReady). Guarded by `test` on resourceVersion.
 */
export function primePatch(cloneSet: CloneSet, keys: string[]): JsonPatchOp[] {
  const ops: JsonPatchOp[] = [{ op: 'test', path: '/metadata/resourceVersion', value: cloneSet.metadata.resourceVersion }];
  if (!cloneSet.spec.template.metadata) ops.push({ op: 'add', path: '/spec/template/metadata', value: {} });
  ops.push({ op: 'add', path: '/spec/template/metadata/annotations', value: Object.fromEntries(keys.map((k) => [k, ''])) });
  return ops;
}

const RUNTIME_META_ANNOTATION = 'apps.kruise.io/runtime-containers-meta';

/** Each container's reported env hash (0 when left out), or undefined when kruise-daemon reported nothing usable. */
function reportedEnvHashes(pod: Pod): Map<string, number> | undefined {
  const raw = pod.metadata?.annotations?.[RUNTIME_META_ANNOTATION];
  if (!raw) return undefined;
  let meta: unknown;
  try {
    meta = JSON.parse(raw);
  } catch {
    return undefined;
  }
  const entries = (meta as { containers?: unknown } | null)?.containers;
  if (!Array.isArray(entries)) return undefined;
  const hashes = new Map<string, number>();
  for (const e of entries as Array<{ name?: unknown; hashes?: { extractedEnvFromMetadataHash?: unknown } } | null>) {
    if (!e || typeof e.name !== 'string') continue;
    const hash = e.hashes?.extractedEnvFromMetadataHash;
    hashes.set(e.name, typeof hash === 'number' ? hash : 0);
  }
  return hashes;
}

/**
 * Containers whose environment kruise-daemon could not read. It hashes a wired container's env by running `env` in it
 * (pkg/daemon/containermeta/container_meta_controller.go) and reports the hash in the pod's runtime-containers-meta
 * annotation, where a zero hash is left out (omitempty). Without a hash it never kills the container, so an in-place
 * restart of it stalls with the pod NotReady. An image without an `env` binary (distroless, scratch) is the usual cause.
 */
export function unreadableEnv(pod: Pod, containers: string[]): string[] {
  const hashes = reportedEnvHashes(pod);
  return hashes ? containers.filter((c) => hashes.get(c) === 0) : [];
}

/** Whether kruise-daemon has shown it can read each container's environment on every pod (a non-zero hash). */
export function envReadability(pods: Pod[], containers: string[]): { unreadable: Map<string, string[]>; unproven: string[] } {
  const unreadable = new Map<string, string[]>();
  const unproven = new Set<string>();
  for (const pod of pods) {
    const hashes = reportedEnvHashes(pod);
    for (const c of containers) {
      const hash = hashes?.get(c);
      if (hash === 0) unreadable.set(c, [...(unreadable.get(c) ?? []), pod.metadata?.name ?? '?']);
      else if (hash === undefined) unproven.add(c);
    }
  }
  return { unreadable, unproven: containers.filter((c) => unproven.has(c) && !unreadable.has(c)) };
}

/** The plain warning for containers whose image the API cannot show us. */
export function envBinaryWarning(containers: string[]): string {
  const list = containers.join(', ');
  return `kruise-daemon restarts ${list} only after reading ${containers.length === 1 ? 'its' : 'their'} environment by running \`env\` inside; the API cannot show what an image contains, so make sure ${containers.length === 1 ? 'that image has' : 'those images have'} an env binary (distroless and scratch images do not: such a container never restarts and its pod stays NotReady)`;
}

/** Kubernetes qualified-name rules for annotation keys: optional DNS-subdomain prefix, then a 1-63 char name. */
export function validateAnnotationKey(key: string): string | undefined {
  const parts = key.split('/');
  if (parts.length > 2) return `annotation key "${key}" has more than one "/"`;
  const [prefix, name] = parts.length === 2 ? parts : [undefined, parts[0]];
  if (prefix !== undefined) {
    if (prefix.length === 0 || prefix.length > 253 || !/^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/.test(prefix)) {
      return `annotation key prefix "${prefix}" must be a DNS subdomain (lower-case letters, digits, "-" and ".")`;
    }
  }
  if (!name || name.length > 63 || !/^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/.test(name)) {
    return `annotation key name "${name ?? ''}" must be 1-63 characters: letters, digits, "-", "_" or ".", starting and ending alphanumeric`;
  }
  return undefined;
}

/** C-identifier env var names are what every shell and runtime reads reliably. */
export function validateEnvName(name: string): string | undefined {
  return /^[A-Za-z_][A-Za-z0-9_]*$/.test(name) ? undefined : `env var name "${name}" must be letters, digits and "_", not starting with a digit`;
}
