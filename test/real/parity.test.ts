// The emulator must not drift from real Kruise: the same in-place restart and the same ContainerRecreateRequest are
// replayed on the emulator (test/cluster) and on the real tier (kube-apiserver + Kruise v1.9.0's manager and webhooks +
// the node agent), every pod/CloneSet/CRR write is recorded from a watch, and the normalised recordings must be equal.
// A mismatch prints a line diff: `-` only real Kruise did it, `+` only the emulator did.
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startCluster, type Cluster, type SeedCloneSet } from '../cluster/index';
import { startRealCluster, type RealCluster } from '../realcluster/index';
import { PLUGIN, type CloneSet, type Pod } from '../../src/kruise/types';
import { canonicalPods, cloneSetTimeline, crrTimelines, lineDiff, podTimelines, Recorder, send, type Target } from './recorder';
import { realTierOrSkip } from './tier';

const NS = 'parity';
const NAME = 'web';
const REPLICAS = 3;

interface Backend {
  label: string;
  target: Target;
  seedCloneSet(s: SeedCloneSet): Promise<CloneSet>;
}

const SEED: SeedCloneSet = {
  namespace: NS,
  name: NAME,
  replicas: REPLICAS,
  containers: ['app', 'sidecar'],
  wiredContainers: ['app'],
  strategy: 'InPlaceIfPossible',
  maxUnavailable: 1,
  triggerAnnotation: PLUGIN.defaultTriggerAnnotation,
};

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function getJson<T>(t: Target, path: string): Promise<T> {
  const r = await send(t, 'GET', path, undefined);
  if (r.status !== 200) throw new Error(`GET ${path}: ${r.status}`);
  return r.body as T;
}

async function until(what: string, timeoutMs: number, check: () => Promise<boolean>): Promise<void> {
  const started = Date.now();
  while (!(await check())) {
    if (Date.now() - started > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(250);
  }
}

const podsPath = `/api/v1/namespaces/${NS}/pods`;
const csPath = `/apis/apps.kruise.io/v1alpha1/namespaces/${NS}/clonesets/${NAME}`;
const ownPod = (p: Pod) => !!p.metadata.ownerReferences?.some((o) => o.kind === 'CloneSet' && o.name === NAME);
const restarts = (p: Pod, c: string) => p.status?.containerStatuses?.find((s) => s.name === c)?.restartCount ?? -1;
const isReady = (p: Pod) => p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') === true;

/** Seeds the CloneSet, then records one in-place restart of it triggered by a template annotation patch. */
async function inPlaceRecording(b: Backend): Promise<{ pods: string; cloneSet: string; seconds: number }> {
  await b.seedCloneSet(SEED);
  const before = (await getJson<{ items: Pod[] }>(b.target, podsPath)).items.filter(ownPod);
  const rec = await Recorder.start(b.target, NS, ['pods', 'clonesets']);
  const started = Date.now();
  const patch = await send(b.target, 'PATCH', csPath, { spec: { template: { metadata: { annotations: { [PLUGIN.defaultTriggerAnnotation]: 'parity-1' } } } } }, 'application/merge-patch+json');
  assert.equal(patch.status, 200, JSON.stringify(patch.body));
  await until(`${b.label}: every pod restarted in place and the CloneSet settled`, 120_000, async () => {
    const cs = await getJson<CloneSet>(b.target, csPath);
    const pods = (await getJson<{ items: Pod[] }>(b.target, podsPath)).items.filter(ownPod);
    const st = cs.status;
    return (
      !!st &&
      st.observedGeneration === cs.metadata.generation &&
      st.updatedReadyReplicas === REPLICAS &&
      st.currentRevision === st.updateRevision &&
      pods.length === REPLICAS &&
      pods.every((p) => isReady(p) && restarts(p, 'app') === restarts(before.find((o) => o.metadata.uid === p.metadata.uid) ?? p, 'app') + 1)
    );
  });
  const seconds = (Date.now() - started) / 1000;
  // Late writes (the kubelet's last status, a trailing CloneSet status) belong to the recording too.
  await rec.settle(3_000);
  rec.stop();
  const dump = process.env.KRUISE_RESTART_PARITY_DUMP;
  if (dump) {
    mkdirSync(dump, { recursive: true });
    writeFileSync(join(dump, `inplace-raw.${b.label}.json`), JSON.stringify({ initial: Object.fromEntries(rec.initial), events: rec.events }, null, 1));
  }
  return { pods: canonicalPods(podTimelines(rec, ownPod)).join('\n'), cloneSet: cloneSetTimeline(rec, NAME).join('\n'), seconds };
}

/** Records one CRR for the `app` container of one pod, created to completed, and that pod's writes meanwhile. */
async function crrRecording(b: Backend): Promise<{ crr: string; pod: string }> {
  const pod = (await getJson<{ items: Pod[] }>(b.target, podsPath)).items.filter(ownPod).sort((x, y) => (x.metadata.name ?? '').localeCompare(y.metadata.name ?? ''))[0];
  const rec = await Recorder.start(b.target, NS, ['pods', 'containerrecreaterequests']);
  const crrPath = `/apis/apps.kruise.io/v1alpha1/namespaces/${NS}/containerrecreaterequests`;
  const created = await send(b.target, 'POST', crrPath, {
    apiVersion: 'apps.kruise.io/v1alpha1',
    kind: 'ContainerRecreateRequest',
    metadata: { name: 'parity-crr', namespace: NS },
    spec: { podName: pod.metadata.name, containers: [{ name: 'app' }], strategy: { failurePolicy: 'Fail', unreadyGracePeriodSeconds: 0 } },
  });
  assert.equal(created.status, 201, JSON.stringify(created.body));
  await until(`${b.label}: the CRR completed and the pod is Ready again`, 90_000, async () => {
    const crr = await getJson<{ status?: { phase?: string } }>(b.target, `${crrPath}/parity-crr`);
    const p = await getJson<Pod>(b.target, `${podsPath}/${pod.metadata.name}`);
    return crr.status?.phase === 'Completed' && isReady(p) && restarts(p, 'app') === restarts(pod, 'app') + 1;
  });
  await rec.settle(3_000);
  rec.stop();
  const dump = process.env.KRUISE_RESTART_PARITY_DUMP;
  if (dump) {
    mkdirSync(dump, { recursive: true });
    writeFileSync(join(dump, `CRR-raw.${b.label}.json`), JSON.stringify(rec.events, null, 1));
  }
  const samePod = (p: Pod) => p.metadata.uid === pod.metadata.uid;
  return { crr: canonicalPods(crrTimelines(rec)).join('\n').replaceAll('pod ', 'crr '), pod: canonicalPods(podTimelines(rec, samePod)).join('\n') };
}

/** Every comparison is reported, not only the first that differs. KRUISE_RESTART_PARITY_DUMP=<dir> keeps the texts. */
function assertAllSame(pairs: [what: string, real: string, emulated: string][]): void {
  const dir = process.env.KRUISE_RESTART_PARITY_DUMP;
  const failures: string[] = [];
  for (const [what, real, emulated] of pairs) {
    if (dir) {
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, `${what.replaceAll(' ', '-')}.real.txt`), real + '\n');
      writeFileSync(join(dir, `${what.replaceAll(' ', '-')}.emulated.txt`), emulated + '\n');
    }
    if (real !== emulated) failures.push(`${what} differ (- real Kruise only, + emulator only):\n${lineDiff(real, emulated)}`);
  }
  if (failures.length) assert.fail(failures.join('\n\n'));
}

