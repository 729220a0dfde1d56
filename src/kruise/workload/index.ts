// The kinds of workload the plugin restarts in place. One implementation per kind; the rest of the domain asks the
// interface, never the kind.

import { CLONESET } from './cloneset';
import type { InPlaceWorkload } from './in-place-workload';

export { CLONESET } from './cloneset';
export { subjectOf } from './in-place-workload';
export type { InPlaceWorkload, RolloutSettings, SettingFields, TemplateChangeHandling, WorkloadObject, WorkloadResource } from './in-place-workload';

export const IN_PLACE_WORKLOADS: readonly InPlaceWorkload[] = [CLONESET];

/** The kind by its API kind (`CloneSet`), or undefined when the plugin does not restart that kind. */
export function workloadByKind(kind: string): InPlaceWorkload | undefined {
  return IN_PLACE_WORKLOADS.find((w) => w.resource.kind === kind);
}
