import assert from 'node:assert/strict';
import {
  expectedUpdatedReplicas,
  parseIntOrPercent,
  resolveIntOrPercent,
  resolveMaxSurge,
  resolveMaxUnavailable,
  resolvePartition,
} from '../../src/kruise/budget';
import type { CloneSet } from '../../src/kruise/types';
import { cloneSet } from './fixtures';

describe('budget: maxUnavailable as the CloneSet controller resolves it', () => {
  it('defaults to 20% rounded up: 1-5 replicas -> 1, 6-10 -> 2, 11-15 -> 3', () => {
    const expected = [1, 1, 1, 1, 1, 2, 2, 2, 2, 2, 3, 3, 3, 3, 3];
    for (let replicas = 1; replicas <= 15; replicas++) {
      assert.equal(resolveMaxUnavailable(cloneSet({ replicas })), expected[replicas - 1], `replicas=${replicas}`);
    }
  });

  it('rounds the percent down when maxSurge > 0, and may reach 0 (Kruise adds no max(1, ...))', () => {
    const table: [number, number][] = [[1, 0], [4, 0], [5, 1], [9, 1], [10, 2], [14, 2], [15, 3]];
    for (const [replicas, want] of table) {
      assert.equal(resolveMaxUnavailable(cloneSet({ replicas, maxSurge: 1 })), want, `replicas=${replicas}`);
    }
  });

  it('rounds up again while paused, because the controller forces maxSurge to 0 then', () => {
    const cs = cloneSet({ replicas: 4, maxSurge: '50%', paused: true });
    assert.equal(resolveMaxSurge(cs), 0);
    assert.equal(resolveMaxUnavailable(cs), 1);
  });

  it('takes absolute numbers as they are and scales percents against spec.replicas', () => {
    assert.equal(resolveMaxUnavailable(cloneSet({ replicas: 10, maxUnavailable: 3 })), 3);
    assert.equal(resolveMaxUnavailable(cloneSet({ replicas: 10, maxUnavailable: 0, maxSurge: 1 })), 0);
    assert.equal(resolveMaxUnavailable(cloneSet({ replicas: 10, maxUnavailable: '50%' })), 5);
    assert.equal(resolveMaxUnavailable(cloneSet({ replicas: 7, maxUnavailable: '33%' })), 3);
    assert.equal(resolveMaxUnavailable(cloneSet({ replicas: 7, maxUnavailable: '33%', maxSurge: '10%' })), 2);
  });

  it('treats a bare string as a percent for maxUnavailable, as the deprecated apimachinery parser Kruise uses does', () => {
    assert.equal(resolveMaxUnavailable(cloneSet({ replicas: 100, maxUnavailable: '5' })), 5);
    assert.equal(resolveMaxUnavailable(cloneSet({ replicas: 10, maxUnavailable: '5' })), 1);
  });

  it('falls back to 0 on garbage, like the controller that ignores the parse error', () => {
    assert.equal(resolveMaxUnavailable(cloneSet({ replicas: 10, maxUnavailable: 'lots' })), 0);
  });

  it('uses 1 replica when spec.replicas is absent (webhook default)', () => {
    const cs = cloneSet({ replicas: 10 });
    delete cs.spec.replicas;
    assert.equal(resolveMaxUnavailable(cs), 1);
  });

  it('survives a CloneSet without updateStrategy or spec fields', () => {
    const bare = { metadata: {}, spec: { selector: {}, template: { spec: { containers: [] } } } } as CloneSet;
    assert.equal(resolveMaxUnavailable(bare), 1);
    assert.equal(resolvePartition(bare), 0);
    assert.equal(resolveMaxSurge(bare), 0);
  });
});

