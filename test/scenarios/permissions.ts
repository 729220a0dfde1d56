// Permissions on either backend: the README's Role is enough for every command, and each of its verbs is needed:
// without it the plugin refuses before any write, naming it, and the server itself refuses that request too.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import yaml from 'js-yaml';
import type { RbacRule, TestCluster } from '../backend/index';
import { ROOT, assertOneLineError } from '../e2e/harness';
import { KEY, killsBy, plugin, podsOf, type Scenario } from './util';

/** The Role exactly as users copy it from the README. */
export function readmeRole(): RbacRule[] {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('## RBAC'));
  const block = /```yaml\n([\s\S]*?)```/.exec(section);
  assert.ok(block, 'README has a yaml block under ## RBAC');
  const role = yaml.load(block[1]) as { kind: string; rules: RbacRule[] };
  assert.equal(role.kind, 'Role');
  return role.rules;
}

const seed = (c: TestCluster) => c.seedCloneSet({ name: 'web', replicas: 2, containers: ['app', 'sidecar'], strategy: 'InPlaceIfPossible', maxUnavailable: 1, triggerAnnotation: KEY, wiredContainers: ['app'] });

async function readmeRoleIsEnough(c: TestCluster): Promise<void> {
  await seed(c);
  const kubeconfig = c.writeKubeconfig({ user: 'sre', token: await c.addUser('sre', readmeRole()) });
  const pods = (await podsOf(c, 'web')).map((p) => p.metadata.name!);
  for (const args of [['inplace', 'web', '--reason', 'readme role'], ['status', 'web'], ['crr', 'web', '-c', 'app'], ['status', 'web', '-o', 'json']]) {
    const run = await plugin(c, args, { kubeconfig });
    assert.equal(run.code, 0, `${args.join(' ')}: ${run.stderr}`);
    assert.doesNotMatch(run.stderr, /forbidden|not allowed/i, args.join(' '));
  }
  assert.equal(killsBy(c, 'app', 'inplace').size, pods.length);
  assert.equal(killsBy(c, 'app', 'crr').size, pods.length);
}

const GROUP_VERSIONS: Record<string, string> = { 'apps.kruise.io': 'v1alpha1', policy: 'v1', 'policy.kruise.io': 'v1alpha1', 'rollouts.kruise.io': 'v1beta1' };

/** The request a verb on a resource stands for, sent straight to the server: what it answers without any pre-check. */
function rawRequest(c: TestCluster, verb: string, group: string, resource: string): [string, string, unknown?, string?] {
  const version = group ? (GROUP_VERSIONS[group] ?? 'v1alpha1') : 'v1';
  const base = group ? `/apis/${group}/${version}/namespaces/${c.namespace}/${resource}` : `/api/v1/namespaces/${c.namespace}/${resource}`;
  const kind = { clonesets: 'CloneSet', containerrecreaterequests: 'ContainerRecreateRequest', pods: 'Pod', events: 'Event' }[resource] ?? resource;
  const apiVersion = group ? `${group}/${version}` : 'v1';
  switch (verb) {
    case 'get':
      return ['GET', `${base}/web`];
    case 'list':
      return ['GET', base];
    case 'watch':
      return ['GET', `${base}?watch=1&timeoutSeconds=1`];
    case 'create':
      return ['POST', `${base}?dryRun=All`, { apiVersion, kind, metadata: { name: 'probe' } }];
    case 'patch':
      return ['PATCH', `${base}/web?dryRun=All`, { metadata: { labels: { probe: 'x' } } }, 'application/merge-patch+json'];
    default:
      throw new Error(`no raw request for verb ${verb}`);
  }
}

async function everyVerbNeeded(c: TestCluster): Promise<void> {
  await seed(c);
  const role = readmeRole();
  const grants = role.flatMap((rule, i) => rule.verbs.map((verb) => ({ i, verb, resource: rule.resources[0], group: rule.apiGroups[0] })));
  assert.ok(grants.length >= 10, `${grants.length} grants`);
  const probes = [
    ['inplace', 'web', '--dry-run=server'],
    ['crr', 'web', '-c', 'app', '--dry-run=server'],
    ['status', 'web', '-w', '--timeout', '5s'],
  ];
  const fullToken = await c.addUser('full', role);
  for (const g of grants) {
    // An add-on the cluster does not serve (Kruise Rollouts on these backends) is not asked for: nothing to prove.
    if (g.group && (await c.api('GET', `/apis/${g.group}`)).status === 404) continue;
    // A rule left without verbs goes entirely: the API server refuses a Role rule that grants nothing.
    const rules = role.map((rule, i) => (i === g.i ? { ...rule, verbs: rule.verbs.filter((v) => v !== g.verb) } : rule)).filter((rule) => rule.verbs.length > 0);
    const token = await c.addUser(`without-${g.verb}-${g.resource}`, rules);
    const kubeconfig = c.writeKubeconfig({ user: `without-${g.verb}-${g.resource}`, token });
    const named = new RegExp(`(${g.verb} ${g.resource}${g.group ? `\\.${g.group.replace(/\./g, '\\.')}` : ''}\\b|cannot ${g.verb} resource "${g.resource}")`);
    const outcomes: string[] = [];
    for (const args of probes) {
      const run = await plugin(c, args, { kubeconfig, timeoutMs: 60_000 });
      outcomes.push(`${args.join(' ')}: ${run.code} ${run.stderr.trim()}`);
      if (run.code === 1 && named.test(assertOneLineError(run))) break;
    }
    assert.ok(outcomes.some((o) => / 1 /.test(o) && named.test(o)), `${g.verb} ${g.resource} looks unneeded:\n${outcomes.join('\n')}`);
    // Without the pre-check the server would have refused as well (and with the whole Role it does not).
    const [method, path, body, contentType] = rawRequest(c, g.verb, g.group, g.resource);
    const denied = await c.api(method, path, body, { token, contentType });
    assert.equal(denied.status, 403, `${g.verb} ${g.resource} without the grant: ${denied.status} ${denied.text.slice(0, 200)}`);
    const allowed = await c.api(method, path, body, { token: fullToken, contentType });
    assert.notEqual(allowed.status, 403, `${g.verb} ${g.resource} with the Role: ${allowed.text.slice(0, 200)}`);
  }
  assert.deepEqual(await c.pluginWrites(), [], 'dry runs and refusals wrote nothing');
}

