//go:build linux

package e2e

import (
	"encoding/binary"
	"math/rand/v2"
	"net"
	"net/netip"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/spopkit/spopkit/server"
	"github.com/spopkit/spopkit/spopwire"
)

// validStream is what a well-behaved HAProxy 2.6 might send on one
// connection: HELLO, a few NOTIFYs (one fragmented), DISCONNECT.
func validStream() []byte {
	b := spopwire.AppendHAProxyHello(nil, spopwire.HAProxyHello{
		SupportedVersions: []byte("2.0"),
		MaxFrameSize:      spopwire.DefaultMaxFrameSize,
		Capabilities:      spopwire.CapPipelining | spopwire.CapAsync,
		EngineID:          []byte("d4fe8f4d-c00d-41cf-9cb8-e50cc9fe47bb"),
	})
	for i := range 3 {
		var start int
		b, start = spopwire.StartFrame(b, spopwire.FrameNotify, spopwire.FlagFin, uint64(i), 1)
		b = spopwire.AppendMessageHeader(b, "check-client-ip", 2)
		b = spopwire.AppendArg(b, "ip", spopwire.AddrValue(netip.MustParseAddr("192.0.2.7")))
		b = spopwire.AppendArg(b, "path", spopwire.StringValue("/chaos"))
		spopwire.FinishFrame(b, start)
	}
	// A NOTIFY in two fragments (NOTIFY without FIN, then UNSET with FIN).
	var payload []byte
	payload = spopwire.AppendMessageHeader(payload, "big", 1)
	payload = spopwire.AppendArg(payload, "body", spopwire.BinaryValue(make([]byte, 100)))
	b = spopwire.AppendFrame(b, spopwire.Frame{Type: spopwire.FrameNotify, StreamID: 9, FrameID: 1, Payload: payload[:50]})
	b = spopwire.AppendFrame(b, spopwire.Frame{Type: spopwire.FrameUnset, Flags: spopwire.FlagFin, StreamID: 9, FrameID: 1, Payload: payload[50:]})
	b = spopwire.AppendDisconnect(b, spopwire.FrameHAProxyDisconnect, spopwire.StatusNormal, "")
	return b
}

// mutate returns a damaged copy of s; which damage depends on r.
func mutate(r *rand.Rand, s []byte) []byte {
	m := append([]byte(nil), s...)
	switch r.IntN(9) {
	case 0: // flip a few random bytes
		for range 1 + r.IntN(8) {
			m[r.IntN(len(m))] ^= byte(1 + r.IntN(255))
		}
	case 1: // truncate
		m = m[:r.IntN(len(m))]
	case 2: // insert garbage somewhere
		at := r.IntN(len(m))
		junk := make([]byte, 1+r.IntN(32))
		for i := range junk {
			junk[i] = byte(r.Uint32())
		}
		m = append(m[:at], append(junk, m[at:]...)...)
	case 3: // a huge length prefix on the first frame
		binary.BigEndian.PutUint32(m, 0xffffffff-uint32(r.IntN(1000)))
	case 4: // a tiny length prefix
		binary.BigEndian.PutUint32(m, uint32(r.IntN(7)))
	case 5: // pure garbage
		m = make([]byte, 1+r.IntN(512))
		for i := range m {
			m[i] = byte(r.Uint32())
		}
	case 6: // NOTIFYs before any HELLO
		hello := binary.BigEndian.Uint32(m) + 4
		m = append(m[hello:], m[:hello]...)
	case 7: // a varint of 10+ continuation bytes in the first frame's ids
		for i := 9; i < 20 && i < len(m); i++ {
			m[i] = 0xff
		}
	case 8: // corrupt every frame's type byte
		for off := 0; off+5 <= len(m); {
			l := int(binary.BigEndian.Uint32(m[off:]))
			m[off+4] = byte(r.Uint32())
			off += 4 + l
		}
	}
	return m
}

