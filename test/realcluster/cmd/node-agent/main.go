// Command node-agent plays the kubelet and kruise-daemon on Node objects it creates, for a control plane where no
// container can run. The kubelet part (binding as the scheduler would, container lifecycle, pod status) is the agent's
// own; the kruise-daemon part is Kruise's own containermeta and ContainerRecreateRequest controllers, unchanged,
// talking to an in-memory container runtime through the CRI interface.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"

	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	"k8s.io/client-go/kubernetes"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/tools/clientcmd"
	"k8s.io/client-go/util/workqueue"
	"k8s.io/klog/v2"
	ctrl "sigs.k8s.io/controller-runtime"
	runtimeclient "sigs.k8s.io/controller-runtime/pkg/client"

	kruiseapis "github.com/openkruise/kruise/apis"
	kruiseclient "github.com/openkruise/kruise/pkg/client"
	"github.com/openkruise/kruise/pkg/features"
	utilfeature "github.com/openkruise/kruise/pkg/util/feature"
)

func main() {
	// A flag set of its own: controller-runtime registers a global --kubeconfig of its own at init.
	fs := flag.NewFlagSet("node-agent", flag.ExitOnError)
	kubeconfig := fs.String("kubeconfig", "", "kubeconfig of an admin of the cluster (required)")
	nodes := fs.Int("nodes", 3, "number of nodes to play, named node-0..node-N-1")
	restartSeconds := fs.Float64("restart-seconds", 1, "seconds from a container's stop to its replacement's start")
	readySeconds := fs.Float64("ready-seconds", 2, "seconds from a container's start to Ready (pod annotation "+podReadyDelay+" overrides)")
	restartLogPath := fs.String("restart-log", "", "append one JSON line per container restart to this file")
	featureGates := fs.String("feature-gates", "", "kruise-daemon feature gates, e.g. InPlaceUpdateEnvFromMetadata=false (pass the manager's)")
	klog.InitFlags(fs)
	_ = fs.Parse(os.Args[1:])

	fail := func(format string, args ...interface{}) {
		fmt.Fprintf(os.Stderr, "error: "+format+"\n", args...)
		os.Exit(2)
	}
	if *kubeconfig == "" {
		fail("--kubeconfig is required")
	}
	if *nodes < 1 {
		fail("--nodes must be at least 1, got %d", *nodes)
	}
	if *restartSeconds < 0 || *readySeconds < 0 {
		fail("--restart-seconds and --ready-seconds must not be negative")
	}
	if *featureGates != "" {
		if err := utilfeature.DefaultMutableFeatureGate.Set(*featureGates); err != nil {
			fail("--feature-gates: %v", err)
		}
	}
	features.SetDefaultFeatureGates()
	ctrl.SetLogger(klog.NewKlogr())

	cfg, err := clientcmd.BuildConfigFromFlags("", *kubeconfig)
	if err != nil {
		fail("--kubeconfig: %v", err)
	}
	cfg.UserAgent = "node-agent"
	cfg.QPS, cfg.Burst = 200, 400
	// kruise-daemon's controllers take their clients from Kruise's registry.
	if err := kruiseclient.NewRegistry(cfg); err != nil {
		fail("connecting to the API server: %v", err)
	}
	scheme := runtime.NewScheme()
	utilruntime.Must(clientgoscheme.AddToScheme(scheme))
	utilruntime.Must(kruiseapis.AddToScheme(scheme))
	rc, err := runtimeclient.New(cfg, runtimeclient.Options{Scheme: scheme})
	if err != nil {
		fail("client: %v", err)
	}

	var rlog *restartLog
	if *restartLogPath != "" {
		f, err := os.OpenFile(*restartLogPath, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
		if err != nil {
			fail("--restart-log: %v", err)
		}
		defer f.Close()
		rlog = &restartLog{f: f}
	}

	names := make([]string, *nodes)
	for i := range names {
		names[i] = fmt.Sprintf("node-%d", i)
	}
	a := &agent{
		kube:          kubernetes.NewForConfigOrDie(cfg),
		runtimeClient: rc,
		scheme:        scheme,
		rt:            newContainerRuntime(),
		nodes:         names,
		restartDelay:  time.Duration(*restartSeconds * float64(time.Second)),
		readyDelay:    time.Duration(*readySeconds * float64(time.Second)),
		log:           rlog,
		queue:         workqueue.NewTypedRateLimitingQueue(workqueue.DefaultTypedControllerRateLimiter[string]()),
		daemons:       map[string]context.CancelFunc{},
		podIPs:        map[types.UID]string{},
		ipCursor:      map[string]int{},
	}

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	if err := a.run(ctx, 4); err != nil {
		fmt.Fprintf(os.Stderr, "error: %v\n", err)
		os.Exit(1)
	}
}
