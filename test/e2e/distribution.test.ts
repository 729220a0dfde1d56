// Distribution: the release archive `npm run package` makes, its Krew manifest checked with krew's own rules, the
// plugin run through the real kubectl from the unpacked archive, and shell completion (kubectl's plugin path included).
import assert from 'node:assert/strict';
import { execFile, execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import yaml from 'js-yaml';
import { COMMANDS } from '../../src/cli/complete';
import { KUBECTL_COMPLETE } from '../../src/cli/completion-scripts';
import { PLUGIN } from '../../src/kruise/types';
import { startCluster, type Cluster } from '../cluster/index';
import { DIST, ROOT } from './harness';

const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };
const VERSION = `v${pkg.version}`;
const ARCHIVE = `kubectl-kruise_restart-${VERSION}-linux-amd64.tar.gz`;

interface Platform {
  selector?: { matchLabels?: Record<string, string>; matchExpressions?: { key: string }[] };
  uri?: string;
  sha256?: string;
  bin?: string;
  files?: { from?: string; to?: string }[];
}
interface Manifest {
  apiVersion?: string;
  kind?: string;
  metadata?: { name?: string };
  spec?: { version?: string; homepage?: string; shortDescription?: string; description?: string; caveats?: string; platforms?: Platform[] };
}

/**
 * krew's rules (kubernetes-sigs/krew: internal/index/validation ValidatePlugin and validatePlatform, and the
 * krew-index checks in cmd/validate-krew-manifest): returns every problem found.
 */
function krewProblems(name: string, m: Manifest): string[] {
  const problems: string[] = [];
  const spec = m.spec ?? {};
  if (m.apiVersion !== 'krew.googlecontainertools.github.com/v1alpha2') problems.push(`apiVersion ${m.apiVersion}`);
  if (m.kind !== 'Plugin') problems.push(`kind ${m.kind}`);
  const windowsForbidden = ['CON', 'PRN', 'AUX', 'NUL', ...[1, 2, 3, 4, 5, 6, 7, 8, 9].flatMap((i) => [`COM${i}`, `LPT${i}`])];
  if (!/^[\w-]+$/.test(name) || windowsForbidden.includes(name.toUpperCase())) problems.push(`unsafe plugin name ${name}`);
  if (m.metadata?.name !== name) problems.push(`plugin should be named ${name}, not ${m.metadata?.name}`);
  if (!spec.shortDescription) problems.push('no shortDescription');
  if (/[\r\n]/.test(spec.shortDescription ?? '')) problems.push('line break in shortDescription');
  if (!spec.platforms?.length) problems.push('no platforms');
  if (!/^v(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$/.test(spec.version ?? '')) problems.push(`version ${spec.version} is not v-prefixed semver`);
  // Warnings in validate-krew-manifest; reviewers of krew-index ask for them, so they are errors here.
  const tooLong = (text: string | undefined, max: number) => (text ?? '').split('\n').some((l) => l.length > max && l.trim().includes(' '));
  if (tooLong(spec.shortDescription, 70)) problems.push('shortDescription longer than 70');
  if (tooLong(spec.description, 80)) problems.push('description lines longer than 80');
  if (tooLong(spec.caveats, 80)) problems.push('caveats lines longer than 80');
  const seen = new Set<string>();
  for (const p of spec.platforms ?? []) {
    const where = JSON.stringify(p.selector);
    if (!p.uri) problems.push(`${where}: no uri`);
    else if (!p.uri.startsWith('https://')) problems.push(`${where}: uri not https`);
    if (!/^[a-f0-9]{64}$/.test(p.sha256 ?? '')) problems.push(`${where}: sha256 ${p.sha256} is not 64 lower-case hex`);
    if (!p.bin) problems.push(`${where}: no bin`);
    if (p.files !== undefined && (!p.files.length || p.files.some((f) => !f.from || !f.to))) problems.push(`${where}: bad files`);
    const labels = p.selector?.matchLabels;
    if (!p.selector || (!labels && !p.selector.matchExpressions?.length)) problems.push('empty selector');
    const keys = [...Object.keys(labels ?? {}), ...(p.selector?.matchExpressions ?? []).map((e) => e.key)];
    for (const key of keys) if (key !== 'os' && key !== 'arch') problems.push(`${where}: selector key ${key}`);
    if (labels && Object.keys(labels).length === 0) problems.push(`${where}: matchLabels empty`);
    // Each os/arch must be selected by at most one platform (isOverlappingPlatformSelectors).
    const target = `${labels?.os}/${labels?.arch}`;
    if (seen.has(target)) problems.push(`platforms overlap on ${target}`);
    seen.add(target);
  }
  return problems;
}

function readManifest(path: string): Manifest {
  return yaml.load(readFileSync(path, 'utf8')) as Manifest;
}

function hasKubectl(): boolean {
  return spawnSync('kubectl', ['version', '--client'], { stdio: 'ignore' }).status === 0;
}

/** A merge patch through the emulated API server, to put a restart record on a CloneSet as a finished run leaves it. */
function apiCall(cluster: Cluster, method: string, path: string, body: unknown, contentType = 'application/json'): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(
      `${cluster.url}${path}`,
      { method, ca: cluster.caPem, headers: { Authorization: `Bearer ${cluster.token}`, 'Content-Type': contentType } },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.on('error', reject);
    req.end(JSON.stringify(body));
  });
}

