//go:build linux

package bench

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"runtime/pprof"
	"slices"
	"sort"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// agentServer is a running contender inside the agent process.
type agentServer interface {
	Addr() Target
	Shutdown()
}

// agentEngines maps an --engine name to its constructor. The ceiling is
// always there; the spopkit engines register themselves in engines.go.
var agentEngines = map[string]func(t Target, loops int) (agentServer, error){
	"ceiling": func(t Target, _ int) (agentServer, error) {
		c, err := NewCeiling(t)
		if err != nil {
			return nil, err
		}
		go c.Serve()
		return c, nil
	},
}

// Engines returns the contender names the agent subcommand accepts.
func Engines() []string {
	names := make([]string, 0, len(agentEngines))
	for n := range agentEngines {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// AgentOptions configures RunAgent.
type AgentOptions struct {
	Engine     string
	Listen     Target
	Loops      int    // event loops for the spopkit epoll engine (0: the engine's default)
	CPUProfile string // write a CPU profile of the whole life of the agent here
	Stdout     io.Writer
	Stdin      io.Reader
}

// RunAgent is the body of `spopbench agent`: it starts the contender, prints
// "ready NETWORK:ADDRESS" on Stdout, and serves until Stdin reaches EOF (the
// parent closes it, or dies) or SIGTERM/SIGINT arrives.
func RunAgent(o AgentOptions) error {
	newEngine, ok := agentEngines[o.Engine]
	if !ok {
		return fmt.Errorf("%w: engine %q (have %s)", ErrUnavailable, o.Engine, strings.Join(Engines(), ", "))
	}
	if err := RaiseNoFile(); err != nil {
		return err
	}
	if o.CPUProfile != "" {
		f, err := os.Create(o.CPUProfile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	srv, err := newEngine(o.Listen, max(o.Loops, 0))
	if err != nil {
		return err
	}
	defer srv.Shutdown()
	fmt.Fprintf(o.Stdout, "ready %s\n", srv.Addr())
	stop := make(chan struct{}, 2)
	go func() {
		_, _ = io.Copy(io.Discard, o.Stdin)
		stop <- struct{}{}
	}()
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGTERM, syscall.SIGINT)
	defer signal.Stop(sig)
	select {
	case <-stop:
	case <-sig:
	}
	return nil
}

// RaiseNoFile raises the soft RLIMIT_NOFILE to the hard limit, for the
// 10,000-connection test.
func RaiseNoFile() error {
	var rl unix.Rlimit
	if err := unix.Getrlimit(unix.RLIMIT_NOFILE, &rl); err != nil {
		return errf("getrlimit: %v", err)
	}
	if rl.Cur < rl.Max {
		rl.Cur = rl.Max
		if err := unix.Setrlimit(unix.RLIMIT_NOFILE, &rl); err != nil {
			return errf("setrlimit: %v", err)
		}
	}
	return nil
}

// AgentProc is an agent process started by StartAgent.
type AgentProc struct {
	Engine string
	Addr   Target
	Pid    int
	cmd    *exec.Cmd
	stdin  io.WriteCloser
	stderr *bytes.Buffer
}

// AgentSpec says how to start an agent process.
type AgentSpec struct {
	Exe    []string // the spopbench binary (and arguments before "agent")
	Engine string
	Listen Target
	CPUs   []int // the agent's affinity, inherited from the forking thread; nil: no pinning
	Loops  int   // event loops of the epoll engine; 0 is 1 unless DefaultLoops
	// DefaultLoops passes --loops 0: the engine's own default (one loop per
	// physical core).
	DefaultLoops bool
	Env          []string // extra environment (GOMAXPROCS=…, GODEBUG=…)
	CPUProfile   string
}

// StartAgent starts `spopbench agent` and waits (at most 10 s) for it to
// report its address.
func StartAgent(s AgentSpec) (*AgentProc, error) {
	loops := max(s.Loops, 1)
	if s.DefaultLoops {
		loops = 0
	}
	args := append(slices.Clone(s.Exe[1:]), "agent", "--engine", s.Engine, "--listen", s.Listen.String(),
		"--loops", fmt.Sprint(loops))
	if s.CPUProfile != "" {
		args = append(args, "--cpuprofile", s.CPUProfile)
	}
	cmd := exec.Command(s.Exe[0], args...)
	if s.Env != nil {
		cmd.Env = append(os.Environ(), s.Env...)
	}
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	p := &AgentProc{Engine: s.Engine, cmd: cmd, stdin: stdin, stderr: new(bytes.Buffer)}
	cmd.Stderr = p.stderr
	if err := withThreadAffinity(s.CPUs, cmd.Start); err != nil {
		return nil, errf("start agent %s: %v", s.Engine, err)
	}
	p.Pid = cmd.Process.Pid
	line := make(chan string, 1)
	go func() {
		l, _ := bufio.NewReader(stdout).ReadString('\n')
		line <- l
		_, _ = io.Copy(io.Discard, stdout)
	}()
	select {
	case l := <-line:
		addr, ok := strings.CutPrefix(strings.TrimSpace(l), "ready ")
		if ok {
			if p.Addr, err = ParseTarget(addr); err == nil {
				return p, nil
			}
		}
		p.Stop()
		return nil, errf("agent %s did not start: %q %s", s.Engine, l, strings.TrimSpace(p.stderr.String()))
	case <-time.After(10 * time.Second):
		p.Stop()
		return nil, errf("agent %s: no ready line in 10 s", s.Engine)
	}
}

// Stop closes the agent's stdin, which makes it shut down, and waits for it
// (5 s at most, then it is killed by PID).
func (p *AgentProc) Stop() error {
	p.stdin.Close()
	done := make(chan error, 1)
	go func() { done <- p.cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			return errf("agent %s: %v: %s", p.Engine, err, strings.TrimSpace(p.stderr.String()))
		}
		return nil
	case <-time.After(5 * time.Second):
		_ = p.cmd.Process.Kill()
		<-done
		return errf("agent %s (pid %d) did not stop in 5 s; killed", p.Engine, p.Pid)
	}
}
