// The real tier: a real kube-apiserver (v1.32.10) on a real etcd, the controllers of kube-controller-manager (v1.32.10)
// a restart tool meets, OpenKruise v1.9.0's own kruise-manager with its webhooks, and the node agent (kubelet +
// kruise-daemon stand-in), all built from Go modules by build.sh and started as child processes. Where the emulator in test/cluster/ reproduces Kruise from reading its source, this runs it.

import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { Agent, request } from 'node:https';
import { request as httpRequest } from 'node:http';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import yaml from 'js-yaml';
import { emulatorFolders, type RbacRule, type RestartRecord, type SeedCloneSet, type WorkloadKind } from '../cluster/index';
import { PLUGIN, type CloneSet, type Pod } from '../../src/kruise/types';

export type { SeedCloneSet, RbacRule, RestartRecord };

const HERE = dirname(fileURLToPath(import.meta.url));
export const REPO = join(HERE, '..', '..');
export const BIN_DIR = process.env.REALCLUSTER_BIN ?? join(REPO, '.cache', 'realcluster', 'bin');
const BINARIES = ['etcd', 'kube-apiserver', 'kube-controller-manager', 'kruise-manager', 'node-agent'] as const;
/**
 * kube-controller-manager's controllers that act on what a restart touches and need no kubelet or cloud: namespace
 * deletion, ownerReference garbage collection (Kruise leaves pod-owned objects to it) and the disruption controller
 * that keeps PodDisruptionBudget status. Workload controllers (Deployment, StatefulSet...) are left out: nothing here
 * runs native workloads, and each controller adds informers to start.
 */
export const KCM_CONTROLLERS = ['namespace-controller', 'garbage-collector-controller', 'disruption-controller'] as const;
const KUBE_VERSION = 'v1.32.10';

export interface RealClusterOptions {
  /** Nodes the agent plays, node-0..N-1. Default 3. */
  nodes?: number;
  /** Container kill → new container running, seconds. Default 1. */
  restartSeconds?: number;
  /** New container running → Ready, seconds. Default 2. */
  readySeconds?: number;
  /** Kruise feature gate InPlaceUpdateEnvFromMetadata (manager and daemon). Default true, as Kruise's default. */
  envFromMetadataGate?: boolean;
  /** Further Kruise feature gates, e.g. { PodUnavailableBudgetUpdateGate: false }. */
  featureGates?: Record<string, boolean>;
  /** Pre-made users with no bindings that addUser() hands out (the token file is read once at start). Default 8. */
  users?: number;
  /** Namespace of the default kubeconfig context; created if missing. Default 'default'. */
  namespace?: string;
  /** Where the binaries are; default .cache/realcluster/bin (REALCLUSTER_BIN). */
  binDir?: string;
}

export type ResourceName = 'pods' | 'clonesets' | 'statefulsets' | 'daemonsets' | 'containerrecreaterequests' | 'events' | 'namespaces' | 'nodes';

export interface RealCluster {
  url: string;
  /** Admin bearer token (system:masters). */
  token: string;
  caPem: string;
  kubeconfigPath: string;
  /** The temp folder holding certificates, kubeconfigs, etcd data and every process's log. */
  dir: string;
  /** kube-apiserver's audit log (JSON lines, stage ResponseComplete): every write request at Metadata level, nothing else. */
  auditLogPath: string;
  writeKubeconfig(opts?: { token?: string; namespace?: string; path?: string; user?: string }): string;
  /** Binds a ClusterRole with `rules` to the next unused pre-made user and returns its token. */
  addUser(name: string, rules: RbacRule[]): Promise<string>;
  createNamespace(name: string): Promise<void>;
  /** Creates the CloneSet through the API and waits until every pod is Running and Ready and the status settled. */
  seedCloneSet(s: SeedCloneSet): Promise<CloneSet>;
  get<T = unknown>(resource: ResourceName, namespace: string, name: string): Promise<T | undefined>;
  list<T = unknown>(resource: ResourceName, namespace: string): Promise<T[]>;
  /** Raw API call as the admin (or `token`): status and parsed body. */
  api(method: string, path: string, body?: unknown, opts?: { token?: string; contentType?: string }): Promise<ApiResponse>;
  /** Container restarts the node agent performed, read from its log. */
  readonly restartLog: RestartRecord[];
  unavailableHistory(namespace: string, workload: string, kind?: WorkloadKind): number[];
  /** Most desired pods of the workload (a CloneSet unless `kind` says) not Running+Ready at once, from a pod watch started with the cluster. */
  maxUnavailableSeen(namespace: string, workload: string, kind?: WorkloadKind): number;
  knobs: RealKnobs;
  /** Polls `predicate` until truthy; rejects after timeoutMs. */
  waitFor<T>(predicate: () => Promise<T | undefined | false | null>, timeoutMs?: number, what?: string): Promise<T>;
  stop(): Promise<void>;
}

