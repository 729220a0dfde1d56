package main

import (
	"fmt"
	"strings"
	"time"

	v1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	kubeletcontainer "k8s.io/kubernetes/pkg/kubelet/container"
)

// The pod conditions kubelet writes (k8s.io/kubernetes/pkg/kubelet/types/pod_status.go, PodConditionByKubelet, less
// PodScheduled, which the Binding subresource sets). Every other condition (InPlaceUpdateReady, KruisePodReady, ...)
// belongs to someone else and is never written by the agent.
var kubeletConditions = []v1.PodConditionType{v1.PodReadyToStartContainers, v1.PodInitialized, v1.ContainersReady, v1.PodReady}

// containersReadyCondition follows kubelet's GenerateContainersReadyCondition (pkg/kubelet/status/generate.go) for a
// running pod without init containers.
func containersReadyCondition(spec *v1.PodSpec, statuses []v1.ContainerStatus) v1.PodCondition {
	var unknown, unready []string
	for _, c := range spec.Containers {
		found := false
		for _, s := range statuses {
			if s.Name == c.Name {
				found = true
				if !s.Ready {
					unready = append(unready, c.Name)
				}
			}
		}
		if !found {
			unknown = append(unknown, c.Name)
		}
	}
	var msgs []string
	if len(unknown) > 0 {
		msgs = append(msgs, fmt.Sprintf("containers with unknown status: %s", unknown))
	}
	if len(unready) > 0 {
		msgs = append(msgs, fmt.Sprintf("containers with unready status: %s", unready))
	}
	if len(msgs) > 0 {
		return v1.PodCondition{Type: v1.ContainersReady, Status: v1.ConditionFalse, Reason: "ContainersNotReady", Message: strings.Join(msgs, ", ")}
	}
	return v1.PodCondition{Type: v1.ContainersReady, Status: v1.ConditionTrue}
}

// podReadyCondition follows kubelet's GeneratePodReadyCondition: Ready only when every container is ready and EVERY
// readiness gate has a condition that is True; the message lists each gate that is not.
func podReadyCondition(spec *v1.PodSpec, conditions []v1.PodCondition, statuses []v1.ContainerStatus) v1.PodCondition {
	cr := containersReadyCondition(spec, statuses)
	if cr.Status != v1.ConditionTrue {
		return v1.PodCondition{Type: v1.PodReady, Status: cr.Status, Reason: cr.Reason, Message: cr.Message}
	}
	var msgs []string
	for _, g := range spec.ReadinessGates {
		c := findCondition(conditions, g.ConditionType)
		if c == nil {
			msgs = append(msgs, fmt.Sprintf("corresponding condition of pod readiness gate %q does not exist.", string(g.ConditionType)))
		} else if c.Status != v1.ConditionTrue {
			msgs = append(msgs, fmt.Sprintf("the status of pod readiness gate %q is not \"True\", but %v", string(g.ConditionType), c.Status))
		}
	}
	if len(msgs) > 0 {
		return v1.PodCondition{Type: v1.PodReady, Status: v1.ConditionFalse, Reason: "ReadinessGatesNotReady", Message: strings.Join(msgs, ", ")}
	}
	return v1.PodCondition{Type: v1.PodReady, Status: v1.ConditionTrue}
}

func findCondition(conds []v1.PodCondition, t v1.PodConditionType) *v1.PodCondition {
	for i := range conds {
		if conds[i].Type == t {
			return &conds[i]
		}
	}
	return nil
}

// kubeletPodConditions computes the conditions kubelet owns from the pod's current conditions (which carry the
// readiness-gate conditions other controllers write) and the container statuses.
func kubeletPodConditions(pod *v1.Pod, statuses []v1.ContainerStatus) []v1.PodCondition {
	return []v1.PodCondition{
		{Type: v1.PodReadyToStartContainers, Status: v1.ConditionTrue},
		{Type: v1.PodInitialized, Status: v1.ConditionTrue},
		containersReadyCondition(&pod.Spec, statuses),
		podReadyCondition(&pod.Spec, pod.Status.Conditions, statuses),
	}
}

// mergeConditions sets the kubelet-owned conditions in current and leaves every other condition exactly as it is.
// lastTransitionTime moves only when a condition's status flips, as kubelet's status manager does.
func mergeConditions(current, owned []v1.PodCondition, now metav1.Time) []v1.PodCondition {
	out := make([]v1.PodCondition, 0, len(current)+len(owned))
	out = append(out, current...)
	for _, c := range owned {
		c.LastTransitionTime = now
		if prev := findCondition(out, c.Type); prev != nil {
			if prev.Status == c.Status {
				c.LastTransitionTime = prev.LastTransitionTime
			}
			c.LastProbeTime = prev.LastProbeTime
			*prev = c
			continue
		}
		out = append(out, c)
	}
	return out
}

// kubeletAction is what kubelet's SyncPod does next for one container.
type kubeletAction int

const (
	actNone kubeletAction = iota
	// actStart: no instance yet, create the first.
	actStart
	// actRestart: the instance exited and restartPolicy Always brings a new one (restartCount+1).
	actRestart
	// actKillChanged: the running instance was created from another spec (kubelet compares HashContainer with the
	// hash recorded on the container), e.g. an in-place image update: kill it, a new one follows.
	actKillChanged
	// actWait: an exited instance waits for the restart delay; check again after the returned duration.
	actWait
)

// nextAction decides, for one container of a pod, what kubelet does now.
func nextAction(spec *v1.Container, cur *container, now time.Time, restartDelay time.Duration) (kubeletAction, time.Duration) {
	switch {
	case cur == nil:
		return actStart, 0
	case cur.running && kubeletcontainer.HashContainer(spec) != cur.hash:
		return actKillChanged, 0
	case cur.running:
		return actNone, 0
	case now.Sub(cur.finishedAt) >= restartDelay:
		return actRestart, 0
	default:
		return actWait, restartDelay - now.Sub(cur.finishedAt)
	}
}

// readiness says whether a running instance passes its (emulated) readiness probe at now, and if not yet, when it
// will. never means it never will.
func readiness(cur *container, now time.Time, delay time.Duration, never bool) (ready bool, after time.Duration) {
	if cur == nil || !cur.running || never {
		return false, 0
	}
	at := cur.startedAt.Add(delay)
	if !now.Before(at) {
		return true, 0
	}
	return false, at.Sub(now)
}

// containerStatus renders the newest instance (and the one before, for lastState) the way kubelet reports it.
func containerStatus(cur, prev *container, ready bool) v1.ContainerStatus {
	s := v1.ContainerStatus{
		Name:         cur.name,
		Image:        cur.image,
		ImageID:      cur.imageID,
		ContainerID:  cur.cri(),
		RestartCount: cur.restartCount,
		Ready:        ready,
	}
	started := cur.running
	s.Started = &started
	if cur.running {
		s.State.Running = &v1.ContainerStateRunning{StartedAt: metav1.NewTime(cur.startedAt)}
	} else {
		s.State.Terminated = terminated(cur)
	}
	if prev != nil && !prev.running {
		s.LastTerminationState.Terminated = terminated(prev)
	}
	return s
}

func terminated(c *container) *v1.ContainerStateTerminated {
	return &v1.ContainerStateTerminated{
		ExitCode: c.exitCode, Reason: "Error", StartedAt: metav1.NewTime(c.startedAt),
		FinishedAt: metav1.NewTime(c.finishedAt), ContainerID: c.cri(),
	}
}
