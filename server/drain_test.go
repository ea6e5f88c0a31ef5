package server_test

import (
	"net/netip"
	"slices"
	"testing"
	"time"

	"github.com/spopkit/spopkit/server"
	"github.com/spopkit/spopkit/server/internal/spopclient"
	"github.com/spopkit/spopkit/server/spoptest"
	"github.com/spopkit/spopkit/spopwire"
)

// TestDrainGoodbye pins down where a draining session says AGENT-DISCONNECT,
// frame by frame, without sockets: the default drain at the first quiet
// point; the passive drain only right after the ACK a lockstep connection
// (no pipelining) waits for, where no NOTIFY can be on the wire.
func TestDrainGoodbye(t *testing.T) {
	const (
		ack  = spopwire.FrameAck
		disc = spopwire.FrameAgentDisconnect
	)
	tests := []struct {
		name    string
		passive bool
		caps    spopwire.Capabilities // offered by "HAProxy"
		msg     string                // "" = no NOTIFY, "slow" = offloaded
		want    []spopwire.FrameType  // after Receive (and Poll when offloaded)
		tick    []spopwire.FrameType  // then after a DrainTick
	}{
		{"default/pipelined/notify", false, spopwire.CapPipelining, "fast", []spopwire.FrameType{ack, disc}, nil},
		{"default/pipelined/offloaded", false, spopwire.CapPipelining, "slow", []spopwire.FrameType{ack, disc}, nil},
		{"default/pipelined/idle", false, spopwire.CapPipelining, "", nil, []spopwire.FrameType{disc}},
		{"default/lockstep/idle", false, 0, "", nil, []spopwire.FrameType{disc}},
		{"passive/pipelined/notify", true, spopwire.CapPipelining, "fast", []spopwire.FrameType{ack}, nil},
		{"passive/pipelined/offloaded", true, spopwire.CapPipelining, "slow", []spopwire.FrameType{ack}, nil},
		{"passive/async/notify", true, spopwire.CapAsync, "fast", []spopwire.FrameType{ack}, nil},
		{"passive/pipelined/idle", true, spopwire.CapPipelining, "", nil, nil},
		{"passive/lockstep/notify", true, 0, "fast", []spopwire.FrameType{ack, disc}, nil},
		{"passive/lockstep/offloaded", true, 0, "slow", []spopwire.FrameType{ack, disc}, nil},
		{"passive/lockstep/idle", true, 0, "", nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := server.HandlerFunc(func(req *server.Request, acts *server.Actions) error {
				it := req.Messages()
				if m, ok := it.Next(); ok && string(m.Name) == "slow" {
					return req.Offload(func(a *server.Actions) error {
						a.SetVar(spopwire.ScopeTransaction, "slow", spopwire.Int64Value(1))
						return nil
					})
				}
				acts.SetVar(spopwire.ScopeTransaction, "fast", spopwire.Int64Value(1))
				return nil
			})
			woken := make(chan struct{}, 1)
			sess := drainingSession(t, server.Config{PassiveDrain: tt.passive, Capabilities: spopwire.CapPipelining | spopwire.CapAsync}, h, tt.caps, func() { woken <- struct{}{} })
			if _, negotiated := sess.Negotiated(); negotiated != tt.caps {
				t.Fatalf("negotiated %v; want %v", negotiated, tt.caps)
			}
			if out := sess.Shutdown(nil); len(out) != 0 {
				t.Fatalf("Shutdown wrote %v; want nothing yet", frameTypes(t, out))
			}

			var got []spopwire.FrameType
			if tt.msg != "" {
				b := spopclient.Notify(1, 1, payload(spoptest.Msg(tt.msg)))
				n, out := sess.Receive(b, nil)
				if n != len(b) {
					t.Fatalf("Receive consumed %d of %d bytes", n, len(b))
				}
				got = append(got, frameTypes(t, out)...)
				if tt.msg == "slow" {
					if len(got) != 0 {
						t.Fatalf("before the offloaded work completed: %v; want nothing", got)
					}
					select {
					case <-woken:
					case <-time.After(10 * time.Second):
						t.Fatal("offloaded work did not complete")
					}
					got = append(got, frameTypes(t, sess.Poll(nil))...)
				}
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("answer %v; want %v", got, tt.want)
			}
			if tick := frameTypes(t, sess.DrainTick(nil)); !slices.Equal(tick, tt.tick) {
				t.Errorf("DrainTick: %v; want %v", tick, tt.tick)
			}
		})
	}
}

