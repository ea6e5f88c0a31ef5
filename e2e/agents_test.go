//go:build linux

package e2e

import (
	"testing"

	"github.com/spopkit/spopkit/spopwire"
)

// testAgent is an agent the tests put behind HAProxy.
type testAgent interface {
	Addr() string
	Close()
}

// agentOptions describes the agent a test wants. Server-backed kinds run
// Handler; the stub kind runs Stub.
type agentOptions struct {
	Handler any // server.Handler, once the server package builds
	Stub    func(b, payload []byte) []byte
	// Fragmentation announces the capability (and reassembles NOTIFYs).
	Fragmentation bool
	// Loops and Workers of a server-backed agent (default 2 loops and the
	// server's default pool).
	Loops, Workers int
}

// agentKind is one way to run an agent: the spopkit server's engines, or
// the stub.
type agentKind struct {
	Name  string
	Start func(t testing.TB, o agentOptions) testAgent
}

var agentKinds = []agentKind{
	{Name: "stub", Start: func(t testing.TB, o agentOptions) testAgent { return startStubAgent(t, o.Stub) }},
}

// scoreStub is scoreHandler for the stub agent.
func scoreStub(score int64) func(b, payload []byte) []byte {
	return func(b, payload []byte) []byte {
		return spopwire.AppendSetVar(b, spopwire.ScopeSession, "ip_score", spopwire.Int64Value(score))
	}
}

// defaultAgentKind is the agent used by the single-agent load tests.
func defaultAgentKind() agentKind { return agentKinds[0] }
