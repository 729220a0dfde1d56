import assert from 'node:assert/strict';
import {
  batchCount,
  buildCrr,
  chooseContainers,
  crrName,
  crrOutcome,
  emptyMemory,
  labelValue,
  newRunId,
  nextPodsToStart,
  selectPods,
  validateRunId,
  withDeadline,
  withFailure,
  defaultActiveDeadlineSeconds,
  MIN_DEFAULT_ACTIVE_DEADLINE_SECONDS,
  type CrrStrategy,
  type PacingInput,
} from '../../src/kruise/crr-plan';
import { matchesSelector, parseLabelSelector } from '../../src/kruise/label-selector';
import { KRUISE, PLUGIN, type ContainerRecreateRequest, type Pod, type PodTemplate } from '../../src/kruise/types';
import { validateObjectName } from '../../src/kruise/selectors';
import { loadCrds, prune, validate } from '../cluster/schema';
import { RUN, cloneSet, crr, ms, pod, succeededCrr } from './fixtures';

const STRATEGY: CrrStrategy = {
  failurePolicy: 'Fail',
  orderedRecreate: false,
  forceRecreate: false,
  minStartedSeconds: 0,
  ttlSecondsAfterFinished: 86400,
};

const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

describe('crr run ids and names', () => {
  it('makes run ids that sort by start time and are valid label values', () => {
    const a = newRunId(Date.parse('2026-11-26T10:15:00Z'), () => 0.5);
    const b = newRunId(Date.parse('2026-11-26T10:15:01Z'), () => 0);
    assert.equal(a, '20261126-101500-iiii');
    assert.ok(a < b);
    assert.match(a, LABEL_VALUE);
    assert.equal(validateRunId(a), undefined);
    assert.equal(newRunId(0, () => 0.9999999).slice(-4), 'zzzz');
    assert.match(validateRunId('latest') ?? '', /invalid run id/);
  });

  it('derives the same CRR name for the same pod and run, and different ones across runs', () => {
    assert.equal(crrName('web-abcde', RUN), `web-abcde-${RUN}`);
    assert.equal(crrName('web-abcde', RUN), crrName('web-abcde', RUN));
    assert.notEqual(crrName('web-abcde', RUN), crrName('web-abcde', '20261126-100000-abce'));
  });

  it('keeps CRR names of very long pod names within 253 valid characters, still distinct', () => {
    const long = `${'a'.repeat(120)}.${'b'.repeat(120)}-x`;
    const long2 = `${'a'.repeat(120)}.${'b'.repeat(120)}-y`;
    const name = crrName(long, RUN);
    assert.ok(name.length <= 253, `${name.length}`);
    assert.equal(validateObjectName(name, 'CRR'), undefined);
    assert.notEqual(name, crrName(long2, RUN));
    assert.ok(name.endsWith(RUN));
  });

  it('shortens long CloneSet names into valid label values', () => {
    assert.equal(labelValue('web'), 'web');
    const v = labelValue(`${'w'.repeat(62)}-${'x'.repeat(40)}`);
    assert.ok(v.length <= 63);
    assert.match(v, LABEL_VALUE);
  });
});

describe('crr container choice', () => {
  const two = cloneSet({ containers: ['app', 'sidecar'] });
  it('needs no flag for single-container pods', () => {
    assert.deepEqual(chooseContainers(cloneSet({ containers: ['app'] }), undefined, false), { ok: true, containers: ['app'] });
  });
  it('refuses multi-container pods without -c or --all-containers, listing the names', () => {
    const choice = chooseContainers(two, undefined, false);
    assert.equal(choice.ok, false);
    if (!choice.ok) {
      assert.match(choice.message, /app, sidecar/);
      assert.match(choice.hint ?? '', /--all-containers/);
    }
  });
  it('refuses unknown container names and lists the real ones', () => {
    const choice = chooseContainers(two, ['ap'], false);
    assert.equal(choice.ok, false);
    if (!choice.ok) {
      assert.match(choice.message, /"ap"/);
      assert.match(choice.hint ?? '', /app, sidecar/);
    }
  });
  it('takes every container with --all-containers and de-duplicates -c', () => {
    assert.deepEqual(chooseContainers(two, undefined, true), { ok: true, containers: ['app', 'sidecar'] });
    assert.deepEqual(chooseContainers(two, ['app', 'app'], false), { ok: true, containers: ['app'] });
    const both = chooseContainers(two, ['app'], true);
    assert.equal(both.ok === false && both.usage, true);
  });
});

