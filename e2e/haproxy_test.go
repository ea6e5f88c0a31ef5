//go:build linux

package e2e

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// haproxyVersion is one HAProxy branch the tests run against.
type haproxyVersion struct {
	Name   string // "2.6", "3.2"
	EnvVar string // where the binary's path may be given
	// SPOPMode: the agent backend is `mode spop` (3.1+); older versions use
	// `mode tcp`.
	SPOPMode bool
	// Fragments: HAProxy sends fragmented NOTIFYs to agents that announce the
	// capability (2.x only; 3.1+ never fragments, see
	// ../shared/haproxy-behaviour.md §4).
	Fragments bool

	once    sync.Once
	bin     string
	version string // first line of -v
	missing string // why there is no binary
}

var haproxyVersions = []*haproxyVersion{
	{Name: "2.6", EnvVar: "HAPROXY26_BIN", Fragments: true},
	{Name: "3.2", EnvVar: "HAPROXY32_BIN", SPOPMode: true},
}

func inCI() bool { return os.Getenv("CI") == "true" }

// defaultBin is where a binary is looked for when its variable is unset.
func (v *haproxyVersion) defaultBin() string {
	switch v.Name {
	case "2.6":
		return "/usr/sbin/haproxy"
	case "3.2":
		root := os.Getenv("SPOPKIT_CACHE")
		if root == "" {
			cache := os.Getenv("XDG_CACHE_HOME")
			if cache == "" {
				home, _ := os.UserHomeDir()
				cache = filepath.Join(home, ".cache")
			}
			root = filepath.Join(cache, "spopkit")
		}
		return filepath.Join(root, "haproxy-3.2", "bin", "haproxy")
	}
	return ""
}

func (v *haproxyVersion) resolve() {
	v.once.Do(func() {
		bin, fromEnv := os.Getenv(v.EnvVar), true
		if bin == "" {
			bin, fromEnv = v.defaultBin(), false
		}
		out, err := exec.Command(bin, "-v").CombinedOutput()
		first, _, _ := strings.Cut(string(out), "\n")
		switch {
		case err != nil:
			v.missing = fmt.Sprintf("%s -v: %v", bin, err)
		case !strings.Contains(first, "version "+v.Name+"."):
			v.missing = fmt.Sprintf("%s is not HAProxy %s: %q", bin, v.Name, first)
		default:
			v.bin, v.version = bin, first
			return
		}
		if !fromEnv {
			v.missing += fmt.Sprintf(" (set %s or run scripts/install-test-deps)", v.EnvVar)
		}
	})
}

// require returns the binary, or ends the test: a failure under CI=true, a
// visible skip otherwise.
func (v *haproxyVersion) require(t testing.TB) string {
	t.Helper()
	v.resolve()
	if v.bin == "" {
		if inCI() {
			t.Fatalf("HAProxy %s is required under CI=true: %s", v.Name, v.missing)
		}
		t.Skipf("HAProxy %s not available: %s", v.Name, v.missing)
	}
	return v.bin
}

// forEachHAProxy runs f as a subtest per HAProxy version ("haproxy-2.6", ...).
// The subtests run in parallel with each other, not with other tests.
func forEachHAProxy(t *testing.T, f func(t *testing.T, v *haproxyVersion)) {
	t.Helper()
	for _, v := range haproxyVersions {
		t.Run("haproxy-"+v.Name, func(t *testing.T) {
			v.require(t)
			f(t, v)
		})
	}
}

// freePort returns a TCP port that is free on 127.0.0.1 and, when the host
// has IPv6 loopback, on [::1] as well (the frontends bind both).
func freePort(t testing.TB) int {
	t.Helper()
	for range 50 {
		l4, err := net.Listen("tcp4", "127.0.0.1:0")
		if err != nil {
			t.Fatalf("listen: %v", err)
		}
		port := l4.Addr().(*net.TCPAddr).Port
		l6, err := net.Listen("tcp6", fmt.Sprintf("[::1]:%d", port))
		l4.Close()
		if err == nil {
			l6.Close()
			return port
		}
		if !hasIPv6() {
			return port
		}
	}
	t.Fatal("no port free on both 127.0.0.1 and [::1]")
	return 0
}

var ipv6Once = sync.OnceValue(func() bool {
	l, err := net.Listen("tcp6", "[::1]:0")
	if err != nil {
		return false
	}
	l.Close()
	return true
})

func hasIPv6() bool { return ipv6Once() }

