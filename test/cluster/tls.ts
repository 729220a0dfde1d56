// A throwaway CA and a 127.0.0.1 serving certificate, made once per process with the openssl CLI: node:crypto
// cannot issue X.509 certificates, and shelling out avoids a dependency for ~50 ms of work.

import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface ServingCert {
  caPem: string;
  certPem: string;
  keyPem: string;
}

let cached: ServingCert | undefined;

export function servingCert(): ServingCert {
  if (cached) return cached;
  const dir = mkdtempSync(join(tmpdir(), 'kruise-emu-tls-'));
  try {
    const run = (args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
    const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
    run(['req', '-x509', ...ec, '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '7', '-subj', '/CN=kruise-emulator-ca',
      '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign']);
    run(['req', ...ec, '-keyout', 'srv.key', '-out', 'srv.csr', '-subj', '/CN=kube-apiserver']);
    writeFileSync(join(dir, 'ext.cnf'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n');
    run(['x509', '-req', '-in', 'srv.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'srv.crt', '-days', '7', '-extfile', 'ext.cnf']);
    cached = {
      caPem: readFileSync(join(dir, 'ca.crt'), 'utf8'),
      certPem: readFileSync(join(dir, 'srv.crt'), 'utf8'),
      keyPem: readFileSync(join(dir, 'srv.key'), 'utf8'),
    };
    return cached;
  } catch (e) {
    const stderr = (e as { stderr?: Buffer }).stderr?.toString() ?? '';
    throw new Error(`openssl failed to make the emulator's certificates: ${(e as Error).message} ${stderr}`, { cause: e });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
