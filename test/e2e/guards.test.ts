// Issue 14, parts 2-4 end to end: the built binary against the emulated cluster. Budgets beyond maxUnavailable
// (PDB, PUB), the controllers around a CloneSet (owners, Rollouts, scaling, surge, native sidecars), and the field
// manager on every write.
import assert from 'node:assert/strict';
import { startCluster, type Cluster, type ClusterOptions, type RequestRecord } from '../cluster/index';
import { compareNames } from '../../src/kruise/crr-plan';
import type { RestartProgress } from '../../src/kruise/progress';
import { readRecord } from '../../src/kruise/record';
import { PLUGIN, type CloneSet, type ContainerRecreateRequest, type Pod } from '../../src/kruise/types';
import { PluginProcess, assertOneLineError, requireBuild, runPlugin } from './harness';

const NS = 'default';

function podNames(cluster: Cluster): string[] {
  return cluster
    .list<Pod>('pods', NS)
    .map((p) => p.metadata.name ?? '')
    .sort(compareNames);
}

function crrsOf(cluster: Cluster): ContainerRecreateRequest[] {
  return cluster.list<ContainerRecreateRequest>('containerrecreaterequests', NS);
}

/** Restarts per pod of one cause, from the emulator's own log (what happened on the "nodes"). */
function restartsBy(cluster: Cluster, cause: 'inplace' | 'crr' | 'recreate'): Map<string, number> {
  const counts = new Map<string, number>();
  for (const r of cluster.restartLog) if (r.cause === cause && r.container === 'app') counts.set(r.pod, (counts.get(r.pod) ?? 0) + 1);
  return counts;
}

const PDB = (maxUnavailable: number | string) => ({
  apiVersion: 'policy/v1',
  kind: 'PodDisruptionBudget',
  metadata: { name: 'web-pdb' },
  spec: { selector: { matchLabels: { app: 'web' } }, maxUnavailable },
});
const PUB = (maxUnavailable: number | string) => ({
  apiVersion: 'policy.kruise.io/v1alpha1',
  kind: 'PodUnavailableBudget',
  metadata: { name: 'web-pub' },
  spec: { targetRef: { apiVersion: 'apps.kruise.io/v1alpha1', kind: 'CloneSet', name: 'web' }, maxUnavailable },
});

const ANN = PLUGIN.defaultTriggerAnnotation;

function describeWrite(w: RequestRecord): string {
  return `${w.method} ${w.path} (${w.status})`;
}

