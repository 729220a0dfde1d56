package main

import (
	v1 "k8s.io/api/core/v1"
	corev1helpers "k8s.io/component-helpers/scheduling/corev1"
	"k8s.io/component-helpers/scheduling/corev1/nodeaffinity"
)

// fits is the default scheduler's filter for the nodes the agent plays (no resources run out there): the node is not
// cordoned unless the pod tolerates it (NodeUnschedulable), the pod's nodeSelector and required node affinity match
// the node (NodeAffinity), and every NoSchedule or NoExecute taint is tolerated (TaintToleration).
func fits(pod *v1.Pod, node *v1.Node) bool {
	if pod.Spec.NodeName != "" && pod.Spec.NodeName != node.Name {
		return false
	}
	if node.Spec.Unschedulable && !corev1helpers.TolerationsTolerateTaint(pod.Spec.Tolerations, &v1.Taint{Key: v1.TaintNodeUnschedulable, Effect: v1.TaintEffectNoSchedule}) {
		return false
	}
	// A malformed affinity matches nothing, as the scheduler reports it unschedulable.
	if ok, err := nodeaffinity.GetRequiredNodeAffinity(pod).Match(node); err != nil || !ok {
		return false
	}
	_, untolerated := corev1helpers.FindMatchingUntoleratedTaint(node.Spec.Taints, pod.Spec.Tolerations, func(t *v1.Taint) bool {
		return t.Effect == v1.TaintEffectNoSchedule || t.Effect == v1.TaintEffectNoExecute
	})
	return !untolerated
}

// withoutNotReadyTaint drops the not-ready NoSchedule taint a Ready node must not keep; ok says whether it was there.
func withoutNotReadyTaint(taints []v1.Taint) ([]v1.Taint, bool) {
	kept := make([]v1.Taint, 0, len(taints))
	for _, t := range taints {
		if t.Key == v1.TaintNodeNotReady && t.Effect == v1.TaintEffectNoSchedule {
			continue
		}
		kept = append(kept, t)
	}
	return kept, len(kept) != len(taints)
}
