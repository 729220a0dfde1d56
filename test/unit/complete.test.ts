import assert from 'node:assert/strict';
import { complete, DIRECTIVE, formatCompletion, planCompletion } from '../../src/cli/complete';

const values = (words: string[]) => {
  const plan = planCompletion(words);
  return plan.candidates.map((c) => c.split('\t')[0]).filter((c) => c.startsWith(plan.prefix));
};

describe('completion planning (no cluster)', () => {
  it('offers subcommands first, then the CloneSet, then nothing', () => {
    assert.deepEqual(values(['']), ['inplace', 'crr', 'status', 'version', 'completion']);
    assert.deepEqual(planCompletion(['status', '']).lookup, { kind: 'clonesets', cloneSet: undefined, connection: {} });
    assert.deepEqual(planCompletion(['status', 'web', '']), { candidates: [], prefix: '', directive: DIRECTIVE.noFileComp });
    assert.deepEqual(values(['version', '']), []);
  });

  it('skips flag values and global flags before the command, and keeps the connection flags typed', () => {
    const plan = planCompletion(['--kubeconfig', '/k', '-n', 'prod', '--context=c1', 'crr', '--max-unavailable', '2', 'web', '-c', '']);
    assert.deepEqual(plan.lookup, { kind: 'containers', cloneSet: 'web', connection: { kubeconfig: '/k', namespace: 'prod', context: 'c1' } });
  });

  it('completes flag names of the subcommand, without non-repeatable flags already given', () => {
    const flags = values(['status', 'web', '-w', '--']);
    assert.ok(flags.includes('--run') && flags.includes('--namespace') && !flags.includes('--watch') && !flags.includes('--container'));
    assert.ok(values(['crr', 'web', '-c', 'a', '--']).includes('--container'), 'repeatable');
    assert.ok(values(['inplace', '--']).includes('--no-wait'));
  });

  it('completes values: choices, files for --kubeconfig, nothing for free text, --flag=value forms', () => {
    assert.deepEqual(values(['inplace', 'web', '--dry-run', '']), ['none', 'client', 'server']);
    assert.deepEqual(values(['crr', 'web', '--failure-policy=I']), ['Ignore']);
    assert.equal(planCompletion(['--kubeconfig', '']).directive, DIRECTIVE.default);
    assert.deepEqual(planCompletion(['inplace', 'web', '--reason', '']), { candidates: [], prefix: '', directive: DIRECTIVE.noFileComp });
    assert.equal(planCompletion(['status', 'web', '--run=2026']).lookup?.kind, 'runs');
    assert.equal(planCompletion(['status', '--run', '']).lookup, undefined, 'runs need the CloneSet first');
  });

  it('prints Cobra protocol lines, filtered, with or without descriptions, and swallows lookup failures', async () => {
    assert.equal(formatCompletion(['web\tx', 'api'], 'w', 4), 'web\tx\n:4\n');
    assert.equal(formatCompletion(['web\tx'], '', 4, false), 'web\n:4\n');
    assert.equal(await complete(['status', ''], () => Promise.reject(new Error('boom'))), ':4\n');
    assert.equal(await complete(['status', ''], () => new Promise(() => undefined), { deadlineMs: 50 }), ':4\n');
    assert.equal(await complete(['status', 'a'], () => Promise.resolve(['api', 'web'])), 'api\n:4\n');
  });
});
