package main

import (
	"io"
	"os"
	"runtime/debug"

	"github.com/alecthomas/kong"
	"github.com/spopkit/spopkit/gen/spoeconf"
)

// CLI is the command line of spopgen. Each command lives in its own file
// (generate_cmd.go, dump_cmd.go, check_cmd.go); generate is the default, so
// "spopgen spoe.conf -o DIR" works without naming it.
type CLI struct {
	Version kong.VersionFlag `help:"Print the version and exit."`

	Generate GenerateCmd `cmd:"" default:"withargs" help:"Generate Go code from a spoe.conf (the default command; not implemented yet)."`
	Dump     DumpCmd     `cmd:"" help:"Print how a spoe.conf parses, as JSON."`
	Check    CheckCmd    `cmd:"" help:"Report the problems HAProxy would find in a spoe.conf; exit status 1 if any."`
}

// options are the kong options of spopgen; out receives the commands'
// output (the JSON of dump, the diagnostics of check).
func options(out io.Writer) []kong.Option {
	return []kong.Option{
		kong.Name("spopgen"),
		kong.Description("Read HAProxy's SPOE configuration (spoe.conf) for spopkit agents."),
		kong.UsageOnError(),
		kong.Vars{"version": version()},
		kong.BindTo(out, (*io.Writer)(nil)),
	}
}

// version is the module version spopgen was built from.
func version() string {
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" {
		return "spopgen " + bi.Main.Version
	}
	return "spopgen (devel)"
}

// ParseFlags are the flags of every command that reads a spoe.conf.
type ParseFlags struct {
	HAProxyVersion string `name:"haproxy-version" placeholder:"X.Y" help:"HAProxy version seen by \".if version_atleast()\" and \".if version_before()\" (unknown by default: such conditions are false, with a warning)."`
}

// parse reads and parses a spoe.conf. Parse errors are in the returned
// File's diagnostics; only an unreadable file is an error.
func (p ParseFlags) parse(name string) (*spoeconf.File, error) {
	src, err := os.ReadFile(name)
	if err != nil {
		return nil, err
	}
	cfg := spoeconf.Config{HAProxyVersion: p.HAProxyVersion}
	f, _ := cfg.Parse(name, src)
	return f, nil
}