// TestChaosFrames: while real HAProxy traffic flows through the agent, a
// fake peer opens hundreds of connections to the same agent and sends
// mutated SPOP streams (flipped bytes, truncations, garbage, absurd
// lengths, frames out of order, bad fragments). The agent must not crash,
// must close or answer every bad connection, must keep serving HAProxy with
// no SPOE error, and must get back to HAProxy's connections only.
// E2E_CHAOS_SEED replays a run.
func TestChaosFrames(t *testing.T) {
	seed := uint64(time.Now().UnixNano())
	if s := os.Getenv("E2E_CHAOS_SEED"); s != "" {
		seed, _ = strconv.ParseUint(s, 10, 64)
	}
	forEachHAProxy(t, func(t *testing.T, v *haproxyVersion) {
		t.Parallel()
		for _, kind := range serverKinds() {
			t.Run(kind.Name, func(t *testing.T) {
				t.Logf("E2E_CHAOS_SEED=%d", seed)
				a := startServerAgent(t, engineOf(kind), "", agentOptions{Handler: scoreHandler(8), Fragmentation: true})
				backend, _ := startBackend(t)
				hp := startHAProxy(t, v, Setup{AgentAddr: a.Addr(), BackendAddr: backend, LogLevel: "warning"})

				done := make(chan *LoadResult, 1)
				go func() { done <- runLoad(t, loadURLs(hp, "/chaos"), 4, 4*time.Second, loadMaxRequests, "X-Ip-Score") }()

				valid := validStream()
				const conns, maxTime = 400, 4 * time.Second
				var sent, answered, closedByAgent atomic.Int64
				var wg sync.WaitGroup
				deadline := time.Now().Add(maxTime)
				var next atomic.Int64
				for w := range 8 {
					wg.Add(1)
					go func() {
						defer wg.Done()
						r := rand.New(rand.NewPCG(seed, uint64(w)))
						for next.Add(1) <= conns && time.Now().Before(deadline) {
							c, err := net.DialTimeout("tcp", a.Addr(), time.Second)
							if err != nil {
								t.Errorf("dial the agent: %v", err)
								return
							}
							m := mutate(r, valid)
							_ = c.SetDeadline(time.Now().Add(300 * time.Millisecond))
							if _, err := c.Write(m); err == nil {
								sent.Add(1)
							}
							buf := make([]byte, 4096)
							got := 0
							for {
								n, err := c.Read(buf)
								got += n
								if err != nil {
									if ne, ok := err.(net.Error); !ok || !ne.Timeout() {
										closedByAgent.Add(1)
									}
									break
								}
							}
							if got > 0 {
								answered.Add(1)
							}
							c.Close()
						}
					}()
				}
				wg.Wait()
				res := <-done
				// The bad connections must go away; HAProxy's stay.
				var st server.Stats
				for range 50 {
					st = a.Stats()
					if st.ConnsCurrent <= 64 {
						break
					}
					time.Sleep(100 * time.Millisecond)
				}
				var disc uint64
				for _, n := range st.Disconnects {
					disc += n
				}
				t.Logf("HAProxy %s, %s engine: %d mutated streams sent, %d got bytes back, %d closed by the agent before the 300 ms deadline; agent: %d conns total, %d open, %d AGENT-DISCONNECTs, %d NOTIFYs",
					v.Name, kind.Name, sent.Load(), answered.Load(), closedByAgent.Load(), st.ConnsTotal, st.ConnsCurrent, disc, st.Notifies)
				t.Logf("HAProxy traffic meanwhile: %v", res)
				if res.Requests == 0 || res.Errors != 0 || res.Non200 != 0 || res.SpoeErrors != 0 || res.MissingVar != 0 {
					t.Errorf("HAProxy traffic suffered from the chaos; first error: %s", res.FirstError)
				}
				if st.ConnsCurrent > 64 {
					t.Errorf("%d agent connections still open after the chaos", st.ConnsCurrent)
				}
				// And the agent still does the whole job.
				c := newClient(t, 1, 5*time.Second)
				if r := mustGet(t, c, hp.URL("4", "/after")); r.Header.Get("X-Ip-Score") != "8" {
					t.Errorf("after the chaos: X-Ip-Score %q, X-Spoe-Error %q", r.Header.Get("X-Ip-Score"), r.Header.Get("X-Spoe-Error"))
				}
			})
		}
	})
}
