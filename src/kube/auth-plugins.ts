// The plugin path of ./credentials: @kubernetes/client-node's KubeConfig runs the kubeconfig's exec plugin,
// auth-provider (OIDC, cloud, token file) or proxy. A bundle of its own in the build, loaded only when a kubeconfig
// needs it.
import { Agent as HttpsAgent } from 'node:https';
import type { Agent as HttpAgent } from 'node:http';
import { KubeConfig } from '@kubernetes/client-node';
import { applyImpersonation, currentClusterAndUser, sameTls, type Credentials, type Impersonation, type RequestHeaders } from './credentials';
import { execCredentialSource, type ExecConfig } from './exec-credential';
import type { KubeconfigFile } from './kubeconfig';

/** node-fetch's Headers, as the library returns them (the package is the library's, not ours). */
interface LibraryHeaders {
  forEach(callback: (value: string, name: string) => void): void;
}

export function pluginCredentials(config: KubeconfigFile, as: Impersonation): Credentials {
  const kc = new KubeConfig();
  // An exec plugin is run by ./exec-credential (the library would drop its exit code): the library gets the user
  // without it, for everything else (the cluster's TLS, a proxy).
  const { user } = currentClusterAndUser(config);
  const exec = user?.exec as ExecConfig | undefined;
  const users = exec ? config.users.map((u) => (u === user ? { ...u, exec: undefined } : u)) : config.users;
  kc.loadFromOptions({ ...config, users, currentContext: config.currentContext ?? '' });
  const execCredential = exec && user ? execCredentialSource(user.name, exec, { stdinIsTTY: Boolean(process.stdin.isTTY), env: process.env }) : undefined;
  let agent: HttpsAgent | undefined;
  return {
    path: 'plugin',
    async forRequest() {
      const credential = await execCredential?.();
      const init = await kc.applyToFetchOptions({});
      const headers: RequestHeaders = {};
      (init.headers as unknown as LibraryHeaders).forEach((value, name) => (headers[name.toLowerCase()] = value));
      if (credential?.token) headers.authorization = `Bearer ${credential.token}`;
      // The library makes a new agent for every request, without keep-alive: each request would pay a TCP connection
      // and a TLS handshake (~10 ms of CPU here and on the API server), which a paced crr run does hundreds of times.
      // One agent per TLS identity keeps the connections; credentials travel in headers, set fresh on every request.
      // A proxy's agent is the library's own, used as it comes.
      let use = init.agent as HttpAgent;
      if (use instanceof HttpsAgent && !kc.getCurrentCluster()?.proxyUrl) {
        const tls = credential?.clientCertificateData ? { ...use.options, cert: credential.clientCertificateData, key: credential.clientKeyData } : use.options;
        if (!agent || !sameTls(agent.options, tls)) agent = new HttpsAgent({ ...tls, keepAlive: true });
        use = agent;
      }
      return { headers: applyImpersonation(headers, as), agent: use };
    },
  };
}
