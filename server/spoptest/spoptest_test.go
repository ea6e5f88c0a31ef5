package spoptest_test

import (
	"errors"
	"net/netip"
	"testing"
	"time"

	"github.com/spopkit/spopkit/server"
	"github.com/spopkit/spopkit/server/spoptest"
	"github.com/spopkit/spopkit/spopwire"
)

// ipScore is the classic ip-reputation handler: it sets sess.ip_score from
// the first argument of check-client-ip.
var ipScore = server.HandlerFunc(func(req *server.Request, acts *server.Actions) error {
	it := req.Messages()
	for msg, ok := it.Next(); ok; msg, ok = it.Next() {
		if string(msg.Name) != "check-client-ip" {
			continue
		}
		args := msg.Args()
		a, _ := args.Next()
		score := int64(10)
		if a.Value.Addr().Is4() {
			score = 42
		}
		acts.SetVar(spopwire.ScopeSession, "ip_score", spopwire.Int64Value(score))
	}
	return nil
})

func TestNotify(t *testing.T) {
	hp := spoptest.New(t, ipScore, spoptest.Options{})
	acts, err := hp.Notify(spoptest.Msg("check-client-ip", spoptest.Arg("ip", spopwire.AddrValue(netip.MustParseAddr("192.0.2.1")))))
	if err != nil {
		t.Fatal(err)
	}
	if len(acts) != 1 || string(acts[0].Name) != "ip_score" || acts[0].Value.Int64() != 42 || acts[0].Scope != spopwire.ScopeSession {
		t.Fatalf("Notify = %v; want sess.ip_score = 42", acts)
	}
	if h := hp.AgentHello(); string(h.Version) != "2.0" || h.MaxFrameSize != 16380 || h.Capabilities != spopwire.CapPipelining {
		t.Fatalf("AgentHello = %+v; want 2.0, 16380, pipelining", h)
	}
	if st := hp.Server().Stats(); st.Notifies != 1 || st.Acks != 1 || st.ConnsCurrent != 1 {
		t.Fatalf("Stats = %+v; want 1 NOTIFY, 1 ACK, 1 conn", st)
	}
}

func TestHandshakeOptions(t *testing.T) {
	tests := []struct {
		name     string
		opts     spoptest.Options
		wantMax  uint32
		wantCaps spopwire.Capabilities
	}{
		{"defaults", spoptest.Options{}, 16380, spopwire.CapPipelining},
		{"haproxy smaller", spoptest.Options{MaxFrameSize: 1024}, 1024, spopwire.CapPipelining},
		{"agent smaller", spoptest.Options{Config: server.Config{MaxFrameSize: 4096}}, 4096, spopwire.CapPipelining},
		{"2.6 caps, agent default", spoptest.Options{Capabilities: spopwire.CapPipelining | spopwire.CapAsync}, 16380, spopwire.CapPipelining},
		{"async both", spoptest.Options{Capabilities: spopwire.CapPipelining | spopwire.CapAsync,
			Config: server.Config{Capabilities: spopwire.CapPipelining | spopwire.CapAsync}}, 16380, spopwire.CapPipelining | spopwire.CapAsync},
		{"empty caps", spoptest.Options{Capabilities: server.CapabilitiesNone}, 16380, 0},
		{"fragmentation announced by the receiver", spoptest.Options{Config: server.Config{Capabilities: spopwire.CapPipelining | spopwire.CapFragmentation}},
			16380, spopwire.CapPipelining | spopwire.CapFragmentation},
		{"agent offers nothing", spoptest.Options{Config: server.Config{Capabilities: server.CapabilitiesNone}}, 16380, 0},
		{"no engine-id", spoptest.Options{NoEngineID: true}, 16380, spopwire.CapPipelining},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hp := spoptest.New(t, ipScore, tt.opts)
			h := hp.AgentHello()
			if h.MaxFrameSize != tt.wantMax || h.Capabilities != tt.wantCaps {
				t.Errorf("AgentHello = max %d caps %q; want max %d caps %q", h.MaxFrameSize, h.Capabilities, tt.wantMax, tt.wantCaps)
			}
		})
	}
}

func TestHealthcheck(t *testing.T) {
	hp := spoptest.New(t, ipScore, spoptest.Options{Healthcheck: true})
	if closed, disc := hp.Closed(); !closed || disc != nil {
		t.Fatalf("Closed() = %v, %v; want true, nil (AGENT-HELLO then close)", closed, disc)
	}
}

