// The emulated kube-apiserver: HTTPS, bearer-token authentication, RBAC, discovery, generic REST storage semantics
// (get/list/watch/create/update/patch/delete with the real status codes), admission hooks, fault injection and a
// request log.

import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { ApiError, Errors, type Status } from './errors';
import { type FaultInjector, type Verb } from './faults';
import { deepEqual, diff, jsonPatch, mergePatch, PatchError, strategicMergePatch } from './patch';
import { type Registry, type ResourceDef, SSAR, SSRR } from './resources';
import { isObject, prune, validate } from './schema';
import { parseFieldSelector, parseLabelSelector } from './selectors';
import { deepCopy, type KObj, type Store, type StoreEvent, StoreConflict } from './store';
import { toTable, wantsTable } from './table';
import { servingCert } from './tls';
import { decodeSsar } from './proto';

export interface RbacRule {
  verbs: string[];
  apiGroups: string[];
  resources: string[];
}

export interface RequestRecord {
  at: number;
  method: string;
  path: string;
  verb: Verb | 'discovery';
  resource?: string;
  subresource?: string;
  namespace?: string;
  name?: string;
  status: number;
  user: string;
  dryRun: boolean;
  /** The `fieldManager` query parameter of a write, as managedFields and the audit log would name its author. */
  fieldManager?: string;
}

export type AdmissionOp = 'CREATE' | 'UPDATE';

/** The Kruise webhooks (and anything else that admits writes), called in the API server's admission order. */
export interface Admission {
  /** Mutating admission; may return a changed object. Throws ApiError to deny. */
  mutate(op: AdmissionOp, def: ResourceDef, obj: KObj, old: KObj | undefined): KObj;
  /** Validating admission, after schema validation. Throws ApiError to deny. */
  validate(op: AdmissionOp, def: ResourceDef, obj: KObj, old: KObj | undefined): void;
}

export interface ServerOptions {
  store: Store;
  registry: Registry;
  faults: FaultInjector;
  now: () => number;
  isoNow: () => string;
  admission: Admission;
  latencyMs: number;
  port: number;
  bookmarkIntervalMs?: number;
}

const SAFE = 'bcdfghjklmnpqrstvwxz2456789';
export function randomSuffix(n = 5): string {
  const bytes = randomBytes(n);
  let s = '';
  for (let i = 0; i < n; i++) s += SAFE[bytes[i] % SAFE.length];
  return s;
}

class HttpReply {
  constructor(
    readonly code: number,
    readonly body: unknown,
    readonly headers: Record<string, string> = {},
  ) {}
}

interface Route {
  def: ResourceDef;
  namespace?: string;
  name?: string;
  subresource?: string;
}

export class ApiServer {
  readonly requests: RequestRecord[] = [];
  private readonly users = new Map<string, { name: string; rules: RbacRule[] }>();
  private server?: Server;
  private readonly sockets = new Set<Socket>();
  private readonly closers = new Set<() => void>();
  readonly caPem: string;
  url = '';
  latencyMs: number;
  bookmarkIntervalMs: number;

  constructor(private readonly o: ServerOptions) {
    this.caPem = servingCert().caPem;
    this.latencyMs = o.latencyMs;
    this.bookmarkIntervalMs = o.bookmarkIntervalMs ?? 1000;
  }

  addUser(name: string, rules: RbacRule[], token = randomBytes(24).toString('hex')): string {
    // As the real API server validates a Role's rules (pkg/apis/rbac/validation): a rule must grant something.
    const invalid = rules.flatMap((r, i) => [
      ...(r.verbs.length ? [] : [`rules[${i}].verbs: Required value: verbs must contain at least one value`]),
      ...(r.apiGroups.length ? [] : [`rules[${i}].apiGroups: Required value: resource rules must supply at least one api group`]),
      ...(r.resources.length ? [] : [`rules[${i}].resources: Required value: resource rules must supply at least one resource`]),
    ]);
    if (invalid.length) throw new Error(`addUser ${name}: invalid rules: ${invalid.join(', ')}`);
    this.users.set(token, { name, rules });
    return token;
  }

  async listen(): Promise<string> {
    const { certPem, keyPem } = servingCert();
    this.server = createServer({ cert: certPem, key: keyPem }, (req, res) => {
      this.handle(req, res).catch((e) => {
        console.error('[cluster] request handler crashed:', e);
        if (!res.headersSent) res.writeHead(500);
        res.end();
      });
    });
    this.server.on('connection', (s: Socket) => {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
    });
    await new Promise<void>((resolve, reject) => {
      this.server!.once('error', reject);
      this.server!.listen(this.o.port, '127.0.0.1', () => resolve());
    });
    const { port } = this.server.address() as AddressInfo;
    this.url = `https://127.0.0.1:${port}`;
    return this.url;
  }

  async close(): Promise<void> {
    for (const c of [...this.closers]) c();
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((r) => (this.server ? this.server.close(() => r()) : r()));
  }