describe('crr pod selection', () => {
  const pods = [
    pod({ name: 'web-10' }),
    pod({ name: 'web-2' }),
    pod({ name: 'web-3', phase: 'Pending', ready: false }),
    pod({ name: 'web-4', deleting: true }),
    pod({ name: 'web-5', labels: { zone: 'b' } }),
    pod({ name: 'web-6' }),
  ];
  const activeCrr: ContainerRecreateRequest = { ...crr({ pod: 'web-6', run: 'other-run', name: 'manual' }) };
  activeCrr.metadata.labels = { ...activeCrr.metadata.labels, [KRUISE.crrActiveLabel]: 'true' };

  it('selects running pods in natural order and lists every skipped pod with its reason', () => {
    const s = selectPods({ pods, activeCrrs: [activeCrr], containers: ['app'] });
    assert.ok(s.ok);
    if (!s.ok) return;
    assert.deepEqual(s.pods, ['web-2', 'web-5', 'web-10']);
    assert.deepEqual(
      s.skipped.map((x) => `${x.pod}: ${x.reason}`),
      ['web-3: not running (phase Pending)', 'web-4: terminating', 'web-6: CRR manual is already active on it'],
    );
  });

  it('ignores CRRs that already completed', () => {
    const finished = { ...activeCrr, status: { phase: 'Completed' as const, completionTime: '2026-11-26T10:00:00Z' } };
    const s = selectPods({ pods, activeCrrs: [finished], containers: ['app'] });
    assert.ok(s.ok && s.pods.includes('web-6'));
  });

  it('narrows by label selector and by --pod', () => {
    const sel = parseLabelSelector('zone=b');
    assert.ok(sel.ok);
    if (!sel.ok) return;
    const s = selectPods({ pods, activeCrrs: [], containers: ['app'], selector: sel.requirements });
    assert.ok(s.ok && s.pods.join() === 'web-5' && s.skipped.length === 0);
    const p = selectPods({ pods, activeCrrs: [], containers: ['app'], podNames: ['web-10', 'web-3'] });
    assert.ok(p.ok);
    if (p.ok) {
      assert.deepEqual(p.pods, ['web-10']);
      assert.deepEqual(p.skipped.map((x) => x.pod), ['web-3']);
    }
  });

  it('refuses --pod names that are not pods of the CloneSet', () => {
    const s = selectPods({ pods, activeCrrs: [], containers: ['app'], podNames: ['web-2', 'api-1'] });
    assert.equal(s.ok, false);
    if (!s.ok) assert.match(s.message, /pod "api-1" is not a pod of this CloneSet/);
  });

  it('skips pods lacking the container or whose container never started', () => {
    const mixed = [
      pod({ name: 'a-1', containers: [{ name: 'app' }] }),
      pod({ name: 'a-2', containers: [{ name: 'app' }, { name: 'sidecar' }] }),
      pod({ name: 'a-3', containers: [{ name: 'app' }, { name: 'sidecar', id: '' }] }),
    ];
    const s = selectPods({ pods: mixed, activeCrrs: [], containers: ['app', 'sidecar'] });
    assert.ok(s.ok);
    if (!s.ok) return;
    assert.deepEqual(s.pods, ['a-2']);
    assert.deepEqual(s.skipped.map((x) => x.reason), ['has no container sidecar', 'container sidecar has not started']);
  });
});

describe('label selectors after -l', () => {
  it('parses equality and set-based requirements and matches them', () => {
    const p = parseLabelSelector('zone in (a, b),tier!=db,canary,!legacy,app==web');
    assert.ok(p.ok);
    if (!p.ok) return;
    assert.equal(p.requirements.length, 5);
    assert.ok(matchesSelector({ zone: 'a', tier: 'web', canary: '', app: 'web' }, p.requirements));
    assert.ok(!matchesSelector({ zone: 'c', canary: '', app: 'web' }, p.requirements));
    assert.ok(!matchesSelector({ zone: 'a', canary: '', legacy: 'x', app: 'web' }, p.requirements));
  });
  it('rejects garbage instead of matching nothing', () => {
    assert.equal(parseLabelSelector('zone=(a').ok, false);
    assert.equal(parseLabelSelector('a,,b').ok, false);
  });
});

