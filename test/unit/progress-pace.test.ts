import assert from 'node:assert/strict';
import type { PodRestartState, ProgressHistory } from '../../src/kruise/progress/document';
import { etaSeconds, lastProgress, stallAfterMs } from '../../src/kruise/progress/pace';
import type { Evaluated } from '../../src/kruise/progress/verdict';
import { ms } from './fixtures';

function evaluated(state: PodRestartState, evidenceSince?: number): Evaluated {
  return { pod: { name: 'p', ready: true, revision: 'new', restarts: 0, containers: [], state }, verdict: { state, evidenceSince, concerns: [] } };
}

describe('pace: ETA, stall threshold and last progress', () => {
  it('ETA is the remaining pods at the pace so far, rounded up', () => {
    assert.equal(etaSeconds({ done: 2, remaining: 3, startedAt: ms(0), now: ms(40), moving: true }), 60);
    assert.equal(etaSeconds({ done: 3, remaining: 1, startedAt: ms(0), now: ms(10), moving: true }), 4);
  });

  it('no ETA before one pod is done, with nothing left, or while nothing moves', () => {
    assert.equal(etaSeconds({ done: 0, remaining: 3, startedAt: ms(0), now: ms(40), moving: true }), null);
    assert.equal(etaSeconds({ done: 2, remaining: 0, startedAt: ms(0), now: ms(40), moving: true }), null);
    assert.equal(etaSeconds({ done: 2, remaining: 3, startedAt: ms(0), now: ms(40), moving: false }), null);
    assert.equal(etaSeconds({ done: 2, remaining: 3, now: ms(40), moving: true }), null);
  });

  it('the stall threshold is the given one until pods prove slower: then three times the time per pod (per budget slot)', () => {
    assert.equal(stallAfterMs({ done: 0, budget: 1 }), 60_000);
    assert.equal(stallAfterMs({ stallAfterSeconds: 10, done: 0, budget: 1 }), 10_000);
    // 2 pods in 300 s, one at a time: 150 s each, so 450 s without progress before it is a stall.
    assert.equal(stallAfterMs({ done: 2, budget: 1, startedAt: ms(0), lastProgressAt: ms(300) }), 450_000);
    assert.equal(stallAfterMs({ done: 2, budget: 2, startedAt: ms(0), lastProgressAt: ms(300) }), 900_000);
  });

  it('last progress: the newest evidence of a pod past pending, never in the future, or the history of this process', () => {
    assert.equal(lastProgress([evaluated('restarted', ms(30)), evaluated('pending', ms(50))], undefined, false, ms(0), ms(60)), ms(30));
    assert.equal(lastProgress([evaluated('restarted', ms(90))], undefined, false, ms(0), ms(60)), ms(0));
    const history: ProgressHistory = { run: 'r', firstSeenAt: ms(0), lastChangeAt: ms(40), pods: {} };
    assert.equal(lastProgress([], history, false, ms(0), ms(60)), ms(40));
    assert.equal(lastProgress([], history, true, ms(0), ms(60)), ms(60), 'a state change seen now is progress now');
  });
});