// Setup describes one HAProxy in front of one agent and one HTTP backend.
type Setup struct {
	AgentAddr   string // host:port of the SPOE agent
	BackendAddr string // host:port of the HTTP backend

	// Engine is the SPOE engine name and var-prefix ("e2e" by default).
	Engine string
	// Messages is the spoe-message sections; MessageNames the names the
	// spoe-agent lists. Default: message "check-client-ip" with `args ip=src`
	// on on-frontend-http-request.
	Messages     string
	MessageNames []string
	// AgentLines are extra lines of the spoe-agent section
	// (`max-frame-size 256`, `option async`...).
	AgentLines []string
	// FrontendLines are extra lines of the frontend, before the filter
	// (`option http-buffer-request`...). ResponseHeaders adds
	// `http-response set-header NAME VALUE` lines after it; by default
	// X-Ip-Score from sess.<engine>.ip_score, X-Spoe-Error from
	// txn.<engine>.error, X-Spoe-Ptime from txn.<engine>.ptime.
	FrontendLines   []string
	ResponseHeaders [][2]string
	// Check enables `option spop-check` on the agent server (inter 500ms).
	Check bool
	// ServerOptions are appended to the agent's server line (`max-reuse 50`).
	ServerOptions string
	// ProcessingTimeout is the SPOE `timeout processing` (default 2s).
	ProcessingTimeout time.Duration
	// IdleTimeout is the SPOE `timeout idle` (default 30s).
	IdleTimeout time.Duration
	// LogLevel of HAProxy's log to stderr: "info" logs every request and
	// every SPOE event, "warning" (for load tests) only errors. Default info.
	LogLevel string
	// Nbthread (default 1).
	Nbthread int
	// MasterWorker starts HAProxy with -W (reloads by SIGUSR2).
	MasterWorker bool
}

// HAProxy is a running HAProxy process owned by one test.
type HAProxy struct {
	t       testing.TB
	Version *haproxyVersion
	Setup   Setup
	Port    int    // frontend port, on 127.0.0.1 and [::1]
	Dir     string // config, logs
	Socket  string // stats socket (admin level; the current worker's with -W)
	cfgPath string
	logPath string

	cmd    *exec.Cmd
	exited chan struct{}
	err    error // Wait's result, valid after exited is closed
}

func (s *Setup) defaults() {
	if s.Engine == "" {
		s.Engine = "e2e"
	}
	if s.Messages == "" {
		s.Messages = "spoe-message check-client-ip\n    args ip=src\n    event on-frontend-http-request\n"
		s.MessageNames = []string{"check-client-ip"}
	}
	if s.ProcessingTimeout == 0 {
		s.ProcessingTimeout = 2 * time.Second
	}
	if s.IdleTimeout == 0 {
		s.IdleTimeout = 30 * time.Second
	}
	if s.LogLevel == "" {
		s.LogLevel = "info"
	}
	if s.Nbthread == 0 {
		s.Nbthread = 1
	}
	if s.ResponseHeaders == nil {
		s.ResponseHeaders = [][2]string{
			{"X-Ip-Score", "%[var(sess." + s.Engine + ".ip_score)]"},
			{"X-Spoe-Error", "%[var(txn." + s.Engine + ".error)]"},
			{"X-Spoe-Ptime", "%[var(txn." + s.Engine + ".ptime)]"},
		}
	}
}

// configs renders haproxy.cfg and the spoe.conf for version v.
func (s Setup) configs(v *haproxyVersion, port int, dir, socket string) (cfg, spoe string) {
	var b strings.Builder
	p := func(format string, args ...any) { fmt.Fprintf(&b, format+"\n", args...) }
	p("global")
	p("    nbthread %d", s.Nbthread)
	p("    log stderr format short local0 %s", s.LogLevel)
	p("    stats socket %s mode 600 level admin", socket)
	p("    maxconn 4096")
	p("")
	p("defaults")
	p("    mode http")
	p("    log global")
	p("    option httplog")
	p("    timeout connect 2s")
	p("    timeout client 30s")
	p("    timeout server 30s")
	p("")
	p("frontend fe")
	p("    bind 127.0.0.1:%d", port)
	if hasIPv6() {
		p("    bind [::1]:%d", port)
	}
	for _, l := range s.FrontendLines {
		p("    %s", l)
	}
	p("    filter spoe engine %s config %s", s.Engine, filepath.Join(dir, "spoe.conf"))
	for _, h := range s.ResponseHeaders {
		p("    http-response set-header %s %s", h[0], h[1])
	}
	p("    default_backend web")
	p("")
	p("backend web")
	p("    server web1 %s", s.BackendAddr)
	p("")
	p("backend spoe-agents")
	if v.SPOPMode {
		p("    mode spop")
	} else {
		p("    mode tcp")
	}
	if s.Check {
		p("    option spop-check")
	}
	p("    timeout connect 2s")
	p("    timeout server 30s")
	check := ""
	if s.Check {
		check = " check inter 500ms fall 2 rise 1"
	}
	p("    server agent1 %s%s%s", s.AgentAddr, check, optionsSuffix(s.ServerOptions))
	cfg = b.String()

	b.Reset()
	p("[%s]", s.Engine)
	p("spoe-agent %s-agent", s.Engine)
	p("    messages %s", strings.Join(s.MessageNames, " "))
	p("    option var-prefix %s", s.Engine)
	p("    option set-on-error error")
	p("    option set-process-time ptime")
	p("    timeout hello 2s")
	p("    timeout idle %dms", s.IdleTimeout.Milliseconds())
	p("    timeout processing %dms", s.ProcessingTimeout.Milliseconds())
	for _, l := range s.AgentLines {
		p("    %s", l)
	}
	p("    use-backend spoe-agents")
	p("    log global")
	p("")
	b.WriteString(s.Messages)
	return cfg, b.String()
}

