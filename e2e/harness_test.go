//go:build linux

package e2e

import (
	"testing"
	"time"

	"github.com/spopkit/spopkit/spopwire"
)

// TestHarnessStubAgent checks the harness on its own, with the spopwire-only
// stub agent: both HAProxy versions start from the generated configs, the
// health check marks the agent UP, and a variable set by the agent reaches
// the response for IPv4 and IPv6 clients.
func TestHarnessStubAgent(t *testing.T) {
	forEachHAProxy(t, func(t *testing.T, v *haproxyVersion) {
		t.Parallel()
		agent := startStubAgent(t, func(b, payload []byte) []byte {
			return spopwire.AppendSetVar(b, spopwire.ScopeSession, "ip_score", spopwire.Int64Value(7))
		})
		backend, served := startBackend(t)
		h := startHAProxy(t, v, Setup{AgentAddr: agent.Addr(), BackendAddr: backend, Check: true})
		if st, err := h.WaitServerStatus("spoe-agents", "agent1", "UP", 5*time.Second); err != nil {
			t.Fatalf("spop-check: %v", err)
		} else {
			t.Logf("HAProxy %s: agent1 %s, check %s", v.Name, st["status"], st["check_status"])
		}
		c := newClient(t, 2, 5*time.Second)
		for _, fam := range families() {
			r := mustGet(t, c, h.URL(fam, "/stub"))
			if got := r.Header.Get("X-Ip-Score"); got != "7" {
				t.Errorf("IPv%s: X-Ip-Score = %q; want 7 (X-Spoe-Error %q)", fam, got, r.Header.Get("X-Spoe-Error"))
			}
		}
		if served.Load() == 0 {
			t.Error("backend served nothing")
		}
		if agent.checks.Load() == 0 || agent.notifies.Load() == 0 {
			t.Errorf("stub agent saw %d checks, %d NOTIFYs; want some of each", agent.checks.Load(), agent.notifies.Load())
		}
	})
}

// families lists the client address families to test: "4", and "6" when
// the host has IPv6 loopback (under CI=true it must have).
func families() []string {
	if hasIPv6() || inCI() {
		return []string{"4", "6"}
	}
	return []string{"4"}
}
