package server_test

import (
	"bytes"
	"encoding/binary"
	"errors"
	"net/netip"
	"testing"

	"github.com/spopkit/spopkit/server"
	"github.com/spopkit/spopkit/server/internal/spopclient"
	"github.com/spopkit/spopkit/server/spoptest"
	"github.com/spopkit/spopkit/spopwire"
)

// The conformance suite plays HAProxy over real sockets against every
// engine. Expectations come from spop-reference.md (§4 handshake, §5
// disconnection, §6 capabilities, §12) and haproxy-behaviour.md.

type kv struct {
	k string
	v spopwire.Value
}

func helloFrame(kvs ...kv) []byte {
	b, start := spopwire.StartFrame(nil, spopwire.FrameHAProxyHello, spopwire.FlagFin, 0, 0)
	for _, x := range kvs {
		b = spopwire.AppendKV(b, x.k, x.v)
	}
	spopwire.FinishFrame(b, start)
	return b
}

var (
	kvVersions = kv{"supported-versions", spopwire.StringValue("2.0")}
	kvMax      = kv{"max-frame-size", spopwire.Uint32Value(16380)}
	kvCaps3    = kv{"capabilities", spopwire.StringValue("pipelining")}
	kvCaps26   = kv{"capabilities", spopwire.StringValue("pipelining,async")}
	kvEngine   = kv{"engine-id", spopwire.StringValue("d4fe8f4d-c00d-41cf-9cb8-e50cc9fe47bb")}
)

