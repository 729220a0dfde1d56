// Emulator only (request latency, heartbeat ages in simulated time). Two runs started in the same instant also run on
// both backends from test/scenarios/reliability.ts.
// One restart of a CloneSet at a time, whoever starts it: two processes pressing Enter in the same instant (every
// pair of inplace and crr, both orders) end with exactly one restart, and the other exits 2 having written nothing.
// An interrupted crr run is `interrupted` everywhere, and a run whose record was replaced says by what.
import assert from 'node:assert/strict';
import { startCluster, type Cluster } from '../cluster/index';
import { readRecord } from '../../src/kruise/record';
import { PLUGIN, type CloneSet, type ContainerRecreateRequest } from '../../src/kruise/types';
import { PluginProcess, assertOneLineError, requireBuild, runPlugin, type PluginRun } from './harness';

const NS = 'default';
const KEY = 'team.example.com/restart-token';

/** Wired for in-place restarts, with the trigger annotation already in the template (as after a first restart). */
async function seedWired(cluster: Cluster, replicas = 4): Promise<void> {
  await cluster.seedCloneSet({
    name: 'web',
    replicas,
    strategy: 'InPlaceIfPossible',
    maxUnavailable: 1,
    template: {
      metadata: { labels: { app: 'web' }, annotations: { [KEY]: 'seed' } },
      spec: {
        containers: ['app', 'sidecar'].map((name) => ({
          name,
          image: 'nginx:1.27',
          ...(name === 'app' ? { env: [{ name: 'RESTARTED_AT', valueFrom: { fieldRef: { fieldPath: `metadata.annotations['${KEY}']` } } }] } : {}),
        })),
      },
    },
  });
}

function cloneSetOf(cluster: Cluster): CloneSet {
  return cluster.get<CloneSet>('clonesets', NS, 'web') as CloneSet;
}

function crrsOf(cluster: Cluster): ContainerRecreateRequest[] {
  return cluster.list<ContainerRecreateRequest>('containerrecreaterequests', NS);
}

const COMMANDS = {
  inplace: ['inplace', 'web', '--no-wait'],
  crr: ['crr', 'web', '-c', 'sidecar', '--max-unavailable', '1'],
} as const;

type Kind = keyof typeof COMMANDS;

