// The plugin path of ./credentials: @kubernetes/client-node's KubeConfig runs the kubeconfig's exec plugin,
// auth-provider (OIDC, cloud, token file) or proxy. A bundle of its own in the build, loaded only when a kubeconfig
// needs it.
import { Agent as HttpsAgent } from 'node:https';
import type { Agent as HttpAgent } from 'node:http';
import { KubeConfig } from '@kubernetes/client-node';
import { applyImpersonation, sameTls, type Credentials, type Impersonation, type RequestHeaders } from './credentials';
import type { KubeconfigFile } from './kubeconfig';

/** node-fetch's Headers, as the library returns them (the package is the library's, not ours). */
interface LibraryHeaders {
  forEach(callback: (value: string, name: string) => void): void;
}

export function pluginCredentials(config: KubeconfigFile, as: Impersonation): Credentials {
  const kc = new KubeConfig();
  kc.loadFromOptions({ ...config, currentContext: config.currentContext ?? '' });
  let agent: HttpsAgent | undefined;
  return {
    path: 'plugin',
    async forRequest() {
      const init = await kc.applyToFetchOptions({});
      const headers: RequestHeaders = {};
      (init.headers as unknown as LibraryHeaders).forEach((value, name) => (headers[name.toLowerCase()] = value));
      // The library makes a new agent for every request, without keep-alive: each request would pay a TCP connection
      // and a TLS handshake (~10 ms of CPU here and on the API server), which a paced crr run does hundreds of times.
      // One agent per TLS identity keeps the connections; credentials travel in headers, set fresh on every request.
      // A proxy's agent is the library's own, used as it comes.
      let use = init.agent as HttpAgent;
      if (use instanceof HttpsAgent && !kc.getCurrentCluster()?.proxyUrl) {
        if (!agent || !sameTls(agent.options, use.options)) agent = new HttpsAgent({ ...use.options, keepAlive: true });
        use = agent;
      }
      return { headers: applyImpersonation(headers, as), agent: use };
    },
  };
}
