package server_test

import (
	"bytes"
	"testing"
	"time"

	"github.com/spopkit/spopkit/server"
	"github.com/spopkit/spopkit/server/internal/spopclient"
	"github.com/spopkit/spopkit/server/spoptest"
	"github.com/spopkit/spopkit/spopwire"
)

var capsFrag = server.Config{Capabilities: spopwire.CapPipelining | spopwire.CapFragmentation}

func hello26(c *spopclient.Conn, t *testing.T, maxFrame uint32) {
	t.Helper()
	h := spopclient.HAProxy3Hello()
	h.Capabilities |= spopwire.CapAsync
	h.MaxFrameSize = maxFrame
	if _, err := c.Hello(h); err != nil {
		t.Fatal(err)
	}
}

// fragments splits a NOTIFY payload as HAProxy 2.6 does (ref §6.3): NOTIFY
// without FIN, then UNSET frames, the last with FIN; size bytes each.
func fragments(sid, fid uint64, p []byte, size int) []byte {
	var b []byte
	for i := 0; i < len(p); i += size {
		part := p[i:min(i+size, len(p))]
		t, flags := spopwire.FrameUnset, spopwire.Flags(0)
		if i == 0 {
			t = spopwire.FrameNotify
		}
		if i+size >= len(p) {
			flags = spopwire.FlagFin
		}
		b = append(b, spopclient.Frame(t, flags, sid, fid, part)...)
	}
	return b
}

func TestFragmentation(t *testing.T) {
	body := bytes.Repeat([]byte("0123456789"), 120) // 1200 bytes, as in capture f1
	big := payload(spoptest.Msg("size", spoptest.Arg("body", spopwire.BinaryValue(body))), spoptest.Msg("echo", spoptest.Arg("n", spopwire.Int64Value(7))))
	forEachEngine(t, func(t *testing.T, engine string) {
		t.Run("reassembled", func(t *testing.T) {
			a := startAgent(t, engine, capsFrag, nil)
			c := a.dial()
			hello26(c, t, 256)
			// 224-byte fragments cut inside the body's bytes, as 2.6 does
			// with max-frame-size 256. A second stream's fragments and an
			// ordinary NOTIFY go through too.
			c.Write(fragments(0, 1, big, 224))
			acts := expectAck(t, c, 0, 1)
			if len(acts) != 2 || acts[0].Value.Int64() != int64(len(body)) || acts[1].Value.Int64() != 7 {
				t.Fatalf("reassembled NOTIFY: %s; want body=1200, n=7", fmtActions(acts))
			}
			// Byte by byte, interleaved with an unfragmented NOTIFY.
			fr := fragments(4, 2, payload(msgScore), 3)
			for i := range fr {
				c.Write(fr[i : i+1])
			}
			expectVar(t, expectAck(t, c, 4, 2), "ip_score", 42)
		})
		t.Run("abort", func(t *testing.T) {
			a := startAgent(t, engine, capsFrag, nil)
			c := a.dial()
			hello26(c, t, 256)
			fr := fragments(0, 1, big, 224)
			// First two fragments, then UNSET with FIN|ABORT and no payload.
			c.Write(fr[:2*(224+11)])
			c.Write(spopclient.Frame(spopwire.FrameUnset, spopwire.FlagFin|spopwire.FlagAbort, 0, 1, nil))
			c.Write(spopclient.Notify(3, 1, payload(msgScore)))
			// The only answer is the next NOTIFY's ACK.
			expectVar(t, expectAck(t, c, 3, 1), "ip_score", 42)
			a.waitStats("abort counted", func(st server.Stats) bool { return st.FragmentsAborted == 1 && st.Notifies == 1 })
		})
		t.Run("too big", func(t *testing.T) {
			cfg := capsFrag
			cfg.MaxFragmentedPayload = 1000
			a := startAgent(t, engine, cfg, nil)
			c := a.dial()
			hello26(c, t, 256)
			c.Write(fragments(0, 1, big, 224))
			f, err := c.ReadFrame(ioTimeout)
			if err != nil {
				t.Fatal(err)
			}
			if f.Type != spopwire.FrameAck || f.Flags != spopwire.FlagFin|spopwire.FlagAbort || f.StreamID != 0 || f.FrameID != 1 {
				t.Fatalf("got %v flags %x %d/%d; want ACK FIN|ABORT 0/1", f.Type, uint32(f.Flags), f.StreamID, f.FrameID)
			}
			// The remaining fragments were ignored; the connection goes on.
			c.Write(spopclient.Notify(3, 1, payload(msgScore)))
			expectVar(t, expectAck(t, c, 3, 1), "ip_score", 42)
		})
	})
}

