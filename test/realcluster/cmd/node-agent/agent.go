package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"sync"
	"time"

	v1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	corelisters "k8s.io/client-go/listers/core/v1"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/util/workqueue"
	"k8s.io/klog/v2"
	podutil "k8s.io/kubernetes/pkg/util/pod"
	runtimeclient "sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/openkruise/kruise/pkg/daemon/containermeta"
	"github.com/openkruise/kruise/pkg/daemon/containerrecreate"
	daemonoptions "github.com/openkruise/kruise/pkg/daemon/options"
	daemonutil "github.com/openkruise/kruise/pkg/daemon/util"
	"github.com/openkruise/kruise/pkg/features"
	utilfeature "github.com/openkruise/kruise/pkg/util/feature"
	"github.com/openkruise/kruise/pkg/util/specifieddelete"
)

func typesUID(s string) types.UID { return types.UID(s) }

type agent struct {
	kube          kubernetes.Interface
	runtimeClient runtimeclient.Client
	scheme        *runtime.Scheme
	rt            *containerRuntime
	nodes         []string
	restartDelay  time.Duration
	readyDelay    time.Duration
	log           *restartLog

	podLister  corelisters.PodLister
	nodeLister corelisters.NodeLister
	queue      workqueue.TypedRateLimitingInterface[string]

	mu       sync.Mutex
	next     int                           // round-robin cursor for binding
	daemons  map[string]context.CancelFunc // running kruise-daemon per node
	podIPs   map[types.UID]string
	ipCursor map[string]int
	root     context.Context
}

func (a *agent) ours(node string) bool {
	for _, n := range a.nodes {
		if n == node {
			return true
		}
	}
	return false
}

func nodeIndex(nodes []string, node string) int {
	for i, n := range nodes {
		if n == node {
			return i
		}
	}
	return 0
}

func (a *agent) knobsFor(namespace, name string, uid types.UID) podKnobs {
	pod, err := a.podLister.Pods(namespace).Get(name)
	if err != nil || pod.UID != uid {
		return podKnobs{}
	}
	return knobsOf(pod)
}

// killed is the end of every successful stop a kruise-daemon controller asks the runtime for.
func (a *agent) killed(c *container, cause string) {
	now := time.Now()
	if a.rt.stop(c.id, now) {
		a.log.write(c.podNamespace, c.podName, c.name, cause, now)
		klog.InfoS("Container stopped", "pod", c.podNamespace+"/"+c.podName, "container", c.name, "cause", cause)
	}
	a.queue.Add(c.podNamespace + "/" + c.podName)
}

func (a *agent) run(ctx context.Context, workers int) error {
	a.root = ctx
	factory := informers.NewSharedInformerFactory(a.kube, 0)
	pods := factory.Core().V1().Pods()
	nodes := factory.Core().V1().Nodes()
	a.podLister = pods.Lister()
	a.nodeLister = nodes.Lister()
	enqueue := func(obj interface{}) {
		if key, err := cache.MetaNamespaceKeyFunc(obj); err == nil {
			a.queue.Add(key)
		}
	}
	if _, err := pods.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    enqueue,
		UpdateFunc: func(_, obj interface{}) { enqueue(obj) },
		DeleteFunc: func(obj interface{}) {
			if t, ok := obj.(cache.DeletedFinalStateUnknown); ok {
				obj = t.Obj
			}
			if pod, ok := obj.(*v1.Pod); ok {
				a.rt.removePod(pod.UID)
				a.mu.Lock()
				delete(a.podIPs, pod.UID)
				a.mu.Unlock()
			}
		},
	}); err != nil {
		return err
	}
	if _, err := nodes.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    func(obj interface{}) { a.reconcileDaemon(obj.(*v1.Node)) },
		UpdateFunc: func(_, obj interface{}) { a.reconcileDaemon(obj.(*v1.Node)) },
		DeleteFunc: func(obj interface{}) {
			if n, ok := obj.(*v1.Node); ok {
				a.stopDaemon(n.Name)
			}
		},
	}); err != nil {
		return err
	}
	if err := a.ensureNodes(ctx); err != nil {
		return err
	}
	factory.Start(ctx.Done())
	for t, ok := range factory.WaitForCacheSync(ctx.Done()) {
		if !ok {
			return fmt.Errorf("informer for %v did not sync", t)
		}
	}
	go a.heartbeat(ctx)
	for i := 0; i < workers; i++ {
		go func() {
			for a.processNext(ctx) {
			}
		}()
	}
	klog.InfoS("Node agent running", "nodes", a.nodes)
	<-ctx.Done()
	a.queue.ShutDown()
	return nil
}

