// Input is never trusted. What the plugin writes into the cluster (the --reason, run ids as label values, names) is
// sanitized or encoded; what it reads (CloneSets, pods and requests with odd content, a garbage restart record)
// never crashes `status` or a renderer, and never reaches the terminal raw.
import assert from 'node:assert/strict';
import { startCluster, type Cluster } from '../cluster/index';
import { readRecord, sanitizeReason } from '../../src/kruise/record';
import { track } from '../../src/kruise/progress';
import { PLUGIN, type CloneSet, type ContainerRecreateRequest, type Pod } from '../../src/kruise/types';
import { LineReporter, LiveView, formatDocument, renderFrame, stripAnsi } from '../../src/ui/index';
import { requireBuild, runPlugin, type PluginRun } from './harness';

const NS = 'shop';
const ODD = 'odd';
const KEY = 'team.example.com/restart-token';
const RUN = '20261126-101500-abcd';

/** Characters a terminal acts on (C0, DEL, C1), line and paragraph separators, and bidi overrides. */
// eslint-disable-next-line no-control-regex
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;
// eslint-disable-next-line no-control-regex
const TERMINAL_CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/** No stack, no "unexpected failure", nothing a terminal would act on, in anything the plugin printed. */
function assertClean(what: string, run: PluginRun): void {
  const out = run.stdout + run.stderr;
  assert.doesNotMatch(out, /\n\s+at .+:\d+:\d+/, `${what}: stack trace\n${out}`);
  assert.doesNotMatch(out, /unexpected failure|TypeError|RangeError|SyntaxError|Cannot read properties/, `${what}: crash\n${out}`);
  const bad = TERMINAL_CONTROL.exec(out);
  assert.equal(bad, null, `${what}: raw control character U+${bad?.[0].charCodeAt(0).toString(16).padStart(4, '0')} in output\n${JSON.stringify(out)}`);
}

const ESC = '\u001b';
const HOSTILE = `${ESC}[31mred${ESC}[0m ${ESC}]0;pwned\u0007 ${ESC}[2J\u009b2J bell\u0007 ünïcødé 日本 🚀 \u202eevil`;

function pod(name: string, cs: CloneSet, over: Record<string, unknown> = {}): Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name,
      namespace: ODD,
      labels: { app: cs.metadata.name ?? '' },
      ownerReferences: [{ apiVersion: 'apps.kruise.io/v1alpha1', kind: 'CloneSet', name: cs.metadata.name ?? '', uid: cs.metadata.uid ?? '', controller: true }],
    },
    spec: { nodeName: 'node-0', containers: [{ name: 'app', image: 'nginx' }] },
    status: {
      phase: 'Running',
      conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: '2026-11-26T10:00:00Z' }],
      containerStatuses: [{ name: 'app', ready: true, restartCount: 0, containerID: 'containerd://abc', state: { running: { startedAt: '2026-11-26T10:00:00Z' } } }],
    },
    ...over,
  } as Pod;
}

function cloneSet(name: string, over: { spec?: Record<string, unknown>; status?: unknown; annotations?: Record<string, string>; extra?: Record<string, unknown> } = {}): CloneSet {
  const cs = {
    apiVersion: 'apps.kruise.io/v1alpha1',
    kind: 'CloneSet',
    metadata: { name, namespace: ODD, uid: `uid-${name}`, generation: 1, annotations: over.annotations ?? {} },
    spec: {
      replicas: 2,
      selector: { matchLabels: { app: name } },
      template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'app', image: 'nginx' }] } },
      updateStrategy: { type: 'InPlaceIfPossible', maxUnavailable: 1 },
      ...over.spec,
    },
    ...(over.status === undefined ? {} : { status: over.status }),
    ...over.extra,
  };
  return cs as unknown as CloneSet;
}

const record = (r: Record<string, unknown>) => JSON.stringify(r);

