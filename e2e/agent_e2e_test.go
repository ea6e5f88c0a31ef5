//go:build linux

package e2e

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/spopkit/spopkit/server"
	"github.com/spopkit/spopkit/spopwire"
)

// TestIPScore: a server.HandlerFunc reads the client address HAProxy sends
// (`args ip=src`) and sets sess.<prefix>.ip_score; the response header set
// from var(sess.e2e.ip_score) shows it for IPv4 and IPv6 clients. The score
// depends on the address family, and a second variable carries the address
// as the agent saw it, so the test proves the argument went through.
func TestIPScore(t *testing.T) {
	forEachHAProxy(t, func(t *testing.T, v *haproxyVersion) {
		t.Parallel()
		for _, kind := range serverKinds() {
			t.Run(kind.Name, func(t *testing.T) {
				h := server.HandlerFunc(func(req *server.Request, acts *server.Actions) error {
					ip, ok := argValue(req, "ip")
					if !ok {
						return fmt.Errorf("no ip argument")
					}
					score := int64(40)
					if ip.Type() == spopwire.TypeIPv6 {
						score = 60
					}
					acts.SetVar(spopwire.ScopeSession, "ip_score", spopwire.Int64Value(score))
					acts.SetVar(spopwire.ScopeTransaction, "seen_ip", spopwire.StringValue(ip.Addr().String()))
					return nil
				})
				agent := kind.Start(t, agentOptions{Handler: h})
				backend, _ := startBackend(t)
				s := Setup{AgentAddr: agent.Addr(), BackendAddr: backend}
				s.ResponseHeaders = [][2]string{
					{"X-Ip-Score", "%[var(sess.e2e.ip_score)]"},
					{"X-Seen-Ip", "%[var(txn.e2e.seen_ip)]"},
					{"X-Spoe-Error", "%[var(txn.e2e.error)]"},
					{"X-Agent-Error", "%[var(txn.e2e.agent_error)]"},
				}
				hp := startHAProxy(t, v, s)
				c := newClient(t, 1, 5*time.Second)
				want := map[string][2]string{"4": {"40", "127.0.0.1"}, "6": {"60", "::1"}}
				for _, fam := range families() {
					for i := range 3 {
						r := mustGet(t, c, hp.URL(fam, "/score"))
						got := [2]string{r.Header.Get("X-Ip-Score"), r.Header.Get("X-Seen-Ip")}
						if got != want[fam] {
							t.Errorf("IPv%s request %d: score, ip = %q; want %q (X-Spoe-Error %q, X-Agent-Error %q)",
								fam, i, got, want[fam], r.Header.Get("X-Spoe-Error"), r.Header.Get("X-Agent-Error"))
						}
					}
				}
				t.Logf("HAProxy %s, %s engine: IPv4 and IPv6 clients scored (%d families x 3 requests)", v.Name, kind.Name, len(families()))
			})
		}
	})
}

// bodyHandler records the body argument: its length and a digest as txn
// variables, and the number of NOTIFYs it saw.
func bodyHandler(calls *atomic.Int64) server.Handler {
	return server.HandlerFunc(func(req *server.Request, acts *server.Actions) error {
		calls.Add(1)
		body, ok := argValue(req, "body")
		if !ok {
			return fmt.Errorf("no body argument")
		}
		sum := sha256.Sum256(body.Bytes())
		acts.SetVar(spopwire.ScopeTransaction, "body_len", spopwire.Int64Value(int64(len(body.Bytes()))))
		acts.SetVar(spopwire.ScopeTransaction, "body_sum", spopwire.StringValue(hex.EncodeToString(sum[:8])))
		return nil
	})
}

