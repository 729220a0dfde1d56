import assert from 'node:assert/strict';
import { execFile, spawn, spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { promisify } from 'node:util';
import { startCluster, type Cluster } from './index';
import type { CloneSet, ContainerRecreateRequest, Pod } from '../../src/kruise/types';

const run = promisify(execFile);
const hasKubectl = spawnSync('kubectl', ['version', '--client'], { stdio: 'ignore' }).status === 0;

describe('real kubectl against the emulator', function () {
  this.timeout(60_000);
  let c: Cluster;
  let kc: (...args: string[]) => Promise<string>;

  before(async function () {
    if (!hasKubectl) return this.skip();
    c = await startCluster({ speed: 200 });
    await c.seedCloneSet({ name: 'web', replicas: 3, strategy: 'InPlaceIfPossible', triggerAnnotation: 'kruise-restart.dev/restarted-at' });
    kc = async (...args) => (await run('kubectl', ['--kubeconfig', c.kubeconfigPath, ...args], { timeout: 20_000 })).stdout;
  });
  after(async () => c?.stop());

  it('api-resources lists clone and crr with their short names', async () => {
    const out = await kc('api-resources', '--api-group=apps.kruise.io');
    assert.match(out, /clonesets\s+clone\s+apps\.kruise\.io\/v1alpha1\s+true\s+CloneSet/);
    assert.match(out, /containerrecreaterequests\s+crr\s+apps\.kruise\.io\/v1alpha1\s+true\s+ContainerRecreateRequest/);
  });

  it('get clone shows the CRD printer columns; get pods shows READY and readiness gates', async () => {
    const out = await kc('get', 'clone');
    assert.match(out, /NAME\s+DESIRED\s+UPDATED\s+UPDATED_READY\s+UPDATED_AVAILABLE\s+READY\s+TOTAL\s+AGE/);
    assert.match(out, /web\s+3\s+3\s+3\s+3\s+3\s+3\s/);
    const pods = await kc('get', 'pods', '-o', 'wide', '-l', 'app=web');
    assert.equal(pods.trim().split('\n').length, 4);
    assert.match(pods, /1\/1\s+Running\s+0\s/);
    const json = JSON.parse(await kc('get', 'clonesets.apps.kruise.io', 'web', '-o', 'json')) as CloneSet;
    assert.equal(json.status?.readyReplicas, 3);
  });

  it('get -w streams rows', async () => {
    const child = spawn('kubectl', ['--kubeconfig', c.kubeconfigPath, 'get', 'clone', '-w']);
    const line = await new Promise<string>((resolve, reject) => {
      let buf = '';
      child.stdout.on('data', (d: Buffer) => {
        buf += d.toString();
        const lines = buf.split('\n').filter(Boolean);
        if (lines.length >= 2) resolve(lines[1]);
      });
      child.on('exit', () => reject(new Error(`kubectl exited: ${buf}`)));
      setTimeout(() => reject(new Error(`no rows: ${buf}`)), 15_000);
    });
    assert.match(line, /^web\s+3/);
    // A change arrives on the open stream.
    await kc('scale', 'clone', 'web', '--replicas=4');
    const next = await new Promise<string>((resolve) => {
      let buf = '';
      child.stdout.on('data', (d: Buffer) => {
        buf += d.toString();
        if (/\n/.test(buf)) resolve(buf);
      });
    });
    assert.match(next, /^web\s+4/);
    child.kill();
    await kc('scale', 'clone', 'web', '--replicas=3');
  });

  it('patch --type merge, then the controller rolls', async () => {
    const out = await kc('patch', 'clone', 'web', '--type', 'merge', '-p', JSON.stringify({ spec: { template: { metadata: { annotations: { 'kruise-restart.dev/restarted-at': 'k1' } } } } }));
    assert.match(out, /cloneset.apps.kruise.io\/web patched/);
    await c.whenIdle();
    const cs = c.get<CloneSet>('clonesets', 'default', 'web')!;
    assert.equal(cs.status?.updatedReadyReplicas, cs.spec.replicas);
    const err = await kc('patch', 'clone', 'web', '-p', '{"spec":{"replicas":3}}').catch((e: { stderr: string }) => e.stderr);
    assert.match(err, /415|UnsupportedMediaType|unknown format/i, 'strategic merge patch on a CR');
  });

  it('create -f a CRR, get crr, delete it', async () => {
    const pod = c.list<Pod>('pods', 'default')[0];
    const file = join(dirname(c.kubeconfigPath), 'crr.yaml');
    writeFileSync(file, `apiVersion: apps.kruise.io/v1alpha1
kind: ContainerRecreateRequest
metadata:
  name: restart-one
spec:
  podName: ${pod.metadata.name}
  containers:
  - name: app
  strategy:
    minStartedSeconds: 1
`);
    assert.match(await kc('create', '-f', file), /containerrecreaterequest.apps.kruise.io\/restart-one created/);
    await c.waitFor(() => c.get<ContainerRecreateRequest>('containerrecreaterequests', 'default', 'restart-one')?.status?.phase === 'Completed', 10_000, 'CRR completion');
    const out = await kc('get', 'crr');
    assert.match(out, /NAME\s+PHASE\s+POD\s+NODE\s+AGE/);
    assert.match(out, new RegExp(`restart-one\\s+Completed\\s+${pod.metadata.name}\\s+node-\\d`));
    assert.match(await kc('delete', 'crr', 'restart-one'), /deleted/);
    assert.equal(c.get('containerrecreaterequests', 'default', 'restart-one'), undefined);
    const bad = await kc('create', '-f', file).catch((e: { stderr: string }) => e.stderr);
    assert.ok(bad.length > 0);
  });

  it('create and delete a pod and a CloneSet; errors come back as kubectl prints them', async () => {
    const file = join(dirname(c.kubeconfigPath), 'cs.yaml');
    writeFileSync(file, JSON.stringify({ apiVersion: 'apps.kruise.io/v1alpha1', kind: 'CloneSet', metadata: { name: 'api' }, spec: { replicas: 1, selector: { matchLabels: { app: 'api' } }, template: { metadata: { labels: { app: 'api' } }, spec: { containers: [{ name: 'c', image: 'busybox' }] } } } }));
    assert.match(await kc('create', '-f', file), /cloneset.apps.kruise.io\/api created/);
    const dup = await kc('create', '-f', file).catch((e: { stderr: string }) => e.stderr);
    assert.match(dup, /AlreadyExists|already exists/);
    await c.waitFor(() => c.list<Pod>('pods', 'default').some((p) => p.metadata.labels?.app === 'api'), 5000, 'api pod');
    assert.match(await kc('delete', 'clone', 'api'), /deleted/);
    const missing = await kc('get', 'clone', 'nope').catch((e: { stderr: string }) => e.stderr);
    assert.match(missing, /NotFound.*clonesets.apps.kruise.io "nope" not found/);
    const podFile = join(dirname(c.kubeconfigPath), 'pod.json');
    writeFileSync(podFile, JSON.stringify({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'lonely' }, spec: { containers: [{ name: 'c', image: 'busybox' }] } }));
    assert.match(await kc('create', '-f', podFile), /pod\/lonely created/);
    assert.match(await kc('annotate', 'pod', 'lonely', 'a=b'), /annotated/);
    assert.match(await kc('delete', 'pod', 'lonely', '--wait=false'), /deleted/);
  });

  it('kubectl auth can-i uses SelfSubjectAccessReview', async () => {
    assert.match(await kc('auth', 'can-i', 'patch', 'clonesets.apps.kruise.io'), /yes/);
    const limited = c.writeKubeconfig({ token: c.addUser('viewer', [{ verbs: ['get', 'list', 'watch'], apiGroups: ['*'], resources: ['*'] }]), user: 'viewer' });
    const out = await run('kubectl', ['--kubeconfig', limited, 'auth', 'can-i', 'patch', 'clonesets.apps.kruise.io']).catch((e: { stdout: string }) => ({ stdout: e.stdout }));
    assert.match(out.stdout, /no/);
  });

  it('without OpenKruise, kubectl does not know clone', async () => {
    const bare = await startCluster({ kruise: false });
    try {
      const err = await run('kubectl', ['--kubeconfig', bare.kubeconfigPath, 'get', 'clone']).catch((e: { stderr: string }) => ({ stdout: e.stderr }));
      assert.match(err.stdout, /the server doesn't have a resource type "clone"/);
    } finally {
      await bare.stop();
    }
  });
});