func TestHandshake(t *testing.T) {
	tests := []struct {
		name     string
		cfg      server.Config
		hello    []byte
		wantMax  uint32
		wantCaps string
		closes   bool // health check: AGENT-HELLO then close
	}{
		{"3.x hello", server.Config{}, helloFrame(kvVersions, kvMax, kvCaps3, kvEngine), 16380, "pipelining", false},
		{"2.6 hello", server.Config{}, helloFrame(kvVersions, kvMax, kvCaps26, kvEngine), 16380, "pipelining", false},
		{"2.6 hello, async offered", server.Config{Capabilities: spopwire.CapPipelining | spopwire.CapAsync},
			helloFrame(kvVersions, kvMax, kvCaps26, kvEngine), 16380, "pipelining,async", false},
		{"3.x hello, async offered", server.Config{Capabilities: spopwire.CapPipelining | spopwire.CapAsync},
			helloFrame(kvVersions, kvMax, kvCaps3, kvEngine), 16380, "pipelining", false},
		{"fragmentation announced", server.Config{Capabilities: spopwire.CapPipelining | spopwire.CapFragmentation},
			helloFrame(kvVersions, kvMax, kvCaps26, kvEngine), 16380, "pipelining,fragmentation", false},
		{"missing engine-id", server.Config{}, helloFrame(kvVersions, kvMax, kvCaps3), 16380, "pipelining", false},
		{"empty capabilities", server.Config{}, helloFrame(kvVersions, kvMax, kv{"capabilities", spopwire.StringValue("")}, kvEngine), 16380, "", false},
		{"missing capabilities", server.Config{}, helloFrame(kvVersions, kvMax, kvEngine), 16380, "", false},
		{"capabilities with spaces and unknown tokens", server.Config{},
			helloFrame(kvVersions, kvMax, kv{"capabilities", spopwire.StringValue(" foo , pipelining ,async")}), 16380, "pipelining", false},
		{"unknown keys", server.Config{}, helloFrame(kv{"x-first", spopwire.Int64Value(-1)}, kvVersions, kv{"version-like", spopwire.StringValue("9.9")},
			kvMax, kvCaps3, kv{"x-addr", spopwire.AddrValue(netip.MustParseAddr("::1"))}, kvEngine, kv{"x-bin", spopwire.BinaryValue([]byte{0, 1})}), 16380, "pipelining", false},
		{"several versions", server.Config{}, helloFrame(kv{"supported-versions", spopwire.StringValue("1.0, 2.0 ,3.0")}, kvMax, kvCaps3), 16380, "pipelining", false},
		{"haproxy frame size smaller", server.Config{}, helloFrame(kvVersions, kv{"max-frame-size", spopwire.Uint32Value(256)}, kvCaps3), 256, "pipelining", false},
		{"haproxy frame size bigger than configured", server.Config{MaxFrameSize: 4096}, helloFrame(kvVersions, kvMax, kvCaps3), 4096, "pipelining", false},
		{"frame size as INT64", server.Config{}, helloFrame(kvVersions, kv{"max-frame-size", spopwire.Int64Value(1000)}, kvCaps3), 1000, "pipelining", false},
		{"frame size as UINT64 huge", server.Config{}, helloFrame(kvVersions, kv{"max-frame-size", spopwire.Uint64Value(1 << 40)}, kvCaps3), 16380, "pipelining", false},
		{"healthcheck", server.Config{}, helloFrame(kvVersions, kvMax, kv{"capabilities", spopwire.StringValue("")}, kv{"healthcheck", spopwire.BoolValue(true)}), 16380, "", true},
		{"agent offers nothing", server.Config{Capabilities: server.CapabilitiesNone}, helloFrame(kvVersions, kvMax, kvCaps26), 16380, "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			forEachEngine(t, func(t *testing.T, engine string) {
				a := startAgent(t, engine, tt.cfg, nil)
				c := a.dial()
				if err := c.Write(tt.hello); err != nil {
					t.Fatal(err)
				}
				f, err := c.ReadFrame(ioTimeout)
				if err != nil {
					t.Fatal(err)
				}
				if f.Type != spopwire.FrameAgentHello || f.Flags != spopwire.FlagFin || f.StreamID != 0 || f.FrameID != 0 {
					t.Fatalf("got %v flags %x ids %d/%d; want AGENT-HELLO with flags exactly FIN, ids 0/0", f.Type, uint32(f.Flags), f.StreamID, f.FrameID)
				}
				var version, caps []byte
				var max uint64
				var haveCaps bool
				it := spopwire.KVs(f.Payload)
				for k, v, ok := it.Next(); ok; k, v, ok = it.Next() {
					switch string(k) {
					case "version":
						version = v.Bytes()
					case "max-frame-size":
						if v.Type() != spopwire.TypeUint32 {
							t.Errorf("max-frame-size type %v; want UINT32", v.Type())
						}
						max = v.Uint64()
					case "capabilities":
						caps, haveCaps = v.Bytes(), true
					}
				}
				if string(version) != "2.0" || max != uint64(tt.wantMax) || !haveCaps || string(caps) != tt.wantCaps {
					t.Fatalf("AGENT-HELLO = version %q max %d caps %q (present %v); want 2.0 %d %q", version, max, caps, haveCaps, tt.wantMax, tt.wantCaps)
				}
				if tt.closes {
					if err := c.ExpectClosed(ioTimeout); err != nil {
						t.Fatal(err)
					}
					return
				}
				// The connection works and honours the negotiated size.
				if err := c.Write(spopclient.Notify(1, 1, payload(msgScore))); err != nil {
					t.Fatal(err)
				}
				expectVar(t, expectAck(t, c, 1, 1), "ip_score", 42)
			})
		})
	}
}

// frameBytes builds a frame from raw body bytes (after the length prefix).
func frameBytes(body ...byte) []byte {
	return append(binary.BigEndian.AppendUint32(nil, uint32(len(body))), body...)
}

