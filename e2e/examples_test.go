//go:build linux

package e2e

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/spopkit/spopkit/examples/blocklist"
	"github.com/spopkit/spopkit/examples/echo"
	"github.com/spopkit/spopkit/examples/iprep"
	"github.com/spopkit/spopkit/examples/ipscore"
	"github.com/spopkit/spopkit/examples/mirror"
	"github.com/spopkit/spopkit/server"
)

// TestExampleAgents runs every example agent of `spoa` behind HAProxy on the
// example's own configuration, and checks what it does end to end: the
// variables it sets reach the response, blocklist denies listed clients
// (IPv4, a CIDR and ::1, and one added by SIGHUP), mirror's target gets the
// request intact.
func TestExampleAgents(t *testing.T) {
	forEachHAProxy(t, func(t *testing.T, v *haproxyVersion) {
		t.Parallel()
		t.Run("iprep", func(t *testing.T) { testIPRep(t, v) })
		t.Run("ipscore", func(t *testing.T) { testIPScoreAgent(t, v) })
		t.Run("echo", func(t *testing.T) { testEcho(t, v) })
		t.Run("blocklist", func(t *testing.T) { testBlocklist(t, v) })
		t.Run("mirror", func(t *testing.T) { testMirror(t, v) })
	})
}

// agentFiles is an example's spoe.conf, as shipped.
func agentFiles(spoeConf string) map[string]string {
	return map[string]string{"spoe.conf": spoeConf}
}

// testIPRep: `spoa iprep --seed 42`; with a seed the score is a function of
// the address, so the test knows what X-IP-Score and the body must say.
func testIPRep(t *testing.T, v *haproxyVersion) {
	agent := startSpoa(t, "iprep", "--seed", "42")
	hp := shippedHAProxy(t, v, iprep.HAProxyCfg, agentFiles(iprep.SpoeConf), map[string]string{"agent1": agent.Addr})
	scorer := iprep.NewScorer(42)
	for _, fam := range families() {
		c := newClient(t, 1, 10*time.Second)
		for i := range 3 {
			r := fetch(t, c, http.MethodGet, hp.URL(fam, "/"), nil, nil)
			host, _, _ := net.SplitHostPort(r.Local)
			want := strconv.FormatInt(scorer.Score(netip.MustParseAddr(host)), 10)
			if r.Status != 200 || r.Header.Get("X-IP-Score") != want || r.Body != "ip_score="+want+"\n" || r.Header.Get("X-SPOE-Error") != "" {
				t.Errorf("IPv%s request %d from %s: status %d, X-IP-Score %q, body %q, X-SPOE-Error %q; want 200, %s, ip_score=%s",
					fam, i, host, r.Status, r.Header.Get("X-IP-Score"), r.Body, r.Header.Get("X-SPOE-Error"), want, want)
			}
		}
	}
	t.Logf("HAProxy %s, spoa iprep: %d requests over IPv%v, each with the seeded score in X-IP-Score and the body", v.Name, 3*len(families()), families())
}

// testIPScoreAgent: `spoa ipscore --delay 10ms`; every client but
// 192.168.50.1 scores 10.
func testIPScoreAgent(t *testing.T, v *haproxyVersion) {
	agent := startSpoa(t, "ipscore", "--delay", "10ms")
	hp := shippedHAProxy(t, v, ipscore.HAProxyCfg, agentFiles(ipscore.SpoeConf), map[string]string{"agent1": agent.Addr})
	c := newClient(t, 1, 10*time.Second)
	for _, fam := range families() {
		r := fetch(t, c, http.MethodGet, hp.URL(fam, "/"), nil, nil)
		if r.Status != 200 || r.Header.Get("X-IP-Score") != "10" || r.Body != "ip_score=10\n" {
			t.Errorf("IPv%s: status %d, X-IP-Score %q, body %q; want 200, 10, ip_score=10", fam, r.Status, r.Header.Get("X-IP-Score"), r.Body)
		}
	}
	t.Logf("HAProxy %s, spoa ipscore: %d requests over IPv%v scored 10 after the offloaded lookup", v.Name, len(families()), families())
}

