import assert from 'node:assert/strict';
import type { Cluster } from '../cluster/index';
import { PLUGIN } from '../../src/kruise/types';
import { assertOneLineError, runPlugin, useEmulatedCluster } from './harness';

const NS = 'shop';
const ANN = PLUGIN.defaultTriggerAnnotation;

function restartTimes(cluster: Cluster, cloneSet: string): number[] {
  return cluster.restartLog.filter((r) => r.cause === 'inplace' && r.pod.startsWith(`${cloneSet}-`)).map((r) => r.at);
}

describe('several workloads in one command (built binary, emulated cluster)', function () {
  this.timeout(120_000);
  let cluster: Cluster;
  let kubeconfig: string;

  useEmulatedCluster(NS, (started, path) => {
    cluster = started;
    kubeconfig = path;
  });
  beforeEach(async () => {
    for (const name of ['api', 'cart', 'web']) {
      await cluster.seedCloneSet({ namespace: NS, name, replicas: 3, strategy: 'InPlaceIfPossible', maxUnavailable: 1, triggerAnnotation: ANN, labels: { tier: 'web' } });
    }
    await cluster.seedCloneSet({ namespace: NS, name: 'db', replicas: 2, strategy: 'InPlaceIfPossible', triggerAnnotation: ANN, labels: { tier: 'db' } });
    cluster.clearLog();
  });

  it('inplace -l tier=web restarts the three CloneSets one after another, each within its budget; -o name prints a line each', async () => {
    const run = await runPlugin(['inplace', '-l', 'tier=web', '-o', 'name'], { kubeconfig });
    assert.equal(run.code, 0, run.stderr + run.stdout);
    assert.deepEqual(run.stdout.trim().split('\n'), ['cloneset.apps.kruise.io/api restarted', 'cloneset.apps.kruise.io/cart restarted', 'cloneset.apps.kruise.io/web restarted']);
    assert.match(run.stderr, /3 of 3 workloads done: cloneset\/api complete, cloneset\/cart complete, cloneset\/web complete/);
    const [api, cart, web] = ['api', 'cart', 'web'].map((n) => restartTimes(cluster, n));
    for (const t of [api, cart, web]) assert.equal(t.length, 3);
    assert.ok(Math.max(...api) < Math.min(...cart) && Math.max(...cart) < Math.min(...web), 'one after another');
    for (const n of ['api', 'cart', 'web']) assert.ok(cluster.maxUnavailableSeen(NS, n) <= 1, `${n}: ${cluster.unavailableHistory(NS, n)}`);
    assert.equal(restartTimes(cluster, 'db').length, 0, 'tier=db untouched');
  });

  it('--parallel 2: two restarts overlap (the emulator saw both at once), each within its own budget; the third starts when one ends', async () => {
    // Slow readiness (simulated seconds) gives each rollout room to overlap however loaded the machine is.
    for (const pod of cluster.list<{ metadata: { name: string } }>('pods', NS)) if (/^(api|cart)-/.test(pod.metadata.name)) cluster.knobs.readyDelay(pod.metadata.name, 20);
    const run = await runPlugin(['inplace', 'api', 'cart', 'web', '--parallel', '2'], { kubeconfig });
    assert.equal(run.code, 0, run.stderr);
    const [api, cart, web] = ['api', 'cart', 'web'].map((n) => restartTimes(cluster, n));
    for (const t of [api, cart, web]) assert.equal(t.length, 3);
    assert.ok(Math.min(...cart) < Math.max(...api) && Math.min(...api) < Math.max(...cart), `api and cart overlap: api ${api}, cart ${cart}`);
    assert.ok(Math.min(...web) > Math.min(Math.max(...api), Math.max(...cart)), `web after the first of them ended: ${web}`);
    for (const n of ['api', 'cart', 'web']) assert.ok(cluster.maxUnavailableSeen(NS, n) <= 1, `${n}: ${cluster.unavailableHistory(NS, n)}`);
    assert.match(run.stderr, /3 of 3 workloads done/);
  });

  it('with one of them paused, the command refuses before any write (exit 2), naming it', async () => {
    const r = await fetchPatch(cluster, 'cart', { spec: { updateStrategy: { paused: true } } });
    assert.equal(r, 200);
    cluster.clearLog();
    const run = await runPlugin(['inplace', '-l', 'tier=web'], { kubeconfig });
    assert.equal(run.code, 2, run.stderr);
    const line = assertOneLineError(run);
    assert.match(line, /1 of 3 workloads refused, nothing was restarted: cloneset\/cart: .*paused/);
    assert.match(line, /--skip-refused/);
    assert.deepEqual(cluster.writes().map((w) => `${w.verb} ${w.resource}`), []);
  });

  it('--skip-refused restarts the others and exits 2, the summary naming the refused one', async () => {
    await fetchPatch(cluster, 'cart', { spec: { updateStrategy: { paused: true } } });
    const run = await runPlugin(['inplace', 'cloneset/api', 'cart', 'web', '--skip-refused'], { kubeconfig });
    assert.equal(run.code, 2, run.stderr);
    assert.match(run.stderr, /2 of 3 workloads done: cloneset\/api complete, cloneset\/cart refused, cloneset\/web complete/);
    assert.equal(restartTimes(cluster, 'api').length, 3);
    assert.equal(restartTimes(cluster, 'cart').length, 0);
  });

  it('status -l tier=web: one section per workload; -o name lists them; -o json is a List', async () => {
    const once = await runPlugin(['status', '-l', 'tier=web'], { kubeconfig });
    assert.equal(once.code, 0, once.stderr);
    for (const n of ['api', 'cart', 'web']) assert.match(once.stderr, new RegExp(`--- cloneset/${n} \\(shop\\)`));
    const names = await runPlugin(['status', '-l', 'tier=web', '-o', 'name'], { kubeconfig });
    assert.deepEqual(names.stdout.trim().split('\n'), ['cloneset.apps.kruise.io/api', 'cloneset.apps.kruise.io/cart', 'cloneset.apps.kruise.io/web']);
    const json = await runPlugin(['status', '-l', 'tier=web', '-o', 'json'], { kubeconfig });
    const doc = JSON.parse(json.stdout) as { kind: string; items: Array<{ workload: string; state: string }> };
    assert.equal(doc.kind, 'List');
    assert.deepEqual(doc.items.map((i) => `${i.workload} ${i.state}`), ['cloneset.apps.kruise.io/api none', 'cloneset.apps.kruise.io/cart none', 'cloneset.apps.kruise.io/web none']);
  });

  it('--all needs --yes off a terminal; -A reads every namespace; bad combinations are usage errors', async () => {
    const all = await runPlugin(['inplace', '--all'], { kubeconfig });
    assert.equal(all.code, 2);
    assert.match(assertOneLineError(all), /--all restarts 4 CloneSets \(api, cart, db, web\) and needs confirmation: run again with --yes/);
    assert.deepEqual(cluster.writes(), []);
    await cluster.seedCloneSet({ namespace: 'other', name: 'edge', replicas: 1, labels: { tier: 'web' } });
    const names = await runPlugin(['status', '-A', '-l', 'tier=web', '-o', 'name'], { kubeconfig });
    assert.equal(names.stdout.trim().split('\n').length, 4, names.stderr);
    for (const args of [['inplace', 'web', '--kind', 'asts'], ['status', '-A'], ['inplace', 'asts', 'ads', '-l', 'a=b'], ['inplace', '-l', 'a=b', '--all']]) {
      const bad = await runPlugin(args, { kubeconfig });
      assert.equal(bad.code, 2, `${args.join(' ')}: ${bad.stderr}`);
      assertOneLineError(bad);
    }
  });
});

async function fetchPatch(cluster: Cluster, name: string, body: object): Promise<number> {
  const { call } = await import('../cluster/http-client');
  const r = await call(cluster, 'PATCH', `/apis/apps.kruise.io/v1alpha1/namespaces/${NS}/clonesets/${name}`, body, { contentType: 'application/merge-patch+json' });
  return r.status;
}

