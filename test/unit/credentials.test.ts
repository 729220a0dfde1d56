// The light path (our kubeconfig reader, tokens, client certificates, basic auth) against the client library's own
// KubeConfig, kind of credential by kind: same objects read, same headers and TLS identity on every request. Exec
// plugins and auth-providers go to the library, and work through it.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { pluginCredentials } from '../../src/kube/auth-plugins';
import { loadConnection } from '../../src/kube/config';
import { currentClusterAndUser, lightCredentials, TLS_FIELDS, type Impersonation, type RequestAuth } from '../../src/kube/credentials';
import { readKubeconfig } from '../../src/kube/kubeconfig';

const dir = mkdtempSync(join(tmpdir(), 'kr-credentials-'));
after(() => rmSync(dir, { recursive: true, force: true }));

// A real key pair and certificate, so TLS options hold what a handshake would use.
mkdirSync(join(dir, 'certs'));
execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', join(dir, 'certs/client.key'), '-out', join(dir, 'certs/client.crt'), '-subj', '/CN=alice', '-days', '1'], { stdio: 'ignore' });
const b64 = (file: string) => execFileSync('base64', ['-w0', join(dir, file)]).toString();
const CERT_DATA = b64('certs/client.crt');
const KEY_DATA = b64('certs/client.key');
writeFileSync(join(dir, 'token.txt'), 'token-from-file-s3cr3t');

function kubeconfig(name: string, cluster: string, user: string | undefined): string {
  const file = join(dir, `${name}.yaml`);
  writeFileSync(
    file,
    `apiVersion: v1
kind: Config
current-context: ctx
clusters:
- name: c
  cluster:
${cluster.replace(/^/gm, '    ')}
contexts:
- name: ctx
  context: { cluster: c${user === undefined ? '' : ', user: u'}, namespace: shop }
users:
- name: u
${user === undefined ? '  user: { token: unused }' : `  user:\n${user.replace(/^/gm, '    ')}`}
`,
  );
  return file;
}

const SERVER = `server: https://127.0.0.1:6443\ncertificate-authority-data: ${CERT_DATA}`;

/** Kinds of credential the light path takes. */
const LIGHT: Record<string, { cluster?: string; user?: string }> = {
  token: { user: 'token: s3cr3t-token' },
  'token file': { user: `token-file: ${join(dir, 'token.txt')}` },
  'client certificate (data)': { user: `client-certificate-data: ${CERT_DATA}\nclient-key-data: ${KEY_DATA}` },
  'client certificate (files, relative to the kubeconfig)': { user: 'client-certificate: certs/client.crt\nclient-key: certs/client.key' },
  basic: { user: 'username: admin\npassword: pa55word' },
  'basic and a token': { user: 'username: admin\npassword: pa55word\ntoken: s3cr3t-token' },
  'impersonation in the kubeconfig': { user: 'token: s3cr3t-token\nas: deployer' },
  'no user in the context': {},
  'CA file, relative': { cluster: 'server: https://127.0.0.1:6443\ncertificate-authority: certs/client.crt', user: 'token: s3cr3t-token' },
  'insecure-skip-tls-verify and tls-server-name': { cluster: 'server: https://127.0.0.1:6443\ninsecure-skip-tls-verify: true\ntls-server-name: api.example', user: 'token: s3cr3t-token' },
};

function tlsOf(auth: RequestAuth): Record<string, unknown> {
  const options = (auth.agent as unknown as { options: Record<string, unknown> }).options;
  return Object.fromEntries(TLS_FIELDS.map((f) => [f, options[f]]));
}

async function bothPaths(file: string, as: Impersonation = { groups: [] }): Promise<{ light: RequestAuth; plugin: RequestAuth }> {
  const config = readKubeconfig(file);
  const { cluster, user } = currentClusterAndUser(config);
  return { light: await lightCredentials(cluster, user, as).forRequest(), plugin: await pluginCredentials(config, as).forRequest() };
}

