// Reads kubeconfig files into @kubernetes/client-node's own Cluster, User and Context shapes, field for field as its
// KubeConfig.loadFromFile does (kube-config.test.ts compares the two on every field), without loading the library:
// its entry module pulls in the exec, OIDC, cloud and proxy authenticators, which most kubeconfigs never need.
import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, join } from 'node:path';
import type { Cluster, Context, User } from '@kubernetes/client-node';
import yaml from 'js-yaml';

export type { Cluster, Context, User };

export interface KubeconfigFile {
  clusters: Cluster[];
  users: User[];
  contexts: Context[];
  currentContext: string | undefined;
}

type Entry = Record<string, unknown> & { name?: string };

function entries(value: unknown): Entry[] {
  return Array.isArray(value) ? (value as Entry[]) : [];
}

/** Relative certificate paths are relative to the kubeconfig file, as in kubectl. */
function besideFile(file: string, path: unknown): string | undefined {
  if (typeof path !== 'string' || !path) return path as string | undefined;
  return isAbsolute(path) ? path : join(dirname(file), path);
}

function section(entry: Entry, key: string): Record<string, unknown> | undefined {
  return entry[key] as Record<string, unknown> | undefined;
}

/** Throws the library's own messages ("clusters[0].cluster.server is missing"): they name the entry to fix. */
export function parseKubeconfig(file: string, text: string): KubeconfigFile {
  const doc = yaml.load(text) as Record<string, unknown>;
  const clusters = entries(doc.clusters).map((entry, i): Cluster => {
    const cluster = section(entry, 'cluster');
    if (!entry.name) throw new Error(`clusters[${i}].name is missing`);
    if (!cluster) throw new Error(`clusters[${i}].cluster is missing`);
    if (!cluster.server) throw new Error(`clusters[${i}].cluster.server is missing`);
    return {
      caData: cluster['certificate-authority-data'] as string | undefined,
      caFile: besideFile(file, cluster['certificate-authority']),
      name: entry.name,
      server: String(cluster.server).replace(/\/$/, ''),
      skipTLSVerify: cluster['insecure-skip-tls-verify'] === true,
      tlsServerName: cluster['tls-server-name'] as string | undefined,
      proxyUrl: cluster['proxy-url'] as string | undefined,
    };
  });
  const users = entries(doc.users).map((entry, i): User => {
    if (!entry.name) throw new Error(`users[${i}].name is missing`);
    const user = section(entry, 'user');
    // The library reads what a user entry lacks as null, not undefined; kept so both paths see the same objects.
    const field = (key: string) => (user ? user[key] : null) as string | undefined;
    return {
      authProvider: field('auth-provider'),
      certData: field('client-certificate-data'),
      certFile: besideFile(file, field('client-certificate')),
      exec: field('exec'),
      keyData: field('client-key-data'),
      keyFile: besideFile(file, field('client-key')),
      name: entry.name,
      // A token file is read once, as the library does: relative to the working directory.
      token: user?.token ? (user.token as string) : user?.['token-file'] ? readFileSync(String(user['token-file'])).toString() : undefined,
      password: field('password'),
      username: field('username'),
      impersonateUser: field('as'),
    };
  });
  const contexts = entries(doc.contexts).map((entry, i): Context => {
    const context = section(entry, 'context');
    if (!entry.name) throw new Error(`contexts[${i}].name is missing`);
    if (!context) throw new Error(`contexts[${i}].context is missing`);
    if (!context.cluster) throw new Error(`contexts[${i}].context.cluster is missing`);
    return {
      cluster: context.cluster as string,
      name: entry.name,
      user: (context.user as string) || (undefined as unknown as string),
      namespace: (context.namespace as string) || undefined,
    };
  });
  return { clusters, users, contexts, currentContext: doc['current-context'] as string | undefined };
}

export function readKubeconfig(file: string): KubeconfigFile {
  return parseKubeconfig(file, readFileSync(file).toString('utf-8'));
}
