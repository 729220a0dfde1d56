// Emulator only: the Kruise Rollouts add-on and cut watches (fault injection). Half-permitted users, the README's Role
// end to end and each of its verbs removed run on both backends from test/scenarios/permissions.ts.
// Permissions first: a half-permitted user hears every missing permission at once and nothing changes; a user with
// exactly the README's Role can run every command end to end, and every verb of that Role is needed by something.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import yaml from 'js-yaml';
import { startCluster, type Cluster, type RbacRule } from '../cluster/index';
import type { Pod } from '../../src/kruise/types';
import { ROOT, assertOneLineError, requireBuild, runPlugin } from './harness';

const NS = 'shop';
const KEY = 'team.example.com/restart-token';

/** The Role exactly as users copy it from the README. */
function readmeRole(): RbacRule[] {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('## RBAC'));
  const block = /```yaml\n([\s\S]*?)```/.exec(section);
  assert.ok(block, 'README has a yaml block under ## RBAC');
  const role = yaml.load(block[1]) as { kind: string; rules: RbacRule[] };
  assert.equal(role.kind, 'Role');
  return role.rules;
}

/** The permissions named in the plugin's "you are not allowed to ..." line, as "verb resource" strings. */
function missingIn(line: string): string[] {
  const m = /you are not allowed to (.+) in namespace "[^"]+"; nothing was changed/.exec(line);
  assert.ok(m, `not a permission refusal: ${line}`);
  return m[1].split(', ').sort();
}

function restarts(cluster: Cluster, cause: 'crr' | 'inplace'): Map<string, number> {
  const counts = new Map<string, number>();
  for (const r of cluster.restartLog) if (r.container === 'app' && r.cause === cause) counts.set(r.pod, (counts.get(r.pod) ?? 0) + 1);
  return counts;
}

const READ = [
  { verbs: ['get', 'list', 'watch'], apiGroups: ['apps.kruise.io'], resources: ['clonesets'] },
  { verbs: ['get', 'list', 'watch'], apiGroups: [''], resources: ['pods'] },
];

