// `inplace --setup` asks before recreating every pod. Asked on a real terminal (a pty from util-linux `script`),
// against the single executable: the prompt once crashed there on a dynamic import that works everywhere else.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { startCluster, type Cluster } from '../cluster/index';
import { BINARY, BUNDLE, requireBuild } from './harness';
import { PLUGIN } from '../../src/kruise/types';

const NS = 'shop';

interface PtyRun {
  code: number | null;
  output: string;
}

function shellQuote(word: string): string {
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

/** Runs the binary on a pty; once the prompt shows, types `keys` as a user would. */
function onTerminal(args: string[], keys: string, program: string[] = [BINARY]): Promise<PtyRun> {
  const command = [...program, ...args].map(shellQuote).join(' ');
  // -e: script exits with the command's status; -f: the prompt reaches us before an answer is typed.
  const child = spawn('script', ['-qefc', command, '/dev/null'], { env: { PATH: process.env.PATH, HOME: process.env.HOME, NO_COLOR: '1', TERM: 'xterm' } });
  let output = '';
  let typed = false;
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`no exit within 30 s; output:\n${output}`));
    }, 30_000);
    child.stdout.on('data', (d: Buffer) => {
      output += d.toString();
      if (!typed && output.includes('[y/N]')) {
        typed = true;
        child.stdin.write(keys);
      }
    });
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    child.on('close', (code) => {
      clearTimeout(timer);
      child.stdin.destroy();
      resolve({ code, output });
    });
  });
}

describe('the --setup confirmation on a real terminal (single executable)', function () {
  this.timeout(90_000);
  let cluster: Cluster;
  let kubeconfig: string;

  before(async function () {
    if (spawnSync('script', ['--version'], { stdio: 'ignore' }).status !== 0) this.skip();
    requireBuild();
    cluster = await startCluster({ speed: 50, namespace: NS });
    kubeconfig = cluster.writeKubeconfig({ namespace: NS });
  });

  after(async () => {
    await cluster?.stop();
  });

  const setup = async (name: string, keys: string, program?: string[]) => {
    await cluster.seedCloneSet({ namespace: NS, name, replicas: 2, strategy: 'InPlaceIfPossible' });
    cluster.clearLog();
    return onTerminal(['--kubeconfig', kubeconfig, 'inplace', name, '--setup', '--no-wait'], keys, program);
  };
  const patches = () => cluster.writes().filter((w) => w.method === 'PATCH');

  it('y: adds the wiring and restarts', async () => {
    const run = await setup('yes', 'y\r');
    assert.equal(run.code, 0, run.output);
    assert.doesNotMatch(run.output, /ERR_VM_DYNAMIC_IMPORT|unexpected failure/);
    assert.ok(patches().length >= 1, `no patch after y:\n${run.output}`);
  });

  it('n: changes nothing, exit 2', async () => {
    const run = await setup('no', 'n\r');
    assert.equal(run.code, 2, run.output);
    assert.match(run.output, /error: setup not confirmed: nothing was changed/);
    assert.deepEqual(cluster.writes(), []);
  });

  it('Enter alone is the default, no', async () => {
    const run = await setup('enter', '\r');
    assert.equal(run.code, 2, run.output);
    assert.deepEqual(cluster.writes(), []);
  });

  it('Ctrl-C: interrupted, nothing changed, exit 130', async () => {
    const run = await setup('ctrlc', '\x03');
    assert.equal(run.code, 130, run.output);
    assert.match(run.output, /error: interrupted before confirming: nothing was changed/);
    assert.deepEqual(cluster.writes(), []);
  });

  it('Ctrl-D (end of input): a no, exit 2', async () => {
    const run = await setup('eof', '\x04');
    assert.equal(run.code, 2, run.output);
    assert.match(run.output, /setup not confirmed/);
    assert.deepEqual(cluster.writes(), []);
  });

  it('the bundle under the system node answers the same (Ctrl-D, then y)', async function () {
    if (spawnSync('/usr/bin/node', ['--version'], { stdio: 'ignore' }).status !== 0) this.skip();
    const eof = await setup('bundle-eof', '\x04', ['/usr/bin/node', BUNDLE]);
    assert.equal(eof.code, 2, eof.output);
    assert.deepEqual(cluster.writes(), []);
    const yes = await setup('bundle-yes', 'y\r', ['/usr/bin/node', BUNDLE]);
    assert.equal(yes.code, 0, yes.output);
  });
});

describe('the --all confirmation on a real terminal (single executable)', function () {
  this.timeout(90_000);
  const FLEET = 'fleet';
  let cluster: Cluster;
  let kubeconfig: string;

  before(async function () {
    if (spawnSync('script', ['--version'], { stdio: 'ignore' }).status !== 0) this.skip();
    requireBuild();
    cluster = await startCluster({ speed: 50, namespace: FLEET });
    kubeconfig = cluster.writeKubeconfig({ namespace: FLEET });
    for (const name of ['api', 'web']) await cluster.seedCloneSet({ namespace: FLEET, name, replicas: 2, strategy: 'InPlaceIfPossible', triggerAnnotation: PLUGIN.defaultTriggerAnnotation });
  });

  after(async () => {
    await cluster?.stop();
  });

  const all = async (keys: string) => {
    await cluster.whenIdle(30_000);
    cluster.clearLog();
    return onTerminal(['--kubeconfig', kubeconfig, 'inplace', '--all', '--no-wait'], keys);
  };
  const patched = () => cluster.writes().filter((w) => w.method === 'PATCH' && w.resource === 'clonesets').map((w) => w.name);

  it('asks naming every workload; n: nothing changed, exit 2', async () => {
    const run = await all('n\r');
    assert.equal(run.code, 2, run.output);
    assert.match(run.output, /Restart all 2 CloneSets in namespace fleet \(api, web\)\? \[y\/N\]/);
    assert.match(run.output, /error: not confirmed: nothing was changed/);
    assert.deepEqual(cluster.writes(), []);
  });

  it('Ctrl-C: interrupted, nothing changed, exit 130', async () => {
    const run = await all('\x03');
    assert.equal(run.code, 130, run.output);
    assert.match(run.output, /error: interrupted before confirming: nothing was changed/);
    assert.deepEqual(cluster.writes(), []);
  });

  it('Ctrl-D (end of input): a no, exit 2', async () => {
    const run = await all('\x04');
    assert.equal(run.code, 2, run.output);
    assert.match(run.output, /not confirmed/);
    assert.deepEqual(cluster.writes(), []);
  });

  it('y: restarts every CloneSet of the namespace', async () => {
    const run = await all('y\r');
    assert.equal(run.code, 0, run.output);
    assert.match(run.output, /2 of 2 workloads done: cloneset\/api started, cloneset\/web started/);
    assert.deepEqual([...new Set(patched())].sort(), ['api', 'web']);
  });
});
