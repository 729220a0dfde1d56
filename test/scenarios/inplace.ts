// inplace on either backend: the restart itself, the early-done trap, the gate off, what --setup costs, and server
// dry runs through Kruise's webhooks.
import assert from 'node:assert/strict';
import type { TestCluster } from '../backend/index';
import { assertOneLineError } from '../e2e/harness';
import { KRUISE, PLUGIN, type CloneSet } from '../../src/kruise/types';
import { cloneSetOf, identity, KEY, killsBy, plugin, podsOf, restartCounts, secs, type Scenario } from './util';

const CS_PATH = (c: TestCluster) => `/apis/apps.kruise.io/v1alpha1/namespaces/${c.namespace}/clonesets`;

async function tenPodsInPlace(c: TestCluster): Promise<void> {
  await c.seedCloneSet({ name: 'web', replicas: 10, containers: ['app', 'sidecar'], strategy: 'InPlaceIfPossible', maxUnavailable: '20%', triggerAnnotation: KEY, wiredContainers: ['app'] });
  const before = await podsOf(c, 'web');
  const run = await plugin(c, ['inplace', 'web', '--reason', 'rotate secret']);
  assert.equal(run.code, 0, run.stderr + run.stdout);
  // Read the instant the plugin exits: "done" must already be true, not become true a moment later.
  const after = await podsOf(c, 'web');
  const cs = await cloneSetOf(c, 'web');
  assert.deepEqual(identity(after), identity(before), 'names and UIDs unchanged');
  const app0 = restartCounts(before, 'app');
  const app1 = restartCounts(after, 'app');
  const side0 = restartCounts(before, 'sidecar');
  const side1 = restartCounts(after, 'sidecar');
  for (const p of after) {
    const uid = p.metadata.uid ?? '';
    assert.equal(app1.get(uid), (app0.get(uid) ?? 0) + 1, `${p.metadata.name}: app restartCount +1`);
    assert.equal(side1.get(uid), side0.get(uid), `${p.metadata.name}: the unwired sidecar did not restart`);
    assert.equal(p.metadata.labels?.[KRUISE.revisionLabel], cs.status?.updateRevision, `${p.metadata.name} on the update revision`);
    assert.equal(p.status?.conditions?.find((x) => x.type === KRUISE.inPlaceUpdateReady)?.status, 'True', `${p.metadata.name} InPlaceUpdateReady`);
    assert.equal(p.status?.conditions?.find((x) => x.type === 'Ready')?.status, 'True', `${p.metadata.name} Ready`);
  }
  const kills = killsBy(c, 'app', 'inplace');
  assert.equal(kills.size, 10, JSON.stringify([...kills]));
  assert.ok([...kills.values()].every((n) => n === 1), 'each app container killed exactly once');
  assert.equal(killsBy(c, 'sidecar', 'inplace').size, 0);
  // 20% of 10: Kruise lets 2 pods down at once.
  const seen = c.maxUnavailableSeen(c.namespace, 'web');
  assert.ok(seen <= 2, `max unavailable ${seen}`);
  assert.ok(seen >= 1, 'some pod was seen down (the tracker works)');
  assert.match(run.stdout, /restart complete/);
  assert.match(run.stderr, /not restarted \(no trigger wiring\): sidecar/);
  // The plugin wrote the CloneSet and its Events, never a pod.
  const writes = await c.pluginWrites();
  assert.deepEqual([...new Set(writes.map((w) => `${w.verb} ${w.resource}`))].sort(), ['create events', 'patch clonesets']);
}