/** The node agent's knobs are annotations, so a test can turn them through the API server like anything else. */
export interface RealKnobs {
  failRestart(namespace: string, pod: string, containers: string[]): Promise<void>;
  /** Takes failRestart back: the node agent reads the pod's annotations live. */
  repairRestart(namespace: string, pod: string): Promise<void>;
  neverReady(namespace: string, pod: string): Promise<void>;
  readyDelay(namespace: string, pod: string, seconds: number): Promise<void>;
  noEnvBinary(namespace: string, pod: string, containers: string[]): Promise<void>;
  frozenDaemon(namespace: string, pod: string): Promise<void>;
  noDaemonOnNode(node: string): Promise<void>;
}

export interface ApiResponse {
  status: number;
  body: unknown;
}

/** Children of every cluster of this process: killed when the process exits, however it exits. */
const children = new Set<ChildProcess>();
let exitHookInstalled = false;
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const c of children) c.kill('SIGKILL');
  });
}

/** Runs build.sh (a no-op when nothing changed), its progress lines on our stderr. */
export function buildRealCluster(): void {
  execFileSync('bash', [join(HERE, 'build.sh')], { stdio: ['ignore', 'inherit', 'inherit'] });
}

export function missingBinaries(binDir = BIN_DIR): string[] {
  return BINARIES.filter((b) => !existsSync(join(binDir, b)));
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function openssl(dir: string, args: string[]): void {
  const r = spawnSync('openssl', args, { cwd: dir, encoding: 'utf8' });
  if (r.error) throw new Error(`openssl is needed for the real tier's certificates: ${r.error.message}`);
  if (r.status !== 0) throw new Error(`openssl ${args[0]} failed: ${r.stderr.trim()}`);
}

function makeCertificates(dir: string): void {
  openssl(dir, ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '2', '-subj', '/CN=realcluster-ca']);
  openssl(dir, ['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=kube-apiserver']);
  writeFileSync(join(dir, 'server.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n');
  openssl(dir, ['x509', '-req', '-in', 'server.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'server.crt', '-days', '2', '-extfile', 'server.ext']);
  openssl(dir, ['genrsa', '-out', 'sa.key', '2048']);
  openssl(dir, ['rsa', '-in', 'sa.key', '-pubout', '-out', 'sa.pub']);
}

function lastLines(path: string, n = 25): string {
  try {
    return readFileSync(path, 'utf8').trimEnd().split('\n').slice(-n).join('\n');
  } catch {
    return '(no log)';
  }
}

/** The kruise module in the Go module cache: its CRDs and webhook manifests are applied as Kruise ships them. */
function kruiseModuleDir(): string {
  const out = execFileSync('go', ['list', '-m', '-json', 'github.com/openkruise/kruise'], { cwd: HERE, encoding: 'utf8' });
  const dir = (JSON.parse(out) as { Dir?: string }).Dir;
  if (!dir || !existsSync(dir)) throw new Error('the github.com/openkruise/kruise module is not in the Go module cache: run test/realcluster/build.sh');
  return dir;
}

export async function startRealCluster(opts: RealClusterOptions = {}): Promise<RealCluster> {
  const binDir = opts.binDir ?? BIN_DIR;
  const missing = missingBinaries(binDir);
  if (missing.length) {
    const agentHint = missing.includes('node-agent') && !existsSync(join(HERE, 'cmd', 'node-agent', 'main.go')) ? ' (test/realcluster/cmd/node-agent has no main.go yet)' : '';
    throw new Error(`real cluster binaries missing in ${binDir}: ${missing.join(', ')}${agentHint}; run test/realcluster/build.sh`);
  }
  installExitHook();
  const dir = mkdtempSync(join(tmpdir(), 'kruise-real-'));
  emulatorFolders.add(dir);
  const mine: { name: string; proc: ChildProcess; log: string }[] = [];
  let stopped = false;

  const startProcess = (name: string, args: string[], env: NodeJS.ProcessEnv = {}) => {
    const log = join(dir, `${name}.log`);
    const fd = openSync(log, 'a');
    const proc = spawn(join(binDir, name), args, { stdio: ['ignore', fd, fd], env: { ...process.env, ...env } });
    closeSync(fd);
    children.add(proc);
    proc.once('exit', () => children.delete(proc));
    mine.push({ name, proc, log });
    return { proc, log };
  };

  const stop = async () => {
    if (stopped) return;
    stopped = true;
    watchAbort.abort();
    for (const { proc } of [...mine].reverse()) {
      if (proc.exitCode !== null || proc.signalCode !== null) continue;
      const exited = new Promise((r) => proc.once('exit', r));
      proc.kill('SIGTERM');
      await Promise.race([exited, sleep(5000)]);
      if (proc.exitCode === null && proc.signalCode === null) {
        proc.kill('SIGKILL');
        await exited;
      }
    }
    agent.destroy();
    rmSync(dir, { recursive: true, force: true });
  };

  /** A failed start: stop everything and say which process and what it last logged. */
  const fail = async (what: string, name?: string): Promise<never> => {
    const detail = name ? `\n--- last lines of ${name}.log ---\n${lastLines(join(dir, `${name}.log`))}` : '';
    const exited = mine.filter((m) => m.proc.exitCode !== null).map((m) => `${m.name} exited with ${m.proc.exitCode}`);
    await stop();
    throw new Error(`real cluster: ${what}${exited.length ? ` (${exited.join(', ')})` : ''}${detail}`);
  };
  const alive = (name: string) => {
    const m = mine.find((x) => x.name === name);
    return !!m && m.proc.exitCode === null && m.proc.signalCode === null;
  };

  const watchAbort = new AbortController();
  let agent = new Agent({ keepAlive: true });
  const started = Date.now();
  try {
    makeCertificates(dir);
  } catch (e) {
    return fail((e as Error).message);
  }
  const caPem = readFileSync(join(dir, 'ca.crt'), 'utf8');
  agent = new Agent({ keepAlive: true, ca: caPem });

  // The token file is read once at start: the admin plus restricted users with no bindings, which addUser() binds.
  const token = randomBytes(24).toString('hex');
  // kube-controller-manager's own identity, which the API server's bootstrap RBAC binds (system:kube-controller-manager):
  // with it the controllers each get their own service account, as in a kubeadm cluster.
  const kcmToken = randomBytes(24).toString('hex');
  const restricted = Array.from({ length: opts.users ?? 8 }, (_, i) => ({ user: `restricted-${i + 1}`, token: randomBytes(24).toString('hex'), used: false }));
  writeFileSync(
    join(dir, 'tokens.csv'),
    [`${token},admin,admin-uid,"system:masters"`, `${kcmToken},system:kube-controller-manager,kcm-uid`, ...restricted.map((r) => `${r.token},${r.user},${r.user}-uid`)].join('\n') + '\n',
    { mode: 0o600 },
  );

  const [etcdPort, peerPort, apiPort, webhookPort, healthPort, metricsPort, kcmPort] = await Promise.all([freePort(), freePort(), freePort(), freePort(), freePort(), freePort(), freePort()]);
  const url = `https://127.0.0.1:${apiPort}`;

  const api = (method: string, path: string, body?: unknown, o: { token?: string; contentType?: string } = {}): Promise<ApiResponse> =>
    new Promise((resolve, reject) => {
      const req = request(
        `${url}${path}`,
        {
          method,
          agent,
          headers: {
            Authorization: `Bearer ${o.token ?? token}`,
            Accept: 'application/json',
            ...(body !== undefined ? { 'Content-Type': o.contentType ?? 'application/json' } : {}),
          },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            let parsed: unknown = text;
            try {
              parsed = JSON.parse(text);
            } catch {
              // not JSON (e.g. /readyz): keep the text
            }
            resolve({ status: res.statusCode ?? 0, body: parsed });
          });
        },
      );
      req.on('error', reject);
      req.end(body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body));
    });

  const waitFor = async <T>(predicate: () => Promise<T | undefined | false | null>, timeoutMs = 30_000, what = 'condition'): Promise<T> => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      try {
        const v = await predicate();
        if (v) return v;
      } catch {
        // not up yet
      }
      if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
      await sleep(200);
    }
  };

  // etcd first: the apiserver exits when it cannot reach its store.
  startProcess('etcd', ['--data-dir', join(dir, 'etcd'), '--listen-client-url', `http://127.0.0.1:${etcdPort}`, '--listen-peer-url', `http://127.0.0.1:${peerPort}`]);
  try {
    await waitFor(() => httpGet(`http://127.0.0.1:${etcdPort}/health`).then((s) => s === 200 || (!alive('etcd') && Promise.reject(new Error('exited')))), 30_000, 'etcd /health');
  } catch (e) {
    return fail(`etcd did not start: ${(e as Error).message}`, 'etcd');
  }

  // Tests ask which writes the plugin made: the audit log answers for the real server as the request log does for the
  // emulator. Metadata level carries user, verb, object and response code; reads are left out to keep it small.
  const auditLogPath = join(dir, 'audit.jsonl');
  writeFileSync(
    join(dir, 'audit-policy.yaml'),
    yaml.dump({
      apiVersion: 'audit.k8s.io/v1',
      kind: 'Policy',
      omitStages: ['RequestReceived'],
      rules: [
        { level: 'Metadata', verbs: ['create', 'update', 'patch', 'delete', 'deletecollection'] },
        { level: 'None' },
      ],
    }),
  );
  startProcess('kube-apiserver', [
    `--etcd-servers=http://127.0.0.1:${etcdPort}`,
    '--bind-address=127.0.0.1',
    `--secure-port=${apiPort}`,
    `--tls-cert-file=${join(dir, 'server.crt')}`,
    `--tls-private-key-file=${join(dir, 'server.key')}`,
    `--token-auth-file=${join(dir, 'tokens.csv')}`,
    '--authorization-mode=RBAC',
    `--service-account-key-file=${join(dir, 'sa.pub')}`,
    `--service-account-signing-key-file=${join(dir, 'sa.key')}`,
    `--service-account-issuer=https://127.0.0.1:${apiPort}`,
    '--service-cluster-ip-range=10.96.0.0/16',
    '--allow-privileged=true',
    // kube-controller-manager runs no serviceaccount controller here, so new namespaces get no `default` ServiceAccount:
    // the ServiceAccount admission plugin would reject every pod Kruise creates. Nothing here runs pods that call the API.
    '--disable-admission-plugins=ServiceAccount',
    `--audit-policy-file=${join(dir, 'audit-policy.yaml')}`,
    `--audit-log-path=${auditLogPath}`,
    '--profiling=false',
    '--v=1',
  ]);
  try {
    await waitFor(async () => {
      if (!alive('kube-apiserver')) throw new Error('kube-apiserver exited');
      return (await api('GET', '/readyz')).status === 200;
    }, 90_000, 'kube-apiserver /readyz');
  } catch {
    return fail('kube-apiserver did not become ready', 'kube-apiserver');
  }

  const writeKubeconfig: RealCluster['writeKubeconfig'] = (o = {}) => {
    const user = o.user ?? 'admin';
    const path = o.path ?? join(dir, `kubeconfig-${user}-${randomBytes(3).toString('hex')}`);
    mkdirSync(dirname(path), { recursive: true });
    const doc = {
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [{ name: 'real', cluster: { server: url, 'certificate-authority-data': Buffer.from(caPem).toString('base64') } }],
      users: [{ name: user, user: { token: o.token ?? token } }],
      contexts: [{ name: 'real', context: { cluster: 'real', user, namespace: o.namespace ?? opts.namespace ?? 'default' } }],
      'current-context': 'real',
      preferences: {},
    };
    writeFileSync(path, yaml.dump(doc), { mode: 0o600 });
    return path;
  };
  const kubeconfigPath = writeKubeconfig({ path: join(dir, 'kubeconfig') });

  const createNamespace = async (name: string) => {
    const r = await api('POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
    if (r.status !== 201 && r.status !== 409) throw new Error(`creating namespace ${name}: ${r.status} ${JSON.stringify(r.body)}`);
  };

  // Kruise as its release installs it: every CRD of the module, then the two webhook configurations it patches with
  // its own CA and URL at start (Ensure in pkg/webhook/util/configuration looks them up by these names).
  try {
    const kruiseDir = kruiseModuleDir();
    const crdDir = join(kruiseDir, 'config', 'crd', 'bases');
    const crds = readdirSync(crdDir).filter((f) => f.endsWith('.yaml')).map((f) => yaml.load(readFileSync(join(crdDir, f), 'utf8')) as { metadata: { name: string }; spec: Record<string, unknown> });
    // The release's kustomize patches (config/crd/kustomization.yaml) switch the two-version CRDs (CloneSet and CRR
    // store v1beta1) to webhook conversion; without them a v1alpha1 object is read back as v1beta1 unconverted and the
    // controller sees no updateStrategy. Kruise rewrites the client config with its own URL and CA at start.
    const kustomization = yaml.load(readFileSync(join(kruiseDir, 'config', 'crd', 'kustomization.yaml'), 'utf8')) as { patchesStrategicMerge?: string[] };
    for (const p of kustomization.patchesStrategicMerge ?? []) {
      if (!p.includes('webhook_in_')) continue;
      const patch = yaml.load(readFileSync(join(kruiseDir, 'config', 'crd', p), 'utf8')) as { metadata: { name: string }; spec: { conversion: unknown } };
      const crd = crds.find((c) => c.metadata.name === patch.metadata.name);
      if (crd) crd.spec.conversion = patch.spec.conversion;
    }
    for (const crd of crds) {
      const r = await api('POST', '/apis/apiextensions.k8s.io/v1/customresourcedefinitions', crd);
      if (r.status !== 201) return fail(`creating CRD ${crd.metadata.name}: ${r.status} ${JSON.stringify(r.body).slice(0, 300)}`);
    }
    await waitFor(async () => {
      const r = await api('GET', '/apis/apiextensions.k8s.io/v1/customresourcedefinitions');
      const items = (r.body as { items?: { metadata: { name: string }; status?: { conditions?: { type: string; status: string }[] } }[] }).items ?? [];
      return crds.every((c) => items.find((i) => i.metadata.name === c.metadata.name)?.status?.conditions?.some((x) => x.type === 'Established' && x.status === 'True'));
    }, 60_000, 'Kruise CRDs Established');
    await createNamespace('kruise-system');
    if (opts.namespace) await createNamespace(opts.namespace);
    const manifests = yaml.loadAll(readFileSync(join(kruiseDir, 'config', 'webhook', 'manifests.yaml'), 'utf8')) as { kind: string; metadata: { name: string } }[];
    for (const m of manifests.filter(Boolean)) {
      const resource = m.kind === 'MutatingWebhookConfiguration' ? 'mutatingwebhookconfigurations' : 'validatingwebhookconfigurations';
      // The release's kustomize namePrefix.
      m.metadata.name = `kruise-${m.metadata.name}`;
      const r = await api('POST', `/apis/admissionregistration.k8s.io/v1/${resource}`, m);
      if (r.status !== 201) return fail(`creating ${m.kind} ${m.metadata.name}: ${r.status} ${JSON.stringify(r.body).slice(0, 300)}`);
    }
  } catch (e) {
    return fail(`installing Kruise's CRDs and webhooks: ${(e as Error).message}`);
  }

  // After the CRDs, so the garbage collector's and the namespace controller's first discovery already sees Kruise's
  // kinds; it starts while kruise-manager does, off the start's critical path.
  startProcess('kube-controller-manager', [
    `--kubeconfig=${writeKubeconfig({ path: join(dir, 'kubeconfig-kube-controller-manager'), token: kcmToken, user: 'system:kube-controller-manager', namespace: 'kube-system' })}`,
    `--controllers=${KCM_CONTROLLERS.join(',')}`,
    '--use-service-account-credentials=true',
    '--leader-elect=false',
    '--bind-address=127.0.0.1',
    `--secure-port=${kcmPort}`,
    '--profiling=false',
    '--v=1',
  ]);

  const gates = { InPlaceUpdateEnvFromMetadata: opts.envFromMetadataGate ?? true, ...opts.featureGates };
  const gateFlag = Object.entries(gates).map(([k, v]) => `${k}=${v}`).join(',');
  mkdirSync(join(dir, 'protection'));
  startProcess(
    'kruise-manager',
    [
      '--enable-leader-election=false',
      `--metrics-addr=127.0.0.1:${metricsPort}`,
      `--health-probe-addr=127.0.0.1:${healthPort}`,
      '--enable-pprof=false',
      `--protection-log-path=${join(dir, 'protection')}`,
      `--feature-gates=${gateFlag}`,
      '--v=2',
    ],
    // With WEBHOOK_HOST set Kruise writes its certificates to WEBHOOK_CERT_DIR and points its webhook configurations at
    // https://WEBHOOK_HOST:WEBHOOK_PORT instead of a Service (pkg/webhook/util/controller, convertClientConfig).
    { KUBECONFIG: kubeconfigPath, WEBHOOK_HOST: '127.0.0.1', WEBHOOK_PORT: String(webhookPort), WEBHOOK_CERT_DIR: join(dir, 'webhook-certs'), POD_NAMESPACE: 'kruise-system' },
  );
  const probe = {
    apiVersion: 'apps.kruise.io/v1alpha1',
    kind: 'CloneSet',
    metadata: { name: 'realcluster-probe', namespace: 'default' },
    spec: { replicas: 1, selector: { matchLabels: { app: 'realcluster-probe' } }, template: { metadata: { labels: { app: 'realcluster-probe' } }, spec: { containers: [{ name: 'app', image: 'nginx:1.27' }] } } },
  };
  try {
    await waitFor(async () => {
      if (!alive('kruise-manager')) throw new Error('kruise-manager exited');
      if ((await httpGet(`http://127.0.0.1:${healthPort}/readyz`)) !== 200) return false;
      // A dry-run create goes through Kruise's mutating and validating webhooks: proves the apiserver reaches them.
      const r = await api('POST', '/apis/apps.kruise.io/v1alpha1/namespaces/default/clonesets?dryRun=All', probe);
      return r.status === 201 && JSON.stringify(r.body).includes('"updateStrategy"');
    }, 180_000, 'kruise-manager ready and its webhooks answering');
  } catch {
    return fail('kruise-manager did not become ready (readyz + a dry-run CloneSet through its webhooks)', 'kruise-manager');
  }

  const nodes = opts.nodes ?? 3;
  const restartLogPath = join(dir, 'restarts.jsonl');
  writeFileSync(restartLogPath, '');
  startProcess('node-agent', [
    '--kubeconfig', kubeconfigPath,
    '--nodes', String(nodes),
    '--restart-seconds', String(opts.restartSeconds ?? 1),
    '--ready-seconds', String(opts.readySeconds ?? 2),
    '--restart-log', restartLogPath,
    `--feature-gates=${gateFlag}`,
  ]);
  try {
    await waitFor(async () => {
      if (!alive('node-agent')) throw new Error('node-agent exited');
      const r = await api('GET', '/api/v1/nodes');
      const items = (r.body as { items?: { metadata: { name: string }; status?: { conditions?: { type: string; status: string }[] } }[] }).items ?? [];
      const ready = items.filter((n) => n.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'));
      return ready.length >= nodes;
    }, 60_000, `${nodes} Ready nodes from the node agent`);
  } catch {
    return fail('the node agent did not register its nodes', 'node-agent');
  }
  try {
    // Long up by now: its health endpoint only says it serves. Its controllers then act within seconds.
    await waitFor(async () => {
      if (!alive('kube-controller-manager')) throw new Error('kube-controller-manager exited');
      return (await httpsGetStatus(`https://127.0.0.1:${kcmPort}/healthz`)) === 200;
    }, 60_000, 'kube-controller-manager /healthz');
  } catch {
    return fail('kube-controller-manager did not become healthy', 'kube-controller-manager');
  }

  // One pod watch from the start, for maxUnavailableSeen: the emulator's UnavailableTracker, fed by the real server.
  const tracker = new UnavailableTracker(api);
  tracker.start(url, token, caPem, watchAbort.signal);

  const pathOf = (resource: ResourceName, ns: string, name?: string): string => {
    const tail = name ? `/${encodeURIComponent(name)}` : '';
    switch (resource) {
      case 'namespaces':
        return `/api/v1/namespaces${tail}`;
      case 'nodes':
        return `/api/v1/nodes${tail}`;
      case 'pods':
      case 'events':
        return `/api/v1/namespaces/${ns}/${resource}${tail}`;
      // The Advanced kinds at the version Kruise v1.9 stores (v1alpha1 is served too, without conversion).
      case 'statefulsets':
      case 'daemonsets':
        return `/apis/apps.kruise.io/v1beta1/namespaces/${ns}/${resource}${tail}`;
      default:
        return `/apis/apps.kruise.io/v1alpha1/namespaces/${ns}/${resource}${tail}`;
    }
  };
  const get = async <T>(resource: ResourceName, ns: string, name: string): Promise<T | undefined> => {
    const r = await api('GET', pathOf(resource, ns, name));
    if (r.status === 404) return undefined;
    if (r.status !== 200) throw new Error(`GET ${resource} ${ns}/${name}: ${r.status}`);
    return r.body as T;
  };
  const list = async <T>(resource: ResourceName, ns: string): Promise<T[]> => {
    const r = await api('GET', pathOf(resource, ns));
    if (r.status !== 200) throw new Error(`LIST ${resource} ${ns}: ${r.status}`);
    return ((r.body as { items?: T[] }).items ?? []) as T[];
  };
  const annotate = async (path: string, annotations: Record<string, string>) => {
    const r = await api('PATCH', path, { metadata: { annotations } }, { contentType: 'application/merge-patch+json' });
    if (r.status !== 200) throw new Error(`annotating ${path}: ${r.status} ${JSON.stringify(r.body).slice(0, 200)}`);
  };

  const cluster: RealCluster = {
    url,
    token,
    caPem,
    kubeconfigPath,
    dir,
    auditLogPath,
    writeKubeconfig,
    api,
    async addUser(name, rules) {
      const slot = restricted.find((r) => !r.used);
      if (!slot) throw new Error(`addUser: all ${restricted.length} pre-made users are taken (startRealCluster({ users }))`);
      slot.used = true;
      const role = `realcluster-${name}`;
      const cr = await api('POST', '/apis/rbac.authorization.k8s.io/v1/clusterroles', { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: { name: role }, rules });
      if (cr.status !== 201) throw new Error(`addUser: ClusterRole ${role}: ${cr.status} ${JSON.stringify(cr.body).slice(0, 200)}`);
      const crb = await api('POST', '/apis/rbac.authorization.k8s.io/v1/clusterrolebindings', {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'ClusterRoleBinding',
        metadata: { name: role },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: role },
        subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: slot.user }],
      });
      if (crb.status !== 201) throw new Error(`addUser: ClusterRoleBinding ${role}: ${crb.status}`);
      // RBAC is served from an informer: wait until the first rule is in effect for the user.
      const first = rules[0];
      if (first) {
        await waitFor(async () => {
          const r = await api(
            'POST',
            '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews',
            { apiVersion: 'authorization.k8s.io/v1', kind: 'SelfSubjectAccessReview', spec: { resourceAttributes: { verb: first.verbs[0], group: first.apiGroups[0] === '*' ? '' : first.apiGroups[0], resource: first.resources[0], namespace: 'default' } } },
            { token: slot.token },
          );
          return (r.body as { status?: { allowed?: boolean } }).status?.allowed === true;
        }, 10_000, `RBAC for ${slot.user}`);
      }
      return slot.token;
    },
    createNamespace,
    async seedCloneSet(s) {
      const ns = s.namespace ?? opts.namespace ?? 'default';
      await createNamespace(ns);
      const obj = seedObject(s, ns);
      const r = await api('POST', pathOf('clonesets', ns), obj);
      if (r.status !== 201) throw new Error(`creating CloneSet ${ns}/${s.name}: ${r.status} ${JSON.stringify(r.body).slice(0, 300)}`);
      const settled = await waitFor(
        async () => {
          const cs = await get<CloneSet>('clonesets', ns, s.name);
          const st = cs?.status;
          const want = cs?.spec.replicas ?? 0;
          if (!cs || !st || st.observedGeneration !== cs.metadata.generation || st.replicas !== want || st.updatedReadyReplicas !== want || st.availableReplicas !== want) return undefined;
          const pods = (await list<Pod>('pods', ns)).filter((p) => p.metadata.ownerReferences?.some((o) => o.kind === 'CloneSet' && o.name === s.name));
          const ready = pods.filter((p) => p.status?.phase === 'Running' && p.status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'));
          return ready.length === want ? cs : undefined;
        },
        Math.max(60_000, s.replicas * 2_000),
        `CloneSet ${ns}/${s.name} to have ${s.replicas} Running and Ready pods`,
      );
      // As the emulator's seed: the unavailability history starts at the settled CloneSet, not at its creation.
      await waitFor(async () => tracker.history(ns, s.name).at(-1) === 0, 10_000, `the pod watch to see ${ns}/${s.name} settled`);
      tracker.reset(ns, s.name);
      return settled;
    },
    get,
    list,
    get restartLog(): RestartRecord[] {
      const text = existsSync(restartLogPath) ? readFileSync(restartLogPath, 'utf8') : '';
      return text
        .split('\n')
        .filter(Boolean)
        .map((line) => {
          const r = JSON.parse(line) as { pod: string; namespace: string; container: string; cause: RestartRecord['cause']; at: string | number; uid?: string };
          return { pod: r.pod, namespace: r.namespace, container: r.container, cause: r.cause, uid: r.uid ?? '', at: typeof r.at === 'number' ? r.at : Date.parse(r.at) };
        });
    },
    unavailableHistory: (ns, name, kind) => tracker.history(ns, name, kind),
    maxUnavailableSeen: (ns, name, kind) => Math.max(0, ...tracker.history(ns, name, kind)),
    knobs: {
      failRestart: (ns, pod, containers) => annotate(pathOf('pods', ns, pod), { 'realcluster.test/fail-restart': containers.join(',') }),
      repairRestart: (ns, pod) => annotate(pathOf('pods', ns, pod), { 'realcluster.test/fail-restart': '' }),
      neverReady: (ns, pod) => annotate(pathOf('pods', ns, pod), { 'realcluster.test/never-ready': 'true' }),
      readyDelay: (ns, pod, seconds) => annotate(pathOf('pods', ns, pod), { 'realcluster.test/ready-delay-seconds': String(seconds) }),
      noEnvBinary: (ns, pod, containers) => annotate(pathOf('pods', ns, pod), { 'realcluster.test/no-env-binary': containers.join(',') }),
      frozenDaemon: (ns, pod) => annotate(pathOf('pods', ns, pod), { 'realcluster.test/frozen-daemon': 'true' }),
      noDaemonOnNode: (node) => annotate(pathOf('nodes', '', node), { 'realcluster.test/no-daemon': 'true' }),
    },
    waitFor,
    stop,
  };
  startupSeconds = (Date.now() - started) / 1000;
  return cluster;
}

