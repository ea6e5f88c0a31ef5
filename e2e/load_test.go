//go:build linux

package e2e

import (
	"context"
	"os"
	"strconv"
	"testing"
	"time"
)

// envSeconds reads a duration in seconds from name, or def.
func envSeconds(t testing.TB, name string, def int) time.Duration {
	t.Helper()
	s := os.Getenv(name)
	if s == "" {
		return time.Duration(def) * time.Second
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 {
		t.Fatalf("%s=%q: want a number of seconds", name, s)
	}
	return time.Duration(n) * time.Second
}

// loadURLs spreads the load over the IPv4 and IPv6 frontends.
func loadURLs(h *HAProxy, path string) []string {
	var urls []string
	for _, fam := range families() {
		urls = append(urls, h.URL(fam, path))
	}
	return urls
}

const (
	loadWorkers     = 16        // concurrent keep-alive client connections
	loadMaxRequests = 2_000_000 // upper bound whatever the duration
)

// TestKeepAliveLoad: E2E_LOAD_SECONDS (default 20) of keep-alive HTTP load
// through each HAProxy version to the default agent, with no SPOE error:
// every response carries the agent's variable and none the error variable.
// It reports HAProxy's SPOE processing time (NOTIFY sent → ACK received)
// percentiles. The versions run one after the other so that they do not
// compete for the CPUs.
func TestKeepAliveLoad(t *testing.T) {
	d := envSeconds(t, "E2E_LOAD_SECONDS", 20)
	if d == 0 {
		t.Skip("E2E_LOAD_SECONDS=0")
	}
	forEachHAProxy(t, func(t *testing.T, v *haproxyVersion) {
		kind := defaultAgentKind()
		agent := kind.Start(t, agentOptions{Handler: scoreHandler(42), Stub: scoreStub(42)})
		backend, served := startBackend(t)
		h := startHAProxy(t, v, Setup{AgentAddr: agent.Addr(), BackendAddr: backend, LogLevel: "warning", Nbthread: 2})
		res := runLoad(t, loadURLs(h, "/load"), loadWorkers, d, loadMaxRequests, "X-Ip-Score")
		t.Logf("HAProxy %s, %s agent, %d workers: %v", v.Name, kind.Name, loadWorkers, res)
		if st, err := h.Stat("spoe-agents", "BACKEND"); err == nil {
			t.Logf("HAProxy %s agent backend: %s sessions total (3.x: one per SPOP stream), %s current, econ %s, eresp %s",
				v.Name, st["stot"], st["scur"], st["econ"], st["eresp"])
		}
		if res.Requests == 0 || res.Errors != 0 || res.Non200 != 0 || res.SpoeErrors != 0 || res.MissingVar != 0 {
			t.Errorf("want >0 requests and no error of any kind; first error: %s", res.FirstError)
		}
		if served.Load() < res.Requests {
			t.Errorf("backend served %d < %d responses", served.Load(), res.Requests)
		}
	})
}

// TestReloadUnderLoad: master-worker HAProxy reloaded twice (SIGUSR2) during
// keep-alive load loses no request and sets the variable on every response:
// old workers finish their streams, new workers open new agent connections.
func TestReloadUnderLoad(t *testing.T) {
	forEachHAProxy(t, func(t *testing.T, v *haproxyVersion) {
		t.Parallel()
		kind := defaultAgentKind()
		agent := kind.Start(t, agentOptions{Handler: scoreHandler(5), Stub: scoreStub(5)})
		backend, _ := startBackend(t)
		h := startHAProxy(t, v, Setup{AgentAddr: agent.Addr(), BackendAddr: backend, LogLevel: "warning", MasterWorker: true})
		const d = 6 * time.Second
		done := make(chan *LoadResult, 1)
		go func() { done <- runLoad(t, loadURLs(h, "/reload"), 8, d, loadMaxRequests, "X-Ip-Score") }()
		reloads := 0
		for _, at := range []time.Duration{2 * time.Second, 2 * time.Second} {
			time.Sleep(at)
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			err := h.Reload(ctx)
			cancel()
			if err != nil {
				t.Errorf("reload: %v", err)
				break
			}
			reloads++
		}
		res := <-done
		t.Logf("HAProxy %s, %s agent, %d reloads: %v", v.Name, kind.Name, reloads, res)
		if res.Requests == 0 || res.Errors != 0 || res.Non200 != 0 || res.SpoeErrors != 0 || res.MissingVar != 0 {
			t.Errorf("want >0 requests and no error of any kind across reloads; first error: %s", res.FirstError)
		}
	})
}
