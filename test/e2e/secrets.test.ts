// Secrets stay secret: every command and every error path, at the highest verbosity, with kubeconfigs holding a
// bearer token, a client key and certificate, and a basic-auth password; all output is searched for any of them.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import yaml from 'js-yaml';
import { startCluster, type Cluster } from '../cluster/index';
import { redact } from '../../src/ui/failure';
import { requireBuild, runPlugin, type PluginRun } from './harness';

const NS = 'shop';
const KEY = 'team.example.com/restart-token';
const PASSWORD = 'hunter2-Pa55w0rd-do-not-print';
const URL_PASSWORD = 'url-embedded-pw-9f3k';

interface Secret {
  name: string;
  value: string;
}

/** The secret itself, and a long-enough slice of it: a truncated leak is still a leak. */
function assertNoSecret(what: string, out: string, secrets: Secret[]): void {
  for (const s of secrets) {
    const probes = [s.value, ...(s.value.length > 40 ? [s.value.slice(0, 24), s.value.slice(-24)] : [])];
    for (const probe of probes) assert.ok(!out.includes(probe), `${s.name} leaked by "${what}":\n${out}`);
  }
}

function kubeconfig(server: string, caPem: string | undefined, user: Record<string, unknown>, namespace = NS): string {
  return yaml.dump({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'c', cluster: { server, ...(caPem ? { 'certificate-authority-data': Buffer.from(caPem).toString('base64') } : {}) } }],
    users: [{ name: 'u', user }],
    contexts: [{ name: 'c', context: { cluster: 'c', user: 'u', namespace } }],
    'current-context': 'c',
  });
}