describe('guards around a restart (built binary, emulated cluster)', function () {
  this.timeout(180_000);
  let cluster: Cluster | undefined;

  before(() => requireBuild());
  afterEach(async () => {
    await cluster?.stop();
    cluster = undefined;
  });

  const start = async (o: ClusterOptions) => (cluster = await startCluster(o));
  const plugin = (args: string[], timeoutMs = 120_000) => runPlugin(args, { kubeconfig: cluster?.kubeconfigPath, timeoutMs });

  describe('every write says who made it', () => {
    it('inplace and crr send fieldManager=kubectl-kruise-restart on every create and patch', async () => {
      const c = await start({ speed: 50 });
      await c.seedCloneSet({ name: 'web', replicas: 4, strategy: 'InPlaceIfPossible', triggerAnnotation: ANN, containers: ['app'] });
      c.clearLog();
      const inplace = await plugin(['inplace', 'web']);
      assert.equal(inplace.code, 0, inplace.stderr);
      const crr = await plugin(['crr', 'web', '-c', 'app']);
      assert.equal(crr.code, 0, crr.stderr);
      const writes = c.allWrites();
      assert.ok(writes.some((w) => w.method === 'PATCH') && writes.some((w) => w.resource === 'containerrecreaterequests') && writes.some((w) => w.resource === 'events'), writes.map(describeWrite).join('\n'));
      for (const w of writes) assert.equal(w.fieldManager, 'kubectl-kruise-restart', describeWrite(w));
    });

    it('--field-manager names the writes instead; a bad one is refused before anything is read', async () => {
      const c = await start({ speed: 50 });
      await c.seedCloneSet({ name: 'web', replicas: 3, strategy: 'InPlaceIfPossible', triggerAnnotation: ANN });
      c.clearLog();
      const run = await plugin(['inplace', 'web', '--field-manager', 'ci-restarts', '--no-wait']);
      assert.equal(run.code, 0, run.stderr);
      const writes = c.allWrites();
      assert.ok(writes.length >= 2);
      for (const w of writes) assert.equal(w.fieldManager, 'ci-restarts', describeWrite(w));

      c.clearLog();
      const bad = await plugin(['crr', 'web', '--field-manager', 'x'.repeat(129)]);
      assert.equal(bad.code, 2, bad.stderr);
      assert.match(assertOneLineError(bad), /--field-manager must be at most 128 bytes, got 129/);
      assert.deepEqual(c.requests, []);
    });
  });

  describe('budgets beyond maxUnavailable', () => {
    for (const kind of ['PodDisruptionBudget', 'PodUnavailableBudget'] as const) {
      it(`crr with a ${kind} allowing 1 and a CloneSet maxUnavailable of 3 never has more than 1 pod unavailable; the plan says which limit binds`, async () => {
        const c = await start({ speed: 30 });
        await c.seedCloneSet({ name: 'web', replicas: 10, maxUnavailable: 3, containers: ['app'] });
        const budget = kind === 'PodDisruptionBudget' ? c.apply('poddisruptionbudgets', PDB(1)) : c.apply('podunavailablebudgets', PUB(1));
        assert.ok(budget);
        await c.whenIdle();
        const name = kind === 'PodDisruptionBudget' ? 'web-pdb' : 'web-pub';

        const plan = await plugin(['crr', 'web', '--dry-run', '-o', 'json']);
        assert.equal(plan.code, 0, plan.stderr);
        const doc = JSON.parse(plan.stdout) as { maxUnavailable: number; effectiveMaxUnavailable: number; limit: string; batches: number; budgets: { budget: string; allows: number }[] };
        assert.equal(doc.maxUnavailable, 3);
        assert.equal(doc.effectiveMaxUnavailable, 1);
        assert.match(doc.limit, new RegExp(`^1 at a time: ${kind} ${name} maxUnavailable 1 binds \\(CloneSet maxUnavailable 3 allows 3\\)$`));
        assert.equal(doc.batches, 10);
        assert.deepEqual(doc.budgets.map((b) => [b.budget, b.allows]), [[`${kind} ${name}`, 1]]);
        const text = await plugin(['crr', 'web', '--dry-run']);
        assert.match(text.stdout, /with ContainerRecreateRequests, 1 at a time \(about 10 batches\)/);
        assert.match(text.stdout, new RegExp(`^limit: 1 at a time: ${kind} ${name}`, 'm'));

        c.clearLog();
        const run = await plugin(['crr', 'web']);
        assert.equal(run.code, 0, run.stderr);
        assert.match(run.stderr, new RegExp(`1 at a time: ${kind} ${name} maxUnavailable 1 binds`));
        assert.equal(c.maxUnavailableSeen(NS, 'web'), 1, `history ${c.unavailableHistory(NS, 'web').join(',')}`);
        const crr = restartsBy(c, 'crr');
        for (const pod of podNames(c)) assert.equal(crr.get(pod), 1, `${pod} restarted ${crr.get(pod) ?? 0} times`);
      });
    }

    it('with no disruption controller (a PDB status of zeros) crr still honours the PDB, from its spec', async () => {
      const c = await start({ speed: 30, disruptionController: false });
      await c.seedCloneSet({ name: 'web', replicas: 5, maxUnavailable: 3, containers: ['app'] });
      c.apply('poddisruptionbudgets', { ...PDB(1), spec: { selector: { matchLabels: { app: 'web' } }, minAvailable: '80%' } });
      await c.whenIdle();
      const run = await plugin(['crr', 'web']);
      assert.equal(run.code, 0, run.stderr);
      assert.match(run.stderr, /1 at a time: PodDisruptionBudget web-pdb minAvailable 80% binds/);
      assert.equal(c.maxUnavailableSeen(NS, 'web'), 1);
    });

        it('--ignore-pdb says loudly which budgets it ignores and paces by maxUnavailable alone', async () => {
      const c = await start({ speed: 30 });
      await c.seedCloneSet({ name: 'web', replicas: 10, maxUnavailable: 3, containers: ['app'] });
      c.apply('poddisruptionbudgets', PDB(1));
      await c.whenIdle();
      const run = await plugin(['crr', 'web', '--ignore-pdb', '--dry-run', '-o', 'json']);
      assert.equal(run.code, 0, run.stderr);
      assert.match(run.stderr, /^warning: --ignore-pdb: NOT honouring PodDisruptionBudget web-pdb \(maxUnavailable 1, allows 1\): up to 3 pods may be unavailable at once, more than they allow$/m);
      const doc = JSON.parse(run.stdout) as { effectiveMaxUnavailable: number; budgets: { honoured: boolean }[] };
      assert.equal(doc.effectiveMaxUnavailable, 3);
      assert.deepEqual(doc.budgets.map((b) => b.honoured), [false]);
    });

    it('a resume keeps the run\'s --ignore-pdb and --field-manager; --ignore-pdb typed on the resume of a run that honours budgets is refused', async () => {
      const c = await start({ speed: 2, restartSeconds: 4 });
      await c.seedCloneSet({ name: 'web', replicas: 4, containers: ['app'] });
      c.apply('poddisruptionbudgets', PDB(0));
      await c.whenIdle();
      const stopped = await plugin(['crr', 'web', '--ignore-pdb', '--field-manager', 'ci-restarts', '--max-unavailable', '1', '--timeout', '2s']);
      assert.equal(stopped.code, 3, stopped.stderr);
      const id = readRecord(c.get<CloneSet>('clonesets', NS, 'web') as CloneSet)!.run;
      c.clearLog();
      // Neither flag typed again: the budget allowing none is still ignored (said loudly), the writes keep their name.
      const resumed = await plugin(['crr', 'web', '--resume', id]);
      assert.equal(resumed.code, 0, resumed.stderr);
      assert.match(resumed.stderr, new RegExp(`run ${id} was started with --ignore-pdb and --field-manager ci-restarts: the resume keeps them`));
      assert.match(resumed.stderr, /^warning: --ignore-pdb: NOT honouring PodDisruptionBudget web-pdb/m);
      const writes = c.writes().filter((w) => !w.dryRun);
      assert.ok(writes.some((w) => w.resource === 'containerrecreaterequests'), 'the resume created requests');
      assert.deepEqual([...new Set(writes.map((w) => w.fieldManager))], ['ci-restarts'], writes.map(describeWrite).join('\n'));
      assert.deepEqual(crrsOf(c).map((x) => x.spec.podName).sort(compareNames), podNames(c), 'one request per pod, all of them made');

      // The other way round: a run that honours a budget is not resumed ignoring it.
      c.apply('poddisruptionbudgets', PDB(1));
      const honouring = await plugin(['crr', 'web', '--max-unavailable', '1', '--timeout', '2s']);
      assert.equal(honouring.code, 3, honouring.stderr);
      const second = readRecord(c.get<CloneSet>('clonesets', NS, 'web') as CloneSet)!.run;
      c.clearLog();
      const contradicting = await plugin(['crr', 'web', '--resume', second, '--ignore-pdb']);
      assert.equal(contradicting.code, 2, contradicting.stderr);
      assert.match(assertOneLineError(contradicting), new RegExp(`--ignore-pdb: run ${second} honours PodDisruptionBudgets and PodUnavailableBudgets, and a resume keeps that: drop --ignore-pdb`));
      assert.deepEqual(c.writes(), [], 'nothing written');
      const renamed = await plugin(['crr', 'web', '--resume', second, '--field-manager', 'other']);
      assert.equal(renamed.code, 2, renamed.stderr);
      assert.match(assertOneLineError(renamed), /--field-manager other: run \S+ writes as "kubectl-kruise-restart"/);
      assert.deepEqual(c.writes(), [], 'nothing written');
    });

    it('crr refuses a budget that allows no pod to be unavailable (exit 2, nothing written), unless --ignore-pdb', async () => {
      const c = await start({ speed: 30 });
      await c.seedCloneSet({ name: 'web', replicas: 4, containers: ['app'] });
      c.apply('poddisruptionbudgets', PDB(0));
      await c.whenIdle();
      c.clearLog();
      const run = await plugin(['crr', 'web']);
      assert.equal(run.code, 2, run.stderr);
      assert.match(assertOneLineError(run), /PodDisruptionBudget web-pdb \(maxUnavailable 0\) allows no pod of CloneSet "web" to be unavailable.*--ignore-pdb/);
      assert.deepEqual(c.writes(), []);
    });

    it('inplace warns, with the numbers, when a budget allows fewer unavailable pods than maxUnavailable', async () => {
      const c = await start({ speed: 30 });
      await c.seedCloneSet({ name: 'web', replicas: 10, strategy: 'InPlaceIfPossible', maxUnavailable: 3, triggerAnnotation: ANN });
      c.apply('poddisruptionbudgets', PDB(1));
      c.apply('podunavailablebudgets', PUB('20%'));
      await c.whenIdle();
      const run = await plugin(['inplace', 'web', '--dry-run', '-o', 'json']);
      assert.equal(run.code, 0, run.stderr);
      assert.match(run.stderr, /^warning: PodDisruptionBudget web-pdb \(maxUnavailable 1\) allows 1 unavailable pod but maxUnavailable lets Kruise restart 3 at once, and in-place restarts do not ask it: use --batch-size 1, lower maxUnavailable to 1, or "crr", which honours it$/m);
      // Stages no larger than the budget allows leave nothing to warn about.
      const staged = await plugin(['inplace', 'web', '--batch-size', '1', '--dry-run']);
      assert.equal(staged.code, 0, staged.stderr);
      assert.doesNotMatch(staged.stderr, /PodDisruptionBudget web-pdb/);
      assert.match((await plugin(['inplace', 'web', '--batch-size', '2', '--dry-run'])).stderr, /PodDisruptionBudget web-pdb \(maxUnavailable 1\) allows 1 unavailable pod but stages of up to 2 let Kruise restart 2 at once/);
      assert.match(run.stderr, /^warning: PodUnavailableBudget web-pub \(maxUnavailable 20%\) allows 2 unavailable pods but maxUnavailable lets Kruise restart 3 at once/m);
      const doc = JSON.parse(run.stdout) as { budgets: { budget: string; allows: number }[] };
      assert.deepEqual(doc.budgets.map((b) => [b.budget, b.allows]), [['PodDisruptionBudget web-pdb', 1], ['PodUnavailableBudget web-pub', 2]]);
      const text = await plugin(['inplace', 'web', '--dry-run']);
      assert.match(text.stdout, /^budget: PodDisruptionBudget web-pdb \(maxUnavailable 1\) allows 1 unavailable; Kruise does not ask it$/m);
    });

    it('warns per target container without a readinessProbe, and suggests --min-ready-seconds for crr', async () => {
      const c = await start({ speed: 30 });
      await c.seedCloneSet({
        name: 'web',
        replicas: 2,
        template: {
          metadata: { labels: { app: 'web' } },
          spec: { containers: [{ name: 'app', image: 'nginx:1.27', readinessProbe: { httpGet: { path: '/', port: 80 } } }, { name: 'log', image: 'busybox:1' }, { name: 'proxy', image: 'envoy:1' }] },
        },
      });
      const run = await plugin(['crr', 'web', '--all-containers', '--dry-run']);
      assert.equal(run.code, 0, run.stderr);
      const lines = run.stderr.split('\n').filter((l) => /readinessProbe/.test(l));
      assert.deepEqual(
        lines.map((l) => /container (\S+) has no readinessProbe/.exec(l)?.[1]),
        ['log', 'proxy'],
      );
      assert.ok(lines.every((l) => /--min-ready-seconds S/.test(l)));
      const patient = await plugin(['crr', 'web', '-c', 'log', '--min-ready-seconds', '10', '--dry-run']);
      assert.doesNotMatch(patient.stderr, /--min-ready-seconds S/);
      assert.match(patient.stderr, /container log has no readinessProbe/);
    });
  });

  describe('the controllers around a CloneSet', () => {
    const UD_OWNER = [{ apiVersion: 'apps.kruise.io/v1alpha1', kind: 'UnitedDeployment', name: 'shop', uid: 'ud-uid', controller: true, blockOwnerDeletion: true }];

    it('inplace refuses a UnitedDeployment subset (exit 2, zero writes) naming the owner, also with --force; --ignore-owner goes ahead', async () => {
      const c = await start({ speed: 30 });
      c.apply('uniteddeployments', {
        apiVersion: 'apps.kruise.io/v1alpha1',
        kind: 'UnitedDeployment',
        metadata: { name: 'shop', uid: 'ud-uid' },
        spec: { selector: { matchLabels: { app: 'web' } }, template: { cloneSetTemplate: { metadata: { labels: { app: 'web' } }, spec: {} } }, topology: { subsets: [{ name: 'zone-a' }] } },
      });
      await c.seedCloneSet({ name: 'web', replicas: 3, strategy: 'InPlaceIfPossible', triggerAnnotation: ANN, ownerReferences: UD_OWNER, labels: { 'apps.kruise.io/subset-name': 'zone-a' } });
      c.clearLog();
      for (const extra of [[], ['--force']]) {
        const run = await plugin(['inplace', 'web', ...extra]);
        assert.equal(run.code, 2, run.stderr);
        const line = assertOneLineError(run);
        assert.match(line, /CloneSet "web" is a subset \(zone-a\) of UnitedDeployment "shop".*reverted.*restart the UnitedDeployment instead .*ud\/shop.*"crr"/);
        if (extra.length) assert.match(line, /--force does not override this, --ignore-owner does/);
      }
      assert.deepEqual(c.allWrites(), []);
      // crr leaves the template alone: nothing for the owner to revert.
      const crr = await plugin(['crr', 'web', '--dry-run']);
      assert.equal(crr.code, 0, crr.stderr);
      const ignored = await plugin(['inplace', 'web', '--ignore-owner', '--dry-run']);
      assert.equal(ignored.code, 0, ignored.stderr);
      assert.match(ignored.stderr, /^warning: --ignore-owner: CloneSet "web" is a subset/m);
      assert.deepEqual(c.writes(), []);
    });

    it('inplace refuses a CloneSet a Kruise Rollout targets (exit 2, zero writes), saying why and what to do', async () => {
      const c = await start({ speed: 30, rollouts: true });
      await c.seedCloneSet({ name: 'web', replicas: 3, strategy: 'InPlaceIfPossible', triggerAnnotation: ANN });
      c.apply('rollouts', {
        apiVersion: 'rollouts.kruise.io/v1beta1',
        kind: 'Rollout',
        metadata: { name: 'web-rollout' },
        spec: { workloadRef: { apiVersion: 'apps.kruise.io/v1alpha1', kind: 'CloneSet', name: 'web' }, strategy: { canary: { steps: [{ replicas: 1 }, { replicas: '100%' }] } } },
      });
      c.clearLog();
      const run = await plugin(['inplace', 'web']);
      assert.equal(run.code, 2, run.stderr);
      assert.match(assertOneLineError(run), /Rollout "web-rollout" \(rollouts\.kruise\.io\) targets CloneSet "web": its webhook turns any template change.*staged canary release.*use "crr"/);
      assert.deepEqual(c.allWrites(), []);
      // A Rollout for another workload changes nothing.
      c.apply('rollouts', { apiVersion: 'rollouts.kruise.io/v1beta1', kind: 'Rollout', metadata: { name: 'web-rollout' }, spec: { workloadRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web' }, strategy: { canary: {} } } });
      const other = await plugin(['inplace', 'web', '--dry-run']);
      assert.equal(other.code, 0, other.stderr);
    });

    it('crr refuses a native sidecar by name (exit 2, nothing created)', async () => {
      const c = await start({ speed: 30 });
      await c.seedCloneSet({
        name: 'web',
        replicas: 2,
        template: {
          metadata: { labels: { app: 'web' } },
          spec: { initContainers: [{ name: 'mesh', image: 'envoy:1', restartPolicy: 'Always' }], containers: [{ name: 'app', image: 'nginx:1.27' }] },
        },
      });
      c.clearLog();
      const run = await plugin(['crr', 'web', '-c', 'mesh']);
      assert.equal(run.code, 2, run.stderr);
      assert.match(assertOneLineError(run), /container "mesh" of CloneSet "web" is a native sidecar \(an init container with restartPolicy: Always\), which a ContainerRecreateRequest cannot restart/);
      assert.deepEqual(c.writes(), []);
      assert.deepEqual(crrsOf(c), []);
    });

    it('maxSurge > 0 on an in-place restart: the plan and dry run say how many pods Kruise creates, restarts in place and deletes, and it happens so', async () => {
      const c = await start({ speed: 30 });
      await c.seedCloneSet({ name: 'web', replicas: 10, strategy: 'InPlaceIfPossible', maxSurge: 2, triggerAnnotation: ANN });
      const dry = await plugin(['inplace', 'web', '--dry-run', '-o', 'json']);
      assert.equal(dry.code, 0, dry.stderr);
      const doc = JSON.parse(dry.stdout) as { surge: { created: number; restartedInPlace: number; deletedOld: number } };
      assert.deepEqual({ created: doc.surge.created, inPlace: doc.surge.restartedInPlace, deleted: doc.surge.deletedOld }, { created: 2, inPlace: 8, deleted: 2 });
      assert.match(dry.stderr, /Kruise first creates 2 new pods \(new names and IPs, up to 12 pods at once\), restarts 8 in place, then deletes 2 old pods that are replaced, not restarted/);
      const text = await plugin(['inplace', 'web', '--dry-run']);
      assert.match(text.stdout, /^surge: Kruise creates 2 new pods, restarts 8 in place, deletes 2 old pods \(up to 12 pods at once\)$/m);
      const before = new Set(podNames(c));
      const run = await plugin(['inplace', 'web']);
      assert.equal(run.code, 0, run.stderr);
      const after = podNames(c);
      assert.equal(after.length, 10);
      assert.equal(after.filter((p) => before.has(p)).length, 8);
      assert.equal(restartsBy(c, 'inplace').size, 8);
    });
  });

  describe('scaling in the middle of a restart', () => {
    for (const target of [14, 6]) {
      it(`inplace, 10 -> ${target} pods midway: exit 0, no pod restarted twice, every remaining original pod restarted, counts add up`, async () => {
        const c = await start({ speed: 10 });
        await c.seedCloneSet({ name: 'web', replicas: 10, strategy: 'InPlaceIfPossible', maxUnavailable: 2, triggerAnnotation: ANN });
        const original = podNames(c);
        const p = new PluginProcess(['inplace', 'web', '-o', 'json'], { kubeconfig: c.kubeconfigPath, timeoutMs: 120_000 });
        await c.waitFor(() => restartsBy(c, 'inplace').size >= 2, 60_000, 'two pods restarted');
        c.scale(NS, 'web', target);
        const run = await p.done;
        assert.equal(run.code, 0, run.stderr);
        const restarted = restartsBy(c, 'inplace');
        assert.deepEqual([...restarted.values()].filter((n) => n !== 1), [], 'no pod restarted twice');
        const now = podNames(c);
        assert.equal(now.length, target);
        for (const pod of now.filter((n) => original.includes(n))) assert.equal(restarted.get(pod), 1, `${pod} was left out`);
        const doc = JSON.parse(run.stdout) as RestartProgress;
        assert.equal(doc.complete, true);
        const s = doc.summary;
        assert.equal(s.total, target);
        assert.equal(s.restarted + s.recreated + s.skipped + s.failed + s.pending + s.restarting, s.total);
        const fresh = doc.pods.filter((x) => !original.includes(x.name));
        assert.equal(fresh.length, Math.max(0, target - 10));
        for (const f of fresh) assert.match(f.reason ?? '', /new pod, created during the restart/);
      });

      it(`crr, 10 -> ${target} pods midway: exit 0, only the run's own pods restarted, each once, gone pods not failures`, async () => {
        const c = await start({ speed: 10 });
        await c.seedCloneSet({ name: 'web', replicas: 10, maxUnavailable: 2, containers: ['app'] });
        const original = podNames(c);
        const p = new PluginProcess(['crr', 'web', '-o', 'json'], { kubeconfig: c.kubeconfigPath, timeoutMs: 120_000 });
        await c.waitFor(() => restartsBy(c, 'crr').size >= 2, 60_000, 'two pods restarted');
        c.scale(NS, 'web', target);
        const run = await p.done;
        assert.equal(run.code, 0, run.stderr);
        const restarted = restartsBy(c, 'crr');
        assert.deepEqual([...restarted.values()].filter((n) => n !== 1), [], 'no pod restarted twice');
        for (const pod of restarted.keys()) assert.ok(original.includes(pod), `${pod} was not in the run`);
        assert.ok(crrsOf(c).every((x) => original.includes(x.spec.podName)), 'a request for a pod outside the run');
        const now = podNames(c);
        for (const pod of now.filter((n) => original.includes(n))) assert.equal(restarted.get(pod), 1, `${pod} was left out`);
        const record = readRecord(c.get<CloneSet>('clonesets', NS, 'web') as CloneSet);
        assert.equal(record?.finished, 'completed');
        assert.deepEqual(record?.pods, original);
        const doc = JSON.parse(run.stdout) as RestartProgress;
        const s = doc.summary;
        assert.equal(s.restarted + s.skipped + s.failed + s.pending + s.restarting + s.recreated, s.total);
        assert.equal(s.failed, 0);
        assert.equal(s.restarted + s.skipped, 10);
      });
    }
  });
});
