import assert from 'node:assert/strict';
import { startCluster, type Cluster } from './index';
import { call } from './http-client';
import { KRUISE, type ContainerRecreateRequest, type Pod } from '../../src/kruise/types';

const CRR = '/apis/apps.kruise.io/v1alpha1/namespaces/default/containerrecreaterequests';
type Crr = ContainerRecreateRequest;

describe('simulated ContainerRecreateRequests and knobs', function () {
  this.timeout(30_000);
  let c: Cluster;
  let pods: Pod[];
  beforeEach(async () => {
    c = await startCluster({ speed: 200 });
    await c.seedCloneSet({ name: 'web', replicas: 3, containers: ['app', 'side'] });
    pods = c.list<Pod>('pods', 'default');
  });
  afterEach(async () => c?.stop());

  const create = (name: string, pod: string, spec: Record<string, unknown> = {}, containers = ['app']) =>
    call<Crr>(c, 'POST', CRR, { apiVersion: 'apps.kruise.io/v1alpha1', kind: 'ContainerRecreateRequest', metadata: { name }, spec: { podName: pod, containers: containers.map((n) => ({ name: n })), ...spec } });
  const done = (name: string, timeout = 10_000) => c.waitFor(() => {
    const x = c.get<Crr>('containerrecreaterequests', 'default', name);
    return x?.status?.phase === 'Completed' && !x.metadata.labels?.[KRUISE.crrActiveLabel] ? x : undefined;
  }, timeout, `CRR ${name} completed`);

  it('webhook defaults and labels; Recreating → Completed with Succeeded containers', async () => {
    const p = pods[0];
    const r = await create('r1', p.metadata.name!, { strategy: { minStartedSeconds: 1 } }, ['app', 'side']);
    assert.equal(r.status, 201, r.text);
    assert.equal(r.body.metadata.labels![KRUISE.crrActiveLabel], 'true');
    assert.equal(r.body.metadata.labels![KRUISE.crrPodUidLabel], p.metadata.uid);
    assert.equal(r.body.metadata.labels![KRUISE.crrNodeNameLabel], p.spec.nodeName);
    assert.equal(r.body.spec.strategy?.failurePolicy, 'Fail');
    assert.equal(r.body.spec.containers[0].statusContext?.containerID, p.status!.containerStatuses![0].containerID);
    await c.waitFor(() => c.get<Crr>('containerrecreaterequests', 'default', 'r1')?.status?.phase === 'Recreating', 5000);
    const crr = await done('r1');
    // message is omitempty in Kruise's types: a clean completion has none (as the real server shows).
    assert.equal(crr.status?.message, undefined);
    assert.ok(crr.status?.completionTime);
    assert.deepEqual(crr.status?.containerRecreateStates?.map((s) => [s.name, s.phase]), [['app', 'Succeeded'], ['side', 'Succeeded']]);
    const after = c.get<Pod>('pods', 'default', p.metadata.name!)!;
    assert.deepEqual(after.status!.containerStatuses!.map((s) => s.restartCount), [1, 1]);
    assert.equal(c.restartLog.filter((x) => x.cause === 'crr').length, 2);
  });

  it('webhook rejections use the real 400 messages', async () => {
    const deny = 'admission webhook "mcontainerrecreaterequest.kb.io" denied the request: ';
    const cases: Array<[Promise<{ status: number; body: Crr & { message?: string } }>, string]> = [
      [create('a', 'ghost'), 'no found Pod named ghost'],
      [create('b', pods[0].metadata.name!, {}, ['nope']), 'container nope not found in Pod'],
      [create('c', pods[0].metadata.name!, {}, ['app', 'app']), 'can not recreate app multi times'],
      [create('d', pods[0].metadata.name!, { activeDeadlineSeconds: 1 }), 'activeDeadlineSeconds can not be less than 3s'],
      [create('e', pods[0].metadata.name!, { strategy: { failurePolicy: 'Maybe' } }), 'unknown failurePolicy Maybe'],
    ];
    for (const [p, msg] of cases) {
      const r = await p;
      assert.equal(r.status, 400);
      assert.equal(r.body.message, deny + msg);
    }
  });

  it('two CRRs on one pod queue (Pending) and run one at a time; ttlSecondsAfterFinished deletes', async () => {
    const p = pods[0].metadata.name!;
    await create('first', p, { ttlSecondsAfterFinished: 5 });
    await create('second', p);
    await c.waitFor(() => c.get<Crr>('containerrecreaterequests', 'default', 'second')?.status?.phase === 'Pending', 5000, 'second Pending');
    await done('second');
    await c.waitFor(() => !c.get('containerrecreaterequests', 'default', 'first'), 10_000, 'first deleted by TTL');
    // Both snapshots predate the first restart, so without forceRecreate the second counts it as its own.
    assert.equal(c.get<Pod>('pods', 'default', p)!.status!.containerStatuses![0].restartCount, 1);
  });

  it('forceRecreate false: a container restarted since the snapshot counts as done', async () => {
    const p = pods[1].metadata.name!;
    await create('one', p);
    await done('one');
    const r = await call<Crr>(c, 'POST', CRR, { apiVersion: 'apps.kruise.io/v1alpha1', kind: 'ContainerRecreateRequest', metadata: { name: 'two' }, spec: { podName: p, containers: [{ name: 'app' }] } });
    assert.equal(r.status, 201);
    await done('two');
    assert.equal(c.get<Pod>('pods', 'default', p)!.status!.containerStatuses![0].restartCount, 2);
  });

  it('failRestart knob: container Failed with kill container error, failurePolicy Fail completes with empty message', async () => {
    const p = pods[0].metadata.name!;
    c.knobs.failRestart(p, 'app');
    await create('f', p);
    const crr = await done('f');
    assert.equal(crr.status?.message, undefined);
    assert.equal(crr.status?.containerRecreateStates?.[0].phase, 'Failed');
    assert.match(crr.status!.containerRecreateStates![0].message!, /^kill container error: /);
    await create('g', p, { strategy: { failurePolicy: 'Ignore' } }, ['app', 'side']);
    const g = await done('g');
    assert.deepEqual(g.status?.containerRecreateStates?.map((s) => s.phase), ['Failed', 'Succeeded']);
  });

  it('pod has gone; activeDeadlineSeconds; noDaemonOnNode → daemon has not responded', async () => {
    const [a, b, d] = pods;
    c.knobs.noDaemonOnNode(b.spec.nodeName!);
    c.knobs.neverReady(d.metadata.name!);
    await create('nodaemon', b.metadata.name!);
    await create('deadline', d.metadata.name!, { activeDeadlineSeconds: 3 });
    await create('gone', a.metadata.name!, { strategy: { unreadyGracePeriodSeconds: 30 } });
    await call(c, 'DELETE', `/api/v1/namespaces/default/pods/${a.metadata.name}`);
    assert.equal((await done('gone')).status?.message, 'pod has gone');
    assert.equal((await done('deadline')).status?.message, 'recreating has exceeded the activeDeadlineSeconds');
    const nd = await done('nodaemon', 5000);
    assert.equal(nd.status?.message, 'daemon has not responded for a long time');
  });

  it('unreadyGracePeriodSeconds holds KruisePodReady=False while recreating', async () => {
    const p = pods[2].metadata.name!;
    await create('hold', p, { strategy: { unreadyGracePeriodSeconds: 2 } });
    const held = await c.waitFor(() => {
      const pod = c.get<Pod>('pods', 'default', p)!;
      const cond = pod.status?.conditions?.find((x) => x.type === KRUISE.kruisePodReady);
      return cond?.status === 'False' ? cond : undefined;
    }, 5000, 'KruisePodReady=False');
    assert.equal(held.message, JSON.stringify([{ userAgent: 'ContainerRecreateRequest', key: 'default/hold' }]));
    await done('hold');
    await c.whenIdle();
    const pod = c.get<Pod>('pods', 'default', p)!;
    assert.equal(pod.status?.conditions?.find((x) => x.type === KRUISE.kruisePodReady)?.status, 'True');
    assert.equal(pod.status?.conditions?.find((x) => x.type === 'Ready')?.status, 'True');
    assert.equal(c.get<Crr>('containerrecreaterequests', 'default', 'hold')?.metadata.finalizers, undefined);
  });

  it('neverReady and readyDelay knobs; setGate', async () => {
    const [a, b] = pods;
    c.knobs.neverReady(a.metadata.name!);
    await c.waitFor(() => c.get<Pod>('pods', 'default', a.metadata.name!)!.status?.conditions?.find((x) => x.type === 'Ready')?.status === 'False', 3000);
    c.knobs.readyDelay(b.metadata.name!, 30);
    await create('slow', b.metadata.name!);
    await new Promise((r) => setTimeout(r, 100)); // 20 simulated seconds
    assert.equal(c.get<Crr>('containerrecreaterequests', 'default', 'slow')?.status?.phase, 'Recreating');
    await done('slow');
    c.knobs.setGate(false);
  });
});