describe('the CRR object', () => {
  const full: CrrStrategy = {
    failurePolicy: 'Ignore',
    orderedRecreate: true,
    forceRecreate: true,
    terminationGracePeriodSeconds: 10,
    unreadyGracePeriodSeconds: 5,
    minStartedSeconds: 3,
    activeDeadlineSeconds: 300,
    ttlSecondsAfterFinished: 3600,
  };

  it('carries the run and CloneSet labels, the pod, the containers and every strategy flag', () => {
    const obj = buildCrr({ namespace: 'prod', cloneSet: 'web', run: RUN, pod: 'web-abcde', containers: ['app', 'sidecar'], strategy: full });
    assert.equal(obj.metadata.name, `web-abcde-${RUN}`);
    assert.equal(obj.metadata.namespace, 'prod');
    assert.deepEqual(obj.metadata.labels, { [PLUGIN.runLabel]: RUN, [PLUGIN.cloneSetLabel]: 'web' });
    assert.deepEqual(obj.spec, {
      podName: 'web-abcde',
      containers: [{ name: 'app' }, { name: 'sidecar' }],
      strategy: { failurePolicy: 'Ignore', orderedRecreate: true, forceRecreate: true, terminationGracePeriodSeconds: 10, unreadyGracePeriodSeconds: 5, minStartedSeconds: 3 },
      activeDeadlineSeconds: 300,
      ttlSecondsAfterFinished: 3600,
    });
  });

  it('validates against the real CRD schema, with no field the schema would prune', () => {
    const crds = loadCrds();
    const def = crds?.find((c) => c.kind === 'ContainerRecreateRequest');
    assert.ok(def, 'CRD manifest found in ../shared/kruise-crds');
    const schema = def.versions.find((v) => v.name === 'v1alpha1')?.schema;
    for (const strategy of [full, STRATEGY]) {
      const obj = buildCrr({ namespace: 'default', cloneSet: 'web', run: RUN, pod: 'web-1', containers: ['app'], strategy });
      assert.deepEqual(validate(obj, schema), []);
      assert.deepEqual(prune(structuredClone(obj), schema), []);
    }
  });
});

describe('the default activeDeadlineSeconds', () => {
  const strategy: CrrStrategy = { failurePolicy: 'Fail', orderedRecreate: false, forceRecreate: false, minStartedSeconds: 0, ttlSecondsAfterFinished: 86400 };
  const template = (spec: Record<string, unknown> = {}, container: Record<string, unknown> = {}): PodTemplate => ({
    spec: { containers: [{ name: 'app', ...container }, { name: 'side' }], ...spec },
  });

  it('is never under 5 minutes, so an ordinary restart always fits', () => {
    assert.equal(defaultActiveDeadlineSeconds(template(), ['app'], strategy), MIN_DEFAULT_ACTIVE_DEADLINE_SECONDS);
  });

  it('grows with the grace period, probes, unready grace and minStartedSeconds of the chosen containers', () => {
    const slow = template({ terminationGracePeriodSeconds: 120 }, { readinessProbe: { initialDelaySeconds: 30, periodSeconds: 10, failureThreshold: 6 } });
    // (120 grace + 10 start + 30 + 10 x 6 probe) x 3 = 660
    assert.equal(defaultActiveDeadlineSeconds(slow, ['app'], strategy), 660);
    // side: 120 + 10 more, x 3
    assert.equal(defaultActiveDeadlineSeconds(slow, ['app', 'side'], strategy), 660 + 390);
    assert.equal(defaultActiveDeadlineSeconds(slow, ['app'], { ...strategy, unreadyGracePeriodSeconds: 20, minStartedSeconds: 5 }), 685);
    assert.equal(defaultActiveDeadlineSeconds(slow, ['app'], { ...strategy, terminationGracePeriodSeconds: 20 }), 360);
  });

  it('is set only when the user set none, and the request still validates against the real CRD', () => {
    assert.equal(withDeadline({ ...strategy, activeDeadlineSeconds: 42 }, template(), ['app']).activeDeadlineSeconds, 42);
    const withDefault = withDeadline(strategy, template(), ['app']);
    assert.equal(withDefault.activeDeadlineSeconds, 300);
    const def = loadCrds()?.find((c) => c.kind === 'ContainerRecreateRequest');
    assert.ok(def, 'CRD manifest found in ../shared/kruise-crds');
    const schema = def.versions.find((v) => v.name === 'v1alpha1')?.schema;
    const obj = buildCrr({ namespace: 'default', cloneSet: 'web', run: RUN, pod: 'web-1', containers: ['app'], strategy: withDefault });
    assert.deepEqual(validate(obj, schema), []);
    assert.deepEqual(prune(structuredClone(obj), schema), []);
  });
});