// drainingSession returns a sans-IO session of a server with cfg and h,
// after a HELLO offering caps. wake is NewSession's.
func drainingSession(t *testing.T, cfg server.Config, h server.Handler, caps spopwire.Capabilities, wake func()) *server.Session {
	t.Helper()
	srv, err := server.New(cfg, h)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	sess := srv.NewSession(netip.AddrPort{}, wake)
	hello := spopclient.HAProxy3Hello()
	hello.Capabilities = caps
	if _, out := sess.Receive(spopwire.AppendHAProxyHello(nil, hello), nil); frameTypes(t, out)[0] != spopwire.FrameAgentHello {
		t.Fatal("no AGENT-HELLO")
	}
	return sess
}

// frameTypes splits out into frames and returns their types.
func frameTypes(t *testing.T, out []byte) []spopwire.FrameType {
	t.Helper()
	var types []spopwire.FrameType
	for len(out) > 0 {
		f, n := spopwire.ConsumeFrame(out, 1<<20)
		if n <= 0 {
			t.Fatalf("bad frame in the output (%d)", n)
		}
		types = append(types, f.Type)
		out = out[n:]
	}
	return types
}

// TestDrainCompletesFragments: a fragmented NOTIFY half received when
// Shutdown is called is completed and answered, and the goodbye waits for
// it: dropping it would fail its request.
func TestDrainCompletesFragments(t *testing.T) {
	tests := []struct {
		name    string
		passive bool
		caps    spopwire.Capabilities
	}{
		{"default", false, spopwire.CapPipelining | spopwire.CapFragmentation},
		// lockstep: the passive drain's goodbye rides on the ACK
		{"passive", true, spopwire.CapFragmentation},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := server.HandlerFunc(func(req *server.Request, acts *server.Actions) error {
				acts.SetVar(spopwire.ScopeTransaction, "whole", spopwire.Int64Value(int64(len(req.Payload))))
				return nil
			})
			sess := drainingSession(t, server.Config{PassiveDrain: tt.passive, Capabilities: tt.caps}, h, tt.caps, func() {})
			p := payload(spoptest.Msg("big", spoptest.Arg("body", spopwire.BinaryValue(make([]byte, 300)))))
			first := spopclient.Frame(spopwire.FrameNotify, 0, 1, 1, p[:100])
			rest := spopclient.Frame(spopwire.FrameUnset, spopwire.FlagFin, 1, 1, p[100:])

			if _, out := sess.Receive(first, nil); len(out) != 0 {
				t.Fatalf("first fragment answered with %v", frameTypes(t, out))
			}
			if out := sess.Shutdown(nil); len(out) != 0 {
				t.Fatalf("Shutdown wrote %v; want nothing while a NOTIFY is half received", frameTypes(t, out))
			}
			if out := sess.DrainTick(nil); len(out) != 0 {
				t.Fatalf("DrainTick wrote %v; want nothing while a NOTIFY is half received", frameTypes(t, out))
			}
			_, out := sess.Receive(rest, nil)
			if got := frameTypes(t, out); !slices.Equal(got, []spopwire.FrameType{spopwire.FrameAck, spopwire.FrameAgentDisconnect}) {
				t.Fatalf("last fragment answered with %v; want the ACK, then the goodbye", got)
			}
		})
	}
}
