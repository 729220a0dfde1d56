// `npm run bench -- --quick` must keep working: every figure of issue 9 has its row. No timing is asserted here: CI
// machines vary, and the figures are read from a full run on a known machine (bench/results.md).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { DIST, ROOT, requireBuild } from './harness';

const FIGURES = [
  /^start-up `--version`$/,
  /^start-up `--help`$/,
  /^`status <cs> -o json`, 50 pods$/,
  /^API requests of `inplace --no-wait`/,
  /^API requests of `inplace`, followed to the end/,
  /^API requests of `crr`/,
  /^list requests of `status -w` over a whole restart/,
  /^`crr` pacing efficiency/,
  /^`status <cs> -o json`, \d+ pods: wall time$/,
  /^`status <cs> -o json`, \d+ pods: peak RSS$/,
  /^live view, \d+ pods: build \+ render one frame/,
  /^live view, \d+ pods: bytes written per frame/,
  /^binary size, raw$/,
  /^binary size, gzipped$/,
];

function quickBench(): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'scripts', 'bench.ts'), '--quick'], {
      cwd: ROOT,
      env: { ...process.env, KRUISE_RESTART_DIST: DIST },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('npm run bench -- --quick', function () {
  this.timeout(240_000);
  before(requireBuild);

  it('prints the machine and one table row per figure, each with a measured value and a verdict', async () => {
    const run = await quickBench();
    assert.equal(run.code, 0, run.stderr.slice(-3000));
    assert.match(run.stdout, /^Machine: \d+ CPUs \(.+\), Node v\d+/m);
    const cells = run.stdout
      .split('\n')
      .filter((line) => line.startsWith('| ') && !line.startsWith('| figure') && !line.startsWith('| ---'))
      .map((line) => line.slice(2, -2).split(' | '));
    for (const figure of FIGURES) {
      const row = cells.find((c) => figure.test(c[0]));
      assert.ok(row, `no row for ${figure}:\n${run.stdout}`);
      assert.equal(row.length, 6, `row ${row[0]} has ${row.length} cells`);
      assert.notEqual(row[1], '', `row ${row[0]} has no measured value`);
      assert.match(row[5], /^(pass|miss|n\/a)$/);
    }
    assert.equal(cells.length, FIGURES.length, `unexpected rows:\n${run.stdout}`);
  });
});
