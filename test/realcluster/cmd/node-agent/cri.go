package main

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	v1 "k8s.io/api/core/v1"
	criapi "k8s.io/cri-api/pkg/apis"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
	kubelettypes "k8s.io/kubelet/pkg/types"

	daemonruntime "github.com/openkruise/kruise/pkg/daemon/criruntime"
	runtimeimage "github.com/openkruise/kruise/pkg/daemon/criruntime/imageruntime"
)

// fakeCRI is the CRI endpoint kruise-daemon's own controllers talk to on one node. Only the calls those controllers
// make are implemented (list, status, stop, exec); the embedded nil interface makes any other call panic loudly
// rather than pretend. Knobs that model a broken node are applied here, at the runtime boundary, so Kruise's code
// reacts to them exactly as it would to a real runtime error.
type fakeCRI struct {
	criapi.RuntimeService
	node  string
	cause string // restart-log cause of the kills this endpoint performs: "inplace" (containermeta) or "crr"
	a     *agent
}

var _ criapi.RuntimeService = &fakeCRI{}

// criFactory hands one fakeCRI to one kruise-daemon controller (daemonruntime.Factory).
type criFactory struct{ svc *fakeCRI }

var _ daemonruntime.Factory = criFactory{}

func (f criFactory) GetImageService() runtimeimage.ImageService { return nil }
func (f criFactory) GetRuntimeService() criapi.RuntimeService   { return f.svc }
func (f criFactory) GetRuntimeServiceByName(name string) criapi.RuntimeService {
	if name == runtimeName {
		return f.svc
	}
	return nil
}

// visible applies the pod knobs that hide a container from the daemon: a frozen daemon gets no answer for the pod at
// all (the call times out), a container listed in missing-containers is simply not there.
func (s *fakeCRI) visible(c *container) (bool, error) {
	k := s.a.knobsFor(c.podNamespace, c.podName, c.podUID)
	if k.frozenDaemon {
		return false, status.Error(codes.DeadlineExceeded, "context deadline exceeded")
	}
	return !k.missing[c.name], nil
}

func (s *fakeCRI) ListContainers(_ context.Context, filter *runtimeapi.ContainerFilter) ([]*runtimeapi.Container, error) {
	var list []*container
	switch {
	case filter != nil && filter.Id != "":
		if c := s.a.rt.get(filter.Id); c != nil {
			list = append(list, c)
		}
	case filter != nil && filter.LabelSelector[kubelettypes.KubernetesPodUIDLabel] != "":
		list = s.a.rt.podContainers(typesUID(filter.LabelSelector[kubelettypes.KubernetesPodUIDLabel]))
	default:
		return nil, status.Error(codes.Unimplemented, "node agent lists containers by id or pod uid only")
	}
	out := make([]*runtimeapi.Container, 0, len(list))
	for _, c := range list {
		ok, err := s.visible(c)
		if err != nil {
			return nil, err
		}
		if !ok {
			continue
		}
		st := criStatus(c)
		out = append(out, &runtimeapi.Container{
			Id: st.Id, PodSandboxId: string(c.podUID), Metadata: st.Metadata, Image: st.Image, ImageRef: st.ImageRef,
			State: st.State, CreatedAt: st.CreatedAt, Labels: st.Labels, Annotations: st.Annotations,
		})
	}
	return out, nil
}

func (s *fakeCRI) ContainerStatus(_ context.Context, id string, _ bool) (*runtimeapi.ContainerStatusResponse, error) {
	c := s.a.rt.get(id)
	if c == nil {
		return nil, status.Errorf(codes.NotFound, "an error occurred when try to find container %q: not found", id)
	}
	if ok, err := s.visible(c); err != nil {
		return nil, err
	} else if !ok {
		return nil, status.Errorf(codes.NotFound, "an error occurred when try to find container %q: not found", id)
	}
	return &runtimeapi.ContainerStatusResponse{Status: criStatus(c)}, nil
}

