// The shipped binary used hard, as an SRE at 3 a.m. would: each test here is a problem found that way, pinned after
// its fix (built binary, emulated cluster).
import assert from 'node:assert/strict';
import type { Cluster } from '../cluster/index';
import { readRecord } from '../../src/kruise/record';
import type { CloneSet, ContainerRecreateRequest, Pod } from '../../src/kruise/types';
import { PluginProcess, assertOneLineError, runPlugin, useEmulatedCluster } from './harness';

const NS = 'default';

describe('used hard (built binary, emulated cluster)', function () {
  this.timeout(180_000);
  let cluster: Cluster;
  let kubeconfig: string;
  useEmulatedCluster(NS, (c, k) => {
    cluster = c;
    kubeconfig = k;
  });

  it('a dry run with -o name says the restart is planned, not done, for inplace and crr, and writes nothing', async () => {
    await cluster.seedCloneSet({ name: 'web', replicas: 3, strategy: 'InPlaceIfPossible', containers: ['app'], triggerAnnotation: 'kruise-restart.dev/restarted-at' });
    cluster.clearLog();
    for (const args of [['inplace', 'web', '--dry-run'], ['crr', 'web', '--dry-run=server'], ['inplace', 'web', '--dry-run=server']]) {
      const run = await runPlugin([...args, '-o', 'name'], { kubeconfig });
      assert.equal(run.code, 0, run.stderr);
      assert.equal(run.stdout, 'cloneset.apps.kruise.io/web restart planned (dry run)\n', args.join(' '));
      assert.doesNotMatch(run.stderr, /complete|restarted/, run.stderr);
    }
    assert.deepEqual(cluster.writes().filter((w) => !w.dryRun), []);
  });

  it('one workload refused under -o name gets its own refusal line, not "1 of 1 workload refused ... restart the others"', async () => {
    await cluster.seedCloneSet({ name: 'web', replicas: 2, containers: ['app'] });
    cluster.clearLog();
    const run = await runPlugin(['crr', 'web', '-c', 'nope', '-o', 'name'], { kubeconfig });
    assert.equal(run.code, 2, run.stderr);
    assert.match(assertOneLineError(run), /^error: CloneSet "web" has no container "nope": use -c with one of: app$/);
    assert.deepEqual(cluster.writes(), []);
  });

  it('a staged crr run stopped with Ctrl-C during its pause names the same way on as status: --continue', async () => {
    await cluster.seedCloneSet({ name: 'web', replicas: 6, containers: ['app'], maxUnavailable: 2 });
    const staged = new PluginProcess(['crr', 'web', '--batches', '3', '--pause', '10m'], { kubeconfig, timeoutMs: 120_000 });
    await staged.waitFor(/pausing 10m/, 90_000);
    assert.match(staged.stderr, /resume with: kubectl kruise-restart crr web -n default --continue\)/);
    staged.child.kill('SIGINT');
    const stopped = await staged.done;
    assert.equal(stopped.code, 130, stopped.stderr);
    assert.match(assertOneLineError(stopped), /: resume with: kubectl kruise-restart crr web -n default --continue$/);
    const status = JSON.parse((await runPlugin(['status', 'web', '-o', 'json'], { kubeconfig })).stdout) as { resume?: string; stage?: { next?: string } };
    assert.equal(status.resume ?? status.stage?.next, 'kubectl kruise-restart crr web -n default --continue');
  });

  it('crr stops creating requests when its heartbeat cannot be renewed (the API server gone): exit 1, the resume command; resumed once the server is back', async () => {
    await cluster.seedCloneSet({ name: 'web', replicas: 4, containers: ['app'], maxUnavailable: 1 });
    // The first restarted pod stays unready for a long while: the run is mid-way when the server goes.
    for (const pod of cluster.list<Pod>('pods', NS)) await cluster.knobs.readyDelay(pod.metadata.name as string, 10_000);
    const driver = new PluginProcess(['crr', 'web', '--max-unavailable', '1', '--active-deadline', '100000', '--ready-timeout', '24h'], { kubeconfig, timeoutMs: 170_000 });
    await cluster.waitFor(() => cluster.list<ContainerRecreateRequest>('containerrecreaterequests', NS).length === 1 && readRecord(cluster.get<CloneSet>('clonesets', NS, 'web') as CloneSet) !== undefined, 30_000, 'the first request');
    // Every new connection is reset from now on, as when the API server or the network to it goes away.
    cluster.faults.resets(1);
    const stopped = await driver.done;
    assert.equal(stopped.code, 1, stopped.stderr);
    const id = readRecord(cluster.get<CloneSet>('clonesets', NS, 'web') as CloneSet)!.run;
    assert.match(assertOneLineError(stopped), new RegExp(`stopped creating requests: the heartbeat of run ${id} could not be renewed for \\d+s.*: once the cluster answers again, resume with: kubectl kruise-restart crr web -n default --resume ${id}$`));
    assert.equal(cluster.list<ContainerRecreateRequest>('containerrecreaterequests', NS).length, 1);

    // Back again: the run is taken up at once (its process is provably gone) and goes on where it stopped.
    cluster.faults.clear();
    const resumed = await runPlugin(['crr', 'web', '--resume', id, '--timeout', '5s'], { kubeconfig, timeoutMs: 60_000 });
    assert.equal(resumed.code, 3, resumed.stderr);
    assert.match(resumed.stderr, new RegExp(`^run ${id}: its process \\(pid ${driver.child.pid} on \\S+\\) is gone, so it is resumed at once$`, 'm'));
  });
});