/** Seconds the last startRealCluster() took to be ready (certificates to Ready nodes). */
export let startupSeconds = 0;

/** Status of a GET to a component's own self-signed HTTPS endpoint (its /healthz needs no credentials). */
function httpsGetStatus(url: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(url, { timeout: 2000, rejectUnauthorized: false }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end();
  });
}

function httpGet(url: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { timeout: 2000 }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end();
  });
}

/** The same CloneSet the emulator's seedCloneSet builds (test/cluster/index.ts), for the real API server. */
export function seedObject(s: SeedCloneSet, ns: string): CloneSet {
  const names = s.containers ?? ['app'];
  const wired = s.triggerAnnotation ? new Set(s.wiredContainers ?? names) : new Set<string>();
  const template = (s.template as CloneSet['spec']['template'] | undefined) ?? {
    metadata: { labels: { app: s.name }, ...(s.triggerAnnotation && s.triggerAnnotationInTemplate !== false ? { annotations: { [s.triggerAnnotation]: '' } } : {}) },
    spec: {
      containers: names.map((n) => ({
        name: n,
        image: s.image ?? 'nginx:1.27',
        ...(wired.has(n)
          ? { env: [{ name: s.triggerEnv ?? PLUGIN.defaultTriggerEnv, valueFrom: { fieldRef: { fieldPath: `metadata.annotations['${s.triggerAnnotation}']` } } }] }
          : {}),
      })),
    },
  };
  const labels = template.metadata?.labels ?? { app: s.name };
  const us: Record<string, unknown> = {};
  if (s.strategy) us.type = s.strategy;
  if (s.maxUnavailable !== undefined) us.maxUnavailable = s.maxUnavailable;
  if (s.partition !== undefined) us.partition = s.partition;
  if (s.paused !== undefined) us.paused = s.paused;
  if (s.maxSurge !== undefined) us.maxSurge = s.maxSurge;
  return {
    apiVersion: 'apps.kruise.io/v1alpha1',
    kind: 'CloneSet',
    metadata: { name: s.name, namespace: ns },
    spec: { replicas: s.replicas, selector: { matchLabels: labels }, template, updateStrategy: us, ...(s.extra as object) },
  };
}