func (a *agent) processNext(ctx context.Context) bool {
	key, quit := a.queue.Get()
	if quit {
		return false
	}
	defer a.queue.Done(key)
	if err := a.sync(ctx, key); err != nil {
		klog.ErrorS(err, "Sync failed", "pod", key)
		a.queue.AddRateLimited(key)
		return true
	}
	a.queue.Forget(key)
	return true
}

// sync is one kubelet SyncPod, plus the scheduler's bind for pods no node has yet.
func (a *agent) sync(ctx context.Context, key string) error {
	ns, name, err := cache.SplitMetaNamespaceKey(key)
	if err != nil {
		return nil
	}
	pod, err := a.podLister.Pods(ns).Get(name)
	if apierrors.IsNotFound(err) {
		return nil
	} else if err != nil {
		return err
	}
	if pod.Spec.NodeName == "" {
		return a.bind(ctx, pod)
	}
	if !a.ours(pod.Spec.NodeName) || pod.Status.Phase == v1.PodSucceeded || pod.Status.Phase == v1.PodFailed {
		return nil
	}
	if pod.DeletionTimestamp != nil {
		return a.finalize(ctx, pod)
	}
	if !a.rt.hasPod(pod.UID) && len(pod.Status.ContainerStatuses) > 0 {
		a.rt.adopt(pod)
	}

	now := time.Now()
	var requeue time.Duration
	soonest := func(d time.Duration) {
		if d > 0 && (requeue == 0 || d < requeue) {
			requeue = d
		}
	}
	for i := range pod.Spec.Containers {
		spec := &pod.Spec.Containers[i]
		cur, _ := a.rt.latest(pod.UID, spec.Name)
		act, wait := nextAction(spec, cur, now, a.restartDelay)
		switch act {
		case actStart:
			a.rt.start(pod, spec, 0, now)
		case actRestart:
			a.rt.start(pod, spec, cur.restartCount+1, now)
		case actKillChanged:
			if a.rt.stop(cur.id, now) {
				a.log.write(pod.Namespace, pod.Name, spec.Name, "inplace", now)
				klog.InfoS("Container definition changed, will be restarted", "pod", key, "container", spec.Name)
			}
			soonest(a.restartDelay)
		case actWait:
			soonest(wait)
		}
	}

	k := knobsOf(pod)
	delay := a.readyDelay
	if k.readyDelay != nil {
		delay = *k.readyDelay
	}
	statuses := make([]v1.ContainerStatus, 0, len(pod.Spec.Containers))
	for i := range pod.Spec.Containers {
		cur, prev := a.rt.latest(pod.UID, pod.Spec.Containers[i].Name)
		if cur == nil {
			continue
		}
		ready, after := readiness(cur, now, delay, k.neverReady)
		soonest(after)
		statuses = append(statuses, containerStatus(cur, prev, ready))
	}

	status := pod.Status.DeepCopy()
	status.Phase = v1.PodRunning
	hostIP := nodeIP(nodeIndex(a.nodes, pod.Spec.NodeName))
	status.HostIP, status.HostIPs = hostIP, []v1.HostIP{{IP: hostIP}}
	ip := a.podIP(pod)
	status.PodIP, status.PodIPs = ip, []v1.PodIP{{IP: ip}}
	if status.StartTime == nil {
		t := metav1.NewTime(now)
		status.StartTime = &t
	}
	status.ContainerStatuses = statuses
	status.Conditions = mergeConditions(pod.Status.Conditions, kubeletPodConditions(pod, statuses), metav1.NewTime(now))
	// kubelet's own status write: a two-way strategic merge patch from what it last saw, so conditions merge by type
	// and the ones other controllers own are not in the patch at all.
	if _, _, _, err := podutil.PatchPodStatus(ctx, a.kube, pod.Namespace, pod.Name, pod.UID, pod.Status, *status); err != nil {
		if apierrors.IsNotFound(err) || apierrors.IsConflict(err) {
			return nil
		}
		return err
	}
	if requeue > 0 {
		a.queue.AddAfter(key, requeue+10*time.Millisecond)
	}
	return nil
}

