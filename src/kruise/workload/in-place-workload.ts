// What differs between the kinds of workload Kruise restarts in place (CloneSet today; Advanced StatefulSet and
// Advanced DaemonSet next): where the pod template and the strategy live, how the budget and the partition resolve,
// and when the workload's own status says a rollout is over. Everything else (the trigger, the per-pod verdicts, CRR
// pacing) is the same for every kind and never asks which kind it has.

import type { LabelSelector, ObjectMeta, Pod, PodTemplate } from '../types';

/** Where a kind lives on the API server, and the words kubectl users type for it. */
export interface WorkloadResource {
  kind: string;
  group: string;
  /** The version the plugin reads and writes (Kruise v1.9's preferred version does not serve every kind). */
  version: string;
  plural: string;
  singular: string;
  shortNames: readonly string[];
}

/** The parts of any Kruise workload object the plugin reads without knowing its kind. */
export interface WorkloadObject {
  apiVersion?: string;
  kind?: string;
  metadata: ObjectMeta;
  spec: { selector: LabelSelector; template: PodTemplate; [field: string]: unknown };
  status?: object;
}

/**
 * What the kind's update strategy does with a change of the pod template's metadata (the trigger annotation):
 * restart the containers that read it in place, or refuse anything but in place changes of that kind, recreate the
 * pods, or nothing until a pod is deleted by hand.
 */
export type TemplateChangeHandling = 'in-place' | 'in-place-only' | 'recreate' | 'on-delete';

/** One workload's rollout settings, resolved exactly as its controller resolves them. Counts are pods. */
export interface RolloutSettings {
  /** The strategy in the kind's own words (`InPlaceIfPossible`), as the user would look for it in the spec. */
  strategy: string;
  handling: TemplateChangeHandling;
  /** Pods the workload wants (a CloneSet's spec.replicas). */
  desired: number;
  /** The unavailability budget the controller updates pods within. */
  maxUnavailable: number;
  /** Extra pods the controller may create during an update; 0 when the kind has none. */
  maxSurge: number;
  /** Pods the partition keeps at the old revision. */
  partition: number;
  /** Pods the controller will move to a new revision (desired − partition). */
  podsToUpdate: number;
  paused: boolean;
  currentRevision?: string;
  updateRevision?: string;
  generation?: number;
  observedGeneration?: number;
}

/** Where the settings live in this kind's spec, for messages and patches (`spec.updateStrategy.paused`). */
export interface SettingFields {
  strategy: string;
  paused: string;
  partition: string;
  maxUnavailable: string;
}

/**
 * One kind of workload Kruise restarts in place. Methods, not function-valued properties: an implementation for
 * one object type stands in wherever any workload is expected.
 */
export interface InPlaceWorkload<W extends WorkloadObject = WorkloadObject> {
  readonly resource: WorkloadResource;
  /** JSON pointer of the pod template, for patches. */
  readonly templatePath: string;
  readonly fields: SettingFields;
  template(workload: W): PodTemplate;
  rollout(workload: W): RolloutSettings;
  /**
   * The workload's own status agrees that the new revision is rolled out (necessary, not sufficient: the pods
   * decide the rest). The first unmet point in words, or undefined when all hold.
   */
  /** `reached`: the pods the restart counted on reaching, when the kind limits an update to some (an ADS selector). */
  statusGap(workload: W, fromRevision: string | undefined, reached?: number): string | undefined;
  /** A previous template change the controller is still rolling out, by its status alone; undefined when none. */
  rolloutUnfinished(workload: W): string | undefined;
  /**
   * The partition has stopped the update: every pod the controller will update is on the new revision, so the pods
   * still on the old one stay there. `onNewRevision` is false for a terminating pod: the controller no longer counts it.
   */
  partitionReached(workload: W, pods: readonly Pod[], onNewRevision: (pod: Pod) => boolean): boolean;
  /** Why the controller would never update a pod with this budget (no unavailability, no surge); undefined if it can. */
  budgetStall(workload: W): string | undefined;
  /** The command that unpauses the workload. */
  unpauseCommand(workload: W): string;
}

/** `cloneset web`: how the one-line summaries name a workload. */
export function subjectOf(kind: InPlaceWorkload, name: string): string {
  return `${kind.resource.singular} ${name}`;
}
