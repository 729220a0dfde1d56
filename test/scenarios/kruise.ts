// Kruise and kubelet habits the plugin reads or quotes, pinned on both backends so the emulator keeps matching the
// real manager and kubelet word for word: the webhook's refusal of a spec field it does not let change, and the Ready
// condition of a pod held by several readiness gates.
import assert from 'node:assert/strict';
import type { TestCluster } from '../backend/index';
import type { Pod } from '../../src/kruise/types';
import { cloneSetOf, podsOf, secs, type Scenario } from './util';

async function forbiddenSpecField(c: TestCluster): Promise<void> {
  await c.seedCloneSet({ name: 'web', replicas: 1, strategy: 'InPlaceIfPossible' });
  const cs = await cloneSetOf(c, 'web');
  // The selector is the one CloneSet spec field Kruise never lets change (pkg/webhook/cloneset/validating/validation.go).
  const patch = { spec: { selector: { matchLabels: { app: 'web', tier: 'front' } }, template: { metadata: { labels: { tier: 'front' } } } } };
  const r = await c.api<{ message: string }>('PATCH', `/apis/apps.kruise.io/v1alpha1/namespaces/${c.namespace}/clonesets/web?dryRun=All`, patch, { contentType: 'application/merge-patch+json' });
  assert.equal(r.status, 422, r.text);
  assert.equal(
    r.body.message,
    'admission webhook "vcloneset.kb.io" denied the request: spec: Forbidden: updates to cloneset spec for fields other than ' +
      "'replicas', 'template', 'lifecycle', 'scaleStrategy', 'updateStrategy', 'minReadySeconds', 'progressDeadlineSeconds', " +
      "'volumeClaimTemplates' and 'revisionHistoryLimit' are forbidden",
  );
  assert.equal((await cloneSetOf(c, 'web')).metadata.resourceVersion, cs.metadata.resourceVersion, 'nothing changed');
}

async function readyNamesEveryGate(c: TestCluster): Promise<void> {
  // Two gates of the team's own that nobody sets: the pod runs but never becomes Ready, and the kubelet says why.
  const body = {
    apiVersion: 'apps.kruise.io/v1alpha1',
    kind: 'CloneSet',
    metadata: { name: 'gated', namespace: c.namespace },
    spec: {
      replicas: 1,
      selector: { matchLabels: { app: 'gated' } },
      template: {
        metadata: { labels: { app: 'gated' } },
        spec: { readinessGates: [{ conditionType: 'example.com/warm' }, { conditionType: 'example.com/registered' }], containers: [{ name: 'app', image: 'nginx:1.27' }] },
      },
    },
  };
  const created = await c.api('POST', `/apis/apps.kruise.io/v1alpha1/namespaces/${c.namespace}/clonesets`, body);
  assert.equal(created.status, 201, created.text);
  const want =
    'corresponding condition of pod readiness gate "example.com/warm" does not exist., ' +
    'corresponding condition of pod readiness gate "example.com/registered" does not exist.';
  let last = '';
  await c.waitFor(
    async () => {
      const [pod] = await podsOf(c, 'gated');
      const ready = (pod as Pod | undefined)?.status?.conditions?.find((x) => x.type === 'Ready');
      last = JSON.stringify(pod?.status?.conditions ?? []);
      return pod?.status?.phase === 'Running' && ready?.status === 'False' && ready.reason === 'ReadinessGatesNotReady' && ready.message === want;
    },
    secs(c, 10, 60) * 1000,
    `Ready=False naming both gates (last conditions: ${last})`,
  ).catch((e: Error) => assert.fail(`${e.message}; last conditions: ${last}`));
  // Kruise's own gates (InPlaceUpdateReady, KruisePodReady) are True: they are not named.
  const [pod] = await podsOf(c, 'gated');
  const gates = (pod.spec as { readinessGates?: Array<{ conditionType: string }> }).readinessGates?.map((g) => g.conditionType) ?? [];
  assert.deepEqual(gates, ['example.com/warm', 'example.com/registered', 'InPlaceUpdateReady', 'KruisePodReady']);
  for (const g of ['InPlaceUpdateReady', 'KruisePodReady']) assert.equal(pod.status?.conditions?.find((x) => x.type === g)?.status, 'True', g);
}

export const kruiseScenarios: Scenario[] = [
  { title: "changing a CloneSet's selector is refused by Kruise's webhook with its exact message", run: forbiddenSpecField },
  { title: 'a pod held by two readiness gates: Ready=False names both, in spec order', run: readyNamesEveryGate },
];
