//go:build linux

package e2e

import (
	"bufio"
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/spopkit/spopkit/server/spoptest"
	"github.com/spopkit/spopkit/spopwire"
)

// TestScaleOut is the scale-out recipe of examples/blocklist-redis: two
// agent processes as the two servers of one SPOE backend (its shipped
// haproxy.cfg: `balance roundrobin`, `option spop-check`, `check inter 1s`),
// both reading one blocklist from a real redis-server. Through each HAProxy
// version:
//
//   - a change made in Redis (SADD, then SREM) is seen at once through both
//     agents: the listed client gets 403 from both, then 200 from both;
//   - one agent is SIGKILLed under a bounded load from 8 clients: the
//     requests that fail are counted (at most those in flight to it), none
//     fails once HAProxy has marked it DOWN, and the survivor answers every
//     request from then on;
//   - a failing Redis fails closed: 503 with txn.blocklist.error = 1001.
func TestScaleOut(t *testing.T) {
	bin := buildBlocklistRedis(t)
	forEachHAProxy(t, func(t *testing.T, v *haproxyVersion) {
		sock := startRedis(t)
		agents := []*spoaProcess{
			startAgentBinary(t, bin, "--redis-addr", sock, "--metrics-addr", "127.0.0.1:0"),
			startAgentBinary(t, bin, "--redis-addr", sock, "--metrics-addr", "127.0.0.1:0"),
		}
		hp := scaleOutHAProxy(t, v, agents[0].Addr, agents[1].Addr)
		for _, srv := range []string{"agent1", "agent2"} {
			if _, err := hp.WaitCheck("blocklist-agents", srv, "UP", "L7OK", 10*time.Second); err != nil {
				t.Fatal(err)
			}
		}

		// Warm-up: each agent's first lookups dial Redis.
		for i, a := range agents {
			if _, err := askBlocked(a.Addr, netip.MustParseAddr("127.0.0.2")); err != nil {
				t.Fatalf("agent%d: %v", i+1, err)
			}
		}

		// A blocklist change made in Redis, seen through both agents.
		for _, step := range []struct {
			cmd    string
			status int
		}{{"", 200}, {"SADD", 403}, {"SREM", 200}} {
			if step.cmd != "" {
				if reply, err := redisCommand(sock, step.cmd, "blocklist:blocked", "127.0.0.2"); reply != ":1" || err != nil {
					t.Fatalf("%s blocklist:blocked 127.0.0.2: %q %v", step.cmd, reply, err)
				}
			}
			expectBlocked(t, hp, agents, "127.0.0.2", step.status)
			t.Logf("HAProxy %s scale-out, after %q: 16 requests from 127.0.0.2 each %d, and both agents answer blocked=%v",
				v.Name, cmp.Or(step.cmd, "no change"), step.status, step.status == 403)
		}

		// One agent SIGKILLed under load.
		load := startBoundedLoad(t, hp, 8, 200_000)
		load.waitResponses(t, 500)
		tKill := time.Now()
		agents[0].Kill()
		if _, err := hp.WaitServerStatus("blocklist-agents", "agent1", "DOWN", 15*time.Second); err != nil {
			load.stop()
			t.Fatalf("HAProxy did not mark the killed agent DOWN: %v", err)
		}
		tDown := time.Now()
		load.waitResponsesSince(t, tDown, 2000)
		load.stop()

		c := load.count(tKill, tDown)
		survivor := scrapeCounter(t, agents[1].MetricsURL(), "spoa_notifies_total")
		t.Logf("HAProxy %s scale-out, agent1 SIGKILLed under load from %d clients: %d requests, %d failed (%d sent before the kill, %d between the kill and DOWN, %d after DOWN); DOWN %v after the kill; the %d requests after DOWN all answered by agent2 (%v NOTIFYs in all); first failure: %s",
			v.Name, load.workers, c.total, c.failed, c.failedBeforeKill, c.failed-c.failedBeforeKill-c.failedAfterDown, c.failedAfterDown,
			tDown.Sub(tKill).Round(100*time.Millisecond), c.okAfterDown, survivor, c.firstFailure)
		if c.failedAfterDown != 0 {
			t.Errorf("%d requests sent after HAProxy marked agent1 DOWN failed; want none", c.failedAfterDown)
		}
		if c.failedBeforeKillDone != 0 {
			t.Errorf("%d requests failed that were answered before the kill; want none", c.failedBeforeKillDone)
		}
		if c.notSPOE != 0 {
			t.Errorf("%d requests failed otherwise than by HAProxy's SPOE error variable (a 503, failing closed): %s", c.notSPOE, c.firstFailure)
		}
		if c.okAfterDown < 2000 || survivor < float64(c.okAfterDown) {
			t.Errorf("after DOWN: %d requests answered, agent2 counted %v NOTIFYs in all; want ≥ 2000 answered, all by agent2", c.okAfterDown, survivor)
		}

		// A failing Redis (the list's key holding a string) fails closed:
		// the survivor sets txn.blocklist.error = 1001 at once and the
		// shipped haproxy.cfg denies with 503.
		if reply, err := redisCommand(sock, "SET", "blocklist:blocked", "not a set"); reply != "+OK" || err != nil {
			t.Fatalf("SET blocklist:blocked: %q %v", reply, err)
		}
		r, err := do(context.Background(), clientFrom(t, "127.0.0.1"), http.MethodGet, hp.URL("4", "/"), nil, nil)
		if err != nil || r.Status != 503 || r.Header.Get("X-SPOE-Error") != "1001" {
			t.Fatalf("request while Redis fails: status %d, X-SPOE-Error %q, %v; want 503 with 1001", r.Status, r.Header.Get("X-SPOE-Error"), err)
		}
		t.Logf("HAProxy %s scale-out, Redis failing (blocklist:blocked a string): status %d, txn.blocklist.error = %s",
			v.Name, r.Status, r.Header.Get("X-SPOE-Error"))
	})
}