func TestErrorPolicy(t *testing.T) {
	big := make([]byte, 20000)
	tests := []struct {
		name string
		h    server.HandlerFunc
		want int64
	}{
		{"error", func(*server.Request, *server.Actions) error { return errors.New("boom") }, server.ErrorCodeHandler},
		{"panic", func(*server.Request, *server.Actions) error { panic("boom") }, server.ErrorCodePanic},
		{"too big", func(_ *server.Request, a *server.Actions) error {
			a.SetVar(spopwire.ScopeTransaction, "big", spopwire.BinaryValue(big))
			return nil
		}, server.ErrorCodeAckTooBig},
		{"partial actions discarded", func(_ *server.Request, a *server.Actions) error {
			a.SetVar(spopwire.ScopeTransaction, "x", spopwire.Int64Value(1))
			return errors.New("late failure")
		}, server.ErrorCodeHandler},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var seen []error
			hp := spoptest.New(t, tt.h, spoptest.Options{Config: server.Config{OnError: func(err error) { seen = append(seen, err) }}})
			acts, err := hp.Notify(spoptest.Msg("m"))
			if err != nil {
				t.Fatal(err)
			}
			if len(acts) != 1 || string(acts[0].Name) != "agent_error" || acts[0].Scope != spopwire.ScopeTransaction || acts[0].Value.Int64() != tt.want {
				t.Fatalf("actions = %v; want txn.agent_error = %d", acts, tt.want)
			}
			var he *server.HandlerError
			if len(seen) != 1 || !errors.As(seen[0], &he) || he.Code != tt.want {
				t.Fatalf("OnError saw %v; want one HandlerError code %d", seen, tt.want)
			}
			// The connection survives.
			if _, err := hp.Notify(spoptest.Msg("m")); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func TestOffload(t *testing.T) {
	h := server.HandlerFunc(func(req *server.Request, acts *server.Actions) error {
		acts.SetVar(spopwire.ScopeTransaction, "before", spopwire.Int64Value(1))
		if err := req.Offload(func(acts *server.Actions) error {
			time.Sleep(10 * time.Millisecond)
			acts.SetVar(spopwire.ScopeTransaction, "worker", spopwire.Int64Value(3))
			return nil
		}); err != nil {
			return err
		}
		acts.SetVar(spopwire.ScopeTransaction, "after", spopwire.Int64Value(2))
		if err := req.Offload(func(*server.Actions) error { return nil }); err != server.ErrAlreadyOffloaded {
			t.Errorf("second Offload = %v; want ErrAlreadyOffloaded", err)
		}
		return nil
	})
	hp := spoptest.New(t, h, spoptest.Options{})
	acts, err := hp.Notify(spoptest.Msg("m"))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, a := range acts {
		names = append(names, string(a.Name))
	}
	if len(names) != 3 || names[0] != "before" || names[1] != "after" || names[2] != "worker" {
		t.Fatalf("actions = %v; want before, after, worker", names)
	}
}

func TestOffloadOverloaded(t *testing.T) {
	started, release := make(chan struct{}, 2), make(chan struct{})
	h := server.HandlerFunc(func(req *server.Request, acts *server.Actions) error {
		return req.Offload(func(*server.Actions) error { started <- struct{}{}; <-release; return nil })
	})
	hp := spoptest.New(t, h, spoptest.Options{Config: server.Config{Workers: 1, OffloadQueue: 1}})
	p1, _ := hp.Begin(spoptest.Msg("m"))
	<-started                            // p1 occupies the only worker
	p2, _ := hp.Begin(spoptest.Msg("m")) // p2 fills the queue
	acts, err := hp.Notify(spoptest.Msg("m"))
	if err != nil {
		t.Fatal(err)
	}
	if len(acts) != 1 || acts[0].Value.Int64() != server.ErrorCodeOverloaded {
		t.Fatalf("third NOTIFY = %v; want agent_error = 4", acts)
	}
	close(release)
	for _, p := range []spoptest.Pending{p1, p2} {
		if acts, err := hp.Wait(p); err != nil || len(acts) != 0 {
			t.Fatalf("Wait(%v) = %v, %v; want an empty ACK", p, acts, err)
		}
	}
	if st := hp.Server().Stats(); st.HandlerErrors[server.ErrorCodeOverloaded] != 1 || st.InFlight != 0 {
		t.Fatalf("Stats: overloaded %d, in flight %d; want 1, 0", st.HandlerErrors[server.ErrorCodeOverloaded], st.InFlight)
	}
}

func TestDisconnect(t *testing.T) {
	hp := spoptest.New(t, ipScore, spoptest.Options{})
	d, err := hp.Disconnect(spopwire.StatusTimeout)
	if err != nil {
		t.Fatal(err)
	}
	if d.Status != spopwire.StatusNormal {
		t.Fatalf("AGENT-DISCONNECT status = %d; want 0", d.Status)
	}
	if closed, _ := hp.Closed(); !closed {
		t.Fatal("session not closing after HAPROXY-DISCONNECT")
	}
}

func TestOffloadFailures(t *testing.T) {
	tests := []struct {
		name string
		cfg  server.Config
		h    server.HandlerFunc
		want int64 // error code in the ACK, 0 for none
	}{
		{"offloaded error", server.Config{}, func(req *server.Request, _ *server.Actions) error {
			return req.Offload(func(*server.Actions) error { return errors.New("backend down") })
		}, server.ErrorCodeHandler},
		{"offloaded panic", server.Config{}, func(req *server.Request, _ *server.Actions) error {
			return req.Offload(func(*server.Actions) error { panic("worker") })
		}, server.ErrorCodePanic},
		{"offloaded too big", server.Config{MaxFrameSize: 256}, func(req *server.Request, _ *server.Actions) error {
			return req.Offload(func(a *server.Actions) error {
				a.SetVar(spopwire.ScopeTransaction, "x", spopwire.BinaryValue(make([]byte, 300)))
				return nil
			})
		}, server.ErrorCodeAckTooBig},
		{"error after Offload cancels it", server.Config{}, func(req *server.Request, _ *server.Actions) error {
			if err := req.Offload(func(*server.Actions) error { t.Error("cancelled work ran"); return nil }); err != nil {
				return err
			}
			return errors.New("changed my mind")
		}, server.ErrorCodeHandler},
		{"no workers", server.Config{Workers: -1}, func(req *server.Request, _ *server.Actions) error {
			if err := req.Offload(func(*server.Actions) error { return nil }); err != server.ErrNoWorkers {
				t.Errorf("Offload = %v; want ErrNoWorkers", err)
			}
			return nil
		}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hp := spoptest.New(t, tt.h, spoptest.Options{Config: tt.cfg, MaxFrameSize: tt.cfg.MaxFrameSize})
			for range 2 {
				acts, err := hp.Notify(spoptest.Msg("m"))
				if err != nil {
					t.Fatal(err)
				}
				switch {
				case tt.want == 0 && len(acts) != 0:
					t.Fatalf("actions = %v; want none", acts)
				case tt.want != 0 && (len(acts) != 1 || acts[0].Value.Int64() != tt.want):
					t.Fatalf("actions = %v; want agent_error = %d", acts, tt.want)
				}
			}
			if st := hp.Server().Stats(); st.InFlight != 0 {
				t.Errorf("InFlight = %d after the ACKs; want 0", st.InFlight)
			}
		})
	}
}

func TestFragmentsInMemory(t *testing.T) {
	hp := spoptest.New(t, ipScore, spoptest.Options{
		Capabilities: spopwire.CapPipelining | spopwire.CapAsync,
		Config:       server.Config{Capabilities: spopwire.CapPipelining | spopwire.CapFragmentation},
	})
	p := spoptest.AppendMessages(nil, spoptest.Msg("check-client-ip", spoptest.Arg("", spopwire.AddrValue(netip.MustParseAddr("192.0.2.1")))))
	var frames []byte
	frames = spopwire.AppendFrame(frames, spopwire.Frame{Type: spopwire.FrameNotify, StreamID: 0, FrameID: 1, Payload: p[:5]})
	frames = spopwire.AppendFrame(frames, spopwire.Frame{Type: spopwire.FrameUnset, StreamID: 0, FrameID: 1, Payload: p[5:9]})
	frames = spopwire.AppendFrame(frames, spopwire.Frame{Type: spopwire.FrameUnset, Flags: spopwire.FlagFin, StreamID: 0, FrameID: 1, Payload: p[9:]})
	if err := hp.SendRaw(frames); err != nil {
		t.Fatal(err)
	}
	acts, err := hp.Wait(spoptest.Pending{StreamID: 0, FrameID: 1})
	if err != nil || len(acts) != 1 || acts[0].Value.Int64() != 42 {
		t.Fatalf("reassembled NOTIFY: %v %v", acts, err)
	}
}

func TestOffloadOutsideHandler(t *testing.T) {
	var kept *server.Request
	hp := spoptest.New(t, server.HandlerFunc(func(req *server.Request, _ *server.Actions) error {
		kept = req // breaks the contract, on purpose
		return nil
	}), spoptest.Options{})
	if _, err := hp.Notify(spoptest.Msg("m")); err != nil {
		t.Fatal(err)
	}
	if err := kept.Offload(func(*server.Actions) error { return nil }); err != server.ErrNotInHandler {
		t.Fatalf("Offload after HandleNotify returned = %v; want ErrNotInHandler", err)
	}
}
