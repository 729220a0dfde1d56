// The kubeconfig's exec credential plugin, run as kubectl runs it: what it is told, what it returns, how it fails.
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execCredentialSource, execFailure, firstLine, parseExecCredential, runExecPlugin } from '../../src/kube/exec-credential';

describe('exec credential plugins', () => {
  let dir: string;
  before(() => (dir = mkdtempSync(join(tmpdir(), 'kr-exec-'))));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const script = (name: string, body: string) => {
    const path = join(dir, name);
    writeFileSync(path, `#!/bin/sh\n${body}\n`);
    chmodSync(path, 0o755);
    return path;
  };
  const opts = { stdinIsTTY: false, env: { PATH: process.env.PATH } };
  const credential = (status: object) => `echo '${JSON.stringify({ apiVersion: 'client.authentication.k8s.io/v1', kind: 'ExecCredential', status })}'`;

  it('passes the args, the env entries and KUBERNETES_EXEC_INFO (not interactive off a terminal), and reads the token', async () => {
    const seen = join(dir, 'seen');
    const plugin = script('token.sh', `echo "$1 $MY_VAR $KUBERNETES_EXEC_INFO" > ${seen}\n${credential({ token: 't0k' })}`);
    const got = await runExecPlugin('alice', { command: plugin, args: ['--flag'], env: [{ name: 'MY_VAR', value: 'v' }], apiVersion: 'client.authentication.k8s.io/v1', interactiveMode: 'IfAvailable' }, opts);
    assert.equal(got.token, 't0k');
    assert.equal(readFileSync(seen, 'utf8').trim(), '--flag v {"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","spec":{"interactive":false}}');
  });

  it('reads a client certificate and key, and the expiry', () => {
    const got = parseExecCredential('alice', { command: 'p' }, JSON.stringify({ kind: 'ExecCredential', status: { clientCertificateData: 'CERT', clientKeyData: 'KEY', expirationTimestamp: '2026-12-05T13:00:00Z' } }));
    assert.deepEqual(got, { token: undefined, clientCertificateData: 'CERT', clientKeyData: 'KEY', expiresAt: Date.parse('2026-12-05T13:00:00Z') });
  });

  it('refuses output that is no ExecCredential, without quoting it (it may hold a secret)', () => {
    assert.throws(() => parseExecCredential('alice', { command: '/bin/p', apiVersion: 'v9' }, '{"token":"s3cr3t"}'), (err: Error) => /printed no ExecCredential/.test(err.message) && !err.message.includes('s3cr3t'));
  });

  it('a failure says the exit code (or signal) and the first line of stderr, never the arguments', async () => {
    const plugin = script('fail.sh', 'echo >&2\necho "  need a login  " >&2\necho more >&2\nexit 4');
    await assert.rejects(runExecPlugin('alice', { command: plugin, args: ['--password', 'p4ss'] }, opts), (err: Error & { exitCode: number }) => {
      assert.equal(err.message, 'the exec credential plugin of user "alice" (fail.sh) exited with code 4: need a login');
      assert.equal(err.exitCode, 1);
      assert.ok(!JSON.stringify(err).includes('p4ss'));
      return true;
    });
    assert.match(execFailure('alice', { command: '/p' }, { code: null, signal: 'SIGKILL', stderr: '' }).message, /\(p\) was killed by SIGKILL and printed nothing on stderr$/);
    assert.match(execFailure('alice', { command: '/p' }, { code: 1, signal: null }).message, /exited with code 1 \(its messages are above\)$/);
    assert.equal(firstLine(`${'x'.repeat(300)}\n`)?.length, 201);
  });

  it('interactiveMode Always without a terminal is refused before running anything', async () => {
    const ran = join(dir, 'ran');
    const plugin = script('always.sh', `touch ${ran}`);
    await assert.rejects(runExecPlugin('alice', { command: plugin, interactiveMode: 'Always' }, opts), /needs a terminal \(interactiveMode: Always\)/);
    assert.throws(() => readFileSync(ran));
  });

  it('keeps a credential until shortly before it expires, and one without expiry for the whole command', async () => {
    const count = join(dir, 'count');
    writeFileSync(count, '');
    const expiring = script('expiring.sh', `echo x >> ${count}\n${credential({ token: 't', expirationTimestamp: '2026-12-05T12:01:00Z' })}`);
    let now = Date.parse('2026-12-05T12:00:00Z');
    const source = execCredentialSource('alice', { command: expiring }, opts, () => now);
    await Promise.all([source(), source(), source()]);
    assert.equal(readFileSync(count, 'utf8').length, 2, 'requests made together share one run');
    now += 55_000;
    await source();
    assert.equal(readFileSync(count, 'utf8').length, 4, 'run again 10 s before the expiry');
    writeFileSync(count, '');
    const lasting = execCredentialSource('alice', { command: script('lasting.sh', `echo x >> ${count}\n${credential({ token: 't' })}`) }, opts);
    for (let i = 0; i < 3; i++) await lasting();
    assert.equal(readFileSync(count, 'utf8').length, 2);
  });
});
