//go:build linux

package bench

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// HAContender is one agent measured through HAProxy. Several run side by side
// behind one HAProxy, each behind its own frontend, and the wrk runs against
// them are interleaved, so that they share the machine's conditions.
type HAContender struct {
	Name   string
	Exe    []string // the spopbench binary serving it; nil: ReportOptions.Exe
	Engine string   // ceiling, epoll or std
	Loops  int      // epoll event loops; 0: the engine's default
	Env    []string // extra environment of the agent process
	Unix   bool     // HAProxy reaches the agent over a UNIX socket instead of TCP
}

// label names the contender in the report: its name, and the transport
// when it is not TCP.
func (c HAContender) label() string {
	if c.Unix {
		return c.Name + " (unix)"
	}
	return c.Name
}

// DefaultHAContenders are the engines of issue 15's table: the epoll engine
// as configured by default, with one loop, and the std engine.
func DefaultHAContenders(engines []string) []HAContender {
	if !slices.Contains(engines, "epoll") {
		return []HAContender{{Name: "ceiling", Engine: "ceiling", Loops: 1}}
	}
	return []HAContender{
		{Name: "epoll", Engine: "epoll"},
		{Name: "epoll 1 loop", Engine: "epoll", Loops: 1},
		{Name: "std", Engine: "std", Loops: 1},
	}
}

// ParseHAContender parses NAME=ENGINE[:LOOPS][/unix][@EXE][,ENV=VALUE...], as in
// "lock=epoll:0@/tmp/spopbench-lock,GOMAXPROCS=1".
func ParseHAContender(s string) (HAContender, error) {
	name, rest, ok := strings.Cut(s, "=")
	if !ok || name == "" {
		return HAContender{}, fmt.Errorf("contender %q: want NAME=ENGINE[:LOOPS][/unix][@EXE][,ENV=VALUE...]", s)
	}
	parts := strings.Split(rest, ",")
	c := HAContender{Name: name, Env: parts[1:]}
	spec, exe, _ := strings.Cut(parts[0], "@")
	if exe != "" {
		c.Exe = []string{exe}
	}
	spec, network, hasNetwork := strings.Cut(spec, "/")
	if hasNetwork && network != "unix" {
		return HAContender{}, fmt.Errorf("contender %q: bad network %q (want unix)", s, network)
	}
	c.Unix = hasNetwork
	engine, loops, hasLoops := strings.Cut(spec, ":")
	c.Engine = engine
	if hasLoops {
		n, err := strconv.Atoi(loops)
		if err != nil || n < 0 {
			return HAContender{}, fmt.Errorf("contender %q: bad loop count %q", s, loops)
		}
		c.Loops = n
	} else if engine != "epoll" {
		c.Loops = 1
	}
	return c, nil
}
