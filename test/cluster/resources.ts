// What the emulated API server serves: the built-in core/v1 resources the plugin touches, plus the Kruise CRDs read
// from the real manifests (with a built-in fallback for clonesets and CRRs when the manifests are absent).

import { type Crd, type JSONSchema, type PrinterColumn, loadCrds } from './schema';

export interface ResourceDef {
  group: string;
  version: string;
  plural: string;
  singular: string;
  kind: string;
  listKind: string;
  namespaced: boolean;
  shortNames: string[];
  categories: string[];
  /** Store key: shared by all versions of a resource. */
  storageKey: string;
  status: boolean;
  scale?: { specReplicasPath: string; statusReplicasPath: string; labelSelectorPath?: string };
  schema?: JSONSchema;
  printerColumns?: PrinterColumn[];
  verbs: string[];
  /** CustomResource semantics: no strategic merge patch, PUT needs resourceVersion, generation tracks spec. */
  custom: boolean;
  /**
   * A built-in whose registry strategy keeps metadata.generation as custom resources do: 1 at create, +1 on a spec
   * change (policy/v1 PodDisruptionBudget, whose controller reports it back in status.observedGeneration).
   */
  generation?: boolean;
}

export const KRUISE_GROUP = 'apps.kruise.io';
const ALL_VERBS = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];

function core(plural: string, singular: string, kind: string, namespaced: boolean, shortNames: string[], extra: Partial<ResourceDef> = {}): ResourceDef {
  return {
    group: '',
    version: 'v1',
    plural,
    singular,
    kind,
    listKind: `${kind}List`,
    namespaced,
    shortNames,
    categories: [],
    storageKey: plural,
    status: false,
    verbs: ALL_VERBS,
    custom: false,
    ...extra,
  };
}

export const SSAR: ResourceDef = {
  ...core('selfsubjectaccessreviews', '', 'SelfSubjectAccessReview', false, [], { verbs: ['create'] }),
  group: 'authorization.k8s.io',
  storageKey: 'selfsubjectaccessreviews.authorization.k8s.io',
};

/** Every rule of the caller in one answer: what careful clients (and `kubectl auth can-i --list`) ask first. */
export const SSRR: ResourceDef = {
  ...core('selfsubjectrulesreviews', '', 'SelfSubjectRulesReview', false, [], { verbs: ['create'] }),
  group: 'authorization.k8s.io',
  storageKey: 'selfsubjectrulesreviews.authorization.k8s.io',
};

const FALLBACK_CRDS: Crd[] = [
  {
    group: KRUISE_GROUP,
    plural: 'clonesets',
    singular: 'cloneset',
    kind: 'CloneSet',
    listKind: 'CloneSetList',
    shortNames: ['clone'],
    categories: [],
    namespaced: true,
    versions: [
      {
        name: 'v1alpha1',
        served: true,
        storage: true,
        printerColumns: [],
        subresources: { status: true, scale: { specReplicasPath: '.spec.replicas', statusReplicasPath: '.status.replicas', labelSelectorPath: '.status.labelSelector' } },
      },
    ],
  },
  {
    group: KRUISE_GROUP,
    plural: 'statefulsets',
    singular: 'statefulset',
    kind: 'StatefulSet',
    listKind: 'StatefulSetList',
    shortNames: ['sts', 'asts'],
    categories: [],
    namespaced: true,
    versions: ['v1alpha1', 'v1beta1'].map((name) => ({
      name,
      served: true,
      storage: name === 'v1beta1',
      printerColumns: [],
      subresources: { status: true, scale: { specReplicasPath: '.spec.replicas', statusReplicasPath: '.status.replicas', labelSelectorPath: '.status.labelSelector' } },
    })),
  },
  {
    group: KRUISE_GROUP,
    plural: 'daemonsets',
    singular: 'daemonset',
    kind: 'DaemonSet',
    listKind: 'DaemonSetList',
    shortNames: ['daemon', 'ads'],
    categories: [],
    namespaced: true,
    versions: ['v1alpha1', 'v1beta1'].map((name) => ({ name, served: true, storage: name === 'v1beta1', printerColumns: [], subresources: { status: true } })),
  },
  {
    group: KRUISE_GROUP,
    plural: 'containerrecreaterequests',
    singular: 'containerrecreaterequest',
    kind: 'ContainerRecreateRequest',
    listKind: 'ContainerRecreateRequestList',
    shortNames: ['crr'],
    categories: [],
    namespaced: true,
    versions: [{ name: 'v1alpha1', served: true, storage: true, printerColumns: [], subresources: { status: true } }],
  },
];

export interface Registry {
  defs: ResourceDef[];
  /** Versions per group, preferred first, as discovery lists them. */
  groups: Map<string, string[]>;
  find(group: string, version: string, plural: string): ResourceDef | undefined;
  byStorage(storageKey: string): ResourceDef | undefined;
  schemaValidated: boolean;
}

