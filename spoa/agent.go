// Package spoa is the spoa command line, importable: cmd/spoa runs every
// example agent through it, and the main.go that spopgen writes for a
// generated agent runs that one agent through it, so all agents share the
// same flags, signals, logging, health probe and metrics.
//
// An agent is a server.Handler plus, optionally, its own flags and lifecycle
// hooks (Agent). Main parses the command line, starts a server.Server with
// the handler, and drains it on SIGTERM/SIGINT. Use package server directly
// to embed an agent in a larger program with its own command line.
package spoa

import (
	"context"
	"log/slog"

	"github.com/spopkit/spopkit/server"
)

// Agent is one agent the command line can run: a subcommand of spoa, or the
// whole command of a generated agent's main.go.
type Agent struct {
	// Name is the subcommand name (iprep, mirror, …).
	Name string
	// Help is the one-line description shown by --help.
	Help string
	// Handler serves the NOTIFY frames. Setup, when set, replaces it.
	Handler server.Handler

	// Flags, if set, is a pointer to a struct of agent-specific flags in
	// kong's tag syntax (help, short, default, placeholder…). They appear
	// after the agent's name on the command line, and each also reads an
	// environment variable SPOA_<FLAG_NAME> unless its env tag says otherwise.
	Flags any
	// Setup, if set, runs once the command line is parsed (Flags filled in)
	// and before the server starts; it returns the handler to serve.
	Setup func(env *Env) (server.Handler, error)
	// Reload, if set, runs on SIGHUP while the server keeps serving; it must
	// swap state atomically (frames are being handled concurrently). An error
	// is logged and the old state stays in use.
	Reload func() error
	// Close, if set, runs after the server has drained and stopped.
	Close func() error

	// Files, if set, are example configuration files by name (spoe.conf,
	// haproxy.cfg…), printed by `spoa config AGENT [FILE]` so that a
	// fresh machine needs nothing but the binary.
	Files map[string]string
}

// Env is what Agent.Setup gets to build its handler.
type Env struct {
	// Context is cancelled when the agent begins to shut down: background
	// goroutines started by Setup (file watchers, pollers) stop on it.
	Context context.Context
	// Logger is the command line's logger (text or JSON, level per --debug).
	Logger *slog.Logger
	// Config is the server configuration built from the flags. Setup may
	// adjust it (e.g. Workers for an agent that offloads a lot) before the
	// server starts.
	Config *server.Config
	// Debug reports whether --debug was given.
	Debug bool
}
