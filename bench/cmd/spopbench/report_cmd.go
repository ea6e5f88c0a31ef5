//go:build linux

package main

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/spopkit/spopkit/bench"
)

// ReportCmd runs every scenario and rewrites BENCHMARKS.md and the chart.
type ReportCmd struct {
	Duration   time.Duration `help:"Measured window per run (default 2s; 500ms with --quick)." placeholder:"D"`
	Runs       int           `help:"Runs per scenario and contender, interleaved (≥ 3 for medians)." default:"3"`
	Quick      bool          `help:"Shorter windows and fewer microbenchmark runs (about 3 minutes)."`
	Smoke      bool          `help:"CI smoke: two scenarios, one short run, 200 idle connections; writes a temp file and fails on any invalid ACK."`
	Out        string        `help:"Markdown output (relative to the module root)." default:"BENCHMARKS.md" placeholder:"FILE"`
	Chart      string        `help:"SVG chart output (relative to the module root)." default:"bench/chart.svg" placeholder:"FILE"`
	NoPin      bool          `help:"Do not pin the agent and the generator to separate CPUs."`
	AgentCPU   int           `help:"CPU of the agent process." default:"0"`
	GenCPU     int           `help:"CPU of the load generator." default:"1"`
	IdleConns  int           `help:"Idle connections for the memory test." default:"10000"`
	MicroCount int           `help:"go test -count for the microbenchmarks (default 6, what benchstat needs for a confidence interval; 3 with --quick)."`
	Skip       []string      `help:"Sections to skip: load, record, micro, haproxy, idle, profile." enum:"load,record,micro,haproxy,idle,profile"`
	HAProxy    string        `name:"haproxy" help:"HAProxy 2.6 binary." default:"/usr/sbin/haproxy" type:"path"`
	HAProxy3   string        `name:"haproxy3" help:"HAProxy 3.x binary (optional)." env:"HAPROXY3_BIN" type:"path"`
	Revision   string        `help:"Revision of spopkit measured, quoted in the report (default: git rev-parse in the module root)." env:"SPOPBENCH_REVISION"`
}

// Run runs the report.
func (c *ReportCmd) Run() error {
	root, err := moduleRoot()
	if err != nil {
		return err
	}
	exe, err := os.Executable()
	if err != nil {
		return err
	}
	o := bench.ReportOptions{
		Exe: []string{exe}, Root: root, Runs: c.Runs, Quick: c.Quick, Smoke: c.Smoke, Pin: !c.NoPin,
		AgentCPU: c.AgentCPU, GenCPU: c.GenCPU, IdleConns: c.IdleConns, MicroCount: c.MicroCount,
		HAProxyBin: c.HAProxy, HAProxy3: c.HAProxy3, Skip: map[string]bool{}, Log: os.Stderr,
		Duration: 2 * time.Second, Warmup: 300 * time.Millisecond, WrkTime: 5 * time.Second,
		Command:  "go run ./bench/cmd/spopbench " + strings.Join(os.Args[1:], " "),
		Revision: c.Revision,
	}
	if o.Revision == "" {
		o.Revision = gitRevision(root)
	}
	if o.MicroCount == 0 {
		o.MicroCount = 6
	}
	for _, s := range c.Skip {
		o.Skip[s] = true
	}
	if c.Quick {
		o.Duration, o.Warmup, o.WrkTime = 500*time.Millisecond, 200*time.Millisecond, 2*time.Second
		if c.MicroCount == 0 {
			o.MicroCount = 3
		}
	}
	if c.Smoke {
		o.Duration, o.Warmup, o.Runs, o.IdleConns = 300*time.Millisecond, 100*time.Millisecond, 1, 200
		o.Skip["micro"], o.Skip["haproxy"], o.Skip["profile"] = true, true, true
	}
	if c.Duration > 0 {
		o.Duration = c.Duration
	}
	out, chart := inRoot(root, c.Out), inRoot(root, c.Chart)
	if c.Smoke {
		dir, err := os.MkdirTemp("", "spopbench-smoke-")
		if err != nil {
			return err
		}
		out, chart = filepath.Join(dir, "BENCHMARKS.md"), filepath.Join(dir, "chart.svg")
	}
	r, err := bench.RunReport(o)
	if err != nil {
		return err
	}
	rel, err := filepath.Rel(filepath.Dir(out), chart)
	if err != nil {
		rel = chart
	}
	if err := os.WriteFile(chart, bench.RenderSVG(r), 0o644); err != nil {
		return err
	}
	if len(r.HAProxy) > 0 {
		haChart := strings.TrimSuffix(chart, ".svg") + "-haproxy.svg"
		if err := os.WriteFile(haChart, bench.RenderHAProxySVG(r), 0o644); err != nil {
			return err
		}
		r.HAChart = strings.TrimSuffix(filepath.ToSlash(rel), ".svg") + "-haproxy.svg"
	}
	if err := os.WriteFile(out, bench.RenderMarkdown(r, filepath.ToSlash(rel)), 0o644); err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "wrote %s and %s in %v\n", out, chart, r.Elapsed.Round(time.Millisecond))
	if fs := r.Failures(); len(fs) > 0 {
		return fmt.Errorf("%d validation failure(s), first: %s", len(fs), fs[0])
	}
	if c.Smoke && len(r.Scenarios) == 0 {
		return errors.New("smoke: no scenario ran")
	}
	return nil
}

// moduleRoot finds the directory of spopkit's go.mod from the working directory up.
func moduleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		b, err := os.ReadFile(filepath.Join(dir, "go.mod"))
		if err == nil && strings.Contains(string(b), "module github.com/spopkit/spopkit\n") {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("spopbench: run it inside the spopkit module (no go.mod for github.com/spopkit/spopkit found)")
		}
		dir = parent
	}
}

// inRoot resolves a relative path against the module root.
func inRoot(root, p string) string {
	if filepath.IsAbs(p) {
		return p
	}
	return filepath.Join(root, p)
}

// gitRevision returns the short commit of root, marked when the tree has
// uncommitted changes, or "unknown" outside git.
func gitRevision(root string) string {
	rev, err := exec.Command("git", "-C", root, "rev-parse", "--short", "HEAD").Output()
	if err != nil {
		return "unknown"
	}
	r := strings.TrimSpace(string(rev))
	if st, err := exec.Command("git", "-C", root, "status", "--porcelain").Output(); err == nil && len(st) > 0 {
		r += " with uncommitted changes"
	}
	return r
}