describe('credentials: the light path and the client library agree', () => {
  for (const [kind, { cluster, user }] of Object.entries(LIGHT)) {
    it(`reads the kubeconfig as the library does: ${kind}`, () => {
      const file = kubeconfig(kind.replace(/\W+/g, '-'), cluster ?? SERVER, user);
      const ours = readKubeconfig(file);
      const kc = new KubeConfig();
      kc.loadFromFile(file);
      assert.deepEqual(ours.clusters, kc.getClusters());
      assert.deepEqual(ours.users, kc.getUsers());
      assert.deepEqual(ours.contexts, kc.getContexts());
      assert.equal(ours.currentContext, kc.getCurrentContext());
    });

    it(`sends the same headers and TLS identity either way: ${kind}`, async () => {
      const file = kubeconfig(kind.replace(/\W+/g, '-'), cluster ?? SERVER, user);
      for (const as of [{ groups: [] }, { user: 'jane', groups: ['ops', 'sre'] }]) {
        const { light, plugin } = await bothPaths(file, as);
        assert.deepEqual(light.headers, plugin.headers);
        assert.deepEqual(tlsOf(light), tlsOf(plugin));
        assert.equal((light.agent as unknown as { keepAlive: boolean }).keepAlive, true);
        assert.equal(loadConnection({ kubeconfig: file }, {}).credentials.path, 'light');
      }
    });
  }

  it('names the same broken entry as the library', () => {
    for (const [body, message] of [
      ['clusters:\n- cluster: { server: https://x }', 'clusters[0].name is missing'],
      ['clusters:\n- name: c', 'clusters[0].cluster is missing'],
      ['clusters:\n- name: c\n  cluster: {}', 'clusters[0].cluster.server is missing'],
      ['users:\n- user: { token: s3cr3t }', 'users[0].name is missing'],
      ['contexts:\n- name: x\n  context: { user: u }', 'contexts[0].context.cluster is missing'],
    ]) {
      const file = join(dir, 'broken.yaml');
      writeFileSync(file, body);
      assert.throws(() => readKubeconfig(file), { message });
      assert.throws(() => new KubeConfig().loadFromFile(file), { message });
    }
  });

  it('sends each --as-group as a header line of its own, as kubectl does (the API server does not split on commas)', async () => {
    const file = kubeconfig('groups', SERVER, 'token: s3cr3t-token');
    const { light, plugin } = await bothPaths(file, { user: 'jane', groups: ['ops', 'sre'] });
    assert.deepEqual(light.headers['impersonate-group'], ['ops', 'sre']);
    assert.deepEqual(plugin.headers['impersonate-group'], ['ops', 'sre']);
    assert.equal(light.headers['impersonate-user'], 'jane');
  });
});

describe('credentials: exec plugins, auth-providers and proxies go through the client library', () => {
  it('runs an exec plugin and sends the token it printed', async () => {
    const plugin = join(dir, 'exec-plugin.sh');
    writeFileSync(plugin, `#!/bin/sh\necho '{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","status":{"token":"exec-s3cr3t"}}'\n`);
    chmodSync(plugin, 0o755);
    const file = kubeconfig('exec', SERVER, `exec:\n  apiVersion: client.authentication.k8s.io/v1\n  command: ${plugin}\n  interactiveMode: Never`);
    const connection = loadConnection({ kubeconfig: file, as: 'jane' }, {});
    assert.equal(connection.credentials.path, 'plugin');
    const auth = await connection.credentials.forRequest();
    assert.equal(auth.headers.authorization, 'Bearer exec-s3cr3t');
    assert.equal(auth.headers['impersonate-user'], 'jane');
    assert.ok(Buffer.isBuffer(tlsOf(auth).ca), 'the cluster CA still applies');
    assert.equal((auth.agent as unknown as { keepAlive: boolean }).keepAlive, true);
  });

  it('takes an OIDC id-token that has not expired from the auth-provider', async () => {
    const part = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
    const idToken = `${part({ alg: 'none' })}.${part({ sub: 'alice', exp: Math.floor(Date.now() / 1000) + 3600 })}.c2ln`;
    const file = kubeconfig('oidc', SERVER, `auth-provider:\n  name: oidc\n  config:\n    client-id: kubectl\n    idp-issuer-url: https://issuer.invalid\n    id-token: ${idToken}`);
    const connection = loadConnection({ kubeconfig: file }, {});
    assert.equal(connection.credentials.path, 'plugin');
    assert.equal((await connection.credentials.forRequest()).headers.authorization, `Bearer ${idToken}`);
  });

  it('sends the token of an auth-provider token file', async () => {
    const file = kubeconfig('tokenfile-provider', SERVER, `auth-provider:\n  name: tokenFile\n  config:\n    tokenFile: ${join(dir, 'token.txt')}`);
    const connection = loadConnection({ kubeconfig: file }, {});
    assert.equal(connection.credentials.path, 'plugin');
    assert.equal((await connection.credentials.forRequest()).headers.authorization, 'Bearer token-from-file-s3cr3t');
  });

  it('leaves a proxy-url to the library (its proxy agent, used as it comes)', async () => {
    const file = kubeconfig('proxy', `${SERVER}\nproxy-url: http://127.0.0.1:3128`, 'token: s3cr3t-token');
    const connection = loadConnection({ kubeconfig: file }, {});
    assert.equal(connection.credentials.path, 'plugin');
    const auth = await connection.credentials.forRequest();
    assert.equal(auth.headers.authorization, 'Bearer s3cr3t-token');
    assert.match(auth.agent.constructor.name, /Proxy/);
  });
});
