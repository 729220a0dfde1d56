// How each request proves who it is: headers and a TLS identity, from the kubeconfig's cluster and user.
//
// Tokens, client certificates and basic auth are handled here (the light path). Exec plugins, auth-providers
// (OIDC, cloud, token files), proxies and plain-HTTP servers go through @kubernetes/client-node's KubeConfig, kept in a
// bundle of its own and loaded only for them (the plugin path, ./auth-plugins): loading it costs ~100 ms at every
// start. Both paths give the very same headers and TLS options for the kubeconfigs the light one takes
// (kube-config.test.ts checks each kind of credential both ways).
import { readFileSync } from 'node:fs';
import type { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent, type AgentOptions } from 'node:https';
import type { Cluster, KubeconfigFile, User } from './kubeconfig';

/** Header names in lower case; a list is sent as repeated header lines. */
export type RequestHeaders = Record<string, string | string[]>;

export interface RequestAuth {
  headers: RequestHeaders;
  agent: HttpAgent;
}

export interface Credentials {
  /** `light`: built here; `plugin`: through the client library's authenticators. */
  readonly path: 'light' | 'plugin';
  /** Fresh for each request: an exec plugin or OIDC may renew its token between two. */
  forRequest(): Promise<RequestAuth>;
}

/** --as and --as-group: sent on every request, watches included, over whatever the kubeconfig says. */
export interface Impersonation {
  user?: string;
  groups: string[];
}

/** Why a kubeconfig needs the client library's authenticators, or undefined when the light path serves it. */
export function pluginNeed(cluster: Cluster | undefined, user: User | undefined): string | undefined {
  if (user?.exec) return 'an exec plugin';
  if (user?.authProvider) return 'an auth-provider';
  if (cluster?.proxyUrl) return 'a proxy';
  if (cluster?.server.startsWith('http:')) return 'plain HTTP';
  return undefined;
}

/** The TLS fields a connection is made with: two agents with equal ones can share connections. */
export const TLS_FIELDS = ['ca', 'cert', 'key', 'pfx', 'passphrase', 'rejectUnauthorized', 'servername'] as const;

export function sameTls(a: AgentOptions, b: AgentOptions): boolean {
  return TLS_FIELDS.every((field) => {
    const x = a[field] as unknown;
    const y = b[field] as unknown;
    return x === y || (Buffer.isBuffer(x) && Buffer.isBuffer(y) && x.equals(y));
  });
}

function fileOrData(file: string | undefined | null, data: string | undefined | null): Buffer | undefined {
  if (file) return readFileSync(file);
  if (data) return Buffer.from(data, 'base64');
  return undefined;
}

export function applyImpersonation(headers: RequestHeaders, as: Impersonation): RequestHeaders {
  if (as.user) headers['impersonate-user'] = as.user;
  if (as.groups.length) headers['impersonate-group'] = [...as.groups];
  return headers;
}

/** Token, client certificate, basic auth or none; TLS from the cluster entry. Files are read at the first request. */
export function lightCredentials(cluster: Cluster | undefined, user: User | undefined, as: Impersonation): Credentials {
  let agent: HttpsAgent | undefined;
  return {
    path: 'light',
    async forRequest() {
      const headers: RequestHeaders = {};
      // The library applies nothing, not even the cluster's CA, to a context without a user: the same here.
      if (user) {
        if (!agent) {
          const tls: AgentOptions = {};
          if (cluster?.skipTLSVerify) tls.rejectUnauthorized = false;
          if (cluster?.tlsServerName) tls.servername = cluster.tlsServerName;
          const ca = cluster && fileOrData(cluster.caFile, cluster.caData);
          if (ca) tls.ca = ca;
          const cert = fileOrData(user.certFile, user.certData);
          if (cert) tls.cert = cert;
          const key = fileOrData(user.keyFile, user.keyData);
          if (key) tls.key = key;
          agent = new HttpsAgent({ ...tls, keepAlive: true });
        }
        if (user.impersonateUser != null) headers['impersonate-user'] = user.impersonateUser;
        if (user.token) headers.authorization = `Bearer ${user.token}`;
        // Basic wins over a token when a user entry has both, as in the library.
        if (user.username) headers.authorization = `Basic ${Buffer.from(`${user.username}:${user.password}`).toString('base64')}`;
      }
      agent ??= new HttpsAgent({ keepAlive: true });
      return { headers: applyImpersonation(headers, as), agent };
    },
  };
}

/** The current context's cluster and user of a loaded kubeconfig, as the library looks them up. */
export function currentClusterAndUser(config: KubeconfigFile): { cluster: Cluster | undefined; user: User | undefined } {
  const context = config.contexts.find((c) => c.name === config.currentContext);
  return {
    cluster: context ? config.clusters.find((c) => c.name === context.cluster) : undefined,
    user: context ? config.users.find((u) => u.name === context.user) : undefined,
  };
}
