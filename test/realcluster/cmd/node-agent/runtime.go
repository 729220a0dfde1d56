package main

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"sort"
	"sync"
	"time"

	v1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/kubernetes/pkg/fieldpath"
	kubeletcontainer "k8s.io/kubernetes/pkg/kubelet/container"
)

// runtimeName is the CRI runtime the containers claim to come from: kruise-daemon picks its runtime service by the
// prefix of status.containerStatuses[].containerID, so it must match what the fake CRI factory answers to.
const runtimeName = "containerd"

// container is one container instance, as containerd keeps it: a restart is a new instance with a new ID, and the
// previous instance stays listed (exited) until the next restart, like the kubelet's dead-container GC keeps one.
type container struct {
	id           string
	podUID       types.UID
	podName      string
	podNamespace string
	name         string
	image        string
	imageID      string
	restartCount int32
	// hash is kubelet's HashContainer of the spec the instance was created from, recorded the way kubelet writes the
	// io.kubernetes.container.hash annotation; kruise-daemon reports it as the plainHash.
	hash             uint64
	createdAt        time.Time
	startedAt        time.Time
	finishedAt       time.Time
	exitCode         int32
	running          bool
	terminationGrace *int64
	// env is what `env` prints inside the container: Downward API values are resolved once, at creation, so a
	// changed annotation is only seen by a new instance. This is the whole point of the env-from-metadata restart.
	env map[string]string
}

func (c *container) cri() string { return runtimeName + "://" + c.id }

// containerRuntime is the agent's containerd: every container instance on every node it plays.
type containerRuntime struct {
	mu         sync.Mutex
	containers map[string]*container // by bare ID
	byPod      map[types.UID][]*container
}

func newContainerRuntime() *containerRuntime {
	return &containerRuntime{containers: map[string]*container{}, byPod: map[types.UID][]*container{}}
}

func newContainerID() string {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	return hex.EncodeToString(b)
}

// imageID gives each image reference a stable digest, so an image change is also an imageID change, which is what
// Kruise's in-place completion check compares.
func imageID(image string) string {
	h := kubeletcontainer.HashContainer(&v1.Container{Name: "image", Image: image})
	repo := image
	for i := len(image) - 1; i >= 0; i-- {
		if image[i] == ':' {
			repo = image[:i]
			break
		}
		if image[i] == '/' {
			break
		}
	}
	return fmt.Sprintf("%s@sha256:%064x", repo, h)
}

// containerEnv is what the container's process sees: literal values and Downward API fieldRefs resolved against the
// pod as it is at creation time (kubelet's own fieldpath resolver, so labels/annotations subscripts behave the same).
func containerEnv(pod *v1.Pod, spec *v1.Container) map[string]string {
	env := map[string]string{}
	for _, e := range spec.Env {
		switch {
		case e.ValueFrom == nil:
			env[e.Name] = e.Value
		case e.ValueFrom.FieldRef != nil:
			if v, err := fieldpath.ExtractFieldPathAsString(pod, e.ValueFrom.FieldRef.FieldPath); err == nil {
				env[e.Name] = v
			}
		}
	}
	return env
}

// start creates and starts a new instance of spec in pod. The previous instance of the same name (if any) stays
// listed, exited; older ones are garbage collected.
func (r *containerRuntime) start(pod *v1.Pod, spec *v1.Container, restartCount int32, now time.Time) *container {
	r.mu.Lock()
	defer r.mu.Unlock()
	c := &container{
		id:               newContainerID(),
		podUID:           pod.UID,
		podName:          pod.Name,
		podNamespace:     pod.Namespace,
		name:             spec.Name,
		image:            spec.Image,
		imageID:          imageID(spec.Image),
		restartCount:     restartCount,
		hash:             kubeletcontainer.HashContainer(spec),
		createdAt:        now,
		startedAt:        now,
		running:          true,
		terminationGrace: pod.Spec.TerminationGracePeriodSeconds,
		env:              containerEnv(pod, spec),
	}
	var keep []*container
	prevSeen := false
	for i := len(r.byPod[pod.UID]) - 1; i >= 0; i-- {
		old := r.byPod[pod.UID][i]
		if old.name == spec.Name {
			if prevSeen {
				delete(r.containers, old.id)
				continue
			}
			prevSeen = true
		}
		keep = append([]*container{old}, keep...)
	}
	r.byPod[pod.UID] = append(keep, c)
	r.containers[c.id] = c
	return c
}