describe('parity: one in-place restart and one CRR replayed on the emulator and on real Kruise v1.9.0', function () {
  this.timeout(300_000);
  let real: RealCluster | undefined;
  let emu: Cluster | undefined;
  const backends: { real?: Backend; emulated?: Backend } = {};

  before(async function () {
    this.timeout(90 * 60_000);
    realTierOrSkip(this);
    real = await startRealCluster({ namespace: NS, nodes: 3 });
    emu = await startCluster({ namespace: NS });
    backends.real = { label: 'real', target: real, seedCloneSet: (s) => real!.seedCloneSet(s) };
    backends.emulated = { label: 'emulator', target: emu, seedCloneSet: (s) => emu!.seedCloneSet(s) };
  });
  after(async () => {
    await emu?.stop();
    await real?.stop();
  });

  it('in place: the same pod writes in the same order and the same CloneSet statuses', async () => {
    // One backend at a time: the two sharing 2 cores would stretch each other's timings.
    const r = await inPlaceRecording(backends.real!);
    const e = await inPlaceRecording(backends.emulated!);
    process.stdout.write(`      in-place restart of ${REPLICAS} pods: real ${r.seconds.toFixed(1)} s, emulator ${e.seconds.toFixed(1)} s\n`);
    assertAllSame([
      ['in-place pod writes', r.pods, e.pods],
      ['in-place CloneSet statuses', r.cloneSet, e.cloneSet],
    ]);
  });

  it('CRR: the same phases, container states and pod writes', async () => {
    const r = await crrRecording(backends.real!);
    const e = await crrRecording(backends.emulated!);
    assertAllSame([
      ['CRR writes', r.crr, e.crr],
      ['CRR pod writes', r.pod, e.pod],
    ]);
  });
});