func TestMalformed(t *testing.T) {
	hello := helloFrame(kvVersions, kvMax, kvCaps3, kvEngine)
	notifyNoFin := spopclient.Frame(spopwire.FrameNotify, 0, 1, 1, payload(msgScore))
	unsetFin := spopclient.Frame(spopwire.FrameUnset, spopwire.FlagFin, 1, 1, nil)
	tornArgs := append(spopwire.AppendMessageHeader(nil, "score", 3), 0, 0x04, 0x01) // 1 of 3 args
	tests := []struct {
		name      string
		handshake bool // send a good HELLO first
		send      []byte
		want      spopwire.Status
	}{
		// Too big: the length prefix alone is enough; no body is sent.
		{"length above max-frame-size", true, []byte{0, 0, 0x40, 0}, spopwire.StatusFrameTooBig},
		{"huge length before HELLO", false, []byte{0x7f, 0xff, 0xff, 0xff}, spopwire.StatusFrameTooBig},
		{"length below 7", true, frameBytes(3, 0, 0, 0, 1, 0), spopwire.StatusInvalidFrame},
		{"stream-id varint longer than 10 bytes", true,
			frameBytes(3, 0, 0, 0, 1, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01), spopwire.StatusInvalidFrame},
		{"frame-id varint cut by the frame end", true, frameBytes(3, 0, 0, 0, 1, 1, 0xf0), spopwire.StatusInvalidFrame},
		{"NOTIFY before HELLO", false, spopclient.Notify(1, 1, payload(msgScore)), spopwire.StatusInvalidFrame},
		{"UNSET before HELLO", false, unsetFin, spopwire.StatusInvalidFrame},
		{"HELLO with ids", false, spopclient.Frame(spopwire.FrameHAProxyHello, spopwire.FlagFin, 1, 0, hello[11:]), spopwire.StatusInvalidFrame},
		{"HELLO without FIN", false, spopclient.Frame(spopwire.FrameHAProxyHello, 0, 0, 0, hello[11:]), spopwire.StatusFragmentationNotSupp},
		{"truncated KV in HELLO", false, spopclient.Frame(spopwire.FrameHAProxyHello, spopwire.FlagFin, 0, 0, hello[11:len(hello)-5]), spopwire.StatusInvalidFrame},
		{"empty key in HELLO", false, spopclient.Frame(spopwire.FrameHAProxyHello, spopwire.FlagFin, 0, 0, []byte{0, 0}), spopwire.StatusInvalidFrame},
		{"bad type in HELLO", false, spopclient.Frame(spopwire.FrameHAProxyHello, spopwire.FlagFin, 0, 0, []byte{1, 'x', 0x0e}), spopwire.StatusInvalidFrame},
		{"unsupported version", false, helloFrame(kv{"supported-versions", spopwire.StringValue("3.0")}, kvMax, kvCaps3), spopwire.StatusUnsupportedVersion},
		{"unparsable version", false, helloFrame(kv{"supported-versions", spopwire.StringValue("2")}, kvMax, kvCaps3), spopwire.StatusUnsupportedVersion},
		{"missing version", false, helloFrame(kvMax, kvCaps3), spopwire.StatusNoVersion},
		{"max-frame-size below 256", false, helloFrame(kvVersions, kv{"max-frame-size", spopwire.Uint32Value(255)}, kvCaps3), spopwire.StatusBadMaxFrameSize},
		{"negative max-frame-size", false, helloFrame(kvVersions, kv{"max-frame-size", spopwire.Int64Value(-1)}, kvCaps3), spopwire.StatusBadMaxFrameSize},
		{"missing max-frame-size", false, helloFrame(kvVersions, kvCaps3), spopwire.StatusNoMaxFrameSize},
		{"second HELLO", true, hello, spopwire.StatusInvalidFrame},
		{"agent frame from HAProxy", true, spopclient.Frame(spopwire.FrameAck, spopwire.FlagFin, 1, 1, nil), spopwire.StatusInvalidFrame},
		{"fragment without negotiation", true, notifyNoFin, spopwire.StatusFragmentationNotSupp},
		{"UNSET without negotiation", true, unsetFin, spopwire.StatusFragmentationNotSupp},
		{"NOTIFY with torn arguments", true, spopclient.Notify(1, 1, tornArgs), spopwire.StatusInvalidFrame},
		{"NOTIFY with a bad type byte", true, spopclient.Notify(1, 1, []byte{1, 'm', 1, 0, 0x0a}), spopwire.StatusInvalidFrame},
		{"NOTIFY with a bad varint", true, spopclient.Notify(1, 1, []byte{1, 'm', 1, 0, 0x04, 0xff, 0xff}), spopwire.StatusInvalidFrame},
		{"NOTIFY with a string longer than the frame", true, spopclient.Notify(1, 1, []byte{1, 'm', 1, 0, 0x08, 0x20, 'a'}), spopwire.StatusInvalidFrame},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			forEachEngine(t, func(t *testing.T, engine string) {
				a := startAgent(t, engine, server.Config{}, nil)
				c := a.dial()
				if tt.handshake {
					if err := c.Write(hello); err != nil {
						t.Fatal(err)
					}
					if f, err := c.ReadFrame(ioTimeout); err != nil || f.Type != spopwire.FrameAgentHello {
						t.Fatalf("handshake: %v %v", f.Type, err)
					}
				}
				if err := c.Write(tt.send); err != nil {
					t.Fatal(err)
				}
				expectDisconnect(t, c, tt.want)
				var ce *server.ConnError
				a.waitStats("the disconnect counted", func(st server.Stats) bool { return st.Disconnects[tt.want] == 1 })
				if errs := a.errs.list(); len(errs) != 1 || !errors.As(errs[0], &ce) || ce.Status != tt.want {
					t.Errorf("OnError saw %v; want one ConnError with status %d", errs, tt.want)
				}
				// Other connections are unaffected.
				c2 := a.connect()
				c2.Write(spopclient.Notify(1, 1, payload(msgScore)))
				expectAck(t, c2, 1, 1)
			})
		})
	}
}