async function earlyDoneTrap(c: TestCluster): Promise<void> {
  // maxUnavailable 100%: Kruise moves both pods to the new revision at once, so updatedReplicas reaches 2 while the
  // frozen pod's container never restarts. That count is the trap; the plugin must not call it done.
  await c.seedCloneSet({ name: 'web', replicas: 2, strategy: 'InPlaceIfPossible', maxUnavailable: '100%', triggerAnnotation: KEY });
  const [frozen] = await podsOf(c, 'web');
  await c.knobs.frozenDaemon(c.namespace, frozen.metadata.name!);
  const run = await plugin(c, ['inplace', 'web', '--timeout', `${secs(c, 8, 30)}s`, '-o', 'json']);
  assert.equal(run.code, 3, run.stderr + run.stdout);
  const doc = JSON.parse(run.stdout) as { complete: boolean };
  assert.equal(doc.complete, false);
  assert.doesNotMatch(run.stdout + run.stderr, /restart complete/);
  const cs = await cloneSetOf(c, 'web');
  assert.equal(cs.status?.updatedReplicas, 2, `the early-done trap is set: ${JSON.stringify(cs.status)}`);
  const pod = (await podsOf(c, 'web')).find((p) => p.metadata.uid === frozen.metadata.uid)!;
  assert.equal(pod.metadata.labels?.[KRUISE.revisionLabel], cs.status?.updateRevision, 'the frozen pod carries the new revision label');
  assert.equal(pod.status?.conditions?.find((x) => x.type === KRUISE.inPlaceUpdateReady)?.status, 'False', 'and is not updated');
  assert.equal(killsBy(c, 'app', 'inplace').get(frozen.metadata.name!) ?? 0, 0, 'its container never restarted');
}

async function gateOff(c: TestCluster): Promise<void> {
  const off = await c.startAnother({ envFromMetadataGate: false, namespace: c.namespace });
  try {
    await off.seedCloneSet({ name: 'web', replicas: 2, strategy: 'InPlaceIfPossible', triggerAnnotation: KEY });
    const before = await podsOf(off, 'web');
    const run = await plugin(off, ['inplace', 'web', '--timeout', `${secs(off, 20, 60)}s`]);
    assert.equal(run.code, 1, run.stderr + run.stdout);
    assert.match(assertOneLineError(run), /InPlaceUpdateEnvFromMetadata/);
    assert.equal(killsBy(off, 'app', 'inplace').size, 0, 'nothing restarted');
    assert.deepEqual(identity(await podsOf(off, 'web')), identity(before), 'nor recreated');
    // status reads the same failure off the cluster: exit 1 with the diagnosis.
    const status = await plugin(off, ['status', 'web']);
    assert.equal(status.code, 1, status.stderr + status.stdout);
    assert.match(status.stdout, /InPlaceUpdateEnvFromMetadata/);
  } finally {
    await off.stop();
  }
}

async function setupRecreatesOnce(c: TestCluster): Promise<void> {
  await c.seedCloneSet({ name: 'web', replicas: 2, containers: ['app'], strategy: 'InPlaceIfPossible' });
  const original = identity(await podsOf(c, 'web'));
  const setup = await plugin(c, ['inplace', 'web', '--setup', '--yes']);
  assert.equal(setup.code, 0, setup.stderr + setup.stdout);
  assert.match(setup.stderr, /recreates all 2 pods once/);
  const wired = identity(await podsOf(c, 'web'));
  assert.equal(wired.length, 2);
  assert.equal(wired.filter((p) => original.includes(p)).length, 0, 'every pod was recreated once');
  const env = (await cloneSetOf(c, 'web')).spec.template.spec.containers[0].env ?? [];
  assert.ok(env.some((e) => e.name === PLUGIN.defaultTriggerEnv && e.valueFrom?.fieldRef?.fieldPath === `metadata.annotations['${PLUGIN.defaultTriggerAnnotation}']`), JSON.stringify(env));

  const next = await plugin(c, ['inplace', 'web']);
  assert.equal(next.code, 0, next.stderr + next.stdout);
  assert.deepEqual(identity(await podsOf(c, 'web')), wired, 'in place this time');
  assert.equal(killsBy(c, 'app', 'inplace').size, 2);
}

/** The patch --setup would send for a one-container CloneSet: the env var reading the trigger annotation. */
const wiringPatch = (cs: CloneSet) => ({
  spec: {
    template: {
      spec: {
        containers: cs.spec.template.spec.containers.map((ct) => ({
          ...ct,
          env: [{ name: PLUGIN.defaultTriggerEnv, valueFrom: { fieldRef: { fieldPath: `metadata.annotations['${PLUGIN.defaultTriggerAnnotation}']` } } }],
        })),
      },
    },
  },
});