// buildBlocklistRedis builds examples/blocklist-redis (a module of its own)
// as an operator does, with go build in its directory.
func buildBlocklistRedis(t *testing.T) string {
	t.Helper()
	goBin, err := exec.LookPath("go")
	if err != nil {
		goBin = filepath.Join(runtime.GOROOT(), "bin", "go")
	}
	bin := filepath.Join(t.TempDir(), "blocklist-redis")
	cmd := exec.Command(goBin, "build", "-o", bin, "./cmd/blocklist-redis")
	cmd.Dir = filepath.Join("..", "examples", "blocklist-redis")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build ./cmd/blocklist-redis in examples/blocklist-redis: %v\n%s", err, out)
	}
	return bin
}

// scaleOutHAProxy starts HAProxy v on blocklist-redis's shipped haproxy.cfg
// and spoe.conf, with its one agent server line turned into two (addr1,
// addr2), the variables copied into response headers for the test and a
// longer timeout processing.
func scaleOutHAProxy(t *testing.T, v *haproxyVersion, addr1, addr2 string) *HAProxy {
	t.Helper()
	dir := filepath.Join("..", "examples", "blocklist-redis")
	cfg, spoe := readFile(t, filepath.Join(dir, "haproxy.cfg")), readFile(t, filepath.Join(dir, "spoe.conf"))
	// The shipped 500ms suits an idle agent; here the other e2e tests share
	// the CPUs, and a late answer would count as a failure this test is not
	// about.
	spoe = mustReplace(t, spoe, "timeout processing 500ms", "timeout processing 5s")
	cfg = mustReplace(t, cfg, "    server agent1 127.0.0.1:12345 check inter 1s\n",
		"    server agent1 "+addr1+" check inter 1s\n    server agent2 "+addr2+" check inter 1s\n")
	cfg = mustReplace(t, cfg, "    default_backend web\n", `    http-after-response set-header X-Blocked %[var(txn.blocklist.blocked)] if { var(txn.blocklist.blocked) -m found }
    http-after-response set-header X-SPOE-Error %[var(txn.blocklist.error)] if { var(txn.blocklist.error) -m found }
    http-after-response set-header X-Agent-Error %[var(txn.blocklist.agent_error)] if { var(txn.blocklist.agent_error) -m found }
    default_backend web
`)
	return shippedHAProxy(t, v, cfg, map[string]string{"spoe.conf": spoe}, nil)
}