// TestFragmentation: with `max-frame-size 256` and a request body several
// times that size (`option http-buffer-request`, `req.body`), HAProxy 2.6
// fragments the NOTIFY (the agent offers `fragmentation`) and the handler
// gets the body whole. HAProxy 3.2 never fragments: the event fails in
// HAProxy with error 3 before reaching the agent, and the request still goes
// through (haproxy-behaviour.md §4). A body that fits works on both.
func TestFragmentation(t *testing.T) {
	forEachHAProxy(t, func(t *testing.T, v *haproxyVersion) {
		t.Parallel()
		for _, kind := range serverKinds() {
			t.Run(kind.Name, func(t *testing.T) {
				var calls atomic.Int64
				agent := kind.Start(t, agentOptions{Handler: bodyHandler(&calls), Fragmentation: true})
				backend, _ := startBackend(t)
				s := Setup{
					AgentAddr:     agent.Addr(),
					BackendAddr:   backend,
					FrontendLines: []string{"option http-buffer-request"},
					Messages:      "spoe-message big-body\n    args method=method path=path body=req.body\n    event on-frontend-http-request\n",
					MessageNames:  []string{"big-body"},
					AgentLines:    []string{"max-frame-size 256"},
					ResponseHeaders: [][2]string{
						{"X-Body-Len", "%[var(txn.e2e.body_len)]"},
						{"X-Body-Sum", "%[var(txn.e2e.body_sum)]"},
						{"X-Spoe-Error", "%[var(txn.e2e.error)]"},
						{"X-Agent-Error", "%[var(txn.e2e.agent_error)]"},
					},
				}
				hp := startHAProxy(t, v, s)
				c := newClient(t, 1, 10*time.Second)
				for _, size := range []int{100, 1500, 4096} {
					body := make([]byte, size)
					for i := range body {
						body[i] = byte(i*7 + i/251) // varied bytes, NULs included
					}
					sum := sha256.Sum256(body)
					before := calls.Load()
					framesBefore := agent.(*serverAgent).Stats().FramesIn
					ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
					r, err := do(ctx, c, http.MethodPost, hp.URL("4", "/upload"), nil, body)
					cancel()
					if err != nil {
						t.Fatalf("POST %d bytes: %v", size, err)
					}
					gotLen, gotSum, spoeErr := r.Header.Get("X-Body-Len"), r.Header.Get("X-Body-Sum"), r.Header.Get("X-Spoe-Error")
					fits := size+64 < 256-spopwire.FrameHeaderReserve
					switch {
					case fits || v.Fragments:
						if r.Status != 200 || gotLen != strconv.Itoa(size) || gotSum != hex.EncodeToString(sum[:8]) || spoeErr != "" {
							t.Errorf("POST %d bytes: status %d, agent saw len %q sum %q, X-Spoe-Error %q, X-Agent-Error %q; want the whole body",
								size, r.Status, gotLen, gotSum, spoeErr, r.Header.Get("X-Agent-Error"))
						}
					default: // 3.x: the NOTIFY cannot be sent; HAProxy error 3, no agent call
						if r.Status != 200 || gotLen != "" || spoeErr != "3" || calls.Load() != before {
							t.Errorf("POST %d bytes: status %d, len %q, X-Spoe-Error %q, handler calls +%d; want 200, no variable, error 3, no call",
								size, r.Status, gotLen, spoeErr, calls.Load()-before)
						}
					}
					// 2.6 cuts the payload in fragments of at most 256-32 bytes.
					// Stats are published once per event batch: wait (bounded)
					// until they show the frames the request needs.
					want := uint64(0)
					if calls.Load() != before {
						want = 1
					}
					if v.Fragments && !fits {
						want = uint64(size / (256 - spopwire.FrameHeaderReserve))
					}
					var frames uint64
					for deadline := time.Now().Add(2 * time.Second); ; time.Sleep(10 * time.Millisecond) {
						if frames = agent.(*serverAgent).Stats().FramesIn - framesBefore; frames >= want || time.Now().After(deadline) {
							break
						}
					}
					if frames < want {
						t.Errorf("POST %d bytes: the agent received %d frames; want at least %d", size, frames, want)
					}
					t.Logf("HAProxy %s, %s engine, body %d bytes (frame 256): status %d, agent saw %q bytes in %d frames, X-Spoe-Error %q",
						v.Name, kind.Name, size, r.Status, gotLen, frames, spoeErr)
				}
			})
		}
	})
}