func TestAsync(t *testing.T) {
	cfg := server.Config{Capabilities: spopwire.CapPipelining | spopwire.CapAsync}
	forEachEngine(t, func(t *testing.T, engine string) {
		for _, async := range []bool{true, false} {
			name := "async"
			if !async {
				name = "no async"
			}
			t.Run(name, func(t *testing.T) {
				h := testHandler{release: make(chan int64)}
				a := startAgent(t, engine, cfg, h)
				conns := make([]*spopclient.Conn, 3)
				for i := range conns {
					conns[i] = a.dial()
					hh := spopclient.HAProxy3Hello()
					if async {
						hh.Capabilities |= spopwire.CapAsync
					}
					if i == 2 {
						hh.EngineID = []byte("another-engine")
					}
					if _, err := conns[i].Hello(hh); err != nil {
						t.Fatal(err)
					}
				}
				conns[0].Write(spopclient.Notify(7, 3, payload(spoptest.Msg("block"))))
				a.waitStats("offload in flight", func(st server.Stats) bool { return st.InFlight == 1 })
				conns[0].Close()
				a.waitStats("conn closed", func(st server.Stats) bool { return st.ConnsCurrent == 2 })
				h.release <- 5
				if async {
					// The ACK leaves on the other connection of the same engine.
					expectVar(t, expectAck(t, conns[1], 7, 3), "released", 5)
				}
				// Nothing else arrives on either connection.
				for _, c := range conns[1:] {
					c.Write(spopclient.Notify(9, 1, payload(msgScore)))
					expectVar(t, expectAck(t, c, 9, 1), "ip_score", 42)
				}
			})
		}
	})
}

func TestOffloadDoesNotBlockTheLoop(t *testing.T) {
	forEachEngine(t, func(t *testing.T, engine string) {
		a := startAgent(t, engine, server.Config{Loops: 1}, nil)
		c := a.connect()
		other := a.connect()
		// One second of blocking work, then 20 fast NOTIFYs on the same
		// connection and 20 on another connection of the same loop: all
		// answered while the slow one sleeps.
		c.Write(spopclient.Notify(1, 1, payload(spoptest.Msg("sleep", spoptest.Arg("", spopwire.Int64Value(1000))))))
		start := time.Now()
		for i := range uint64(20) {
			c.Write(spopclient.Notify(2*i+3, 1, payload(msgScore)))
			expectAck(t, c, 2*i+3, 1)
			other.Write(spopclient.Notify(2*i+1, 1, payload(msgScore)))
			expectAck(t, other, 2*i+1, 1)
		}
		fast := time.Since(start)
		expectVar(t, expectAck(t, c, 1, 1), "slept", 1000)
		t.Logf("40 round trips took %v while the offloaded sleep ran", fast)
	})
}

func TestBackpressure(t *testing.T) {
	forEachEngine(t, func(t *testing.T, engine string) {
		h := testHandler{release: make(chan int64)}
		a := startAgent(t, engine, server.Config{Loops: 1, MaxInFlight: 3}, h)
		c := a.connect()
		var batch []byte
		for i := range uint64(10) {
			batch = append(batch, spopclient.Notify(2*i+1, 1, payload(spoptest.Msg("block")))...)
		}
		c.Write(batch)
		a.waitStats("cap reached", func(st server.Stats) bool { return st.InFlight == 3 })
		time.Sleep(50 * time.Millisecond)
		if st := a.srv.Stats(); st.Notifies != 3 || st.InFlight != 3 {
			t.Fatalf("at the cap: %d NOTIFYs handled, %d in flight; want 3, 3", st.Notifies, st.InFlight)
		}
		// Each release lets one more NOTIFY in; the ACKs come in any order.
		got := map[uint64]bool{}
		for i := range 10 {
			h.release <- int64(i)
			f, err := c.ReadFrame(ioTimeout)
			if err != nil || f.Type != spopwire.FrameAck {
				t.Fatalf("ACK %d: %v %v", i, f.Type, err)
			}
			got[f.StreamID] = true
		}
		if len(got) != 10 {
			t.Fatalf("ACKed stream-ids %v; want 10 distinct", got)
		}
		a.waitStats("drained", func(st server.Stats) bool { return st.InFlight == 0 && st.Acks == 10 })
	})
}

// TestSlowReader: HAProxy sends small NOTIFYs asking for big ACKs and does
// not read them. The agent must stop reading (bounded output) instead of
// buffering every ACK, and deliver them all once HAProxy reads.
func TestSlowReader(t *testing.T) {
	forEachEngine(t, func(t *testing.T, engine string) {
		a := startAgent(t, engine, server.Config{Loops: 1}, nil)
		c := a.connect()
		const n = 2000 // 2000 × 8 KB of ACKs: far more than socket buffers hold
		notify := payload(spoptest.Msg("fill", spoptest.Arg("", spopwire.Int64Value(8000))))
		written := make(chan error, 1)
		go func() {
			var batch []byte
			for i := range uint64(n) {
				batch = append(batch, spopclient.Notify(i, 1, notify)...)
			}
			written <- c.Write(batch)
		}()
		// Wait until the agent stops making progress.
		var last server.Stats
		for stable := 0; stable < 20; {
			time.Sleep(10 * time.Millisecond)
			st := a.srv.Stats()
			if st.Acks == last.Acks && st.Acks > 0 {
				stable++
			} else {
				stable = 0
			}
			last = st
		}
		if last.Acks >= n {
			t.Fatalf("the agent answered all %d NOTIFYs without the peer reading", n)
		}
		t.Logf("stalled after %d ACKs (%d bytes read) while the peer did not read", last.Acks, last.BytesIn)
		for i := range uint64(n) {
			acts := expectAck(t, c, i, 1)
			if len(acts) != 1 || len(acts[0].Value.Bytes()) != 8000 {
				t.Fatalf("ACK %d: %s", i, fmtActions(acts))
			}
		}
		if err := <-written; err != nil {
			t.Fatal(err)
		}
	})
}