// testEcho: `spoa echo` sends every argument back as a variable; the
// shipped backend prints them, so the body shows what HAProxy sent, typed:
// the method, the path, the client address and port, ssl_fc (a boolean) and
// the unnamed seventh argument (the query string).
func testEcho(t *testing.T, v *haproxyVersion) {
	agent := startSpoa(t, "echo")
	hp := shippedHAProxy(t, v, echo.HAProxyCfg, agentFiles(echo.SpoeConf), map[string]string{"agent1": agent.Addr})
	for _, fam := range families() {
		c := newClient(t, 1, 10*time.Second)
		for _, path := range []string{"/echo/a/b?x=1&y=two", "/x.html?q=%20sp"} {
			r := fetch(t, c, http.MethodGet, hp.URL(fam, path), nil, nil)
			host, port, _ := net.SplitHostPort(r.Local)
			p, q, _ := strings.Cut(path, "?")
			want := fmt.Sprintf("method=GET path=%s ip=%s port=%s ssl=0 arg6=%s\n", p, host, port, q)
			if r.Status != 200 || r.Body != want {
				t.Errorf("IPv%s GET %s: status %d, body %q; want 200, %q", fam, path, r.Status, r.Body, want)
			}
		}
	}
	t.Logf("HAProxy %s, spoa echo: %d requests over IPv%v, every argument back as a variable", v.Name, 2*len(families()), families())
}

// testBlocklist: `spoa blocklist --file F --poll 0`, F listing 127.0.0.2,
// 127.0.1.0/24 and ::1. Clients from listed addresses get 403 (HAProxy's
// deny on txn.blocklist.blocked), 127.0.0.1 gets through; an address added
// to the file is denied after SIGHUP.
func testBlocklist(t *testing.T, v *haproxyVersion) {
	list := filepath.Join(t.TempDir(), "blocklist.txt")
	writeFile(t, list, "# e2e\n127.0.0.2\n127.0.1.0/24\n::1\n")
	agent := startSpoa(t, "blocklist", "--file", list, "--poll", "0")
	hp := shippedHAProxy(t, v, blocklist.HAProxyCfg, agentFiles(blocklist.SpoeConf), map[string]string{"agent1": agent.Addr})

	expect := func(from string, want int) {
		t.Helper()
		url := hp.URL("4", "/")
		if netip.MustParseAddr(from).Is6() {
			url = hp.URL("6", "/")
		}
		r := fetch(t, clientFrom(t, from), http.MethodGet, url, nil, nil)
		if r.Status != want || want == 200 && r.Body != "welcome\n" {
			t.Errorf("from %s: status %d, body %q; want %d", from, r.Status, r.Body, want)
		}
	}
	expect("127.0.0.1", 200)
	expect("127.0.0.2", 403)
	expect("127.0.1.9", 403)
	expect("127.0.0.3", 200)
	if slices.Contains(families(), "6") {
		expect("::1", 403)
	}

	f, err := os.OpenFile(list, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	_, err = f.WriteString("127.0.0.3\n")
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	if err := agent.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	c := clientFrom(t, "127.0.0.3")
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		if fetch(t, c, http.MethodGet, hp.URL("4", "/"), nil, nil).Status == 403 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("127.0.0.3 still let through 10s after SIGHUP reloaded the list")
		}
	}
	expect("127.0.0.1", 200)
	expect("127.0.0.2", 403)
	t.Logf("HAProxy %s, spoa blocklist: 403 for 127.0.0.2, 127.0.1.9 (CIDR), ::1 and, after SIGHUP, 127.0.0.3; 200 for 127.0.0.1", v.Name)
}

// seenRequest is a request as the mirror target received it.
type seenRequest struct {
	Method, URI, Host string
	Header            http.Header
	Body              string
}