func nodeIP(i int) string { return fmt.Sprintf("192.168.0.%d", 10+i) }

func (a *agent) podIP(pod *v1.Pod) string {
	a.mu.Lock()
	defer a.mu.Unlock()
	if ip, ok := a.podIPs[pod.UID]; ok {
		return ip
	}
	ip := pod.Status.PodIP
	if ip == "" {
		n := a.ipCursor[pod.Spec.NodeName] + 1
		a.ipCursor[pod.Spec.NodeName] = n
		ip = fmt.Sprintf("10.244.%d.%d", nodeIndex(a.nodes, pod.Spec.NodeName)*4+n/250, 2+n%250)
	}
	a.podIPs[pod.UID] = ip
	return ip
}

// bind plays the scheduler: round-robin over the agent's nodes the pod fits. Kruise's DaemonSet controller leaves the
// binding to the scheduler (--assign-pods-by-scheduler defaults to true) and names the node in a required node
// affinity (daemonset_controller.go, syncNodes), so a pod must land only where its affinity says.
func (a *agent) bind(ctx context.Context, pod *v1.Pod) error {
	if pod.Spec.SchedulerName != "" && pod.Spec.SchedulerName != v1.DefaultSchedulerName {
		return nil // another scheduler's pod: the default scheduler leaves it alone
	}
	var candidates []string
	for _, n := range a.nodes {
		node, err := a.nodeLister.Get(n)
		if err != nil || isTrue(node.Annotations[nodeUnschedulable]) {
			continue
		}
		if fits(pod, node) {
			candidates = append(candidates, n)
		}
	}
	if len(candidates) == 0 {
		klog.InfoS("No schedulable node for pod", "pod", klog.KObj(pod))
		a.queue.AddAfter(pod.Namespace+"/"+pod.Name, 2*time.Second)
		return nil
	}
	a.mu.Lock()
	target := candidates[a.next%len(candidates)]
	a.next++
	a.mu.Unlock()
	err := a.kube.CoreV1().Pods(pod.Namespace).Bind(ctx, &v1.Binding{
		ObjectMeta: metav1.ObjectMeta{Name: pod.Name, Namespace: pod.Namespace, UID: pod.UID},
		Target:     v1.ObjectReference{Kind: "Node", Name: target},
	}, metav1.CreateOptions{})
	if apierrors.IsNotFound(err) || apierrors.IsConflict(err) {
		return nil
	}
	return err
}

// finalize is kubelet after a graceful delete: the containers stop, then the pod object goes with grace 0.
func (a *agent) finalize(ctx context.Context, pod *v1.Pod) error {
	now := time.Now()
	for _, c := range a.rt.podContainers(pod.UID) {
		a.rt.stop(c.id, now)
	}
	// A pod the CloneSet controller marked specified-delete is being replaced for an update (the recreate path);
	// scale-down deletions carry no mark and restart nothing from the user's point of view.
	if specifieddelete.IsSpecifiedDelete(pod) {
		for _, c := range pod.Spec.Containers {
			a.log.write(pod.Namespace, pod.Name, c.Name, "recreate", now)
		}
	}
	zero := int64(0)
	err := a.kube.CoreV1().Pods(pod.Namespace).Delete(ctx, pod.Name, metav1.DeleteOptions{
		GracePeriodSeconds: &zero,
		Preconditions:      &metav1.Preconditions{UID: &pod.UID},
	})
	if err != nil && !apierrors.IsNotFound(err) && !apierrors.IsConflict(err) {
		return err
	}
	a.rt.removePod(pod.UID)
	return nil
}