/** Each: a CloneSet and what comes with it, written as is into a namespace no controller touches. */
const oddCases: Array<{ name: string; make(): { cs: CloneSet; pods?: (cs: CloneSet) => Pod[]; crrs?: ContainerRecreateRequest[] } }> = [
  {
    name: 'huge replica counts',
    make: () => ({
      cs: cloneSet('huge', {
        spec: { replicas: 2147483647, updateStrategy: { type: 'InPlaceIfPossible', maxUnavailable: '100%', partition: 2147483646 } },
        status: { observedGeneration: 1, replicas: 2147483647, readyReplicas: 2147483647, availableReplicas: 9007199254740991, updatedReplicas: -5, updatedReadyReplicas: 1e300, expectedUpdatedReplicas: 2147483647 },
      }),
      pods: (cs) => [pod('huge-a', cs), pod('huge-b', cs)],
    }),
  },
  { name: 'no status at all', make: () => ({ cs: cloneSet('nostatus'), pods: (cs) => [pod('nostatus-a', cs, { status: undefined })] }) },
  {
    name: 'unknown fields everywhere, wrong types in status',
    make: () => ({
      cs: cloneSet('unknown', {
        spec: { futureField: { nested: [1, 2, 3] }, replicas: '3', updateStrategy: { type: 'SomethingNew', maxUnavailable: 'lots', partition: { x: 1 } } },
        status: { replicas: 'two', conditions: 'none', updateRevision: 42, newCounter: 7 },
        extra: { topLevelUnknown: true },
      }),
      pods: (cs) => [pod('unknown-a', cs, { spec: { containers: [{ name: 'app', image: 'nginx', futureKnob: 1 }], nodeName: 'node-0' }, status: { phase: 'Teleporting', containerStatuses: 'n/a', conditions: [{ type: 'Ready', status: 'Maybe' }] } })],
    }),
  },
  {
    name: 'non-ASCII and control characters in annotations, pod names, reasons and messages',
    make: () => ({
      cs: cloneSet('hostile', {
        annotations: { 'ключ.example.com/ñame': HOSTILE, [KEY]: HOSTILE, [PLUGIN.lastRestartAnnotation]: record({ mode: 'inplace', run: HOSTILE, startedAt: '2026-11-26T10:00:00Z', by: HOSTILE, reason: HOSTILE, containers: [HOSTILE] }) },
        status: { observedGeneration: 1, replicas: 2, readyReplicas: 1, updateRevision: `hostile-${HOSTILE}`, conditions: [{ type: 'Failed', status: 'True', message: HOSTILE }] },
      }),
      pods: (cs) => [
        pod(`hostile-${HOSTILE}`, cs, { metadata: { ...pod('x', cs).metadata, name: `hostile-${HOSTILE}`, labels: { app: 'hostile', [KEY]: HOSTILE } } }),
        pod('hostile-b', cs, {
          status: {
            phase: 'Running',
            message: HOSTILE,
            conditions: [{ type: 'Ready', status: 'False', reason: HOSTILE, message: HOSTILE }],
            containerStatuses: [{ name: 'app', ready: false, restartCount: 3, state: { waiting: { reason: HOSTILE, message: HOSTILE } }, lastState: { terminated: { reason: HOSTILE, exitCode: 1 } } }],
          },
        }),
      ],
    }),
  },
  {
    name: 'a crr run whose requests failed with ANSI escapes in their messages',
    make: () => {
      const cs = cloneSet('crrweb', { annotations: { [PLUGIN.lastRestartAnnotation]: record({ mode: 'crr', run: RUN, startedAt: '2026-11-26T10:15:00Z', containers: ['app'], pods: ['crrweb-a', 'crrweb-b'], maxUnavailable: 1 }) }, status: { observedGeneration: 1, replicas: 2, readyReplicas: 2, availableReplicas: 2 } });
      const crr = (p: string, status: Record<string, unknown>) =>
        ({
          apiVersion: 'apps.kruise.io/v1alpha1',
          kind: 'ContainerRecreateRequest',
          metadata: { name: `${p}-${RUN}`, namespace: ODD, labels: { [PLUGIN.runLabel]: RUN, [PLUGIN.cloneSetLabel]: 'crrweb' }, creationTimestamp: '2026-11-26T10:15:01Z' },
          spec: { podName: p, containers: [{ name: 'app' }] },
          status,
        }) as unknown as ContainerRecreateRequest;
      return {
        cs,
        pods: (c) => [pod('crrweb-a', c), pod('crrweb-b', c)],
        crrs: [
          crr('crrweb-a', { phase: 'Completed', completionTime: '2026-11-26T10:15:05Z', message: HOSTILE, containerRecreateStates: [{ name: 'app', phase: 'Failed', message: HOSTILE }] }),
          crr('crrweb-b', { phase: HOSTILE, message: 12, containerRecreateStates: 'broken' }),
        ],
      };
    },
  },
];

