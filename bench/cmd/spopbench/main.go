//go:build linux

// Command spopbench benchmarks spopkit agents against the physical limit of the
// machine: `spopbench report` runs everything and rewrites BENCHMARKS.md.
package main

import "github.com/alecthomas/kong"

func main() {
	var cli CLI
	ctx := kong.Parse(&cli, kong.Name("spopbench"),
		kong.Description("Load generator, ceiling responder and benchmark report for spopkit SPOE agents."),
		kong.UsageOnError())
	ctx.FatalIfErrorf(ctx.Run())
}
