//go:build linux

package main

import (
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/spopkit/spopkit/bench"
)

// HAProxyCmd measures the agents through real HAProxy only, and prints the
// section of the report as Markdown.
type HAProxyCmd struct {
	Duration   time.Duration `help:"wrk run per frontend." default:"5s"`
	Runs       int           `help:"Runs per contender, interleaved." default:"3"`
	HAProxy    string        `name:"haproxy" help:"HAProxy 2.6 binary (empty: skip)." env:"HAPROXY26_BIN" default:"/usr/sbin/haproxy"`
	HAProxy3   string        `name:"haproxy3" help:"HAProxy 3.x binary (optional)." env:"HAPROXY3_BIN"`
	Contender  []string      `sep:"none" help:"Agent to measure, NAME=ENGINE[:LOOPS][/unix][@EXE][,ENV=VALUE...] (LOOPS 0: the engine's default; /unix: HAProxy reaches the agent over a UNIX socket; EXE: another spopbench binary); repeatable. Default: epoll, epoll with 1 loop, std." placeholder:"SPEC"`
	BackendOpt []string      `sep:"none" help:"Extra line for every agent backend (e.g. 'http-reuse always'); repeatable." placeholder:"LINE"`
	SPOEOpt    []string      `sep:"none" name:"spoe-opt" help:"Extra line for every spoe-agent section; repeatable." placeholder:"LINE"`
}

// Run runs the measurement.
func (c *HAProxyCmd) Run() error {
	root, err := moduleRoot()
	if err != nil {
		return err
	}
	exe, err := os.Executable()
	if err != nil {
		return err
	}
	o := bench.ReportOptions{
		Exe: []string{exe}, Root: root, Runs: c.Runs, HAProxyBin: c.HAProxy, HAProxy3: c.HAProxy3,
		Log: os.Stderr, WrkTime: c.Duration, HAProxyBackendExtra: c.BackendOpt, SPOEAgentExtra: c.SPOEOpt,
		Command: "go run ./bench/cmd/spopbench " + strings.Join(os.Args[1:], " "),
	}
	for _, s := range c.Contender {
		hc, err := bench.ParseHAContender(s)
		if err != nil {
			return err
		}
		o.HAContenders = append(o.HAContenders, hc)
	}
	r, err := bench.RunHAProxyOnly(o)
	if err != nil {
		return err
	}
	fmt.Print(bench.RenderHAProxy(r))
	for k, v := range r.Skipped {
		fmt.Printf("- skipped %s: %s\n", k, v)
	}
	if fs := r.Failures(); len(fs) > 0 {
		return fmt.Errorf("%d failure(s), first: %s", len(fs), fs[0])
	}
	return nil
}
