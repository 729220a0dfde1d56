package main

import (
	"strings"
	"testing"
	"time"

	v1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	kubeletcontainer "k8s.io/kubernetes/pkg/kubelet/container"
)

func specWithGates(gates ...v1.PodConditionType) *v1.PodSpec {
	s := &v1.PodSpec{Containers: []v1.Container{{Name: "app"}, {Name: "sidecar"}}}
	for _, g := range gates {
		s.ReadinessGates = append(s.ReadinessGates, v1.PodReadinessGate{ConditionType: g})
	}
	return s
}

func readyStatuses(ready ...bool) []v1.ContainerStatus {
	names := []string{"app", "sidecar"}
	out := make([]v1.ContainerStatus, len(ready))
	for i, r := range ready {
		out[i] = v1.ContainerStatus{Name: names[i], Ready: r}
	}
	return out
}

func TestPodReadyHonoursEveryReadinessGate(t *testing.T) {
	spec := specWithGates("InPlaceUpdateReady", "KruisePodReady")
	cases := []struct {
		name    string
		conds   []v1.PodCondition
		ready   []bool
		want    v1.ConditionStatus
		message string
	}{
		{"all gates true", []v1.PodCondition{{Type: "InPlaceUpdateReady", Status: v1.ConditionTrue}, {Type: "KruisePodReady", Status: v1.ConditionTrue}}, []bool{true, true}, v1.ConditionTrue, ""},
		{"second gate false", []v1.PodCondition{{Type: "InPlaceUpdateReady", Status: v1.ConditionTrue}, {Type: "KruisePodReady", Status: v1.ConditionFalse}}, []bool{true, true},
			v1.ConditionFalse, `the status of pod readiness gate "KruisePodReady" is not "True", but False`},
		{"first gate missing, second false: both named", []v1.PodCondition{{Type: "KruisePodReady", Status: v1.ConditionFalse}}, []bool{true, true},
			v1.ConditionFalse, `corresponding condition of pod readiness gate "InPlaceUpdateReady" does not exist., the status of pod readiness gate "KruisePodReady" is not "True", but False`},
		{"gates true, a container unready", []v1.PodCondition{{Type: "InPlaceUpdateReady", Status: v1.ConditionTrue}, {Type: "KruisePodReady", Status: v1.ConditionTrue}}, []bool{true, false},
			v1.ConditionFalse, "containers with unready status: [sidecar]"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := podReadyCondition(spec, c.conds, readyStatuses(c.ready...))
			if got.Status != c.want || got.Message != c.message {
				t.Fatalf("got %s %q, want %s %q", got.Status, got.Message, c.want, c.message)
			}
		})
	}
}

func TestContainersReadyNamesUnknownContainers(t *testing.T) {
	got := containersReadyCondition(specWithGates(), readyStatuses(true))
	if got.Status != v1.ConditionFalse || got.Message != "containers with unknown status: [sidecar]" {
		t.Fatalf("got %s %q", got.Status, got.Message)
	}
}