func readFile(t testing.TB, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// expectBlocked checks that client address from gets status want through
// HAProxy (16 concurrent requests, a new connection each, every one with
// the agent's answer) and that each agent, asked directly with the NOTIFY
// HAProxy sends (check-ip, ip=from), answers blocked = (want == 403): HAProxy
// 2.x keeps sending to the agent connections it already has, so requests
// alone cannot be relied on to reach both.
func expectBlocked(t *testing.T, hp *HAProxy, agents []*spoaProcess, from string, want int) {
	t.Helper()
	c := clientFrom(t, from)
	errs := make(chan string, 16)
	var wg sync.WaitGroup
	for range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r, err := do(context.Background(), c, http.MethodGet, hp.URL("4", "/"), nil, nil)
			switch {
			case err != nil:
				errs <- err.Error()
			case r.Status != want || r.Header.Get("X-Blocked") == "" || r.Header.Get("X-SPOE-Error") != "" || r.Header.Get("X-Agent-Error") != "":
				errs <- fmt.Sprintf("status %d, X-Blocked %q, X-SPOE-Error %q, X-Agent-Error %q",
					r.Status, r.Header.Get("X-Blocked"), r.Header.Get("X-SPOE-Error"), r.Header.Get("X-Agent-Error"))
			}
		}()
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Fatalf("request from %s: %s; want status %d with the agent's answer", from, e, want)
	}
	for i, a := range agents {
		blocked, err := askBlocked(a.Addr, netip.MustParseAddr(from))
		if err != nil || blocked != (want == 403) {
			t.Fatalf("agent%d asked directly about %s: blocked %v, %v; want %v", i+1, from, blocked, err, want == 403)
		}
	}
}

// askBlocked sends blocklist-redis's NOTIFY (message check-ip, ip) to the
// agent at addr as HAProxy does and returns the txn "blocked" it sets.
func askBlocked(addr string, ip netip.Addr) (bool, error) {
	c, err := net.DialTimeout("tcp", addr, 2*time.Second)
	if err != nil {
		return false, err
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(5 * time.Second))
	b := spopwire.AppendHAProxyHello(nil, spopwire.HAProxyHello{
		SupportedVersions: []byte("2.0"), MaxFrameSize: spopwire.DefaultMaxFrameSize,
		Capabilities: spopwire.CapPipelining, EngineID: []byte("5c0a1e00-0000-4000-8000-000000000001"),
	})
	b, start := spopwire.StartFrame(b, spopwire.FrameNotify, spopwire.FlagFin, 1, 1)
	b = spoptest.AppendMessages(b, spoptest.Msg("check-ip", spoptest.Arg("ip", spopwire.AddrValue(ip))))
	spopwire.FinishFrame(b, start)
	if _, err := c.Write(b); err != nil {
		return false, err
	}
	r := bufio.NewReader(c)
	for range 2 {
		var p [4]byte
		if _, err := io.ReadFull(r, p[:]); err != nil {
			return false, err
		}
		n, _ := spopwire.ConsumeFrameLength(p[:], spopwire.DefaultMaxFrameSize)
		body := make([]byte, n)
		if _, err := io.ReadFull(r, body); err != nil {
			return false, err
		}
		f, k := spopwire.ConsumeFrameBody(body)
		if k < 0 {
			return false, spopwire.ParseError(k)
		}
		if f.Type != spopwire.FrameAck {
			continue // the AGENT-HELLO
		}
		it := spopwire.Actions(f.Payload)
		for a, ok := it.Next(); ok; a, ok = it.Next() {
			if string(a.Name) == "blocked" {
				return a.Value.Bool(), nil
			}
		}
		return false, fmt.Errorf("ACK without a blocked variable (error ACK?): %x", f.Payload)
	}
	return false, errors.New("no ACK")
}

// scrapeCounter returns the value of the first sample of metric name on the
// /metrics page at url.
func scrapeCounter(t *testing.T, url, name string) float64 {
	t.Helper()
	c := http.Client{Timeout: 5 * time.Second}
	resp, err := c.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, name+"{") || strings.HasPrefix(line, name+" ") {
			v, err := strconv.ParseFloat(line[strings.LastIndexByte(line, ' ')+1:], 64)
			if err != nil {
				t.Fatalf("%s: %q", url, line)
			}
			return v
		}
	}
	t.Fatalf("%s has no %s", url, name)
	return 0
}