describe('one restart at a time (built binary, emulated cluster)', function () {
  this.timeout(120_000);
  let cluster: Cluster | undefined;

  before(requireBuild);
  afterEach(async () => {
    await cluster?.stop();
    cluster = undefined;
  });

  const pairs: [Kind, Kind][] = [
    ['inplace', 'crr'],
    ['crr', 'inplace'],
    ['crr', 'crr'],
    ['inplace', 'inplace'],
  ];
  for (const [a, b] of pairs) {
    it(`${a} and ${b} started in the same instant: exactly one restarts, the other exits 2 and writes nothing`, async () => {
      // Some latency per request, so both processes have read the CloneSet before either writes.
      const c = (cluster = await startCluster({ speed: 20, namespace: NS, latencyMs: 20 }));
      await seedWired(c);
      c.clearLog();
      const kubeconfig = c.kubeconfigPath;
      const first = new PluginProcess([...COMMANDS[a]], { kubeconfig, timeoutMs: 90_000 });
      const second = new PluginProcess([...COMMANDS[b]], { kubeconfig, timeoutMs: 90_000 });
      const runs: [Kind, PluginRun][] = [
        [a, await first.done],
        [b, await second.done],
      ];
      const winners = runs.filter(([, r]) => r.code === 0);
      const losers = runs.filter(([, r]) => r.code !== 0);
      assert.equal(winners.length, 1, runs.map(([k, r]) => `${k}: exit ${r.code}\n${r.stderr}`).join('\n'));
      const [[winner], [loser, lost]] = [winners[0], losers[0]];
      assert.equal(lost.code, 2, lost.stderr);
      const record = readRecord(cloneSetOf(c));
      assert.ok(record, 'the winner left its record');
      assert.equal(record.mode, winner);
      const line = assertOneLineError(lost);
      // The refusal names the other run, who started it, when, and what ends it.
      assert.ok(line.includes(record.run), line);
      assert.ok(line.includes(record.startedAt), line);
      assert.match(line, /by admin/);
      assert.match(line, winner === 'crr' ? /crr run .*status web -n default -w|--resume/ : /restarted in place.*status web -n default -w/);
      assert.match(line, /--force/);
      // Nothing of a run is printed before its claim is won: the loser started no run, so it names none of its own.
      assert.doesNotMatch(lost.stderr, /^(run \S+|restarting .*|resuming: .*)$/m, lost.stderr);

      const trigger = cloneSetOf(c).spec.template.metadata?.annotations?.[KEY];
      const crrs = crrsOf(c);
      if (winner === 'inplace') {
        assert.equal(crrs.length, 0, 'no CRR was created');
        assert.equal(trigger, record.run);
        // One trigger write in all: the loser's patch never landed.
        const triggers = c.writes().filter((w) => w.resource === 'clonesets' && w.verb === 'patch');
        assert.equal(triggers.length, 1, JSON.stringify(triggers));
      } else {
        assert.equal(trigger, 'seed', 'no in-place trigger was written');
        assert.ok(crrs.length > 0);
        assert.deepEqual([...new Set(crrs.map((x) => x.metadata.labels?.[PLUGIN.runLabel]))], [record.run], 'every CRR belongs to the one run');
      }
      assert.equal(c.restartLog.filter((r) => r.cause === (loser === 'crr' ? 'crr' : 'inplace') && loser !== winner).length, 0, 'the loser restarted nothing');
    });
  }

  it('an unfinished crr run blocks inplace (exit 2, no write) until resumed; --force replaces it, and --resume then names what replaced it', async () => {
    const c = (cluster = await startCluster({ speed: 2, namespace: NS, restartSeconds: 4 }));
    await seedWired(c, 6);
    const kubeconfig = c.kubeconfigPath;
    const stopped = await runPlugin(['crr', 'web', '-c', 'sidecar', '--max-unavailable', '1', '--timeout', '3s'], { kubeconfig, timeoutMs: 30_000 });
    assert.equal(stopped.code, 3, stopped.stderr);
    const id = readRecord(cloneSetOf(c))!.run;

    c.clearLog();
    const refused = await runPlugin(['inplace', 'web', '--no-wait'], { kubeconfig });
    assert.equal(refused.code, 2, refused.stderr);
    const line = assertOneLineError(refused);
    assert.match(line, new RegExp(`unfinished crr run ${id}.*interrupted.*finish it with: kubectl kruise-restart crr web -n default --resume ${id}`));
    assert.deepEqual(c.writes(), [], 'nothing written');

    // With --force, the risk is said and the record replaced; the old run's --resume then says by what.
    const forced = await runPlugin(['inplace', 'web', '--no-wait', '--force'], { kubeconfig });
    assert.equal(forced.code, 0, forced.stderr);
    assert.match(forced.stderr, /warning: .*abandoning crr run|warning: --force/);
    const replacing = readRecord(cloneSetOf(c))!;
    assert.equal(replacing.mode, 'inplace');
    const resume = await runPlugin(['crr', 'web', '--resume', id], { kubeconfig });
    assert.equal(resume.code, 2, resume.stderr);
    const why = assertOneLineError(resume);
    assert.ok(why.includes(`replaced by inplace run ${replacing.run}`), why);
    assert.ok(why.includes(replacing.startedAt), why);
  });

  it('a stopped crr run is interrupted in status (every format), not in progress: no ETA, exit 1, the resume command; status -w --timeout does not say it carries on', async () => {
    const c = (cluster = await startCluster({ speed: 2, namespace: NS, restartSeconds: 4 }));
    await seedWired(c, 6);
    const kubeconfig = c.kubeconfigPath;
    const stopped = await runPlugin(['crr', 'web', '-c', 'sidecar', '--max-unavailable', '1', '--timeout', '3s'], { kubeconfig, timeoutMs: 30_000 });
    assert.equal(stopped.code, 3, stopped.stderr);
    const id = readRecord(cloneSetOf(c))!.run;
    const resume = `kubectl kruise-restart crr web -n default --resume ${id}`;
    await new Promise((r) => setTimeout(r, 3000));

    const json = await runPlugin(['status', 'web', '-o', 'json'], { kubeconfig });
    assert.equal(json.code, 1, json.stderr);
    const doc = JSON.parse(json.stdout);
    assert.equal(doc.state, 'interrupted');
    assert.equal(doc.eta, null);
    assert.equal(doc.resume, resume);
    assert.equal(doc.complete, false);

    const yaml = await runPlugin(['status', 'web', '-o', 'yaml'], { kubeconfig });
    assert.match(yaml.stdout, /^state: interrupted$/m);

    const lines = await runPlugin(['status', 'web'], { kubeconfig });
    assert.equal(lines.code, 1);
    assert.match(lines.stdout, /interrupted/);
    assert.ok(lines.stdout.includes(resume), lines.stdout);
    assert.doesNotMatch(lines.stdout, /in progress|ETA/);

    const watch = await runPlugin(['status', 'web', '-w', '--timeout', '2s'], { kubeconfig });
    assert.equal(watch.code, 3, watch.stderr);
    const end = assertOneLineError(watch);
    assert.doesNotMatch(end, /carries on/);
    assert.ok(end.includes(resume), end);
    assert.match(watch.stdout, /interrupted/);
    assert.doesNotMatch(watch.stdout, /ETA/);

    // Resumed, it finishes; the state is complete again.
    const resumed = await runPlugin(['crr', 'web', '--resume', id], { kubeconfig, timeoutMs: 60_000 });
    assert.equal(resumed.code, 0, resumed.stderr);
    const after = JSON.parse((await runPlugin(['status', 'web', '-o', 'json'], { kubeconfig })).stdout);
    assert.equal(after.state, 'complete');
  });

  it('a crr process killed with SIGKILL: in progress while its heartbeat is fresh, interrupted once it is 30 s old', async function () {
    this.timeout(90_000);
    const c = (cluster = await startCluster({ speed: 1, namespace: NS, restartSeconds: 3 }));
    await seedWired(c, 6);
    const kubeconfig = c.kubeconfigPath;
    const driver = new PluginProcess(['crr', 'web', '-c', 'sidecar', '--max-unavailable', '1'], { kubeconfig, timeoutMs: 90_000 });
    await c.waitFor(() => readRecord(cloneSetOf(c))?.heartbeatAt !== undefined && crrsOf(c).length > 0, 20_000, 'the run record and a CRR');
    driver.child.kill('SIGKILL');
    await driver.done;
    const killedAt = Date.now();
    const id = readRecord(cloneSetOf(c))!.run;
    const fresh = JSON.parse((await runPlugin(['status', 'web', '-o', 'json'], { kubeconfig })).stdout);
    assert.equal(fresh.state, 'in-progress', 'a fresh heartbeat: maybe still driven elsewhere');
    await new Promise((r) => setTimeout(r, Math.max(0, killedAt + 36_000 - Date.now())));
    const stale = await runPlugin(['status', 'web', '-o', 'json'], { kubeconfig });
    assert.equal(stale.code, 1, stale.stderr);
    const doc = JSON.parse(stale.stdout);
    assert.equal(doc.state, 'interrupted', doc.message);
    assert.equal(doc.resume, `kubectl kruise-restart crr web -n default --resume ${id}`);
    const resumed = await runPlugin(['crr', 'web', '--resume', id], { kubeconfig, timeoutMs: 60_000 });
    assert.equal(resumed.code, 0, resumed.stderr);
  });

  it('a running crr run is not interrupted elsewhere, and a second --resume of it is refused while it is driven', async () => {
    const c = (cluster = await startCluster({ speed: 2, namespace: NS, restartSeconds: 4 }));
    await seedWired(c, 4);
    const kubeconfig = c.kubeconfigPath;
    const driver = new PluginProcess(['crr', 'web', '-c', 'sidecar', '--max-unavailable', '1'], { kubeconfig, timeoutMs: 90_000 });
    try {
      await driver.waitFor(/^run \S+$/m);
      await c.waitFor(() => readRecord(cloneSetOf(c)) !== undefined && crrsOf(c).length > 0, 20_000, 'the first CRR');
      const id = readRecord(cloneSetOf(c))!.run;
      const doc = JSON.parse((await runPlugin(['status', 'web', '-o', 'json'], { kubeconfig })).stdout);
      assert.equal(doc.state, 'in-progress');
      assert.equal(typeof doc.heartbeatAt, 'string');
      const second = await runPlugin(['crr', 'web', '--resume', id], { kubeconfig });
      assert.equal(second.code, 2, second.stderr);
      // Its process is alive on this very machine: refused, saying so and how long a dead one would take to show.
      assert.match(assertOneLineError(second), new RegExp(`may still be driven by a running process .*its process \\(pid ${driver.child.pid} on \\S+\\) is still running\\).*resume in \\d+s, once its heartbeat is 30s old, or now with --force`));
    } finally {
      driver.child.kill('SIGINT');
      await driver.done;
    }
  });
});
