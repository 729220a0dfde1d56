import assert from 'node:assert/strict';
import { partitionOf, partitionOps, withPartition } from '../../src/commands/staged';
import type { CloneSet } from '../../src/kruise/types';

const workload = (kind: string, updateStrategy?: object) => ({ kind, metadata: { name: 'x' }, spec: { ...(updateStrategy ? { updateStrategy } : {}) } }) as unknown as CloneSet;

describe("a stage's partition, in each kind's own field", () => {
  it('CloneSet: spec.updateStrategy.partition', () => {
    assert.deepEqual(partitionOps(workload('CloneSet', { type: 'InPlaceIfPossible' }), 3), [{ op: 'add', path: '/spec/updateStrategy/partition', value: 3 }]);
    assert.deepEqual(partitionOps(workload('CloneSet'), 3), [{ op: 'add', path: '/spec/updateStrategy', value: { partition: 3 } }]);
    assert.deepEqual(partitionOps(workload('CloneSet', { partition: 2 }), null), [{ op: 'remove', path: '/spec/updateStrategy/partition' }]);
    assert.deepEqual(partitionOps(workload('CloneSet', {}), null), []);
    assert.equal(partitionOf(workload('CloneSet', { partition: '20%' })), '20%');
    assert.deepEqual(withPartition(workload('CloneSet'), { spec: { template: {} } }, 4), { spec: { template: {}, updateStrategy: { partition: 4 } } });
  });

  it('Advanced StatefulSet and DaemonSet: spec.updateStrategy.rollingUpdate.partition, adding what is missing on the way', () => {
    for (const kind of ['StatefulSet', 'DaemonSet']) {
      assert.deepEqual(partitionOps(workload(kind, { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 2 } }), 3), [{ op: 'add', path: '/spec/updateStrategy/rollingUpdate/partition', value: 3 }]);
      assert.deepEqual(partitionOps(workload(kind, { type: 'RollingUpdate' }), 3), [{ op: 'add', path: '/spec/updateStrategy/rollingUpdate', value: { partition: 3 } }]);
      assert.deepEqual(partitionOps(workload(kind), 3), [{ op: 'add', path: '/spec/updateStrategy', value: { rollingUpdate: { partition: 3 } } }]);
      assert.deepEqual(partitionOps(workload(kind, { rollingUpdate: { partition: 0 } }), null), [{ op: 'remove', path: '/spec/updateStrategy/rollingUpdate/partition' }]);
      assert.deepEqual(partitionOps(workload(kind, { rollingUpdate: {} }), null), []);
      assert.equal(partitionOf(workload(kind, { rollingUpdate: { partition: 0 } })), 0);
      assert.equal(partitionOf(workload(kind, { partition: 5 })), null, 'not the CloneSet field');
      assert.deepEqual(withPartition(workload(kind), { spec: { template: {} } }, 2), { spec: { template: {}, updateStrategy: { rollingUpdate: { partition: 2 } } } });
    }
  });
});
