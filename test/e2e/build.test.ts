// The build itself: quiet when all is well, only the executable looks like a kubectl plugin, and no bundle keeps an
// import() (the single executable cannot run one).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ROOT } from './harness';

type RefuseDynamicImport = (file: string) => void;

async function buildScript(): Promise<{ refuseDynamicImport: RefuseDynamicImport }> {
  return (await import(pathToFileURL(join(ROOT, 'scripts', 'build.mjs')).href)) as { refuseDynamicImport: RefuseDynamicImport };
}

describe('npm run build', function () {
  this.timeout(240_000);
  let out: string;
  let stderr = '';
  let stdout = '';
  let code: number | null;

  before(async () => {
    out = mkdtempSync(join(tmpdir(), 'kr-build-'));
    // Never a synchronous spawn: mocha's own timers must keep running.
    const child = spawn(process.execPath, [join(ROOT, 'scripts', 'build.mjs')], { cwd: ROOT, env: { ...process.env, KRUISE_RESTART_DIST: out } });
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    code = await new Promise((resolve) => child.on('close', resolve));
  });

  after(() => rmSync(out, { recursive: true, force: true }));

  it('succeeds without warnings (postject\'s notes about ELF section names are understood and filtered)', () => {
    assert.equal(code, 0, stderr);
    assert.match(stdout, /^built .*kubectl-kruise_restart in \d+ ms\n$/);
    assert.doesNotMatch(stderr, /warning|string offset/i, stderr);
  });

  it('leaves one kubectl-* file, the executable; the bundles are neither named so nor executable', () => {
    const files = readdirSync(out).sort();
    assert.deepEqual(files, ['kruise-restart.auth.cjs', 'kruise-restart.cjs', 'kruise-restart.cli.cjs', 'kruise-restart.help.cjs', 'kruise-restart.runtime.cjs', 'kubectl-kruise_restart']);
    const executable = files.filter((f) => (statSync(join(out, f)).mode & 0o111) !== 0);
    assert.deepEqual(executable, ['kubectl-kruise_restart']);
  });

  it('the entry bundle holds the help of every help line and no parser: --help and --version load nothing more', () => {
    const entry = readFileSync(join(out, 'kruise-restart.cjs'), 'utf8');
    for (const line of ['--help', '-h', 'inplace --help', 'crr -h', 'status --help', 'version -h', 'completion --help']) assert.ok(entry.includes(JSON.stringify(line)), line);
    assert.doesNotMatch(entry, /yargs|strict mode/i);
  });

  it('the bundle that reads a command line holds no yargs: only help not rendered at build time loads it', () => {
    assert.doesNotMatch(readFileSync(join(out, 'kruise-restart.cli.cjs'), 'utf8'), /yargs|strict mode|cacheHelpMessage/i);
    assert.match(readFileSync(join(out, 'kruise-restart.help.cjs'), 'utf8'), /cacheHelpMessage/);
  });

  it('fails on a bundle that keeps an import(), and passes the real ones', async () => {
    const { refuseDynamicImport } = await buildScript();
    for (const bundle of ['kruise-restart.cjs', 'kruise-restart.cli.cjs', 'kruise-restart.help.cjs', 'kruise-restart.runtime.cjs', 'kruise-restart.auth.cjs']) refuseDynamicImport(join(out, bundle));
    const bad = join(out, 'bad.cjs');
    for (const code of ['async function f(){const{createInterface:i}=await import("node:readline/promises")}', 'x=import ("y")']) {
      writeFileSync(bad, code);
      assert.throws(() => refuseDynamicImport(bad), /dynamic import\(\), which fails in the single executable/);
    }
    writeFileSync(bad, 'a.import(1);const s="reimport(";const $import=f;$import(2);');
    refuseDynamicImport(bad);
  });
});
