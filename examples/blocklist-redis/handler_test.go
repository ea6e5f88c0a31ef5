package blocklistredis

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/spopkit/spopkit/examples/internal/exampletest"
	"github.com/spopkit/spopkit/server"
	"github.com/spopkit/spopkit/server/spoptest"
	"github.com/spopkit/spopkit/spoa"
	"github.com/spopkit/spopkit/spoa/arg"
	"github.com/spopkit/spopkit/spopwire"
)

func checkIP(ip string) spoptest.Message {
	return spoptest.Msg("check-ip", spoptest.Arg("ip", spopwire.AddrValue(netip.MustParseAddr(ip))))
}

// blockedVar returns the ACK's txn "blocked" variable, failing on any other
// action (an error variable in particular).
func blockedVar(t testing.TB, acts []spopwire.Action) (v bool, ok bool) {
	t.Helper()
	for _, a := range acts {
		if string(a.Name) != "blocked" || a.Scope != spopwire.ScopeTransaction || a.Value.Type() != spopwire.TypeBool {
			t.Fatalf("unexpected action %s %v %v (want only txn BOOL blocked)", a.Name, a.Scope, a.Value)
		}
		v, ok = a.Value.Bool(), true
	}
	return v, ok
}

// wantErrorCode is what a failed lookup sets txn.<prefix>.error to, once
// Configure has run as the agent's Setup runs it.
const wantErrorCode = arg.ErrorCodeBase + server.ErrorCodeHandler

// harness answers NOTIFYs with h under the agent's configuration.
func harness(t *testing.T, h server.Handler) *spoptest.HAProxy {
	var opts spoptest.Options
	Configure(&opts.Config)
	return spoptest.New(t, h, opts)
}

// errorVar returns the value of txn.<prefix>.error in the ACK.
func errorVar(acts []spopwire.Action) (int64, bool) {
	v, ok := exampletest.Find(acts, "error")
	if !ok {
		return 0, false
	}
	return v.Int64(), true
}

func TestCheckIP(t *testing.T) {
	store := newStore(t)
	ctx := context.Background()
	// Entries as an operator would type them: Add makes them canonical.
	if _, err := store.Add(ctx, "192.0.2.7", "2001:DB8::7", "198.51.100.0/24", "2001:db8:1::/48",
		"10.0.0.0/8", "203.0.113.9/32", "2001:db8:ffff::1/128", "100.64.7.1/22"); err != nil {
		t.Fatal(err)
	}
	hp := harness(t, NewHandler(store))
	tests := []struct {
		ip      string
		blocked bool
	}{
		{"192.0.2.7", true},            // listed IPv4 address
		{"192.0.2.8", false},           // its neighbour
		{"::ffff:192.0.2.7", true},     // the same, IPv4-mapped
		{"2001:db8::7", true},          // listed IPv6 address
		{"2001:db8::8", false},         // its neighbour
		{"198.51.100.0", true},         // first address of a listed /24
		{"198.51.100.255", true},       // last
		{"198.51.101.0", false},        // just past it
		{"10.255.255.255", true},       // inside a /8
		{"11.0.0.0", false},            // just past it
		{"203.0.113.9", true},          // listed as a /32
		{"2001:db8:1:ffff::1", true},   // inside a /48
		{"2001:db8:2::", false},        // just past it
		{"2001:db8:ffff::1", true},     // listed as a /128
		{"100.64.3.255", false},        // 100.64.4.0/22, added as 100.64.7.1/22
		{"100.64.4.0", true},           //
		{"100.64.7.255", true},         //
		{"100.64.8.0", false},          //
		{"127.0.0.1", false},           // unlisted
		{"::1", false},                 // unlisted
		{"::ffff:198.51.100.77", true}, // mapped, inside the /24
	}
	for _, tt := range tests {
		acts, err := hp.Notify(checkIP(tt.ip))
		if err != nil {
			t.Fatal(err)
		}
		if got, ok := blockedVar(t, acts); !ok || got != tt.blocked {
			t.Errorf("%s: blocked = %v (set %v); want %v", tt.ip, got, ok, tt.blocked)
		}
	}

	// Unblocking takes effect at once, with no reload.
	if n, err := store.Remove(ctx, "192.0.2.7"); err != nil || n != 1 {
		t.Fatalf("Remove = %d, %v", n, err)
	}
	acts, err := hp.Notify(checkIP("192.0.2.7"))
	if err != nil {
		t.Fatal(err)
	}
	if got, ok := blockedVar(t, acts); !ok || got {
		t.Errorf("after SREM: blocked = %v (set %v); want false", got, ok)
	}
}