/** policy/v1 PodDisruptionBudget: built into every API server. */
export const PDB_DEF: ResourceDef = {
  ...core('poddisruptionbudgets', 'poddisruptionbudget', 'PodDisruptionBudget', true, ['pdb'], { status: true, generation: true }),
  group: 'policy',
  storageKey: 'poddisruptionbudgets.policy',
};

/**
 * Kruise Rollouts (a separate install, not part of OpenKruise, and its CRD is not among the manifests here): served
 * schemaless at v1beta1, its storage version since Rollouts v0.5 (spec.workloadRef names the workload).
 */
export const ROLLOUT_DEF: ResourceDef = {
  ...core('rollouts', 'rollout', 'Rollout', true, [], { status: true }),
  group: 'rollouts.kruise.io',
  version: 'v1beta1',
  storageKey: 'rollouts.rollouts.kruise.io',
  verbs: ALL_VERBS,
  custom: true,
};

export const PUB_GROUP = 'policy.kruise.io';

export function buildRegistry(opts: { kruise: boolean; crrCrd: boolean; crdDir?: string; pubCrd?: boolean; rollouts?: boolean }): Registry {
  const defs: ResourceDef[] = [
    core('namespaces', 'namespace', 'Namespace', false, ['ns'], { status: true }),
    core('pods', 'pod', 'Pod', true, ['po'], { status: true, categories: ['all'] }),
    core('events', 'event', 'Event', true, ['ev']),
    // Read by the plugin for an Advanced DaemonSet's rollingUpdate.selector; mirrored from the simulated nodes.
    core('nodes', 'node', 'Node', false, ['no'], { status: true }),
    PDB_DEF,
    SSAR,
    SSRR,
  ];
  const groups = new Map<string, string[]>([['authorization.k8s.io', ['v1']], ['policy', ['v1']]]);
  if (opts.rollouts) {
    defs.push(ROLLOUT_DEF);
    groups.set(ROLLOUT_DEF.group, [ROLLOUT_DEF.version]);
  }
  let schemaValidated = false;
  if (opts.kruise) {
    const loaded = loadCrds(opts.crdDir);
    schemaValidated = !!loaded;
    const crds = (loaded ?? FALLBACK_CRDS).filter(
      (c) => (c.group === KRUISE_GROUP && (opts.crrCrd || c.plural !== 'containerrecreaterequests')) || (c.group === PUB_GROUP && opts.pubCrd !== false),
    );
    const versions = new Set<string>();
    for (const crd of crds) {
      for (const v of crd.versions.filter((x) => x.served)) {
        if (crd.group === KRUISE_GROUP) versions.add(v.name);
        else groups.set(crd.group, [...new Set([...(groups.get(crd.group) ?? []), v.name])]);
        defs.push({
          group: crd.group,
          version: v.name,
          plural: crd.plural,
          singular: crd.singular,
          kind: crd.kind,
          listKind: crd.listKind,
          namespaced: crd.namespaced,
          shortNames: crd.shortNames,
          categories: crd.categories,
          storageKey: `${crd.plural}.${crd.group}`,
          status: !!v.subresources.status,
          scale: v.subresources.scale,
          schema: v.schema,
          printerColumns: v.printerColumns,
          verbs: ALL_VERBS,
          custom: true,
        });
      }
    }
    // Kubernetes prefers the highest stable-ish version: v1beta1 over v1alpha1 (semantics doc, section 6).
    const order = (v: string) => (v.includes('beta') ? 0 : v.includes('alpha') ? 1 : -1);
    groups.set(KRUISE_GROUP, [...versions].sort((a, b) => order(a) - order(b)));
  }
  return {
    defs,
    groups,
    schemaValidated,
    find: (group, version, plural) => defs.find((d) => d.group === group && d.version === version && d.plural === plural),
    byStorage: (k) => defs.find((d) => d.storageKey === k),
  };
}

/** Resource names the public helpers accept, mapped to store keys. */
export const STORAGE_KEYS: Record<string, string> = {
  pods: 'pods',
  events: 'events',
  namespaces: 'namespaces',
  nodes: 'nodes',
  clonesets: `clonesets.${KRUISE_GROUP}`,
  statefulsets: `statefulsets.${KRUISE_GROUP}`,
  daemonsets: `daemonsets.${KRUISE_GROUP}`,
  containerrecreaterequests: `containerrecreaterequests.${KRUISE_GROUP}`,
  uniteddeployments: `uniteddeployments.${KRUISE_GROUP}`,
  poddisruptionbudgets: PDB_DEF.storageKey,
  podunavailablebudgets: `podunavailablebudgets.${PUB_GROUP}`,
  rollouts: ROLLOUT_DEF.storageKey,
};

export const CLONESETS = STORAGE_KEYS.clonesets;
export const CRRS = STORAGE_KEYS.containerrecreaterequests;
