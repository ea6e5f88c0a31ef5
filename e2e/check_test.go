//go:build linux

package e2e

import (
	"net"
	"testing"
	"time"
)

// TestSpopCheck: `option spop-check` marks a live agent UP after a real
// L7 check (the agent answered the health-check HELLO), and an address where
// nothing listens DOWN. Run for every agent kind and HAProxy version.
func TestSpopCheck(t *testing.T) {
	forEachHAProxy(t, func(t *testing.T, v *haproxyVersion) {
		t.Parallel()
		for _, kind := range agentKinds {
			t.Run(kind.Name, func(t *testing.T) {
				agent := kind.Start(t, agentOptions{Handler: scoreHandler(1), Stub: scoreStub(1)})
				backend, _ := startBackend(t)
				h := startHAProxy(t, v, Setup{AgentAddr: agent.Addr(), BackendAddr: backend, Check: true})
				st, err := h.WaitCheck("spoe-agents", "agent1", "UP", "L7OK", 5*time.Second)
				if err != nil {
					t.Fatalf("spop-check: %v", err)
				}
				state, err := h.ServerState("spoe-agents", "agent1")
				if err != nil {
					t.Fatal(err)
				}
				// srv_op_state 2 = SRV_ST_RUNNING.
				if state["srv_op_state"] != "2" {
					t.Errorf("show servers state: srv_op_state = %q; want 2 (running)", state["srv_op_state"])
				}
				t.Logf("HAProxy %s, %s agent: status %s, check %s (%s), chkfail %s",
					v.Name, kind.Name, st["status"], st["check_status"], st["check_desc"], st["chkfail"])
			})
		}
		t.Run("nothing-listening", func(t *testing.T) {
			l, err := net.Listen("tcp4", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			dead := l.Addr().String()
			l.Close()
			backend, _ := startBackend(t)
			h := startHAProxy(t, v, Setup{AgentAddr: dead, BackendAddr: backend, Check: true})
			st, err := h.WaitServerStatus("spoe-agents", "agent1", "DOWN", 5*time.Second)
			if err != nil {
				t.Fatalf("spop-check on a closed port: %v", err)
			}
			t.Logf("HAProxy %s, no agent: status %s, check %s", v.Name, st["status"], st["check_status"])
		})
	})
}