func (a *agent) ensureNodes(ctx context.Context) error {
	for i, name := range a.nodes {
		node, err := a.kube.CoreV1().Nodes().Get(ctx, name, metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			node, err = a.kube.CoreV1().Nodes().Create(ctx, &v1.Node{ObjectMeta: metav1.ObjectMeta{
				Name:   name,
				Labels: map[string]string{"kubernetes.io/hostname": name, "kubernetes.io/os": "linux", "kubernetes.io/arch": "amd64"},
			}}, metav1.CreateOptions{})
		}
		if err != nil {
			return fmt.Errorf("node %s: %w", name, err)
		}
		node.Status = nodeStatus(i, time.Now())
		node, err = a.kube.CoreV1().Nodes().UpdateStatus(ctx, node, metav1.UpdateOptions{})
		if err != nil {
			return fmt.Errorf("node %s status: %w", name, err)
		}
		// kube-apiserver's TaintNodesByCondition admission taints every new node not-ready:NoSchedule; the node
		// lifecycle controller takes the taint off once the node reports Ready. Without it nothing schedules there and
		// a DaemonSet counts no node as desired (Predicates in Kruise's daemonset_controller.go).
		if untainted, ok := withoutNotReadyTaint(node.Spec.Taints); ok {
			node.Spec.Taints = untainted
			if _, err := a.kube.CoreV1().Nodes().Update(ctx, node, metav1.UpdateOptions{}); err != nil {
				return fmt.Errorf("node %s taints: %w", name, err)
			}
		}
	}
	return nil
}

func nodeStatus(i int, now time.Time) v1.NodeStatus {
	t := metav1.NewTime(now)
	capacity := v1.ResourceList{
		v1.ResourceCPU:    resource.MustParse("64"),
		v1.ResourceMemory: resource.MustParse("256Gi"),
		v1.ResourcePods:   resource.MustParse("5000"),
	}
	cond := func(typ v1.NodeConditionType, st v1.ConditionStatus, reason, msg string) v1.NodeCondition {
		return v1.NodeCondition{Type: typ, Status: st, LastHeartbeatTime: t, LastTransitionTime: t, Reason: reason, Message: msg}
	}
	return v1.NodeStatus{
		Capacity:    capacity,
		Allocatable: capacity,
		Phase:       v1.NodeRunning,
		Conditions: []v1.NodeCondition{
			cond(v1.NodeMemoryPressure, v1.ConditionFalse, "KubeletHasSufficientMemory", "kubelet has sufficient memory available"),
			cond(v1.NodeDiskPressure, v1.ConditionFalse, "KubeletHasNoDiskPressure", "kubelet has no disk pressure"),
			cond(v1.NodePIDPressure, v1.ConditionFalse, "KubeletHasSufficientPID", "kubelet has sufficient PID available"),
			cond(v1.NodeReady, v1.ConditionTrue, "KubeletReady", "kubelet is posting ready status"),
		},
		Addresses: []v1.NodeAddress{{Type: v1.NodeInternalIP, Address: nodeIP(i)}, {Type: v1.NodeHostName, Address: fmt.Sprintf("node-%d", i)}},
		NodeInfo: v1.NodeSystemInfo{
			KubeletVersion: "v1.32.10", KubeProxyVersion: "v1.32.10", ContainerRuntimeVersion: "containerd://1.7.24",
			OperatingSystem: "linux", Architecture: "amd64", OSImage: "node agent", KernelVersion: "6.1.0",
		},
	}
}

// heartbeat keeps the Ready condition fresh, as kubelet does, for anything that looks at lastHeartbeatTime.
func (a *agent) heartbeat(ctx context.Context) {
	t := time.NewTicker(40 * time.Second)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		now := metav1.NewTime(time.Now())
		for _, name := range a.nodes {
			patch, _ := json.Marshal(map[string]interface{}{"status": map[string]interface{}{"conditions": []map[string]interface{}{
				{"type": "Ready", "status": "True", "reason": "KubeletReady", "message": "kubelet is posting ready status", "lastHeartbeatTime": now},
			}}})
			if _, err := a.kube.CoreV1().Nodes().Patch(ctx, name, types.StrategicMergePatchType, patch, metav1.PatchOptions{}, "status"); err != nil && ctx.Err() == nil {
				klog.ErrorS(err, "Node heartbeat failed", "node", name)
			}
		}
	}
}

