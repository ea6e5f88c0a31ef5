//go:build linux

package e2e

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/spopkit/spopkit/server"
	"github.com/spopkit/spopkit/spopwire"
)

// A child agent is this test binary re-executed with E2E_CHILD_AGENT=<engine>:
// a separate process that tests can SIGKILL, restart on the same port
// (SO_REUSEPORT) and watch (RSS, fds, goroutines).
//
// Protocol on its stdout: "READY <addr>" once listening, then every
// E2E_CHILD_STATS_MS milliseconds (if set) "STAT rss=<kB> fds=<n>
// goroutines=<n> conns=<n> notifies=<n> errors=<n>". SIGTERM shuts it down
// gracefully (server.Shutdown, 10 s) and it prints "STOPPED <error>".
//
// E2E_CHILD_PASSIVE_DRAIN=1 sets server.Config.PassiveDrain;
// E2E_CHILD_LOCKSTEP=1 offers no capability (no pipelining).
//
// The handler sets sess.<prefix>.ip_score = E2E_CHILD_SCORE and
// txn.<prefix>.agent_pid = its PID.

func runChildAgent() int {
	engine := os.Getenv("E2E_CHILD_AGENT")
	addr := os.Getenv("E2E_CHILD_ADDR")
	score, _ := strconv.ParseInt(os.Getenv("E2E_CHILD_SCORE"), 10, 64)
	pid := int64(os.Getpid())
	h := server.HandlerFunc(func(req *server.Request, acts *server.Actions) error {
		acts.SetVar(spopwire.ScopeSession, "ip_score", spopwire.Int64Value(score))
		acts.SetVar(spopwire.ScopeTransaction, "agent_pid", spopwire.Int64Value(pid))
		return nil
	})
	passive := os.Getenv("E2E_CHILD_PASSIVE_DRAIN") != ""
	var caps spopwire.Capabilities // the default: pipelining
	if os.Getenv("E2E_CHILD_LOCKSTEP") != "" {
		caps = server.CapabilitiesNone
	}
	srv, err := server.New(server.Config{Network: "tcp4", Address: addr, Engine: engine, Loops: 2, PassiveDrain: passive, Capabilities: caps}, h)
	if err != nil {
		fmt.Println("FAILED", err)
		return 1
	}
	if err := srv.Start(); err != nil {
		fmt.Println("FAILED", err)
		return 1
	}
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGTERM, syscall.SIGINT)
	var out sync.Mutex
	fmt.Println("READY", srv.Addr().String())
	if ms, _ := strconv.Atoi(os.Getenv("E2E_CHILD_STATS_MS")); ms > 0 {
		go func() {
			for range time.Tick(time.Duration(ms) * time.Millisecond) {
				st := srv.Stats()
				var errs uint64
				for _, n := range st.HandlerErrors {
					errs += n
				}
				out.Lock()
				fmt.Printf("STAT rss=%d fds=%d goroutines=%d conns=%d notifies=%d errors=%d\n",
					selfRSSkB(), selfFDs(), runtime.NumGoroutine(), st.ConnsCurrent, st.Notifies, errs)
				out.Unlock()
			}
		}()
	}
	<-sigs
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	err = srv.Shutdown(ctx)
	out.Lock()
	fmt.Println("STOPPED", err)
	out.Unlock()
	if err != nil {
		return 1
	}
	return 0
}

func selfRSSkB() int {
	b, _ := os.ReadFile("/proc/self/status")
	for _, l := range strings.Split(string(b), "\n") {
		if f := strings.Fields(l); len(f) >= 2 && f[0] == "VmRSS:" {
			n, _ := strconv.Atoi(f[1])
			return n
		}
	}
	return -1
}

func selfFDs() int {
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		return -1
	}
	return len(ents)
}

// childAgent is a running child agent process.
type childAgent struct {
	t      testing.TB
	cmd    *exec.Cmd
	Addr   string
	Lines  chan string // STAT and STOPPED lines
	exited chan struct{}
	err    error
	stderr syncWriter
}

func (c *childAgent) Stderr() string {
	c.stderr.mu.Lock()
	defer c.stderr.mu.Unlock()
	return c.stderr.b.String()
}

// startChildAgent starts a child agent on addr ("127.0.0.1:0" for a free
// port) and waits for READY. It is SIGKILLed in t.Cleanup if still running.
func startChildAgent(t testing.TB, engine, addr string, score int64, statsEvery time.Duration, env ...string) *childAgent {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	c := &childAgent{t: t, Lines: make(chan string, 4096), exited: make(chan struct{})}
	c.cmd = exec.Command(exe, "-test.run=^$")
	c.cmd.Env = append(os.Environ(),
		"E2E_CHILD_AGENT="+engine, "E2E_CHILD_ADDR="+addr,
		"E2E_CHILD_SCORE="+strconv.FormatInt(score, 10),
		"E2E_CHILD_STATS_MS="+strconv.FormatInt(statsEvery.Milliseconds(), 10))
	c.cmd.Env = append(c.cmd.Env, env...)
	c.cmd.Stderr = &c.stderr
	c.cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	stdout, err := c.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := c.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	ready := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		first := true
		for sc.Scan() {
			line := sc.Text()
			if first {
				ready <- line
				first = false
				continue
			}
			select {
			case c.Lines <- line:
			default: // nobody reads: drop
			}
		}
		if first {
			ready <- ""
		}
		c.err = c.cmd.Wait()
		close(c.exited)
	}()
	t.Cleanup(c.Kill)
	select {
	case line := <-ready:
		a, ok := strings.CutPrefix(line, "READY ")
		if !ok {
			t.Fatalf("child agent (%s on %s): %q; stderr:\n%s", engine, addr, line, c.Stderr())
		}
		c.Addr = a
	case <-time.After(10 * time.Second):
		t.Fatalf("child agent (%s on %s) not ready after 10s", engine, addr)
	}
	return c
}

func (c *childAgent) PID() int { return c.cmd.Process.Pid }

// Kill SIGKILLs the child (if running) and waits for it.
func (c *childAgent) Kill() {
	select {
	case <-c.exited:
		return
	default:
	}
	_ = c.cmd.Process.Kill()
	<-c.exited
}

// Stop sends SIGTERM and waits up to timeout for a graceful exit; it
// returns the child's STOPPED line.
func (c *childAgent) Stop(timeout time.Duration) (string, error) {
	_ = c.cmd.Process.Signal(syscall.SIGTERM)
	deadline := time.After(timeout)
	var stopped string
	for {
		select {
		case l := <-c.Lines:
			if strings.HasPrefix(l, "STOPPED") {
				stopped = l
			}
		case <-c.exited:
			for {
				select {
				case l := <-c.Lines:
					if strings.HasPrefix(l, "STOPPED") {
						stopped = l
					}
				default:
					return stopped, c.err
				}
			}
		case <-deadline:
			c.Kill()
			return stopped, fmt.Errorf("child agent did not stop within %v", timeout)
		}
	}
}

type syncWriter struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *syncWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}