func TestMergeConditionsKeepsConditionsKruiseOwns(t *testing.T) {
	old := metav1.NewTime(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	now := metav1.NewTime(old.Add(time.Hour))
	current := []v1.PodCondition{
		{Type: "InPlaceUpdateReady", Status: v1.ConditionFalse, Reason: "StartInPlaceUpdate", LastTransitionTime: old},
		{Type: v1.PodReady, Status: v1.ConditionTrue, LastTransitionTime: old},
		{Type: v1.ContainersReady, Status: v1.ConditionTrue, LastTransitionTime: old},
		{Type: "KruisePodReady", Status: v1.ConditionTrue, Message: `[]`, LastTransitionTime: old},
	}
	owned := []v1.PodCondition{
		{Type: v1.ContainersReady, Status: v1.ConditionTrue},
		{Type: v1.PodReady, Status: v1.ConditionFalse, Reason: "ReadinessGatesNotReady", Message: "x"},
		{Type: v1.PodInitialized, Status: v1.ConditionTrue},
	}
	got := mergeConditions(current, owned, now)
	if len(got) != 5 {
		t.Fatalf("want the 4 conditions plus Initialized, got %+v", got)
	}
	if got[0] != current[0] || got[3] != current[3] {
		t.Fatalf("conditions Kruise owns changed: %+v", got)
	}
	if c := findCondition(got, v1.PodReady); c.Status != v1.ConditionFalse || !c.LastTransitionTime.Equal(&now) || c.Reason != "ReadinessGatesNotReady" {
		t.Fatalf("Ready not flipped with a new transition time: %+v", c)
	}
	if c := findCondition(got, v1.ContainersReady); !c.LastTransitionTime.Equal(&old) {
		t.Fatalf("an unchanged condition moved its transition time: %+v", c)
	}
	if current[1].Status != v1.ConditionTrue {
		t.Fatal("the input slice was modified")
	}
}

func TestNextActionRestartsOnSpecChangeAndAfterDelay(t *testing.T) {
	now := time.Now()
	spec := &v1.Container{Name: "app", Image: "nginx:1.25"}
	running := &container{name: "app", running: true, hash: kubeletcontainer.HashContainer(spec)}
	if act, _ := nextAction(spec, nil, now, time.Second); act != actStart {
		t.Fatalf("no instance: got %v", act)
	}
	if act, _ := nextAction(spec, running, now, time.Second); act != actNone {
		t.Fatalf("running, same spec: got %v", act)
	}
	newImage := &v1.Container{Name: "app", Image: "nginx:1.26"}
	if act, _ := nextAction(newImage, running, now, time.Second); act != actKillChanged {
		t.Fatalf("image changed: got %v", act)
	}
	exited := &container{name: "app", finishedAt: now.Add(-300 * time.Millisecond), hash: running.hash}
	if act, wait := nextAction(spec, exited, now, time.Second); act != actWait || wait != 700*time.Millisecond {
		t.Fatalf("exited 0.3s ago: got %v %v", act, wait)
	}
	if act, _ := nextAction(spec, exited, now.Add(time.Second), time.Second); act != actRestart {
		t.Fatalf("exited 1.3s ago: got %v", act)
	}
}

func TestReadinessDelayAndNeverReady(t *testing.T) {
	start := time.Now()
	c := &container{running: true, startedAt: start}
	if ok, after := readiness(c, start.Add(500*time.Millisecond), 2*time.Second, false); ok || after != 1500*time.Millisecond {
		t.Fatalf("before the delay: %v %v", ok, after)
	}
	if ok, _ := readiness(c, start.Add(2*time.Second), 2*time.Second, false); !ok {
		t.Fatal("at the delay: not ready")
	}
	if ok, after := readiness(c, start.Add(time.Hour), 0, true); ok || after != 0 {
		t.Fatal("never-ready became ready")
	}
	if ok, _ := readiness(&container{startedAt: start}, start.Add(time.Hour), 0, false); ok {
		t.Fatal("an exited container is ready")
	}
}

func TestContainerStatusAfterRestart(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	prev := &container{id: "aaa", name: "app", startedAt: t0, finishedAt: t0.Add(time.Minute), exitCode: 137}
	cur := &container{id: "bbb", name: "app", image: "nginx:1.25", imageID: imageID("nginx:1.25"), restartCount: 1, running: true, startedAt: t0.Add(61 * time.Second)}
	s := containerStatus(cur, prev, true)
	if s.ContainerID != "containerd://bbb" || s.RestartCount != 1 || s.State.Running == nil || !s.Ready || *s.Started != true {
		t.Fatalf("current instance: %+v", s)
	}
	if s.LastTerminationState.Terminated == nil || s.LastTerminationState.Terminated.ContainerID != "containerd://aaa" {
		t.Fatalf("lastState: %+v", s.LastTerminationState)
	}
	if !strings.HasPrefix(s.ImageID, "nginx@sha256:") || imageID("nginx:1.26") == s.ImageID {
		t.Fatalf("imageID not per image: %s", s.ImageID)
	}
}

func TestContainerEnvResolvedAtCreation(t *testing.T) {
	pod := &v1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "p", Annotations: map[string]string{"kruise-restart.dev/restarted-at": "t1"}}}
	spec := &v1.Container{Env: []v1.EnvVar{
		{Name: "RESTARTED_AT", ValueFrom: &v1.EnvVarSource{FieldRef: &v1.ObjectFieldSelector{FieldPath: "metadata.annotations['kruise-restart.dev/restarted-at']"}}},
		{Name: "PLAIN", Value: "x"},
	}}
	env := containerEnv(pod, spec)
	if env["RESTARTED_AT"] != "t1" || env["PLAIN"] != "x" {
		t.Fatalf("env: %v", env)
	}
	pod.Annotations["kruise-restart.dev/restarted-at"] = "t2"
	if env["RESTARTED_AT"] != "t1" {
		t.Fatal("a running container saw a new annotation value")
	}
}

func TestKnobs(t *testing.T) {
	k := knobsOf(&v1.Pod{ObjectMeta: metav1.ObjectMeta{Annotations: map[string]string{
		podFailRestart: "app, sidecar", podReadyDelay: "0.5", podNeverReady: "true", podFrozenDaemon: "false",
	}}})
	if !k.failRestart["app"] || !k.failRestart["sidecar"] || k.readyDelay == nil || *k.readyDelay != 500*time.Millisecond || !k.neverReady || k.frozenDaemon {
		t.Fatalf("knobs: %+v", k)
	}
}
