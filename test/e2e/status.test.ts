// `status` end to end on the emulator only (a pty, simulated speeds, the request log); never-restarted, followed and
// diagnosed status run on both backends from test/scenarios/ via test/e2e/scenarios.test.ts.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { VirtualTerminal } from '../vterm';
import { startCluster, type Cluster } from '../cluster/index';
import { BINARY, assertOneLineError, requireBuild, runPlugin, PluginProcess } from './harness';

const NS = 'shop';
const KEY = 'team.example.com/restart-token';
// eslint-disable-next-line no-control-regex
const ANSI = /\x1b\[[0-9;?]*[A-Za-z]/g;

/** Runs the plugin on a real pseudo-terminal of the given size (util-linux `script`), returning everything it drew. */
function onTerminal(args: string[], kubeconfig: string, columns: number, rows: number): Promise<{ code: number | null; screen: string }> {
  const command = `stty cols ${columns} rows ${rows}; exec ${BINARY} --kubeconfig ${kubeconfig} ${args.join(' ')}`;
  return new Promise((resolve) => {
    const child = spawn('script', ['-qfec', command, '/dev/null'], { env: { PATH: process.env.PATH, HOME: process.env.HOME, TERM: 'xterm-256color' } });
    let screen = '';
    child.stdout.on('data', (d: Buffer) => (screen += d.toString()));
    child.on('close', (code) => resolve({ code, screen }));
  });
}

describe('status end to end (built binary, emulated cluster)', function () {
  this.timeout(60_000);
  let cluster: Cluster;
  let kubeconfig: string;

  before(requireBuild);
  beforeEach(async () => {
    cluster = await startCluster({ speed: 20, namespace: NS });
    await cluster.seedCloneSet({ namespace: NS, name: 'web', replicas: 6, strategy: 'InPlaceIfPossible', triggerAnnotation: KEY, maxUnavailable: 2 });
    kubeconfig = cluster.writeKubeconfig({ namespace: NS });
  });
  afterEach(async () => cluster.stop());

  it('says when no restart was ever made, lists the pods, exits 0 and writes nothing', async () => {
    cluster.clearLog();
    const run = await runPlugin(['status', 'web'], { kubeconfig });
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /No restart recorded/);
    assert.equal((run.stdout.match(/web-\w{5}/g) ?? []).length, 6);
    const doc = JSON.parse((await runPlugin(['status', 'web', '-o', 'json'], { kubeconfig })).stdout);
    assert.equal(doc.mode, 'none');
    assert.equal(doc.state, 'none');
    // Nothing reads as a finished restart, and eta is what the README says: seconds or null.
    assert.equal(doc.complete, false);
    assert.equal(doc.eta, null);
    const watched = await runPlugin(['status', 'web', '-w', '--timeout', '5s'], { kubeconfig });
    assert.equal(watched.code, 0, watched.stderr);
    const watchedDoc = JSON.parse((await runPlugin(['status', 'web', '-w', '--timeout', '5s', '-o', 'json'], { kubeconfig })).stdout);
    assert.equal(watchedDoc.outcome, 'none');
    assert.equal(watchedDoc.complete, false);
    assert.deepEqual(cluster.writes(), []);
  });

  it('-w follows a restart to the end with one timestamped line per change (no escape codes), then -o json', async () => {
    // Slow enough that the restart is still running when status starts following it.
    await cluster.stop();
    cluster = await startCluster({ speed: 3, namespace: NS });
    await cluster.seedCloneSet({ namespace: NS, name: 'web', replicas: 6, strategy: 'InPlaceIfPossible', triggerAnnotation: KEY, maxUnavailable: 2 });
    kubeconfig = cluster.writeKubeconfig({ namespace: NS });
    const trigger = await runPlugin(['inplace', 'web', '--no-wait'], { kubeconfig });
    assert.equal(trigger.code, 0, trigger.stderr);
    cluster.clearLog();
    const follow = await runPlugin(['status', 'web', '-w', '--timeout', '30s'], { kubeconfig });
    assert.equal(follow.code, 0, follow.stderr + follow.stdout);
    assert.doesNotMatch(follow.stdout, ANSI);
    const lines = follow.stdout.trim().split('\n');
    assert.ok(lines.every((l) => /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ /.test(l)), follow.stdout);
    assert.ok(lines.some((l) => /pod web-\w{5}: (pending|restarting) -> restarted/.test(l)), follow.stdout);
    assert.match(lines[lines.length - 1], /restart complete: 6 of 6 pods restarted/);
    // Following is list+watch, never polling: one list per resource at most.
    const lists = cluster.requests.filter((r) => r.verb === 'list');
    assert.ok(lists.filter((r) => r.resource === 'pods').length <= 1, JSON.stringify(lists));
    assert.ok(cluster.requests.some((r) => r.verb === 'watch' && r.resource === 'pods'));

    const doc = JSON.parse((await runPlugin(['status', 'web', '-o', 'json'], { kubeconfig })).stdout);
    assert.equal(doc.complete, true);
    assert.equal(doc.failed, false);
    assert.equal(doc.mode, 'inplace');
    assert.deepEqual(Object.keys(doc.summary).filter((k) => ['total', 'restarted', 'restarting', 'pending', 'failed'].includes(k)).length, 5);
    assert.equal(doc.summary.total, 6);
    assert.equal(doc.summary.restarted, 6);
    for (const pod of doc.pods) {
      assert.equal(pod.state, 'restarted');
      assert.equal(pod.ready, true);
      assert.match(pod.name, /^web-/);
    }
    const yamlDoc = (await runPlugin(['status', 'web', '-o', 'yaml'], { kubeconfig })).stdout;
    assert.match(yamlDoc, /^complete: true$/m);
  });

  it('draws a live table in a real terminal that fits its size, redrawn in place, cursor restored', async function () {
    const slow = await startCluster({ speed: 2, namespace: NS });
    try {
      await slow.seedCloneSet({ namespace: NS, name: 'web', replicas: 30, strategy: 'InPlaceIfPossible', triggerAnnotation: KEY, maxUnavailable: '20%' });
      const config = slow.writeKubeconfig({ namespace: NS });
      const { code, screen } = await onTerminal(['inplace', 'web', '--timeout', '40s'], config, 100, 20);
      assert.equal(code, 0, screen);
      assert.ok(screen.includes('\x1b[?25l'), 'cursor hidden while live');
      assert.ok(screen.includes('\x1b[?25h'), 'cursor shown again at the end');
      // eslint-disable-next-line no-control-regex
      assert.match(screen, /\x1b\[\d*A|\x1b\[\d*F/, 'redrawn in place (cursor moved up)');
      // What the terminal shows at the end: the frame is redrawn line by line in place, so replay it.
      const terminal = new VirtualTerminal(100, 20);
      terminal.write(screen.replace(/\r\n/g, '\n'));
      const shown = [...terminal.scrollback, ...terminal.snapshot().screen].map((l) => l.trimEnd()).join('\n');
      const final = shown.slice(shown.lastIndexOf('CloneSet shop/web  '));
      const frameLines = final.split('\n').filter((l) => l.trim());
      assert.ok(frameLines.length <= 20, `frame of ${frameLines.length} lines:\n${final}`);
      assert.ok(frameLines.every((l) => l.length <= 100), final);
      assert.match(final, /POD\s+NODE\s+READY\s+STATE/);
      assert.match(final, /30\/30 restarted/);
      assert.match(final, /more/, 'pods that do not fit are folded into a summary');
    } finally {
      await slow.stop();
    }
  });

  it('exits 3 on --timeout and 130 on Ctrl-C, saying the restart carries on and how to follow it', async () => {
    const slow = await startCluster({ speed: 1, namespace: NS, restartSeconds: 2, readySeconds: 5 });
    try {
      await slow.seedCloneSet({ namespace: NS, name: 'web', replicas: 4, strategy: 'InPlaceIfPossible', triggerAnnotation: KEY, maxUnavailable: 1 });
      const config = slow.writeKubeconfig({ namespace: NS });
      assert.equal((await runPlugin(['inplace', 'web', '--no-wait'], { kubeconfig: config })).code, 0);
      const timedOut = await runPlugin(['status', 'web', '-w', '--timeout', '1s'], { kubeconfig: config });
      assert.equal(timedOut.code, 3, timedOut.stderr);
      assert.match(assertOneLineError(timedOut), /timed out.*carries on.*status web -n shop -w/);
      const watching = new PluginProcess(['status', 'web', '-w'], { kubeconfig: config });
      await watching.waitFor(/cloneset web:/);
      watching.child.kill('SIGINT');
      const interrupted = await watching.done;
      assert.equal(interrupted.code, 130, interrupted.stderr);
      assert.match(assertOneLineError(interrupted), /stopped watching.*carries on/);
    } finally {
      await slow.stop();
    }
  });

  it('exits 1 for a failed restart, with the diagnosis', async () => {
    cluster.knobs.setGate(false);
    const run = await runPlugin(['inplace', 'web', '--no-wait'], { kubeconfig });
    assert.equal(run.code, 0);
    await cluster.whenIdle();
    const status = await runPlugin(['status', 'web'], { kubeconfig });
    assert.equal(status.code, 1, status.stdout);
    assert.match(status.stdout, /InPlaceUpdateEnvFromMetadata/);
  });
});
