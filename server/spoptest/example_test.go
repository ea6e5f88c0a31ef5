package spoptest_test

import (
	"errors"
	"fmt"
	"net/netip"

	"github.com/spopkit/spopkit/server"
	"github.com/spopkit/spopkit/server/record"
	"github.com/spopkit/spopkit/server/spoptest"
	"github.com/spopkit/spopkit/spopwire"
)

func Example() {
	handler := server.HandlerFunc(func(req *server.Request, acts *server.Actions) error {
		acts.SetVar(spopwire.ScopeSession, "ip_score", spopwire.Int64Value(42))
		return nil
	})
	// In a test: hp := spoptest.New(t, handler, spoptest.Options{})
	hp, err := spoptest.Dial(handler, spoptest.Options{})
	if err != nil {
		panic(err)
	}
	defer hp.Close()
	acts, err := hp.Notify(spoptest.Msg("check-client-ip",
		spoptest.Arg("ip", spopwire.AddrValue(netip.MustParseAddr("192.0.2.1")))))
	if err != nil {
		panic(err)
	}
	for _, a := range acts {
		fmt.Printf("%v %s.%s = %v\n", a.Type, a.Scope, a.Name, a.Value)
	}
	// Output: set-var sess.ip_score = INT64 42
}

// A handler's error is answered with the error variable (Config.ErrorVar,
// here as a generated agent with "option set-on-error error" sets it), so a
// test can check that a request fails closed.
func Example_failClosed() {
	handler := server.HandlerFunc(func(req *server.Request, acts *server.Actions) error {
		return errors.New("backend unavailable")
	})
	cfg := server.Config{
		ErrorVar:      server.Var{Scope: spopwire.ScopeTransaction, Name: "error"},
		ErrorCodeBase: 1000,
	}
	hp, err := spoptest.Dial(handler, spoptest.Options{Config: cfg})
	if err != nil {
		panic(err)
	}
	defer hp.Close()
	acts, err := hp.Notify(spoptest.Msg("check-request"))
	if err != nil {
		panic(err)
	}
	for _, a := range acts {
		fmt.Printf("%v %s.%s = %v\n", a.Type, a.Scope, a.Name, a.Value)
	}
	// Output: set-var txn.error = INT64 1001
}

// ReplayRecords plays NOTIFYs (as read from a recording made with
// spoa --record, record.ReadFile) through a handler: one Exchange each.
// Replay does the same from the file, in a test.
func ExampleReplayRecords() {
	handler := server.HandlerFunc(func(req *server.Request, acts *server.Actions) error {
		acts.SetVar(spopwire.ScopeSession, "ip_score", spopwire.Int64Value(42))
		return nil
	})
	payload := spoptest.AppendMessages(nil, spoptest.Msg("check-client-ip",
		spoptest.Arg("ip", spopwire.AddrValue(netip.MustParseAddr("192.0.2.1")))))
	recs := []record.Record{
		{Kind: record.KindNotify, ConnID: 1, StreamID: 1, FrameID: 1, Payload: payload},
		{Kind: record.KindNotify, ConnID: 1, StreamID: 2, FrameID: 1, Payload: payload},
	}
	exs, err := spoptest.ReplayRecords(handler, recs, spoptest.Options{})
	if err != nil {
		panic(err)
	}
	for _, ex := range exs {
		fmt.Printf("%d %s %v %v\n", ex.Record.StreamID, ex.Actions[0].Name, ex.Actions[0].Value, ex.Err)
	}
	// Output:
	// 1 ip_score INT64 42 <nil>
	// 2 ip_score INT64 42 <nil>
}
