// Package spoa is the spoa command line, importable: cmd/spoa runs every
// example agent through it, and the main.go that spopgen writes for a
// generated agent runs that one agent through it, so all agents share the
// same flags, signals, logging and metrics.
package spoa

import "github.com/spopkit/spopkit/server"

// Agent is one agent the command line can run: a subcommand of spoa, or the
// whole command of a generated agent's main.go.
type Agent struct {
	// Name is the subcommand name (iprep, mirror, …).
	Name string
	// Help is the one-line description shown by --help.
	Help string
	// Handler serves the NOTIFY frames. Setup, when set, replaces it.
	Handler server.Handler
}

// Main parses os.Args for the given agents, runs the chosen one and exits.
func Main(agents ...Agent) {
	panic("spoa: not implemented yet")
}