// socketDir returns a short temporary directory for UNIX sockets (their
// paths are limited to 107 bytes; t.TempDir paths of subtests are long).
func socketDir(t testing.TB) string {
	t.Helper()
	d, err := os.MkdirTemp("", "e2e")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(d) })
	return d
}

// startHAProxy writes the configs, checks them with -c, starts HAProxy in
// the foreground (-db, plus -W when s.MasterWorker) and waits until its
// frontend accepts connections. The process is stopped in t.Cleanup.
func startHAProxy(t testing.TB, v *haproxyVersion, s Setup) *HAProxy {
	t.Helper()
	s.defaults()
	h := launchHAProxy(t, v, s.MasterWorker, func(port int, dir, socket string) map[string]string {
		cfg, spoe := s.configs(v, port, dir, socket)
		return map[string]string{"haproxy.cfg": cfg, "spoe.conf": spoe}
	})
	h.Setup = s
	return h
}

// launchHAProxy picks the frontend port and the stats socket, writes the
// files render returns for them into a fresh directory (haproxy.cfg among
// them; HAProxy runs there, so relative paths such as `config spoe.conf`
// resolve), checks the config with -c and starts HAProxy as startHAProxy
// does. The config must bind the port on 127.0.0.1 (and [::1] when the host
// has IPv6) and open the stats socket at admin level.
func launchHAProxy(t testing.TB, v *haproxyVersion, masterWorker bool, render func(port int, dir, socket string) map[string]string) *HAProxy {
	t.Helper()
	// The port is free when picked but not reserved: a parallel test may
	// take it before HAProxy binds it. That start is retried on a new port.
	for attempt := 1; ; attempt++ {
		h := startHAProxyOnce(t, v, masterWorker, render)
		err := h.waitReady()
		if err == nil {
			return h
		}
		if attempt < 3 && strings.Contains(h.Log(), "Address already in use") {
			t.Logf("HAProxy %s: port %d taken before it bound it; retrying on another", v.Name, h.Port)
			continue
		}
		t.Fatal(err)
	}
}

// startHAProxyOnce is one attempt of launchHAProxy, up to the start of the
// process.
func startHAProxyOnce(t testing.TB, v *haproxyVersion, masterWorker bool, render func(port int, dir, socket string) map[string]string) *HAProxy {
	t.Helper()
	bin := v.require(t)
	h := &HAProxy{t: t, Version: v, Dir: t.TempDir(), exited: make(chan struct{})}
	h.Port = freePort(t)
	sd := socketDir(t)
	h.Socket = filepath.Join(sd, "stats.sock")
	files := render(h.Port, h.Dir, h.Socket)
	for name, content := range files {
		writeFile(t, filepath.Join(h.Dir, name), content)
	}
	h.cfgPath = filepath.Join(h.Dir, "haproxy.cfg")
	h.logPath = filepath.Join(h.Dir, "haproxy.log")

	check := exec.Command(bin, "-c", "-f", h.cfgPath)
	check.Dir = h.Dir
	if out, err := check.CombinedOutput(); err != nil {
		var all strings.Builder
		for name, content := range files {
			fmt.Fprintf(&all, "--- %s\n%s", name, content)
		}
		t.Fatalf("HAProxy %s rejects the config: %v\n%s\n%s", v.Name, err, out, all.String())
	}

	args := []string{"-db", "-f", h.cfgPath}
	if masterWorker {
		args = append([]string{"-W"}, args...)
	}
	logf, err := os.Create(h.logPath)
	if err != nil {
		t.Fatal(err)
	}
	h.cmd = exec.Command(bin, args...)
	h.cmd.Dir = h.Dir
	h.cmd.Stdout, h.cmd.Stderr = logf, logf
	// Own process group: the SIGKILL fallback reaches -W workers too.
	// Pdeathsig: HAProxy dies with the test binary if it is killed.
	h.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := h.cmd.Start(); err != nil {
		logf.Close()
		t.Fatalf("start %s: %v", bin, err)
	}
	go func() {
		h.err = h.cmd.Wait()
		logf.Close()
		close(h.exited)
	}()
	t.Cleanup(func() {
		h.Stop()
		if t.Failed() || os.Getenv("E2E_KEEP_LOGS") == "1" {
			t.Logf("HAProxy %s log (%s):\n%s", v.Name, h.logPath, tail(h.Log(), 64<<10))
		}
	})
	return h
}

