// A server that accepts connections and never answers: nobody should stare at a silent terminal. At the default
// level one warning says the API server is slow; at -v 2 every retry is logged with why.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { assertOneLineError, requireBuild, runPlugin } from './harness';

describe('a server that accepts and never answers (built binary)', function () {
  this.timeout(90_000);
  let server: Server;
  let dir: string;
  let kubeconfig: string;
  const sockets = new Set<Socket>();

  before(async () => {
    requireBuild();
    server = createServer((socket) => {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
      socket.on('error', () => {});
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as { port: number }).port;
    dir = mkdtempSync(join(tmpdir(), 'kr-silent-'));
    kubeconfig = join(dir, 'config');
    writeFileSync(
      kubeconfig,
      `apiVersion: v1
kind: Config
clusters: [{name: silent, cluster: {server: "https://127.0.0.1:${port}", insecure-skip-tls-verify: true}}]
users: [{name: u, user: {token: not-a-secret}}]
contexts: [{name: silent, context: {cluster: silent, user: u, namespace: default}}]
current-context: silent
`,
    );
  });
  after(async () => {
    for (const s of sockets) s.destroy();
    await new Promise((resolve) => server.close(resolve));
    rmSync(dir, { recursive: true, force: true });
  });

  it('says once at the default level that the server is slow, then fails with one clear line', async () => {
    const run = await runPlugin(['status', 'web', '--request-timeout', '1s'], { kubeconfig, timeoutMs: 80_000 });
    assert.equal(run.code, 1, run.stderr);
    const warnings = run.stderr.split('\n').filter((l) => l.startsWith('warning:'));
    assert.equal(warnings.length, 1, run.stderr);
    assert.match(warnings[0], /did not answer within 1s; still trying/);
    assert.match(assertOneLineError(run), /did not answer/);
  });

  it('logs every retry and why at -v 2', async () => {
    const run = await runPlugin(['status', 'web', '--request-timeout', '1s', '-v', '2'], { kubeconfig, timeoutMs: 80_000 });
    assert.equal(run.code, 1, run.stderr);
    const retries = run.stderr.split('\n').filter((l) => /no answer within 1s, retrying in \d+ ms \(attempt \d\)/.test(l));
    assert.equal(retries.length, 5, run.stderr);
  });
});
