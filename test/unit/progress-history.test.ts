import assert from 'node:assert/strict';
import type { PodRestartState, ProgressHistory } from '../../src/kruise/progress/document';
import { datePods, sinceOf } from '../../src/kruise/progress/history';
import type { Evaluated } from '../../src/kruise/progress/verdict';
import { at, ms } from './fixtures';

function evaluated(name: string, state: PodRestartState, evidenceSince?: number, reason?: string): Evaluated {
  return { pod: { name, ready: true, revision: 'new', restarts: 0, containers: [], state }, verdict: { state, reason, evidenceSince, concerns: [] } };
}

describe('history: what one evaluation remembers for the next', () => {
  it('a pod keeps the since the history remembers while its state holds; else the evidence, never later than now', () => {
    const previous = { state: 'restarting' as const, since: ms(5) };
    assert.equal(sinceOf({ state: 'restarting', evidenceSince: ms(9), concerns: [] }, previous, ms(60)), ms(5));
    assert.equal(sinceOf({ state: 'restarted', evidenceSince: ms(9), concerns: [] }, previous, ms(60)), ms(9));
    assert.equal(sinceOf({ state: 'restarted', evidenceSince: ms(90), concerns: [] }, previous, ms(60)), ms(60));
    assert.equal(sinceOf({ state: 'restarted', concerns: [] }, undefined, ms(60)), ms(60));
  });

  it('dates each pod and fills its entry (reason, since) and tells whether any pod changed since the history', () => {
    const history: ProgressHistory = { run: 'r', firstSeenAt: ms(0), lastChangeAt: ms(0), pods: { 'web-a': { state: 'restarting', since: ms(3) } } };
    const same = [evaluated('web-a', 'restarting', ms(8), 'waiting for Ready')];
    assert.equal(datePods(same, history, ms(60)), false);
    assert.equal(same[0].pod.since, at(3));
    assert.equal(same[0].pod.reason, 'waiting for Ready');
    assert.equal(datePods([evaluated('web-a', 'restarted', ms(8))], history, ms(60)), true, 'state changed');
    assert.equal(datePods([evaluated('web-a', 'restarting'), evaluated('web-b', 'pending')], history, ms(60)), true, 'a pod appeared');
    assert.equal(datePods([], history, ms(60)), true, 'a pod vanished');
    assert.equal(datePods(same, undefined, ms(60)), false, 'no history: nothing to compare with');
  });
});