/** Garbage in `kruise-restart.dev/last-restart`: invalid JSON, wrong types, a run id of the wrong shape. */
const garbageRecords: string[] = [
  'not json {',
  '"just a string"',
  'null',
  '42',
  '[]',
  '['.repeat(10_000) + ']'.repeat(10_000),
  record({ mode: 'crr', run: 5, startedAt: true }),
  record({ mode: 'crr', run: RUN, startedAt: 'not a date', containers: 'app', pods: 'garbage-a', crr: 'x', outcomes: 7, maxUnavailable: 'lots', finished: { a: 1 } }),
  record({ mode: 'inplace', run: 'r', startedAt: '2026-11-26T00:00:00Z', containers: [1, null, { a: 1 }], annotationKeys: 'k', fromRevision: 12, setup: 'yes' }),
  record({ mode: 'crr', run: RUN, startedAt: '2026-11-26T00:00:00Z', pods: [null, 3, 'garbage-a', { name: 'x' }], containers: ['app'], outcomes: { 'garbage-a': 'failed', y: null }, crr: { ttlSecondsAfterFinished: 'forever', failurePolicy: 7 } }),
  record({ mode: 'crr', run: `../../${HOSTILE}`, startedAt: '2026-11-26T00:00:00Z', pods: ['garbage-a'], containers: ['app'] }),
];