func writeFile(t testing.TB, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func tail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return "[...]\n" + s[len(s)-n:]
}

// PID is the process started by the test (the master with -W).
func (h *HAProxy) PID() int { return h.cmd.Process.Pid }

// Log returns everything HAProxy wrote to stdout and stderr so far.
func (h *HAProxy) Log() string {
	b, _ := os.ReadFile(h.logPath)
	return string(b)
}

// waitReady waits until the frontend accepts connections on every bind and
// the stats socket answers.
func (h *HAProxy) waitReady() error {
	deadline := time.Now().Add(10 * time.Second)
	addrs := []string{h.Addr4()}
	if hasIPv6() {
		addrs = append(addrs, h.Addr6())
	}
	for _, a := range addrs {
		for {
			select {
			case <-h.exited:
				return fmt.Errorf("HAProxy %s exited during startup (%v):\n%s", h.Version.Name, h.err, h.Log())
			default:
			}
			c, err := net.DialTimeout("tcp", a, 200*time.Millisecond)
			if err == nil {
				c.Close()
				break
			}
			if time.Now().After(deadline) {
				return fmt.Errorf("HAProxy %s not listening on %s after 10s: %v\n%s", h.Version.Name, a, err, h.Log())
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	for {
		if _, err := h.Command("show info"); err == nil {
			return nil
		} else if time.Now().After(deadline) {
			return fmt.Errorf("HAProxy %s stats socket: %v", h.Version.Name, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Addr4 and Addr6 are the frontend's host:port on each loopback.
func (h *HAProxy) Addr4() string { return fmt.Sprintf("127.0.0.1:%d", h.Port) }
func (h *HAProxy) Addr6() string { return fmt.Sprintf("[::1]:%d", h.Port) }

// URL returns the frontend URL for path on IPv4 ("4") or IPv6 ("6").
func (h *HAProxy) URL(family, path string) string {
	if family == "6" {
		return "http://" + h.Addr6() + path
	}
	return "http://" + h.Addr4() + path
}

// Stop stops HAProxy: SIGTERM (hard stop), then after 5 s SIGKILL to its
// process group. Safe to call more than once.
func (h *HAProxy) Stop() {
	select {
	case <-h.exited:
		return
	default:
	}
	_ = h.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-h.exited:
	case <-time.After(5 * time.Second):
		h.t.Logf("HAProxy %s (pid %d) ignored SIGTERM for 5s: SIGKILL", h.Version.Name, h.PID())
		_ = syscall.Kill(-h.PID(), syscall.SIGKILL)
		<-h.exited
	}
	// -W: workers exit with the master; make sure none is left behind.
	_ = syscall.Kill(-h.PID(), syscall.SIGKILL)
}

// Signal sends sig to the process the test started (the master with -W).
func (h *HAProxy) Signal(sig syscall.Signal) error { return h.cmd.Process.Signal(sig) }

// Exited is closed when the process has exited.
func (h *HAProxy) Exited() <-chan struct{} { return h.exited }

// Command runs one command on the stats socket and returns its output.
func (h *HAProxy) Command(cmd string) (string, error) { return socketCommand(h.Socket, cmd) }

func socketCommand(path, cmd string) (string, error) {
	c, err := net.DialTimeout("unix", path, time.Second)
	if err != nil {
		return "", err
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := c.Write([]byte(cmd + "\n")); err != nil {
		return "", err
	}
	var b bytes.Buffer
	if _, err := b.ReadFrom(c); err != nil && !errors.Is(err, net.ErrClosed) {
		return b.String(), err
	}
	return b.String(), nil
}

// ServerStat is one server line of `show stat`.
type ServerStat map[string]string

// Stat returns the `show stat` line of proxy/server ("BACKEND" and
// "FRONTEND" are the aggregate lines).
func (h *HAProxy) Stat(proxy, server string) (ServerStat, error) {
	out, err := h.Command("show stat")
	if err != nil {
		return nil, err
	}
	sc := bufio.NewScanner(strings.NewReader(out))
	var cols []string
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "# ") {
			cols = strings.Split(strings.TrimPrefix(line, "# "), ",")
			continue
		}
		f := strings.Split(line, ",")
		if len(f) < 2 || f[0] != proxy || f[1] != server {
			continue
		}
		st := ServerStat{}
		for i, c := range cols {
			if i < len(f) {
				st[c] = f[i]
			}
		}
		return st, nil
	}
	return nil, fmt.Errorf("no %s/%s in show stat:\n%s", proxy, server, out)
}

// ServerState returns the `show servers state BACKEND` fields of server,
// by column name (srv_op_state: 2 = running; srv_check_result ...).
func (h *HAProxy) ServerState(backend, server string) (map[string]string, error) {
	out, err := h.Command("show servers state " + backend)
	if err != nil {
		return nil, err
	}
	var cols []string
	for _, line := range strings.Split(out, "\n") {
		if strings.HasPrefix(line, "# be_id") {
			cols = strings.Fields(strings.TrimPrefix(line, "# "))
			continue
		}
		f := strings.Fields(line)
		if len(f) < 4 || f[1] != backend || f[3] != server {
			continue
		}
		st := map[string]string{}
		for i, c := range cols {
			if i < len(f) {
				st[c] = f[i]
			}
		}
		return st, nil
	}
	return nil, fmt.Errorf("no %s/%s in show servers state:\n%s", backend, server, out)
}

// WaitServerStatus waits until `show stat` reports status (e.g. "UP",
// "DOWN") for proxy/server, and returns the last line seen.
func (h *HAProxy) WaitServerStatus(proxy, server, status string, timeout time.Duration) (ServerStat, error) {
	deadline := time.Now().Add(timeout)
	var st ServerStat
	var err error
	for {
		st, err = h.Stat(proxy, server)
		if err == nil && st["status"] == status {
			return st, nil
		}
		if time.Now().After(deadline) {
			if err != nil {
				return st, err
			}
			return st, fmt.Errorf("%s/%s status %q (check %q %q) after %v, want %q",
				proxy, server, st["status"], st["check_status"], st["check_desc"], timeout, status)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Reload asks the master (-W) to reload (SIGUSR2) and waits until the
// master logs one more "Loading success." than before (2.6 and 3.2 both log
// it once per successful (re)load).
func (h *HAProxy) Reload(ctx context.Context) error {
	if !h.Setup.MasterWorker {
		return errors.New("reload needs MasterWorker")
	}
	before := strings.Count(h.Log(), "Loading success.")
	if err := h.Signal(syscall.SIGUSR2); err != nil {
		return err
	}
	for {
		if strings.Count(h.Log(), "Loading success.") > before {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("no new \"Loading success.\" after SIGUSR2: %w", ctx.Err())
		case <-h.exited:
			return fmt.Errorf("HAProxy exited during the reload: %v", h.err)
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// WorkerPIDs returns the PIDs of HAProxy's processes other than the master
// (-W), read from /proc: the current worker and any old ones still leaving.
func (h *HAProxy) WorkerPIDs() []int {
	ents, _ := os.ReadDir("/proc")
	var pids []int
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile("/proc/" + e.Name() + "/stat")
		if err != nil {
			continue
		}
		// pid (comm) state ppid ...
		s := string(b)
		i := strings.LastIndexByte(s, ')')
		if i < 0 {
			continue
		}
		f := strings.Fields(s[i+1:])
		if len(f) > 1 && f[1] == strconv.Itoa(h.PID()) {
			pids = append(pids, pid)
		}
	}
	return pids
}

// WaitCheck waits until proxy/server has status and its last check result
// is checkStatus (e.g. "UP" and "L7OK": a real layer-7 check passed, not the
// initial state).
func (h *HAProxy) WaitCheck(proxy, server, status, checkStatus string, timeout time.Duration) (ServerStat, error) {
	deadline := time.Now().Add(timeout)
	for {
		st, err := h.WaitServerStatus(proxy, server, status, time.Until(deadline))
		if err != nil {
			return st, err
		}
		if st["check_status"] == checkStatus {
			return st, nil
		}
		if time.Now().After(deadline) {
			return st, fmt.Errorf("%s/%s check_status %q (%q) after %v, want %q", proxy, server, st["check_status"], st["check_desc"], timeout, checkStatus)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func optionsSuffix(opts string) string {
	if opts == "" {
		return ""
	}
	return " " + opts
}