// boundedLoad is keep-alive HTTP load from a fixed number of clients, each
// request recorded with its start and end, until stop or a request bound.
type boundedLoad struct {
	workers int
	cancel  context.CancelFunc
	wg      sync.WaitGroup
	n       atomic.Int64

	mu   sync.Mutex
	reqs []loadRequest
}

type loadRequest struct {
	start, end time.Time
	failure    string // "" when the agent answered
	spoeError  bool   // denied with 503 on HAProxy's SPOE error variable (fail closed)
}

func startBoundedLoad(t *testing.T, hp *HAProxy, workers int, maxRequests int64) *boundedLoad {
	ctx, cancel := context.WithCancel(context.Background())
	l := &boundedLoad{workers: workers, cancel: cancel}
	t.Cleanup(l.stop)
	c := newClient(t, workers, 10*time.Second)
	for range workers {
		l.wg.Add(1)
		go func() {
			defer l.wg.Done()
			for ctx.Err() == nil && l.n.Add(1) <= maxRequests {
				start := time.Now()
				r, err := do(ctx, c, http.MethodGet, hp.URL("4", "/"), nil, nil)
				if err != nil && ctx.Err() != nil {
					return // stopped during this request
				}
				req := loadRequest{start: start, end: time.Now()}
				switch {
				case err != nil:
					req.failure = err.Error()
				case r.Status != 200 || r.Header.Get("X-Blocked") != "0" || r.Header.Get("X-SPOE-Error") != "" || r.Header.Get("X-Agent-Error") != "":
					req.spoeError = r.Status == 503 && r.Header.Get("X-SPOE-Error") != ""
					req.failure = fmt.Sprintf("status %d, X-Blocked %q, X-SPOE-Error %q, X-Agent-Error %q",
						r.Status, r.Header.Get("X-Blocked"), r.Header.Get("X-SPOE-Error"), r.Header.Get("X-Agent-Error"))
				}
				l.mu.Lock()
				l.reqs = append(l.reqs, req)
				l.mu.Unlock()
			}
		}()
	}
	return l
}

// stop ends the load and waits for the clients. Safe to call twice.
func (l *boundedLoad) stop() {
	l.cancel()
	l.wg.Wait()
}

// waitResponses waits (at most 30 s) until n requests have completed.
func (l *boundedLoad) waitResponses(t *testing.T, n int) {
	t.Helper()
	l.waitResponsesSince(t, time.Time{}, n)
}

// waitResponsesSince waits (at most 30 s) until n requests started after
// since have completed.
func (l *boundedLoad) waitResponsesSince(t *testing.T, since time.Time, n int) {
	t.Helper()
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		l.mu.Lock()
		got := 0
		for _, r := range l.reqs {
			if !r.start.Before(since) {
				got++
			}
		}
		l.mu.Unlock()
		if got >= n {
			return
		}
		if time.Now().After(deadline) {
			l.stop()
			t.Fatalf("only %d of %d requests completed in 30s", got, n)
		}
	}
}

// loadCounts are the requests of a boundedLoad around an agent's death.
type loadCounts struct {
	total, failed int
	// failedBeforeKill were sent before the kill (in flight to it), and
	// failedBeforeKillDone even completed before it: none may.
	failedBeforeKill, failedBeforeKillDone int
	// failedAfterDown were sent once HAProxy had marked the agent DOWN.
	failedAfterDown int
	// notSPOE failed otherwise than by HAProxy's SPOE error variable, which
	// the shipped haproxy.cfg denies with 503 (X-SPOE-Error set): a
	// transport error or another status.
	notSPOE      int
	okAfterDown  int
	firstFailure string
}

func (l *boundedLoad) count(kill, down time.Time) loadCounts {
	l.mu.Lock()
	defer l.mu.Unlock()
	c := loadCounts{total: len(l.reqs), firstFailure: "none"}
	for _, r := range l.reqs {
		afterDown := !r.start.Before(down)
		if r.failure == "" {
			if afterDown {
				c.okAfterDown++
			}
			continue
		}
		if c.failed == 0 {
			c.firstFailure = r.failure
		}
		c.failed++
		if r.start.Before(kill) {
			c.failedBeforeKill++
		}
		if r.end.Before(kill) {
			c.failedBeforeKillDone++
		}
		if afterDown {
			c.failedAfterDown++
		}
		if !r.spoeError {
			c.notSPOE++
		}
	}
	return c
}