// TestNoAddress: a NULL or missing address sets no variable (haproxy.cfg
// reads that as "not blocked") and asks Redis nothing; an argument of the
// wrong type is an error ACK.
func TestNoAddress(t *testing.T) {
	// A store on a Redis that does not exist: any lookup would fail.
	dead := NewStore(newClient(t, filepath.Join(t.TempDir(), "none.sock"), 100*time.Millisecond), DefaultKeyPrefix, 100*time.Millisecond)
	hp := harness(t, NewHandler(dead))
	for name, msg := range map[string]spoptest.Message{
		"NULL":    spoptest.Msg("check-ip", spoptest.Arg("ip", spopwire.Null())),
		"missing": spoptest.Msg("check-ip"),
	} {
		acts, err := hp.Notify(msg)
		if err != nil {
			t.Fatal(err)
		}
		if len(acts) != 0 {
			t.Errorf("%s address: actions %v; want none", name, acts)
		}
	}
	acts, err := hp.Notify(spoptest.Msg("check-ip", spoptest.Arg("ip", spopwire.StringValue("192.0.2.1"))))
	if err != nil {
		t.Fatal(err)
	}
	if code, ok := errorVar(acts); !ok || code != wantErrorCode {
		t.Errorf("string address: actions %v; want error = %d", acts, wantErrorCode)
	}
}

// TestRedisDown: when Redis cannot answer, the NOTIFY gets an error ACK (no
// "blocked", txn.<prefix>.error = 1001) within the lookup timeout (logged);
// once Redis is back the same agent answers again.
func TestRedisDown(t *testing.T) {
	needRedis(t)
	sock := filepath.Join(t.TempDir(), "redis.sock")
	r, err := startRedis(sock)
	if err != nil {
		t.Fatal(err)
	}
	defer r.stop()
	const timeout = 200 * time.Millisecond
	store := NewStore(newClient(t, sock, timeout), DefaultKeyPrefix, timeout)
	if _, err := store.Add(context.Background(), "192.0.2.1"); err != nil {
		t.Fatal(err)
	}
	hp := harness(t, NewHandler(store))
	expect := func(stage string, wantBlocked bool, wantErr bool) {
		t.Helper()
		start := time.Now()
		acts, err := hp.Notify(checkIP("192.0.2.1"))
		took := time.Since(start)
		if err != nil {
			t.Fatalf("%s: %v", stage, err)
		}
		t.Logf("%s: ACK after %v (lookup timeout %v)", stage, took, timeout)
		code, isErr := errorVar(acts)
		if isErr != wantErr || isErr && code != wantErrorCode {
			t.Fatalf("%s: actions %v; want error ACK %v", stage, acts, wantErr)
		}
		if !wantErr {
			if got, ok := blockedVar(t, acts); !ok || got != wantBlocked {
				t.Fatalf("%s: blocked = %v (set %v); want %v", stage, got, ok, wantBlocked)
			}
		}
		t.Logf("%s: answered in %v with %v", stage, took, acts)
	}

	expect("Redis up", true, false)
	r.stop()
	expect("Redis just stopped (pooled connection broken)", false, true)
	expect("Redis down (refused)", false, true)

	r, err = startRedis(sock) // an empty Redis: nothing persisted
	if err != nil {
		t.Fatal(err)
	}
	defer r.stop()
	if _, err := store.Add(context.Background(), "192.0.2.1"); err != nil {
		t.Fatal(err)
	}
	expect("Redis back", true, false)

	// A store with no Redis at all from the start answers errors too.
	dead := NewStore(newClient(t, filepath.Join(t.TempDir(), "none.sock"), timeout), DefaultKeyPrefix, timeout)
	hp = harness(t, NewHandler(dead))
	expect("never any Redis", false, true)
}

// TestWrongKeyType: a key of another type (an operator's SET vs. SADD
// mistake) is a Redis error, hence an error ACK, not "not blocked".
func TestWrongKeyType(t *testing.T) {
	store := newStore(t)
	if err := store.rdb.Set(context.Background(), store.Key(), "192.0.2.1", 0).Err(); err != nil {
		t.Fatal(err)
	}
	hp := harness(t, NewHandler(store))
	acts, err := hp.Notify(checkIP("192.0.2.1"))
	if err != nil {
		t.Fatal(err)
	}
	if code, ok := errorVar(acts); !ok || code != wantErrorCode {
		t.Errorf("actions %v; want error = %d", acts, wantErrorCode)
	}
}