// testMirror: `spoa mirror -u URL` replays each request to a target that
// records it; the recorded request must be the client's: method, path and
// query, Host, headers, and a binary body byte for byte.
func testMirror(t *testing.T, v *haproxyVersion) {
	seen := make(chan seenRequest, 16)
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		seen <- seenRequest{r.Method, r.RequestURI, r.Host, r.Header.Clone(), string(b)}
	}))
	t.Cleanup(target.Close)
	agent := startSpoa(t, "mirror", "-u", target.URL)
	hp := shippedHAProxy(t, v, mirror.HAProxyCfg, agentFiles(mirror.SpoeConf), map[string]string{"agent1": agent.Addr})

	body := make([]byte, 3000)
	for i := range body {
		body[i] = byte(i * 7)
	}
	tests := []struct {
		method, path string
		body         string
	}{
		{http.MethodPost, "/upload/file.bin?name=a%20b&x=1", string(body)},
		{http.MethodGet, "/plain?q=1", ""},
		{http.MethodPut, "/empty", ""},
	}
	c := newClient(t, 1, 10*time.Second)
	for i, tt := range tests {
		trace := fmt.Sprintf("e2e-%d", i)
		hdr := http.Header{"X-Trace": {trace}, "X-Dup": {"a", "b"}}
		if tt.body != "" {
			hdr.Set("Content-Type", "application/octet-stream")
		}
		r := fetch(t, c, tt.method, hp.URL("4", tt.path), hdr, []byte(tt.body))
		if r.Status != 200 || r.Body != "served\n" {
			t.Fatalf("%s %s: status %d, body %q; want 200 served", tt.method, tt.path, r.Status, r.Body)
		}
		var got seenRequest
		select {
		case got = <-seen:
		case <-time.After(10 * time.Second):
			t.Fatalf("%s %s: the mirror target got nothing in 10s", tt.method, tt.path)
		}
		wantHost := hp.Addr4()
		if got.Method != tt.method || got.URI != tt.path || got.Host != wantHost || got.Body != tt.body ||
			got.Header.Get("X-Trace") != trace || !slices.Equal(got.Header.Values("X-Dup"), []string{"a", "b"}) ||
			tt.body != "" && got.Header.Get("Content-Type") != "application/octet-stream" {
			t.Errorf("%s %s: target got %s %s Host %q, %d-byte body (equal %v), headers %v; want %s %s Host %q, %d bytes, X-Trace %s",
				tt.method, tt.path, got.Method, got.URI, got.Host, len(got.Body), got.Body == tt.body, got.Header,
				tt.method, tt.path, wantHost, len(tt.body), trace)
		}
	}
	t.Logf("HAProxy %s, spoa mirror: %d requests replayed intact (method, URI, Host, headers, a %d-byte binary body)", v.Name, len(tests), len(body))
}

// byMessage routes each NOTIFY to the handler of its first message's name,
// and to fallback otherwise: two example agents served by one process.
type byMessage struct {
	routes   map[string]server.Handler
	fallback server.Handler
}

func (b byMessage) HandleNotify(req *server.Request, acts *server.Actions) error {
	it := req.Messages()
	if m, ok := it.Next(); ok {
		if h, ok := b.routes[string(m.Name)]; ok {
			return h.HandleNotify(req, acts)
		}
	}
	return b.fallback.HandleNotify(req, acts)
}

// TestSlowAgentBesideFastAgent: one agent process, one event loop, serves
// both iprep (answered on the loop) and ipscore (a blocking lookup,
// offloaded), each with its shipped spoe.conf behind one HAProxy frontend.
// While 16 ipscore lookups are held (they block until the test releases
// them), 200 iprep requests must all be answered, each within iprep's
// `timeout processing` of 500ms (HAProxy's own deadline: a late answer sets
// the error variable). Then the held lookups are released and their
// requests complete with their score. The iprep latency is logged.
func TestSlowAgentBesideFastAgent(t *testing.T) {
	forEachHAProxy(t, func(t *testing.T, v *haproxyVersion) {
		t.Parallel()
		for _, kind := range serverKinds() {
			t.Run(kind.Name, func(t *testing.T) { testSlowBesideFast(t, v, kind) })
		}
	})
}

