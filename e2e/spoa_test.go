//go:build linux

package e2e

import (
	"bufio"
	"encoding/json"
	"fmt"
	"maps"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// The example agents run as operators run them: the spoa binary built from
// ./cmd/spoa, with the example's own spoe.conf and haproxy.cfg (what `spoa
// config AGENT` prints) in front of it. Only the addresses in haproxy.cfg
// are rewritten (see shippedHAProxy).

// spoaDir holds the spoa binary built for this test run; TestMain removes it.
var spoaDir string

// buildSpoa builds ./cmd/spoa once per test binary.
var buildSpoa = sync.OnceValues(func() (string, error) {
	dir, err := os.MkdirTemp("", "e2e-spoa")
	if err != nil {
		return "", err
	}
	spoaDir = dir
	goBin, err := exec.LookPath("go")
	if err != nil {
		goBin = filepath.Join(runtime.GOROOT(), "bin", "go")
	}
	bin := filepath.Join(dir, "spoa")
	out, err := exec.Command(goBin, "build", "-o", bin, "github.com/spopkit/spopkit/cmd/spoa").CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("go build ./cmd/spoa: %v\n%s", err, out)
	}
	return bin, nil
})

// spoaProcess is a running agent process with the spoa command line: `spoa
// AGENT`, or an agent binary of its own such as blocklist-redis.
type spoaProcess struct {
	t      testing.TB
	cmd    *exec.Cmd
	Addr   string // host:port it listens on
	stderr syncWriter
	exited chan struct{}
	err    error
	killed atomic.Bool
	// metricsURL receives the /metrics URL once logged (--metrics-addr).
	metricsURL chan string
}

// startSpoa runs `spoa --log-format json -a 127.0.0.1 -p 0 args...` and
// waits for its "agent ready" log line, which names the port it got. The
// process is stopped gracefully (SIGTERM) in t.Cleanup, and must exit 0.
func startSpoa(t testing.TB, args ...string) *spoaProcess {
	t.Helper()
	bin, err := buildSpoa()
	if err != nil {
		t.Fatal(err)
	}
	return startAgentBinary(t, bin, args...)
}

// startAgentBinary is startSpoa for any binary with the spoa command line.
func startAgentBinary(t testing.TB, bin string, args ...string) *spoaProcess {
	t.Helper()
	p := &spoaProcess{t: t, exited: make(chan struct{}), metricsURL: make(chan string, 1)}
	all := append([]string{"--log-format", "json", "-a", "127.0.0.1", "-p", "0"}, args...)
	p.cmd = exec.Command(bin, all...)
	p.cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	stderr, err := p.cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	name := filepath.Base(bin) + " " + strings.Join(args, " ")
	ready := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			line := sc.Text()
			p.stderr.Write([]byte(line + "\n"))
			var rec struct{ Msg, Addr, URL string }
			if json.Unmarshal([]byte(line), &rec) != nil {
				continue
			}
			switch rec.Msg {
			case "agent ready":
				select {
				case ready <- strings.TrimPrefix(rec.Addr, "tcp:"):
				default:
				}
			case "metrics":
				select {
				case p.metricsURL <- rec.URL:
				default:
				}
			}
		}
		p.err = p.cmd.Wait()
		close(p.exited)
	}()
	t.Cleanup(func() {
		if err := p.Stop(); err != nil {
			t.Errorf("%s: %v", name, err)
		}
		if t.Failed() || os.Getenv("E2E_KEEP_LOGS") == "1" {
			t.Logf("%s log:\n%s", name, tail(p.Log(), 32<<10))
		}
	})
	select {
	case p.Addr = <-ready:
	case <-p.exited:
		t.Fatalf("%s exited at startup (%v):\n%s", name, p.err, p.Log())
	case <-time.After(10 * time.Second):
		t.Fatalf("%s not ready after 10s:\n%s", name, p.Log())
	}
	return p
}

// MetricsURL is the agent's /metrics URL (it must run with --metrics-addr).
func (p *spoaProcess) MetricsURL() string {
	p.t.Helper()
	select {
	case u := <-p.metricsURL:
		p.metricsURL <- u
		return u
	case <-time.After(10 * time.Second):
		p.t.Fatalf("the agent logged no metrics URL in 10s:\n%s", p.Log())
		return ""
	}
}

// Kill SIGKILLs the agent and waits for it to exit; Stop then reports
// nothing.
func (p *spoaProcess) Kill() {
	p.killed.Store(true)
	_ = p.cmd.Process.Kill()
	<-p.exited
}

// Log is what the agent logged so far.
func (p *spoaProcess) Log() string {
	p.stderr.mu.Lock()
	defer p.stderr.mu.Unlock()
	return p.stderr.b.String()
}

// Signal sends sig to the agent.
func (p *spoaProcess) Signal(sig syscall.Signal) error { return p.cmd.Process.Signal(sig) }

// Stop sends SIGTERM and waits up to 15 s for a clean exit (status 0).
func (p *spoaProcess) Stop() error {
	select {
	case <-p.exited:
		if p.killed.Load() {
			return nil
		}
		return p.err
	default:
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.exited:
		return p.err
	case <-time.After(15 * time.Second):
		_ = p.cmd.Process.Kill()
		<-p.exited
		return fmt.Errorf("did not exit within 15s of SIGTERM")
	}
}

// shippedHAProxy starts HAProxy v on an example's haproxy.cfg, with files
// (spoe.conf...) beside it. The config is used as shipped but for three
// rewrites, each of which must apply: the frontend binds a free port on
// 127.0.0.1 and [::1] instead of 127.0.0.1:8080, every agent server line
// points at agents[name] instead of 127.0.0.1:12345, and global opens the
// stats socket the harness uses.
func shippedHAProxy(t testing.TB, v *haproxyVersion, cfg string, files map[string]string, agents map[string]string) *HAProxy {
	t.Helper()
	return launchHAProxy(t, v, false, func(port int, dir, socket string) map[string]string {
		binds := fmt.Sprintf("bind 127.0.0.1:%d\n%s", port, ipv6Bind(port))
		c := mustReplace(t, cfg, "    bind 127.0.0.1:8080\n", "    "+binds)
		for server, addr := range agents {
			c = mustReplace(t, c, "server "+server+" 127.0.0.1:12345", "server "+server+" "+addr)
		}
		if strings.Contains(c, "127.0.0.1:12345") {
			t.Fatalf("haproxy.cfg has an agent server the test did not point anywhere:\n%s", c)
		}
		c = mustReplace(t, "\n"+c, "\nglobal\n", "\nglobal\n    stats socket "+socket+" mode 600 level admin\n")
		out := map[string]string{"haproxy.cfg": c}
		maps.Copy(out, files)
		return out
	})
}

// mustReplace replaces every old in s with new, and fails the test when
// there is none: the shipped config changed and the test must follow.
func mustReplace(t testing.TB, s, old, new string) string {
	t.Helper()
	if !strings.Contains(s, old) {
		t.Fatalf("config has no %q:\n%s", old, s)
	}
	return strings.ReplaceAll(s, old, new)
}

// clientFrom is newClient with every connection made from the local address
// ip (any 127.0.0.0/8 address is loopback on Linux), without keep-alive.
func clientFrom(t testing.TB, ip string) *http.Client {
	t.Helper()
	d := &net.Dialer{Timeout: 2 * time.Second, LocalAddr: &net.TCPAddr{IP: net.ParseIP(ip)}}
	tr := &http.Transport{Proxy: nil, DialContext: d.DialContext, DisableKeepAlives: true}
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: tr, Timeout: 10 * time.Second}
}
