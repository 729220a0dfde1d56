// Emulator only: `crr` over several workloads, with the built binary. Sequential and --parallel runs are judged from
// the emulator's restart log (simulated time), never from wall-clock timing.
import assert from 'node:assert/strict';
import { startCluster, type Cluster } from '../cluster/index';
import { readRecord } from '../../src/kruise/record';
import type { CloneSet, ContainerRecreateRequest } from '../../src/kruise/types';
import { PluginProcess, assertOneLineError, requireBuild, runPlugin } from './harness';

const NS = 'shop';
const TIERS = ['api', 'cart', 'web'];

/** When each container restart of the workload's pods happened, in simulated time. */
function restartTimes(cluster: Cluster, name: string): number[] {
  return cluster.restartLog.filter((r) => r.cause === 'crr' && r.pod.startsWith(`${name}-`)).map((r) => r.at);
}

/** Requests per pod of the workload: a pod restarted twice would show two. */
function requestsPerPod(cluster: Cluster, name: string): Map<string, number> {
  const counts = new Map<string, number>();
  for (const c of cluster.list<ContainerRecreateRequest>('containerrecreaterequests', NS)) {
    if (c.spec.podName.startsWith(`${name}-`)) counts.set(c.spec.podName, (counts.get(c.spec.podName) ?? 0) + 1);
  }
  return counts;
}

function assertEachPodOnce(cluster: Cluster, name: string, pods = 3): void {
  const counts = requestsPerPod(cluster, name);
  assert.equal(counts.size, pods, `${name}: requests for ${[...counts.keys()].join(', ')}`);
  for (const [pod, n] of counts) assert.equal(n, 1, `${pod} has ${n} requests`);
  assert.equal(restartTimes(cluster, name).length, pods, `${name} restarts`);
}