type Api = (method: string, path: string) => Promise<ApiResponse>;

/** A workload as the tracker reads it: how many pods it wants. */
interface WatchedWorkload {
  metadata: Pod['metadata'];
  spec?: { replicas?: number };
  status?: { desiredNumberScheduled?: number };
}
type Watched = Pod | WatchedWorkload;

/** The workloads the tracker follows, each from its own watch (v1beta1 for the Advanced kinds, as Kruise stores them). */
const TRACKED: Record<WorkloadKind, string> = {
  CloneSet: '/apis/apps.kruise.io/v1alpha1/clonesets',
  StatefulSet: '/apis/apps.kruise.io/v1beta1/statefulsets',
  DaemonSet: '/apis/apps.kruise.io/v1beta1/daemonsets',
};

/**
 * After every pod or workload event, how many of each workload's desired pods are not Running+Ready (as the emulator
 * counts). Workloads are watched too, so a scale changes the desired count the moment the server has it; a DaemonSet
 * wants the nodes its controller counted (status.desiredNumberScheduled).
 */
class UnavailableTracker {
  private readonly available = new Map<string, Set<string>>();
  private readonly values = new Map<string, number[]>();
  private readonly replicas = new Map<string, number>();

  constructor(private readonly api: Api) {}

  start(url: string, token: string, ca: string, signal: AbortSignal): void {
    for (const [kind, path] of Object.entries(TRACKED) as [WorkloadKind, string][]) void this.loop(path, kind, url, token, ca, signal);
    void this.loop('/api/v1/pods', undefined, url, token, ca, signal);
  }

