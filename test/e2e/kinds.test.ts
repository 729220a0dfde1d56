import assert from 'node:assert/strict';
import { startCluster, type Cluster } from '../cluster/index';
import { KRUISE, PLUGIN, type Pod } from '../../src/kruise/types';
import { PluginProcess, assertOneLineError, requireBuild, runPlugin } from './harness';

const NS = 'shop';
const ANN = PLUGIN.defaultTriggerAnnotation;

function podsOf(cluster: Cluster, prefix: string): Pod[] {
  return cluster.list<Pod>('pods', NS).filter((p) => p.metadata.name?.startsWith(`${prefix}-`) && !p.metadata.deletionTimestamp);
}

const identity = (pods: Pod[]) => pods.map((p) => `${p.metadata.name}/${p.metadata.uid}`).sort();
const restarts = (pods: Pod[]) => pods.map((p) => p.status?.containerStatuses?.[0]?.restartCount ?? -1);

describe('Advanced StatefulSet and Advanced DaemonSet end to end (built binary, emulated cluster)', function () {
  this.timeout(120_000);
  let cluster: Cluster;
  let kubeconfig: string;

  before(requireBuild);
  beforeEach(async () => {
    cluster = await startCluster({ speed: 50, namespace: NS, restartSeconds: 1, readySeconds: 2 });
    kubeconfig = cluster.writeKubeconfig({ namespace: NS });
  });
  afterEach(async () => cluster.stop());

  it('restarts an Advanced StatefulSet of 5 (Parallel, maxUnavailable 2) and one of 3 (OrderedReady) in place: UIDs kept, one restart each, within budget, OrderedReady one at a time from the highest ordinal', async () => {
    await cluster.seedStatefulSet({ namespace: NS, name: 'db', replicas: 5, podManagementPolicy: 'Parallel', podUpdatePolicy: 'InPlaceIfPossible', maxUnavailable: 2, triggerAnnotation: ANN });
    await cluster.seedStatefulSet({ namespace: NS, name: 'queue', replicas: 3, podUpdatePolicy: 'InPlaceIfPossible', triggerAnnotation: ANN });
    const before = { db: identity(podsOf(cluster, 'db')), queue: identity(podsOf(cluster, 'queue')) };
    cluster.clearLog();

    const plan = await runPlugin(['inplace', 'statefulset.apps.kruise.io/queue', '--dry-run'], { kubeconfig });
    assert.equal(plan.code, 0, plan.stderr);
    assert.match(plan.stdout, /restart of Advanced StatefulSet shop\/queue \(InPlaceIfPossible\): 1 container app in 3 of 3 pods, one pod at a time from the highest ordinal \(podManagementPolicy OrderedReady\)/);

    const run = await runPlugin(['inplace', 'asts/db', 'asts/queue'], { kubeconfig });
    assert.equal(run.code, 0, run.stderr + run.stdout);
    assert.match(run.stderr, /restart of Advanced StatefulSet shop\/db \(InPlaceIfPossible\): 1 container app in 5 of 5 pods, 2 at a time from the highest ordinal/);
    assert.match(run.stderr, /2 of 2 workloads done: asts\/db complete, asts\/queue complete/);
    for (const name of ['db', 'queue'] as const) {
      const pods = podsOf(cluster, name);
      assert.deepEqual(identity(pods), before[name], `${name}: same pods`);
      assert.deepEqual(restarts(pods), pods.map(() => 1), `${name}: one restart each`);
    }
    assert.ok(cluster.maxUnavailableSeen(NS, 'db', 'StatefulSet') <= 2, `db: ${cluster.unavailableHistory(NS, 'db', 'StatefulSet')}`);
    assert.equal(cluster.maxUnavailableSeen(NS, 'queue', 'StatefulSet'), 1);
    assert.deepEqual(cluster.restartLog.filter((r) => r.pod.startsWith('queue-')).map((r) => r.pod), ['queue-2', 'queue-1', 'queue-0']);

    const status = await runPlugin(['status', 'asts/db', '-o', 'json'], { kubeconfig });
    const doc = JSON.parse(status.stdout) as { state: string; cloneSet: { kind: string; maxUnavailable: number } };
    assert.equal(doc.state, 'complete');
    assert.equal(doc.cloneSet.kind, 'StatefulSet');
    assert.equal(doc.cloneSet.maxUnavailable, 2);
  });

  it('restarts an Advanced DaemonSet over 6 nodes (maxUnavailable 2) in place, never above 2 nodes', async () => {
    await cluster.seedDaemonSet({ namespace: NS, name: 'agent', nodes: 6, rollingUpdateType: 'InPlaceIfPossible', maxUnavailable: 2, triggerAnnotation: ANN });
    const before = identity(podsOf(cluster, 'agent'));
    assert.equal(before.length, 6);
    cluster.clearLog();
    const run = await runPlugin(['inplace', 'daemonset.apps.kruise.io/agent'], { kubeconfig });
    assert.equal(run.code, 0, run.stderr + run.stdout);
    assert.match(run.stderr, /restart of Advanced DaemonSet shop\/agent \(InPlaceIfPossible\): 1 container app in 6 of 6 nodes, 2 nodes at a time/);
    assert.deepEqual(identity(podsOf(cluster, 'agent')), before);
    assert.deepEqual(restarts(podsOf(cluster, 'agent')), [1, 1, 1, 1, 1, 1]);
    assert.ok(cluster.maxUnavailableSeen(NS, 'agent', 'DaemonSet') <= 2, `${cluster.unavailableHistory(NS, 'agent', 'DaemonSet')}`);
    assert.match(run.stdout, /daemonset agent: restart complete: 6 of 6 pods restarted/);
  });

  it('plans and reports honestly an Advanced DaemonSet whose older pods lack the readiness gate: they are recreated', async () => {
    await cluster.seedDaemonSet({ namespace: NS, name: 'agent', nodes: 4, rollingUpdateType: 'InPlaceIfPossible', maxUnavailable: 1, triggerAnnotation: ANN, podsWithoutGate: ['node-0', 'node-1'] });
    const gateless = podsOf(cluster, 'agent').filter((p) => !p.spec.readinessGates?.some((g) => g.conditionType === KRUISE.inPlaceUpdateReady));
    assert.equal(gateless.length, 2);
    const plan = await runPlugin(['inplace', 'ads/agent', '--dry-run'], { kubeconfig });
    assert.equal(plan.code, 0, plan.stderr);
    assert.match(plan.stderr, /2 of 4 pods lack the InPlaceUpdateReady readiness gate .*Kruise will delete and recreate them instead of restarting in place/);
    for (const p of gateless) assert.match(plan.stderr, new RegExp(`${p.metadata.name} \\(node ${p.spec.nodeName}\\)`));
    cluster.clearLog();
    const run = await runPlugin(['inplace', 'ads/agent', '-o', 'json'], { kubeconfig });
    assert.equal(run.code, 0, run.stderr);
    const doc = JSON.parse(run.stdout) as { summary: { restarted: number; recreated: number }; outcome: string };
    assert.equal(doc.outcome, 'complete');
    assert.equal(doc.summary.restarted + doc.summary.recreated, 4);
    assert.ok(doc.summary.recreated >= 2, JSON.stringify(doc.summary));
    assert.equal(cluster.restartLog.filter((r) => r.cause === 'recreate').length, 2);
  });

  it('follows an Advanced DaemonSet rollingUpdate.selector as Kruise does: reads the nodes, plans, restarts and counts only the pods on the nodes it picks', async () => {
    await cluster.seedDaemonSet({ namespace: NS, name: 'agent', nodes: 6, rollingUpdateType: 'InPlaceIfPossible', maxUnavailable: 2, triggerAnnotation: ANN, nodeSelectorForUpdate: { matchLabels: { pool: 'canary' } } });
    for (const node of ['node-1', 'node-4']) cluster.setNode(node, { pool: 'canary' });
    await cluster.whenIdle();
    const onNode = (node: string) => podsOf(cluster, 'agent').find((p) => p.spec.nodeName === node)?.metadata.name as string;
    const picked = [onNode('node-4'), onNode('node-1')];
    const plan = await runPlugin(['inplace', 'ads/agent', '--dry-run', '-o', 'json'], { kubeconfig });
    assert.equal(plan.code, 0, plan.stderr);
    const planned = JSON.parse(plan.stdout) as { podsToRestart: number; pods: string[]; podsKept: number };
    assert.equal(planned.podsToRestart, 2);
    assert.deepEqual([...planned.pods].sort(), [...picked].sort());
    assert.equal(planned.podsKept, 4);
    assert.match(plan.stderr, /rollingUpdate\.selector pool=canary limits the update to 2 of 6 pods: .*\(node node-4\).*\(node node-1\); Kruise leaves the other 4 as they are/);

    cluster.clearLog();
    const before = identity(podsOf(cluster, 'agent'));
    const run = await runPlugin(['inplace', 'ads/agent'], { kubeconfig });
    assert.equal(run.code, 0, run.stderr + run.stdout);
    assert.match(run.stderr, /in 2 of 6 nodes/);
    assert.deepEqual(identity(podsOf(cluster, 'agent')), before);
    const restarted = podsOf(cluster, 'agent').filter((p) => (p.status?.containerStatuses?.[0]?.restartCount ?? 0) > 0).map((p) => p.metadata.name);
    assert.deepEqual(restarted.sort(), [...picked].sort(), 'only the pods on the picked nodes restarted');
    assert.match(run.stdout, /daemonset agent: restart complete: 2 of 2 pods restarted/);

    // status says which pods the selector leaves out, and counts the restart complete.
    const status = await runPlugin(['status', 'ads/agent', '-o', 'json'], { kubeconfig });
    assert.equal(status.code, 0, status.stderr);
    const doc = JSON.parse(status.stdout) as { complete: boolean; summary: { restarted: number; skipped: number }; pods: Array<{ name: string; state: string; reason?: string }> };
    assert.equal(doc.complete, true);
    assert.equal(doc.summary.restarted, 2);
    assert.equal(doc.summary.skipped, 4);
    for (const pod of doc.pods.filter((p) => !picked.includes(p.name))) assert.match(`${pod.state} ${pod.reason}`, /skipped not on a node the rollingUpdate\.selector picks/);

    // Nodes are cluster-scoped: a user who may not list them is told what to grant, before anything is written.
    const token = cluster.addUser('no-nodes', [{ verbs: ['*'], apiGroups: ['*'], resources: ['daemonsets', 'pods', 'events', 'poddisruptionbudgets', 'podunavailablebudgets', 'rollouts', 'containerrecreaterequests'] }]);
    cluster.clearLog();
    const denied = await runPlugin(['inplace', 'ads/agent'], { kubeconfig: cluster.writeKubeconfig({ token, namespace: NS, user: 'no-nodes' }) });
    assert.equal(denied.code, 1, denied.stderr);
    assert.match(assertOneLineError(denied), /not allowed to list nodes \(cluster-scoped\), which following the rollingUpdate\.selector of Advanced DaemonSet "agent" needs; nothing was changed: ask a cluster admin for a ClusterRole with "list" on "nodes"/);
    assert.deepEqual(cluster.writes(), []);
  });

  it('refuses what Kruise would not do in place, in one line, writing nothing', async () => {
    await cluster.seedStatefulSet({ namespace: NS, name: 'db', replicas: 2, triggerAnnotation: ANN });
    await cluster.seedDaemonSet({ namespace: NS, name: 'agent', nodes: 3, rollingUpdateType: 'InPlaceIfPossible', triggerAnnotation: ANN, nodeSelectorForUpdate: { matchLabels: { pool: 'a' } } });
    cluster.clearLog();
    const recreate = await runPlugin(['inplace', 'asts/db'], { kubeconfig });
    assert.equal(recreate.code, 2, recreate.stderr);
    assert.match(assertOneLineError(recreate), /ReCreate/);
    const selector = await runPlugin(['inplace', 'ads/agent'], { kubeconfig });
    assert.equal(selector.code, 2, selector.stderr);
    assert.match(assertOneLineError(selector), /rollingUpdate\.selector/);
    assert.deepEqual(cluster.writes(), []);
  });

  it('inplace staged on an Advanced StatefulSet (partition an ordinal boundary: the highest ordinal first) and an Advanced DaemonSet (nodes, highest name first): canary held, --continue finishes, the partition put back', async () => {
    await cluster.seedStatefulSet({ namespace: NS, name: 'db', replicas: 4, podManagementPolicy: 'Parallel', podUpdatePolicy: 'InPlaceIfPossible', maxUnavailable: 2, triggerAnnotation: ANN });
    await cluster.seedDaemonSet({ namespace: NS, name: 'agent', nodes: 4, rollingUpdateType: 'InPlaceIfPossible', maxUnavailable: 2, triggerAnnotation: ANN });
    const restartedOf = (prefix: string) => podsOf(cluster, prefix).filter((p) => (p.status?.containerStatuses?.[0]?.restartCount ?? 0) > 0);
    for (const [typed, prefix, resource] of [['asts/db', 'db', 'statefulsets'], ['ads/agent', 'agent', 'daemonsets']] as const) {
      const before = identity(podsOf(cluster, prefix));
      type Strategy = { spec: { updateStrategy: { rollingUpdate: { partition?: number } } } };
      const userPartition = cluster.get<Strategy>(resource, NS, prefix)?.spec.updateStrategy.rollingUpdate.partition;
      const plan = await runPlugin(['inplace', typed, '--canary', '1', '--batches', '2', '--dry-run'], { kubeconfig });
      assert.equal(plan.code, 0, plan.stderr);
      if (prefix === 'db') assert.match(plan.stdout, /canary: 1 pod, ordinal 3 \(1 of 4 done after it, partition 3\)[\s\S]*batch 1 of 2: 2 pods, ordinals 2 to 1 [\s\S]*batch 2 of 2: 1 pod, ordinal 0 /);
      else assert.match(plan.stdout, /canary: 1 pod, node node-3 \(1 of 4 done after it, partition 3\)[\s\S]*batch 1 of 2: 2 pods, nodes node-2, node-1 [\s\S]*batch 2 of 2: 1 pod, node node-0 /);
      const canary = await runPlugin(['inplace', typed, '--canary', '1'], { kubeconfig });
      assert.equal(canary.code, 0, canary.stderr);
      assert.ok(canary.stderr.includes(`kubectl kruise-restart inplace ${typed} -n ${NS} --continue`), canary.stderr);
      await cluster.whenIdle();
      const first = restartedOf(prefix);
      assert.equal(first.length, 1, `${typed}: one canary pod`);
      if (prefix === 'db') assert.equal(first[0].metadata.name, 'db-3', 'the highest ordinal first');
      else assert.equal(first[0].spec.nodeName, 'node-3', 'the highest node name first');
      const held = cluster.get<Strategy>(resource, NS, prefix);
      assert.equal(held?.spec.updateStrategy.rollingUpdate.partition, 3, `${typed}: partition holds the other 3`);
      const rest = await runPlugin(['inplace', typed, '--continue'], { kubeconfig });
      assert.equal(rest.code, 0, rest.stderr);
      await cluster.whenIdle();
      assert.deepEqual(identity(podsOf(cluster, prefix)), before);
      assert.deepEqual(restarts(podsOf(cluster, prefix)), [1, 1, 1, 1], `${typed}: each pod once`);
      const after = cluster.get<Strategy>(resource, NS, prefix);
      assert.equal(after?.spec.updateStrategy.rollingUpdate.partition, userPartition, `${typed}: the partition put back`);
    }
  });

  it('crr staged on an Advanced StatefulSet and DaemonSet: the canary by the run\'s pod order, held off a terminal, --continue names the kind and finishes, each pod once', async () => {
    await cluster.seedStatefulSet({ namespace: NS, name: 'db', replicas: 4, podManagementPolicy: 'Parallel', maxUnavailable: 2 });
    await cluster.seedDaemonSet({ namespace: NS, name: 'agent', nodes: 4, maxUnavailable: 2 });
    for (const [typed, prefix] of [['asts/db', 'db'], ['ads/agent', 'agent']] as const) {
      const before = identity(podsOf(cluster, prefix));
      const canary = await runPlugin(['crr', typed, '-c', 'app', '--canary', '1'], { kubeconfig });
      assert.equal(canary.code, 0, canary.stderr);
      assert.ok(canary.stderr.includes(`continue with: kubectl kruise-restart crr ${typed} -n ${NS} --continue`), canary.stderr);
      await cluster.whenIdle();
      assert.deepEqual(restarts(podsOf(cluster, prefix)).sort(), [0, 0, 0, 1]);
      const rest = await runPlugin(['crr', typed, '--continue'], { kubeconfig });
      assert.equal(rest.code, 0, rest.stderr);
      await cluster.whenIdle();
      assert.deepEqual(identity(podsOf(cluster, prefix)), before);
      assert.deepEqual(restarts(podsOf(cluster, prefix)), [1, 1, 1, 1], `${typed}: each pod once`);
    }
  });

  for (const kind of ['asts', 'ads'] as const) {
    it(`crr on an ${kind === 'asts' ? 'Advanced StatefulSet' : 'Advanced DaemonSet'}: paced by its budget, stopped with Ctrl-C, resumed, every pod restarted once`, async () => {
      await cluster.stop();
      cluster = await startCluster({ speed: 2, namespace: NS, restartSeconds: 1, readySeconds: 2 });
      kubeconfig = cluster.writeKubeconfig({ namespace: NS });
      if (kind === 'asts') await cluster.seedStatefulSet({ namespace: NS, name: 'db', replicas: 6, podManagementPolicy: 'Parallel', maxUnavailable: 2 });
      else await cluster.seedDaemonSet({ namespace: NS, name: 'db', nodes: 6, maxUnavailable: 2 });
      const workload = kind === 'asts' ? 'StatefulSet' : 'DaemonSet';
      const before = identity(podsOf(cluster, 'db'));
      cluster.clearLog();
      const first = new PluginProcess(['crr', `${kind}/db`, '-c', 'app'], { kubeconfig, timeoutMs: 90_000 });
      await first.waitFor(/-> restarted[\s\S]*-> restarted/);
      first.child.kill('SIGINT');
      const stopped = await first.done;
      assert.equal(stopped.code, 130, stopped.stderr);
      const id = /run (\S+)/.exec(stopped.stderr)?.[1] ?? '';
      assert.ok(stopped.stderr.includes(`kubectl kruise-restart crr ${kind}/db -n ${NS} --resume ${id}`), stopped.stderr);
      const resumed = await runPlugin(['crr', `${kind}/db`, '--resume', id], { kubeconfig, timeoutMs: 90_000 });
      assert.equal(resumed.code, 0, resumed.stderr);
      await cluster.whenIdle();
      const pods = podsOf(cluster, 'db');
      assert.deepEqual(identity(pods), before, 'same pods');
      assert.deepEqual(restarts(pods), pods.map(() => 1), 'each pod restarted exactly once');
      assert.ok(cluster.maxUnavailableSeen(NS, 'db', workload) <= 2, `history ${cluster.unavailableHistory(NS, 'db', workload)}`);
    });
  }
});
