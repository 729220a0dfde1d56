import assert from 'node:assert/strict';
import type { RestartProgress } from '../../src/kruise/progress/document';
import { countUnavailable, summarize, tally } from '../../src/kruise/progress/summary';
import { CLONESET } from '../../src/kruise/workload';
import { cloneSet, oldPod, restartingPod } from './fixtures';

describe('summary: the restart in numbers and in one line', () => {
  const web = { subject: 'cloneset web', unpause: CLONESET.unpauseCommand(cloneSet({ namespace: 'shop' })), pausedField: CLONESET.fields.paused };
  it('counts pods by state against the budget', () => {
    const states = ['restarted', 'restarted', 'restarting', 'pending', 'failed', 'skipped', 'recreated'] as const;
    assert.deepEqual(tally(states.map((state) => ({ state })), 2, 1), { total: 7, restarted: 2, restarting: 1, pending: 1, failed: 1, skipped: 1, recreated: 1, unavailable: 1, budget: 2 });
  });

  it('unavailable: not Ready or not Running pods plus pods missing against the desired count; terminating pods count as missing', () => {
    const pods = [oldPod('web-a'), restartingPod('web-b'), oldPod('web-c', { deleting: true }), oldPod('web-d', { phase: 'Failed' })];
    assert.equal(countUnavailable(4, pods), 1 + 2);
    assert.equal(countUnavailable(1, [oldPod('web-a')]), 0);
  });

  const progress = (o: Partial<RestartProgress>): RestartProgress => ({
    state: 'in-progress',
    complete: false,
    failed: false,
    mode: 'inplace',
    observedAt: '2026-11-26T10:00:00Z',
    cloneSet: { namespace: 'shop', name: 'web', strategy: 'InPlaceIfPossible', replicas: 3, maxUnavailable: 1, partition: 0, paused: false },
    summary: tally([{ state: 'restarted' }, { state: 'restarting' }, { state: 'pending' }], 1, 1),
    pods: [],
    diagnoses: [],
    eta: 20,
    message: '',
    ...o,
  });

  it('in progress: done, restarting, pending and the ETA, like kubectl rollout status', () => {
    assert.equal(summarize(progress({}), undefined, web), 'Waiting for cloneset web restart to finish: 1 of 3 pods restarted, 1 restarting, 1 pending, about 20s left');
  });

  it('waiting on the controller alone names what it still lacks', () => {
    const p = progress({ summary: tally([{ state: 'restarted' }], 1, 0), eta: null });
    assert.equal(summarize(p, '0 of 1 updated replicas available', web), 'Waiting for cloneset web restart to finish: 1 of 1 pods restarted (0 of 1 updated replicas available)');
  });

  it('paused and interrupted say how to go on', () => {
    assert.match(summarize(progress({ state: 'paused' }), undefined, web), /restart paused .*unpause with: kubectl patch clone web -n shop --type merge/);
    const interrupted = progress({ state: 'interrupted', mode: 'crr', run: 'r1', resume: 'kubectl kruise-restart crr web -n shop --resume r1' });
    assert.match(summarize(interrupted, undefined, web), /crr run r1 interrupted \(no process drives it\).*1 not started; resume with: kubectl kruise-restart crr web -n shop --resume r1$/);
  });

  it('failed names the first failed pod and why', () => {
    const p = progress({ failed: true, summary: tally([{ state: 'failed' }, { state: 'restarted' }], 1, 0), pods: [{ name: 'web-a', ready: true, revision: 'new', restarts: 0, containers: [], state: 'failed', reason: 'CRR failed' }] });
    assert.equal(summarize(p, undefined, web), 'cloneset web: restart failed: 1 of 2 pods failed (web-a: CRR failed); 1 of 2 pods restarted');
  });
});
