package spoa

import (
	"testing"

	"github.com/spopkit/spopkit/server"
	"github.com/spopkit/spopkit/spopwire"
)

func TestErrorVarLabel(t *testing.T) {
	tests := []struct {
		cfg  server.Config
		want string
	}{
		{server.Config{}, "txn.<var-prefix>.agent_error 1-4"},
		{server.Config{ErrorVar: server.Var{Scope: spopwire.ScopeTransaction, Name: "error"}, ErrorCodeBase: 1000}, "txn.<var-prefix>.error 1001-1004"},
		{server.Config{ErrorVar: server.Var{Scope: spopwire.ScopeSession, Name: "failed"}}, "sess.<var-prefix>.failed 1-4"},
	}
	for _, tt := range tests {
		if got := errorVarLabel(tt.cfg); got != tt.want {
			t.Errorf("errorVarLabel(%+v) = %q; want %q", tt.cfg, got, tt.want)
		}
	}
}
