import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BINARY, assertOneLineError, requireBuild, runPlugin } from './harness';

function hasKubectl(): boolean {
  return spawnSync('kubectl', ['version', '--client'], { stdio: 'ignore' }).status === 0;
}

describe('the built binary (no cluster needed)', function () {
  before(requireBuild);

  it('prints help with every subcommand, the global flags and the exit codes', async () => {
    const run = await runPlugin(['--help']);
    assert.equal(run.code, 0);
    for (const word of ['inplace', 'crr', 'status', 'version', '--kubeconfig', '--context', '--namespace', '--request-timeout', '--as-group', 'Exit codes', '130']) {
      assert.ok(run.stdout.includes(word), `help lacks ${word}`);
    }
  });

  it('prints help with examples for each subcommand', async () => {
    for (const cmd of ['inplace', 'crr', 'status']) {
      const run = await runPlugin([cmd, '--help']);
      assert.equal(run.code, 0, run.stderr);
      assert.match(run.stdout, /Examples:/);
      assert.match(run.stdout, new RegExp(`kubectl kruise-restart ${cmd} <cloneset>`));
    }
  });

  it('prints its version, commit and Node runtime', async () => {
    const line = (await runPlugin(['--version'])).stdout;
    assert.match(line, /^kubectl-kruise_restart v\d+\.\d+\.\d+ \(commit \S+, node v22\.\d+\.\d+, linux\/x64\)\n$/);
    const doc = JSON.parse((await runPlugin(['version', '-o', 'json'])).stdout);
    assert.match(doc.version, /^v\d/);
  });

  it('rejects an unknown flag and a missing argument with exit 2 and one line', async () => {
    for (const args of [['status', 'web', '--bogus'], ['status'], [], ['inplace', 'web', '-o', 'xml']]) {
      const run = await runPlugin(args);
      assert.equal(run.code, 2, `${args.join(' ')}: ${run.stderr}`);
      assertOneLineError(run);
    }
  });

  it('rejects invalid names and durations before reading any kubeconfig', async () => {
    for (const args of [['status', 'Web_Bad'], ['status', 'web', '-w', '--timeout', 'soon'], ['status', 'web', '--request-timeout', '-1']]) {
      const run = await runPlugin(args, { env: { KUBECONFIG: '/nonexistent' } });
      assert.equal(run.code, 2, `${args.join(' ')}: ${run.stderr}`);
      assertOneLineError(run);
    }
  });

  it('says clearly when there is no kubeconfig, or the context does not exist', async () => {
    const home = mkdtempSync(join(tmpdir(), 'kr-home-'));
    const none = await runPlugin(['status', 'web'], { env: { HOME: home } });
    assert.equal(none.code, 2);
    assert.match(assertOneLineError(none), /no kubeconfig found/);
    const cfg = join(home, 'cfg');
    writeFileSync(cfg, 'apiVersion: v1\nkind: Config\nclusters: []\ncontexts: []\nusers: []\ncurrent-context: ""\n');
    const ctx = await runPlugin(['status', 'web', '--context', 'nope'], { kubeconfig: cfg });
    assert.equal(ctx.code, 2);
    assert.match(assertOneLineError(ctx), /context "nope" does not exist/);
  });

  it('runs the esbuild bundle under the system node too', async () => {
    const run = await runPlugin(['--version'], { node: '/usr/bin/node' });
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /node v\d+/);
  });

  it('is found by kubectl as a plugin on PATH', function () {
    if (!hasKubectl()) this.skip();
    const bin = mkdtempSync(join(tmpdir(), 'kr-path-'));
    symlinkSync(BINARY, join(bin, 'kubectl-kruise_restart'));
    const env = { ...process.env, PATH: `${bin}:${process.env.PATH}` };
    const help = execFileSync('kubectl', ['kruise-restart', '--help'], { env }).toString();
    assert.match(help, /kubectl kruise-restart <command>/);
    const list = execFileSync('kubectl', ['plugin', 'list'], { env, stdio: ['ignore', 'pipe', 'ignore'] }).toString();
    assert.ok(list.includes(join(bin, 'kubectl-kruise_restart')));
  });
});
