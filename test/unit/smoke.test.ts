import assert from 'node:assert/strict';
import { PLUGIN } from '../../src/kruise/types';

describe('types', () => {
  it('keeps plugin keys under one prefix', () => {
    for (const v of [PLUGIN.defaultTriggerAnnotation, PLUGIN.lastRestartAnnotation, PLUGIN.runLabel]) assert.ok(v.startsWith(PLUGIN.prefix));
  });
});