describe('distribution: release archive, Krew manifest, kubectl, completion', function () {
  this.timeout(180_000);
  const out = mkdtempSync(join(tmpdir(), 'kr-release-'));
  const unpacked = mkdtempSync(join(tmpdir(), 'kr-unpacked-'));
  let pathEnv: string;

  before(function () {
    // One packaging run (~15 s) for every test below, into private folders: others build and test at the same time.
    execFileSync(process.execPath, [join(ROOT, 'scripts/package.mjs'), '--out', out], {
      cwd: ROOT,
      env: { ...process.env, KRUISE_RESTART_DIST: DIST },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    execFileSync('tar', ['xzf', join(out, ARCHIVE), '-C', unpacked]);
    pathEnv = `${unpacked}:${process.env.PATH}`;
  });

  it('produces the linux/amd64 archive, its .sha256 and the manifest named after the plugin', () => {
    assert.deepEqual(readdirSync(out).sort(), [ARCHIVE, `${ARCHIVE}.sha256`, 'kruise-restart.yaml'].sort());
    const sha = createHash('sha256').update(readFileSync(join(out, ARCHIVE))).digest('hex');
    assert.equal(readFileSync(join(out, `${ARCHIVE}.sha256`), 'utf8'), `${sha}  ${ARCHIVE}\n`);
  });

  it('fills a manifest that passes krew validation, with the sha256 and download URL of the archive', () => {
    const path = join(out, 'kruise-restart.yaml');
    const manifest = readManifest(path);
    assert.deepEqual(krewProblems(basename(path, '.yaml'), manifest), []);
    assert.equal(manifest.spec?.version, VERSION);
    const linux = manifest.spec?.platforms?.find((p) => p.selector?.matchLabels?.os === 'linux' && p.selector.matchLabels.arch === 'amd64');
    assert.equal(linux?.sha256, createHash('sha256').update(readFileSync(join(out, ARCHIVE))).digest('hex'));
    assert.equal(linux?.uri, `https://github.com/kruise-restart/kubectl-kruise-restart/releases/download/${VERSION}/${ARCHIVE}`);
    assert.deepEqual(
      manifest.spec?.platforms?.map((p) => `${p.selector?.matchLabels?.os}/${p.selector?.matchLabels?.arch}:${p.bin}`),
      ['linux/amd64', 'linux/arm64', 'darwin/amd64', 'darwin/arm64', 'windows/amd64'].map((t) => `${t}:kubectl-kruise_restart${t.startsWith('windows') ? '.exe' : ''}`),
    );
    // The committed template is the same document with placeholder digests, at the package.json version.
    const template = readManifest(join(ROOT, 'krew-manifest.yaml'));
    assert.deepEqual(krewProblems('kruise-restart', template), []);
    assert.equal(template.spec?.version, VERSION);
    assert.deepEqual({ ...template.spec, platforms: [] }, { ...manifest.spec, platforms: [] });
  });

  it('keeps the krew-release-bot template in step with the manifest', () => {
    const sha = 'a'.repeat(64);
    const rendered = readFileSync(join(ROOT, '.krew.yaml'), 'utf8')
      .replace(/\{\{ addURIAndSha "(.+?)" \.TagName \}\}/g, (_, uri: string) => `uri: ${uri}\n      sha256: "${sha}"`)
      .replaceAll('{{ .TagName }}', VERSION);
    const bot = yaml.load(rendered) as Manifest;
    assert.deepEqual(krewProblems('kruise-restart', bot), []);
    const template = readManifest(join(ROOT, 'krew-manifest.yaml'));
    assert.deepEqual(bot, { ...template, spec: { ...template.spec, platforms: template.spec?.platforms?.map((p) => ({ ...p, sha256: sha })) } });
  });

  it('archives the executable, the completion helper and the licence at the root', () => {
    const listing = execFileSync('tar', ['tvzf', join(out, ARCHIVE)]).toString().trim().split('\n');
    const modes = Object.fromEntries(listing.map((l) => [l.split(/\s+/).pop(), l.split(/\s+/)[0]]));
    assert.deepEqual(modes, { 'kubectl-kruise_restart': '-rwxr-xr-x', 'kubectl_complete-kruise_restart': '-rwxr-xr-x', LICENSE: '-rw-r--r--' });
    assert.match(readFileSync(join(unpacked, 'LICENSE'), 'utf8'), /Apache License/);
    assert.equal(readFileSync(join(unpacked, 'kubectl_complete-kruise_restart'), 'utf8'), KUBECTL_COMPLETE);
    assert.equal(readFileSync(join(ROOT, 'scripts/kubectl_complete-kruise_restart'), 'utf8'), KUBECTL_COMPLETE);
    assert.ok(statSync(join(unpacked, 'kubectl-kruise_restart')).size > 10_000_000);
  });

  it('runs from the unpacked archive through the real kubectl', function () {
    if (!hasKubectl()) this.skip();
    const env = { ...process.env, PATH: pathEnv };
    const version = execFileSync('kubectl', ['kruise-restart', 'version'], { env }).toString();
    assert.match(version, new RegExp(`^kubectl-kruise_restart ${VERSION.replaceAll('.', '\\.')} \\(commit \\S+, node v22\\.`));
    const list = execFileSync('kubectl', ['plugin', 'list'], { env, stdio: ['ignore', 'pipe', 'ignore'] }).toString();
    assert.ok(list.includes(join(unpacked, 'kubectl-kruise_restart')), list);
  });

  it('lists the same flags in --help as completion offers', () => {
    const bin = join(unpacked, 'kubectl-kruise_restart');
    const globals = new Set(['kubeconfig', 'context', 'cluster', 'user', 'namespace', 'request-timeout', 'as', 'as-group', 'verbosity', 'color', 'help', 'version']);
    for (const [command, spec] of Object.entries(COMMANDS)) {
      const help = execFileSync(bin, command === 'completion' ? [command, 'bash', '--help'] : [command, '--help']).toString();
      const shown = new Set([...help.matchAll(/^\s+(?:-\w, )?--([\w-]+)/gm)].map((m) => m[1]).filter((f) => !globals.has(f)));
      assert.deepEqual([...shown].sort(), spec.flags.map((f) => f.name).sort(), `${command} --help`);
    }
  });

  describe('completion against the emulated cluster', function () {
    let cluster: Cluster;
    let env: NodeJS.ProcessEnv;
    // Never a synchronous spawn here: the emulated API server runs in this process and must keep answering.
    const run = (file: string, args: string[], runEnv: NodeJS.ProcessEnv) =>
      new Promise<{ stdout: string; stderr: string; status: number }>((resolve) => {
        execFile(file, args, { env: runEnv, timeout: 15_000 }, (err, stdout, stderr) => {
          resolve({ stdout, stderr, status: err ? Number((err as { code?: number }).code ?? 1) : 0 });
        });
      });
    const completeWith = async (args: string[], extraEnv: NodeJS.ProcessEnv = {}) => {
      const result = await run('kubectl_complete-kruise_restart', args, { ...env, ...extraEnv });
      return { lines: result.stdout.trimEnd().split('\n'), stderr: result.stderr, status: result.status };
    };
    const values = (lines: string[]) => lines.slice(0, -1).map((l) => l.split('\t')[0]);

    before(async () => {
      cluster = await startCluster({ speed: 100 });
      await cluster.seedCloneSet({ name: 'web', replicas: 2, containers: ['app', 'sidecar'] });
      await cluster.seedCloneSet({ name: 'api', replicas: 1 });
      await cluster.seedCloneSet({ namespace: 'other', name: 'batch', replicas: 1 });
      // web: an unfinished crr run, started a minute ago (within its requests' TTL, so resumable); api: a finished one.
      const startedAt = new Date(Date.now() - 60_000).toISOString();
      // other/batch: an inplace restart, whose run is the trigger value.
      const records = {
        'default/web': { mode: 'crr', run: '20261126-101500-abcd', startedAt, containers: ['app'] },
        'default/api': { mode: 'crr', run: '20261126-090000-done', startedAt, containers: ['app'], finished: 'completed' },
        'other/batch': { mode: 'inplace', run: startedAt, startedAt, containers: ['app'] },
      };
      for (const [key, record] of Object.entries(records)) {
        const [ns, name] = key.split('/');
        const patched = await apiCall(
          cluster,
          'PATCH',
          `/apis/apps.kruise.io/v1alpha1/namespaces/${ns}/clonesets/${name}`,
          { metadata: { annotations: { [PLUGIN.lastRestartAnnotation]: JSON.stringify(record) } } },
          'application/merge-patch+json',
        );
        assert.equal(patched, 200);
      }
      const pod = cluster.list<{ metadata: { name: string } }>('pods', 'default').find((p) => p.metadata.name.startsWith('web-'));
      const crr = {
        apiVersion: 'apps.kruise.io/v1alpha1',
        kind: 'ContainerRecreateRequest',
        metadata: { name: `${pod?.metadata.name}-older`, labels: { [PLUGIN.runLabel]: '20261125-090000-zzzz', [PLUGIN.cloneSetLabel]: 'web' } },
        spec: { podName: pod?.metadata.name, containers: [{ name: 'app' }] },
      };
      assert.equal(await apiCall(cluster, 'POST', '/apis/apps.kruise.io/v1alpha1/namespaces/default/containerrecreaterequests', crr), 201);
      env = { PATH: pathEnv, HOME: mkdtempSync(join(tmpdir(), 'kr-home-')), KUBECONFIG: cluster.kubeconfigPath };
    });
    after(() => cluster?.stop());

    it('completes subcommands and flags without a cluster', async () => {
      const top = await completeWith([''], { KUBECONFIG: '/nonexistent' });
      assert.deepEqual(values(top.lines), ['inplace', 'crr', 'status', 'version', 'completion']);
      assert.equal(top.lines.at(-1), ':4');
      assert.deepEqual(values((await completeWith(['st'])).lines), ['status']);
      assert.ok(values((await completeWith(['crr', 'web', '--res'])).lines).includes('--resume'));
      assert.deepEqual(values((await completeWith(['status', '-o', ''])).lines), ['json', 'yaml', 'wide', 'name']);
      assert.deepEqual(values((await completeWith(['completion', ''])).lines), ['bash', 'zsh', 'fish', 'kubectl']);
      assert.equal((await completeWith(['--kubeconfig', ''])).lines.at(-1), ':0', 'files for --kubeconfig');
    });

    it('lists CloneSets of the current namespace, or of the namespace and context typed on the line', async () => {
      const found = await completeWith(['status', '']);
      assert.deepEqual(found.lines, ['api', 'web', ':4']);
      assert.equal(found.stderr, '');
      assert.deepEqual((await completeWith(['-n', 'other', 'inplace', ''])).lines, ['batch', ':4']);
      assert.deepEqual((await completeWith(['crr', '--namespace=other', ''])).lines, ['batch', ':4']);
      assert.deepEqual((await completeWith(['status', 'w'])).lines, ['web', ':4']);
      assert.deepEqual((await completeWith(['--context', 'emulated', 'status', ''])).lines, ['api', 'web', ':4']);
      assert.deepEqual(values((await completeWith(['--context', ''])).lines), ['emulated']);
    });

    it('lists the containers and the runs of the CloneSet named on the line', async () => {
      assert.deepEqual((await completeWith(['crr', 'web', '-c', ''])).lines, ['app', 'sidecar', ':4']);
      assert.deepEqual((await completeWith(['inplace', 'web', '--container=s'])).lines, ['sidecar', ':4']);
      // The latest run from the CloneSet's record, older ones from the run label of their CRRs.
      assert.deepEqual(values((await completeWith(['status', 'web', '--run', ''])).lines).sort(), ['20261125-090000-zzzz', '20261126-101500-abcd']);
      // --resume: only the run crr would resume, never a finished run or one without a record.
      assert.deepEqual(values((await completeWith(['crr', 'web', '--resume', ''])).lines), ['20261126-101500-abcd']);
      assert.deepEqual(values((await completeWith(['crr', 'web', '--resume', '20261125-'])).lines), []);
      assert.deepEqual(values((await completeWith(['crr', 'api', '--resume', ''])).lines), []);
      assert.deepEqual(values((await completeWith(['-n', 'other', 'crr', 'batch', '--resume', ''])).lines), []);
      assert.deepEqual(values((await completeWith(['status', 'api', '--run', ''])).lines), ['20261126-090000-done']);
      assert.deepEqual(values((await completeWith(['crr', '--resume', ''])).lines), [], 'no CloneSet named yet');
    });

    it('offers nothing, silently and quickly, when the cluster is unreachable or the kubeconfig is missing', async () => {
      const deadPath = join(mkdtempSync(join(tmpdir(), 'kr-dead-')), 'config');
      writeFileSync(deadPath, readFileSync(cluster.kubeconfigPath, 'utf8').replace(cluster.url, 'https://127.0.0.1:1'));
      for (const extra of [{ KUBECONFIG: deadPath }, { KUBECONFIG: '/nonexistent' }]) {
        const started = Date.now();
        const none = await completeWith(['status', ''], extra);
        assert.deepEqual(none.lines, [':4']);
        assert.equal(none.stderr, '');
        assert.equal(none.status, 0);
        assert.ok(Date.now() - started < 5_000);
      }
    });

    it('completes through the bash script of `completion bash`', async () => {
      const script = execFileSync(join(unpacked, 'kubectl-kruise_restart'), ['completion', 'bash']).toString();
      const bash = async (line: string) => {
        const snippet = `${script}\nCOMP_WORDS=(${line}); COMP_CWORD=$((\${#COMP_WORDS[@]} - 1)); _kubectl_kruise_restart; printf '%s\\n' "\${COMPREPLY[@]}"`;
        return (await run('bash', ['-c', snippet], env)).stdout.trim().split('\n');
      };
      assert.deepEqual(await bash(`kubectl-kruise_restart st`), ['status']);
      assert.deepEqual(await bash(`kubectl-kruise_restart status ''`), ['api', 'web']);
      for (const shell of ['zsh', 'fish']) assert.match(execFileSync(join(unpacked, 'kubectl-kruise_restart'), ['completion', shell]).toString(), /__complete/);
    });

    it('completes `kubectl kruise-restart status <Tab>` through kubectl (>= 1.26) and kubectl_complete-kruise_restart', async function () {
      if (!hasKubectl()) this.skip();
      const viaKubectl = await run('kubectl', ['__complete', 'kruise-restart', 'status', ''], env);
      // kubectl before 1.26 has no plugin completion: it does not even look for kubectl_complete-kruise_restart.
      if (!viaKubectl.stdout.includes('web') && !/kubectl_complete/.test(viaKubectl.stderr)) this.skip();
      assert.deepEqual(viaKubectl.stdout.trimEnd().split('\n'), ['api', 'web', ':4']);
    });
  });
});
