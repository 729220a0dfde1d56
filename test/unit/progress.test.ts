import assert from 'node:assert/strict';
import { baselineOf, buildProgress, observe, track, type DiagnosisKind, type RestartProgress } from '../../src/kruise/progress';
import type { CloneSet, Pod } from '../../src/kruise/types';
import { KRUISE } from '../../src/kruise/types';
import {
  NEW_REV,
  OLD_REV,
  RUN,
  at,
  cloneSet,
  crr,
  crrRecord,
  inplaceRecord,
  ms,
  notRestartedPod,
  oldPod,
  pod,
  recreatedPod,
  restartedPod,
  restartingPod,
  succeededCrr,
} from './fixtures';

function states(p: RestartProgress): Record<string, string> {
  return Object.fromEntries(p.pods.map((x) => [x.name, x.state]));
}
function kinds(p: RestartProgress): DiagnosisKind[] {
  return p.diagnoses.map((d) => d.kind);
}
function diagnosis(p: RestartProgress, kind: DiagnosisKind) {
  const found = p.diagnoses.find((d) => d.kind === kind);
  assert.ok(found, `expected a ${kind} diagnosis, got ${JSON.stringify(p.diagnoses)}`);
  return found;
}
function inplace(pods: Pod[], nowSeconds: number, cs: CloneSet = cloneSet({ pods })) {
  return buildProgress({ cloneSet: cs, pods, record: inplaceRecord(), now: ms(nowSeconds) });
}

describe('progress: in-place restart judged against the pods read before the trigger (baseline)', () => {
  const judge = (before: Pod[], now: Pod[]) =>
    buildProgress({ cloneSet: cloneSet({ pods: now }), pods: now, record: inplaceRecord(), now: ms(60), baseline: baselineOf(before) });

  it('a new containerID means restarted, even when Kruise wrote no inplace-update-state', () => {
    const after = restartedPod('web-a', { updateState: undefined });
    const p = judge([oldPod('web-a')], [after]);
    assert.equal(p.pods[0].state, 'restarted', p.pods[0].reason);
    assert.equal(p.complete, true, p.message);
  });

  it('the same container at the new revision with InPlaceUpdateReady True means not restarted', () => {
    const same = notRestartedPod('web-a', { containers: [{ restartCount: 0, startedAt: -86000 }] });
    const p = judge([oldPod('web-a')], [same]);
    assert.equal(p.pods[0].state, 'failed');
    assert.match(p.pods[0].reason ?? '', /still runs the same container.*InPlaceUpdateEnvFromMetadata/);
  });

  it('a pod name or UID not in the baseline was recreated, whatever its annotations say', () => {
    const p = judge([oldPod('web-a'), oldPod('web-b')], [restartedPod('web-a', { uid: 'uid-new' }), restartedPod('web-c')]);
    assert.deepEqual(states(p), { 'web-a': 'recreated', 'web-c': 'recreated' });
  });
});

describe('progress: no restart recorded', () => {
  it('lists the pods and says so, with no verdict that reads as a finished restart', () => {
    const pods = [oldPod('web-a'), oldPod('web-b')];
    const p = buildProgress({ cloneSet: cloneSet({ pods }), pods, now: ms(0) });
    assert.equal(p.mode, 'none');
    assert.equal(p.state, 'none');
    assert.equal(p.complete, false);
    assert.equal(p.eta, null);
    assert.equal(p.failed, false);
    assert.deepEqual(p.pods.map((x) => x.name), ['web-a', 'web-b']);
    assert.equal(p.summary.total, 2);
    assert.match(p.message, /no restart recorded/);
  });
});