describe('permissions first (restricted users, the README role)', function () {
  this.timeout(90_000);
  let cluster: Cluster;
  const as = (name: string, rules: RbacRule[]) => cluster.writeKubeconfig({ namespace: NS, user: name, token: cluster.addUser(name, rules) });

  before(requireBuild);
  beforeEach(async () => {
    // Kruise Rollouts installed, so the Role's rule for them is needed (without the add-on it is not asked for).
    cluster = await startCluster({ speed: 50, namespace: NS, rollouts: true });
    await cluster.seedCloneSet({ namespace: NS, name: 'web', replicas: 4, containers: ['app', 'sidecar'], strategy: 'InPlaceIfPossible', maxUnavailable: 1, triggerAnnotation: KEY, wiredContainers: ['app'] });
    cluster.clearLog();
  });
  afterEach(async () => cluster.stop());

  it('crr as a user who may read CloneSets, pods and CRRs but create nothing: exit 1, every missing permission in one line, no writes', async () => {
    const kubeconfig = as('reader', [...READ, { verbs: ['get', 'list', 'watch'], apiGroups: ['apps.kruise.io'], resources: ['containerrecreaterequests'] }]);
    for (const args of [['crr', 'web', '-c', 'app'], ['crr', 'web', '-c', 'app', '--dry-run=server']]) {
      const run = await runPlugin(args, { kubeconfig });
      assert.equal(run.code, 1, run.stderr);
      assert.deepEqual(missingIn(assertOneLineError(run)), ['create containerrecreaterequests.apps.kruise.io', 'create events', 'list poddisruptionbudgets.policy', 'list podunavailablebudgets.policy.kruise.io', 'watch poddisruptionbudgets.policy', 'watch podunavailablebudgets.policy.kruise.io', 'patch clonesets.apps.kruise.io'].sort());
    }
    assert.deepEqual(cluster.allWrites(), [], 'not even an attempted write');
  });

  it('crr as a user who may create CRRs but not patch CloneSets (nor watch pods): exit 1 naming both, no CRR, no run record', async () => {
    const kubeconfig = as('crr-only', [
      { verbs: ['get', 'list', 'watch'], apiGroups: ['apps.kruise.io'], resources: ['clonesets'] },
      { verbs: ['list'], apiGroups: [''], resources: ['pods'] },
      { verbs: ['get', 'list', 'watch', 'create'], apiGroups: ['apps.kruise.io'], resources: ['containerrecreaterequests'] },
      { verbs: ['create'], apiGroups: [''], resources: ['events'] },
    ]);
    const run = await runPlugin(['crr', 'web', '-c', 'app'], { kubeconfig });
    assert.equal(run.code, 1, run.stderr);
    assert.deepEqual(missingIn(assertOneLineError(run)), ['patch clonesets.apps.kruise.io', 'watch pods', 'list poddisruptionbudgets.policy', 'list podunavailablebudgets.policy.kruise.io', 'watch poddisruptionbudgets.policy', 'watch podunavailablebudgets.policy.kruise.io'].sort());
    assert.doesNotMatch(run.stderr, /^run /m, 'no run was announced');
    assert.deepEqual(cluster.allWrites(), []);
    assert.deepEqual(cluster.list('containerrecreaterequests', NS), []);
  });

  it('inplace as a user who may patch but not list or watch: exit 1 naming each, no patch', async () => {
    const kubeconfig = as('patcher', [
      { verbs: ['get', 'patch'], apiGroups: ['apps.kruise.io'], resources: ['clonesets'] },
      { verbs: ['list'], apiGroups: [''], resources: ['pods'] },
      { verbs: ['create'], apiGroups: [''], resources: ['events'] },
    ]);
    const run = await runPlugin(['inplace', 'web'], { kubeconfig });
    assert.equal(run.code, 1, run.stderr);
    assert.deepEqual(missingIn(assertOneLineError(run)), ['list clonesets.apps.kruise.io', 'list poddisruptionbudgets.policy', 'list podunavailablebudgets.policy.kruise.io', 'list rollouts.rollouts.kruise.io', 'watch clonesets.apps.kruise.io', 'watch pods'].sort());
    assert.deepEqual(cluster.allWrites(), []);
  });

  it('permissions for add-ons the cluster does not serve (PodUnavailableBudgets, Kruise Rollouts) are not asked for', async () => {
    await cluster.stop();
    cluster = await startCluster({ speed: 50, namespace: NS, pubCrd: false });
    await cluster.seedCloneSet({ namespace: NS, name: 'web', replicas: 2, containers: ['app'], strategy: 'InPlaceIfPossible', triggerAnnotation: KEY });
    const role = readmeRole().filter((r) => !r.apiGroups.includes('policy.kruise.io') && !r.apiGroups.includes('rollouts.kruise.io'));
    const kubeconfig = as('no-addons', role);
    for (const args of [['inplace', 'web', '--dry-run=server'], ['crr', 'web', '--dry-run=server']]) {
      const run = await runPlugin(args, { kubeconfig });
      assert.equal(run.code, 0, `${args.join(' ')}: ${run.stderr}`);
    }
    assert.deepEqual(cluster.requests.filter((r) => r.status === 403).map((r) => `${r.verb} ${r.resource}`), []);
  });

  it("a user with exactly the README's Role runs inplace, status, status -w and crr end to end, through cut watches and 410 Gone", async () => {
    const kubeconfig = as('sre', readmeRole());
    const pods = cluster.list<Pod>('pods', NS).map((p) => p.metadata.name ?? '');
    // Relists and resumed watches use verbs a quiet run never needs.
    cluster.faults.dropWatchAfter = 3;
    cluster.faults.goneOnResume = 2;

    const inplace = await runPlugin(['inplace', 'web', '--reason', 'readme role', '--timeout', '60s'], { kubeconfig, timeoutMs: 70_000 });
    assert.equal(inplace.code, 0, inplace.stderr);
    const status = await runPlugin(['status', 'web'], { kubeconfig });
    assert.equal(status.code, 0, status.stderr);
    const follow = await runPlugin(['status', 'web', '-w', '--timeout', '30s'], { kubeconfig });
    assert.equal(follow.code, 0, follow.stderr);
    await cluster.whenIdle();
    assert.deepEqual([...restarts(cluster, 'inplace').entries()].filter(([, n]) => n !== 1), []);
    assert.equal(restarts(cluster, 'inplace').size, pods.length);

    const crr = await runPlugin(['crr', 'web', '-c', 'app', '--timeout', '60s'], { kubeconfig, timeoutMs: 70_000 });
    assert.equal(crr.code, 0, crr.stderr);
    const crrStatus = await runPlugin(['status', 'web', '-o', 'json'], { kubeconfig });
    assert.equal(crrStatus.code, 0, crrStatus.stderr);
    assert.equal((JSON.parse(crrStatus.stdout) as { mode: string; complete: boolean }).complete, true);
    const followCrr = await runPlugin(['status', 'web', '-w', '--timeout', '30s'], { kubeconfig });
    assert.equal(followCrr.code, 0, followCrr.stderr);
    assert.equal(restarts(cluster, 'crr').size, pods.length);
    assert.deepEqual(cluster.requests.filter((r) => r.status === 403).map((r) => `${r.verb} ${r.resource}`), [], 'nothing was forbidden');
    assert.ok(cluster.requests.some((r) => r.verb === 'list' && r.resource === 'clonesets'), 'a relist of the CloneSet happened');
  });

  it("every verb of the README's Role is needed: without it a command refuses, naming it, before any write", async () => {
    const role = readmeRole();
    const grants = role.flatMap((rule, i) => rule.verbs.map((verb) => ({ i, verb, resource: rule.resources[0], group: rule.apiGroups[0] })));
    assert.ok(grants.length >= 10);
    const probes = [
      ['inplace', 'web', '--dry-run=server'],
      ['crr', 'web', '-c', 'app', '--dry-run=server'],
      ['status', 'web', '-w', '--timeout', '5s'],
    ];
    for (const g of grants) {
      // A rule left without verbs goes entirely: the API server refuses a Role rule that grants nothing.
      const rules = role.map((rule, i) => (i === g.i ? { ...rule, verbs: rule.verbs.filter((v) => v !== g.verb) } : rule)).filter((rule) => rule.verbs.length > 0);
      const kubeconfig = as(`without-${g.verb}-${g.resource}`, rules);
      const named = new RegExp(`(${g.verb} ${g.resource}${g.group ? `\\.${g.group.replace(/\./g, '\\.')}` : ''}\\b|cannot ${g.verb} resource "${g.resource}")`);
      const outcomes: string[] = [];
      for (const args of probes) {
        // status -w stays on the watch it has: cut it, and make the resume fail, so the relist happens.
        cluster.faults.dropWatchAfter = 1;
        cluster.faults.goneOnResume = true;
        const run = await runPlugin(args, { kubeconfig, timeoutMs: 20_000 });
        outcomes.push(`${args.join(' ')}: ${run.code} ${run.stderr.trim()}`);
        if (run.code === 1 && named.test(assertOneLineError(run))) break;
      }
      cluster.faults.dropWatchAfter = undefined;
      cluster.faults.goneOnResume = false;
      assert.ok(outcomes.some((o) => / 1 /.test(o) && named.test(o)), `${g.verb} ${g.resource} looks unneeded:\n${outcomes.join('\n')}`);
    }
    assert.deepEqual(cluster.writes(), [], 'dry runs and refusals wrote nothing');
  });
});
