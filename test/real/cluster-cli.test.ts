// `npm run cluster -- --real`: the standalone real cluster a developer starts by hand. It prints the same KUBECONFIG=
// line as the emulator, the real kubectl and the plugin work against it, and Ctrl-C/SIGTERM stops every process and
// removes its folder (kubeconfigs hold tokens). Skipped (one line) when Go is missing.
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { ROOT, requireBuild, runPlugin } from '../e2e/harness';
import { realTierOrSkip } from './tier';

const TSX = join(ROOT, 'node_modules', '.bin', 'tsx');
const MAIN = join(ROOT, 'test', 'cluster', 'main.ts');

describe('real cluster: npm run cluster -- --real', function () {
  this.timeout(300_000);

  before(function () {
    this.timeout(90 * 60_000);
    realTierOrSkip(this);
    requireBuild();
  });

  it('refuses the emulator-only flags in one line, starting nothing', () => {
    let err: { status?: number; stderr?: string } = {};
    try {
      execFileSync(TSX, [MAIN, '--real', '--speed', '5'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    } catch (e) {
      err = e as typeof err;
    }
    assert.equal(err.status, 2);
    assert.equal(err.stderr?.trim(), 'error: --speed only apply to the emulator; drop them or drop --real');
  });

  it('prints KUBECONFIG=, serves kubectl and the plugin, and SIGTERM removes its folder', async () => {
    const child = spawn(TSX, [MAIN, '--real', '--replicas', '2', '--namespace', 'shop', '--nodes', '1', '--max-unavailable', '1'], { stdio: ['ignore', 'pipe', 'pipe'], env: process.env });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    try {
      const deadline = Date.now() + 240_000;
      while (!/^KUBECONFIG=/m.test(stdout)) {
        if (child.exitCode !== null) assert.fail(`exited ${child.exitCode} before KUBECONFIG=:\n${stderr}`);
        if (Date.now() > deadline) assert.fail(`no KUBECONFIG= line within 240 s:\n${stderr}`);
        await new Promise((r) => setTimeout(r, 200));
      }
      const kubeconfig = /^KUBECONFIG=(.+)$/m.exec(stdout)![1];
      assert.match(stderr, /real cluster ready in \d+\.\d+s/);
      const kubectl = (...args: string[]) => execFileSync('kubectl', ['--kubeconfig', kubeconfig, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
      // The context's namespace is the one asked for, and the seeded CloneSet is there, settled.
      const cs = JSON.parse(kubectl('get', 'clone', 'web', '-o', 'json')) as { status: { readyReplicas: number; availableReplicas: number } };
      assert.deepEqual([cs.status.readyReplicas, cs.status.availableReplicas], [2, 2]);
      const pods = kubectl('get', 'pods', '--no-headers').trim().split('\n');
      assert.equal(pods.length, 2, pods.join('\n'));
      assert.ok(pods.every((l) => /\s1\/1\s+Running\s/.test(l)), pods.join('\n'));
      assert.equal(kubectl('auth', 'can-i', 'patch', 'clonesets.apps.kruise.io').trim(), 'yes');
      const run = await runPlugin(['inplace', 'web'], { kubeconfig, timeoutMs: 180_000 });
      assert.equal(run.code, 0, run.stderr + run.stdout);
      assert.match(run.stdout, /restart complete/);

      child.kill('SIGTERM');
      assert.equal(await exited, 0, stderr);
      assert.equal(existsSync(dirname(kubeconfig)), false, 'the cluster folder (certificates, tokens) is removed');
    } finally {
      if (child.exitCode === null) {
        child.kill('SIGTERM');
        await exited;
      }
    }
  });
});