// stop ends a running instance the way a graceful stop ends: exit code 137 when the process did not handle SIGTERM.
// It reports whether the container was running.
func (r *containerRuntime) stop(id string, now time.Time) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	c := r.containers[id]
	if c == nil || !c.running {
		return false
	}
	c.running = false
	c.finishedAt = now
	c.exitCode = 137
	return true
}

// latest returns copies of the newest instance of each container name in the pod and of the one before it.
func (r *containerRuntime) latest(uid types.UID, name string) (cur, prev *container) {
	r.mu.Lock()
	defer r.mu.Unlock()
	list := r.byPod[uid]
	for i := len(list) - 1; i >= 0; i-- {
		if list[i].name != name {
			continue
		}
		cp := *list[i]
		if cur == nil {
			cur = &cp
		} else {
			prev = &cp
			break
		}
	}
	return cur, prev
}

func (r *containerRuntime) get(id string) *container {
	r.mu.Lock()
	defer r.mu.Unlock()
	if c := r.containers[id]; c != nil {
		cp := *c
		return &cp
	}
	return nil
}

// podContainers lists copies of every instance of a pod, oldest first.
func (r *containerRuntime) podContainers(uid types.UID) []*container {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]*container, 0, len(r.byPod[uid]))
	for _, c := range r.byPod[uid] {
		cp := *c
		out = append(out, &cp)
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].createdAt.Before(out[j].createdAt) })
	return out
}

func (r *containerRuntime) hasPod(uid types.UID) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.byPod[uid]) > 0
}

// adopt records containers that a previous run of the agent started (their IDs are in the pod status), so a restarted
// agent keeps container identities instead of restarting everything.
func (r *containerRuntime) adopt(pod *v1.Pod) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.byPod[pod.UID]) > 0 {
		return
	}
	for i := range pod.Status.ContainerStatuses {
		cs := &pod.Status.ContainerStatuses[i]
		var spec *v1.Container
		for j := range pod.Spec.Containers {
			if pod.Spec.Containers[j].Name == cs.Name {
				spec = &pod.Spec.Containers[j]
			}
		}
		id := kubeletcontainer.ContainerID{}
		if spec == nil || cs.ContainerID == "" || id.ParseString(cs.ContainerID) != nil {
			continue
		}
		c := &container{
			id: id.ID, podUID: pod.UID, podName: pod.Name, podNamespace: pod.Namespace, name: cs.Name,
			image: spec.Image, imageID: imageID(spec.Image), restartCount: cs.RestartCount,
			hash: kubeletcontainer.HashContainer(spec), running: cs.State.Running != nil,
			terminationGrace: pod.Spec.TerminationGracePeriodSeconds, env: containerEnv(pod, spec),
		}
		if cs.State.Running != nil {
			c.startedAt = cs.State.Running.StartedAt.Time
		} else if cs.State.Terminated != nil {
			c.startedAt, c.finishedAt, c.exitCode = cs.State.Terminated.StartedAt.Time, cs.State.Terminated.FinishedAt.Time, cs.State.Terminated.ExitCode
		}
		c.createdAt = c.startedAt
		r.byPod[pod.UID] = append(r.byPod[pod.UID], c)
		r.containers[c.id] = c
	}
}

func (r *containerRuntime) removePod(uid types.UID) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, c := range r.byPod[uid] {
		delete(r.containers, c.id)
	}
	delete(r.byPod, uid)
}
