package gen

import (
	"testing"

	"github.com/spopkit/spopkit/spopwire"
)

// TestNameSetters: two agents reading the same variable name get setters
// qualified by their var-prefix; other setters keep the short name.
func TestNameSetters(t *testing.T) {
	vars := nameSetters([]cfgVar{
		{Scope: spopwire.ScopeTransaction, Prefix: "a", Name: "blocked"},
		{Scope: spopwire.ScopeTransaction, Prefix: "b", Name: "blocked"},
		{Scope: spopwire.ScopeSession, Prefix: "a", Name: "blocked"},
		{Scope: spopwire.ScopeTransaction, Prefix: "a", Name: "ip-score"},
	})
	want := []string{"TxnABlocked", "TxnBBlocked", "SessBlocked", "TxnIPScore"}
	for i, v := range vars {
		if v.Method != want[i] {
			t.Errorf("nameSetters(%s.%s.%s) = %s; want %s", v.Scope, v.Prefix, v.Name, v.Method, want[i])
		}
	}
}