describe('crr over several workloads (built binary, emulated cluster)', function () {
  this.timeout(180_000);
  let cluster: Cluster | undefined;
  let kubeconfig: string;

  before(() => requireBuild());
  afterEach(async () => {
    await cluster?.stop();
    cluster = undefined;
  });

  /** Three CloneSets labelled tier=web (3 pods, maxUnavailable 1) and one tier=db. Slower clocks leave room for a Ctrl-C. */
  async function start(speed = 50, opts: { cartContainers?: string[] } = {}): Promise<Cluster> {
    const c = await startCluster({ speed, namespace: NS, restartSeconds: 1, readySeconds: 2 });
    cluster = c;
    kubeconfig = c.writeKubeconfig({ namespace: NS });
    for (const name of TIERS) {
      await c.seedCloneSet({ namespace: NS, name, replicas: 3, maxUnavailable: 1, labels: { tier: 'web' }, containers: name === 'cart' && opts.cartContainers ? opts.cartContainers : ['app'] });
    }
    await c.seedCloneSet({ namespace: NS, name: 'db', replicas: 2, labels: { tier: 'db' } });
    c.clearLog();
    return c;
  }

  it('crr -l tier=web -c app restarts the three CloneSets one after another, each pod once within its budget; -o name prints a line each', async () => {
    const c = await start();
    const run = await runPlugin(['crr', '-l', 'tier=web', '-c', 'app', '-o', 'name'], { kubeconfig });
    assert.equal(run.code, 0, run.stderr + run.stdout);
    assert.deepEqual(run.stdout.trim().split('\n'), ['cloneset.apps.kruise.io/api restarted', 'cloneset.apps.kruise.io/cart restarted', 'cloneset.apps.kruise.io/web restarted']);
    assert.match(run.stderr, /3 of 3 workloads done: cloneset\/api complete, cloneset\/cart complete, cloneset\/web complete/);
    for (const name of TIERS) assertEachPodOnce(c, name);
    const [api, cart, web] = TIERS.map((n) => restartTimes(c, n));
    assert.ok(Math.max(...api) < Math.min(...cart) && Math.max(...cart) < Math.min(...web), 'one after another');
    for (const name of TIERS) assert.ok(c.maxUnavailableSeen(NS, name) <= 1, `${name}: ${c.unavailableHistory(NS, name)}`);
    assert.equal(restartTimes(c, 'db').length, 0, 'tier=db untouched');
    // Each workload has a run record of its own, finished.
    const runs = TIERS.map((n) => readRecord(c.get<CloneSet>('clonesets', NS, n) as CloneSet));
    assert.equal(new Set(runs.map((r) => r?.run)).size, 3);
    for (const r of runs) assert.equal(r?.finished, 'completed');
  });

  it('--parallel 2: two restarts overlap, each within its own budget, and the third starts when one ends', async () => {
    const c = await start(10);
    const run = await runPlugin(['crr', 'cloneset/api', 'cart', 'web', '-c', 'app', '--parallel', '2'], { kubeconfig });
    assert.equal(run.code, 0, run.stderr);
    for (const name of TIERS) assertEachPodOnce(c, name);
    const [api, cart, web] = TIERS.map((n) => restartTimes(c, n));
    assert.ok(Math.min(...cart) < Math.max(...api) && Math.min(...api) < Math.max(...cart), `api and cart overlap: api ${api}, cart ${cart}`);
    assert.ok(Math.min(...web) > Math.min(Math.max(...api), Math.max(...cart)), `web after the first of them ended: ${web}`);
    for (const name of TIERS) assert.ok(c.maxUnavailableSeen(NS, name) <= 1, `${name}: ${c.unavailableHistory(NS, name)}`);
    // Off a terminal, each target says its own lines under its own header.
    for (const name of TIERS) assert.match(run.stderr, new RegExp(`--- cloneset/${name} \\(shop\\)`));
  });

  it('one refused target refuses the whole command before any write (exit 2); --skip-refused restarts the others', async () => {
    const c = await start(50, { cartContainers: ['main'] });
    const run = await runPlugin(['crr', '-l', 'tier=web', '-c', 'app'], { kubeconfig });
    assert.equal(run.code, 2, run.stderr);
    assert.match(assertOneLineError(run), /1 of 3 workloads refused, nothing was restarted: cloneset\/cart: .*app.*--skip-refused/);
    assert.deepEqual(c.writes().map((w) => `${w.verb} ${w.resource}`), []);

    const skip = await runPlugin(['crr', '-l', 'tier=web', '-c', 'app', '--skip-refused', '-o', 'json'], { kubeconfig });
    assert.equal(skip.code, 2, skip.stderr);
    const doc = JSON.parse(skip.stdout) as { kind: string; exitCode: number; items: Array<{ workload: string; outcome: string; exitCode: number; run?: string; error?: string }> };
    assert.equal(doc.kind, 'List');
    assert.equal(doc.exitCode, 2);
    assert.deepEqual(doc.items.map((i) => `${i.workload} ${i.outcome} ${i.exitCode}`), ['cloneset.apps.kruise.io/api complete 0', 'cloneset.apps.kruise.io/cart refused 2', 'cloneset.apps.kruise.io/web complete 0']);
    assert.match(doc.items[0].run ?? '', /^\d{8}-\d{6}-[0-9a-z]{4}$/);
    assert.match(doc.items[1].error ?? '', /app/);
    assertEachPodOnce(c, 'api');
    assertEachPodOnce(c, 'web');
    assert.equal(restartTimes(c, 'cart').length, 0);
    assert.match(skip.stderr, /2 of 3 workloads done: cloneset\/api complete, cloneset\/cart refused, cloneset\/web complete/);
  });

  it('a failed target ends the command exit 1 naming it, starts no further one, and prints the --resume line', async () => {
    const c = await start();
    const victim = c.list<{ metadata: { name: string } }>('pods', NS).find((p) => p.metadata.name.startsWith('cart-'))?.metadata.name as string;
    c.knobs.failRestart(victim, 'app');
    const run = await runPlugin(['crr', '-l', 'tier=web', '-c', 'app'], { kubeconfig });
    assert.equal(run.code, 1, run.stderr);
    const line = assertOneLineError(run);
    assert.match(line, /1 of 3 workloads done: cloneset\/api complete, cloneset\/cart failed, cloneset\/web not-started/);
    assert.match(line, /resume with: kubectl kruise-restart crr cloneset\/cart -n shop --resume \d{8}-\d{6}-[0-9a-z]{4}/);
    assert.match(line, /not started .*: cloneset\/web/);
    assert.equal(restartTimes(c, 'web').length, 0);
  });

  it('Ctrl-C during the second target: exit 130, and the printed --resume line finishes its run, each pod once', async () => {
    const c = await start(2);
    const p = new PluginProcess(['crr', '-l', 'tier=web', '-c', 'app'], { kubeconfig, timeoutMs: 120_000 });
    await p.waitFor(/--- cloneset\/cart[\s\S]*\nrun \d{8}-\d{6}-[0-9a-z]{4}\n/, 90_000);
    await c.waitFor(() => restartTimes(c, 'cart').length >= 1, 30_000, 'a cart pod restarted');
    p.child.kill('SIGINT');
    const run = await p.done;
    assert.equal(run.code, 130, run.stderr);
    const line = assertOneLineError(run);
    assert.match(line, /1 of 3 workloads done: cloneset\/api complete, cloneset\/cart interrupted, cloneset\/web not-started/);
    const resume = /resume with: kubectl kruise-restart (crr \S+ -n shop --resume \S+)/.exec(line);
    assert.ok(resume, line);
    await c.whenIdle(30_000);
    const again = await runPlugin(resume[1].split(' '), { kubeconfig, timeoutMs: 120_000 });
    assert.equal(again.code, 0, again.stderr);
    assertEachPodOnce(c, 'cart');
    assertEachPodOnce(c, 'api');
    assert.equal(restartTimes(c, 'web').length, 0, 'web was never started');
  });

  it('--resume with several workloads resumes each its own run; an id that is no target\'s latest run is refused', async () => {
    await start();
    const bad = await runPlugin(['crr', 'api', 'cart', '--resume', '20261205-101500-abcd'], { kubeconfig });
    assert.equal(bad.code, 2, bad.stderr);
    assert.match(assertOneLineError(bad), /run 20261205-101500-abcd is the latest run of none of cloneset\/api, cloneset\/cart/);
    for (const args of [['crr', '-l', 'tier=web', '--resume', '20261205-101500-abcd'], ['crr', 'api', 'cart', '--pod', 'api-x'], ['crr', 'api', '--resume', '20261205-101500-abcd', '--resume', '20261205-101500-abce']]) {
      const usage = await runPlugin(args, { kubeconfig });
      assert.equal(usage.code, 2, `${args.join(' ')}: ${usage.stderr}`);
      assertOneLineError(usage);
    }
  });

  it('--all off a terminal needs --yes; with it, every CloneSet of the namespace', async () => {
    const c = await start();
    const refused = await runPlugin(['crr', '--all', '-c', 'app'], { kubeconfig });
    assert.equal(refused.code, 2);
    assert.match(assertOneLineError(refused), /--all restarts 4 CloneSets \(api, cart, db, web\) and needs confirmation: run again with --yes/);
    assert.deepEqual(c.writes(), []);
    const all = await runPlugin(['crr', '--all', '--yes', '-c', 'app', '-o', 'name'], { kubeconfig });
    assert.equal(all.code, 0, all.stderr);
    assert.equal(all.stdout.trim().split('\n').length, 4);
    assertEachPodOnce(c, 'db', 2);
  });
});