async function setupInPlaceOnlyRefused(c: TestCluster): Promise<void> {
  await c.seedCloneSet({ name: 'strict', replicas: 1, strategy: 'InPlaceOnly' });
  const cs = await cloneSetOf(c, 'strict');
  for (const extra of [[], ['--dry-run=server']]) {
    const setup = await plugin(c, ['inplace', 'strict', '--setup', '--yes', ...extra]);
    assert.equal(setup.code, 2, setup.stderr);
    assert.match(assertOneLineError(setup), /InPlaceOnly.*InPlaceIfPossible/);
  }
  // Nothing was written, not even as a dry run the webhook would have refused.
  assert.deepEqual(await c.pluginWrites(), []);
  // What the plugin foresees is what Kruise's validating webhook says, word for word, to a server dry run of the
  // wiring: a dry run the webhook rejects is rejected, and nothing changes.
  const r = await c.api<{ message: string; code: number }>('PATCH', `${CS_PATH(c)}/strict?dryRun=All`, wiringPatch(cs), { contentType: 'application/merge-patch+json' });
  assert.equal(r.status, 422, r.text);
  assert.equal(
    r.body.message,
    'admission webhook "vcloneset.kb.io" denied the request: spec: Forbidden: only allowed to update images in spec for InPlaceOnly, but found add /containers/0/env',
  );
  assert.equal((await cloneSetOf(c, 'strict')).metadata.resourceVersion, cs.metadata.resourceVersion, 'nothing changed');
}

async function dryRunServer(c: TestCluster): Promise<void> {
  await c.seedCloneSet({ name: 'web', replicas: 3, strategy: 'InPlaceIfPossible', maxUnavailable: 1, triggerAnnotation: KEY });
  await c.seedCloneSet({ name: 'bare', replicas: 1, containers: ['app'], strategy: 'InPlaceIfPossible' });
  const web = await cloneSetOf(c, 'web');
  const bare = await cloneSetOf(c, 'bare');
  const inplace = await plugin(c, ['inplace', 'web', '--dry-run=server', '-o', 'json']);
  assert.equal(inplace.code, 0, inplace.stderr);
  assert.equal((JSON.parse(inplace.stdout) as { podsToRestart: number }).podsToRestart, 3);
  const setup = await plugin(c, ['inplace', 'bare', '--setup', '--yes', '--dry-run=server']);
  assert.equal(setup.code, 0, setup.stderr);
  const crr = await plugin(c, ['crr', 'web', '-c', 'app', '--dry-run=server']);
  assert.equal(crr.code, 0, crr.stderr);
  // The dry runs reached the server (and so its admission webhooks) and changed nothing.
  const sent = (await c.pluginWrites({ dryRun: true })).map((w) => `${w.verb} ${w.resource}`);
  assert.ok(sent.filter((w) => w === 'patch clonesets').length >= 2, sent.join(', '));
  assert.ok(sent.includes('create containerrecreaterequests'), sent.join(', '));
  assert.deepEqual(await c.pluginWrites(), []);
  assert.equal((await cloneSetOf(c, 'web')).metadata.resourceVersion, web.metadata.resourceVersion);
  assert.equal((await cloneSetOf(c, 'bare')).metadata.resourceVersion, bare.metadata.resourceVersion);
  assert.deepEqual(await c.list('containerrecreaterequests', c.namespace), []);
}

async function wholeMapAnnotationDiff(c: TestCluster): Promise<void> {
  // The template has no annotations: Kruise sees the first one as one whole-map "add /metadata/annotations" and
  // copies it to the pods without restarting anything (issue 18, point 1).
  await c.seedCloneSet({ name: 'web', replicas: 2, strategy: 'InPlaceIfPossible', maxUnavailable: 1, triggerAnnotation: KEY, triggerAnnotationInTemplate: false });
  const before = identity(await podsOf(c, 'web'));
  const refused = await plugin(c, ['inplace', 'web']);
  assert.equal(refused.code, 2, refused.stderr);
  assert.match(assertOneLineError(refused), /no annotations yet.*--setup/);
  assert.deepEqual(await c.pluginWrites(), []);
  const run = await plugin(c, ['inplace', 'web', '--setup', '--yes']);
  assert.equal(run.code, 0, run.stderr + run.stdout);
  assert.match(run.stderr, /Kruise rolled the annotation out to every pod; restarting/);
  const kills = killsBy(c, 'app', 'inplace');
  assert.equal(kills.size, 2, JSON.stringify([...kills]));
  assert.ok([...kills.values()].every((n) => n === 1), 'each container restarted exactly once: the annotation alone restarted none');
  assert.deepEqual(identity(await podsOf(c, 'web')), before, 'no pod recreated');
}