/** The permissions named in the plugin's "you are not allowed to ..." line, as "verb resource" strings. */
function missingIn(line: string): string[] {
  const m = /you are not allowed to (.+) in namespace "[^"]+"; nothing was changed/.exec(line);
  assert.ok(m, `not a permission refusal: ${line}`);
  return m[1].split(', ').sort();
}

const READ: RbacRule[] = [
  { verbs: ['get', 'list', 'watch'], apiGroups: ['apps.kruise.io'], resources: ['clonesets'] },
  { verbs: ['get', 'list', 'watch'], apiGroups: [''], resources: ['pods'] },
];

async function halfPermitted(c: TestCluster): Promise<void> {
  await seed(c);
  const reader = c.writeKubeconfig({ user: 'reader', token: await c.addUser('reader', [...READ, { verbs: ['get', 'list', 'watch'], apiGroups: ['apps.kruise.io'], resources: ['containerrecreaterequests'] }]) });
  for (const args of [['crr', 'web', '-c', 'app'], ['crr', 'web', '-c', 'app', '--dry-run=server']]) {
    const run = await plugin(c, args, { kubeconfig: reader });
    assert.equal(run.code, 1, run.stderr);
    assert.deepEqual(
      missingIn(assertOneLineError(run)),
      [
        'create containerrecreaterequests.apps.kruise.io',
        'create events',
        'list poddisruptionbudgets.policy',
        'list podunavailablebudgets.policy.kruise.io',
        'patch clonesets.apps.kruise.io',
        'watch poddisruptionbudgets.policy',
        'watch podunavailablebudgets.policy.kruise.io',
      ],
    );
  }
  const crrOnly = c.writeKubeconfig({
    user: 'crr-only',
    token: await c.addUser('crr-only', [
      { verbs: ['get', 'list', 'watch'], apiGroups: ['apps.kruise.io'], resources: ['clonesets'] },
      { verbs: ['list'], apiGroups: [''], resources: ['pods'] },
      { verbs: ['get', 'list', 'watch', 'create'], apiGroups: ['apps.kruise.io'], resources: ['containerrecreaterequests'] },
      { verbs: ['create'], apiGroups: [''], resources: ['events'] },
    ]),
  });
  const crr = await plugin(c, ['crr', 'web', '-c', 'app'], { kubeconfig: crrOnly });
  assert.equal(crr.code, 1, crr.stderr);
  assert.deepEqual(missingIn(assertOneLineError(crr)), [
    'list poddisruptionbudgets.policy',
    'list podunavailablebudgets.policy.kruise.io',
    'patch clonesets.apps.kruise.io',
    'watch poddisruptionbudgets.policy',
    'watch pods',
    'watch podunavailablebudgets.policy.kruise.io',
  ]);
  assert.doesNotMatch(crr.stderr, /^run /m, 'no run was announced');
  assert.deepEqual(await c.list('containerrecreaterequests', c.namespace), []);
  const patcher = c.writeKubeconfig({
    user: 'patcher',
    token: await c.addUser('patcher', [
      { verbs: ['get', 'patch'], apiGroups: ['apps.kruise.io'], resources: ['clonesets'] },
      { verbs: ['list'], apiGroups: [''], resources: ['pods'] },
      { verbs: ['create'], apiGroups: [''], resources: ['events'] },
    ]),
  });
  const run = await plugin(c, ['inplace', 'web'], { kubeconfig: patcher });
  assert.equal(run.code, 1, run.stderr);
  assert.deepEqual(missingIn(assertOneLineError(run)), ['list clonesets.apps.kruise.io', 'list poddisruptionbudgets.policy', 'list podunavailablebudgets.policy.kruise.io', 'watch clonesets.apps.kruise.io', 'watch pods']);
  assert.deepEqual(await c.pluginWrites(), [], 'no write, not even a dry run');
  assert.deepEqual(await c.pluginWrites({ dryRun: true }), []);
}

export const permissionScenarios: Scenario[] = [
  { title: 'half-permitted users (crr without create, crr without patch or watch, inplace without list/watch) hear every missing permission in one line; nothing written', run: halfPermitted },
  { title: "a user with exactly the README's Role runs inplace, status and crr end to end", run: readmeRoleIsEnough },
  { title: "each verb of the README's Role removed: the plugin refuses before any write naming it, and the server refuses it too", run: everyVerbNeeded },
];