func (s *fakeCRI) StopContainer(_ context.Context, id string, _ int64) error {
	c := s.a.rt.get(id)
	if c == nil {
		return status.Errorf(codes.NotFound, "an error occurred when try to find container %q: not found", id)
	}
	if _, err := s.visible(c); err != nil {
		return err
	}
	if s.a.knobsFor(c.podNamespace, c.podName, c.podUID).failRestart[c.name] {
		return status.Errorf(codes.Unknown, "failed to stop container %q: failed to kill container %q: operation not permitted", id, id)
	}
	s.a.killed(c, s.cause)
	return nil
}

func (s *fakeCRI) ExecSync(_ context.Context, id string, cmd []string, _ time.Duration) ([]byte, []byte, error) {
	c := s.a.rt.get(id)
	if c == nil {
		return nil, nil, status.Errorf(codes.NotFound, "an error occurred when try to find container %q: not found", id)
	}
	if _, err := s.visible(c); err != nil {
		return nil, nil, err
	}
	if !c.running {
		return nil, nil, status.Errorf(codes.FailedPrecondition, "container is in CONTAINER_EXITED state")
	}
	if len(cmd) == 1 && cmd[0] == "env" {
		if s.a.knobsFor(c.podNamespace, c.podName, c.podUID).noEnvBinary[c.name] {
			return nil, nil, status.Errorf(codes.Unknown, `failed to exec in container: failed to start exec %q: OCI runtime exec failed: exec failed: unable to start container process: exec: "env": executable file not found in $PATH: unknown`, newContainerID())
		}
		keys := make([]string, 0, len(c.env))
		for k := range c.env {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		var b strings.Builder
		b.WriteString("PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\nHOSTNAME=" + c.podName + "\n")
		for _, k := range keys {
			b.WriteString(k + "=" + c.env[k] + "\n")
		}
		return []byte(b.String()), nil, nil
	}
	// Other commands are preStop hooks: they succeed and do nothing.
	return nil, nil, nil
}

// criStatus renders an instance as containerd reports it, with the labels and annotations kubelet puts on every
// container (kruise-daemon restores the pod identity, restart count and spec hash from them).
func criStatus(c *container) *runtimeapi.ContainerStatus {
	state := runtimeapi.ContainerState_CONTAINER_RUNNING
	var finished int64
	reason := ""
	if !c.running {
		state = runtimeapi.ContainerState_CONTAINER_EXITED
		finished = c.finishedAt.UnixNano()
		reason = "Error"
	}
	ann := map[string]string{
		"io.kubernetes.container.hash":                     strconv.FormatUint(c.hash, 16),
		"io.kubernetes.container.restartCount":             strconv.Itoa(int(c.restartCount)),
		"io.kubernetes.container.terminationMessagePath":   v1.TerminationMessagePathDefault,
		"io.kubernetes.container.terminationMessagePolicy": string(v1.TerminationMessageReadFile),
	}
	if c.terminationGrace != nil {
		ann["io.kubernetes.pod.terminationGracePeriod"] = strconv.FormatInt(*c.terminationGrace, 10)
	}
	return &runtimeapi.ContainerStatus{
		Id:         c.id,
		Metadata:   &runtimeapi.ContainerMetadata{Name: c.name, Attempt: uint32(c.restartCount)},
		State:      state,
		CreatedAt:  c.createdAt.UnixNano(),
		StartedAt:  c.startedAt.UnixNano(),
		FinishedAt: finished,
		ExitCode:   exitCode(c),
		Image:      &runtimeapi.ImageSpec{Image: c.image},
		ImageRef:   c.imageID,
		Reason:     reason,
		Labels: map[string]string{
			kubelettypes.KubernetesPodNameLabel:       c.podName,
			kubelettypes.KubernetesPodNamespaceLabel:  c.podNamespace,
			kubelettypes.KubernetesPodUIDLabel:        string(c.podUID),
			kubelettypes.KubernetesContainerNameLabel: c.name,
		},
		Annotations: ann,
	}
}

func exitCode(c *container) int32 {
	if c.running {
		return 0
	}
	return c.exitCode
}

func (s *fakeCRI) String() string { return fmt.Sprintf("fake CRI on %s (%s)", s.node, s.cause) }
