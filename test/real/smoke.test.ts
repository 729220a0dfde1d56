// The real tier's smoke test: the real kubectl against a real kube-apiserver v1.32.10 with OpenKruise v1.9.0's own
// manager and webhooks, the built plugin restarting a CloneSet in place there, and the release archive installed and
// removed by the real krew. Skipped (one line) when Go is missing; KRUISE_RESTART_REAL=required makes that a failure.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BIN_DIR, KUBE_VERSION, startRealCluster, type RealCluster } from '../realcluster/index';
import { PLUGIN, type Pod } from '../../src/kruise/types';
import { DIST, requireBuild, ROOT, runPlugin } from '../e2e/harness';
import { realTierOrSkip } from './tier';

const NS = 'smoke';

describe('real cluster: kube-apiserver v1.32.10 + Kruise v1.9.0 (smoke)', function () {
  this.timeout(300_000);
  let cluster: RealCluster | undefined;
  let kubeconfig: string;

  before(async function () {
    // A cold build of kube-apiserver and Kruise takes tens of minutes on 2 cores (build.sh prints progress).
    this.timeout(90 * 60_000);
    realTierOrSkip(this);
    requireBuild();
    cluster = await startRealCluster({ namespace: NS, nodes: 3 });
    kubeconfig = cluster.writeKubeconfig({ namespace: NS });
  });
  after(async () => cluster?.stop());

  const kubectl = (...args: string[]) => execFileSync('kubectl', ['--kubeconfig', kubeconfig, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

  it('serves the real kubectl: server v1.32.10, Kruise resources listed', () => {
    const version = JSON.parse(kubectl('version', '-o', 'json')) as { serverVersion: { gitVersion: string; major: string; minor: string } };
    assert.equal(version.serverVersion.gitVersion, KUBE_VERSION);
    assert.deepEqual([version.serverVersion.major, version.serverVersion.minor], ['1', '32']);
    assert.equal(kubectl('get', 'clonesets', '-A').trim(), '', 'no CloneSets yet (kubectl prints nothing on stdout)');
    const resources = kubectl('api-resources', '--api-group=apps.kruise.io', '-o', 'name').split('\n');
    for (const r of ['clonesets.apps.kruise.io', 'containerrecreaterequests.apps.kruise.io']) assert.ok(resources.includes(r), resources.join(' '));
  });

  it('inplace restarts a wired 3-pod CloneSet in place: same pods, every restartCount +1', async () => {
    const c = cluster!;
    await c.seedCloneSet({ namespace: NS, name: 'web', replicas: 3, strategy: 'InPlaceIfPossible', triggerAnnotation: PLUGIN.defaultTriggerAnnotation });
    const pods = async () => (await c.list<Pod>('pods', NS)).filter((p) => p.metadata.name?.startsWith('web-') && !p.metadata.deletionTimestamp);
    const before = await pods();
    assert.equal(before.length, 3);
    // Kruise's own webhook added the readiness gate the in-place update relies on.
    for (const p of before) assert.ok(p.spec?.readinessGates?.some((g) => g.conditionType === 'InPlaceUpdateReady'), `${p.metadata.name} has no InPlaceUpdateReady gate`);

    const run = await runPlugin(['inplace', 'web'], { kubeconfig, timeoutMs: 240_000 });
    assert.equal(run.code, 0, run.stderr + run.stdout);

    const after = await pods();
    const ids = (list: Pod[]) => list.map((p) => `${p.metadata.name}/${p.metadata.uid}`).sort();
    assert.deepEqual(ids(after), ids(before), 'names and UIDs unchanged');
    const restarts = (p: Pod) => p.status?.containerStatuses?.find((s) => s.name === 'app')?.restartCount ?? -1;
    for (const p of after) {
      const old = before.find((b) => b.metadata.uid === p.metadata.uid)!;
      assert.equal(restarts(p), restarts(old) + 1, `${p.metadata.name} restartCount`);
    }
    const inplace = c.restartLog.filter((r) => r.namespace === NS && r.cause === 'inplace');
    assert.deepEqual(inplace.map((r) => r.pod).sort(), after.map((p) => p.metadata.name).sort());
    // Kruise's default maxUnavailable (20% of 3, rounded up) lets one pod down at a time.
    assert.ok(c.maxUnavailableSeen(NS, 'web') <= 1, `max unavailable ${c.maxUnavailableSeen(NS, 'web')}`);
  });

  it('installs the release archive with the real krew, runs through kubectl, uninstalls', function () {
    this.timeout(600_000);
    const work = mkdtempSync(join(tmpdir(), 'kr-krew-'));
    try {
      const out = join(work, 'release');
      execFileSync(process.execPath, [join(ROOT, 'scripts/package.mjs'), '--out', out], { cwd: ROOT, env: { ...process.env, KRUISE_RESTART_DIST: DIST }, stdio: ['ignore', 'ignore', 'pipe'] });
      const archive = readFileSync(join(out, 'kruise-restart.yaml'), 'utf8').match(/kubectl-kruise_restart-v[^/\s]+-linux-amd64\.tar\.gz/)?.[0];
      assert.ok(archive, 'manifest names the linux/amd64 archive');
      // kubectl finds krew as a plugin; KREW_ROOT keeps everything it writes inside this test's folder.
      const plugins = join(work, 'plugins');
      mkdirSync(plugins);
      copyFileSync(join(BIN_DIR, 'krew'), join(plugins, 'kubectl-krew'));
      execFileSync('chmod', ['+x', join(plugins, 'kubectl-krew')]);
      const krewRoot = join(work, 'krew');
      const env = { ...process.env, KREW_ROOT: krewRoot, KREW_NO_UPGRADE_CHECK: '1', PATH: `${join(krewRoot, 'bin')}:${plugins}:${process.env.PATH}` };
      const run = (...args: string[]) => execFileSync('kubectl', args, { env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
      // krew list/uninstall refuse to work without a git-cloned index; `krew update` would clone krew-index from
      // GitHub, so the index is a local git repository holding our manifest, added the way users add custom indexes.
      const index = join(work, 'index');
      mkdirSync(join(index, 'plugins'), { recursive: true });
      copyFileSync(join(out, 'kruise-restart.yaml'), join(index, 'plugins', 'kruise-restart.yaml'));
      const git = (...args: string[]) => execFileSync('git', ['-c', 'user.name=test', '-c', 'user.email=test@example.com', ...args], { cwd: index, stdio: 'ignore' });
      git('init', '-q');
      git('add', '.');
      git('commit', '-q', '-m', 'index');
      run('krew', 'index', 'add', 'default', index);

      run('krew', 'install', `--manifest=${join(out, 'kruise-restart.yaml')}`, `--archive=${join(out, archive)}`);
      // Installed from a manifest, not from an index: krew lists it as detached.
      assert.match(run('krew', 'list'), /^detached\/kruise-restart$/m);
      assert.ok(existsSync(join(krewRoot, 'receipts', 'kruise-restart.yaml')), 'krew keeps a receipt');
      const version = run('kruise-restart', 'version');
      const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };
      assert.match(version, new RegExp(`^kubectl-kruise_restart v${pkg.version.replaceAll('.', '\\.')} `));
      // The installed plugin reaches the real cluster through kubectl too.
      assert.match(run('kruise-restart', 'status', 'web', '--kubeconfig', kubeconfig, '-o', 'json'), /"mode":\s*"inplace"/);

      run('krew', 'uninstall', 'kruise-restart');
      assert.equal(existsSync(join(krewRoot, 'bin', 'kubectl-kruise_restart')), false, 'uninstall removes the plugin link');
      assert.doesNotMatch(run('krew', 'list'), /kruise-restart/);
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  });
});
