package spoa

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/spopkit/spopkit/server"
	"github.com/spopkit/spopkit/server/spoptest"
	"github.com/spopkit/spopkit/spopwire"
)

// client is a minimal HAProxy side of one SPOP connection.
type client struct {
	c   net.Conn
	sid uint64
}

func dialAgent(t *testing.T, addr string) *client {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	hello := spopwire.AppendHAProxyHello(nil, spopwire.HAProxyHello{
		SupportedVersions: []byte("2.0"), MaxFrameSize: 16380,
		Capabilities: spopwire.CapPipelining, EngineID: []byte(spoptest.DefaultEngineID),
	})
	if _, err := c.Write(hello); err != nil {
		t.Fatal(err)
	}
	cl := &client{c: c, sid: 1}
	if f := cl.read(t); f.Type != spopwire.FrameAgentHello {
		t.Fatalf("got %v; want AGENT-HELLO", f.Type)
	}
	return cl
}

func (cl *client) read(t *testing.T) spopwire.Frame {
	t.Helper()
	_ = cl.c.SetReadDeadline(time.Now().Add(5 * time.Second))
	var p [4]byte
	if _, err := io.ReadFull(cl.c, p[:]); err != nil {
		t.Fatal(err)
	}
	n, _ := spopwire.ConsumeFrameLength(p[:], 1<<20)
	body := make([]byte, n)
	if _, err := io.ReadFull(cl.c, body); err != nil {
		t.Fatal(err)
	}
	f, k := spopwire.ConsumeFrameBody(body)
	if k < 0 {
		t.Fatal(spopwire.ParseError(k))
	}
	return f
}

func (cl *client) notify(t *testing.T, msgs ...spoptest.Message) spopwire.Frame {
	t.Helper()
	b, start := spopwire.StartFrame(nil, spopwire.FrameNotify, spopwire.FlagFin, cl.sid, 1)
	cl.sid += 2
	b = spoptest.AppendMessages(b, msgs...)
	spopwire.FinishFrame(b, start)
	if _, err := cl.c.Write(b); err != nil {
		t.Fatal(err)
	}
	return cl.read(t)
}

