import assert from 'node:assert/strict';
import { startCluster, type Cluster } from './index';
import { call, watch } from './http-client';
import type { CloneSet, Pod } from '../../src/kruise/types';

const CS = '/apis/apps.kruise.io/v1alpha1/namespaces/default/clonesets';
const CRR = '/apis/apps.kruise.io/v1alpha1/namespaces/default/containerrecreaterequests';
const MERGE = { contentType: 'application/merge-patch+json' };

describe('emulated API server', function () {
  this.timeout(20_000);
  let c: Cluster;
  before(async () => {
    c = await startCluster({ speed: 300, bookmarkIntervalMs: 50 });
    await c.seedCloneSet({ name: 'web', replicas: 3, strategy: 'InPlaceIfPossible' });
  });
  after(async () => c?.stop());
  beforeEach(() => {
    c.faults.clear();
    c.clearLog();
  });

  it('401 Unauthorized for a missing or unknown token', async () => {
    for (const token of [null, 'nope']) {
      const r = await call(c, 'GET', '/api/v1/namespaces/default/pods', undefined, { token });
      assert.equal(r.status, 401);
      assert.deepEqual(r.body, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: 'Unauthorized', reason: 'Unauthorized', code: 401 });
    }
  });

  it('403 Forbidden with the RBAC message; SelfSubjectAccessReview agrees', async () => {
    const token = c.addUser('u', [{ verbs: ['get', 'list', 'watch'], apiGroups: ['apps.kruise.io'], resources: ['clonesets'] }]);
    assert.equal((await call(c, 'GET', `${CS}/web`, undefined, { token })).status, 200);
    const r = await call(c, 'PATCH', `${CS}/web`, { metadata: { labels: { a: 'b' } } }, { token, ...MERGE });
    assert.equal(r.status, 403);
    assert.equal(r.body.reason, 'Forbidden');
    assert.equal(r.body.message, 'clonesets.apps.kruise.io "web" is forbidden: User "u" cannot patch resource "clonesets" in API group "apps.kruise.io" in the namespace "default"');
    const pods = await call(c, 'GET', '/api/v1/namespaces/default/pods', undefined, { token });
    assert.equal(pods.body.message, 'pods is forbidden: User "u" cannot list resource "pods" in API group "" in the namespace "default"');
    const review = (verb: string) => call(c, 'POST', '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews', { apiVersion: 'authorization.k8s.io/v1', kind: 'SelfSubjectAccessReview', spec: { resourceAttributes: { namespace: 'default', verb, group: 'apps.kruise.io', resource: 'clonesets' } } }, { token });
    assert.equal((await review('get')).body.status.allowed, true);
    assert.equal((await review('patch')).body.status.allowed, false);
    assert.equal(c.writes().length, 0);
  });

  it('404 NotFound, 409 AlreadyExists and Conflict, 415, 422', async () => {
    const nf = await call(c, 'GET', `${CS}/nope`);
    assert.equal(nf.status, 404);
    assert.equal(nf.body.message, 'clonesets.apps.kruise.io "nope" not found');
    assert.deepEqual(nf.body.details, { name: 'nope', group: 'apps.kruise.io', kind: 'clonesets' });

    const cs = (await call(c, 'GET', `${CS}/web`)).body as CloneSet;
    const dup = await call(c, 'POST', CS, { ...cs, metadata: { name: 'web' }, status: undefined });
    assert.equal(dup.status, 409);
    assert.equal(dup.body.reason, 'AlreadyExists');
    assert.equal(dup.body.message, 'clonesets.apps.kruise.io "web" already exists');

    const stale = { ...cs, metadata: { ...cs.metadata, resourceVersion: '1' } };
    const conflict = await call(c, 'PUT', `${CS}/web`, stale);
    assert.equal(conflict.status, 409);
    assert.equal(conflict.body.reason, 'Conflict');
    assert.equal(conflict.body.message, 'Operation cannot be fulfilled on clonesets.apps.kruise.io "web": the object has been modified; please apply your changes to the latest version and try again');

    const smp = await call(c, 'PATCH', `${CS}/web`, { spec: { replicas: 3 } }, { contentType: 'application/strategic-merge-patch+json' });
    assert.equal(smp.status, 415);
    assert.equal(smp.body.reason, 'UnsupportedMediaType');

    const test = await call(c, 'PATCH', `${CS}/web`, [{ op: 'test', path: '/metadata/resourceVersion', value: '1' }, { op: 'replace', path: '/spec/replicas', value: 9 }], { contentType: 'application/json-patch+json' });
    assert.equal(test.status, 422);
    assert.equal(test.body.reason, 'Invalid');
    // As the real patch handler: the generic message, no causes (the client cannot tell a failed test from a bad path).
    assert.equal(test.body.message, 'the server rejected our request due to an error in our request');
    assert.deepEqual(test.body.details, {});

    const status422 = await call(c, 'PATCH', `${CS}/web/status`, { status: { replicas: 'three' } }, MERGE);
    assert.equal(status422.status, 422);
    assert.match(status422.body.message, /^CloneSet.apps.kruise.io "web" is invalid: status.replicas: Invalid value: "string": status.replicas in body must be of type integer/);
    assert.equal(c.writes().length, 0);
    assert.ok(c.allWrites().length >= 5);
  });

  it('custom resources: unknown fields are pruned (Warning) or 400 under fieldValidation=Strict; PUT needs resourceVersion', async () => {
    const pod = c.list<Pod>('pods', 'default')[0];
    const body = { apiVersion: 'apps.kruise.io/v1alpha1', kind: 'ContainerRecreateRequest', metadata: { generateName: 'r-' }, spec: { podName: pod.metadata.name, containers: [{ name: 'app' }], bogus: 1 } };
    const strict = await call(c, 'POST', `${CRR}?fieldValidation=Strict`, body);
    assert.equal(strict.status, 400);
    assert.equal(strict.body.message, 'ContainerRecreateRequest in version "v1alpha1" cannot be handled as a ContainerRecreateRequest: strict decoding error: unknown field "spec.bogus"');
    const dry = await call(c, 'POST', `${CRR}?dryRun=All`, body);
    assert.equal(dry.status, 201);
    assert.equal(dry.body.spec.bogus, undefined);
    assert.match(String(dry.headers.warning), /unknown field \\"spec.bogus\\"/);
    assert.match(dry.body.metadata.name, /^r-[a-z0-9]{5}$/);
    assert.equal(c.list('containerrecreaterequests', 'default').length, 0, 'dry run stores nothing');
    const wrongType = await call(c, 'POST', CRR, { ...body, spec: { ...body.spec, bogus: undefined, activeDeadlineSeconds: 'soon' } });
    assert.equal(wrongType.status, 400);
    assert.match(wrongType.body.message, /^admission webhook "mcontainerrecreaterequest.kb.io" denied the request: json: cannot unmarshal string into Go struct field/);
    const cs = (await call(c, 'GET', `${CS}/web`)).body as CloneSet;
    delete cs.metadata.resourceVersion;
    const noRv = await call(c, 'PUT', `${CS}/web`, cs);
    assert.equal(noRv.status, 422);
    assert.match(noRv.body.message, /metadata.resourceVersion: Invalid value: 0x0: must be specified for an update/);
  });

  it('generation moves on spec changes only; status writes ignore spec', async () => {
    const g0 = c.get<CloneSet>('clonesets', 'default', 'web')!.metadata.generation!;
    await call(c, 'PATCH', `${CS}/web`, { metadata: { annotations: { note: 'x' } } }, MERGE);
    assert.equal(c.get<CloneSet>('clonesets', 'default', 'web')!.metadata.generation, g0);
    const r = await call(c, 'PATCH', `${CS}/web/status`, { spec: { replicas: 7 } }, MERGE);
    assert.equal(r.status, 200);
    assert.equal(r.body.spec.replicas, 3);
    const scale = await call(c, 'GET', `${CS}/web/scale`);
    assert.deepEqual([scale.body.kind, scale.body.spec.replicas, scale.body.status.selector], ['Scale', 3, 'app=web']);
  });

  it('list: label selectors, field selectors, limit/continue, resourceVersion', async () => {
    const q = async (qs: string) => (await call(c, 'GET', `/api/v1/namespaces/default/pods?${qs}`)).body;
    assert.equal((await q('labelSelector=app%3Dweb')).items.length, 3);
    assert.equal((await q('labelSelector=app!%3Dweb')).items.length, 0);
    assert.equal((await q('labelSelector=app%20in%20(web,x)')).items.length, 3);
    assert.equal((await q('labelSelector=app%20notin%20(web)')).items.length, 0);
    assert.equal((await q('labelSelector=app')).items.length, 3);
    assert.equal((await q('labelSelector=!app')).items.length, 0);
    const first = c.list<Pod>('pods', 'default')[0].metadata.name;
    assert.equal((await q(`fieldSelector=metadata.name%3D${first}`)).items.length, 1);
    const p1 = await q('limit=2');
    assert.equal(p1.items.length, 2);
    assert.equal(p1.metadata.remainingItemCount, 1);
    assert.ok(Number(p1.metadata.resourceVersion) > 0);
    const p2 = await q(`limit=2&continue=${p1.metadata.continue}`);
    assert.equal(p2.items.length, 1);
    assert.equal(p2.metadata.continue, undefined);
  });

  it('watch: initial ADDED, bookmarks, resume from a resourceVersion, 410 Gone when too old', async () => {
    const w = watch(c, `${CS}?watch=1&allowWatchBookmarks=true`);
    await c.waitFor(() => w.events.some((e) => e.type === 'BOOKMARK'), 3000, 'a bookmark');
    assert.equal(w.events[0].type, 'ADDED');
    const rv = w.events[0].object.metadata.resourceVersion;
    assert.ok(rv, JSON.stringify(w.events[0]).slice(0, 300));
    await call(c, 'PATCH', `${CS}/web`, { metadata: { labels: { touched: '1' } } }, MERGE);
    await c.waitFor(() => w.events.some((e) => e.type === 'MODIFIED'), 3000, 'MODIFIED');
    w.close();
    const resumed = watch(c, `${CS}?watch=1&resourceVersion=${rv}`);
    await c.waitFor(() => resumed.events.some((e) => e.type === 'MODIFIED' && e.object.metadata.labels?.touched === '1'), 3000, 'replayed MODIFIED: ' + rv + JSON.stringify(resumed.events.map((e) => [e.type, e.object.metadata?.resourceVersion, e.object.metadata?.labels])));
    assert.ok(!resumed.events.some((e) => e.type === 'ADDED'), 'resume replays changes only');
    resumed.close();
    c.compactHistory();
    const gone = watch(c, `${CS}?watch=1&resourceVersion=${rv}`);
    await gone.ended;
    assert.equal(gone.status(), 200);
    assert.equal(gone.events[0].type, 'ERROR');
    assert.equal(gone.events[0].object.code, 410);
    assert.equal(gone.events[0].object.reason, 'Expired');
  });

  it('watch with a label selector turns selector exits into DELETED; timeoutSeconds ends the stream', async () => {
    const w = watch(c, `/api/v1/namespaces/default/pods?watch=true&labelSelector=pick%3Dme&timeoutSeconds=1`);
    const pod = c.list<Pod>('pods', 'default')[0];
    await new Promise((r) => setTimeout(r, 50));
    await call(c, 'PATCH', `/api/v1/namespaces/default/pods/${pod.metadata.name}`, { metadata: { labels: { pick: 'me' } } }, { contentType: 'application/strategic-merge-patch+json' });
    await call(c, 'PATCH', `/api/v1/namespaces/default/pods/${pod.metadata.name}`, { metadata: { labels: { pick: null } } }, MERGE);
    await w.ended;
    assert.deepEqual(w.events.map((e) => e.type), ['ADDED', 'DELETED']);
  });

  it('faults: seeded 5xx/429/reset/slow, failNext, conflictOnFirstWrite, dropWatchAfter, goneOnResume', async () => {
    c.faults.failNext({ verb: 'get', resource: 'clonesets', status: 429, retryAfterSeconds: 3, count: 2 });
    const t1 = await call(c, 'GET', `${CS}/web`);
    assert.equal(t1.status, 429);
    assert.equal(t1.headers['retry-after'], '3');
    assert.equal(t1.body.reason, 'TooManyRequests');
    assert.equal((await call(c, 'GET', `${CS}/web`)).status, 429);
    assert.equal((await call(c, 'GET', `${CS}/web`)).status, 200);

    c.faults.failNext({ verb: 'patch', status: 503 });
    assert.equal((await call(c, 'PATCH', `${CS}/web`, {}, MERGE)).status, 503);

    c.faults.seed(7);
    c.faults.errors(0.5, 500, { resource: 'pods' });
    const codes = await Promise.all(Array.from({ length: 40 }, () => call(c, 'GET', '/api/v1/namespaces/default/pods').then((r) => r.status)));
    assert.ok(codes.includes(500) && codes.includes(200), String(codes));
    c.faults.clear();

    c.faults.resets(1, { verb: 'list' });
    await assert.rejects(call(c, 'GET', '/api/v1/namespaces/default/pods'), /socket hang up|ECONNRESET/);
    c.faults.clear();

    c.faults.slow(1, 150, { verb: 'get' });
    const t0 = Date.now();
    await call(c, 'GET', `${CS}/web`);
    assert.ok(Date.now() - t0 >= 140);
    c.faults.clear();

    c.faults.conflictOnFirstWrite = true;
    assert.equal((await call(c, 'PATCH', `${CS}/web`, { metadata: { labels: { x: '1' } } }, MERGE)).status, 409);
    assert.equal((await call(c, 'PATCH', `${CS}/web`, { metadata: { labels: { x: '1' } } }, MERGE)).status, 200);
    c.faults.clear();

    c.faults.dropWatchAfter = 2;
    const w = watch(c, '/api/v1/namespaces/default/pods?watch=1');
    await w.ended;
    assert.equal(w.events.length, 2);
    c.faults.clear();

    c.faults.goneOnResume = 1;
    const g = watch(c, `/api/v1/namespaces/default/pods?watch=1&resourceVersion=${c.get<Pod>('pods', 'default', c.list<Pod>('pods', 'default')[0].metadata.name!)!.metadata.resourceVersion}`);
    await g.ended;
    assert.equal(g.events[0].object.code, 410);
  });

  it('latency is added to every request', async () => {
    const slow = await startCluster({ latencyMs: 120, kruise: false });
    try {
      const t0 = Date.now();
      assert.equal((await call(slow, 'GET', '/api/v1/namespaces')).status, 200);
      assert.ok(Date.now() - t0 >= 110);
    } finally {
      await slow.stop();
    }
  });

  it('discovery; OpenKruise not installed → 404; CRR CRD missing → 404', async () => {
    const apis = (await call(c, 'GET', '/apis')).body;
    const kruise = apis.groups.find((g: { name: string }) => g.name === 'apps.kruise.io');
    assert.equal(kruise.preferredVersion.version, 'v1beta1');
    const list = (await call(c, 'GET', '/apis/apps.kruise.io/v1alpha1')).body;
    const names = list.resources.map((r: { name: string }) => r.name);
    for (const n of ['clonesets', 'clonesets/status', 'clonesets/scale', 'containerrecreaterequests', 'containerrecreaterequests/status']) assert.ok(names.includes(n), n);
    assert.deepEqual(list.resources.find((r: { name: string }) => r.name === 'clonesets').shortNames, ['clone']);

    const bare = await startCluster({ kruise: false });
    const noCrr = await startCluster({ crrCrd: false });
    try {
      assert.ok(!(await call(bare, 'GET', '/apis')).body.groups.some((g: { name: string }) => g.name === 'apps.kruise.io'));
      const nf = await call(bare, 'GET', '/apis/apps.kruise.io/v1alpha1');
      assert.equal(nf.status, 404);
      assert.equal((await call(bare, 'GET', CS)).status, 404);
      assert.equal((await call(noCrr, 'GET', CRR)).status, 404);
      const l = (await call(noCrr, 'GET', '/apis/apps.kruise.io/v1alpha1')).body;
      assert.ok(!l.resources.some((r: { name: string }) => r.name.startsWith('containerrecreaterequests')));
      assert.equal((await call(noCrr, 'GET', CS)).status, 200);
    } finally {
      await bare.stop();
      await noCrr.stop();
    }
  });

  it('records every request with verb, resource and outcome', async () => {
    await call(c, 'GET', `${CS}/web`);
    await call(c, 'PATCH', `${CS}/web?dryRun=All`, { metadata: { labels: { d: '1' } } }, MERGE);
    await call(c, 'PATCH', `${CS}/web`, { metadata: { labels: { d: '2' } } }, MERGE);
    const [get, dry, patch] = c.requests;
    assert.deepEqual([get.verb, get.resource, get.name, get.status, get.user], ['get', 'clonesets', 'web', 200, 'admin']);
    assert.equal(dry.dryRun, true);
    assert.equal(c.get<CloneSet>('clonesets', 'default', 'web')!.metadata.labels?.d, '2');
    assert.deepEqual(c.writes(), [patch]);
  });
});