func TestNotifyAck(t *testing.T) {
	forEachEngine(t, func(t *testing.T, engine string) {
		a := startAgent(t, engine, server.Config{}, nil)
		c := a.connect()
		// 2.6 ids: stream-id 0 is normal, frame-ids grow; 3.x: odd sids.
		for _, ids := range [][2]uint64{{0, 1}, {0, 2}, {3, 1}, {1 << 40, 7}} {
			c.Write(spopclient.Notify(ids[0], ids[1], payload(msgScore)))
			expectVar(t, expectAck(t, c, ids[0], ids[1]), "ip_score", 42)
		}
		// Empty NOTIFY (3.1-3.2 send them) and a message without action:
		// empty ACKs.
		c.Write(spopclient.Notify(5, 1, nil))
		if acts := expectAck(t, c, 5, 1); len(acts) != 0 {
			t.Fatalf("empty NOTIFY: actions %s; want none", fmtActions(acts))
		}
		// Typed values go through: every type, named and unnamed.
		vals := []spoptest.Argument{
			spoptest.Arg("", spopwire.Null()), spoptest.Arg("b", spopwire.BoolValue(true)),
			spoptest.Arg("i", spopwire.Int64Value(-1)), spoptest.Arg("u", spopwire.Uint64Value(1<<63)),
			spoptest.Arg("v4", spopwire.AddrValue(netip.MustParseAddr("192.0.2.1"))), spoptest.Arg("v6", spopwire.AddrValue(netip.MustParseAddr("2001:db8::1"))),
			spoptest.Arg("s", spopwire.StringValue("GET")), spoptest.Arg("bin", spopwire.BinaryValue([]byte{0, 0xff})),
		}
		c.Write(spopclient.Notify(7, 1, payload(msgEmpty, spoptest.Msg("echo", vals...))))
		acts := expectAck(t, c, 7, 1)
		if len(acts) != len(vals) {
			t.Fatalf("echo: %s", fmtActions(acts))
		}
		for i, want := range vals {
			name := want.Name
			if name == "" {
				name = "arg0"
			}
			if string(acts[i].Name) != name || !acts[i].Value.Equal(want.Value) {
				t.Errorf("echo arg %d = %s %v; want %s %v", i, acts[i].Name, acts[i].Value, name, want.Value)
			}
		}
		// Unknown frame types are skipped.
		c.Write(append(spopclient.Frame(50, spopwire.FlagFin, 1, 1, []byte("future")), spopclient.Notify(9, 1, payload(msgScore))...))
		expectAck(t, c, 9, 1)
		st := a.waitStats("counters", func(st server.Stats) bool { return st.Acks == 7 })
		if st.Notifies != 7 || st.FramesIn != 9 || st.FramesOut != 8 || st.ConnsCurrent != 1 || st.BytesIn == 0 {
			t.Errorf("Stats = %+v", st)
		}
	})
}

