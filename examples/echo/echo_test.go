package echo

import (
	"bytes"
	"log/slog"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/spopkit/spopkit/examples/internal/exampletest"
	"github.com/spopkit/spopkit/server"
	"github.com/spopkit/spopkit/server/spoptest"
	"github.com/spopkit/spopkit/spopwire"
)

// every is one argument of every SPOP type, named and unnamed.
var every = []spoptest.Argument{
	spoptest.Arg("null", spopwire.Null()),
	spoptest.Arg("t", spopwire.BoolValue(true)),
	spoptest.Arg("f", spopwire.BoolValue(false)),
	spoptest.Arg("i32", spopwire.Int32Value(-7)),
	spoptest.Arg("u32", spopwire.Uint32Value(7)),
	spoptest.Arg("i64", spopwire.Int64Value(-1)),
	spoptest.Arg("u64", spopwire.Uint64Value(1<<63)),
	spoptest.Arg("v4", spopwire.AddrValue(netip.MustParseAddr("192.0.2.1"))),
	spoptest.Arg("v6", spopwire.AddrValue(netip.MustParseAddr("2001:db8::1"))),
	spoptest.Arg("s", spopwire.StringValue("GET")),
	spoptest.Arg("bin", spopwire.BinaryValue([]byte{0, 1, 0xff})),
	spoptest.Arg("", spopwire.StringValue("unnamed at 11")),
	spoptest.Arg("bad name(", spopwire.Int64Value(5)),
}

func wantName(i int, a spoptest.Argument) string {
	switch a.Name {
	case "":
		return argNames[i]
	case "bad name(":
		return "bad_name_"
	}
	return a.Name
}

func TestEchoEveryType(t *testing.T) {
	var log bytes.Buffer
	h := &Handler{Scope: spopwire.ScopeTransaction, Logger: slog.New(slog.NewTextHandler(&log, nil))}
	hp := spoptest.New(t, h, spoptest.Options{})
	acts, err := hp.Notify(spoptest.Msg("m1", every...), spoptest.Msg("m2", spoptest.Arg("", spopwire.Int64Value(42))))
	if err != nil {
		t.Fatal(err)
	}
	if len(acts) != len(every)+1 {
		t.Fatalf("%d actions; want %d", len(acts), len(every)+1)
	}
	for i, a := range every {
		got := acts[i]
		if string(got.Name) != wantName(i, a) || got.Scope != spopwire.ScopeTransaction || !got.Value.Equal(a.Value) {
			t.Errorf("action %d = %v %s %v; want txn %s %v", i, got.Scope, got.Name, got.Value, wantName(i, a), a.Value)
		}
	}
	if last := acts[len(every)]; string(last.Name) != "arg0" || last.Value.Int64() != 42 {
		t.Errorf("second message: %s = %v; want arg0 = 42", last.Name, last.Value)
	}
	for _, want := range []string{"message=m1", "message=m2", `s="STRING \"GET\""`, `v6="IPV6 2001:db8::1"`, "arg11="} {
		if !strings.Contains(log.String(), want) {
			t.Errorf("log lacks %q:\n%s", want, log.String())
		}
	}
}

func TestVarName(t *testing.T) {
	tests := []struct{ in, want string }{
		{"ip", "ip"}, {"a.b_c9", "a.b_c9"}, {"str(a", "str_a"}, {"x-y z", "x_y_z"},
	}
	for _, tt := range tests {
		if got := VarName([]byte(tt.in)); got != tt.want {
			t.Errorf("VarName(%q) = %q; want %q", tt.in, got, tt.want)
		}
	}
}

func TestEchoOverSocket(t *testing.T) {
	_, addr := exampletest.Start(t, &Handler{Scope: spopwire.ScopeTransaction}, server.Config{})
	c := exampletest.Dial(t, addr)
	acts, err := c.Notify(5*time.Second, spoptest.Msg("any", every...))
	if err != nil {
		t.Fatal(err)
	}
	for i, a := range every {
		if got, ok := exampletest.Find(acts, wantName(i, a)); !ok || !got.Equal(a.Value) {
			t.Errorf("%s = %v, %v; want %v", wantName(i, a), got, ok, a.Value)
		}
	}
}
