// npm run demo: an emulated OpenKruise cluster in-process, a sample CloneSet, and the built plugin run against it
// exactly as a user would run it (its own process, a kubeconfig file, real HTTPS), output straight to this terminal.
import { spawnSync } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startCluster } from '../test/cluster/index';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
// KRUISE_RESTART_DIST, as for the build and the tests: a private build folder.
const binary = join(process.env.KRUISE_RESTART_DIST ? resolve(process.env.KRUISE_RESTART_DIST) : join(root, 'dist'), 'kubectl-kruise_restart');
const quick = process.argv.includes('--quick');

function step(title: string) {
  process.stdout.write(`\n\x1b[1m$ ${title}\x1b[0m\n`);
}

async function runPlugin(args: string[], kubeconfig: string): Promise<number> {
  step(`kubectl kruise-restart ${args.join(' ')}`);
  // Asynchronous spawn: the emulated cluster lives in this process and must keep serving while the plugin runs.
  const { spawn } = await import('node:child_process');
  return new Promise((resolve) => {
    const child = spawn(binary, args, { stdio: 'inherit', env: { ...process.env, KUBECONFIG: kubeconfig } });
    child.on('close', (code) => resolve(code ?? 1));
  });
}

async function main() {
  if (!existsSync(binary)) {
    process.stdout.write('building the plugin first (npm run build)...\n');
    const built = spawnSync('npm', ['run', 'build'], { cwd: root, stdio: 'inherit' });
    if (built.status !== 0) process.exit(built.status ?? 1);
  }
  const cluster = await startCluster({ speed: quick ? 20 : 1, restartSeconds: 1, readySeconds: 2, latencyMs: 2 });
  try {
    await cluster.seedCloneSet({
      namespace: 'shop',
      name: 'web',
      replicas: 12,
      containers: ['app', 'sidecar'],
      strategy: 'InPlaceIfPossible',
      maxUnavailable: '25%',
      triggerAnnotation: 'example.com/restart-token',
      wiredContainers: ['app'],
    });
    // An Advanced StatefulSet too: OrderedReady, so Kruise restarts one pod at a time from the highest ordinal.
    await cluster.seedStatefulSet({ namespace: 'shop', name: 'db', replicas: 4, podUpdatePolicy: 'InPlaceIfPossible', triggerAnnotation: 'example.com/restart-token' });
    const kubeconfig = cluster.writeKubeconfig({ namespace: 'shop' });
    process.stdout.write(`emulated cluster at ${cluster.url}; CloneSet shop/web with 12 pods (app wired to example.com/restart-token), Advanced StatefulSet shop/db with 4\n`);
    await runPlugin(['status', 'web'], kubeconfig);
    await runPlugin(['inplace', 'web', '--reason', 'demo: pick up rotated credentials'], kubeconfig);
    await runPlugin(['status', 'web'], kubeconfig);
    await runPlugin(['crr', 'web', '-c', 'sidecar', '--max-unavailable', '3'], kubeconfig);
    await runPlugin(['inplace', 'asts/db', '--reason', 'demo: an Advanced StatefulSet, ordinal by ordinal'], kubeconfig);
    const restarts = cluster.restartLog.length;
    process.stdout.write(`\nemulator restart log: ${restarts} container restarts, pods recreated: ${cluster.restartLog.filter((r) => r.cause === 'recreate').length}\n`);
    rmSync(dirname(kubeconfig), { recursive: true, force: true });
  } finally {
    await cluster.stop();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
