// The build runs warmUp() before it makes the runtime's V8 code cache (scripts/build.mjs): it must walk the paths a
// real status walks (a restarted pod and a pending one, the summary, the ETA), not stop early on a fixture the
// progress model does not recognise, or the cache would hold nothing useful.
import assert from 'node:assert/strict';
import { warmUp } from '../../src/commands/warm-up';
import { warmUp as warmUpLine } from '../../src/cli/main';

describe('warm-up before the code cache is made', () => {
  it('computes a status document: one pod restarted, one pending, the restart in progress', () => {
    const doc = JSON.parse(warmUp()) as { state: string; summary: Record<string, number>; pods: { state: string }[]; message: string };
    assert.equal(doc.state, 'in-progress');
    assert.deepEqual(doc.pods.map((p) => p.state), ['restarted', 'pending']);
    assert.equal(doc.summary.restarted, 1);
    assert.match(doc.message, /1 of 2 pods restarted/);
  });

  it('reads a command line through the check and the reader', () => {
    assert.doesNotThrow(() => warmUpLine());
  });
});