  // ---- request entry point -------------------------------------------------------------------------------------

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'https://x');
    const method = req.method ?? 'GET';
    const rec: RequestRecord = { at: this.o.now(), method, path: url.pathname + url.search, verb: 'discovery', status: 0, user: '', dryRun: url.searchParams.get('dryRun') === 'All', fieldManager: url.searchParams.get('fieldManager') ?? undefined };
    this.requests.push(rec);
    if (this.latencyMs > 0) await sleep(this.latencyMs);
    const send = (r: HttpReply) => {
      rec.status = r.code;
      const text = typeof r.body === 'string' ? r.body : JSON.stringify(r.body);
      res.writeHead(r.code, { 'Content-Type': typeof r.body === 'string' ? 'text/plain; charset=utf-8' : 'application/json', 'Cache-Control': 'no-cache, private', ...r.headers });
      res.end(text);
    };
    const fail = (e: unknown) => {
      if (e instanceof ApiError) send(new HttpReply(e.code, e.status, e.headers));
      else {
        console.error('[cluster] internal error:', e);
        const ie = Errors.internal(String((e as Error)?.message ?? e));
        send(new HttpReply(500, ie.status));
      }
    };

    const user = this.authenticate(req);
    if (!user) return fail(Errors.unauthorized());
    rec.user = user.name;

    const parts = url.pathname.split('/').filter(Boolean);
    const discovery = this.discovery(parts);
    if (discovery !== undefined) {
      if (method !== 'GET') return send(new HttpReply(405, Errors.generic(405, 'the server does not allow this method on the requested resource').status));
      return send(discovery);
    }
    const route = this.route(parts);
    if (!route) return send(new HttpReply(404, '404 page not found\n'));
    const { def, namespace, name, subresource } = route;
    const watch = isTrue(url.searchParams.get('watch'));
    const verb: Verb | undefined =
      method === 'GET' ? (watch ? 'watch' : name ? 'get' : 'list')
      : method === 'POST' ? (name && !subresource ? undefined : 'create')
      : method === 'PUT' ? 'update'
      : method === 'PATCH' ? 'patch'
      : method === 'DELETE' ? (name ? 'delete' : 'deletecollection')
      : undefined;
    Object.assign(rec, { verb: verb ?? 'get', resource: def.plural, subresource, namespace, name });
    if (!verb || (subresource && !['status', 'scale'].includes(subresource)) || (subresource === 'status' && !def.status) || (subresource === 'scale' && !def.scale)) {
      return send(new HttpReply(404, '404 page not found\n'));
    }
    if (!def.verbs.includes(verb)) return fail(Errors.methodNotSupported(def, verb));

    const rbacResource = subresource ? `${def.plural}/${subresource}` : def.plural;
    if (def !== SSAR && def !== SSRR && !this.allowed(user.rules, verb, def.group, rbacResource)) {
      return fail(Errors.forbidden(def, name, user.name, verb, rbacResource, def.namespaced ? namespace : undefined));
    }

    const decision = this.o.faults.decide({ verb, resource: def.plural, subresource, namespace, name });
    switch (decision.kind) {
      case 'reset':
        rec.status = -1;
        req.socket.destroy();
        return;
      case 'slow':
        await sleep(decision.delayMs);
        break;
      case 'status':
        return fail(decision.status === 503 ? Errors.unavailable() : decision.status === 504 ? Errors.generic(504, 'the server was unable to return a response in the time allotted, but may still be processing the request') : Errors.internal('injected fault'));
      case 'throttle':
        return fail(Errors.tooManyRequests(decision.retryAfterSeconds));
      case 'fail':
        return fail(decision.status === 429 ? Errors.tooManyRequests(decision.retryAfterSeconds ?? 1) : Errors.generic(decision.status, `injected ${decision.status}`));
      case 'race': {
        const other = this.o.store.raw(def.storageKey, namespace, name ?? '');
        if (other) {
          const annotations = { ...other.metadata.annotations, 'example.com/touched-by': `someone else at ${new Date().toISOString()}` };
          this.o.store.replace(def.storageKey, { ...other, metadata: { ...other.metadata, annotations } });
        }
        break;
      }
    }

    try {
      if (verb === 'watch') {
        rec.status = 200;
        return this.watch(req, res, url, route);
      }
      const rawBody = ['POST', 'PUT', 'PATCH', 'DELETE'].includes(method) ? await readBody(req) : Buffer.alloc(0);
      const isProto = String(req.headers['content-type'] ?? '').startsWith('application/vnd.kubernetes.protobuf');
      if (isProto && def !== SSAR) throw Errors.unsupportedMediaType(['application/json', 'application/yaml']);
      const body = isProto ? JSON.stringify(decodeSsar(rawBody)) : rawBody.toString('utf8');
      const accept = req.headers.accept;
      let reply: HttpReply;
      switch (verb) {
        case 'get':
          reply = this.get(route, accept);
          break;
        case 'list':
          reply = this.list(route, url, accept);
          break;
        case 'create':
          reply = def === SSAR ? this.ssar(user.rules, body) : def === SSRR ? this.ssrr(user.rules, body) : this.create(route, url, body);
          break;
        case 'update':
          reply = this.update(route, url, parseJson(body));
          break;
        case 'patch':
          reply = this.patch(route, url, body, String(req.headers['content-type'] ?? ''));
          break;
        case 'delete':
          reply = this.remove(route, url, body);
          break;
        case 'deletecollection':
          reply = this.removeCollection(route, url);
          break;
      }
      send(reply);
    } catch (e) {
      fail(e);
    }
  }

  private authenticate(req: IncomingMessage) {
    const h = req.headers.authorization ?? '';
    const m = h.match(/^Bearer\s+(.+)$/i);
    return m ? this.users.get(m[1].trim()) : undefined;
  }

  allowed(rules: RbacRule[], verb: string, group: string, resource: string): boolean {
    return rules.some(
      (r) =>
        (r.verbs.includes('*') || r.verbs.includes(verb)) &&
        (r.apiGroups.includes('*') || r.apiGroups.includes(group)) &&
        (r.resources.includes('*') || r.resources.includes(resource) || (resource.includes('/') && r.resources.includes(`*/${resource.split('/')[1]}`))),
    );
  }

  // ---- discovery ---------------------------------------------------------------------------------------------

  private discovery(parts: string[]): HttpReply | undefined {
    const reg = this.o.registry;
    const ok = (b: unknown) => new HttpReply(200, b);
    const p = parts.join('/');
    if (p === 'version') return ok({ major: '1', minor: '32', gitVersion: 'v1.32.0', gitCommit: 'kruise-emulator', gitTreeState: 'clean', buildDate: '2025-01-01T00:00:00Z', goVersion: 'go1.23.4', compiler: 'gc', platform: 'linux/amd64' });
    if (p === 'healthz' || p === 'livez' || p === 'readyz') return new HttpReply(200, 'ok');
    if (p === 'api') return ok({ kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress: this.url.replace('https://', '') }] });
    if (p === 'api/v1') return ok(this.resourceList('', 'v1'));
    if (p === 'apis') return ok({ kind: 'APIGroupList', apiVersion: 'v1', groups: [...reg.groups.keys()].map((g) => this.group(g)) });
    if (parts[0] === 'apis' && parts.length === 2 && reg.groups.has(parts[1])) return ok(this.group(parts[1]));
    if (parts[0] === 'apis' && parts.length === 3 && reg.groups.get(parts[1])?.includes(parts[2])) return ok(this.resourceList(parts[1], parts[2]));
    if (p === 'openapi/v3') {
      const paths: Record<string, { serverRelativeURL: string }> = { 'api/v1': { serverRelativeURL: '/openapi/v3/api/v1?hash=emulated' } };
      for (const [g, versions] of reg.groups) for (const v of versions) paths[`apis/${g}/${v}`] = { serverRelativeURL: `/openapi/v3/apis/${g}/${v}?hash=emulated` };
      return ok({ paths });
    }
    if (p === 'openapi/v3/api/v1') return ok(openApiV3(reg.defs.filter((d) => d.group === '')));
    if (parts[0] === 'openapi' && parts[1] === 'v3' && parts[2] === 'apis' && reg.groups.get(parts[3])?.includes(parts[4]) && parts.length === 5) {
      return ok(openApiV3(reg.defs.filter((d) => d.group === parts[3] && d.version === parts[4])));
    }
    if (parts[0] === 'openapi') return new HttpReply(404, '404 page not found\n');
    return undefined;
  }

  private group(name: string) {
    const versions = (this.o.registry.groups.get(name) ?? []).map((v) => ({ groupVersion: `${name}/${v}`, version: v }));
    return { kind: 'APIGroup', apiVersion: 'v1', name, versions, preferredVersion: versions[0] };
  }

  private resourceList(group: string, version: string) {
    const resources: unknown[] = [];
    for (const d of this.o.registry.defs.filter((x) => x.group === group && x.version === version)) {
      resources.push({
        name: d.plural,
        singularName: d.singular,
        namespaced: d.namespaced,
        kind: d.kind,
        verbs: d.verbs,
        ...(d.shortNames.length ? { shortNames: d.shortNames } : {}),
        ...(d.categories.length ? { categories: d.categories } : {}),
      });
      if (d.status) resources.push({ name: `${d.plural}/status`, singularName: '', namespaced: d.namespaced, kind: d.kind, verbs: ['get', 'patch', 'update'] });
      if (d.scale) resources.push({ name: `${d.plural}/scale`, singularName: '', namespaced: d.namespaced, group: 'autoscaling', version: 'v1', kind: 'Scale', verbs: ['get', 'patch', 'update'] });
    }
    return { kind: 'APIResourceList', apiVersion: 'v1', groupVersion: group ? `${group}/${version}` : version, resources };
  }

  private route(parts: string[]): Route | undefined {
    let group: string;
    let version: string;
    let rest: string[];
    if (parts[0] === 'api' && parts[1] === 'v1') {
      group = '';
      version = 'v1';
      rest = parts.slice(2);
    } else if (parts[0] === 'apis' && parts.length >= 4) {
      group = parts[1];
      version = parts[2];
      rest = parts.slice(3);
    } else return undefined;
    if (!this.o.registry.groups.has(group) && group !== '') return undefined;
    let namespace: string | undefined;
    if (rest[0] === 'namespaces' && rest.length >= 3) {
      namespace = rest[1];
      rest = rest.slice(2);
    } else if (rest[0] === 'namespaces' && rest.length <= 2) {
      const def = this.o.registry.find('', 'v1', 'namespaces');
      return def && group === '' ? { def, name: rest[1] } : undefined;
    }
    const def = this.o.registry.find(group, version, rest[0]);
    if (!def || rest.length > 3) return undefined;
    if (namespace && !def.namespaced) return undefined;
    return { def, namespace, name: rest[1], subresource: rest[2] };
  }

  // ---- reads -------------------------------------------------------------------------------------------------

  private existing(route: Route): KObj {
    const o = this.o.store.raw(route.def.storageKey, route.namespace, route.name ?? '');
    if (!o) throw Errors.notFound(route.def, route.name ?? '');
    return o;
  }

  private get(route: Route, accept: string | undefined): HttpReply {
    const o = this.existing(route);
    if (route.subresource === 'scale') return new HttpReply(200, this.scaleOf(route.def, o));
    if (wantsTable(accept) && !route.subresource) return new HttpReply(200, toTable(route.def, [o], this.o.now()));
    return new HttpReply(200, this.asServed(route.def, o));
  }

  /**
   * A resource served in several versions is stored once: read through another version it comes back with that
   * version's apiVersion (the CRDs' conversion strategy None; the Kruise workloads' versions share one schema shape).
   */
  private asServed(def: ResourceDef, o: KObj): KObj {
    const apiVersion = this.apiVersion(def);
    return !def.custom || o.apiVersion === apiVersion ? o : { ...o, apiVersion };
  }

  private scaleOf(def: ResourceDef, o: KObj) {
    const spec = o.spec as { replicas?: number } | undefined;
    const status = o.status as { replicas?: number; labelSelector?: string } | undefined;
    return {
      kind: 'Scale',
      apiVersion: 'autoscaling/v1',
      metadata: { name: o.metadata.name, namespace: o.metadata.namespace, uid: o.metadata.uid, resourceVersion: o.metadata.resourceVersion, creationTimestamp: o.metadata.creationTimestamp },
      spec: { replicas: spec?.replicas ?? 0 },
      status: { replicas: status?.replicas ?? 0, selector: status?.labelSelector ?? '' },
    };
  }

  private matcher(route: Route, url: URL): (o: KObj) => boolean {
    const labels = parseLabelSelector(url.searchParams.get('labelSelector'));
    const fields = parseFieldSelector(url.searchParams.get('fieldSelector'), route.def.storageKey);
    const name = route.name;
    return (o) => (!route.namespace || o.metadata.namespace === route.namespace) && (!name || o.metadata.name === name) && (!labels || labels(o.metadata.labels)) && (!fields || fields(o));
  }

  private list(route: Route, url: URL, accept: string | undefined): HttpReply {
    const match = this.matcher(route, url);
    const all = this.o.store.rawList(route.def.storageKey, route.namespace, match);
    const keyOf = (o: KObj) => `${o.metadata.namespace ?? ''}/${o.metadata.name}`;
    all.sort((a, b) => (keyOf(a) < keyOf(b) ? -1 : keyOf(a) > keyOf(b) ? 1 : 0));
    let items = all;
    const rv = String(this.o.store.currentRV());
    const meta: { resourceVersion: string; continue?: string; remainingItemCount?: number } = { resourceVersion: rv };
    const cont = url.searchParams.get('continue');
    if (cont) {
      let after: string;
      try {
        after = JSON.parse(Buffer.from(cont, 'base64url').toString()).start as string;
      } catch {
        throw Errors.badRequest('continue key is not valid: illegal base64 data');
      }
      items = items.filter((o) => keyOf(o) > after);
    }
    const limit = Number(url.searchParams.get('limit') ?? 0);
    if (limit > 0 && items.length > limit) {
      meta.remainingItemCount = items.length - limit;
      items = items.slice(0, limit);
      meta.continue = Buffer.from(JSON.stringify({ v: 'meta.k8s.io/v1', rv: Number(rv), start: keyOf(items[items.length - 1]) })).toString('base64url');
    }
    if (wantsTable(accept)) {
      const t = toTable(route.def, items, this.o.now());
      t.metadata = meta;
      return new HttpReply(200, t);
    }
    const apiVersion = route.def.group ? `${route.def.group}/${route.def.version}` : 'v1';
    return new HttpReply(200, { kind: route.def.listKind, apiVersion, metadata: meta, items: items.map((o) => this.asServed(route.def, o)) });
  }

  // ---- writes ------------------------------------------------------------------------------------------------

  private apiVersion(def: ResourceDef): string {
    return def.group ? `${def.group}/${def.version}` : def.version;
  }

  private checkKind(def: ResourceDef, obj: KObj): void {
    if (obj.kind && obj.kind !== def.kind) throw Errors.badRequest(`the API version in the data (${obj.apiVersion}) does not match the expected API version (${this.apiVersion(def)})`);
    obj.kind = def.kind;
    obj.apiVersion = this.apiVersion(def);
  }

  /** Decoding of custom resources: pruning, or 400 under fieldValidation=Strict, as the CRD handler does. */
  private decode(def: ResourceDef, obj: KObj, url: URL, headers: Record<string, string>): void {
    if (!def.custom || !def.schema) return;
    if (!isObject(obj.metadata)) throw Errors.badRequest('metadata must be an object');
    const unknown = prune(obj, def.schema);
    if (!unknown.length) return;
    const mode = (url.searchParams.get('fieldValidation') ?? 'Warn').toLowerCase();
    if (mode === 'strict') {
      throw Errors.badRequest(`${def.kind} in version "${def.version}" cannot be handled as a ${def.kind}: strict decoding error: ${unknown.map((u) => `unknown field "${u}"`).join(', ')}`);
    }
    if (mode === 'warn') headers['Warning'] = unknown.map((u) => `299 - "unknown field \\"${u}\\""`).join(', ');
  }

  private schemaCheck(def: ResourceDef, obj: KObj): void {
    if (!def.custom || !def.schema) return;
    const errs = validate(obj, def.schema);
    if (!obj.metadata.name) errs.unshift({ reason: 'FieldValueRequired', field: 'metadata.name', message: 'Required value: name or generateName is required' });
    if (errs.length) throw Errors.invalid(def.kind, def.group, obj.metadata.name ?? '', errs);
  }

  private create(route: Route, url: URL, body: string): HttpReply {
    const { def, namespace } = route;
    const headers: Record<string, string> = {};
    const obj = parseJson(body) as KObj;
    if (!isObject(obj)) throw Errors.badRequest('Object \'Kind\' is missing in \'' + body.slice(0, 100) + '\'');
    obj.metadata ??= {};
    this.checkKind(def, obj);
    if (def.namespaced) {
      if (obj.metadata.namespace && obj.metadata.namespace !== namespace) throw Errors.badRequest('the namespace of the provided object does not match the namespace sent on the request');
      obj.metadata.namespace = namespace;
      if (!this.o.store.raw('namespaces', undefined, namespace ?? '')) throw Errors.notFound({ group: '', plural: 'namespaces' }, namespace ?? '');
    }
    this.decode(def, obj, url, headers);
    if (!obj.metadata.name && obj.metadata.generateName) obj.metadata.name = obj.metadata.generateName + randomSuffix();
    if (!obj.metadata.name) throw Errors.invalid(def.kind, def.group, '', [{ reason: 'FieldValueRequired', field: 'metadata.name', message: 'Required value: name or generateName is required' }]);
    for (const k of ['uid', 'resourceVersion', 'creationTimestamp', 'deletionTimestamp'] as const) delete obj.metadata[k];
    if (def.status) delete obj.status;
    if (def.plural === 'pods') obj.status = { phase: 'Pending' };
    if (def.plural === 'namespaces') obj.status = { phase: 'Active' };
    if (def.custom || def.generation) obj.metadata.generation = 1;
    if (this.o.store.raw(def.storageKey, obj.metadata.namespace, obj.metadata.name)) throw Errors.alreadyExists(def, obj.metadata.name);
    let admitted = this.o.admission.mutate('CREATE', def, obj, undefined);
    this.schemaCheck(def, admitted);
    this.o.admission.validate('CREATE', def, admitted, undefined);
    if (isTrueDry(url)) {
      admitted = { ...admitted, metadata: { ...admitted.metadata, uid: randomUUIDish(), creationTimestamp: this.o.isoNow() } };
      return new HttpReply(201, admitted, headers);
    }
    try {
      return new HttpReply(201, this.asServed(def, this.o.store.create(def.storageKey, admitted)), headers);
    } catch (e) {
      if (e instanceof StoreConflict) throw Errors.alreadyExists(def, obj.metadata.name);
      throw e;
    }
  }

  private update(route: Route, url: URL, body: unknown, fromPatch = false): HttpReply {
    const { def, subresource } = route;
    const headers: Record<string, string> = {};
    const old = this.existing(route);
    if (!isObject(body)) throw Errors.badRequest('the body of the request is not a valid object');
    let obj = body as KObj;
    obj.metadata ??= {};
    if (subresource === 'scale') {
      const replicas = (obj.spec as { replicas?: unknown } | undefined)?.replicas;
      if (obj.metadata.resourceVersion && obj.metadata.resourceVersion !== old.metadata.resourceVersion) throw Errors.conflict(def, route.name ?? '');
      const next = deepCopy(old);
      (next.spec as Record<string, unknown>).replicas = replicas;
      obj = next;
    } else {
      if (obj.metadata.name && obj.metadata.name !== route.name) throw Errors.badRequest(`the name of the object (${obj.metadata.name}) does not match the name on the URL (${route.name})`);
      obj.metadata.name = route.name;
      obj.metadata.namespace = old.metadata.namespace;
      this.checkKind(def, obj);
      this.decode(def, obj, url, headers);
    }
    const rv = obj.metadata.resourceVersion;
    if (!rv && !fromPatch && def.custom && subresource !== 'scale') {
      throw Errors.invalid(def.kind, def.group, route.name ?? '', [{ reason: 'FieldValueInvalid', field: 'metadata.resourceVersion', message: 'Invalid value: 0x0: must be specified for an update' }]);
    }
    if (rv && rv !== old.metadata.resourceVersion) throw Errors.conflict(def, route.name ?? '');
    if (this.o.faults.firstWriteConflict(`${def.storageKey}/${old.metadata.namespace}/${old.metadata.name}`)) throw Errors.conflict(def, route.name ?? '');

    // What each endpoint may change: the status endpoint only status (pods: plus labels/annotations, which
    // kruise-daemon relies on), the main endpoint everything but status.
    let next: KObj;
    if (subresource === 'status') {
      next = { ...old, metadata: { ...old.metadata }, status: obj.status };
      if (def.plural === 'pods') next.metadata = { ...old.metadata, labels: obj.metadata.labels, annotations: obj.metadata.annotations };
    } else {
      next = { ...obj, metadata: { ...obj.metadata } };
      if (def.status) next.status = old.status;
      if (def.plural === 'pods') next.spec = mergePodSpec(old.spec, obj.spec);
    }
    next.metadata.uid = old.metadata.uid;
    next.metadata.creationTimestamp = old.metadata.creationTimestamp;
    next.metadata.deletionTimestamp = old.metadata.deletionTimestamp;
    next.metadata.generation = old.metadata.generation;
    if (!next.metadata.deletionTimestamp) delete next.metadata.deletionTimestamp;
    if (next.metadata.generation === undefined) delete next.metadata.generation;
    delete next.metadata.resourceVersion;

    if (subresource !== 'status' && subresource !== 'scale') next = this.o.admission.mutate('UPDATE', def, next, old);
    if ((def.custom || def.generation) && !specEqual(old, next)) next.metadata.generation = (old.metadata.generation ?? 0) + 1;
    this.schemaCheck(def, next);
    if (subresource !== 'status' && subresource !== 'scale') this.o.admission.validate('UPDATE', def, next, old);

    const sameAsStored = deepEqual({ ...next, metadata: { ...next.metadata, resourceVersion: old.metadata.resourceVersion } }, old);
    const reply = (o: KObj) => (subresource === 'scale' ? this.scaleOf(def, o) : this.asServed(def, o));
    if (sameAsStored || isTrueDry(url)) return new HttpReply(200, reply(sameAsStored ? old : next), headers);
    return new HttpReply(200, reply(this.o.store.replace(def.storageKey, next)), headers);
  }

  private patch(route: Route, url: URL, body: string, contentType: string): HttpReply {
    const { def } = route;
    const ct = contentType.split(';')[0].trim();
    const old = this.existing(route);
    const base: unknown = route.subresource === 'scale' ? this.scaleOf(def, old) : old;
    let patched: unknown;
    try {
      if (ct === 'application/merge-patch+json') patched = mergePatch(base, parseJson(body));
      else if (ct === 'application/json-patch+json') patched = jsonPatch(base, parseJson(body));
      else if (ct === 'application/strategic-merge-patch+json' && !def.custom) patched = strategicMergePatch(base, parseJson(body));
      else {
        const accepted = ['application/json-patch+json', 'application/merge-patch+json'];
        if (!def.custom) accepted.push('application/strategic-merge-patch+json');
        throw Errors.unsupportedMediaType(accepted);
      }
    } catch (e) {
      if (e instanceof PatchError) throw Errors.patchRejected(e.message);
      throw e;
    }
    return this.update(route, url, patched, true);
  }

  private remove(route: Route, url: URL, body: string): HttpReply {
    const { def } = route;
    const old = this.existing(route);
    const opts = body ? (parseJson(body) as { preconditions?: { uid?: string; resourceVersion?: string } }) : {};
    const pre = opts?.preconditions;
    if (pre?.uid && pre.uid !== old.metadata.uid) {
      throw new ApiError({ ...Errors.conflict(def, route.name ?? '').status, message: `Precondition failed: UID in precondition: ${pre.uid}, UID in object meta: ${old.metadata.uid}` });
    }
    if (pre?.resourceVersion && pre.resourceVersion !== old.metadata.resourceVersion) {
      throw new ApiError({ ...Errors.conflict(def, route.name ?? '').status, message: `Precondition failed: ResourceVersion in precondition: ${pre.resourceVersion}, ResourceVersion in object meta: ${old.metadata.resourceVersion}` });
    }
    if (this.o.faults.firstWriteConflict(`${def.storageKey}/${old.metadata.namespace}/${old.metadata.name}`)) throw Errors.conflict(def, route.name ?? '');
    if (isTrueDry(url)) return new HttpReply(200, old);
    if (def.plural === 'namespaces') {
      for (const d of this.o.registry.defs) {
        if (!d.namespaced) continue;
        for (const o of this.o.store.rawList(d.storageKey, old.metadata.name)) this.o.store.delete(d.storageKey, o.metadata.namespace, o.metadata.name ?? '');
      }
    }
    const gone = this.o.store.delete(def.storageKey, old.metadata.namespace, old.metadata.name ?? '');
    return new HttpReply(200, gone ?? old);
  }

  private removeCollection(route: Route, url: URL): HttpReply {
    const match = this.matcher(route, url);
    const victims = this.o.store.rawList(route.def.storageKey, route.namespace, match);
    const dry = isTrueDry(url);
    const items = victims.map((o) => (dry ? o : this.o.store.delete(route.def.storageKey, o.metadata.namespace, o.metadata.name ?? '') ?? o));
    return new HttpReply(200, { kind: route.def.listKind, apiVersion: this.apiVersion(route.def), metadata: { resourceVersion: String(this.o.store.currentRV()) }, items });
  }

  private ssrr(rules: RbacRule[], body: string): HttpReply {
    const review = parseJson(body) as { spec?: { namespace?: string } };
    return new HttpReply(201, {
      kind: 'SelfSubjectRulesReview',
      apiVersion: 'authorization.k8s.io/v1',
      metadata: { creationTimestamp: null },
      spec: review?.spec ?? {},
      status: {
        resourceRules: rules.map((r) => ({ verbs: r.verbs, apiGroups: r.apiGroups, resources: r.resources })),
        nonResourceRules: [],
        incomplete: false,
      },
    });
  }

  private ssar(rules: RbacRule[], body: string): HttpReply {
    const review = parseJson(body) as { spec?: { resourceAttributes?: { namespace?: string; verb?: string; group?: string; resource?: string; subresource?: string; name?: string }; nonResourceAttributes?: unknown } };
    const ra = review?.spec?.resourceAttributes;
    let allowed = false;
    if (ra) {
      const resource = ra.subresource ? `${ra.resource}/${ra.subresource}` : ra.resource ?? '';
      allowed = this.allowed(rules, ra.verb ?? '', ra.group ?? '', resource);
    } else if (review?.spec?.nonResourceAttributes) allowed = true;
    return new HttpReply(201, {
      kind: 'SelfSubjectAccessReview',
      apiVersion: 'authorization.k8s.io/v1',
      metadata: { creationTimestamp: null },
      spec: review?.spec ?? {},
      status: allowed ? { allowed: true, reason: 'RBAC: allowed by emulated role' } : { allowed: false },
    });
  }

  // ---- watch -------------------------------------------------------------------------------------------------

  private watch(req: IncomingMessage, res: ServerResponse, url: URL, route: Route): void {
    const { def } = route;
    const match = this.matcher(route, url);
    const table = wantsTable(req.headers.accept);
    const apiVersion = this.apiVersion(def);
    const rvParam = url.searchParams.get('resourceVersion') ?? '';
    const bookmarks = isTrue(url.searchParams.get('allowWatchBookmarks'));
    const timeout = Number(url.searchParams.get('timeoutSeconds') ?? 0);
    const dropAfter = this.o.faults.dropWatchAfter;
    res.writeHead(200, { 'Content-Type': 'application/json', 'Transfer-Encoding': 'chunked', 'Cache-Control': 'no-cache, private' });
    res.flushHeaders();

    let sent = 0;
    let first = true;
    let closed = false;
    const encoded = new WeakMap<KObj, string>();
    const write = (type: string, obj: KObj | Status | object, counts = true) => {
      if (closed) return;
      let payload: string;
      if (table && type !== 'ERROR' && type !== 'BOOKMARK') {
        payload = JSON.stringify(toTable(def, [obj as KObj], this.o.now(), first));
        first = false;
      } else if (isObject(obj) && 'metadata' in obj && type !== 'BOOKMARK') {
        const k = obj as KObj;
        payload = encoded.get(k) ?? JSON.stringify(this.asServed(def, k));
        encoded.set(k, payload);
      } else payload = JSON.stringify(obj);
      res.write(`{"type":"${type}","object":${payload}}\n`);
      if (counts) {
        sent++;
        if (dropAfter !== undefined && sent >= dropAfter) close();
      }
    };
    const close = () => {
      if (closed) return;
      closed = true;
      unsubscribe();
      clearInterval(bm);
      clearTimeout(to);
      this.closers.delete(close);
      res.end();
    };
    const onEvent = (e: StoreEvent) => {
      if (e.resource !== def.storageKey) return;
      const now = match(e.object);
      const before = e.prev ? match(e.prev) : false;
      if (e.type === 'ADDED' && now) write('ADDED', e.object);
      else if (e.type === 'DELETED' && (before || now)) write('DELETED', e.object);
      else if (e.type === 'MODIFIED') {
        if (now && before) write('MODIFIED', e.object);
        else if (now) write('ADDED', e.object);
        else if (before) write('DELETED', e.object);
      }
    };
    let unsubscribe: () => void = () => {};
    let bm: ReturnType<typeof setInterval> | undefined;
    let to: ReturnType<typeof setTimeout> | undefined;
    this.closers.add(close);
    req.on('close', close);
    res.on('error', close);

    if (rvParam && rvParam !== '0') {
      const rv = Number(rvParam);
      if (this.o.faults.takeGoneOnResume() || !(rv >= this.o.store.compactedRV())) {
        write('ERROR', { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: `too old resource version: ${rvParam} (${this.o.store.compactedRV() + 1})`, reason: 'Expired', code: 410 });
        return close();
      }
      for (const e of this.o.store.eventsSince(rv)) onEvent(e);
    } else {
      for (const o of this.o.store.rawList(def.storageKey, route.namespace, match)) write('ADDED', o);
      if (bookmarks && isTrue(url.searchParams.get('sendInitialEvents'))) {
        write('BOOKMARK', { kind: def.kind, apiVersion, metadata: { resourceVersion: String(this.o.store.currentRV()), annotations: { 'k8s.io/initial-events-end': 'true' } } }, false);
      }
    }
    if (closed) return;
    unsubscribe = this.o.store.subscribe(onEvent);
    if (bookmarks) bm = setInterval(() => write('BOOKMARK', { kind: def.kind, apiVersion, metadata: { resourceVersion: String(this.o.store.currentRV()) } }, false), this.bookmarkIntervalMs);
    if (timeout > 0) to = setTimeout(close, timeout * 1000);
  }
}