describe('secrets never appear in any output (-v 9, every command and error path)', function () {
  this.timeout(120_000);
  let cluster: Cluster;
  let dir: string;
  const file = (name: string, text: string) => {
    const path = join(dir, name);
    writeFileSync(path, text, { mode: 0o600 });
    return path;
  };

  before(async () => {
    requireBuild();
    dir = mkdtempSync(join(tmpdir(), 'kr-secrets-'));
    cluster = await startCluster({ speed: 50, namespace: NS });
    await cluster.seedCloneSet({ namespace: NS, name: 'web', replicas: 3, containers: ['app', 'sidecar'], strategy: 'InPlaceIfPossible', maxUnavailable: 1, triggerAnnotation: KEY, wiredContainers: ['app'] });
  });
  after(async () => cluster.stop());

  /** Each command once at the highest verbosity, alternating `-v 9` and `-v=9` so both spellings cover every path kind. */
  let spelling = 0;
  const everyWay = async (config: string, commands: string[][], expect: Record<string, number[]> = {}): Promise<Array<{ what: string; run: PluginRun }>> => {
    const runs: Array<{ what: string; run: PluginRun }> = [];
    for (const args of commands) {
      const argv = [...args, ...(spelling++ % 2 === 0 ? ['-v', '9'] : ['-v=9'])];
      const run = await runPlugin(argv, { kubeconfig: config, timeoutMs: 60_000 });
      const allowed = expect[args.join(' ')];
      if (allowed) assert.ok(allowed.includes(run.code ?? -1), `${argv.join(' ')}: exit ${run.code}\n${run.stderr}`);
      runs.push({ what: argv.join(' '), run });
    }
    return runs;
  };

  it('bearer token: inplace, crr, status, status -w, version, and the 404, 401, unreachable, forbidden and malformed paths', async () => {
    const token = cluster.token;
    const sreToken = cluster.addUser('viewer', [{ verbs: ['get', 'list', 'watch'], apiGroups: ['*'], resources: ['*'] }]);
    const expired = `expired-${'7'.repeat(40)}-token`;
    const secrets: Secret[] = [
      { name: 'admin token', value: token },
      { name: 'viewer token', value: sreToken },
      { name: 'expired token', value: expired },
      { name: 'URL password', value: URL_PASSWORD },
    ];
    const admin = file('admin', kubeconfig(cluster.url, cluster.caPem, { token }));
    const viewer = file('viewer', kubeconfig(cluster.url, cluster.caPem, { token: sreToken }));
    const stale = file('expired', kubeconfig(cluster.url, cluster.caPem, { token: expired }));
    const unreachable = file('unreachable', kubeconfig(`https://admin:${URL_PASSWORD}@127.0.0.1:1`, undefined, { token }));
    const malformed = file('malformed', `${kubeconfig(cluster.url, cluster.caPem, { token })}\n  - broken: [${token}\n`);
    const wrongShape = file('wrong-shape', `apiVersion: v1\nkind: Config\ncurrent-context: c\nusers: "token: ${token}"\nclusters: ${token}\n`);

    const runs = [
      ...(await everyWay(
        admin,
        [['inplace', 'web', '--reason', 'rotate'], ['status', 'web'], ['status', 'web', '-w', '--timeout', '30s'], ['crr', 'web', '-c', 'app', '--max-unavailable', '2'], ['status', 'web', '-o', 'json'], ['version'], ['status', 'nope'], ['crr', 'nope', '-c', 'app'], ['status', 'web', '--token', token]],
        { 'inplace web --reason rotate': [0], 'status web': [0], 'crr web -c app --max-unavailable 2': [0], 'status nope': [1], 'version': [0], [`status web --token ${token}`]: [2] },
      )),
      ...(await everyWay(stale, [['status', 'web'], ['inplace', 'web'], ['crr', 'web', '-c', 'app']], { 'status web': [1], 'inplace web': [1] })),
      ...(await everyWay(unreachable, [['status', 'web', '--request-timeout', '2s'], ['inplace', 'web', '--request-timeout', '2s']], { 'status web --request-timeout 2s': [1] })),
      ...(await everyWay(viewer, [['inplace', 'web'], ['crr', 'web', '-c', 'app']], { 'inplace web': [1], 'crr web -c app': [1] })),
      ...(await everyWay(malformed, [['status', 'web'], ['crr', 'web', '-c', 'app']], { 'status web': [2] })),
      ...(await everyWay(wrongShape, [['status', 'web'], ['inplace', 'web']], { 'status web': [1, 2] })),
    ];
    // The error paths really happened (else there is nothing to search).
    const said = runs.map((r) => r.run.stderr).join('\n');
    for (const expected of [/401 Unauthorized/, /cannot reach the Kubernetes API server/, /you are not allowed to/, /cannot read kubeconfig/, /CloneSet "nope" not found/, /unknown flag --token for status/]) assert.match(said, expected);
    for (const form of [/ -v 9$/, / -v=9$/]) {
      const logged = runs.filter((r) => form.test(r.what)).some((r) => /GET https:\/\/127\.0\.0\.1:\d+\/apis\/apps\.kruise\.io/.test(r.run.stderr));
      assert.ok(logged, `${form} logged the requests`);
    }
    for (const { what, run } of runs) assertNoSecret(what, run.stdout + run.stderr, secrets);
  });

  it('client key and certificate, and a basic-auth password: every command, -v 9, the 401 and unreachable paths', async () => {
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', join(dir, 'client.key'), '-out', join(dir, 'client.crt'), '-days', '1', '-subj', '/CN=sre'], { stdio: 'ignore' });
    const keyPem = readFileSync(join(dir, 'client.key'), 'utf8');
    const certPem = readFileSync(join(dir, 'client.crt'), 'utf8');
    const keyData = Buffer.from(keyPem).toString('base64');
    const keyBody = keyPem.split('\n').filter((l) => l && !l.startsWith('-----'));
    const secrets: Secret[] = [
      { name: 'client-key-data (base64)', value: keyData },
      ...keyBody.map((line, i) => ({ name: `private key PEM line ${i + 1}`, value: line })),
      { name: 'password', value: PASSWORD },
      { name: 'basic auth header value', value: Buffer.from(`sre:${PASSWORD}`).toString('base64') },
    ];
    const certUser = { 'client-certificate-data': Buffer.from(certPem).toString('base64'), 'client-key-data': keyData };
    const cert = file('cert', kubeconfig(cluster.url, cluster.caPem, certUser));
    const certFiles = file('cert-files', kubeconfig(cluster.url, cluster.caPem, { 'client-certificate': join(dir, 'client.crt'), 'client-key': join(dir, 'client.key') }));
    const basic = file('basic', kubeconfig(cluster.url, cluster.caPem, { username: 'sre', password: PASSWORD }));
    const basicAway = file('basic-away', kubeconfig('https://127.0.0.1:1', undefined, { username: 'sre', password: PASSWORD }));
    const certAway = file('cert-away', kubeconfig('https://127.0.0.1:1', undefined, certUser));
    const broken = file('cert-broken', `${kubeconfig(cluster.url, cluster.caPem, certUser)}\n  password: [${PASSWORD}\n`);
    const keyMismatch = file('cert-wrong-key', kubeconfig(cluster.url, cluster.caPem, { ...certUser, 'client-certificate-data': Buffer.from('-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n').toString('base64') }));

    const commands = [['status', 'web'], ['status', 'web', '-w', '--timeout', '5s'], ['inplace', 'web'], ['crr', 'web', '-c', 'app'], ['version']];
    const runs = [
      // The emulator knows only bearer tokens: these are its 401 path, which is where a credential would leak.
      ...(await everyWay(cert, commands, { 'status web': [1], 'version': [0] })),
      ...(await everyWay(certFiles, [['status', 'web']], { 'status web': [1] })),
      ...(await everyWay(basic, commands, { 'status web': [1], 'inplace web': [1] })),
      ...(await everyWay(basicAway, [['status', 'web', '--request-timeout', '2s']], { 'status web --request-timeout 2s': [1] })),
      ...(await everyWay(certAway, [['crr', 'web', '-c', 'app', '--request-timeout', '2s']], { 'crr web -c app --request-timeout 2s': [1] })),
      ...(await everyWay(broken, [['status', 'web']], { 'status web': [2] })),
      ...(await everyWay(keyMismatch, [['status', 'web']], { 'status web': [1, 2] })),
    ];
    const said = runs.map((r) => r.run.stderr).join('\n');
    for (const expected of [/401 Unauthorized/, /cannot reach the Kubernetes API server/, /cannot read kubeconfig/]) assert.match(said, expected);
    for (const { what, run } of runs) assertNoSecret(what, run.stdout + run.stderr, secrets);
  });

  it('exec plugin (the client library\'s authenticators, loaded only for it): every command, -v 9, and a plugin that fails', async () => {
    const token = cluster.token;
    const plugin = file('exec-plugin.sh', `#!/bin/sh\necho '{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","status":{"token":"${token}"}}'\n`);
    const failing = file('exec-failing.sh', '#!/bin/sh\necho "login expired: run the SSO login first" >&2\nexit 1\n');
    execFileSync('chmod', ['+x', plugin, failing]);
    const exec = (command: string) => ({ exec: { apiVersion: 'client.authentication.k8s.io/v1', command, interactiveMode: 'Never' } });
    const good = file('exec', kubeconfig(cluster.url, cluster.caPem, exec(plugin)));
    const bad = file('exec-failing', kubeconfig(cluster.url, cluster.caPem, exec(failing)));
    const runs = [
      ...(await everyWay(good, [['status', 'web'], ['status', 'web', '-o', 'json'], ['crr', 'web', '-c', 'app', '--max-unavailable', '2'], ['status', 'web', '-w', '--timeout', '30s']], {
        'status web': [0],
        'status web -o json': [0],
        'crr web -c app --max-unavailable 2': [0],
        'status web -w --timeout 30s': [0],
      })),
      ...(await everyWay(bad, [['status', 'web']], { 'status web': [1] })),
    ];
    assert.match(runs[0].run.stderr, /GET https:\/\/127\.0\.0\.1:\d+\/apis\/apps\.kruise\.io\S+ 200/);
    assert.equal(runs[runs.length - 1].run.stderr.trim().split('\n').filter((l) => l.startsWith('error:')).length, 1, runs[runs.length - 1].run.stderr);
    for (const { what, run } of runs) assertNoSecret(what, run.stdout + run.stderr, [{ name: 'token printed by the exec plugin', value: token }]);
  });

  it('an exec plugin that fails is named with its exit code and its stderr\'s first line, run once, its secrets never shown', async () => {
    const count = join(dir, 'exec-runs');
    const jwt = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2lnbmF0dXJlLXNlY3JldA';
    const failing = file('exec-fails-3.sh', `#!/bin/sh\necho run >> ${count}\necho "login expired for alice: token ${jwt} was refused" >&2\necho "second line: see the SSO page" >&2\nexit 3\n`);
    const good = file('exec-no-expiry.sh', `#!/bin/sh\necho run >> ${count}\necho '{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","status":{"token":"${cluster.token}"}}'\n`);
    execFileSync('chmod', ['+x', failing, good]);
    const exec = (command: string) => ({
      exec: { apiVersion: 'client.authentication.k8s.io/v1', command, args: ['--client-secret', 'ARG-SECRET-3k9'], env: [{ name: 'SSO_SECRET', value: 'ENV-SECRET-7q2' }], interactiveMode: 'Never' },
    });
    const runs = () => (readFileSync(count, 'utf8').match(/run/g) ?? []).length;
    const secrets = [
      { name: 'JWT on the plugin\'s stderr', value: jwt },
      { name: 'exec argument', value: 'ARG-SECRET-3k9' },
      { name: 'exec env value', value: 'ENV-SECRET-7q2' },
    ];

    writeFileSync(count, '');
    for (const verbosity of [[], ['-v', '9']]) {
      const failed = await runPlugin(['status', 'web', ...verbosity], { kubeconfig: file('exec-fails', kubeconfig(cluster.url, cluster.caPem, exec(failing))) });
      assert.equal(failed.code, 1, failed.stderr);
      const line = failed.stderr.split('\n').find((l) => l.startsWith('error: ')) ?? '';
      assert.match(line, /^error: the exec credential plugin of user "u" \(exec-fails-3\.sh\) exited with code 3: login expired for alice: token \[REDACTED\] was refused: nothing was sent to the cluster; run \S+exec-fails-3\.sh yourself/);
      assert.doesNotMatch(failed.stderr, /cannot reach|second line/);
      assertNoSecret('status web with a failing exec plugin', failed.stdout + failed.stderr, secrets);
    }
    assert.equal(runs(), 2, 'the failing plugin ran once per command, not retried as a network error');

    const missing = await runPlugin(['status', 'web'], { kubeconfig: file('exec-missing', kubeconfig(cluster.url, cluster.caPem, exec(join(dir, 'no-such-plugin')))) });
    assert.equal(missing.code, 1, missing.stderr);
    assert.match(missing.stderr, /^error: the exec credential plugin of user "u" could not be started: \S+no-such-plugin \(ENOENT\)/m);
    assertNoSecret('status web with a missing exec plugin', missing.stdout + missing.stderr, secrets);

    // A credential without an expirationTimestamp is good for the whole command: one run, however many requests.
    writeFileSync(count, '');
    const ok = await runPlugin(['status', 'web', '-v', '6'], { kubeconfig: file('exec-good', kubeconfig(cluster.url, cluster.caPem, exec(good))) });
    assert.equal(ok.code, 0, ok.stderr);
    assert.ok((ok.stderr.match(/^GET https:/gm) ?? []).length >= 2, ok.stderr);
    assert.equal(runs(), 1);
  });

  it('redact() removes every form a credential can take in a message', () => {
    const keyPem = '-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEAsecretkeymaterial\n-----END RSA PRIVATE KEY-----';
    const cases: Array<[string, string]> = [
      ['Authorization: Bearer abc.def-ghi_jkl', 'abc.def-ghi_jkl'],
      ['authorization: basic c3JlOmh1bnRlcjI=', 'c3JlOmh1bnRlcjI='],
      ['token: s3cr3t-token', 's3cr3t-token'],
      ['{"token":"s3cr3t-token"}', 's3cr3t-token'],
      ['password=hunter2', 'hunter2'],
      ['"password": "hunter2"', 'hunter2'],
      ['client-key-data: LS0tLS1CRUdJTiBQUklWQVRF', 'LS0tLS1CRUdJTiBQUklWQVRF'],
      ['client-certificate-data: LS0tLS1CRUdJTiBDRVJU', 'LS0tLS1CRUdJTiBDRVJU'],
      ['id-token: eyJhbGciOi.payload.sig', 'eyJhbGciOi.payload.sig'],
      ['refresh-token: r3fr3sh', 'r3fr3sh'],
      [`key: ${keyPem}`, 'secretkeymaterial'],
      ['-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQ\n-----END PRIVATE KEY-----', 'MIIEvQIBADANBgkqhkiG9w0BAQ'],
      ['-----BEGIN EC PRIVATE KEY-----\nMHcCAQEEIsecretec\n-----END EC PRIVATE KEY-----', 'MHcCAQEEIsecretec'],
      ['cannot reach https://admin:hunter2@10.0.0.1:6443/api (ECONNREFUSED)', 'hunter2'],
      ['GET https://u:p4ss@example.com/apis 200', 'p4ss'],
    ];
    for (const [text, secret] of cases) {
      const out = redact(text);
      assert.ok(!out.includes(secret), `${JSON.stringify(text)} -> ${JSON.stringify(out)}`);
      assert.match(out, /\[REDACTED\]/, text);
    }
    // What is not a secret stays readable.
    assert.equal(redact('CloneSet "web" not found in namespace "shop"'), 'CloneSet "web" not found in namespace "shop"');
    assert.equal(redact('cannot reach https://10.0.0.1:6443 (ECONNREFUSED)'), 'cannot reach https://10.0.0.1:6443 (ECONNREFUSED)');
  });
});
