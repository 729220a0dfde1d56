// The target argument, in kubectl's TYPE/NAME form too: `web` (a CloneSet), `cloneset/web`, `asts/db`,
// `statefulset.apps.kruise.io/db`, `ads/agent`, `daemonsets.apps.kruise.io/agent`. One row per kind a user may type;
// the kinds this plugin restarts are `supported` and name the Kruise kind they are.
import { UsageError } from '../errors';

interface KindRow {
  /** As the user should read it in messages. */
  kind: string;
  /** Singular and plural: typed alone, or qualified by the group (`clonesets.apps.kruise.io`). */
  resources: string[];
  /** Typed alone only. */
  shortNames: string[];
  group: string;
  supported: boolean;
  /** The Kruise kind (`kind` of the API object) of a supported row. */
  apiKind?: WorkloadKind;
  /** Planned: said as "not supported yet". */
  later?: boolean;
  /** What to do instead, for a kind this plugin does not restart. */
  instead?: (name: string) => string;
}

const KRUISE = 'apps.kruise.io';

/** The kinds of workload the plugin restarts, by their API kind in apps.kruise.io. */
export type WorkloadKind = 'CloneSet' | 'StatefulSet' | 'DaemonSet';

/** A workload as typed on the command line. */
export interface Target {
  kind: WorkloadKind;
  name: string;
}

// Order matters for a bare resource name: statefulset/x and sts/x (a short name of both apps/v1 and Kruise) reach the
// apps/v1 row, whose advice covers both. `clone` is the CloneSet CRD's short name; `cs` is accepted as well although
// kubectl resolves it to componentstatuses: here it cannot mean anything else.
const KINDS: KindRow[] = [
  { kind: 'CloneSet', resources: ['cloneset', 'clonesets'], shortNames: ['clone', 'cs'], group: KRUISE, supported: true, apiKind: 'CloneSet' },
  { kind: 'Deployment', resources: ['deployment', 'deployments'], shortNames: ['deploy'], group: 'apps', supported: false, instead: (name) => `use kubectl rollout restart deployment/${name}` },
  {
    kind: 'StatefulSet',
    resources: ['statefulset', 'statefulsets'],
    shortNames: ['sts'],
    group: 'apps',
    supported: false,
    instead: (name) => `for an apps/v1 StatefulSet use kubectl rollout restart statefulset/${name}; for an Advanced StatefulSet type asts/${name}`,
  },
  {
    kind: 'DaemonSet',
    resources: ['daemonset', 'daemonsets'],
    shortNames: ['ds'],
    group: 'apps',
    supported: false,
    instead: (name) => `for an apps/v1 DaemonSet use kubectl rollout restart daemonset/${name}; for an Advanced DaemonSet type ads/${name}`,
  },
  { kind: 'Advanced StatefulSet', resources: ['statefulset', 'statefulsets'], shortNames: ['asts'], group: KRUISE, supported: true, apiKind: 'StatefulSet' },
  { kind: 'Advanced DaemonSet', resources: ['daemonset', 'daemonsets'], shortNames: ['ads', 'daemon'], group: KRUISE, supported: true, apiKind: 'DaemonSet' },
];

const TYPED: Record<WorkloadKind, string> = { CloneSet: 'cloneset', StatefulSet: 'asts', DaemonSet: 'ads' };

/** The kinds this plugin restarts, as a user types them. */
export const SUPPORTED_KINDS = KINDS.filter((k) => k.supported).map((k) => `${k.kind} (use ${k.apiKind === 'CloneSet' ? 'NAME or ' : ''}${TYPED[k.apiKind as WorkloadKind]}/NAME)`);

/** How kubectl names the resource of a kind: `statefulsets.apps.kruise.io`. */
export function qualifiedResource(kind: WorkloadKind): string {
  return `${kind.toLowerCase()}s.${KRUISE}`;
}

/** The kind a --kind value names (`asts`, `statefulset.apps.kruise.io`, `cloneset`), refused in one line otherwise. */
export function kindArgument(word: string): WorkloadKind {
  const row = kindOf(word);
  if (!row?.apiKind) {
    throw new UsageError(`--kind "${word}" is not a kind this plugin restarts`, `use cloneset, asts (Advanced StatefulSet) or ads (Advanced DaemonSet)`);
  }
  return row.apiKind;
}

/** TYPE/NAME or NAME (a CloneSet) as the workload it names; refuses any kind the plugin does not restart. */
export function parseTarget(word: string): Target {
  const slash = word.indexOf('/');
  if (slash < 0) return { kind: 'CloneSet', name: word };
  const resource = word.slice(0, slash);
  const name = word.slice(slash + 1);
  const supported = `supported: ${SUPPORTED_KINDS.join(', ')}`;
  if (!resource || !name || name.includes('/')) {
    throw new UsageError(`"${word}" is neither NAME nor TYPE/NAME`, `give the workload as web, cloneset/web, asts/db or ads/agent`);
  }
  const row = kindOf(resource);
  if (!row) throw new UsageError(`unknown kind "${resource}" in "${word}"`, supported);
  if (!row.supported || !row.apiKind) {
    throw new UsageError(`${row.kind} "${name}": ${row.kind}s are not supported${row.later ? ' yet' : ''}`, `${row.instead ? `${row.instead(name)}; ` : ''}${supported}`);
  }
  return { kind: row.apiKind, name };
}

/** The canonical spelling the parser hands on: NAME for a CloneSet, `statefulsets.apps.kruise.io/NAME` otherwise. */
export function canonicalTarget(target: Target): string {
  return target.kind === 'CloneSet' ? target.name : `${qualifiedResource(target.kind)}/${target.name}`;
}

/** The row a typed resource names: `cloneset`, `cs`, `clonesets.apps.kruise.io`, `cloneset.v1alpha1.apps.kruise.io`. */
export function kindOf(resource: string): KindRow | undefined {
  const [head, ...rest] = resource.toLowerCase().split('.');
  if (rest.length === 0) return KINDS.find((k) => k.resources.includes(head) || k.shortNames.includes(head));
  const qualifier = rest.join('.');
  return KINDS.find((k) => k.resources.includes(head) && (qualifier === k.group || qualifier.replace(/^v\d+(?:(?:alpha|beta)\d+)?\./, '') === k.group));
}

/**
 * The workload's name from the positional argument: NAME, or TYPE/NAME as kubectl writes it. Refuses, in one line,
 * any kind the plugin does not restart, and names the supported ones. The name itself is validated later.
 */
export function cloneSetTarget(word: string): string {
  return parseTarget(word).name;
}
