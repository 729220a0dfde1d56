import { FailedError } from '../cli/errors';
import type { KubeClient } from './client';

export interface Permission {
  verb: string;
  group: string;
  resource: string;
}

interface AccessReview {
  status?: { allowed?: boolean; denied?: boolean; reason?: string };
}

export function describePermission(p: Permission): string {
  return `${p.verb} ${p.group ? `${p.resource}.${p.group}` : p.resource}`;
}

/**
 * Asks the API server, before anything is written, whether the user may do everything the command will need, so a
 * half-permitted user is told everything at once instead of failing halfway through a restart.
 */
export async function requirePermissions(client: KubeClient, namespace: string, needed: Permission[]): Promise<void> {
  const answers = await Promise.all(
    needed.map((p) =>
      client.create<AccessReview>('/apis/authorization.k8s.io/v1/selfsubjectaccessreviews', {
        apiVersion: 'authorization.k8s.io/v1',
        kind: 'SelfSubjectAccessReview',
        spec: { resourceAttributes: { namespace, verb: p.verb, group: p.group, resource: p.resource } },
      }),
    ),
  );
  const missing = needed.filter((_, i) => answers[i]?.status?.allowed !== true);
  if (missing.length > 0) {
    throw new FailedError(
      `you are not allowed to ${missing.map(describePermission).join(', ')} in namespace "${namespace}"; nothing was changed`,
      'ask a cluster admin for the role in the README (section RBAC)',
    );
  }
}