func TestPipelining(t *testing.T) {
	forEachEngine(t, func(t *testing.T, engine string) {
		a := startAgent(t, engine, server.Config{}, nil)
		c := a.connect()
		var batch []byte
		for i := range uint64(200) {
			batch = append(batch, spopclient.Notify(2*i+1, 1, payload(msgScore))...)
		}
		// One write for all 200, then again split at awkward places.
		for round := range 2 {
			if round == 0 {
				c.Write(batch)
			} else {
				for i := 0; i < len(batch); i += 37 {
					c.Write(batch[i:min(i+37, len(batch))])
				}
			}
			for i := range uint64(200) {
				expectVar(t, expectAck(t, c, 2*i+1, 1), "ip_score", 42)
			}
		}
	})
}

func TestOutOfOrderAcks(t *testing.T) {
	forEachEngine(t, func(t *testing.T, engine string) {
		a := startAgent(t, engine, server.Config{Loops: 1}, nil)
		c := a.connect()
		// A slow offloaded NOTIFY, then a fast one: the fast ACK overtakes.
		c.Write(append(spopclient.Notify(1, 1, payload(spoptest.Msg("sleep", spoptest.Arg("", spopwire.Int64Value(300))))),
			spopclient.Notify(3, 1, payload(msgScore))...))
		expectVar(t, expectAck(t, c, 3, 1), "ip_score", 42)
		expectVar(t, expectAck(t, c, 1, 1), "slept", 300)
	})
}

func TestErrorVar(t *testing.T) {
	tests := []struct {
		msg  string
		code int64
	}{
		{"fail", server.ErrorCodeHandler},
		{"panic", server.ErrorCodePanic},
		{"big", server.ErrorCodeAckTooBig},
	}
	for _, tt := range tests {
		t.Run(tt.msg, func(t *testing.T) {
			forEachEngine(t, func(t *testing.T, engine string) {
				a := startAgent(t, engine, server.Config{}, nil)
				c := a.connect()
				// The error ACK comes at once, the actions before the failure
				// are gone, and the connection goes on.
				c.Write(spopclient.Notify(1, 1, payload(msgScore, spoptest.Msg(tt.msg))))
				acts := expectAck(t, c, 1, 1)
				if len(acts) != 1 || string(acts[0].Name) != "agent_error" || acts[0].Scope != spopwire.ScopeTransaction || acts[0].Value.Int64() != tt.code {
					t.Fatalf("actions = %s; want txn.agent_error = %d", fmtActions(acts), tt.code)
				}
				c.Write(spopclient.Notify(3, 1, payload(msgScore)))
				expectVar(t, expectAck(t, c, 3, 1), "ip_score", 42)
				var he *server.HandlerError
				if errs := a.errs.list(); len(errs) != 1 || !errors.As(errs[0], &he) || he.Code != tt.code || he.StreamID != 1 {
					t.Errorf("OnError saw %v; want a HandlerError code %d", errs, tt.code)
				}
				a.waitStats("error counted", func(st server.Stats) bool { return st.HandlerErrors[tt.code] == 1 })
			})
		})
	}
	t.Run("custom variable", func(t *testing.T) {
		forEachEngine(t, func(t *testing.T, engine string) {
			a := startAgent(t, engine, server.Config{ErrorVar: server.Var{Scope: spopwire.ScopeRequest, Name: "oops"}}, nil)
			c := a.connect()
			c.Write(spopclient.Notify(1, 1, payload(spoptest.Msg("fail"))))
			acts := expectAck(t, c, 1, 1)
			if len(acts) != 1 || acts[0].Scope != spopwire.ScopeRequest || string(acts[0].Name) != "oops" {
				t.Fatalf("actions = %s; want req.oops", fmtActions(acts))
			}
		})
	})
}