describe('input never trusted: sanitized writes, odd objects and garbage records', function () {
  this.timeout(120_000);
  let cluster: Cluster;
  let kubeconfig: string;
  const oddConfig = () => cluster.writeKubeconfig({ namespace: ODD });

  before(async () => {
    requireBuild();
    cluster = await startCluster({ speed: 50, namespace: NS });
    kubeconfig = cluster.writeKubeconfig({ namespace: NS });
  });
  after(async () => cluster.stop());

  it('--reason with newlines, control characters, non-ASCII and 3,000 characters ends up as one sanitized, bounded line in the record and the Event', async () => {
    await cluster.seedCloneSet({ namespace: NS, name: 'web', replicas: 2, strategy: 'InPlaceIfPossible', triggerAnnotation: KEY });
    // 511 ASCII characters then an emoji: a cut at 512 UTF-16 units would leave half a surrogate pair.
    const reason = `rotate\nDB\r\npassword\t${HOSTILE}\u2028next ${'a'.repeat(3000)}`;
    for (const [i, text] of [reason, `${'x'.repeat(511)}🚀🚀 tail`].entries()) {
      const run = await runPlugin(['inplace', 'web', '--reason', text], { kubeconfig });
      assert.equal(run.code, 0, run.stderr);
      assertClean('inplace --reason', run);
      const stored = readRecord(cluster.get<CloneSet>('clonesets', NS, 'web') as CloneSet)?.reason ?? '';
      assert.doesNotMatch(stored, UNSAFE, `record reason ${JSON.stringify(stored)}`);
      assert.doesNotMatch(stored, /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/, 'no half surrogate pair');
      assert.ok([...stored].length <= 512, `${[...stored].length} characters`);
      if (i === 0) assert.match(stored, /^rotate DB password red bell ünïcødé 日本 🚀 evil next a+$/);
      else assert.equal(stored, `${'x'.repeat(511)}🚀`);
      const events = cluster.list<{ message: string; source?: { component?: string } }>('events', NS).filter((e) => e.source?.component === 'kubectl-kruise_restart');
      const message = events[events.length - 1]?.message ?? '';
      assert.ok(message.includes(stored), `the Event carries the same reason: ${JSON.stringify(message)}`);
      assert.doesNotMatch(message, UNSAFE);
      const status = await runPlugin(['status', 'web', '-o', 'yaml'], { kubeconfig });
      assert.equal(status.code, 0, status.stderr);
      assertClean('status -o yaml', status);
    }
    assert.equal(sanitizeReason(`\u0000\u001b[1m${'é'.repeat(600)}`), 'é'.repeat(512));
  });

  it('run ids and CloneSet names become valid label values and object names, however long the name', async () => {
    const name = `payments-${'x'.repeat(70)}`;
    await cluster.seedCloneSet({ namespace: NS, name, replicas: 2, containers: ['app'] });
    const run = await runPlugin(['crr', name, '--max-unavailable', '2'], { kubeconfig });
    assert.equal(run.code, 0, run.stderr);
    const crrs = cluster.list<ContainerRecreateRequest>('containerrecreaterequests', NS).filter((c) => c.spec.podName.startsWith(name));
    assert.equal(crrs.length, 2);
    for (const c of crrs) {
      for (const [k, v] of Object.entries(c.metadata.labels ?? {})) assert.ok(v.length <= 63 && LABEL_VALUE.test(v), `label ${k}=${v}`);
      assert.ok((c.metadata.name ?? '').length <= 253 && DNS_SUBDOMAIN.test(c.metadata.name ?? ''), c.metadata.name);
    }
  });

  for (const c of oddCases) {
    it(`status survives ${c.name}: every output format, no crash, nothing raw on the terminal; so do the renderers`, async () => {
      const { cs, pods, crrs } = c.make();
      cluster.putUnmanaged('clonesets', cs as never);
      const stored = cluster.get<CloneSet>('clonesets', ODD, cs.metadata.name ?? '') as CloneSet;
      const podList = pods?.(stored) ?? [];
      for (const p of podList) cluster.putUnmanaged('pods', p as never);
      for (const r of crrs ?? []) cluster.putUnmanaged('containerrecreaterequests', r as never);
      const config = oddConfig();
      const name = cs.metadata.name ?? '';

      for (const args of [['status', name, '-o', 'wide'], ['status', name, '-o', 'json'], ['status', name, '-o', 'yaml'], ['status', name, '-w', '--timeout', '2s']]) {
        const run = await runPlugin(args, { kubeconfig: config, timeoutMs: 20_000 });
        assert.ok([0, 1, 3].includes(run.code ?? -1), `${args.join(' ')}: exit ${run.code}\n${run.stderr}`);
        if (args.includes('-w')) assert.ok(run.code !== 0 || run.stdout.length > 0);
        assertClean(args.join(' '), run);
        if (args.includes('json')) assert.doesNotThrow(() => JSON.parse(run.stdout), run.stdout);
      }

      // The renderers themselves, fed the same objects, at narrow and wide sizes, with and without color.
      const progress = track({ cloneSet: stored, pods: cluster.list<Pod>('pods', ODD).filter((p) => podList.some((q) => q.metadata.name === p.metadata.name)), record: readRecord(stored), crrs: cluster.list<ContainerRecreateRequest>('containerrecreaterequests', ODD), now: Date.parse('2026-11-26T10:20:00Z') }).progress;
      const outputs: string[] = [];
      for (const columns of [20, 80, 400]) for (const color of [false, true]) for (const wide of [false, true]) outputs.push(renderFrame(progress, { columns, rows: 30, color, wide, now: Date.parse('2026-11-26T10:20:00Z') }));
      const lines: string[] = [];
      const reporter = new LineReporter({ write: (s: string) => lines.push(s) });
      reporter.update(progress, Date.now());
      reporter.finish(progress, Date.now());
      const screen: string[] = [];
      const view = new LiveView({ write: (s: string) => screen.push(s), columns: 60, rows: 20 }, { color: true, wide: true });
      view.update(progress);
      view.stop(progress);
      outputs.push(lines.join(''), formatDocument(progress, 'json'), formatDocument(progress, 'yaml'));
      for (const text of outputs) assert.equal(TERMINAL_CONTROL.exec(stripAnsi(text)), null, JSON.stringify(text));
      // The live view moves the cursor itself: only its own sequences may be there.
      // eslint-disable-next-line no-control-regex
      assert.doesNotMatch(screen.join('').replace(/\u001b\[[0-9;?]*[A-Za-z]/g, ''), TERMINAL_CONTROL);
    });
  }

  it(`status, inplace and crr --resume survive ${garbageRecords.length} garbage restart records without a crash or a write they should not make`, async () => {
    const cs = cloneSet('garbage', { status: { observedGeneration: 1, replicas: 1, readyReplicas: 1, availableReplicas: 1, updatedReplicas: 1 } });
    cluster.putUnmanaged('clonesets', cs as never);
    cluster.putUnmanaged('pods', pod('garbage-a', cluster.get<CloneSet>('clonesets', ODD, 'garbage') as CloneSet) as never);
    const config = oddConfig();
    for (const text of garbageRecords) {
      const current = cluster.get<CloneSet>('clonesets', ODD, 'garbage') as CloneSet;
      cluster.putUnmanaged('clonesets', { ...current, metadata: { ...current.metadata, annotations: { [PLUGIN.lastRestartAnnotation]: text } } } as never);
      const label = text.slice(0, 60);
      for (const args of [['status', 'garbage', '-o', 'json'], ['crr', 'garbage', '--resume', RUN, '--dry-run']]) {
        cluster.clearLog();
        const run = await runPlugin(args, { kubeconfig: config, timeoutMs: 20_000 });
        assert.ok([0, 1, 2].includes(run.code ?? -1), `${args.join(' ')} with ${label}: exit ${run.code}\n${run.stderr}`);
        assertClean(`${args.join(' ')} with ${label}`, run);
        assert.deepEqual(cluster.writes(), [], `${args.join(' ')} wrote`);
      }
    }
  });
});
