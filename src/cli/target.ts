// The <cloneset> argument, in kubectl's TYPE/NAME form too: `web`, `cloneset/web`, `clonesets.apps.kruise.io/web`.
// One row per kind a user may type; a kind this plugin learns to restart becomes `supported` in its row.
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
  /** Planned: said as "not supported yet". */
  later?: boolean;
  /** What to do instead, for a kind this plugin does not restart. */
  instead?: (name: string) => string;
}

const KRUISE = 'apps.kruise.io';

// Order matters for a bare resource name: statefulset/x and sts/x (a short name of both apps/v1 and Kruise) reach the
// apps/v1 row, whose advice covers both. `clone` is the CloneSet CRD's short name; `cs` is accepted as well although
// kubectl resolves it to componentstatuses: here it cannot mean anything else.
const KINDS: KindRow[] = [
  { kind: 'CloneSet', resources: ['cloneset', 'clonesets'], shortNames: ['clone', 'cs'], group: KRUISE, supported: true },
  { kind: 'Deployment', resources: ['deployment', 'deployments'], shortNames: ['deploy'], group: 'apps', supported: false, instead: (name) => `use kubectl rollout restart deployment/${name}` },
  {
    kind: 'StatefulSet',
    resources: ['statefulset', 'statefulsets'],
    shortNames: ['sts'],
    group: 'apps',
    supported: false,
    instead: (name) => `for an apps/v1 StatefulSet use kubectl rollout restart statefulset/${name} (Advanced StatefulSets are not supported yet)`,
  },
  {
    kind: 'DaemonSet',
    resources: ['daemonset', 'daemonsets'],
    shortNames: ['ds'],
    group: 'apps',
    supported: false,
    instead: (name) => `for an apps/v1 DaemonSet use kubectl rollout restart daemonset/${name} (Advanced DaemonSets are not supported yet)`,
  },
  { kind: 'Advanced StatefulSet', resources: ['statefulset', 'statefulsets'], shortNames: ['asts'], group: KRUISE, supported: false, later: true },
  { kind: 'Advanced DaemonSet', resources: ['daemonset', 'daemonsets'], shortNames: ['ads', 'daemon'], group: KRUISE, supported: false, later: true },
];

/** The kinds this plugin restarts, as a user types them. */
export const SUPPORTED_KINDS = KINDS.filter((k) => k.supported).map((k) => `${k.kind} (use ${k.kind === 'CloneSet' ? 'NAME or ' : ''}${k.resources[0]}/NAME)`);

/** The row a typed resource names: `cloneset`, `cs`, `clonesets.apps.kruise.io`, `cloneset.v1alpha1.apps.kruise.io`. */
export function kindOf(resource: string): KindRow | undefined {
  const [head, ...rest] = resource.toLowerCase().split('.');
  if (rest.length === 0) return KINDS.find((k) => k.resources.includes(head) || k.shortNames.includes(head));
  const qualifier = rest.join('.');
  return KINDS.find((k) => k.resources.includes(head) && (qualifier === k.group || qualifier.replace(/^v\d+(?:(?:alpha|beta)\d+)?\./, '') === k.group));
}

/**
 * The CloneSet name from the positional argument: NAME, or TYPE/NAME as kubectl writes it. Refuses, in one line,
 * any other kind, and names the supported ones. The name itself is validated later, with the other names.
 */
export function cloneSetTarget(word: string): string {
  const slash = word.indexOf('/');
  if (slash < 0) return word;
  const resource = word.slice(0, slash);
  const name = word.slice(slash + 1);
  const supported = `supported: ${SUPPORTED_KINDS.join(', ')}`;
  if (!resource || !name || name.includes('/')) {
    throw new UsageError(`"${word}" is neither NAME nor TYPE/NAME`, `give the CloneSet as web or cloneset/web`);
  }
  const row = kindOf(resource);
  if (!row) throw new UsageError(`unknown kind "${resource}" in "${word}"`, supported);
  if (!row.supported) {
    throw new UsageError(`${row.kind} "${name}": ${row.kind}s are not supported${row.later ? ' yet' : ''}`, `${row.instead ? `${row.instead(name)}; ` : ''}${supported}`);
  }
  return name;
}