// ---- helpers -------------------------------------------------------------------------------------------------

/**
 * The slice of the core/v1 OpenAPI v3 document kubectl reads to learn that the server validates fields itself
 * (PATCH operations with a `fieldValidation` query parameter). For custom resources kubectl checks Namespace's entry.
 * Without it kubectl falls back to client-side validation and needs /openapi/v2, which the emulator does not serve.
 */
function openApiV3(defs: ResourceDef[]) {
  const paths: Record<string, unknown> = {};
  for (const d of defs) {
    if (!d.verbs.includes('patch')) continue;
    const prefix = d.group ? `/apis/${d.group}/${d.version}` : '/api/v1';
    paths[`${prefix}${d.namespaced ? '/namespaces/{namespace}' : ''}/${d.plural}/{name}`] = {
      patch: {
        parameters: [{ name: 'fieldValidation', in: 'query', schema: { type: 'string', uniqueItems: true } }],
        responses: {},
        'x-kubernetes-action': 'patch',
        'x-kubernetes-group-version-kind': { group: d.group, version: d.version, kind: d.kind },
      },
    };
  }
  return { openapi: '3.0.0', info: { title: 'Kubernetes', version: 'v1.32.0' }, paths, components: { schemas: {} } };
}

function specEqual(a: KObj, b: KObj): boolean {
  const strip = (o: KObj) => {
    const { metadata: _m, status: _s, ...rest } = o;
    return rest;
  };
  return deepEqual(strip(a), strip(b));
}

