// The standalone cluster (`npm run cluster`) removes its folder of kubeconfigs (bearer tokens) when stopped.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { ROOT } from './harness';

describe('hygiene: the standalone emulated cluster', function () {
  this.timeout(60_000);

  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    it(`removes its kubeconfig folder on ${signal}`, async () => {
      const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'test/cluster/main.ts'), '--replicas', '1', '--quiet'], { cwd: ROOT });
      let out = '';
      child.stdout.on('data', (d: Buffer) => (out += d.toString()));
      const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
      try {
        const started = Date.now();
        while (!/^KUBECONFIG=(.+)$/m.test(out)) {
          assert.ok(Date.now() - started < 30_000, `no KUBECONFIG line: ${out}`);
          await new Promise((r) => setTimeout(r, 50));
        }
        const kubeconfig = /^KUBECONFIG=(.+)$/m.exec(out)![1];
        assert.ok(existsSync(kubeconfig), 'the kubeconfig exists while the cluster runs');
        child.kill(signal);
        assert.equal(await exited, 0);
        assert.equal(existsSync(dirname(kubeconfig)), false, `${dirname(kubeconfig)} is left behind`);
      } finally {
        if (child.exitCode === null) child.kill('SIGKILL');
      }
    });
  }
});
