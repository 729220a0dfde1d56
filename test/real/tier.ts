// Whether the real-cluster tier runs in this test run, and its one build per process.
//   KRUISE_RESTART_REAL unset  runs when `go` is on PATH, else skips with one line
//   KRUISE_RESTART_REAL=1      runs; a missing Go skips with one line
//   KRUISE_RESTART_REAL=0      skips
//   KRUISE_RESTART_REAL=required (CI) a missing Go, a failed build or a failed start fails the run, never skips
import { spawnSync } from 'node:child_process';
import { buildRealCluster } from '../realcluster/index';

export interface Tier {
  run: boolean;
  required: boolean;
  /** Why the tier does not run. */
  reason?: string;
}

let decided: Tier | undefined;
let built: Error | true | undefined;

export function realTier(): Tier {
  if (decided) return decided;
  const mode = (process.env.KRUISE_RESTART_REAL ?? '').toLowerCase();
  const required = mode === 'required';
  if (mode === '0' || mode === 'false') return (decided = { run: false, required, reason: 'KRUISE_RESTART_REAL=0' });
  const go = spawnSync('go', ['version'], { encoding: 'utf8' });
  if (go.error || go.status !== 0) {
    const reason = 'go not found (install Go 1.24+ to build kube-apiserver and Kruise, or set KRUISE_RESTART_REAL=0)';
    if (required) throw new Error(`real-cluster tier required (KRUISE_RESTART_REAL=required) but ${reason}`);
    process.stderr.write(`real-cluster tier skipped: ${reason}\n`);
    return (decided = { run: false, required, reason });
  }
  return (decided = { run: true, required });
}

/**
 * Builds the binaries once per process (build.sh reuses them when nothing changed). A failed build fails every real
 * suite: with the tier on, a build problem is a test failure, never a silent skip.
 */
export function ensureRealBinaries(): void {
  if (built === true) return;
  if (built) throw built;
  try {
    buildRealCluster();
    built = true;
  } catch (e) {
    built = new Error(`building the real-cluster binaries failed (see the lines above): ${(e as Error).message.split('\n')[0]}`);
    throw built;
  }
}

/** mocha: call first in a real suite's before(); skips the suite when the tier is off, builds when it is on. */
export function realTierOrSkip(ctx: Mocha.Context): void {
  const tier = realTier();
  if (!tier.run) ctx.skip();
  ensureRealBinaries();
}
