package main

import (
	"testing"

	v1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	daemonutil "k8s.io/kubernetes/pkg/controller/daemon/util"
)

func testNode(name string, labels map[string]string, taints ...v1.Taint) *v1.Node {
	return &v1.Node{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: labels}, Spec: v1.NodeSpec{Taints: taints}}
}

// A DaemonSet pod as Kruise's controller creates it under --assign-pods-by-scheduler (the default): no nodeName, a
// required node affinity on metadata.name and the DaemonSet tolerations (the helpers Kruise itself calls).
func daemonPod(node string) *v1.Pod {
	p := &v1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "agent-x", Namespace: "ns"}}
	p.Spec.Affinity = daemonutil.ReplaceDaemonSetPodNodeNameNodeAffinity(nil, node)
	daemonutil.AddOrUpdateDaemonPodTolerations(&p.Spec)
	return p
}

func TestFitsDaemonSetPodOnlyOnItsNode(t *testing.T) {
	pod := daemonPod("node-4")
	for _, n := range []string{"node-0", "node-1", "node-3", "node-5"} {
		if fits(pod, testNode(n, map[string]string{"kubernetes.io/hostname": n})) {
			t.Errorf("a pod whose affinity names node-4 fits %s", n)
		}
	}
	if !fits(pod, testNode("node-4", map[string]string{"kubernetes.io/hostname": "node-4"})) {
		t.Error("the pod does not fit the node its affinity names")
	}
	// DaemonSet pods tolerate a cordon and the not-ready/unreachable taints, as the real scheduler lets them.
	cordoned := testNode("node-4", nil, v1.Taint{Key: v1.TaintNodeNotReady, Effect: v1.TaintEffectNoExecute})
	cordoned.Spec.Unschedulable = true
	if !fits(pod, cordoned) {
		t.Error("a DaemonSet pod does not fit its cordoned, not-ready node")
	}
}

func TestFitsNodeSelectorCordonAndTaints(t *testing.T) {
	plain := &v1.Pod{}
	if !fits(plain, testNode("node-0", nil)) {
		t.Error("a plain pod does not fit a plain node")
	}
	cordoned := testNode("node-0", nil)
	cordoned.Spec.Unschedulable = true
	if fits(plain, cordoned) {
		t.Error("a plain pod fits a cordoned node")
	}
	if fits(plain, testNode("node-0", nil, v1.Taint{Key: "dedicated", Value: "db", Effect: v1.TaintEffectNoSchedule})) {
		t.Error("a plain pod fits a node with a NoSchedule taint it does not tolerate")
	}
	if !fits(plain, testNode("node-0", nil, v1.Taint{Key: "dedicated", Effect: v1.TaintEffectPreferNoSchedule})) {
		t.Error("PreferNoSchedule keeps a pod off a node")
	}
	selective := &v1.Pod{Spec: v1.PodSpec{NodeSelector: map[string]string{"pool": "a"}}}
	if fits(selective, testNode("node-0", map[string]string{"pool": "b"})) || !fits(selective, testNode("node-1", map[string]string{"pool": "a"})) {
		t.Error("the nodeSelector is not honoured")
	}
}

// A node as kube-apiserver admits it (TaintNodesByCondition): nothing fits it until the not-ready taint is off.
func TestNotReadyTaintKeepsPodsOffUntilRemoved(t *testing.T) {
	admitted := []v1.Taint{{Key: v1.TaintNodeNotReady, Effect: v1.TaintEffectNoSchedule}, {Key: "dedicated", Effect: v1.TaintEffectPreferNoSchedule}}
	node := testNode("node-4", nil, admitted...)
	if fits(&v1.Pod{}, node) || fits(daemonPod("node-4"), node) {
		t.Fatal("a pod fits a node still tainted not-ready:NoSchedule")
	}
	kept, ok := withoutNotReadyTaint(admitted)
	if !ok || len(kept) != 1 || kept[0].Key != "dedicated" {
		t.Fatalf("withoutNotReadyTaint(%v) = %v, %v", admitted, kept, ok)
	}
	node.Spec.Taints = kept
	if !fits(&v1.Pod{}, node) || !fits(daemonPod("node-4"), node) {
		t.Error("pods do not fit the node once the taint is off")
	}
	if _, again := withoutNotReadyTaint(kept); again {
		t.Error("a node without the taint reported as changed")
	}
}
