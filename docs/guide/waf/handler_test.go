package waf

import (
	"fmt"
	"net/netip"
	"testing"

	"github.com/spopkit/spopkit/server"
	"github.com/spopkit/spopkit/server/spoptest"
	"github.com/spopkit/spopkit/spopwire"
)

// newHAProxy connects a fake HAProxy to the agent, configured as spoa runs it.
func newHAProxy(t *testing.T) *spoptest.HAProxy {
	var cfg server.Config
	Configure(&cfg)
	return spoptest.New(t, NewDispatcher(handler{}), spoptest.Options{Config: cfg})
}

func TestCheckRequest(t *testing.T) {
	hp := newHAProxy(t)
	acts, err := hp.Notify(spoptest.Msg("check-request",
		spoptest.Arg("src", spopwire.AddrValue(netip.MustParseAddr("192.0.2.7"))),
		spoptest.Arg("method", spopwire.StringValue("POST")),
		spoptest.Arg("path", spopwire.StringValue("/comment")),
		spoptest.Arg("hdrs", spopwire.BinaryValue([]byte("\x0auser-agent\x04curl\x00\x00"))),
		spoptest.Arg("body", spopwire.BinaryValue([]byte("hi <script>alert(1)</script>")))))
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"set-var txn.score = INT64 50", "set-var txn.block = BOOL true"}
	if len(acts) != len(want) {
		t.Fatalf("got %v, want %v", acts, want)
	}
	for i, a := range acts {
		if got := fmt.Sprintf("%v %s.%s = %v", a.Type, a.Scope, a.Name, a.Value); got != want[i] {
			t.Errorf("action %d: got %q, want %q", i, got, want[i])
		}
	}
}

// A NOTIFY without the client address fails closed: txn.waf.error = 1001.
func TestCheckRequestFailsClosed(t *testing.T) {
	hp := newHAProxy(t)
	acts, err := hp.Notify(spoptest.Msg("check-request",
		spoptest.Arg("src", spopwire.Null()),
		spoptest.Arg("path", spopwire.StringValue("/"))))
	if err != nil {
		t.Fatal(err)
	}
	if len(acts) != 1 || string(acts[0].Name) != "error" || acts[0].Value.Int64() != 1001 {
		t.Fatalf("got %v, want set-var txn.error = 1001", acts)
	}
}