// TestPipelinedWhileListChanges sends 1000 NOTIFYs back to back on each of
// two connections to a real server (127.0.0.1:0), while another client adds
// entries to the list: every NOTIFY must get exactly one ACK with the
// variable; an address added before its NOTIFY was sent must be blocked,
// and one never added must not be.
func TestPipelinedWhileListChanges(t *testing.T) {
	store := newStore(t)
	_, addr := exampletest.Start(t, NewHandler(store), server.Config{Loops: 2})

	const conns, perConn, entries = 2, 1000, 500
	// Entry k is 198.18.<k/256>.<k%256>/32 (or, for odd k, the /31 holding
	// it); probes of 198.19.x.y are never added.
	entry := func(k int) string {
		if k%2 == 1 {
			return fmt.Sprintf("198.18.%d.%d/31", k/256, k%256-1)
		}
		return fmt.Sprintf("198.18.%d.%d", k/256, k%256)
	}
	var added atomic.Int64 // entries [0, added) are in Redis
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { // the operator
		defer wg.Done()
		for k := 0; k < entries; k++ {
			select {
			case <-stop:
				return
			default:
			}
			if _, err := store.Add(context.Background(), entry(k)); err != nil {
				t.Error(err)
				return
			}
			added.Store(int64(k + 1))
			time.Sleep(200 * time.Microsecond)
		}
	}()

	type probe struct {
		ip        string
		mustBlock bool // its entry was in Redis before the NOTIFY left
		listed    bool // its entry is (or will be) in the list
	}
	errs := make(chan error, conns)
	for range conns {
		conn := exampletest.Dial(t, addr)
		go func() {
			sent := map[uint64]probe{}
			for i := range perConn {
				k := (i * 7) % entries
				p := probe{ip: fmt.Sprintf("198.18.%d.%d", k/256, k%256), listed: true}
				if i%4 == 3 {
					p = probe{ip: fmt.Sprintf("198.19.%d.%d", k/256, k%256)}
				}
				p.mustBlock = p.listed && int64(k) < added.Load()
				sid, err := conn.Send(checkIP(p.ip))
				if err != nil {
					errs <- err
					return
				}
				sent[sid] = p
			}
			for range perConn {
				sid, acts, err := conn.Ack(10 * time.Second)
				if err != nil {
					errs <- fmt.Errorf("after %d ACKs: %w", perConn-len(sent), err)
					return
				}
				p, ok := sent[sid]
				if !ok {
					errs <- fmt.Errorf("ACK for stream %d: unknown or answered twice", sid)
					return
				}
				delete(sent, sid)
				v, ok := exampletest.Find(acts, "blocked")
				switch {
				case !ok:
					errs <- fmt.Errorf("%s: ACK %v without blocked", p.ip, acts)
					return
				case v.Bool() && !p.listed:
					errs <- fmt.Errorf("%s: blocked but never listed", p.ip)
					return
				case !v.Bool() && p.mustBlock:
					errs <- fmt.Errorf("%s: not blocked although listed before the NOTIFY", p.ip)
					return
				}
			}
			errs <- nil
		}()
	}
	failed := false
	for range conns {
		if err := <-errs; err != nil {
			t.Error(err)
			failed = true
		}
	}
	close(stop)
	wg.Wait()
	if failed {
		return
	}
	t.Logf("%d NOTIFYs pipelined on %d connections, all ACKed, while %d entries were added", conns*perConn, conns, added.Load())
}

// TestLatency measures NOTIFY → ACK one at a time over a real socket, each
// lookup going to Redis (UNIX socket) on a worker, and logs the percentiles.
func TestLatency(t *testing.T) {
	store := newStore(t)
	if _, err := store.Add(context.Background(), "192.0.2.0/24", "2001:db8::/32"); err != nil {
		t.Fatal(err)
	}
	_, addr := exampletest.Start(t, NewHandler(store), server.Config{Loops: 1})
	conn := exampletest.Dial(t, addr)
	for name, ip := range map[string]string{"IPv4": "192.0.2.7", "IPv6": "2001:db8::7"} {
		lat := make([]time.Duration, 0, 500)
		for range cap(lat) {
			start := time.Now()
			acts, err := conn.Notify(5*time.Second, checkIP(ip))
			if err != nil {
				t.Fatal(err)
			}
			lat = append(lat, time.Since(start))
			if got, ok := blockedVar(t, acts); !ok || !got {
				t.Fatalf("%s not blocked: %v", ip, acts)
			}
		}
		slices.Sort(lat)
		t.Logf("%s: NOTIFY→ACK through Redis, %d sequential: p50 %v, p99 %v, max %v",
			name, len(lat), lat[len(lat)/2], lat[len(lat)*99/100], lat[len(lat)-1])
	}
}

