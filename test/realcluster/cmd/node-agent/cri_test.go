package main

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	v1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	corelisters "k8s.io/client-go/listers/core/v1"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/tools/record"
	"k8s.io/client-go/util/workqueue"
	kubeletcontainer "k8s.io/kubernetes/pkg/kubelet/container"

	"github.com/openkruise/kruise/pkg/daemon/kuberuntime"
	utilcontainermeta "github.com/openkruise/kruise/pkg/util/containermeta"
)

const trigger = "kruise-restart.dev/restarted-at"

func wiredPod(annotations map[string]string) *v1.Pod {
	a := map[string]string{trigger: "t1"}
	for k, v := range annotations {
		a[k] = v
	}
	return &v1.Pod{
		ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "web-x", UID: "uid-1", Annotations: a},
		Spec: v1.PodSpec{Containers: []v1.Container{{
			Name: "app", Image: "nginx:1.25",
			Env: []v1.EnvVar{{Name: "RESTARTED_AT", ValueFrom: &v1.EnvVarSource{FieldRef: &v1.ObjectFieldSelector{FieldPath: "metadata.annotations['" + trigger + "']"}}}},
		}}},
	}
}

// testAgent is an agent with a pod lister holding pod and a restart log in a temp dir; no API server.
func testAgent(t *testing.T, pod *v1.Pod) (*agent, string) {
	t.Helper()
	idx := cache.NewIndexer(cache.MetaNamespaceKeyFunc, cache.Indexers{cache.NamespaceIndex: cache.MetaNamespaceIndexFunc})
	if err := idx.Add(pod); err != nil {
		t.Fatal(err)
	}
	logPath := filepath.Join(t.TempDir(), "restarts.jsonl")
	f, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	q := workqueue.NewTypedRateLimitingQueue(workqueue.DefaultTypedControllerRateLimiter[string]())
	t.Cleanup(q.ShutDown)
	return &agent{rt: newContainerRuntime(), podLister: corelisters.NewPodLister(idx), log: &restartLog{f: f}, queue: q}, logPath
}

// Kruise's own runtime manager reads the fake runtime the way kruise-daemon reads containerd: the name, restart count
// and spec hash come back from the labels and annotations kubelet would have written.
func TestKruiseRuntimeManagerReadsTheFakeRuntime(t *testing.T) {
	pod := wiredPod(nil)
	a, logPath := testAgent(t, pod)
	first := a.rt.start(pod, &pod.Spec.Containers[0], 0, time.Now())
	svc := &fakeCRI{node: "node-0", cause: "crr", a: a}
	m := kuberuntime.NewGenericRuntime(runtimeName, svc, record.NewFakeRecorder(100), &http.Client{})

	st, err := m.GetPodStatus(context.TODO(), pod.UID, pod.Name, pod.Namespace)
	if err != nil {
		t.Fatal(err)
	}
	cs := st.FindContainerStatusByName("app")
	if cs == nil || cs.ID.String() != first.cri() || cs.Hash != kubeletcontainer.HashContainer(&pod.Spec.Containers[0]) || cs.State != kubeletcontainer.ContainerStateRunning {
		t.Fatalf("status: %+v", cs)
	}

	// The containermeta restarter kills with no pod at hand: Kruise restores it from the container's labels.
	if err := m.KillContainer(nil, cs.ID, "", "test", nil); err != nil {
		t.Fatal(err)
	}
	a.rt.start(pod, &pod.Spec.Containers[0], 1, time.Now().Add(time.Millisecond))
	st, _ = m.GetPodStatus(context.TODO(), pod.UID, pod.Name, pod.Namespace)
	if cs := st.FindContainerStatusByName("app"); cs.ID.String() == first.cri() || cs.RestartCount != 1 || cs.State != kubeletcontainer.ContainerStateRunning {
		t.Fatalf("after restart the newest instance must be found first: %+v", cs)
	}
	b, _ := os.ReadFile(logPath)
	if lines := strings.Split(strings.TrimSpace(string(b)), "\n"); len(lines) != 1 || !strings.Contains(lines[0], `"cause":"crr"`) || !strings.Contains(lines[0], `"container":"app"`) {
		t.Fatalf("restart log: %q", b)
	}
}

