// A minimal cAdvisor binary for tests/bench/cadvisor/run.sh, built from the published module
// github.com/google/cadvisor (the library the kubelet embeds); cAdvisor's own command
// (module github.com/google/cadvisor/cmd) is not on the Go module proxy this machine reaches.
// It wires what cmd/cadvisor.go wires for /metrics: the in-memory stats cache, the manager
// (raw cgroup factory only: no Docker, containerd, CRI-O or cloud-provider lookups), and a
// registry holding the container collector, the machine collector, and the Go and process
// collectors, with the request options the kubelet and cAdvisor's handler use (by name,
// recursive, last sample). Every cAdvisor library flag (--housekeeping_interval,
// --max_housekeeping_interval, --allow_dynamic_housekeeping, --docker_only, ...) keeps its
// upstream name and default; --disable_metrics defaults to cAdvisor's own default set.
package main

import (
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/google/cadvisor/cache/memory"
	"github.com/google/cadvisor/container"
	v2 "github.com/google/cadvisor/info/v2"
	"github.com/google/cadvisor/manager"
	"github.com/google/cadvisor/metrics"
	"github.com/google/cadvisor/utils/sysfs"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"k8s.io/klog/v2"
	"k8s.io/utils/clock"
)

var (
	listen          = flag.String("listen", "127.0.0.1:0", "HOST:PORT for /metrics (port 0: a free one)")
	portFile        = flag.String("port_file", "", "write the bound port here once listening")
	storageDuration = flag.Duration("storage_duration", 2*time.Minute, "how long stats stay in memory (cAdvisor's default)")
	storeLabels     = flag.Bool("store_container_labels", true, "container labels as metric labels (cAdvisor's flag)")
	rawWhitelist    = flag.String("raw_cgroup_prefix_whitelist", "", "cAdvisor's flag")
	// cAdvisor's default --disable_metrics (cmd/cadvisor.go, v0.52).
	disabled = container.MetricSet{
		container.MemoryNumaMetrics: {}, container.NetworkTcpUsageMetrics: {},
		container.NetworkUdpUsageMetrics: {}, container.NetworkAdvancedTcpUsageMetrics: {},
		container.ProcessSchedulerMetrics: {}, container.ProcessMetrics: {},
		container.HugetlbUsageMetrics: {}, container.ReferencedMemoryMetrics: {},
		container.CPUTopologyMetrics: {}, container.ResctrlMetrics: {}, container.CPUSetMetrics: {},
	}
	enabled = container.MetricSet{}
)

func main() {
	flag.Var(&disabled, "disable_metrics", "metric kinds to disable: "+container.AllMetrics.String())
	flag.Var(&enabled, "enable_metrics", "metric kinds to enable (overrides --disable_metrics)")
	klog.InitFlags(nil)
	flag.Parse()

	included := container.AllMetrics.Difference(disabled)
	if len(enabled) > 0 {
		included = enabled
	}
	klog.Infof("enabled metrics: %s", included.String())

	cache := memory.New(*storageDuration, nil)
	client := http.Client{}
	m, err := manager.New(cache, sysfs.NewRealSysFs(), manager.HousekeepingConfigFlags, included,
		&client, strings.Split(*rawWhitelist, ","), nil, "", 0)
	if err != nil {
		klog.Fatalf("manager: %v", err)
	}
	labels := metrics.DefaultContainerLabels
	if !*storeLabels {
		labels = metrics.BaseContainerLabels(nil)
	}
	opts := v2.RequestOptions{IdType: v2.TypeName, Count: 1, Recursive: true}
	reg := prometheus.NewRegistry()
	reg.MustRegister(
		metrics.NewPrometheusCollector(m, labels, included, clock.RealClock{}, opts),
		metrics.NewPrometheusMachineCollector(m, included),
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
	)
	mux := http.NewServeMux()
	mux.Handle("/metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{ErrorHandling: promhttp.ContinueOnError}))
	if err := m.Start(); err != nil {
		klog.Fatalf("manager start: %v", err)
	}

	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		klog.Fatalf("listen: %v", err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	if *portFile != "" {
		tmp := *portFile + ".tmp"
		if err := os.WriteFile(tmp, []byte(fmt.Sprintf("%d\n", port)), 0o644); err != nil {
			klog.Fatalf("port file: %v", err)
		}
		if err := os.Rename(tmp, *portFile); err != nil {
			klog.Fatalf("port file: %v", err)
		}
	}
	klog.Infof("cadvisor: metrics listening on %s", ln.Addr())

	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
	go func() {
		<-sig
		_ = m.Stop()
		klog.Flush()
		os.Exit(0)
	}()
	klog.Fatal(http.Serve(ln, mux))
}