async function fractionalPartition(c: TestCluster): Promise<void> {
  // Kruise reads a partition percent as a float and rounds up: "12.5%" of 10 keeps 2 pods old (issue 18, point 3).
  await c.seedCloneSet({ name: 'web', replicas: 10, strategy: 'InPlaceIfPossible', partition: '12.5%', maxUnavailable: 3, triggerAnnotation: KEY });
  const run = await plugin(c, ['inplace', 'web']);
  assert.equal(run.code, 0, run.stderr + run.stdout);
  assert.match(run.stderr, /partition is 2: only 8 of 10 pods will restart/);
  assert.equal(killsBy(c, 'app', 'inplace').size, 8);
  assert.equal((await cloneSetOf(c, 'web')).status?.expectedUpdatedReplicas, 8);
  assert.ok(c.maxUnavailableSeen(c.namespace, 'web') <= 3, `max unavailable ${c.maxUnavailableSeen(c.namespace, 'web')}`);
}

async function failedPatchTestIs422(c: TestCluster): Promise<void> {
  // The plugin claims a CloneSet with a JSON patch whose "test" op guards the resourceVersion; when someone wrote in
  // between, the server answers a bare 422 with no causes, which the plugin must take for a conflict (issue 18, 6).
  await c.seedCloneSet({ name: 'web', replicas: 1, strategy: 'InPlaceIfPossible', triggerAnnotation: KEY });
  const cs = await cloneSetOf(c, 'web');
  const r = await c.api<{ reason?: string; message: string; details?: unknown }>(
    'PATCH',
    `${CS_PATH(c)}/web`,
    [{ op: 'test', path: '/metadata/resourceVersion', value: `${cs.metadata.resourceVersion}0` }, { op: 'add', path: '/metadata/annotations/x', value: 'y' }],
    { contentType: 'application/json-patch+json' },
  );
  assert.equal(r.status, 422, r.text);
  assert.equal(r.body.reason, 'Invalid');
  assert.equal(r.body.message, 'the server rejected our request due to an error in our request');
  assert.deepEqual(r.body.details, {});
  assert.equal((await cloneSetOf(c, 'web')).metadata.resourceVersion, cs.metadata.resourceVersion);
}

async function unsafeStartsRefused(c: TestCluster): Promise<void> {
  await c.seedCloneSet({ name: 'web', replicas: 1, containers: ['app', 'sidecar'], strategy: 'InPlaceIfPossible', triggerAnnotation: KEY, wiredContainers: ['app'] });
  await c.seedCloneSet({ name: 'legacy', replicas: 1, strategy: 'ReCreate', triggerAnnotation: KEY });
  await c.seedCloneSet({ name: 'held', replicas: 1, strategy: 'InPlaceIfPossible', paused: true, triggerAnnotation: KEY });
  await c.seedCloneSet({ name: 'bare', replicas: 1, strategy: 'InPlaceIfPossible' });
  const cases: [string[], RegExp][] = [
    [['inplace', 'legacy'], /ReCreate/],
    [['inplace', 'held'], /paused/],
    [['inplace', 'bare'], /not wired.*--setup/],
    [['inplace', 'web', '-c', 'nope'], /unknown container "nope"/],
    [['inplace', 'web', '-c', 'sidecar'], /reads no trigger annotation/],
  ];
  for (const [args, message] of cases) {
    const run = await plugin(c, args);
    assert.equal(run.code, 2, `${args.join(' ')}: ${run.stderr}`);
    assert.match(assertOneLineError(run), message);
  }
  assert.deepEqual(await c.pluginWrites(), []);
  assert.equal(c.restartLog().length, 0);
}

