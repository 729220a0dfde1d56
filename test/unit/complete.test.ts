import assert from 'node:assert/strict';
import { complete, DIRECTIVE, formatCompletion, planCompletion } from '../../src/cli/complete';
import { describeFailure } from '../../src/ui/failure';
import { resumableRun } from '../../src/kruise/crr-run';
import { at, crrRecord, inplaceRecord, ms, RUN } from './fixtures';

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

  it('crr --resume asks for resumable runs only; status --run for any run; TYPE/NAME names the CloneSet', () => {
    assert.deepEqual(planCompletion(['crr', 'web', '--resume', '']).lookup, { kind: 'resumableRuns', cloneSet: 'web', connection: {} });
    assert.equal(planCompletion(['crr', 'web', '--resume=2026']).lookup?.kind, 'resumableRuns');
    assert.equal(planCompletion(['status', 'web', '--run', '']).lookup?.kind, 'runs');
    assert.deepEqual(planCompletion(['crr', 'cloneset/web', '-c', '']).lookup, { kind: 'containers', cloneSet: 'web', connection: {} });
    assert.equal(planCompletion(['crr', 'deploy/web', '-c', '']).lookup, undefined, 'not a CloneSet: nothing to look up');
  });
});

describe('which run crr --resume would accept (completion)', () => {
  const interrupted = (o: Parameters<typeof crrRecord>[1] = {}) => crrRecord(['web-0'], { heartbeatAt: at(0), ...o });

  it('the record\'s crr run once no process drives it (stopped, or no heartbeat for 30 s), within its TTL', () => {
    assert.equal(resumableRun(interrupted(), ms(31))?.run, RUN);
    assert.equal(resumableRun(interrupted({ stoppedAt: at(1) }), ms(2))?.run, RUN, 'said it stopped: at once');
    assert.equal(resumableRun(crrRecord(['web-0']), ms(60))?.run, RUN, 'no heartbeat: judged by its start');
    assert.ok(resumableRun(interrupted({ crr: { ttlSecondsAfterFinished: 600 } }), ms(600)));
    assert.equal(resumableRun(interrupted({ finished: 'failed' }), ms(2))?.run, RUN, 'a failed run: no process drives it any more');
  });

  it('not a run still driven, a finished run, an inplace restart, no record, or a run older than its TTL', () => {
    assert.equal(resumableRun(interrupted(), ms(10)), undefined, 'fresh heartbeat');
    assert.equal(resumableRun(interrupted({ finished: 'completed' }), ms(60)), undefined);
    assert.equal(resumableRun(inplaceRecord(), ms(60)), undefined);
    assert.equal(resumableRun(undefined, ms(60)), undefined);
    assert.equal(resumableRun(interrupted({ crr: { ttlSecondsAfterFinished: 600 } }), ms(601)), undefined);
    assert.equal(resumableRun(interrupted(), ms(86401)), undefined, 'default TTL one day');
  });
});

describe('unexpected failures', () => {
  it('suggest -v=9 only when it was not given, and print the stack at -v=9', () => {
    assert.match(describeFailure(new Error('boom'), 0).line, /^error: unexpected failure: boom \(run again with -v=9 for details\)$/);
    const at9 = describeFailure(new Error('boom'), 9);
    assert.equal(at9.line, 'error: unexpected failure: boom');
    assert.match(at9.stack ?? '', /Error: boom/);
  });
});
