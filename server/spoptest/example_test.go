package spoptest_test

import (
	"fmt"
	"net/netip"

	"github.com/spopkit/spopkit/server"
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
