import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConnection, parseDuration, DEFAULT_REQUEST_TIMEOUT_MS } from '../../src/kube/config';
import { UsageError } from '../../src/errors';

const dir = mkdtempSync(join(tmpdir(), 'kr-kubeconfig-'));
function file(name: string, body: string): string {
  const path = join(dir, name);
  writeFileSync(path, body);
  return path;
}

const first = file(
  'a.yaml',
  `apiVersion: v1
kind: Config
current-context: prod
clusters:
- name: prod
  cluster: { server: "https://prod.example:6443/" }
- name: shared
  cluster: { server: "https://from-a.example" }
contexts:
- name: prod
  context: { cluster: prod, user: alice, namespace: shop }
- name: bare
  context: { cluster: shared, user: alice }
users:
- name: alice
  user: { token: secret-token-a }
`,
);
const second = file(
  'b.yaml',
  `apiVersion: v1
kind: Config
current-context: staging
clusters:
- name: shared
  cluster: { server: "https://from-b.example" }
- name: staging
  cluster: { server: "https://staging.example" }
contexts:
- name: staging
  context: { cluster: staging, user: bob }
users:
- name: bob
  user: { token: secret-token-b }
`,
);

describe('kubeconfig loading', () => {
  it("uses the current context's cluster, user and namespace", () => {
    const c = loadConnection({ kubeconfig: first }, {});
    assert.equal(c.server, 'https://prod.example:6443');
    assert.equal(c.namespace, 'shop');
    assert.equal(c.userName, 'alice');
    assert.equal(c.requestTimeoutMs, DEFAULT_REQUEST_TIMEOUT_MS);
  });

  it('merges KUBECONFIG files like kubectl: the first file wins current-context and duplicate names', () => {
    const c = loadConnection({}, { KUBECONFIG: `${first}:/missing/file:${second}` });
    assert.equal(c.context, 'prod');
    const staging = loadConnection({ context: 'staging' }, { KUBECONFIG: `${first}:${second}` });
    assert.equal(staging.server, 'https://staging.example');
    assert.equal(staging.userName, 'bob');
    const bare = loadConnection({ context: 'bare' }, { KUBECONFIG: `${first}:${second}` });
    assert.equal(bare.server, 'https://from-a.example');
    assert.equal(bare.namespace, 'default');
  });

  it('lets --cluster, --user and -n override the context', () => {
    const c = loadConnection({ cluster: 'staging', user: 'bob', namespace: 'ops' }, { KUBECONFIG: `${first}:${second}` });
    assert.equal(c.server, 'https://staging.example');
    assert.equal(c.userName, 'bob');
    assert.equal(c.namespace, 'ops');
  });

  it('refuses unknown contexts, clusters and users with a usage error', () => {
    assert.throws(() => loadConnection({ context: 'nope' }, { KUBECONFIG: first }), UsageError);
    assert.throws(() => loadConnection({ cluster: 'nope' }, { KUBECONFIG: first }), /cluster "nope"/);
    assert.throws(() => loadConnection({ user: 'nope' }, { KUBECONFIG: first }), /user "nope"/);
    assert.throws(() => loadConnection({}, { KUBECONFIG: '/missing/a:/missing/b' }), /none of the files/);
    assert.throws(() => loadConnection({}, { HOME: dir }), /no kubeconfig found/);
  });

  it('reports a malformed file without echoing its content', () => {
    const bad = file('bad.yaml', 'users: [ { name: x, user: { token: "hunter2-secret" } ');
    try {
      loadConnection({ kubeconfig: bad }, {});
      assert.fail('should throw');
    } catch (err) {
      assert.ok(err instanceof UsageError);
      assert.doesNotMatch((err as Error).message, /hunter2/);
    }
  });

  it('adds impersonation headers for --as and --as-group to every request', async () => {
    const c = loadConnection({ kubeconfig: first, as: 'deployer', asGroup: ['ops', 'sre'] }, {});
    const { headers } = await c.credentials.forRequest();
    assert.equal(headers['impersonate-user'], 'deployer');
    // One header line per group, as kubectl sends them: the API server takes each line as one group.
    assert.deepEqual(headers['impersonate-group'], ['ops', 'sre']);
    assert.equal(headers.authorization, 'Bearer secret-token-a');
  });

  it('parses --request-timeout like kubectl', () => {
    assert.equal(parseDuration('5', 'x'), 5000);
    assert.equal(parseDuration('1m30s', 'x'), 90_000);
    assert.equal(parseDuration('250ms', 'x'), 250);
    for (const bad of ['', 'soon', '-1', '5x', '1m 3s']) assert.throws(() => parseDuration(bad, '--request-timeout'), UsageError, bad);
  });
});