describe('crr outcome (Completed is not success)', () => {
  it('succeeds only when every container Succeeded and there is no message', () => {
    assert.equal(crrOutcome(succeededCrr('web-1')).state, 'succeeded');
    assert.equal(crrOutcome(crr({ pod: 'web-1', phase: 'Recreating' })).state, 'running');
  });
  it('fails on a message, a Failed container, or a missing state', () => {
    const gone = crrOutcome(crr({ pod: 'web-1', completed: 5, message: 'pod has gone' }));
    assert.deepEqual(gone, { state: 'failed', failures: [{ pod: 'web-1', container: 'app', message: 'pod has gone' }] });
    const killed = crrOutcome(crr({ pod: 'web-1', completed: 5, states: [{ phase: 'Failed', message: 'kill container error: boom' }] }));
    assert.deepEqual(killed, { state: 'failed', failures: [{ pod: 'web-1', container: 'app', message: 'kill container error: boom' }] });
    const none = crrOutcome(crr({ pod: 'web-1', completed: 5 }));
    assert.equal(none.state, 'failed');
  });
  it('tolerates a Failed container under failurePolicy Ignore', () => {
    const c = crr({ pod: 'web-1', completed: 5, failurePolicy: 'Ignore', containers: ['app', 'sidecar'], states: [{ phase: 'Failed' }, { name: 'sidecar', phase: 'Succeeded' }] });
    assert.equal(crrOutcome(c).state, 'succeeded');
  });
});

// ------------------------------------------------------------------------------------------------------------------

const names = (n: number) => Array.from({ length: n }, (_, i) => `web-${i + 1}`);

/** A CRR as the webhook leaves it: statusContext snapshot of the container before the restart. */
function started(podName: string, o: Partial<Parameters<typeof crr>[0]> = {}): ContainerRecreateRequest {
  const c = crr({ pod: podName, phase: 'Recreating', ...o });
  c.spec.containers = c.spec.containers.map((x, i) => ({ ...x, statusContext: { containerID: `containerd://${podName}-${x.name}-${i}-0`, restartCount: 0 } }));
  return c;
}
function succeeded(podName: string): ContainerRecreateRequest {
  const c = started(podName, { completed: 10, states: [{ phase: 'Succeeded' }] });
  return c;
}
function restarted(name: string, o: Parameters<typeof pod>[0] | object = {}): Pod {
  return pod({ name, containers: [{ restartCount: 1 }], ...o });
}

function pacing(o: Partial<PacingInput>): PacingInput {
  const order = o.order ?? names(5);
  return {
    order,
    pods: o.pods ?? order.map((name) => pod({ name })),
    crrs: [],
    budget: 2,
    minReadySeconds: 0,
    readyTimeoutSeconds: 300,
    maxFailures: 0,
    now: ms(100),
    memory: emptyMemory(),
    ...o,
  };
}