/** Pods: like kube-apiserver, most of the spec is immutable after creation; images (and a few fields) may change. */
function mergePodSpec(old: unknown, next: unknown): unknown {
  if (!isObject(old) || !isObject(next)) return old;
  const ops = diff(old, next);
  const allowed = ops.every((op) => /^\/(containers|initContainers)\/\d+\/image$/.test(op.path) || /^\/(activeDeadlineSeconds|tolerations)/.test(op.path));
  if (!allowed) {
    throw Errors.invalid('Pod', '', '', [{ reason: 'FieldValueForbidden', field: 'spec', message: 'Forbidden: pod updates may not change fields other than `spec.containers[*].image`,`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)' }]);
  }
  return next;
}

function isTrue(v: string | null): boolean {
  return v === '1' || v === 'true';
}
function isTrueDry(url: URL): boolean {
  return url.searchParams.getAll('dryRun').includes('All');
}

function randomUUIDish(): string {
  return randomBytes(16).toString('hex').replace(/^(.{8})(.{4})(.{4})(.{4})(.{12})$/, '$1-$2-$3-$4-$5');
}

function parseJson(body: string): unknown {
  try {
    return JSON.parse(body);
  } catch (e) {
    throw Errors.badRequest(`error decoding request body: ${(e as Error).message}`);
  }
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