describe('progress: in-place restart', () => {
  it('is complete when the status rule holds and every pod shows restarted containers', () => {
    const pods = [restartedPod('web-a'), restartedPod('web-b'), restartedPod('web-c')];
    const p = inplace(pods, 60);
    assert.equal(p.mode, 'inplace');
    assert.equal(p.complete, true, p.message);
    assert.equal(p.failed, false);
    assert.deepEqual(states(p), { 'web-a': 'restarted', 'web-b': 'restarted', 'web-c': 'restarted' });
    assert.equal(p.summary.restarted, 3);
    assert.equal(p.pods[0].restarts, 1);
    assert.equal(p.pods[0].revision, 'new');
    assert.equal(p.pods[0].since, at(20));
    assert.equal(p.eta, null);
    assert.match(p.message, /restart complete: 3 of 3 pods restarted/);
  });

  it('early-done trap: revision label flipped, containers still restarting -> not complete', () => {
    const pods = [restartedPod('web-a'), restartingPod('web-b'), restartedPod('web-c')];
    // A status that already claims every pod updated (label flipped), as kruise-tools would trust.
    const cs = cloneSet({ pods, status: { updatedReplicas: 3, updatedReadyReplicas: 3, updatedAvailableReplicas: 3, currentRevision: NEW_REV } });
    const p = inplace(pods, 30, cs);
    assert.equal(p.complete, false);
    assert.equal(p.failed, false);
    assert.equal(states(p)['web-b'], 'restarting');
    assert.match(p.pods[1].reason ?? '', /waiting for kruise-daemon to restart app/);
    assert.equal(p.pods[1].revision, 'new');
    assert.match(p.message, /^Waiting for cloneset web restart to finish: 2 of 3 pods restarted, 1 restarting/);
  });

  it('is not complete while containers restarted but Kruise has not set InPlaceUpdateReady again', () => {
    const pods = [restartingPod('web-a', { containers: [{ restartCount: 1, startedAt: 14 }] })];
    const p = inplace(pods, 20);
    assert.equal(p.complete, false);
    assert.equal(p.pods[0].state, 'restarting');
    assert.match(p.pods[0].reason ?? '', /waiting for Kruise to confirm/);
  });

  it('gate off: InPlaceUpdateReady True but containers not restarted -> failed, not-restarted and gate-off', () => {
    const pods = [restartedPod('web-a'), notRestartedPod('web-b'), notRestartedPod('web-c')];
    const p = inplace(pods, 30);
    assert.equal(p.complete, false);
    assert.equal(p.failed, true);
    assert.equal(states(p)['web-b'], 'failed');
    assert.match(p.pods[1].reason ?? '', /InPlaceUpdateEnvFromMetadata \(or KruiseDaemon\) feature gate is off/);
    // A missing daemon stalls the update (InPlaceUpdateReady stays False); it never ends here.
    assert.doesNotMatch(p.pods[1].reason ?? '', /kruise-daemon is absent/);
    // The whole-map diff of a template that had no annotations looks the same from the pods.
    assert.match(diagnosis(p, 'gate-off').message, /template had no annotations before this restart/);
    assert.deepEqual(diagnosis(p, 'gate-off').pods, ['web-b', 'web-c']);
    assert.equal(diagnosis(p, 'not-restarted').severity, 'error');
    assert.match(p.message, /restart failed: 2 of 3 pods failed \(web-b: not restarted/);
  });

  it('not restarted although Kruise planned an env restart: the container reads no env var from the trigger', () => {
    const pods = [notRestartedPod('web-a', { envFromMetadata: true, node: 'node-7' })];
    const p = inplace(pods, 30);
    assert.equal(p.pods[0].state, 'failed');
    assert.match(p.pods[0].reason ?? '', /app reads no env var from the trigger annotation/);
    assert.ok(!kinds(p).includes('gate-off'));
    assert.ok(kinds(p).includes('not-restarted'));
  });

  it('recreated pods (new name, no inplace-update-state) are reported, done, with a warning', () => {
    const pods = [recreatedPod('web-x'), recreatedPod('web-y'), restartedPod('web-c')];
    const p = inplace(pods, 60);
    assert.equal(p.complete, true);
    assert.deepEqual(states(p), { 'web-c': 'restarted', 'web-x': 'recreated', 'web-y': 'recreated' });
    assert.equal(p.summary.recreated, 2);
    const d = diagnosis(p, 'recreated');
    assert.equal(d.severity, 'warning');
    assert.deepEqual(d.pods, ['web-x', 'web-y']);
    assert.match(p.message, /3 of 3 pods done \(1 restarted, 2 recreated\)/);
  });

  it('judges recreation by Kruise\'s update state, not by creationTimestamp against the plugin\'s clock (skew)', () => {
    // Created "after" the start on a cluster clock ahead of ours, then updated in place by this restart.
    const p = inplace([restartedPod('web-a', { created: 5 })], 60);
    assert.equal(p.pods[0].state, 'restarted');
  });

  it('a pod created after its own recorded in-place update was recreated (both cluster clocks)', () => {
    const p = inplace([restartedPod('web-a', { created: 12 })], 60);
    assert.equal(p.pods[0].state, 'recreated');
  });

  it('an inplace-update-state for another revision means the pod was recreated', () => {
    const p = inplace([restartedPod('web-a', { updateState: { revision: 'web-other', updateTimestamp: 10 } })], 60);
    assert.equal(p.pods[0].state, 'recreated');
  });

  it('a recreated pod not Ready yet is still restarting', () => {
    const p = inplace([recreatedPod('web-x', { ready: false, containers: [{ startedAt: null, waitingReason: 'ContainerCreating' }] })], 25);
    assert.equal(p.pods[0].state, 'restarting');
    assert.match(p.pods[0].reason ?? '', /recreated; waiting for Ready \(container app ContainerCreating\)/);
  });

  it('info only for recreation under the ReCreate strategy', () => {
    const pods = [recreatedPod('web-x')];
    const p = inplace(pods, 60, cloneSet({ pods, strategy: 'ReCreate' }));
    assert.equal(diagnosis(p, 'recreated').severity, 'info');
  });

  it('pods at the old revision are pending, with an ETA from the pace', () => {
    const pods = [restartedPod('web-a'), restartingPod('web-b'), oldPod('web-c'), oldPod('web-d')];
    const p = inplace(pods, 40);
    assert.deepEqual(states(p), { 'web-a': 'restarted', 'web-b': 'restarting', 'web-c': 'pending', 'web-d': 'pending' });
    assert.equal(p.pods[2].revision, 'old');
    // 1 pod in 40 s, 3 to go -> 120 s.
    assert.equal(p.eta, 120);
    assert.equal(p.state, 'in-progress');
    assert.equal(p.summary.pending, 2);
  });

  it('has no ETA before the first pod restarted', () => {
    const p = inplace([restartingPod('web-a'), oldPod('web-b')], 40);
    assert.equal(p.eta, null);
  });

  it('waits for the controller to produce the new revision', () => {
    const pods = [oldPod('web-a')];
    const cs = cloneSet({ pods: [], replicas: 1, status: { updateRevision: OLD_REV, replicas: 1, updatedReplicas: 1, updatedReadyReplicas: 1 } });
    const p = inplace(pods, 5, cs);
    assert.equal(p.complete, false);
    assert.equal(p.pods[0].state, 'pending');
    assert.match(p.pods[0].reason ?? '', /pick up the new template/);
    assert.ok(!kinds(p).includes('not-observed'));
    const later = inplace(pods, 300, cs);
    assert.match(diagnosis(later, 'not-observed').message, /kruise-manager running/);
    assert.match(diagnosis(later, 'stalled').message, /no progress for 5m/);
  });

  it('is not complete while observedGeneration lags the generation', () => {
    const pods = [restartedPod('web-a')];
    const p = inplace(pods, 60, cloneSet({ pods, generation: 3, status: { observedGeneration: 2 } }));
    assert.equal(p.complete, false);
    assert.match(p.message, /not observed generation 3/);
  });

  it('prefers updatedAvailableReplicas over updatedReadyReplicas', () => {
    const pods = [restartedPod('web-a')];
    const p = inplace(pods, 60, cloneSet({ pods, status: { updatedReadyReplicas: 1, updatedAvailableReplicas: 0 } }));
    assert.equal(p.complete, false);
    assert.match(p.message, /0 of 1 updated replicas available/);
  });

  it('partition: old pods beyond expectedUpdatedReplicas are skipped once the rollout reached it; complete', () => {
    const pods = [restartedPod('web-a'), restartedPod('web-b'), oldPod('web-c'), oldPod('web-d')];
    const cs = cloneSet({ pods, replicas: 4, partition: 2, status: { expectedUpdatedReplicas: 2 } });
    const p = inplace(pods, 60, cs);
    assert.deepEqual(states(p), { 'web-a': 'restarted', 'web-b': 'restarted', 'web-c': 'skipped', 'web-d': 'skipped' });
    assert.equal(p.complete, true, p.message);
    assert.match(p.pods[2].reason ?? '', /partition/);
    assert.match(diagnosis(p, 'partition').message, /partition 2 keeps 2 of 4 pods/);
    assert.match(p.message, /2 of 2 pods restarted, 2 skipped/);
  });

  it('partition: old pods stay pending while the rollout has not reached expectedUpdatedReplicas', () => {
    const pods = [restartedPod('web-a'), oldPod('web-b'), oldPod('web-c'), oldPod('web-d')];
    const cs = cloneSet({ pods, replicas: 4, partition: 2 });
    const p = inplace(pods, 60, cs);
    assert.equal(p.summary.pending, 3);
    assert.equal(p.complete, false);
    // ETA counts only the pods the partition lets restart: 1 more.
    assert.equal(p.eta, 60);
  });

  it('paused: pending pods stall with the cause "paused"', () => {
    const pods = [restartedPod('web-a'), oldPod('web-b'), oldPod('web-c')];
    const cs = cloneSet({ pods, paused: true });
    const early = inplace(pods, 30, cs);
    assert.ok(kinds(early).includes('paused'));
    assert.ok(!kinds(early).includes('stalled'));
    assert.match(early.message, /restart paused/);
    assert.equal(early.state, 'paused');
    const p = inplace(pods, 600, cs);
    const stalled = diagnosis(p, 'stalled');
    assert.match(stalled.message, /no progress for 9m40s: CloneSet web is paused/);
    assert.equal(p.diagnoses[0].kind, 'stalled');
    assert.equal(p.pods[1].reason, 'CloneSet is paused');
  });

  it('kruise-daemon not acting: InPlaceUpdateReady False for long, containers not restarted', () => {
    const pods = [restartingPod('web-a', { node: 'node-3' }), oldPod('web-b')];
    const p = inplace(pods, 400);
    const d = diagnosis(p, 'daemon-not-acting');
    assert.match(d.message, /node node-3/);
    assert.deepEqual(d.pods, ['web-a']);
    assert.match(diagnosis(p, 'stalled').message, /kruise-daemon has not restarted/);
  });

  it('a zero env hash in the runtime meta: kruise-daemon could not read the container\'s environment (no env binary?)', () => {
    const meta = JSON.stringify({ containers: [{ name: 'app', containerID: 'containerd://old-web-a', restartCount: 0, hashes: { plainHash: 123 } }] });
    const pods = [restartingPod('web-a', { node: 'node-3', annotations: { 'apps.kruise.io/runtime-containers-meta': meta } }), oldPod('web-b')];
    const p = inplace(pods, 400);
    assert.match(p.pods[0].reason ?? '', /kruise-daemon could not read the environment of container app \(no env binary\?\)/);
    const d = diagnosis(p, 'daemon-not-acting');
    assert.match(d.message, /could not read the environment of container app \(no env binary\?\) in web-a/);
    assert.doesNotMatch(d.message, /is it running there/);
  });

  it('does not call a fresh in-place update stuck', () => {
    const p = inplace([restartingPod('web-a'), oldPod('web-b')], 20);
    assert.ok(!kinds(p).includes('daemon-not-acting'));
    assert.ok(!kinds(p).includes('stalled'));
  });

  it('a pod not becoming Ready after its restart is named', () => {
    const pods = [restartedPod('web-a', { ready: false, readySince: 15, containers: [{ restartCount: 1, startedAt: 15, ready: false }] }), oldPod('web-b')];
    const p = inplace(pods, 300);
    assert.equal(p.pods[0].state, 'restarting');
    assert.match(p.pods[0].reason ?? '', /restarted; waiting for Ready/);
    assert.deepEqual(diagnosis(p, 'not-ready').pods, ['web-a']);
    assert.match(diagnosis(p, 'stalled').message, /web-a not Ready/);
  });

  it('a crash-looping restarted container is restarting with kubelet\'s reason', () => {
    const pods = [restartedPod('web-a', { ready: false, containers: [{ restartCount: 3, startedAt: null, waitingReason: 'CrashLoopBackOff' }] })];
    const p = inplace(pods, 300);
    assert.equal(p.pods[0].state, 'restarting');
    assert.match(p.pods[0].reason ?? '', /CrashLoopBackOff/);
    assert.match(diagnosis(p, 'not-ready').message, /CrashLoopBackOff/);
  });

  it('lifecycle hook: pods held in PreparingUpdate or Updated are named', () => {
    const pods = [
      oldPod('web-a', { lifecycle: 'PreparingUpdate' }),
      restartedPod('web-b', { lifecycle: 'Updated' }),
      oldPod('web-c'),
    ];
    const cs = cloneSet({ pods, lifecycle: { inPlaceUpdate: { labelsHandler: { 'example.com/unready': 'true' } } } });
    const p = inplace(pods, 400, cs);
    assert.equal(states(p)['web-a'], 'pending');
    assert.equal(states(p)['web-b'], 'restarting');
    assert.deepEqual(diagnosis(p, 'lifecycle-hook').pods, ['web-a', 'web-b']);
    assert.match(diagnosis(p, 'stalled').message, /lifecycle hook/);
  });

  it('lifecycle Updated without an inPlaceUpdate hook is a moment on the way to Normal, not a hook hold', () => {
    const pods = [restartedPod('web-a', { lifecycle: 'Updated' }), restartedPod('web-b')];
    const cs = cloneSet({ pods, lifecycle: { preDelete: { finalizersHandler: ['example.com/drain'] } } });
    const p = inplace(pods, 400, cs);
    assert.equal(states(p)['web-a'], 'restarting');
    assert.doesNotMatch(p.pods[0].reason ?? '', /hook/);
    assert.ok(!kinds(p).includes('lifecycle-hook'), JSON.stringify(p.diagnoses));
  });

  it('an old pod with InPlaceUpdateReady False is starting its in-place update', () => {
    const p = inplace([oldPod('web-a', { inPlaceUpdateReady: { status: false, since: 9 }, ready: false })], 12);
    assert.equal(p.pods[0].state, 'restarting');
  });

  it('unavailable pods outside the restart use up the budget', () => {
    const pods = [restartedPod('web-a'), oldPod('web-b', { ready: false }), oldPod('web-c')];
    const p = inplace(pods, 300);
    assert.equal(p.summary.unavailable, 1);
    assert.equal(p.summary.budget, 1);
    assert.deepEqual(diagnosis(p, 'budget-exhausted').pods, ['web-b']);
  });

  it('counts missing replicas as unavailable', () => {
    const pods = [restartedPod('web-a')];
    const p = inplace(pods, 60, cloneSet({ pods, replicas: 3 }));
    assert.equal(p.summary.unavailable, 2);
    assert.equal(p.complete, false);
  });

  it('sums the target containers only, and reports them', () => {
    const pods = [
      restartedPod('web-a', {
        containers: [
          { name: 'app', restartCount: 2, startedAt: 15 },
          { name: 'sidecar', restartCount: 7, startedAt: -9000 },
        ],
      }),
    ];
    const p = inplace(pods, 60, cloneSet({ pods, containers: ['app', 'sidecar'] }));
    assert.equal(p.pods[0].restarts, 2);
    assert.deepEqual(p.pods[0].containers.map((c) => c.name), ['app']);
    assert.equal(p.pods[0].state, 'restarted');
  });

  it('surfaces a FailedUpdate condition', () => {
    const pods = [oldPod('web-a')];
    const cs = cloneSet({
      pods,
      status: { conditions: [{ type: 'FailedUpdate', status: 'True', message: 'find Pod web-a update strategy is InPlaceOnly but can not update in-place' }] },
    });
    const p = inplace(pods, 300, cs);
    assert.match(diagnosis(p, 'update-failed').message, /InPlaceOnly/);
  });

  it('does not blame a FailedUpdate condition older than the restart (Kruise never clears it)', () => {
    const pods = [oldPod('web-a')];
    const stale = { type: 'FailedUpdate', status: 'True' as const, lastTransitionTime: at(-3600), message: 'an error from last week' };
    const p = inplace(pods, 300, cloneSet({ pods, status: { conditions: [stale] } }));
    assert.ok(!kinds(p).includes('update-failed'), JSON.stringify(p.diagnoses));
    const fresh = { ...stale, lastTransitionTime: at(5), message: 'failed to update pod web-a' };
    assert.match(diagnosis(inplace(pods, 300, cloneSet({ pods, status: { conditions: [fresh] } })), 'update-failed').message, /web-a/);
  });
});

describe('progress: CloneSet status fields Kruise omits when 0 (omitempty)', () => {
  it('an absent updatedAvailableReplicas is 0: not complete while minReadySeconds holds the pod back', () => {
    const pods = [restartedPod('web-a')];
    const cs = cloneSet({ pods, status: { updatedReplicas: 1, updatedReadyReplicas: 1, currentRevision: NEW_REV } });
    delete cs.status!.updatedAvailableReplicas;
    const p = inplace(pods, 60, cs);
    assert.equal(p.complete, false);
    assert.match(p.message, /0 of 1 updated replicas available/);
  });

  it('an absent expectedUpdatedReplicas is 0 once the controller wrote a status (partition keeps every pod)', () => {
    const pods = [oldPod('web-a'), oldPod('web-b')];
    const cs = cloneSet({ pods, replicas: 2, partition: '100%', status: { updatedReplicas: 0, updatedReadyReplicas: 0 } });
    delete cs.status!.expectedUpdatedReplicas;
    delete cs.status!.updatedAvailableReplicas;
    const p = inplace(pods, 60, cs);
    assert.deepEqual(states(p), { 'web-a': 'skipped', 'web-b': 'skipped' });
  });
});

describe('progress: history ("since" and stalls across evaluations)', () => {
  it('keeps a pod\'s since while its state holds and records a change at the evaluation time', () => {
    const cs = cloneSet({ replicas: 2 });
    const before = [oldPod('web-a'), oldPod('web-b')];
    const first = track({ cloneSet: cs, pods: before, record: inplaceRecord(), now: ms(5) });
    assert.equal(first.history.pods['web-a'].state, 'pending');
    const second = track({ cloneSet: cs, pods: before, record: inplaceRecord(), now: ms(50), history: first.history });
    assert.equal(second.history.lastChangeAt, first.history.lastChangeAt);
    // web-a goes into an in-place update whose cluster timestamps are missing: since = now of the evaluation.
    const moving = [oldPod('web-a', { inPlaceUpdateReady: null, labels: { 'apps.kruise.io/specified-delete': 'true' } }), oldPod('web-b')];
    const third = track({ cloneSet: cs, pods: moving, record: inplaceRecord(), now: ms(60), history: second.history });
    assert.equal(third.progress.pods[0].state, 'restarting');
    assert.equal(third.history.lastChangeAt, ms(60));
    assert.equal(third.progress.lastProgressAt, at(60));
  });

  it('detects a stall from the history when the cluster gives no timestamps', () => {
    const cs = cloneSet({ replicas: 1 });
    const pods = [oldPod('web-a')];
    let history = observe(undefined, buildProgress({ cloneSet: cs, pods, record: inplaceRecord(), now: ms(0) }), ms(0));
    const p = buildProgress({ cloneSet: cs, pods, record: inplaceRecord(), now: ms(200), history });
    assert.ok(kinds(p).includes('stalled'));
    history = observe(history, p, ms(200));
    assert.equal(history.lastChangeAt, ms(0));
  });

  it('starts afresh when the run changes', () => {
    const cs = cloneSet({ replicas: 1 });
    const pods = [oldPod('web-a')];
    const h = observe(undefined, buildProgress({ cloneSet: cs, pods, record: inplaceRecord({ run: 'one' }), now: ms(0) }), ms(0));
    const h2 = observe(h, buildProgress({ cloneSet: cs, pods, record: inplaceRecord({ run: 'two' }), now: ms(100) }), ms(100));
    assert.equal(h2.run, 'two');
    assert.equal(h2.firstSeenAt, ms(100));
  });

  it('stretches the stall threshold to 3x the observed per-pod time', () => {
    // One pod took ~100 s (budget 1): 3x = 300 s; at 250 s of silence this is not a stall yet.
    const pods = [restartedPod('web-a', { readySince: 100 }), restartingPod('web-b', { inPlaceUpdateReady: { status: false, since: 100 } }), oldPod('web-c')];
    const cs = cloneSet({ pods });
    const p = buildProgress({ cloneSet: cs, pods, record: inplaceRecord(), now: ms(350) });
    assert.ok(!kinds(p).includes('stalled'));
    const later = buildProgress({ cloneSet: cs, pods, record: inplaceRecord(), now: ms(450) });
    assert.ok(kinds(later).includes('stalled'));
  });
});

describe('progress: CRR runs', () => {
  const names = ['web-a', 'web-b', 'web-c', 'web-d'];
  const pods = () => names.map((n) => oldPod(n));
  const cs = () => cloneSet({ pods: pods(), replicas: 4 });

  it('only the run\'s selected pods are part of it', () => {
    const all = [...pods(), oldPod('web-new')];
    const p = buildProgress({ cloneSet: cs(), pods: all, record: crrRecord(names), crrs: [], now: ms(5) });
    assert.equal(p.mode, 'crr');
    assert.equal(p.run, RUN);
    assert.deepEqual(p.pods.map((x) => x.name), names);
    assert.equal(p.summary.pending, 4);
    assert.equal(p.summary.budget, 1);
  });

  it('success: a finished CRR whose containers all Succeeded and a Ready pod -> restarted; all -> complete', () => {
    const crrs = names.map((n, i) => succeededCrr(n, 20 + i));
    const p = buildProgress({ cloneSet: cs(), pods: pods(), record: crrRecord(names), crrs, now: ms(60) });
    assert.equal(p.complete, true, p.message);
    assert.equal(p.summary.restarted, 4);
    assert.equal(p.pods[0].crrPhase, 'Completed');
    assert.equal(p.pods[0].crr, 'web-a-abcd');
    assert.match(p.message, /restart complete: 4 of 4 pods restarted/);
  });

  it('pending, queued, created and recreating CRRs', () => {
    const crrs = [
      crr({ pod: 'web-a', phase: '' }),
      crr({ pod: 'web-b', phase: 'Pending' }),
      crr({ pod: 'web-c', phase: 'Recreating', states: [{ phase: 'Recreating' }] }),
    ];
    const p = buildProgress({ cloneSet: cs(), pods: pods(), record: crrRecord(names), crrs, now: ms(10) });
    assert.deepEqual(states(p), { 'web-a': 'restarting', 'web-b': 'restarting', 'web-c': 'restarting', 'web-d': 'pending' });
    assert.equal(p.pods[0].crrPhase, '');
    assert.match(p.pods[0].reason ?? '', /waiting for kruise-daemon on node node-1/);
    assert.match(p.pods[1].reason ?? '', /queued behind another CRR/);
    assert.match(p.pods[2].reason ?? '', /recreating: app Recreating/);
    assert.equal(p.complete, false);
  });

  it("takes the run's own verdicts from the record: a pod not Ready in time fails, a pod skipped at its turn is skipped", () => {
    const crrs = [succeededCrr('web-a', 20), succeededCrr('web-b', 21), succeededCrr('web-c', 22)];
    const record = crrRecord(names, {
      outcomes: { 'web-a': { state: 'failed', reason: 'not Ready within 5m after its restart' }, 'web-d': { state: 'skipped', reason: 'stopped running before its turn' } },
    });
    const p = buildProgress({ cloneSet: cs(), pods: pods(), record, crrs, now: ms(60) });
    assert.deepEqual(states(p), { 'web-a': 'failed', 'web-b': 'restarted', 'web-c': 'restarted', 'web-d': 'skipped' });
    assert.match(p.pods[0].reason ?? '', /not Ready within 5m/);
    assert.equal(p.failed, true);
  });

  it('ignores CRRs of other runs', () => {
    const crrs = [succeededCrr('web-a', 20, { run: 'other-run' })];
    const p = buildProgress({ cloneSet: cs(), pods: pods(), record: crrRecord(names), crrs, now: ms(30) });
    assert.equal(p.pods[0].state, 'pending');
  });

  it('Completed is not success: a container kill error fails the pod and the run', () => {
    const crrs = [crr({ pod: 'web-a', completed: 12, states: [{ phase: 'Failed', message: 'kill container error: rpc error' }] })];
    const p = buildProgress({ cloneSet: cs(), pods: pods(), record: crrRecord(names), crrs, now: ms(30) });
    assert.equal(p.pods[0].state, 'failed');
    assert.match(p.pods[0].reason ?? '', /kill container error/);
    assert.equal(p.failed, true);
    assert.equal(p.complete, false);
    assert.match(diagnosis(p, 'crr-failed').message, /kill container error/);
  });

  it('failurePolicy Ignore tolerates a Failed container', () => {
    const crrs = [crr({ pod: 'web-a', completed: 12, failurePolicy: 'Ignore', states: [{ phase: 'Failed', message: 'kill container error' }] })];
    const p = buildProgress({ cloneSet: cs(), pods: pods(), record: crrRecord(['web-a']), crrs, now: ms(30) });
    assert.equal(p.pods[0].state, 'restarted');
  });

  it('a container missing on the node: the request stays Recreating until its deadline, and says so', () => {
    const stuck = crr({ pod: 'web-a', phase: 'Recreating', states: [{ phase: 'Pending', message: 'not found container on Node' }] });
    stuck.spec.activeDeadlineSeconds = 300;
    const p = buildProgress({ cloneSet: cs(), pods: pods(), record: crrRecord(['web-a']), crrs: [stuck], now: ms(30) });
    assert.equal(p.pods[0].state, 'restarting');
    assert.match(p.pods[0].reason ?? '', /finds no container app on node node-1 \(not found container on Node\): the request stays Recreating until its deadline \(activeDeadlineSeconds 300\)/);
    assert.match(diagnosis(p, 'container-missing').message, /until its activeDeadlineSeconds/);
  });

  it('a missing container state is a failure', () => {
    const crrs = [crr({ pod: 'web-a', completed: 12, states: [] })];
    const p = buildProgress({ cloneSet: cs(), pods: pods(), record: crrRecord(['web-a']), crrs, now: ms(30) });
    assert.equal(p.pods[0].state, 'failed');
    assert.match(p.pods[0].reason ?? '', /no recreate state/);
  });

  it('daemon has not responded: failed, with the node and a daemon diagnosis', () => {
    const crrs = [crr({ pod: 'web-a', completed: 61, message: 'daemon has not responded for a long time', node: 'vk-1' })];
    const p = buildProgress({ cloneSet: cs(), pods: [oldPod('web-a', { node: 'vk-1' })], record: crrRecord(['web-a']), crrs, now: ms(70) });
    assert.equal(p.pods[0].state, 'failed');
    assert.match(p.pods[0].reason ?? '', /node vk-1/);
    assert.ok(kinds(p).includes('daemon-not-acting'));
  });

  it('pod has gone while the pod is still terminating (Kruise ends the request as soon as deletion starts): skipped, not failed', () => {
    const crrs = [crr({ pod: 'web-a', completed: 12, message: 'pod has gone' })];
    const a = oldPod('web-a');
    const terminating = { ...a, metadata: { ...a.metadata, deletionTimestamp: at(11) } };
    const p = buildProgress({ cloneSet: cs(), pods: [terminating, oldPod('web-c')], record: crrRecord(['web-a', 'web-c']), crrs, now: ms(30) });
    assert.equal(states(p)['web-a'], 'skipped');
    assert.equal(p.failed, false);
  });

  it('pod has gone (deleted under its CRR, e.g. scaled down): skipped, not failed; gone without a CRR: skipped', () => {
    const crrs = [crr({ pod: 'web-a', completed: 12, message: 'pod has gone' })];
    const p = buildProgress({ cloneSet: cs(), pods: [oldPod('web-c')], record: crrRecord(['web-a', 'web-b', 'web-c']), crrs, now: ms(30) });
    assert.equal(states(p)['web-a'], 'skipped');
    assert.match(p.pods[0].reason ?? '', /^pod gone during its restart/);
    assert.equal(p.failed, false);
    assert.equal(states(p)['web-b'], 'skipped');
    assert.equal(p.pods[1].reason, 'pod gone');
    assert.equal(states(p)['web-c'], 'pending');
  });

  it('finished successfully but the pod is not Ready yet -> restarting', () => {
    const crrs = [succeededCrr('web-a', 20)];
    const p = buildProgress({ cloneSet: cs(), pods: [oldPod('web-a', { ready: false })], record: crrRecord(['web-a']), crrs, now: ms(25) });
    assert.equal(p.pods[0].state, 'restarting');
    assert.match(p.pods[0].reason ?? '', /waiting for Ready/);
  });

  it('a CRR stuck in phase "" for long: kruise-daemon not acting, stalled', () => {
    const crrs = [crr({ pod: 'web-a', phase: '', created: 1, node: 'node-9' })];
    const p = buildProgress({ cloneSet: cs(), pods: [oldPod('web-a', { node: 'node-9' }), oldPod('web-b')], record: crrRecord(['web-a', 'web-b'], { heartbeatAt: at(195) }), crrs, now: ms(200) });
    assert.match(diagnosis(p, 'daemon-not-acting').message, /node-9/);
    assert.ok(kinds(p).includes('stalled'));
  });

  it('a completed run whose CRRs were garbage-collected stays complete', () => {
    const p = buildProgress({ cloneSet: cs(), pods: pods(), record: crrRecord(names, { finished: 'completed' }), crrs: [], now: ms(9000) });
    assert.equal(p.complete, true);
  });

  it('a run recorded as failed is failed', () => {
    const p = buildProgress({ cloneSet: cs(), pods: pods(), record: crrRecord(names, { finished: 'failed' }), crrs: [], now: ms(90) });
    assert.equal(p.failed, true);
    assert.equal(p.complete, false);
  });

  it('takes the newest CRR of a retried pod', () => {
    const crrs = [
      crr({ pod: 'web-a', name: 'first', created: 1, completed: 5, message: 'pod has gone' }),
      succeededCrr('web-a', 30, { name: 'second', created: 20 }),
    ];
    const p = buildProgress({ cloneSet: cs(), pods: pods(), record: crrRecord(['web-a']), crrs, now: ms(40) });
    assert.equal(p.pods[0].crr, 'second');
    assert.equal(p.pods[0].state, 'restarted');
  });
});

describe('progress: robustness', () => {
  it('never throws on odd inputs', () => {
    const weird = [
      { metadata: {}, spec: {} },
      { metadata: { name: 'ünïcødé-日本' }, spec: { containers: null }, status: { conditions: 'nope', containerStatuses: [null, { name: 5 }] } },
      { metadata: { name: 'x', labels: { [KRUISE.revisionLabel]: NEW_REV }, annotations: { [KRUISE.inPlaceUpdateStateAnnotation]: '{not json' } }, spec: { containers: [] } },
      { metadata: { name: 'y', labels: { [KRUISE.revisionLabel]: NEW_REV }, annotations: { [KRUISE.inPlaceUpdateStateAnnotation]: '[1,2]' } }, spec: { containers: [] }, extra: { unknown: true } },
      null,
    ] as unknown as Pod[];
    const bareCs = { metadata: {}, spec: {} } as unknown as CloneSet;
    for (const cs of [bareCs, cloneSet({ replicas: 1e9 })]) {
      for (const record of [undefined, inplaceRecord(), crrRecord(['x', 'y']), { mode: 'weird' } as never]) {
        const p = buildProgress({ cloneSet: cs, pods: weird, record, crrs: [null, { metadata: {}, spec: {} }] as never, now: ms(100) });
        assert.equal(typeof p.message, 'string');
        assert.doesNotThrow(() => JSON.stringify(p));
      }
    }
  });

  it('treats an unparsable inplace-update-state as a recreated pod, not a crash', () => {
    const p = inplace([pod({ name: 'web-a', revision: NEW_REV, updateState: '{oops' })], 60);
    assert.equal(p.pods[0].state, 'recreated');
  });

  it('accepts the short-hash revision label (CloneSetShortHash)', () => {
    const p = inplace([restartedPod('web-a', { revision: NEW_REV.split('-')[1] })], 60);
    assert.equal(p.pods[0].revision, 'new');
    assert.equal(p.pods[0].state, 'restarted');
  });

  it('handles 5,000 pods quickly', () => {
    const pods: Pod[] = [];
    for (let i = 0; i < 5000; i++) pods.push(i < 4900 ? restartedPod(`web-${i}`) : oldPod(`web-${i}`));
    const cs = cloneSet({ pods });
    const started = Date.now();
    const p = inplace(pods, 600, cs);
    assert.equal(p.summary.restarted, 4900);
    assert.ok(Date.now() - started < 2000);
    assert.ok(at(0));
  });
});

describe('progress: setup runs', () => {
  it('expects recreation when the run added the trigger wiring', () => {
    const pods = [recreatedPod('web-x')];
    const p = buildProgress({ cloneSet: cloneSet({ pods }), pods, record: inplaceRecord({ setup: true }), now: ms(60) });
    assert.equal(p.complete, true);
    const d = p.diagnoses.find((x) => x.kind === 'recreated');
    assert.equal(d?.severity, 'info');
    assert.match(d?.message ?? '', /--setup/);
  });
});

describe('progress: pods outside the work', () => {
  it('skips inactive (Failed, e.g. evicted) pods: Kruise replaces them, never updates them', () => {
    const pods = [restartedPod('web-a'), oldPod('web-b', { phase: 'Failed', ready: false })];
    const p = buildProgress({ cloneSet: cloneSet({ pods: [pods[0]], replicas: 1 }), pods, record: inplaceRecord(), now: ms(60) });
    assert.equal(states(p)['web-b'], 'skipped');
    assert.match(p.pods[1].reason ?? '', /inactive \(phase Failed\)/);
    assert.equal(p.complete, true);
  });

  it('without fromRevision, an in-place update stamped well before the restart is an earlier one: pending', () => {
    const pods = [restartedPod('web-a', { updateState: { updateTimestamp: -7200 }, containers: [{ restartCount: 1, startedAt: -7190 }] })];
    const cs = cloneSet({ pods, status: { currentRevision: NEW_REV } });
    const p = buildProgress({ cloneSet: cs, pods, record: inplaceRecord({ fromRevision: undefined }), now: ms(30) });
    assert.equal(p.pods[0].state, 'pending');
    assert.equal(p.complete, false);
  });

  it('a CRR Recreating for long on a pod that is not Ready points at readiness, not the daemon', () => {
    const pods = [oldPod('web-a', { ready: false, containers: [{ startedAt: null, waitingReason: 'CrashLoopBackOff' }] }), oldPod('web-b')];
    const crrs = [crr({ pod: 'web-a', phase: 'Recreating', states: [{ phase: 'Recreating' }] })];
    const p = buildProgress({ cloneSet: cloneSet({ pods }), pods, record: crrRecord(['web-a', 'web-b']), crrs, now: ms(300) });
    assert.match(diagnosis(p, 'not-ready').message, /CrashLoopBackOff/);
    assert.ok(!kinds(p).includes('daemon-not-acting'));
  });

  it('a selected pod that is terminating and has no CRR is skipped', () => {
    const pods = [oldPod('web-a', { deleting: true })];
    const p = buildProgress({ cloneSet: cloneSet({ pods, replicas: 1 }), pods, record: crrRecord(['web-a']), crrs: [], now: ms(10) });
    assert.equal(p.pods[0].state, 'skipped');
    assert.equal(p.complete, true);
  });

  it('history survives a JSON round trip', () => {
    const pods = [restartingPod('web-a'), oldPod('web-b')];
    const cs = cloneSet({ pods });
    const { history } = track({ cloneSet: cs, pods, record: inplaceRecord(), now: ms(12) });
    const again = JSON.parse(JSON.stringify(history));
    assert.deepEqual(again, history);
    const p = buildProgress({ cloneSet: cs, pods, record: inplaceRecord(), now: ms(20), history: again });
    assert.equal(p.pods[0].since, at(10));
  });
});
