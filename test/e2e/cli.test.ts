import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { BINARY, DIST, assertOneLineError, requireBuild, runPlugin } from './harness';

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

  it('prints the help rendered at build time exactly as the parser renders it', async () => {
    // The parser's own bundle run on each line (yargs exits the process after help): what the executable prints when
    // no rendered help fits (a terminal narrower than 120 columns, a help line with other flags).
    const lines = [['--help'], ['-h'], ...['inplace', 'crr', 'status', 'version', 'completion'].flatMap((c) => [[c, '--help'], [c, '-h']])];
    const parser = `require(${JSON.stringify(join(DIST, 'kruise-restart.cli.cjs'))}).main(JSON.parse(process.argv[1]), { stdout: process.stdout, stderr: process.stderr, env: {}, interrupted: new AbortController().signal }).then((code) => process.exit(code));`;
    for (const line of lines) {
      const byParser = spawnSync(process.execPath, ['-e', parser, JSON.stringify(line)], { encoding: 'utf8' });
      const run = await runPlugin(line);
      assert.equal(run.code, byParser.status, line.join(' '));
      assert.ok(run.stdout.length > 200, line.join(' '));
      assert.equal(run.stdout, byParser.stdout, line.join(' '));
      assert.equal(run.stderr, '', line.join(' '));
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
    try {
      const none = await runPlugin(['status', 'web'], { env: { HOME: home } });
      assert.equal(none.code, 2);
      assert.match(assertOneLineError(none), /no kubeconfig found/);
      const cfg = join(home, 'cfg');
      writeFileSync(cfg, 'apiVersion: v1\nkind: Config\nclusters: []\ncontexts: []\nusers: []\ncurrent-context: ""\n');
      const ctx = await runPlugin(['status', 'web', '--context', 'nope'], { kubeconfig: cfg });
      assert.equal(ctx.code, 2);
      assert.match(assertOneLineError(ctx), /context "nope" does not exist/);
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  });

  it('runs the esbuild bundle under the system node too', async () => {
    const run = await runPlugin(['--version'], { node: '/usr/bin/node' });
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /node v\d+/);
  });

  it('is found by kubectl as a plugin on PATH', function () {
    if (!hasKubectl()) this.skip();
    const bin = mkdtempSync(join(tmpdir(), 'kr-path-'));
    try {
      symlinkSync(BINARY, join(bin, 'kubectl-kruise_restart'));
      const env = { ...process.env, PATH: `${bin}:${process.env.PATH}` };
      const help = execFileSync('kubectl', ['kruise-restart', '--help'], { env }).toString();
      assert.match(help, /kubectl kruise-restart <command>/);
      const list = execFileSync('kubectl', ['plugin', 'list'], { env, stdio: ['ignore', 'pipe', 'ignore'] }).toString();
      assert.ok(list.includes(join(bin, 'kubectl-kruise_restart')));
    } finally {
      rmSync(bin, { recursive: true, force: true });
    }
  });

  it('with the build folder on PATH, kubectl sees one plugin and no warning about the bundles', function () {
    if (!hasKubectl()) this.skip();
    const kubectl = spawnSync('sh', ['-c', 'command -v kubectl']).stdout.toString().trim();
    // Only the build folder and kubectl's own: other folders on PATH may hold plugins of their own.
    const env = { ...process.env, PATH: `${DIST}:${dirname(kubectl)}` };
    const list = spawnSync('kubectl', ['plugin', 'list'], { env, encoding: 'utf8' });
    const ours = `${list.stdout}${list.stderr}`.split('\n').filter((l) => l.includes(DIST));
    assert.deepEqual(ours, [join(DIST, 'kubectl-kruise_restart')], `${list.stdout}${list.stderr}`);
  });

  it('refuses usage mistakes in one line of its own words, exit 2, before reading any kubeconfig', async () => {
    const yargsWords = /Not enough non-option arguments|Invalid values|Unknown arguments?:|Missing required argument|Argument: |Given: |Choices: /;
    const cases: [string[], RegExp][] = [
      [['inplace', 'web', '--dry-run=client', '-n'], /^error: flag needs an argument: -n \(e\.g\. -n shop\)$/],
      [['inplace', 'web', '-n', '--dry-run=client'], /^error: flag needs an argument: -n \(--dry-run=client is the next flag/],
      [['inplace', 'web', '--context='], /^error: flag needs an argument: --context is empty/],
      [['status'], /^error: status needs the name of a CloneSet: e\.g\. kubectl kruise-restart status web/],
      [[], /^error: a command is required: use inplace, crr, status, version or completion/],
      [['status', 'web', '-o', 'table'], /^error: invalid -o "table": use one of json, yaml, wide, name$/],
      [['status', 'web', '--requst-timeout', '5s'], /^error: unknown flag --requst-timeout for status: did you mean --request-timeout\?$/],
      [['crr', 'web', '--min-ready-seconds', 'abc'], /^error: --min-ready-seconds needs a number, got "abc"/],
      [['completion', 'tcsh'], /^error: unknown shell "tcsh": use one of bash, zsh, fish, kubectl$/],
      [['completion'], /^error: completion needs one of bash, zsh, fish, kubectl/],
      [['statsu', 'web'], /^error: unknown command "statsu": did you mean status\?/],
      [['version', 'now'], /^error: unexpected argument "now": version takes no argument/],
      [['status', 'deploy/web'], /^error: Deployment "web": Deployments are not supported: use kubectl rollout restart deployment\/web/],
      [['status', 'web', '-namespace', 'shop'], /^error: unknown flag -namespace for status: did you mean --namespace\?$/],
    ];
    for (const [args, says] of cases) {
      const run = await runPlugin(args, { env: { KUBECONFIG: '/nonexistent' } });
      assert.equal(run.code, 2, `${args.join(' ')}: ${run.stderr}`);
      assert.match(assertOneLineError(run), says, args.join(' '));
      assert.doesNotMatch(run.stderr, yargsWords, args.join(' '));
      assert.equal(run.stdout, '', args.join(' '));
    }
  });

  it('with -o json|yaml, a refused line still prints its document (outcome refused, exit code, the error)', async () => {
    const json = await runPlugin(['inplace', 'web', '-o', 'json', '-n'], { env: { KUBECONFIG: '/nonexistent' } });
    assert.equal(json.code, 2, json.stderr);
    assert.deepEqual(JSON.parse(json.stdout), { outcome: 'refused', exitCode: 2, error: 'flag needs an argument: -n (e.g. -n shop)' });
    assertOneLineError(json);
    const yaml = await runPlugin(['status', 'deploy/web', '-oyaml'], { env: { KUBECONFIG: '/nonexistent' } });
    assert.equal(yaml.code, 2, yaml.stderr);
    assert.match(yaml.stdout, /^outcome: refused\nexitCode: 2\nerror: "Deployment \\"web\\": Deployments are not supported: .*"\n$/);
  });

  it('kubectl -nshop is -n shop (it used to be read as -n -s -h -o -p: the help, exit 0)', async () => {
    const run = await runPlugin(['status', 'web', '-nshop'], { env: { KUBECONFIG: '/nonexistent' } });
    assert.equal(run.code, 2, run.stderr);
    assert.match(assertOneLineError(run), /KUBECONFIG/);
    assert.equal(run.stdout, '');
  });
});
