import assert from 'node:assert/strict';
import { aggregateExitCode, crrHint, listDocument, nameLine, summaryOf, type TargetResult } from '../../src/commands/many';

const result = (name: string, outcome: string, exitCode: number, run?: string): TargetResult => ({
  target: { kind: name.startsWith('db') ? 'StatefulSet' : 'CloneSet', name },
  namespace: 'shop',
  exitCode,
  outcome,
  ...(run ? { doc: { run } } : {}),
});

describe('several workloads: the command outcome from its targets', () => {
  it('exit code: 0 only when every target is done; interrupted, then failed, timed out, refused', () => {
    assert.equal(aggregateExitCode([0, 0]), 0);
    assert.equal(aggregateExitCode([0, 2]), 2);
    assert.equal(aggregateExitCode([3, 2, 0]), 3);
    assert.equal(aggregateExitCode([2, 1, 3]), 1);
    assert.equal(aggregateExitCode([1, 130]), 130);
  });

  it('the summary names each target with its outcome; -o name speaks as kubectl does', () => {
    const results = [result('api', 'complete', 0), result('db', 'failed', 1), result('web', 'not-started', 2)];
    assert.equal(summaryOf(results), '1 of 3 workloads done: cloneset/api complete, asts/db failed, cloneset/web not-started');
    assert.deepEqual(results.map(nameLine), ['cloneset.apps.kruise.io/api restarted', 'statefulset.apps.kruise.io/db restart failed', 'cloneset.apps.kruise.io/web not started']);
    assert.equal(nameLine(result('api', 'held', 0)), 'cloneset.apps.kruise.io/api restart held after its canary');
    const doc = listDocument(results, 1) as { kind: string; items: Array<{ workload: string; exitCode: number }> };
    assert.equal(doc.kind, 'List');
    assert.deepEqual(doc.items.map((i) => `${i.workload} ${i.exitCode}`), ['cloneset.apps.kruise.io/api 0', 'statefulset.apps.kruise.io/db 1', 'cloneset.apps.kruise.io/web 2']);
  });

  it('crr: one --resume line for every unfinished run, each workload with its own id, last on the line; never-started targets named', () => {
    const hint = crrHint(
      [result('api', 'complete', 0, '20261205-100000-aaaa'), result('cart', 'interrupted', 130, '20261205-100100-bbbb'), result('db', 'timeout', 3, '20261205-100100-cccc'), result('edge', 'refused', 2), result('web', 'not-started', 2)],
      'shop',
    );
    assert.equal(
      hint,
      'not started (left as they are; start them with the same flags once the cause is fixed): cloneset/web; resume with: kubectl kruise-restart crr cloneset/cart asts/db -n shop --resume 20261205-100100-bbbb --resume 20261205-100100-cccc',
    );
    assert.equal(crrHint([result('api', 'complete', 0, '20261205-100000-aaaa'), result('web', 'refused', 2)], 'shop'), undefined);
  });
});
