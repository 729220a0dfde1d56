package main

import (
	"strconv"
	"strings"
	"time"

	v1 "k8s.io/api/core/v1"
)

// Knobs are annotations, so tests drive them through the API server like any other cluster state.
const (
	knobPrefix = "realcluster.test/"
	// Node: no kruise-daemon runs there (no env restarts, no runtime-containers-meta, CRRs never picked up).
	nodeNoDaemon = knobPrefix + "no-daemon"
	// Node: the agent schedules no new pod there.
	nodeUnschedulable = knobPrefix + "unschedulable"
	// Pod: containers run but never pass readiness.
	podNeverReady = knobPrefix + "never-ready"
	// Pod: seconds from a container's start to Ready (default --ready-seconds).
	podReadyDelay = knobPrefix + "ready-delay-seconds"
	// Pod: comma-separated containers the runtime fails to stop.
	podFailRestart = knobPrefix + "fail-restart"
	// Pod: comma-separated containers without an `env` binary (kruise-daemon cannot hash their env).
	podNoEnvBinary = knobPrefix + "no-env-binary"
	// Pod: comma-separated containers the runtime does not know (as after a runtime lost them).
	podMissing = knobPrefix + "missing-containers"
	// Pod: kruise-daemon hangs on this pod: every runtime call it makes for the pod times out.
	podFrozenDaemon = knobPrefix + "frozen-daemon"
)

type podKnobs struct {
	neverReady   bool
	readyDelay   *time.Duration
	failRestart  map[string]bool
	noEnvBinary  map[string]bool
	missing      map[string]bool
	frozenDaemon bool
}

func isTrue(s string) bool { return s == "true" }

func nameSet(s string) map[string]bool {
	out := map[string]bool{}
	for _, n := range strings.Split(s, ",") {
		if n = strings.TrimSpace(n); n != "" {
			out[n] = true
		}
	}
	return out
}

func knobsOf(pod *v1.Pod) podKnobs {
	if pod == nil {
		return podKnobs{}
	}
	a := pod.Annotations
	k := podKnobs{
		neverReady:   isTrue(a[podNeverReady]),
		failRestart:  nameSet(a[podFailRestart]),
		noEnvBinary:  nameSet(a[podNoEnvBinary]),
		missing:      nameSet(a[podMissing]),
		frozenDaemon: isTrue(a[podFrozenDaemon]),
	}
	if v, err := strconv.ParseFloat(a[podReadyDelay], 64); err == nil && v >= 0 {
		d := time.Duration(v * float64(time.Second))
		k.readyDelay = &d
	}
	return k
}
