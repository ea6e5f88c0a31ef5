package spoa

import (
	"fmt"
	"strings"

	"github.com/spopkit/spopkit/server"
	"github.com/spopkit/spopkit/spopwire"
)

// parseErrorVar reads --error-var: NAME, in scope txn, or SCOPE.NAME with
// SCOPE one of proc, sess, txn, req, res. "" gives the zero Var, which
// leaves the choice to the agent (server.Config.ErrorVar).
func parseErrorVar(s string) (server.Var, error) {
	if s == "" {
		return server.Var{}, nil
	}
	v := server.Var{Scope: spopwire.ScopeTransaction, Name: s}
	if scope, name, ok := strings.Cut(s, "."); ok {
		if sc, known := spopwire.ParseScope(scope); known {
			v = server.Var{Scope: sc, Name: name}
		}
	}
	if v.Name == "" {
		return v, fmt.Errorf("--error-var %q: no variable name", s)
	}
	// HAProxy's variable names (vars.c): letters, digits, '_' and '.'.
	for _, c := range []byte(v.Name) {
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '_' || c == '.') {
			return v, fmt.Errorf("--error-var %q: %q is not allowed in a variable name (only A-Z a-z 0-9 _ .)", s, c)
		}
	}
	if len(v.Name) > spopwire.MaxVarName {
		return v, fmt.Errorf("--error-var %q: longer than HAProxy's %d bytes", s, spopwire.MaxVarName)
	}
	return v, nil
}

// errorVarLabel names the variable a failed NOTIFY sets and its codes, as
// haproxy.cfg sees it ("txn.<var-prefix>.error 1001-1004"), for the startup
// log: the operator's rules must read this variable to fail closed.
func errorVarLabel(cfg server.Config) string {
	v := cfg.ErrorVar
	if v.Name == "" {
		v = server.Var{Scope: spopwire.ScopeTransaction, Name: server.DefaultErrorVarName}
	}
	first := cfg.ErrorCodeBase + server.ErrorCodeHandler
	last := cfg.ErrorCodeBase + server.ErrorCodeOverloaded
	return fmt.Sprintf("%s.<var-prefix>.%s %d-%d", v.Scope, v.Name, first, last)
}
