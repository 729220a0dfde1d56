import assert from 'node:assert/strict';
import { cloneSetProgress } from '../../src/kruise/progress/completion';
import { diagnose, type DiagnoseArgs } from '../../src/kruise/progress/diagnoses';
import type { PodRestartState } from '../../src/kruise/progress/document';
import { tally } from '../../src/kruise/progress/summary';
import type { Concern, Evaluated } from '../../src/kruise/progress/verdict';
import { CLONESET } from '../../src/kruise/workload';
import { cloneSet, inplaceRecord, ms, oldPod, restartingPod } from './fixtures';

function evaluated(name: string, state: PodRestartState, concerns: Concern[], sinceMs = ms(0)): Evaluated {
  return { pod: { name, node: 'node-1', ready: false, revision: 'new', restarts: 0, containers: [], state }, verdict: { state, concerns }, sinceMs };
}

function args(list: Evaluated[], o: Partial<DiagnoseArgs> = {}): DiagnoseArgs {
  const cs = cloneSet({ replicas: list.length });
  return {
    input: { cloneSet: cs, pods: [], now: ms(30) },
    kind: CLONESET,
    cs: cloneSetProgress(cs),
    record: inplaceRecord(),
    evaluated: list,
    summary: tally(list.map((e) => e.pod), 1, 0),
    complete: false,
    anyFailed: false,
    stallAfterMs: 60_000,
    lastProgressAt: ms(0),
    pods: [],
    ...o,
  };
}

describe('diagnoses', () => {
  it('a concern that counts only when stuck waits for the stall threshold', () => {
    const list = [evaluated('web-a', 'restarting', [{ kind: 'daemon-not-acting', whenStuck: true }])];
    assert.deepEqual(diagnose(args(list)), []);
    const later = diagnose(args(list, { input: { cloneSet: cloneSet({ replicas: 1 }), pods: [], now: ms(90) } }));
    assert.deepEqual(later.map((d) => d.kind), ['stalled', 'daemon-not-acting']);
    assert.deepEqual(later[1].pods, ['web-a']);
  });

  it('one diagnosis per kind names every pod concerned; a stall takes the most likely cause as its reason', () => {
    const list = [
      evaluated('web-a', 'pending', [{ kind: 'lifecycle-hook', whenStuck: false }]),
      evaluated('web-b', 'pending', [{ kind: 'lifecycle-hook', whenStuck: false }]),
      evaluated('web-c', 'failed', [{ kind: 'not-restarted', whenStuck: false }]),
    ];
    const found = diagnose(args(list, { input: { cloneSet: cloneSet({ replicas: 3 }), pods: [], now: ms(120) } }));
    assert.deepEqual(found.map((d) => d.kind), ['stalled', 'lifecycle-hook', 'not-restarted']);
    assert.deepEqual(found[1].pods, ['web-a', 'web-b']);
    assert.match(found[0].message, /^no progress for 2m: web-a and web-b are held by the inPlaceUpdate lifecycle hook/);
  });

  it('an unavailable pod outside the restart that uses up the budget is named', () => {
    const list = [evaluated('web-a', 'pending', [])];
    const pods = [oldPod('web-a'), restartingPod('web-x')];
    const found = diagnose(args(list, { pods, summary: { ...tally([{ state: 'pending' }], 1, 1) } }));
    assert.deepEqual(found.map((d) => [d.kind, d.pods]), [['budget-exhausted', ['web-x']]]);
  });

  it('nothing to say about a complete restart with no concerns', () => {
    assert.deepEqual(diagnose(args([evaluated('web-a', 'restarted', [])], { complete: true })), []);
  });
});