describe('budget: partition', () => {
  it('rounds percents up', () => {
    assert.equal(resolvePartition(cloneSet({ replicas: 10, partition: '25%' })), 3);
    assert.equal(resolvePartition(cloneSet({ replicas: 10, partition: '1%' })), 1);
    assert.equal(resolvePartition(cloneSet({ replicas: 3, partition: '50%' })), 2);
  });

  it('keeps one pod updating when a percent below 100% rounds up to every replica', () => {
    assert.equal(resolvePartition(cloneSet({ replicas: 10, partition: '95%' })), 9);
    assert.equal(resolvePartition(cloneSet({ replicas: 2, partition: '99%' })), 1);
    assert.equal(resolvePartition(cloneSet({ replicas: 10, partition: '100%' })), 10);
  });

  it('does not apply the reduce-by-one rule to one replica or to absolute numbers', () => {
    assert.equal(resolvePartition(cloneSet({ replicas: 1, partition: '50%' })), 1);
    assert.equal(resolvePartition(cloneSet({ replicas: 10, partition: 10 })), 10);
  });

  it('clamps to [0, replicas]', () => {
    assert.equal(resolvePartition(cloneSet({ replicas: 5, partition: 8 })), 5);
    assert.equal(resolvePartition(cloneSet({ replicas: 5, partition: '200%' })), 5);
    assert.equal(resolvePartition(cloneSet({ replicas: 5, partition: -2 })), 0);
  });

  it('ignores a partition string without % (strict parser): 0', () => {
    assert.equal(resolvePartition(cloneSet({ replicas: 5, partition: '3' })), 0);
  });

  it('reads fractional percents as floats, as Kruise does (pkg/util/tools.go): "12.5%" of 10 keeps 2 pods old', () => {
    assert.equal(resolvePartition(cloneSet({ replicas: 10, partition: '12.5%' })), 2);
    assert.equal(expectedUpdatedReplicas(cloneSet({ replicas: 10, partition: '12.5%' })), 8);
    assert.equal(resolvePartition(cloneSet({ replicas: 8, partition: '12.5%' })), 1);
    assert.equal(resolvePartition(cloneSet({ replicas: 3, partition: '.5%' })), 1);
    assert.equal(resolvePartition(cloneSet({ replicas: 10, partition: '1e1%' })), 1);
    assert.equal(resolvePartition(cloneSet({ replicas: 10, partition: '12.5.1%' })), 0);
  });

  it('leaves a fractional maxUnavailable at 0, as the controller\'s Atoi-based parser does', () => {
    assert.equal(resolveMaxUnavailable(cloneSet({ replicas: 10, maxUnavailable: '12.5%' })), 0);
  });

  it('gives expectedUpdatedReplicas = replicas - partition', () => {
    assert.equal(expectedUpdatedReplicas(cloneSet({ replicas: 10, partition: '25%' })), 7);
  });
});

describe('budget: resolveIntOrPercent', () => {
  it('scales percents with Go float rounding and leaves numbers alone', () => {
    assert.equal(resolveIntOrPercent('20%', 11, true), 3);
    assert.equal(resolveIntOrPercent('20%', 11, false), 2);
    assert.equal(resolveIntOrPercent('7%', 100, true), 7);
    assert.equal(resolveIntOrPercent(4, 100, true), 4);
    assert.equal(resolveIntOrPercent(undefined, 100, true), 0);
    assert.equal(resolveIntOrPercent('x%', 100, true), 0);
  });
});

describe('budget: parseIntOrPercent (CLI flags)', () => {
  it('accepts whole numbers and percents from 0% to 100%', () => {
    assert.deepEqual(parseIntOrPercent('3'), { ok: true, value: 3 });
    assert.deepEqual(parseIntOrPercent(' 25% '), { ok: true, value: '25%' });
    assert.deepEqual(parseIntOrPercent('0'), { ok: true, value: 0 });
    assert.deepEqual(parseIntOrPercent('100%'), { ok: true, value: '100%' });
    assert.deepEqual(parseIntOrPercent('007%'), { ok: true, value: '7%' });
  });

  const rejections: [string, RegExp][] = [
    ['', /empty/],
    ['   ', /empty/],
    ['-1', /negative/],
    ['-5%', /negative/],
    ['101%', /more than 100%/],
    ['1.5', /not a whole number/],
    ['2.5%', /not a whole number/],
    ['abc', /not a number/],
    ['%', /not a number/],
    ['5%%', /not a number/],
    ['1e3', /not a number/],
    ['99999999999', /too large/],
  ];
  for (const [text, message] of rejections) {
    it(`rejects ${JSON.stringify(text)} with a clear message`, () => {
      const result = parseIntOrPercent(text);
      assert.equal(result.ok, false);
      if (!result.ok) {
        assert.match(result.error, message);
        assert.match(result.error, /e\.g\. 25%/);
      }
    });
  }
});