func testSlowBesideFast(t *testing.T, v *haproxyVersion, kind agentKind) {
	const slow, fast = 16, 200
	var entered sync.WaitGroup
	entered.Add(slow)
	release := make(chan struct{})
	var once sync.Once
	open := func() { once.Do(func() { close(release) }) }
	t.Cleanup(open)
	lookup := func(ip netip.Addr) int64 {
		entered.Done()
		<-release
		return ipscore.Score(ip)
	}
	h := byMessage{
		routes:   map[string]server.Handler{"my-message-name": ipscore.NewLookupHandler(lookup)},
		fallback: iprep.NewHandler(42),
	}
	agent := kind.Start(t, agentOptions{Handler: h, Loops: 1, Workers: 64})

	// ipscore's message only for /slow, and HAProxy waits long enough.
	ipscoreConf := mustReplace(t, ipscore.SpoeConf, "event on-frontend-http-request", "event on-frontend-http-request if { path_beg /slow }")
	ipscoreConf = mustReplace(t, ipscoreConf, "timeout processing 3s", "timeout processing 60s")
	hp := launchHAProxy(t, v, false, func(port int, dir, socket string) map[string]string {
		cfg := fmt.Sprintf(`global
    log stderr format short local0 info
    stats socket %s mode 600 level admin
defaults
    mode http
    log global
    timeout connect 5s
    timeout client  90s
    timeout server  90s
frontend www
    bind 127.0.0.1:%d
%s    filter spoe engine iprep config iprep.conf
    filter spoe engine ipscore config ipscore.conf
    http-after-response set-header X-IP-Score %%[var(sess.iprep.ip_score)] if { var(sess.iprep.ip_score) -m found }
    http-after-response set-header X-SPOE-Error %%[var(txn.iprep.error)] if { var(txn.iprep.error) -m found }
    http-after-response set-header X-Slow-Score %%[var(sess.ipscore.ip_score)] if { var(sess.ipscore.ip_score) -m found }
    http-after-response set-header X-Slow-Error %%[var(txn.ipscore.error)] if { var(txn.ipscore.error) -m found }
    default_backend web
backend web
    http-request return status 200 content-type text/plain string "ok\n"
backend iprep-agents
    mode tcp
    server agent1 %s
backend ipscore-agents
    mode tcp
    server agent1 %s
`, socket, port, ipv6Bind(port), agent.Addr(), agent.Addr())
		return map[string]string{"haproxy.cfg": cfg, "iprep.conf": iprep.SpoeConf, "ipscore.conf": ipscoreConf}
	})

	type result struct {
		i   int
		r   Response
		err error
	}
	results := make(chan result, slow)
	slowClient := newClient(t, slow, 90*time.Second)
	for i := range slow {
		go func() {
			r, err := do(context.Background(), slowClient, http.MethodGet, hp.URL("4", fmt.Sprintf("/slow/%d", i)), nil, nil)
			results <- result{i, r, err}
		}()
	}
	held := make(chan struct{})
	go func() { entered.Wait(); close(held) }()
	select {
	case <-held:
	case <-time.After(15 * time.Second):
		t.Fatalf("the %d ipscore lookups did not all start within 15s", slow)
	}

	want := strconv.FormatInt(iprep.NewScorer(42).Score(netip.MustParseAddr("127.0.0.1")), 10)
	fastClient := clientFrom(t, "127.0.0.1") // no keep-alive: every request is a new session, so iprep is asked every time
	lat := make([]time.Duration, 0, fast)
	for i := range fast {
		start := time.Now()
		r := fetch(t, fastClient, http.MethodGet, hp.URL("4", "/fast"), nil, nil)
		lat = append(lat, time.Since(start))
		if r.Status != 200 || r.Header.Get("X-IP-Score") != want || r.Header.Get("X-SPOE-Error") != "" || r.Header.Get("X-Slow-Score") != "" {
			t.Fatalf("iprep request %d while %d lookups are held: status %d, X-IP-Score %q, X-SPOE-Error %q, X-Slow-Score %q; want 200, %s, none, none",
				i, slow, r.Status, r.Header.Get("X-IP-Score"), r.Header.Get("X-SPOE-Error"), r.Header.Get("X-Slow-Score"), want)
		}
	}
	select {
	case res := <-results:
		t.Fatalf("slow request %d completed while its lookup was held: status %d, headers %v", res.i, res.r.Status, res.r.Header)
	default:
	}
	slices.Sort(lat)
	t.Logf("HAProxy %s, %s engine, 1 loop: %d iprep requests (new connection each) while %d ipscore lookups were held: p50 %v, p99 %v, max %v",
		v.Name, kind.Name, fast, slow, lat[fast/2], lat[fast*99/100], lat[fast-1])

	open()
	for range slow {
		var res result
		select {
		case res = <-results:
		case <-time.After(30 * time.Second):
			t.Fatal("released slow requests did not complete within 30s")
		}
		if res.err != nil {
			t.Errorf("slow request %d: %v", res.i, res.err)
			continue
		}
		if res.r.Status != 200 || res.r.Header.Get("X-Slow-Score") != "10" || res.r.Header.Get("X-Slow-Error") != "" {
			t.Errorf("slow request %d: status %d, X-Slow-Score %q, X-Slow-Error %q; want 200, 10, none",
				res.i, res.r.Status, res.r.Header.Get("X-Slow-Score"), res.r.Header.Get("X-Slow-Error"))
		}
	}
}

// ipv6Bind is the frontend's [::1] bind line when the host has IPv6.
func ipv6Bind(port int) string {
	if !hasIPv6() {
		return ""
	}
	return fmt.Sprintf("    bind [::1]:%d\n", port)
}
