// Runs the built plugin as a user would: a separate process, a kubeconfig file, real HTTP.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startCluster, type Cluster } from '../cluster/index';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
/** Same variable as scripts/build.mjs: parallel runs each build and test their own copy. */
export const DIST = process.env.KRUISE_RESTART_DIST ? resolve(process.env.KRUISE_RESTART_DIST) : join(ROOT, 'dist');
export const BINARY = process.env.KRUISE_RESTART_BIN ?? join(DIST, 'kubectl-kruise_restart');
export const BUNDLE = join(DIST, 'kruise-restart.cjs');

export function requireBuild(): void {
  if (!existsSync(BINARY)) throw new Error(`${BINARY} is missing: run npm run build first`);
}

export interface PluginRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface PluginOptions {
  kubeconfig?: string;
  env?: NodeJS.ProcessEnv;
  timeoutMs?: number;
  /** Run the esbuild bundle under this node instead of the single executable. */
  node?: string;
}

export class PluginProcess {
  readonly child: ChildProcess;
  stdout = '';
  stderr = '';
  readonly done: Promise<PluginRun>;

  constructor(args: string[], opts: PluginOptions = {}) {
    const argv = opts.kubeconfig ? ['--kubeconfig', opts.kubeconfig, ...args] : args;
    const env = { PATH: process.env.PATH, HOME: process.env.HOME, NO_COLOR: '1', ...opts.env };
    this.child = opts.node ? spawn(opts.node, [BUNDLE, ...argv], { env }) : spawn(BINARY, argv, { env });
    this.child.stdout?.on('data', (d: Buffer) => (this.stdout += d.toString()));
    this.child.stderr?.on('data', (d: Buffer) => (this.stderr += d.toString()));
    const limit = opts.timeoutMs ?? 60_000;
    this.done = new Promise((resolve) => {
      const timer = setTimeout(() => this.child.kill('SIGKILL'), limit);
      this.child.on('close', (code, signal) => {
        clearTimeout(timer);
        resolve({ code, signal, stdout: this.stdout, stderr: this.stderr });
      });
    });
  }

  /** Resolves once the combined output matches. */
  async waitFor(pattern: RegExp, timeoutMs = 30_000): Promise<void> {
    const started = Date.now();
    while (!pattern.test(this.stdout + this.stderr)) {
      if (Date.now() - started > timeoutMs) throw new Error(`timed out waiting for ${pattern}; output so far:\n${this.stdout}\n${this.stderr}`);
      if (this.child.exitCode !== null) throw new Error(`plugin exited (${this.child.exitCode}) before ${pattern}:\n${this.stdout}\n${this.stderr}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }
}

export function runPlugin(args: string[], opts: PluginOptions = {}): Promise<PluginRun> {
  return new PluginProcess(args, opts).done;
}

/** The promises every failing command keeps: one line on stderr, saying what to do, no stack trace. */
export function assertOneLineError(run: PluginRun): string {
  const lines = run.stderr.split('\n').filter((l) => l.trim() && !l.startsWith('warning:'));
  const errors = lines.filter((l) => l.startsWith('error: '));
  if (errors.length !== 1) throw new Error(`expected exactly one "error:" line on stderr, got:\n${run.stderr}`);
  if (/\n\s+at .+:\d+:\d+/.test(run.stderr)) throw new Error(`stack trace on stderr:\n${run.stderr}`);
  return errors[0];
}

/**
 * A fresh emulated cluster per test (and the build checked once): the one setup the end-to-end suites share. The
 * callback hands the cluster and a kubeconfig for it to the suite's own variables before each test.
 */
export function useEmulatedCluster(namespace: string, use: (cluster: Cluster, kubeconfig: string) => void): void {
  let cluster: Cluster | undefined;
  before(requireBuild);
  beforeEach(async () => {
    cluster = await startCluster({ speed: 50, namespace, restartSeconds: 1, readySeconds: 2 });
    use(cluster, cluster.writeKubeconfig({ namespace }));
  });
  afterEach(async () => cluster?.stop());
}