// The env kruise-daemon reads with `env` hashes to what Kruise expects from the pod metadata until the annotation
// changes; that difference is the daemon's whole restart decision.
func TestEnvHashFollowsTheAnnotation(t *testing.T) {
	pod := wiredPod(nil)
	a, _ := testAgent(t, pod)
	c := a.rt.start(pod, &pod.Spec.Containers[0], 0, time.Now())
	svc := &fakeCRI{a: a}
	out, _, err := svc.ExecSync(context.TODO(), c.id, []string{"env"}, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	getter := func(key string) (string, error) {
		for _, l := range strings.Split(string(out), "\n") {
			if kv := strings.SplitN(l, "=", 2); len(kv) == 2 && kv[0] == key {
				return kv[1], nil
			}
		}
		return "", nil
	}
	h := utilcontainermeta.NewEnvFromMetadataHasher()
	current, err := h.GetCurrentHash(&pod.Spec.Containers[0], getter)
	if err != nil || current == 0 || current != h.GetExpectHash(&pod.Spec.Containers[0], pod) {
		t.Fatalf("hash of the running env %d != expected %d (%v)", current, h.GetExpectHash(&pod.Spec.Containers[0], pod), err)
	}
	bumped := pod.DeepCopy()
	bumped.Annotations[trigger] = "t2"
	if current == h.GetExpectHash(&bumped.Spec.Containers[0], bumped) {
		t.Fatal("a new annotation value did not change the expected hash")
	}
}

func TestKnobsAtTheRuntimeBoundary(t *testing.T) {
	pod := wiredPod(map[string]string{podNoEnvBinary: "app", podFailRestart: "app"})
	a, logPath := testAgent(t, pod)
	c := a.rt.start(pod, &pod.Spec.Containers[0], 0, time.Now())
	svc := &fakeCRI{a: a, cause: "inplace"}
	if _, _, err := svc.ExecSync(context.TODO(), c.id, []string{"env"}, time.Second); err == nil || !strings.Contains(err.Error(), `exec: "env": executable file not found`) {
		t.Fatalf("no-env-binary: %v", err)
	}
	err := svc.StopContainer(context.TODO(), c.id, 30)
	if err == nil || !strings.HasPrefix(err.Error(), "rpc error: code = Unknown desc = failed to stop container") {
		t.Fatalf("fail-restart: %v", err)
	}
	if cur, _ := a.rt.latest(pod.UID, "app"); !cur.running {
		t.Fatal("a failed stop stopped the container")
	}
	if b, _ := os.ReadFile(logPath); len(b) != 0 {
		t.Fatalf("a failed stop was logged as a restart: %s", b)
	}

	frozen := wiredPod(map[string]string{podFrozenDaemon: "true", podMissing: "app"})
	a, _ = testAgent(t, frozen)
	a.rt.start(frozen, &frozen.Spec.Containers[0], 0, time.Now())
	if _, err := (&fakeCRI{a: a}).ListContainers(context.TODO(), nil); err == nil {
		t.Fatal("an unfiltered list answered")
	}
	m := kuberuntime.NewGenericRuntime(runtimeName, &fakeCRI{a: a}, nil, &http.Client{})
	if _, err := m.GetPodStatus(context.TODO(), frozen.UID, frozen.Name, frozen.Namespace); err == nil || !strings.Contains(err.Error(), "DeadlineExceeded") {
		t.Fatalf("frozen daemon: %v", err)
	}

	missing := wiredPod(map[string]string{podMissing: "app"})
	a, _ = testAgent(t, missing)
	a.rt.start(missing, &missing.Spec.Containers[0], 0, time.Now())
	m = kuberuntime.NewGenericRuntime(runtimeName, &fakeCRI{a: a}, nil, &http.Client{})
	st, err := m.GetPodStatus(context.TODO(), missing.UID, missing.Name, missing.Namespace)
	if err != nil || st.FindContainerStatusByName("app") != nil {
		t.Fatalf("missing container was listed: %v %+v", err, st)
	}
}
