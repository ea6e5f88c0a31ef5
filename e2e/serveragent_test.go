//go:build linux

package e2e

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/spopkit/spopkit/server"
	"github.com/spopkit/spopkit/spopwire"
)

func init() {
	agentKinds = []agentKind{
		{Name: "epoll", Start: func(t testing.TB, o agentOptions) testAgent { return startServerAgent(t, server.EngineEpoll, "", o) }},
		{Name: "std", Start: func(t testing.TB, o agentOptions) testAgent { return startServerAgent(t, server.EngineStd, "", o) }},
		{Name: "stub", Start: func(t testing.TB, o agentOptions) testAgent { return startStubAgent(t, o.Stub) }},
	}
}

// serverKinds are the agent kinds backed by package server (both engines).
func serverKinds() []agentKind { return agentKinds[:2] }

// serverAgent is an in-process spopkit server.
type serverAgent struct {
	t      testing.TB
	srv    *server.Server
	addr   string
	mu     sync.Mutex
	errs   []error
	closed bool
}

// startServerAgent runs a server.Server with engine on addr ("" = a free
// port on 127.0.0.1) and shuts it down in t.Cleanup.
func startServerAgent(t testing.TB, engine, addr string, o agentOptions) *serverAgent {
	t.Helper()
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	h, _ := o.Handler.(server.Handler)
	if h == nil {
		t.Fatalf("agentOptions.Handler is %T, want a server.Handler", o.Handler)
	}
	a := &serverAgent{t: t}
	caps := spopwire.CapPipelining
	if o.Fragmentation {
		caps |= spopwire.CapFragmentation
	}
	loops := o.Loops
	if loops == 0 {
		loops = 2
	}
	cfg := server.Config{
		Network:      "tcp4",
		Address:      addr,
		Engine:       engine,
		Loops:        loops,
		Workers:      o.Workers,
		Capabilities: caps,
		OnError: func(err error) {
			a.mu.Lock()
			if len(a.errs) < 100 {
				a.errs = append(a.errs, err)
			}
			a.mu.Unlock()
		},
	}
	srv, err := server.New(cfg, h)
	if err != nil {
		t.Fatalf("server.New(%s): %v", engine, err)
	}
	if err := srv.Start(); err != nil {
		t.Fatalf("server.Start(%s): %v", engine, err)
	}
	a.srv = srv
	a.addr = srv.Addr().String()
	t.Cleanup(a.Close)
	return a
}

func (a *serverAgent) Addr() string { return a.addr }

// Close shuts the server down gracefully (5 s) and reports what OnError saw.
func (a *serverAgent) Close() {
	a.mu.Lock()
	if a.closed {
		a.mu.Unlock()
		return
	}
	a.closed = true
	a.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := a.srv.Shutdown(ctx); err != nil {
		a.t.Errorf("server.Shutdown: %v", err)
	}
}

// Errors returns what OnError has observed so far (at most 100).
func (a *serverAgent) Errors() []error {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]error(nil), a.errs...)
}

func (a *serverAgent) Stats() server.Stats { return a.srv.Stats() }

// scoreHandler sets sess.<prefix>.ip_score = score for every NOTIFY.
func scoreHandler(score int64) any {
	return server.HandlerFunc(func(req *server.Request, acts *server.Actions) error {
		acts.SetVar(spopwire.ScopeSession, "ip_score", spopwire.Int64Value(score))
		return nil
	})
}

// argValue returns the value of the argument named name in the NOTIFY's
// first message that has it.
func argValue(req *server.Request, name string) (spopwire.Value, bool) {
	it := req.Messages()
	for msg, ok := it.Next(); ok; msg, ok = it.Next() {
		args := msg.Args()
		for a, ok := args.Next(); ok; a, ok = args.Next() {
			if string(a.Name) == name {
				return a.Value, true
			}
		}
	}
	return spopwire.Value{}, false
}