  private async loop(path: string, workload: WorkloadKind | undefined, url: string, token: string, ca: string, signal: AbortSignal): Promise<void> {
    let rv = '';
    while (!signal.aborted) {
      try {
        if (!rv) {
          const r = await this.api('GET', path);
          const body = r.body as { metadata: { resourceVersion: string }; items: Watched[] };
          for (const o of body.items) this.seen(workload, 'ADDED', o);
          rv = body.metadata.resourceVersion;
        }
        rv = await this.watch(`${url}${path}?watch=1&allowWatchBookmarks=true&resourceVersion=${rv}`, workload, token, ca, signal, rv);
      } catch {
        if (signal.aborted) return;
        rv = '';
        await sleep(500);
      }
    }
  }

  private watch(url: string, workload: WorkloadKind | undefined, token: string, ca: string, signal: AbortSignal, rv: string): Promise<string> {
    return new Promise((resolve, reject) => {
      const req = request(url, { headers: { Authorization: `Bearer ${token}` }, ca, signal }, (res) => {
        if (res.statusCode !== 200) {
          res.resume();
          reject(new Error(`watch ${res.statusCode}`));
          return;
        }
        let buf = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          buf += chunk;
          let nl: number;
          while ((nl = buf.indexOf('\n')) >= 0) {
            const line = buf.slice(0, nl);
            buf = buf.slice(nl + 1);
            if (!line.trim()) continue;
            const ev = JSON.parse(line) as { type: string; object: Watched };
            if (ev.type === 'ERROR') {
              rv = '';
              continue;
            }
            rv = ev.object.metadata.resourceVersion ?? rv;
            if (ev.type !== 'BOOKMARK') this.seen(workload, ev.type, ev.object);
          }
        });
        res.on('end', () => (rv ? resolve(rv) : reject(new Error('watch expired'))));
        res.on('error', reject);
      });
      req.on('error', reject);
      req.end();
    });
  }

  private seen(workload: WorkloadKind | undefined, type: string, o: Watched): void {
    if (workload) {
      if (type === 'DELETED') return;
      const w = o as WatchedWorkload;
      const key = `${workload}/${w.metadata.namespace}/${w.metadata.name}`;
      this.replicas.set(key, workload === 'DaemonSet' ? (w.status?.desiredNumberScheduled ?? 0) : (w.spec?.replicas ?? 1));
      this.record(key);
      return;
    }
    const pod = o as Pod;
    const owner = pod.metadata.ownerReferences?.find((x) => x.controller && x.apiVersion.startsWith('apps.kruise.io/') && x.kind in TRACKED);
    if (!owner) return;
    const key = `${owner.kind}/${pod.metadata.namespace}/${owner.name}`;
    let set = this.available.get(key);
    if (!set) this.available.set(key, (set = new Set()));
    const ok = type !== 'DELETED' && !pod.metadata.deletionTimestamp && pod.status?.phase === 'Running' && !!pod.status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True');
    if (ok) set.add(pod.metadata.uid ?? '');
    else set.delete(pod.metadata.uid ?? '');
    this.record(key);
  }

  private record(key: string): void {
    // A pod seen before its CloneSet's first event is counted once the CloneSet arrives.
    const want = this.replicas.get(key);
    if (want === undefined) return;
    const value = Math.max(0, want - (this.available.get(key)?.size ?? 0));
    let h = this.values.get(key);
    if (!h) this.values.set(key, (h = []));
    if (h[h.length - 1] !== value) h.push(value);
  }

  reset(ns: string, name: string, kind: WorkloadKind = 'CloneSet'): void {
    const h = this.values.get(`${kind}/${ns}/${name}`);
    if (h?.length) h.splice(0, h.length - 1);
  }

  history(ns: string, name: string, kind: WorkloadKind = 'CloneSet'): number[] {
    return [...(this.values.get(`${kind}/${ns}/${name}`) ?? [])];
  }
}

export { KUBE_VERSION };