describe('crr pacing: nextPodsToStart', () => {
  it('starts as many pods as the budget allows, in order', () => {
    const d = nextPodsToStart(pacing({}));
    assert.deepEqual(d.start, ['web-1', 'web-2']);
    assert.deepEqual(d.waiting, ['web-3', 'web-4', 'web-5']);
    assert.equal(d.finished, false);
  });

  it('counts pods that are already not Ready, even outside the run, against the budget', () => {
    const pods = [...names(5).map((name) => pod({ name })), pod({ name: 'other', ready: false })];
    const d = nextPodsToStart(pacing({ pods, order: names(5) }));
    assert.deepEqual(d.start, ['web-1']);
    assert.deepEqual(d.unavailable, ['other', 'web-1']);
  });

  it('starts nothing while the budget is used up by pods outside the run', () => {
    const pods = [...names(3).map((name) => pod({ name })), pod({ name: 'x', ready: false }), pod({ name: 'y', phase: 'Pending', ready: false })];
    const d = nextPodsToStart(pacing({ pods, order: names(3) }));
    assert.deepEqual(d.start, []);
    assert.equal(d.finished, false);
  });

  it('lets a pod that is already down restart without spending more of the budget', () => {
    const pods = [pod({ name: 'web-1', ready: false }), pod({ name: 'web-2' }), pod({ name: 'web-3' })];
    const d = nextPodsToStart(pacing({ pods, order: names(3), budget: 2 }));
    assert.deepEqual(d.start, ['web-1', 'web-2']);
  });

  it('counts requests being created, and requests in flight, as unavailable', () => {
    const d = nextPodsToStart(pacing({ creating: ['web-1'], crrs: [started('web-2')] }));
    assert.deepEqual(d.start, []);
    assert.deepEqual(d.inFlight, ['web-1', 'web-2']);
  });

  it('keeps a pod unavailable from creation until its request succeeded and it is Ready again', () => {
    const pods = names(5).map((name) => (name === 'web-1' ? pod({ name, ready: false, containers: [{ restartCount: 1 }] }) : pod({ name })));
    let d = nextPodsToStart(pacing({ pods, crrs: [succeeded('web-1'), started('web-2')] }));
    assert.deepEqual(d.inFlight, ['web-1', 'web-2']);
    assert.deepEqual(d.start, []);
    pods[0] = restarted('web-1');
    d = nextPodsToStart(pacing({ pods, crrs: [succeeded('web-1'), started('web-2')], memory: d.memory }));
    assert.deepEqual(d.done, ['web-1']);
    assert.deepEqual(d.start, ['web-3']);
  });

  it('does not trust a Ready pod whose containers are not new instances yet (a stale pod in the cache)', () => {
    const d = nextPodsToStart(pacing({ crrs: [succeeded('web-1')] }));
    assert.deepEqual(d.inFlight, ['web-1']);
    assert.deepEqual(d.start, ['web-2']);
  });

  it('waits min-ready-seconds of Ready on its own clock, and says when to decide again', () => {
    const pods = names(3).map((name) => (name === 'web-1' ? restarted(name) : pod({ name })));
    const input = pacing({ order: names(3), pods, crrs: [succeeded('web-1')], minReadySeconds: 30, budget: 1, now: ms(100) });
    let d = nextPodsToStart(input);
    assert.deepEqual(d.start, []);
    assert.equal(d.wakeAt, ms(130));
    d = nextPodsToStart({ ...input, memory: d.memory, now: ms(129) });
    assert.deepEqual(d.start, []);
    d = nextPodsToStart({ ...input, memory: d.memory, now: ms(130) });
    assert.deepEqual(d.done, ['web-1']);
    assert.deepEqual(d.start, ['web-2']);
  });

  it('restarts the min-ready wait when the pod goes not Ready in between', () => {
    const pods = names(2).map((name) => (name === 'web-1' ? restarted(name) : pod({ name })));
    const base = pacing({ order: names(2), pods, crrs: [succeeded('web-1')], minReadySeconds: 30, budget: 1 });
    let d = nextPodsToStart({ ...base, now: ms(100) });
    const down = [restarted('web-1', { ready: false }), pods[1]];
    d = nextPodsToStart({ ...base, pods: down, memory: d.memory, now: ms(110) });
    d = nextPodsToStart({ ...base, memory: d.memory, now: ms(120) });
    d = nextPodsToStart({ ...base, memory: d.memory, now: ms(140) });
    assert.deepEqual(d.start, []);
    d = nextPodsToStart({ ...base, memory: d.memory, now: ms(150) });
    assert.deepEqual(d.start, ['web-2']);
  });

  it('fails a pod not Ready within the ready timeout after its containers restarted, and stops new starts', () => {
    const pods = names(4).map((name) => (name === 'web-1' ? restarted(name, { ready: false }) : pod({ name })));
    const base = pacing({ order: names(4), pods, crrs: [started('web-1'), started('web-2')], readyTimeoutSeconds: 60 });
    let d = nextPodsToStart({ ...base, now: ms(100) });
    assert.equal(d.wakeAt, ms(160));
    d = nextPodsToStart({ ...base, memory: d.memory, now: ms(160) });
    assert.deepEqual(d.failedPods, ['web-1']);
    assert.match(d.failed[0].message, /not Ready within 60s/);
    assert.equal(d.stopped, true);
    assert.deepEqual(d.start, []);
    assert.deepEqual(d.inFlight, ['web-2']);
    assert.equal(d.finished, false, 'in-flight requests finish first');
  });

  it('stops once failures exceed --max-failures, lets in-flight ones finish, then is finished', () => {
    const failed = crr({ pod: 'web-1', completed: 10, states: [{ phase: 'Failed', message: 'kill container error: boom' }] });
    let d = nextPodsToStart(pacing({ crrs: [failed, started('web-2')], maxFailures: 1 }));
    assert.equal(d.stopped, false);
    assert.deepEqual(d.start, ['web-3']);
    const failed2 = crr({ pod: 'web-2', completed: 10, message: 'recreating has exceeded the activeDeadlineSeconds' });
    d = nextPodsToStart(pacing({ crrs: [failed, failed2, started('web-3')], maxFailures: 1, memory: d.memory }));
    assert.equal(d.stopped, true);
    assert.deepEqual(d.start, []);
    assert.equal(d.finished, false);
    const pods = names(5).map((name) => (name === 'web-3' ? restarted(name) : pod({ name })));
    d = nextPodsToStart(pacing({ pods, crrs: [failed, failed2, succeeded('web-3')], maxFailures: 1, memory: d.memory }));
    assert.equal(d.finished, true);
    assert.deepEqual(d.waiting, ['web-4', 'web-5']);
    assert.deepEqual(d.failed.map((f) => `${f.pod}/${f.container ?? '-'}: ${f.message}`), [
      'web-1/app: kill container error: boom',
      'web-2/app: recreating has exceeded the activeDeadlineSeconds',
    ]);
  });

  it('keeps a failure even if the pod recovers later', () => {
    let d = nextPodsToStart(pacing({ memory: withFailure(emptyMemory(), { pod: 'web-1', message: 'refused' }) }));
    assert.deepEqual(d.failedPods, ['web-1']);
    d = nextPodsToStart(pacing({ crrs: [succeeded('web-1')], memory: d.memory }));
    assert.deepEqual(d.failedPods, ['web-1']);
  });

  it('skips a pod that went away or stopped running before its turn, and finishes', () => {
    const pods = [pod({ name: 'web-1' }), pod({ name: 'web-2', deleting: true })];
    const d = nextPodsToStart(pacing({ order: ['web-1', 'web-2', 'web-3'], pods, budget: 3 }));
    assert.deepEqual(d.start, ['web-1']);
    assert.deepEqual(d.skipped, [
      { pod: 'web-2', reason: 'terminating' },
      { pod: 'web-3', reason: 'pod gone' },
    ]);
  });

  it('is finished when every pod is done', () => {
    const pods = names(2).map((name) => restarted(name));
    const d = nextPodsToStart(pacing({ order: names(2), pods, crrs: [succeeded('web-1'), succeeded('web-2')] }));
    assert.deepEqual(d.done, ['web-1', 'web-2']);
    assert.equal(d.finished, true);
    assert.equal(d.wakeAt, undefined);
  });

  it('never starts a second request for a pod that has one (resume)', () => {
    const d = nextPodsToStart(pacing({ crrs: [started('web-1')], budget: 5 }));
    assert.deepEqual(d.start, ['web-2', 'web-3', 'web-4', 'web-5']);
  });

  it('estimates batches for the dry run', () => {
    assert.equal(batchCount(20, 4), 5);
    assert.equal(batchCount(21, 4), 6);
    assert.equal(batchCount(0, 4), 0);
  });
});