// TestHandlerPanic: a handler that panics on some requests fails only those
// NOTIFYs: their ACK carries the server's error variable
// (txn.<prefix>.agent_error = server.ErrorCodePanic) instead of the
// handler's actions, promptly (no HAProxy timeout, no set-on-error), while
// the other requests — on the same SPOP connection, before and after — get
// their variable, and the agent never drops the connection.
func TestHandlerPanic(t *testing.T) {
	forEachHAProxy(t, func(t *testing.T, v *haproxyVersion) {
		t.Parallel()
		for _, kind := range serverKinds() {
			t.Run(kind.Name, func(t *testing.T) {
				var mu sync.Mutex
				conns := map[string]uint64{} // request id -> ConnID
				h := server.HandlerFunc(func(req *server.Request, acts *server.Actions) error {
					path, _ := argValue(req, "path")
					id, _ := argValue(req, "id")
					mu.Lock()
					conns[string(id.Bytes())] = req.ConnID()
					mu.Unlock()
					acts.SetVar(spopwire.ScopeTransaction, "score", spopwire.Int64Value(9))
					if bytes.HasPrefix(path.Bytes(), []byte("/panic")) {
						panic("e2e: deliberate handler panic")
					}
					return nil
				})
				a := startServerAgent(t, engineOf(kind), "", agentOptions{Handler: h})
				backend, _ := startBackend(t)
				s := Setup{
					AgentAddr:    a.Addr(),
					BackendAddr:  backend,
					Messages:     "spoe-message req\n    args path=path id=req.hdr(x-id)\n    event on-frontend-http-request\n",
					MessageNames: []string{"req"},
					ResponseHeaders: [][2]string{
						{"X-Score", "%[var(txn.e2e.score)]"},
						{"X-Agent-Error", "%[var(txn.e2e.agent_error)]"},
						{"X-Spoe-Error", "%[var(txn.e2e.error)]"},
					},
				}
				hp := startHAProxy(t, v, s)
				c := newClient(t, 8, 5*time.Second)

				get := func(id int, panics bool) (Response, error) {
					path := "/ok"
					if panics {
						path = "/panic"
					}
					return do(context.Background(), c, http.MethodGet, hp.URL("4", path), http.Header{"X-Id": {strconv.Itoa(id)}}, nil)
				}
				check := func(id int, panics bool, r Response) {
					score, aerr, serr := r.Header.Get("X-Score"), r.Header.Get("X-Agent-Error"), r.Header.Get("X-Spoe-Error")
					wantScore, wantErr := "9", ""
					if panics {
						wantScore, wantErr = "", strconv.FormatInt(server.ErrorCodePanic, 10)
					}
					if r.Status != 200 || score != wantScore || aerr != wantErr || serr != "" {
						t.Errorf("request %d (panics %v): status %d, X-Score %q, X-Agent-Error %q, X-Spoe-Error %q in %v; want 200, %q, %q, none (a timeout would set it)",
							id, panics, r.Status, score, aerr, serr, r.Elapsed, wantScore, wantErr)
					}
				}

				// Sequential: one request at a time, so HAProxy reuses its one
				// idle agent connection; every third request panics.
				const sequential = 30
				for i := range sequential {
					r, err := get(i, i%3 == 1)
					if err != nil {
						t.Fatalf("request %d: %v", i, err)
					}
					check(i, i%3 == 1, r)
				}
				mu.Lock()
				for i := 1; i < sequential-1; i += 3 {
					p, after := conns[strconv.Itoa(i)], conns[strconv.Itoa(i+1)]
					if p != after {
						t.Errorf("request %d panicked on agent connection %d, the next one came on connection %d: the connection was not kept", i, p, after)
					}
				}
				mu.Unlock()

				// Concurrent: 8 clients, pipelined NOTIFYs, a quarter panics.
				const concurrent = 400
				var wg sync.WaitGroup
				var next atomic.Int64
				for range 8 {
					wg.Add(1)
					go func() {
						defer wg.Done()
						for {
							i := int(next.Add(1)) + sequential
							if i >= sequential+concurrent {
								return
							}
							r, err := get(i, i%4 == 0)
							if err != nil {
								t.Errorf("request %d: %v", i, err)
								return
							}
							check(i, i%4 == 0, r)
						}
					}()
				}
				wg.Wait()
				st := a.Stats()
				wantPanics := uint64(sequential/3 + concurrent/4)
				var disconnects uint64
				for _, n := range st.Disconnects {
					disconnects += n
				}
				if got := st.HandlerErrors[server.ErrorCodePanic]; got < wantPanics-1 || got > wantPanics+1 {
					t.Errorf("Stats.HandlerErrors[panic] = %d; want about %d", got, wantPanics)
				}
				if disconnects != 0 {
					t.Errorf("the agent sent %d AGENT-DISCONNECTs; want none", disconnects)
				}
				t.Logf("HAProxy %s, %s engine: %d requests, %d panics answered with agent_error=%d, %d agent connections in total, %d NOTIFYs, 0 disconnects",
					v.Name, kind.Name, sequential+concurrent-1, st.HandlerErrors[server.ErrorCodePanic], server.ErrorCodePanic, st.ConnsTotal, st.Notifies)
			})
		}
	})
}

func engineOf(k agentKind) string {
	if k.Name == "std" {
		return server.EngineStd
	}
	return server.EngineEpoll
}
