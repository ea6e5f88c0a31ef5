//go:build linux

package main

// CLI is spopbench's command tree; each command lives in its own file.
type CLI struct {
	Agent   AgentCmd   `cmd:"" help:"Run one contender as an agent process (started by report and load)."`
	Load    LoadCmd    `cmd:"" help:"Run one load test against an agent address."`
	Report  ReportCmd  `cmd:"" help:"Run every scenario and rewrite BENCHMARKS.md."`
	HAProxy HAProxyCmd `cmd:"" name:"haproxy" help:"Measure the agents through real HAProxy only (CPU and syscalls per request) and print the table."`
}
