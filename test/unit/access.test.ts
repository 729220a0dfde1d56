import assert from 'node:assert/strict';
import { describePermission, grantedBy } from '../../src/kube/access';

describe('permission rules (SelfSubjectRulesReview evaluated like RBAC)', () => {
  const patchCloneSets = { verb: 'patch', group: 'apps.kruise.io', resource: 'clonesets' };
  it('grants by exact match and by wildcards', () => {
    assert.ok(grantedBy([{ verbs: ['get', 'patch'], apiGroups: ['apps.kruise.io'], resources: ['clonesets'] }], patchCloneSets));
    assert.ok(grantedBy([{ verbs: ['*'], apiGroups: ['*'], resources: ['*'] }], patchCloneSets));
  });
  it('does not grant across groups, verbs, resources, or from a rule limited to resourceNames', () => {
    assert.ok(!grantedBy([{ verbs: ['patch'], apiGroups: ['apps'], resources: ['clonesets'] }], patchCloneSets));
    assert.ok(!grantedBy([{ verbs: ['get'], apiGroups: ['apps.kruise.io'], resources: ['clonesets'] }], patchCloneSets));
    assert.ok(!grantedBy([{ verbs: ['patch'], apiGroups: ['apps.kruise.io'], resources: ['clonesets/status'] }], patchCloneSets));
    assert.ok(!grantedBy([{ verbs: ['patch'], apiGroups: ['apps.kruise.io'], resources: ['clonesets'], resourceNames: ['web'] }], patchCloneSets));
    assert.ok(!grantedBy([{}], patchCloneSets));
  });
  it('names a permission as kubectl does', () => {
    assert.equal(describePermission(patchCloneSets), 'patch clonesets.apps.kruise.io');
    assert.equal(describePermission({ verb: 'create', group: '', resource: 'events' }), 'create events');
  });
});