func TestHAProxyDisconnect(t *testing.T) {
	forEachEngine(t, func(t *testing.T, engine string) {
		a := startAgent(t, engine, server.Config{}, nil)
		for _, st := range []spopwire.Status{spopwire.StatusNormal, spopwire.StatusTimeout, spopwire.StatusFragmentationNotSupp} {
			c := a.connect()
			c.Write(spopwire.AppendDisconnect(nil, spopwire.FrameHAProxyDisconnect, st, ""))
			expectDisconnect(t, c, spopwire.StatusNormal)
		}
		// DISCONNECT right after connecting (no HELLO) is a goodbye too.
		c := a.dial()
		c.Write(spopwire.AppendDisconnect(nil, spopwire.FrameHAProxyDisconnect, spopwire.StatusNormal, ""))
		expectDisconnect(t, c, spopwire.StatusNormal)
		a.waitStats("connections closed", func(st server.Stats) bool { return st.ConnsCurrent == 0 && st.HAProxyDisconnects == 4 })
	})
}

func TestCloseAndReset(t *testing.T) {
	forEachEngine(t, func(t *testing.T, engine string) {
		a := startAgent(t, engine, server.Config{Loops: 1}, nil)
		keep := a.connect()
		// Bare connect/close probes, closes after HELLO, resets mid-frame
		// and with ACKs unread: all normal ends, nothing reported.
		a.dial().Close()
		c := a.connect()
		c.Close()
		c = a.connect()
		n := spopclient.Notify(1, 1, payload(msgScore))
		c.Write(n[:len(n)/2])
		c.Reset()
		c = a.connect()
		for i := range uint64(50) {
			c.Write(spopclient.Notify(2*i+1, 1, payload(msgScore)))
		}
		c.Reset()
		a.waitStats("connections gone", func(st server.Stats) bool { return st.ConnsCurrent == 1 })
		keep.Write(spopclient.Notify(1, 1, payload(msgScore)))
		expectAck(t, keep, 1, 1)
		if errs := a.errs.list(); len(errs) != 0 {
			t.Errorf("OnError saw %v; want nothing", errs)
		}
	})
}

func TestHalfWrittenFrame(t *testing.T) {
	forEachEngine(t, func(t *testing.T, engine string) {
		a := startAgent(t, engine, server.Config{Loops: 1}, nil)
		slow := a.connect()
		n := spopclient.Notify(1, 1, payload(spoptest.Msg("echo", spoptest.Arg("s", spopwire.StringValue(string(bytes.Repeat([]byte("x"), 5000)))))))
		slow.Write(n[:3]) // not even the whole length prefix
		other := a.connect()
		for i := range uint64(20) {
			other.Write(spopclient.Notify(2*i+1, 1, payload(msgScore)))
			expectAck(t, other, 2*i+1, 1)
		}
		slow.Write(n[3:2000])
		for i := range uint64(20) {
			other.Write(spopclient.Notify(2*i+1, 1, payload(msgScore)))
			expectAck(t, other, 2*i+1, 1)
		}
		slow.Write(n[2000:])
		acts := expectAck(t, slow, 1, 1)
		if len(acts) != 1 || len(acts[0].Value.Bytes()) != 5000 {
			t.Fatalf("slow frame: %d actions", len(acts))
		}
	})
}
