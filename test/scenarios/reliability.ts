// The fault-free half of reliability on either backend: one restart of a CloneSet at a time, decided by the server's
// compare-and-swap (a real etcd on the real tier), whatever order two processes' requests land in. The fault matrix
// (5xx, throttling, resets, cut watches) needs the emulator's fault injector and stays in test/e2e/faults.test.ts.
import assert from 'node:assert/strict';
import type { TestCluster } from '../backend/index';
import { PluginProcess, assertOneLineError, type PluginRun } from '../e2e/harness';
import { readRecord } from '../../src/kruise/record';
import { PLUGIN, type ContainerRecreateRequest } from '../../src/kruise/types';
import { cloneSetOf, KEY, killsBy, podsOf, secs, type Scenario } from './util';

const COMMANDS = {
  inplace: ['inplace', 'web', '--no-wait'],
  crr: ['crr', 'web', '-c', 'sidecar', '--max-unavailable', '1'],
} as const;
type Kind = keyof typeof COMMANDS;

function sameInstant(a: Kind, b: Kind): (c: TestCluster) => Promise<void> {
  return async (c) => {
    await c.seedCloneSet({ name: 'web', replicas: 2, containers: ['app', 'sidecar'], strategy: 'InPlaceIfPossible', maxUnavailable: 1, triggerAnnotation: KEY, wiredContainers: ['app'] });
    // Slow readiness keeps whichever run wins unfinished while the other decides.
    for (const p of await podsOf(c, 'web')) await c.knobs.readyDelay(c.namespace, p.metadata.name!, secs(c, 100, 5));
    const trigger0 = (await cloneSetOf(c, 'web')).spec.template.metadata?.annotations?.[KEY];
    const kubeconfig = c.writeKubeconfig();
    const timeoutMs = secs(c, 90, 240) * 1000;
    const first = new PluginProcess([...COMMANDS[a]], { kubeconfig, timeoutMs });
    const second = new PluginProcess([...COMMANDS[b]], { kubeconfig, timeoutMs });
    const runs: [Kind, PluginRun][] = [
      [a, await first.done],
      [b, await second.done],
    ];
    const winners = runs.filter(([, r]) => r.code === 0);
    assert.equal(winners.length, 1, runs.map(([k, r]) => `${k}: exit ${r.code}\n${r.stderr}`).join('\n'));
    const [winner] = winners[0];
    const [, lost] = runs.find(([, r]) => r.code !== 0)!;
    assert.equal(lost.code, 2, lost.stderr);
    const record = readRecord(await cloneSetOf(c, 'web'));
    assert.ok(record, 'the winner left its record');
    assert.equal(record.mode, winner);
    const line = assertOneLineError(lost);
    assert.ok(line.includes(record.run), `the refusal names the run: ${line}`);
    assert.match(line, /--force/);
    const crrs = await c.list<ContainerRecreateRequest>('containerrecreaterequests', c.namespace);
    const trigger = (await cloneSetOf(c, 'web')).spec.template.metadata?.annotations?.[KEY];
    if (winner === 'inplace') {
      assert.equal(crrs.length, 0, 'no CRR was created');
      assert.equal(trigger, record.run);
      assert.equal(killsBy(c, 'sidecar', 'crr').size, 0);
      const patches = (await c.pluginWrites()).filter((w) => w.resource === 'clonesets' && w.verb === 'patch');
      assert.equal(patches.length, 1, `one trigger write, the loser's never landed: ${JSON.stringify(patches)}`);
    } else {
      assert.equal(trigger, trigger0, 'no in-place trigger was written');
      assert.ok(crrs.length > 0);
      assert.deepEqual([...new Set(crrs.map((x) => x.metadata.labels?.[PLUGIN.runLabel]))], [record.run], 'every CRR belongs to the one run');
      assert.equal(killsBy(c, 'app', 'inplace').size, 0);
    }
  };
}

export const reliabilityScenarios: Scenario[] = [
  { title: 'inplace and crr started in the same instant: exactly one restarts, the other exits 2 naming it', run: sameInstant('inplace', 'crr') },
  { title: 'two crr runs started in the same instant: exactly one restarts, the other exits 2 naming it', run: sameInstant('crr', 'crr') },
];
