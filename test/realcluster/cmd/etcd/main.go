// Command etcd runs a single-member etcd for the real-cluster test tier: the kube-apiserver needs a real store, and
// embedding the server keeps it buildable from the module proxy alone (no release tarball, no container).
package main

import (
	"flag"
	"fmt"
	"log"
	"net/url"
	"os"
	"os/signal"
	"syscall"
	"time"

	"go.etcd.io/etcd/server/v3/embed"
)

func main() {
	dataDir := flag.String("data-dir", "", "directory for the member's data (required)")
	clientURL := flag.String("listen-client-url", "http://127.0.0.1:2379", "where the kube-apiserver connects")
	peerURL := flag.String("listen-peer-url", "http://127.0.0.1:2380", "raft peer URL (a single member still binds one)")
	flag.Parse()
	if *dataDir == "" {
		fmt.Fprintln(os.Stderr, "error: --data-dir is required")
		os.Exit(2)
	}
	client, err := url.Parse(*clientURL)
	if err != nil {
		log.Fatalf("error: --listen-client-url: %v", err)
	}
	peer, err := url.Parse(*peerURL)
	if err != nil {
		log.Fatalf("error: --listen-peer-url: %v", err)
	}

	cfg := embed.NewConfig()
	cfg.Name = "realcluster"
	cfg.Dir = *dataDir
	cfg.ListenClientUrls = []url.URL{*client}
	cfg.AdvertiseClientUrls = []url.URL{*client}
	cfg.ListenPeerUrls = []url.URL{*peer}
	cfg.AdvertisePeerUrls = []url.URL{*peer}
	cfg.InitialCluster = cfg.Name + "=" + peer.String()
	cfg.LogLevel = "warn"
	// Test data is thrown away at stop: skip fsync so a 2-core machine spends its time on the control plane.
	cfg.UnsafeNoFsync = true

	server, err := embed.StartEtcd(cfg)
	if err != nil {
		log.Fatalf("error: starting etcd: %v", err)
	}
	select {
	case <-server.Server.ReadyNotify():
		fmt.Println("etcd ready on", client.String())
	case <-time.After(60 * time.Second):
		server.Close()
		log.Fatal("error: etcd did not become ready within 60s")
	}

	stop := make(chan os.Signal, 1)
	signal.Notify(stop, syscall.SIGINT, syscall.SIGTERM)
	select {
	case <-stop:
	case err := <-server.Err():
		log.Printf("etcd stopped: %v", err)
	}
	server.Close()
}