// TestRunServesReloadsAndDrains runs the whole command line on a free port:
// NOTIFYs are answered, the metrics endpoint shows the counters, SIGHUP
// reloads, and cancelling (as SIGTERM does) drains and closes the agent.
func TestRunServesReloadsAndDrains(t *testing.T) {
	var reloads, closes atomic.Int32
	fail := errors.New("refused")
	agent := Agent{
		Name: "test",
		Setup: func(env *Env) (server.Handler, error) {
			return server.HandlerFunc(func(req *server.Request, acts *server.Actions) error {
				it := req.Messages()
				m, _ := it.Next()
				if string(m.Name) == "fail" {
					return fail
				}
				acts.SetVar(spopwire.ScopeTransaction, "seen", spopwire.BoolValue(true))
				return nil
			}), nil
		},
		Reload: func() error { reloads.Add(1); return nil },
		Close:  func() error { closes.Add(1); return nil },
	}
	dir := t.TempDir()
	pidfile := filepath.Join(dir, "spoa.pid")
	logfile := filepath.Join(dir, "spoa.log")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	addrc, metricsc := make(chan net.Addr, 1), make(chan net.Addr, 1)
	signals := make(chan os.Signal, 1)
	var out bytes.Buffer
	d := &deps{ctx: ctx, stdout: &out, stderr: &out, signals: signals,
		ready:        func(a net.Addr) { addrc <- a },
		metricsReady: func(a net.Addr) { metricsc <- a }}
	var code int
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		code = run([]string{"-a", "127.0.0.1", "-p", "0", "-n", "1", "-F", pidfile, "-l", "A:" + logfile,
			"--metrics-addr", "127.0.0.1:0", "--log-format", "json", "-i", "50ms", "test"}, d, []Agent{agent})
	}()
	var addr, maddr net.Addr
	select {
	case addr = <-addrc:
		maddr = <-metricsc
	case <-time.After(10 * time.Second):
		cancel()
		wg.Wait()
		t.Fatalf("the agent did not start: exit %d\n%s", code, out.String())
	}

	if b, err := os.ReadFile(pidfile); err != nil || strings.TrimSpace(string(b)) != strconv.Itoa(os.Getpid()) {
		t.Errorf("pidfile = %q, %v; want our pid", b, err)
	}
	pctx, pcancel := context.WithTimeout(ctx, 2*time.Second)
	if _, err := Probe(pctx, addr.String()); err != nil {
		t.Errorf("probe: %v", err)
	}
	pcancel()

	cl := dialAgent(t, addr.String())
	const n = 64
	for range n {
		if f := cl.notify(t, spoptest.Msg("ok")); f.Type != spopwire.FrameAck || len(f.Payload) == 0 {
			t.Fatalf("got %v %x; want an ACK with a set-var", f.Type, f.Payload)
		}
	}
	cl.notify(t, spoptest.Msg("fail"))

	signals <- syscall.SIGHUP
	deadline := time.Now().Add(5 * time.Second)
	for reloads.Load() == 0 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	if reloads.Load() != 1 {
		t.Errorf("SIGHUP: %d reloads; want 1", reloads.Load())
	}

	metrics := scrape(t, "http://"+maddr.String()+"/metrics")
	for _, want := range []string{
		"# TYPE spoa_notifies_total counter",
		`spoa_notifies_total{agent="test"} 65`,
		`spoa_acks_total{agent="test"} 65`,
		`spoa_frames_received_total{agent="test"} `,
		`spoa_handler_errors_total{agent="test",code="1",reason="handler"} 1`,
		`spoa_disconnects_total{agent="test",status="0",reason="normal"} 0`,
		"# TYPE spoa_handler_duration_seconds histogram",
		`spoa_handler_duration_seconds_bucket{agent="test",le="1.023e-06"} `, // [512ns, 1024ns): le is inclusive
		`spoa_handler_duration_seconds_bucket{agent="test",le="+Inf"} `,
		`spoa_handler_duration_seconds_count{agent="test"} `,
		`spoa_reloads_total{agent="test",result="ok"} 1`,
		`spoa_connections{agent="test"} `,
		// The official Go client's Go and process collectors' names.
		"# TYPE go_goroutines gauge\ngo_goroutines ",
		"# TYPE go_threads gauge\ngo_threads ",
		`go_info{version="` + runtime.Version() + `"} 1`,
		"# TYPE go_gc_duration_seconds summary\n",
		`go_gc_duration_seconds{quantile="0.5"} `,
		"go_gc_duration_seconds_count ",
		"# TYPE go_memstats_alloc_bytes gauge\ngo_memstats_alloc_bytes ",
		"# TYPE go_memstats_alloc_bytes_total counter\ngo_memstats_alloc_bytes_total ",
		"go_memstats_heap_inuse_bytes ",
		"go_memstats_sys_bytes ",
		"go_memstats_mallocs_total ",
		"go_memstats_next_gc_bytes ",
		"go_memstats_last_gc_time_seconds ",
		"go_gc_gogc_percent ",
		"go_sched_gomaxprocs_threads ",
		"# TYPE process_cpu_seconds_total counter\nprocess_cpu_seconds_total ",
		"# TYPE process_resident_memory_bytes gauge\nprocess_resident_memory_bytes ",
		"process_virtual_memory_bytes ",
		"process_open_fds ",
		"process_max_fds ",
		"process_start_time_seconds ",
	} {
		if !strings.Contains(metrics, want) {
			t.Errorf("metrics lack %q:\n%s", want, metrics)
		}
	}
	if strings.Contains(metrics, `spoa_handler_duration_seconds_count{agent="test"} 0`) {
		t.Errorf("latency histogram is empty after %d NOTIFYs", n)
	}
	checkExposition(t, metrics)

	cancel()
	wg.Wait()
	if code != 0 {
		t.Errorf("exit %d; want 0\n%s", code, out.String())
	}
	if closes.Load() != 1 {
		t.Errorf("Close ran %d times; want 1", closes.Load())
	}
	if _, err := os.Stat(pidfile); !os.IsNotExist(err) {
		t.Errorf("pidfile still there after exit: %v", err)
	}
	log, _ := os.ReadFile(logfile)
	for _, want := range []string{`"msg":"agent ready"`, `"msg":"reloaded"`, `"msg":"stats"`, `"msg":"shutting down"`, `"msg":"stopped"`} {
		if !bytes.Contains(log, []byte(want)) {
			t.Errorf("log lacks %s:\n%s", want, log)
		}
	}
}

func scrape(t *testing.T, url string) string {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/plain; version=0.0.4") {
		t.Errorf("Content-Type %q", ct)
	}
	return string(b)
}

func TestRunSetupError(t *testing.T) {
	var out bytes.Buffer
	agent := Agent{Name: "broken", Setup: func(*Env) (server.Handler, error) { return nil, errors.New("no list") }}
	code := Run(context.Background(), []string{"-p", "0", "-a", "127.0.0.1"}, &out, &out, agent)
	if code != 1 || !strings.Contains(out.String(), "broken: no list") {
		t.Errorf("exit %d, output %q; want 1 and the Setup error", code, out.String())
	}
}