// TestErrorLog: failed NOTIFYs are logged once per interval with the count
// of those left out; other errors are logged each time.
func TestErrorLog(t *testing.T) {
	var buf bytes.Buffer
	l := newErrorLog(slog.New(slog.NewTextHandler(&buf, nil)), time.Hour)
	herr := &server.HandlerError{Code: server.ErrorCodeHandler, Err: errors.New("redis down")}
	for range 5 {
		l.report(herr)
	}
	l.report(&server.ConnError{Status: spopwire.StatusInvalidFrame, Reason: "bad frame"})
	l.last = time.Now().Add(-2 * time.Hour) // the interval has passed
	l.report(herr)
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 3 || !strings.Contains(lines[0], "similar_failures_not_logged=0") ||
		!strings.Contains(lines[1], "bad frame") || !strings.Contains(lines[2], "similar_failures_not_logged=4") {
		t.Errorf("log:\n%s", buf.String())
	}
}

func TestClientOptions(t *testing.T) {
	for addr, want := range map[string][2]string{
		"127.0.0.1:6379":             {"tcp", "127.0.0.1:6379"},
		"[::1]:6379":                 {"tcp", "[::1]:6379"},
		"/run/redis/redis.sock":      {"unix", "/run/redis/redis.sock"},
		"unix:/run/redis/redis.sock": {"unix", "/run/redis/redis.sock"},
	} {
		o := ClientOptions(addr, "", time.Second, 32)
		if o.Network != want[0] || o.Addr != want[1] || o.PoolSize != 32 {
			t.Errorf("ClientOptions(%q): %s %s pool %d; want %s %s pool 32", addr, o.Network, o.Addr, o.PoolSize, want[0], want[1])
		}
	}
}

// TestAgent runs the agent as cmd/blocklist-redis does, flags and all, and
// asks it about a listed address over TCP.
func TestAgent(t *testing.T) {
	store := newStore(t)
	if _, err := store.Add(context.Background(), "192.0.2.0/24"); err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0") // a free port
	if err != nil {
		t.Fatal(err)
	}
	port := strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)
	ln.Close()
	prefix := strings.TrimSuffix(store.Key(), SetName)

	ctx, cancel := context.WithCancel(context.Background())
	var out syncBuffer
	done := make(chan int, 1)
	go func() {
		done <- spoa.Run(ctx, []string{"-a", "127.0.0.1", "-p", port,
			"--redis-addr", "unix:" + redisSock, "--redis-key-prefix", prefix, "--redis-timeout", "500ms"},
			&out, &out, NewAgent())
	}()
	var conn *exampletest.Conn
	for deadline := time.Now().Add(10 * time.Second); conn == nil; {
		if c, err := net.Dial("tcp", "127.0.0.1:"+port); err == nil {
			c.Close()
			conn = exampletest.Dial(t, "127.0.0.1:"+port)
		} else if time.Now().After(deadline) {
			t.Fatalf("agent not listening: %v; output:\n%s", err, out.String())
		} else {
			time.Sleep(10 * time.Millisecond)
		}
	}
	acts, err := conn.Notify(5*time.Second, checkIP("192.0.2.200"))
	if err != nil {
		t.Fatal(err)
	}
	if got, ok := blockedVar(t, acts); !ok || !got {
		t.Errorf("192.0.2.200: blocked = %v (set %v); want true", got, ok)
	}
	// The startup check of the list runs in the background: wait for it.
	for deadline := time.Now().Add(5 * time.Second); !strings.Contains(out.String(), "list readable"); {
		if time.Now().After(deadline) {
			t.Errorf("no startup check in the log:\n%s", out.String())
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	if code := <-done; code != 0 {
		t.Errorf("exit status %d; output:\n%s", code, out.String())
	}
}

// syncBuffer is a bytes.Buffer safe for the agent's concurrent log writes.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}