// reconcileDaemon runs kruise-daemon's own controllers for a node unless the node says it has none.
func (a *agent) reconcileDaemon(node *v1.Node) {
	if !a.ours(node.Name) {
		return
	}
	if isTrue(node.Annotations[nodeNoDaemon]) {
		a.stopDaemon(node.Name)
		return
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if _, running := a.daemons[node.Name]; running || a.root.Err() != nil {
		return
	}
	ctx, cancel := context.WithCancel(a.root)
	a.daemons[node.Name] = cancel
	go func() {
		if err := a.runDaemon(ctx, node.Name); err != nil {
			klog.ErrorS(err, "kruise-daemon failed", "node", node.Name)
			cancel()
		}
	}()
}

func (a *agent) stopDaemon(node string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if cancel, ok := a.daemons[node]; ok {
		cancel()
		delete(a.daemons, node)
		klog.InfoS("kruise-daemon stopped", "node", node)
	}
}

// runDaemon is pkg/daemon.NewDaemon for one node, with the CRI endpoint replaced by the agent's runtime: the CRR and
// containermeta controllers are Kruise's, unchanged. Each gets its own endpoint so the restart log can name the cause.
func (a *agent) runDaemon(ctx context.Context, node string) error {
	podInformer := cache.NewSharedIndexInformer(&cache.ListWatch{
		ListFunc: func(o metav1.ListOptions) (runtime.Object, error) {
			o.FieldSelector = "spec.nodeName=" + node
			return a.kube.CoreV1().Pods(v1.NamespaceAll).List(ctx, o)
		},
		WatchFunc: func(o metav1.ListOptions) (watch.Interface, error) {
			o.FieldSelector = "spec.nodeName=" + node
			return a.kube.CoreV1().Pods(v1.NamespaceAll).Watch(ctx, o)
		},
	}, &v1.Pod{}, 0, cache.Indexers{})
	opts := daemonoptions.Options{
		NodeName: node, Scheme: a.scheme, RuntimeClient: a.runtimeClient, PodInformer: podInformer,
		RuntimeFactory: criFactory{&fakeCRI{node: node, cause: "crr", a: a}}, Healthz: daemonutil.NewHealthz(),
	}
	crr, err := containerrecreate.NewController(opts)
	if err != nil {
		return err
	}
	runnables := []interface{ Run(<-chan struct{}) }{crr}
	if utilfeature.DefaultFeatureGate.Enabled(features.DaemonWatchingPod) {
		metaOpts := opts
		metaOpts.RuntimeFactory = criFactory{&fakeCRI{node: node, cause: "inplace", a: a}}
		meta, err := containermeta.NewController(metaOpts)
		if err != nil {
			return err
		}
		runnables = append(runnables, meta)
	}
	go podInformer.Run(ctx.Done())
	if !cache.WaitForCacheSync(ctx.Done(), podInformer.HasSynced) {
		return nil
	}
	for _, r := range runnables {
		go r.Run(ctx.Done())
	}
	klog.InfoS("kruise-daemon running", "node", node)
	return nil
}

// restartLog is one JSON line per container restart, for tests to count restarts by cause.
type restartLog struct {
	mu sync.Mutex
	f  *os.File
}

func (l *restartLog) write(namespace, pod, container, cause string, at time.Time) {
	if l == nil || l.f == nil {
		return
	}
	line, _ := json.Marshal(map[string]string{
		"pod": pod, "namespace": namespace, "container": container, "cause": cause, "at": at.UTC().Format(time.RFC3339Nano),
	})
	l.mu.Lock()
	defer l.mu.Unlock()
	if _, err := l.f.Write(append(line, '\n')); err != nil {
		klog.ErrorS(err, "Writing the restart log failed")
	}
}
