//go:build linux

package main

import (
	"os"

	"github.com/spopkit/spopkit/bench"
)

// AgentCmd runs a contender (ceiling, epoll or std) until its stdin closes.
type AgentCmd struct {
	Engine     string `help:"Contender: ceiling, epoll, std, or epoll-record (epoll with a Recorder)." default:"ceiling" enum:"ceiling,epoll,std,epoll-record"`
	Listen     string `help:"Listen address, tcp:HOST:PORT or unix:PATH (loopback only)." default:"tcp:127.0.0.1:0" placeholder:"ADDR"`
	Loops      int    `help:"Event loops of the epoll engine (0: one per physical core, the engine's default)." default:"1"`
	CPUProfile string `name:"cpuprofile" help:"Write a CPU profile of the agent to this file." type:"path" placeholder:"FILE"`
}

// Run starts the agent and prints "ready ADDR" when it listens.
func (c *AgentCmd) Run() error {
	t, err := bench.ParseTarget(c.Listen)
	if err != nil {
		return err
	}
	return bench.RunAgent(bench.AgentOptions{Engine: c.Engine, Listen: t, Loops: c.Loops,
		CPUProfile: c.CPUProfile, Stdout: os.Stdout, Stdin: os.Stdin})
}
