// Bad input gets one clear line, a documented exit code, no stack trace, and no change to the cluster.
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startCluster, type Cluster } from '../cluster/index';
import { assertOneLineError, requireBuild, runPlugin } from './harness';

const NS = 'shop';
const KEY = 'team.example.com/restart-token';

type Target = 'main' | 'no-kruise' | 'no-crr' | 'unreachable' | 'expired' | 'malformed' | 'missing' | 'directory';

interface Case {
  args: string[];
  target?: Target;
  code: 1 | 2;
  says: RegExp;
}

const cases: Case[] = [
  // The target does not exist, or is somewhere else.
  { args: ['status', 'nope'], code: 1, says: /CloneSet "nope" not found in namespace "shop"/ },
  // A typo in -n is named as such, not as a missing CloneSet.
  { args: ['status', 'web', '-n', 'shpo'], code: 1, says: /namespace "shpo" does not exist: check -n\/--namespace/ },
  { args: ['inplace', 'web', '-n', 'shpo'], code: 1, says: /namespace "shpo" does not exist/ },
  { args: ['inplace', 'nope'], code: 1, says: /CloneSet "nope" not found/ },
  { args: ['crr', 'nope', '-c', 'app'], code: 1, says: /CloneSet "nope" not found/ },
  { args: ['status', 'web', '-n', 'elsewhere'], code: 1, says: /namespace "elsewhere"/ },
  { args: ['inplace', 'web', '--namespace', 'default'], code: 1, says: /namespace "default"/ },
  { args: ['status', 'web', '-ndefault'], code: 1, says: /namespace "default"/ },
  { args: ['status', 'web', '-n=default'], code: 1, says: /namespace "default"/ },
  { args: ['status', 'cloneset/nope'], code: 1, says: /CloneSet "nope" not found/ },
  // Where the cluster is, and who we are.
  { args: ['status', 'web', '--context', 'nope'], code: 2, says: /context "nope" does not exist/ },
  { args: ['status', 'web', '--cluster', 'nope'], code: 2, says: /cluster "nope" does not exist/ },
  { args: ['status', 'web'], target: 'missing', code: 2, says: /kubeconfig file .* does not exist/ },
  { args: ['status', 'web'], target: 'malformed', code: 2, says: /cannot read kubeconfig/ },
  { args: ['status', 'web'], target: 'directory', code: 2, says: /cannot read kubeconfig/ },
  { args: ['status', 'web', '--request-timeout', '2s'], target: 'unreachable', code: 1, says: /cannot reach the Kubernetes API server/ },
  { args: ['inplace', 'web', '--request-timeout', '2s'], target: 'unreachable', code: 1, says: /cannot reach/ },
  { args: ['status', 'web'], target: 'expired', code: 1, says: /rejected your credentials \(401 Unauthorized\)/ },
  { args: ['inplace', 'web'], target: 'expired', code: 1, says: /401/ },
  // OpenKruise missing.
  { args: ['status', 'web'], target: 'no-kruise', code: 1, says: /OpenKruise is not installed/ },
  { args: ['inplace', 'web'], target: 'no-kruise', code: 1, says: /OpenKruise is not installed/ },
  { args: ['crr', 'web', '-c', 'app'], target: 'no-kruise', code: 1, says: /OpenKruise is not installed/ },
  { args: ['crr', 'web', '-c', 'app'], target: 'no-crr', code: 1, says: /containerrecreaterequests\.apps\.kruise\.io is not installed/ },
  // Names.
  { args: ['status', 'Web'], code: 2, says: /invalid CloneSet name "Web"/ },
  { args: ['inplace', 'web_1'], code: 2, says: /invalid CloneSet name/ },
  { args: ['status', `w${'e'.repeat(253)}`], code: 2, says: /invalid CloneSet name/ },
  { args: ['crr', 'web', '-c', 'app', '--pod', 'Bad_Pod'], code: 2, says: /pod/i },
  // Numbers and percentages.
  { args: ['crr', 'web', '-c', 'app', '--max-unavailable', '-1'], code: 2, says: /negative/ },
  { args: ['crr', 'web', '-c', 'app', '--max-unavailable', '101%'], code: 2, says: /more than 100%/ },
  { args: ['crr', 'web', '-c', 'app', '--max-unavailable', '1.5'], code: 2, says: /whole number/ },
  { args: ['crr', 'web', '-c', 'app', '--max-unavailable', 'abc'], code: 2, says: /not a number/ },
  { args: ['crr', 'web', '-c', 'app', '--max-unavailable', ''], code: 2, says: /max-unavailable/ },
  { args: ['crr', 'web', '-c', 'app', '--min-ready-seconds', '-1'], code: 2, says: /min-ready-seconds/ },
  { args: ['crr', 'web', '-c', 'app', '--active-deadline', '2'], code: 2, says: /active-deadline/ },
  { args: ['crr', 'web', '-c', 'app', '--max-failures', '-1'], code: 2, says: /max-failures/ },
  { args: ['crr', 'web', '-c', 'app', '--ttl', '-5'], code: 2, says: /ttl/ },
  { args: ['crr', 'web', '-c', 'app', '--grace-period', 'abc'], code: 2, says: /grace-period/ },
  { args: ['status', 'web', '-w', '--timeout=-5s'], code: 2, says: /invalid --timeout/ },
  { args: ['inplace', 'web', '--timeout', 'soon'], code: 2, says: /invalid --timeout/ },
  { args: ['status', 'web', '--request-timeout', 'fast'], code: 2, says: /invalid --request-timeout/ },
  // Conflicting or unknown flags and values.
  { args: ['crr', 'web', '--resume', '20261126-101500-abcd', '--new'], code: 2, says: /resume.*new|new.*resume/ },
  { args: ['crr', 'web', '-c', 'app', '--all-containers'], code: 2, says: /all-containers/ },
  { args: ['inplace', 'web', '--dry-run=maybe'], code: 2, says: /dry-run/ },
  { args: ['inplace', 'web', '-o', 'xml'], code: 2, says: /invalid -o "xml": use one of json, yaml, wide/ },
  { args: ['crr', 'web', '-c', 'app', '--failure-policy', 'Sometimes'], code: 2, says: /invalid --failure-policy "Sometimes": use one of Fail, Ignore/ },
  { args: ['status', 'web', '--frobnicate'], code: 2, says: /unknown flag --frobnicate for status/ },
  { args: ['restart', 'web'], code: 2, says: /unknown command "restart"/ },
  // A flag typed without its value never falls back to a default target (the kubeconfig's namespace or context).
  { args: ['inplace', 'web', '--dry-run=client', '-n'], code: 2, says: /^error: flag needs an argument: -n \(e\.g\. -n shop\)$/ },
  { args: ['inplace', 'web', '-n', '--dry-run=client'], code: 2, says: /flag needs an argument: -n \(--dry-run=client is the next flag/ },
  { args: ['inplace', 'web', '--namespace'], code: 2, says: /flag needs an argument: --namespace/ },
  { args: ['inplace', 'web', '-n', ''], code: 2, says: /flag needs an argument: -n is empty/ },
  { args: ['inplace', 'web', '--namespace='], code: 2, says: /flag needs an argument: --namespace is empty/ },
  { args: ['inplace', 'web', '--context'], code: 2, says: /flag needs an argument: --context/ },
  { args: ['inplace', 'web', '--context='], code: 2, says: /flag needs an argument: --context is empty/ },
  { args: ['inplace', 'web', '--dry-run=client', '-c'], code: 2, says: /flag needs an argument: -c/ },
  { args: ['inplace', 'web', '--dry-run=client', '--reason'], code: 2, says: /flag needs an argument: --reason/ },
  { args: ['crr', 'web', '--dry-run', '-c'], code: 2, says: /flag needs an argument: -c/ },
  { args: ['crr', 'web', '-c', 'app', '--pod'], code: 2, says: /flag needs an argument: --pod/ },
  { args: ['crr', 'web', '-c', 'app', '-l', '--dry-run'], code: 2, says: /flag needs an argument: -l/ },
  { args: ['status', 'web', '--kubeconfig'], code: 2, says: /flag needs an argument: --kubeconfig/ },
  { args: ['status', 'web', '--as'], code: 2, says: /flag needs an argument: --as/ },
  // Parser errors in the plugin's words.
  { args: ['status', 'web', '--requst-timeout', '5s'], code: 2, says: /unknown flag --requst-timeout for status: did you mean --request-timeout\?/ },
  { args: ['crr', 'web', '-c', 'app', '--min-ready-seconds', 'abc'], code: 2, says: /--min-ready-seconds needs a number, got "abc"/ },
  { args: ['status'], code: 2, says: /status needs the name of a CloneSet: e\.g\. kubectl kruise-restart status web/ },
  // Several workloads are fine for crr, but --pod names the pods of one of them.
  { args: ['crr', 'web', 'api', '-c', 'app', '--pod', 'web-1'], code: 2, says: /--pod names pods of one workload: drop --pod to restart several workloads, or name one workload with it/ },
  { args: ['status', 'web', '-o', 'table'], code: 2, says: /invalid -o "table"/ },
  // TYPE/NAME: CloneSets only, and the refusal names the supported kind.
  { args: ['inplace', 'deploy/web'], code: 2, says: /Deployments are not supported: use kubectl rollout restart deployment\/web; supported: CloneSet/ },
  { args: ['crr', 'statefulset/web', '-c', 'app'], code: 2, says: /for an Advanced StatefulSet type asts\/web/ },
  { args: ['status', 'daemonset/web'], code: 2, says: /for an Advanced DaemonSet type ads\/web/ },
  { args: ['status', 'pods/web'], code: 2, says: /unknown kind "pods"/ },
  { args: ['inplace', 'web', '--annotation', 'x/y'], code: 2, says: /only apply with --setup/ },
  // Annotation keys and env names that Kubernetes would reject.
  { args: ['inplace', 'bare', '--setup', '--yes', '--annotation', 'a/b/c'], code: 2, says: /more than one "\/"/ },
  { args: ['inplace', 'bare', '--setup', '--yes', '--annotation', 'Upper.Example/x'], code: 2, says: /DNS subdomain/ },
  { args: ['inplace', 'bare', '--setup', '--yes', '--annotation=-x'], code: 2, says: /annotation key name/ },
  { args: ['inplace', 'bare', '--setup', '--yes', '--annotation', `k/${'x'.repeat(64)}`], code: 2, says: /1-63 characters/ },
  { args: ['inplace', 'bare', '--setup', '--yes', '--env-name', '1ABC'], code: 2, says: /env var name/ },
  // Containers.
  { args: ['inplace', 'web', '-c', 'nope'], code: 2, says: /unknown container "nope"/ },
  { args: ['crr', 'web', '-c', 'nope'], code: 2, says: /nope/ },
  { args: ['crr', 'web'], code: 2, says: /app.*sidecar|sidecar.*app/ },
  { args: ['inplace', 'web', '-c', 'sidecar'], code: 2, says: /reads no trigger annotation/ },
  // Strategy, pause and wiring refusals.
  { args: ['inplace', 'legacy'], code: 2, says: /ReCreate.*--allow-recreate/ },
  { args: ['inplace', 'held'], code: 2, says: /paused.*unpause/ },
  { args: ['inplace', 'bare'], code: 2, says: /not wired.*--setup/ },
  { args: ['inplace', 'bare', '--setup'], code: 2, says: /--yes/ },
  { args: ['inplace', 'strict', '--setup', '--yes'], code: 2, says: /InPlaceOnly/ },
];

/** A line that says what to do: an instruction, not just a complaint. */
const ACTIONABLE = /\b(use|check|pass|run|install|ask|fix|set|pick|see|unpause|switch|wait|drop|add|log in|create|expected|must|give|choose|only|needs?|did you mean|e\.g\.)\b/i;
/** yargs' own wording: never shown to a user. */
const YARGS_WORDS = /Not enough non-option arguments|Invalid values|Unknown arguments?:|Missing required argument|Argument: |Given: |Choices: |Did you mean|Implications failed|Arguments? .* mutually exclusive/;

describe('bad input: one clear line, a documented exit code, no change', function () {
  this.timeout(120_000);
  const clusters: Partial<Record<Target, Cluster>> = {};
  const configs = {} as Record<Target, string>;

  before(async () => {
    requireBuild();
    const main = await startCluster({ speed: 50, namespace: NS });
    clusters.main = main;
    await main.seedCloneSet({ namespace: NS, name: 'web', replicas: 3, containers: ['app', 'sidecar'], strategy: 'InPlaceIfPossible', triggerAnnotation: KEY, wiredContainers: ['app'] });
    await main.seedCloneSet({ namespace: NS, name: 'legacy', replicas: 2, strategy: 'ReCreate', triggerAnnotation: KEY });
    await main.seedCloneSet({ namespace: NS, name: 'held', replicas: 2, strategy: 'InPlaceIfPossible', paused: true, triggerAnnotation: KEY });
    await main.seedCloneSet({ namespace: NS, name: 'bare', replicas: 2, strategy: 'InPlaceIfPossible' });
    await main.seedCloneSet({ namespace: NS, name: 'strict', replicas: 2, strategy: 'InPlaceOnly' });
    configs.main = main.writeKubeconfig({ namespace: NS });
    clusters['no-kruise'] = await startCluster({ kruise: false, namespace: NS });
    configs['no-kruise'] = clusters['no-kruise'].writeKubeconfig({ namespace: NS });
    const noCrr = await startCluster({ crrCrd: false, namespace: NS, speed: 50 });
    clusters['no-crr'] = noCrr;
    await noCrr.seedCloneSet({ namespace: NS, name: 'web', replicas: 2, containers: ['app'], strategy: 'InPlaceIfPossible' });
    configs['no-crr'] = noCrr.writeKubeconfig({ namespace: NS });
    configs.expired = main.writeKubeconfig({ namespace: NS, token: 'expired-token-value' });
    const dir = mkdtempSync(join(tmpdir(), 'kr-bad-'));
    configs.unreachable = join(dir, 'unreachable');
    writeFileSync(
      configs.unreachable,
      `apiVersion: v1\nkind: Config\ncurrent-context: c\nclusters: [{name: c, cluster: {server: "https://127.0.0.1:1"}}]\ncontexts: [{name: c, context: {cluster: c, user: u}}]\nusers: [{name: u, user: {token: never-printed-token}}]\n`,
    );
    configs.malformed = join(dir, 'malformed');
    writeFileSync(configs.malformed, 'clusters: [ {name: x\n  token: "s3cr3t-in-broken-file"');
    configs.missing = join(dir, 'does-not-exist');
    configs.directory = dir;
  });

  after(async () => {
    for (const c of Object.values(clusters)) await c?.stop();
  });
  const main = () => clusters.main as Cluster;

  it(`has at least 40 cases (${cases.length})`, () => assert.ok(cases.length >= 40));

  for (const c of cases) {
    const target = c.target ?? 'main';
    it(`${c.args.join(' ')}${target === 'main' ? '' : ` [${target}]`} -> exit ${c.code}`, async () => {
      for (const cl of Object.values(clusters)) cl?.clearLog();
      const run = await runPlugin(c.args, { kubeconfig: configs[target], timeoutMs: 30_000 });
      assert.equal(run.code, c.code, `exit ${run.code}\n${run.stderr}${run.stdout}`);
      const line = assertOneLineError(run);
      assert.match(line, c.says);
      assert.match(line, ACTIONABLE, `not actionable: ${line}`);
      assert.doesNotMatch(run.stderr, YARGS_WORDS);
      for (const secret of ['expired-token-value', 'never-printed-token', 's3cr3t-in-broken-file']) assert.ok(!(run.stderr + run.stdout).includes(secret), `${secret} leaked`);
      for (const [name, cl] of Object.entries(clusters)) assert.deepEqual(cl?.writes(), [], `writes on ${name}`);
    });
  }

  it('takes the CloneSet as kubectl writes it: TYPE/NAME, with the short and qualified names', async () => {
    for (const target of ['cloneset/web', 'clonesets/web', 'clone/web', 'cs/web', 'clonesets.apps.kruise.io/web', 'cloneset.v1alpha1.apps.kruise.io/web']) {
      const run = await runPlugin(['status', target, '-o', 'json'], { kubeconfig: configs.main });
      assert.equal(run.code, 0, `${target}: ${run.stderr}`);
      assert.match(run.stdout, /"web"|shop\/web/, target);
    }
    main().clearLog();
    const dry = await runPlugin(['inplace', 'cloneset/web', '--dry-run=client'], { kubeconfig: configs.main });
    assert.equal(dry.code, 0, dry.stderr);
    assert.match(dry.stdout, /shop\/web/);
    assert.deepEqual(main().writes(), []);
  });
});
