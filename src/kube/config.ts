import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, join } from 'node:path';
import { UsageError, FailedError } from '../errors';
import { currentClusterAndUser, lightCredentials, pluginNeed, type Credentials, type Impersonation } from './credentials';
import { readKubeconfig, type Cluster, type Context, type KubeconfigFile, type User } from './kubeconfig';

/** The connection flags every kubectl user already knows. */
export interface ConnectionFlags {
  kubeconfig?: string;
  context?: string;
  cluster?: string;
  user?: string;
  namespace?: string;
  requestTimeout?: string;
  as?: string;
  asGroup?: string[];
}

export interface Connection {
  credentials: Credentials;
  server: string;
  context: string;
  userName: string;
  namespace: string;
  /** Per request, watches excluded. */
  requestTimeoutMs: number;
}

/** kubectl's own default is "no timeout"; a restart tool that hangs forever on a dead VPN helps nobody. */
export const DEFAULT_REQUEST_TIMEOUT_MS = 30_000;

/** kubectl's `--request-timeout` syntax: a bare integer is seconds; otherwise a Go duration such as 500ms, 10s, 1m30s. */
export function parseDuration(text: string, flag: string): number {
  const trimmed = text.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  const unitMs: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
  const parts = [...trimmed.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h)/g)];
  if (parts.length === 0 || parts.map((p) => p[0]).join('') !== trimmed) {
    throw new UsageError(`invalid ${flag} "${text}"`, 'use a duration such as 30s, 2m or 1h (a bare number means seconds)');
  }
  return parts.reduce((sum, p) => sum + Number(p[1]) * unitMs[p[2]], 0);
}

/**
 * The client library's authenticators (exec plugins, auth-providers, proxies) live in a bundle of their own, loaded
 * at the first request of a kubeconfig that needs them.
 */
function pluginCredentials(config: KubeconfigFile, as: Impersonation): Credentials {
  let loaded: Promise<Credentials> | undefined;
  return {
    path: 'plugin',
    async forRequest() {
      loaded ??= import('./auth-plugins').then((plugins) => plugins.pluginCredentials(config, as));
      return (await loaded).forRequest();
    },
  };
}

/** The light path when it serves this kubeconfig's cluster and user, the client library's otherwise. */
export function credentialsFor(config: KubeconfigFile, as: Impersonation): Credentials {
  const { cluster, user } = currentClusterAndUser(config);
  return pluginNeed(cluster, user) ? pluginCredentials(config, as) : lightCredentials(cluster, user, as);
}

function kubeconfigFiles(flags: ConnectionFlags, env: NodeJS.ProcessEnv): string[] {
  if (flags.kubeconfig) {
    if (!existsSync(flags.kubeconfig)) {
      throw new UsageError(`kubeconfig file "${flags.kubeconfig}" does not exist`, 'check the --kubeconfig path');
    }
    return [flags.kubeconfig];
  }
  if (env.KUBECONFIG) {
    // Like kubectl: missing files in KUBECONFIG are ignored, earlier files win.
    const files = env.KUBECONFIG.split(delimiter).filter((f) => f && existsSync(f));
    if (files.length === 0) {
      throw new UsageError(`none of the files in KUBECONFIG exist (${env.KUBECONFIG})`, 'fix KUBECONFIG or pass --kubeconfig');
    }
    return files;
  }
  const home = join(env.HOME || homedir(), '.kube', 'config');
  if (!existsSync(home)) {
    throw new UsageError('no kubeconfig found', 'set KUBECONFIG, pass --kubeconfig, or create ~/.kube/config');
  }
  return [home];
}

function firstByName<T extends { name: string }>(lists: T[][]): T[] {
  const seen = new Map<string, T>();
  for (const item of lists.flat()) if (!seen.has(item.name)) seen.set(item.name, item);
  return [...seen.values()];
}

function loadMerged(files: string[]): { clusters: Cluster[]; users: User[]; contexts: Context[]; currentContext: string } {
  const loaded = files.map((file) => {
    try {
      return readKubeconfig(file);
    } catch (err) {
      const why = err instanceof Error ? err.message.split('\n')[0] : String(err);
      throw new UsageError(`cannot read kubeconfig "${file}": ${why}`, 'fix the file or point --kubeconfig at a valid one');
    }
  });
  return {
    clusters: firstByName(loaded.map((kc) => kc.clusters)),
    users: firstByName(loaded.map((kc) => kc.users)),
    contexts: firstByName(loaded.map((kc) => kc.contexts)),
    currentContext: loaded.map((kc) => kc.currentContext).find((c) => c) ?? '',
  };
}

export function loadConnection(flags: ConnectionFlags, env: NodeJS.ProcessEnv = process.env): Connection {
  const requestTimeoutMs =
    flags.requestTimeout === undefined ? DEFAULT_REQUEST_TIMEOUT_MS : parseDuration(flags.requestTimeout, '--request-timeout');
  const merged = loadMerged(kubeconfigFiles(flags, env));

  const contextName = flags.context ?? merged.currentContext;
  let context = merged.contexts.find((c) => c.name === contextName);
  if (flags.context && !context) {
    throw new UsageError(
      `context "${flags.context}" does not exist in the kubeconfig`,
      `pick one of: ${merged.contexts.map((c) => c.name).join(', ') || '(none)'}`,
    );
  }
  if (!context && !(flags.cluster && flags.user)) {
    throw new UsageError('the kubeconfig has no current context', 'pass --context, or set one with kubectl config use-context');
  }
  const clusterName = flags.cluster ?? context?.cluster ?? '';
  const userName = flags.user ?? context?.user ?? '';
  if (!merged.clusters.some((c) => c.name === clusterName)) {
    throw new UsageError(`cluster "${clusterName}" does not exist in the kubeconfig`, 'check --cluster or the context');
  }
  if (userName && !merged.users.some((u) => u.name === userName)) {
    throw new UsageError(`user "${userName}" does not exist in the kubeconfig`, 'check --user or the context');
  }
  context = { ...(context ?? { name: 'kruise-restart' }), cluster: clusterName, user: userName };

  const config: KubeconfigFile = {
    clusters: merged.clusters,
    users: merged.users,
    contexts: [context, ...merged.contexts.filter((c) => c.name !== context.name)],
    currentContext: context.name,
  };
  const server = currentClusterAndUser(config).cluster?.server;
  if (!server) throw new FailedError(`cluster "${clusterName}" has no server address`, 'fix the kubeconfig');
  return {
    credentials: credentialsFor(config, { user: flags.as, groups: flags.asGroup ?? [] }),
    server: server.replace(/\/+$/, ''),
    context: context.name,
    userName,
    namespace: flags.namespace || context.namespace || 'default',
    requestTimeoutMs,
  };
}

/** Context, cluster and user names of the merged kubeconfig, for shell completion. */
export function kubeconfigNames(flags: ConnectionFlags, env: NodeJS.ProcessEnv = process.env): { contexts: string[]; clusters: string[]; users: string[] } {
  const merged = loadMerged(kubeconfigFiles(flags, env));
  const names = (items: { name: string }[]) => items.map((i) => i.name);
  return { contexts: names(merged.contexts), clusters: names(merged.clusters), users: names(merged.users) };
}