// TestHealthEndpointsDuringDrain runs an agent on its default address with
// --metrics-addr: it listens on 127.0.0.1 only; /healthz and /readyz say 200
// while it serves; once SIGTERM starts the drain (held open by a NOTIFY
// whose offloaded work the test holds), /readyz says 503 and /healthz still
// 200; the held NOTIFY is then answered and the agent exits 0.
func TestHealthEndpointsDuringDrain(t *testing.T) {
	release := make(chan struct{})
	var releaseOnce sync.Once
	releaseAll := func() { releaseOnce.Do(func() { close(release) }) }
	defer releaseAll()
	entered := make(chan struct{}, 1)
	agent := Agent{Name: "held", Handler: server.HandlerFunc(func(req *server.Request, acts *server.Actions) error {
		return req.Offload(func(acts *server.Actions) error {
			entered <- struct{}{}
			<-release
			acts.SetVar(spopwire.ScopeTransaction, "done", spopwire.BoolValue(true))
			return nil
		})
	})}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	addrc, metricsc := make(chan net.Addr, 1), make(chan net.Addr, 1)
	signals := make(chan os.Signal, 1)
	var out bytes.Buffer
	var mu sync.Mutex
	w := lockedWriter{&mu, &out}
	d := &deps{ctx: ctx, stdout: w, stderr: w, signals: signals,
		ready:        func(a net.Addr) { addrc <- a },
		metricsReady: func(a net.Addr) { metricsc <- a }}
	code := -1
	done := make(chan struct{})
	go func() {
		defer close(done)
		// No --address: the default.
		code = run([]string{"-p", "0", "-n", "1", "--metrics-addr", "127.0.0.1:0", "--shutdown-timeout", "30s", "held"}, d, []Agent{agent})
	}()
	var addr, maddr net.Addr
	select {
	case addr = <-addrc:
		maddr = <-metricsc
	case <-done:
		t.Fatalf("the agent exited %d at start:\n%s", code, w.String())
	case <-time.After(10 * time.Second):
		t.Fatalf("the agent did not start:\n%s", w.String())
	}
	if ip := addr.(*net.TCPAddr).IP; !ip.Equal(net.IPv4(127, 0, 0, 1)) {
		t.Errorf("listening on %v by default; want 127.0.0.1", addr)
	}
	base := "http://" + maddr.String()
	for path, want := range map[string]int{"/healthz": 200, "/readyz": 200} {
		if got, body := get(t, base+path); got != want {
			t.Errorf("GET %s = %d %q while serving; want %d", path, got, body, want)
		}
	}

	// A NOTIFY whose work stays in flight keeps the drain open.
	cl := dialAgent(t, addr.String())
	b, start := spopwire.StartFrame(nil, spopwire.FrameNotify, spopwire.FlagFin, 1, 1)
	b = spoptest.AppendMessages(b, spoptest.Msg("m"))
	spopwire.FinishFrame(b, start)
	if _, err := cl.c.Write(b); err != nil {
		t.Fatal(err)
	}
	select {
	case <-entered:
	case <-time.After(10 * time.Second):
		t.Fatal("the offloaded work never started")
	}
	signals <- syscall.SIGTERM
	deadline := time.Now().Add(10 * time.Second)
	for {
		code, _ := get(t, base+"/readyz")
		if code == http.StatusServiceUnavailable {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("/readyz still %d 10s after SIGTERM", code)
		}
		time.Sleep(10 * time.Millisecond)
	}
	if got, body := get(t, base+"/healthz"); got != 200 {
		t.Errorf("GET /healthz = %d %q during the drain; want 200", got, body)
	}
	select {
	case <-done:
		t.Fatalf("the agent exited (%d) with work in flight", code)
	default:
	}

	releaseAll()
	if f := cl.read(t); f.Type != spopwire.FrameAck {
		t.Errorf("held NOTIFY answered with %v; want its ACK", f.Type)
	}
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		t.Fatal("the agent did not exit after the drain")
	}
	if code != 0 {
		t.Errorf("exit %d; want 0\n%s", code, w.String())
	}
}

// get returns the status and body of GET url.
func get(t *testing.T, url string) (int, string) {
	t.Helper()
	c := http.Client{Timeout: 5 * time.Second}
	resp, err := c.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

type lockedWriter struct {
	mu *sync.Mutex
	b  *bytes.Buffer
}

func (l lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l lockedWriter) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}