async function readyTimeoutPauses(c: TestCluster): Promise<void> {
  await c.seedCloneSet({ name: 'web', replicas: 3, strategy: 'InPlaceIfPossible', maxUnavailable: 1, triggerAnnotation: KEY });
  const victim = (await podsOf(c, 'web'))[0].metadata.name!;
  await c.knobs.neverReady(c.namespace, victim);
  const timeout = secs(c, 2, 30);
  const run = await plugin(c, ['inplace', 'web', '--ready-timeout', `${timeout}s`, '--pause-on-failure']);
  // Our patience ran out, not the restart: a timeout (3), never "restart failed".
  assert.equal(run.code, 3, run.stderr + run.stdout);
  const line = assertOneLineError(run);
  assert.match(line, new RegExp(`not Ready again within the ready timeout: ${victim}`));
  assert.doesNotMatch(line, /restart failed/);
  assert.match(line, new RegExp(`status web -n ${c.namespace} -w`));
  assert.match(run.stderr, /paused CloneSet web.*"paused":false/);
  assert.equal((await cloneSetOf(c, 'web')).spec.updateStrategy?.paused, true);
  const status = await plugin(c, ['status', 'web', '-o', 'json']);
  const doc = JSON.parse(status.stdout) as { state: string; eta: unknown; message: string };
  assert.equal(doc.state, 'paused', doc.message);
  assert.equal(doc.eta, null);
}

async function refusedWhileUnfinished(c: TestCluster): Promise<void> {
  await c.seedCloneSet({ name: 'web', replicas: 2, strategy: 'InPlaceIfPossible', maxUnavailable: 1, triggerAnnotation: KEY });
  // A pod that never comes back Ready keeps the first restart unfinished for as long as the test needs.
  await c.knobs.neverReady(c.namespace, (await podsOf(c, 'web'))[0].metadata.name!);
  const first = await plugin(c, ['inplace', 'web', '--no-wait']);
  assert.equal(first.code, 0, first.stderr);
  const before = (await c.pluginWrites()).length;
  const refused = await plugin(c, ['inplace', 'web']);
  assert.equal(refused.code, 2, refused.stderr);
  assert.match(assertOneLineError(refused), new RegExp(`still being restarted in place \\(run \\S+, started .* by \\S+.*status web -n ${c.namespace} -w.*--force`));
  assert.equal((await c.pluginWrites()).length, before, 'the refusal wrote nothing');
  const forced = await plugin(c, ['inplace', 'web', '--force', '--no-wait']);
  assert.equal(forced.code, 0, forced.stderr);
}

export const inplaceScenarios: Scenario[] = [
  { title: 'inplace restarts a 10-pod wired CloneSet in place: same UIDs, app +1, sidecar 0, within 20%, done at exit 0', run: tenPodsInPlace },
  { title: 'the early-done trap held by a frozen kruise-daemon is not reported done (exit 3)', run: earlyDoneTrap },
  { title: 'with InPlaceUpdateEnvFromMetadata off: exit 1, diagnosed (inplace and status), nothing restarted', run: gateOff },
  { title: '--setup on InPlaceIfPossible recreates every pod once; the next run is in place', run: setupRecreatesOnce },
  { title: "--setup on InPlaceOnly is refused before any write, as Kruise's webhook refuses it (same message both sides)", run: setupInPlaceOnlyRefused },
  { title: '--dry-run=server (inplace, --setup, crr) reaches the server and its webhooks and changes nothing', run: dryRunServer },
  { title: 'a template without annotations: inplace refuses; --setup writes the annotation alone (no restart), then restarts each pod once', run: wholeMapAnnotationDiff },
  { title: 'partition "12.5%" of 10 keeps 2 pods old: inplace finishes with 8 restarted', run: fractionalPartition },
  { title: "a failed JSON-patch test is the server's bare 422 (reason Invalid, no causes)", run: failedPatchTestIs422 },
  { title: 'unsafe starts (ReCreate, paused, unwired, unknown or unwired container) are refused with exit 2, one line, no write', run: unsafeStartsRefused },
  { title: 'a pod not Ready again within --ready-timeout: exit 3 (a timeout), --pause-on-failure pauses, status says paused', run: readyTimeoutPauses },
  { title: 'a second inplace while the first is unfinished is refused naming the run; --force starts it', run: refusedWhileUnfinished },
];
