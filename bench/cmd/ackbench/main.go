//go:build linux

// Command ackbench measures ACKs per second of the server's engines: it runs
// the agent in a child process pinned to one CPU (one event loop for the
// epoll engine) and bench's load generator pinned to another, over loopback
// TCP, with a one-argument NOTIFY (check-client-ip ip=<IPv4>) answered by a
// set-var. Each connection keeps DEPTH NOTIFYs in flight (closed loop: every
// ACK releases the next NOTIFY on its connection).
//
//	go run ./bench/cmd/ackbench                          # both engines, 1×1, 1×20, 4×20
//	go run ./bench/cmd/ackbench --target 127.0.0.1:9000 --target-pid 1234   # any running agent
//
// Besides ACKs/s it reports ACKs per CPU-second of the agent (its CPU time
// over the window, from /proc): on a shared machine the throughput moves with
// the neighbours' load, the cost per ACK much less.
//
// It is a quick tool for the server's own numbers; spopbench is the
// project's full benchmark.
package main

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/alecthomas/kong"
	"github.com/spopkit/spopkit/bench"
)

// CLI is ackbench's command line: one command, plus the hidden --child mode
// in which the program runs the agent it measures.
type CLI struct {
	Engines    []string      `help:"Engines to measure." default:"epoll,std"`
	Target     string        `help:"Measure an agent already listening at this TCP address instead." placeholder:"HOST:PORT"`
	TargetPID  int           `name:"target-pid" help:"Process id of the --target agent, for its CPU time."`
	Configs    []string      `help:"Connections x NOTIFYs in flight, per configuration." default:"1x1,1x20,4x20" placeholder:"CONNSxDEPTH"`
	Duration   time.Duration `help:"Measured window per run." default:"2s"`
	Runs       int           `help:"Runs per configuration (the median is reported)." default:"3"`
	AgentCPU   int           `name:"agent-cpu" help:"CPU of the agent." default:"0"`
	LoadCPU    int           `name:"load-cpu" help:"CPU of the load generator." default:"1"`
	CPUProfile string        `name:"cpuprofile" help:"Write the agent's CPU profile to this file (one per engine)." placeholder:"FILE"`
	Handler    string        `help:"Agent logic: iprep (walk every argument, set sess.ip_score) or setvar (only the set-var, like a canned responder)." default:"iprep" enum:"iprep,setvar"`
	Child      string        `hidden:"" help:"Run the agent with this engine (used by ackbench itself)."`
}

func main() {
	var cli CLI
	ctx := kong.Parse(&cli, kong.Name("ackbench"),
		kong.Description("ACKs per second, and per agent CPU-second, of the server's engines."),
		kong.UsageOnError())
	ctx.FatalIfErrorf(ctx.Run())
}

// config is one CONNSxDEPTH configuration.
type config struct{ conns, depth int }

func parseConfig(s string) (config, error) {
	a, b, ok := strings.Cut(s, "x")
	c, err1 := strconv.Atoi(a)
	d, err2 := strconv.Atoi(b)
	if !ok || err1 != nil || err2 != nil || c < 1 || d < 1 {
		return config{}, fmt.Errorf("bad configuration %q (want CONNSxDEPTH, e.g. 4x20)", s)
	}
	return config{c, d}, nil
}

// Validate checks the configurations before anything starts.
func (c *CLI) Validate() error {
	for _, s := range c.Configs {
		if _, err := parseConfig(s); err != nil {
			return err
		}
	}
	if c.Runs < 1 {
		return fmt.Errorf("--runs must be at least 1")
	}
	return nil
}

// Run measures each engine in a child process, or the --target agent.
func (c *CLI) Run() error {
	if c.Child != "" {
		return runAgent(c.Child, c.AgentCPU, c.CPUProfile, c.Handler)
	}
	if err := bench.PinProcess(c.LoadCPU); err != nil {
		return err
	}
	if c.Target != "" {
		return c.measure("target", c.Target, c.TargetPID)
	}
	for _, eng := range c.Engines {
		addr, pid, stop, err := startChild(eng, c.AgentCPU, c.CPUProfile, c.Handler)
		if err != nil {
			return err
		}
		err = c.measure(eng, addr, pid)
		stop()
		if err != nil {
			return err
		}
	}
	return nil
}

// measure runs every configuration against the agent at addr and prints
// the medians.
func (c *CLI) measure(label, addr string, pid int) error {
	target, err := bench.ParseTarget("tcp:" + addr)
	if err != nil {
		return err
	}
	payload := bench.SmallWorkload().Payload
	for _, s := range c.Configs {
		cfg, _ := parseConfig(s) // checked by Validate
		var rates, perCPU []float64
		for range c.Runs {
			var cpu0, cpu1 time.Duration
			r := bench.Load(bench.LoadConfig{Target: target, Conns: cfg.conns, Depth: cfg.depth, Payload: payload,
				Warmup: 300 * time.Millisecond, Duration: c.Duration, MaxAcks: 50_000_000,
				OnWindow: func(open bool) {
					if open {
						cpu0 = agentCPU(pid)
					} else {
						cpu1 = agentCPU(pid)
					}
				}})
			if !r.OK() {
				return fmt.Errorf("%s %s: invalid run: %d bad ACKs, %d lost: %v", label, s, r.Invalid, r.Lost, r.Err)
			}
			eff := 0.0
			if cpu := cpu1 - cpu0; cpu > 0 {
				eff = float64(r.Acks) / cpu.Seconds()
			}
			rates, perCPU = append(rates, r.Rate()), append(perCPU, eff)
		}
		fmt.Printf("%-8s %2d conn × %2d in flight: %s ACKs/s (runs %s); %s ACKs per agent CPU-second (runs %s)\n",
			label, cfg.conns, cfg.depth, kfmt(median(rates)), fmtRates(rates), kfmt(median(perCPU)), fmtRates(perCPU))
	}
	return nil
}

// agentCPU returns the CPU time of process pid, or 0 without a pid.
func agentCPU(pid int) time.Duration {
	if pid == 0 {
		return 0
	}
	d, _ := bench.ReadCPU(pid)
	return d
}

func median(v []float64) float64 {
	s := append([]float64(nil), v...)
	sort.Float64s(s)
	return s[len(s)/2]
}

func kfmt(r float64) string { return fmt.Sprintf("%7.0fk", r/1000) }

func fmtRates(v []float64) string {
	parts := make([]string, len(v))
	for i, r := range v {
		parts[i] = fmt.Sprintf("%.0fk", r/1000)
	}
	return strings.Join(parts, " ")
}
