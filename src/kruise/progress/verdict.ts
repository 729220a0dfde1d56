// A pod's verdict: the state one pod is in for this restart, why, since when by the cluster's evidence, and what
// about it may need a diagnosis. The in-place and CRR verdicts both produce one; the summary, diagnoses and pace
// read only these.

import type { DiagnosisKind, PodBaseline, PodProgress, PodRestartState } from './document';

/** A concern about one pod; `whenStuck` ones only count once the pod has been in its state longer than the threshold. */
export interface Concern {
  kind: DiagnosisKind;
  whenStuck: boolean;
  detail?: string;
}

export interface Verdict {
  state: PodRestartState;
  reason?: string;
  /** Evidence of when the pod entered this state (cluster clock), if any. */
  evidenceSince?: number;
  concerns: Concern[];
  crrPhase?: string;
  crr?: string;
}

export interface Evaluated {
  pod: PodProgress;
  verdict: Verdict;
  sinceMs?: number;
  memo?: InPlaceMemo;
}

/**
 * A pod's verdict depends only on the pod object and the restart's context. The watch replaces a pod's object when
 * it changes and keeps it otherwise, so between two evaluations of a live restart nearly every pod is the same object:
 * its verdict and document entry are reused instead of recomputed (at 5,000 pods a full evaluation took ~80 ms,
 * mostly garbage, on every watch event). Callers must treat pods and the returned document as immutable, which they
 * do: the watch replaces objects, it never edits them.
 */
export interface InPlaceMemo {
  key: string;
  baseline?: PodBaseline;
  verdict: Verdict;
  /** Without reason and since, which depend on the evaluation. */
  pod: PodProgress;
  last?: PodProgress;
  lastSinceMs?: number;
  /** This pod's entry of the evaluation in progress, reused from one evaluation to the next (they never overlap). */
  entry?: Evaluated;
}

