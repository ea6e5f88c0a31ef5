package waf

import (
	"fmt"
	"net/netip"
	"strings"

	"github.com/spopkit/spopkit/server"
	"github.com/spopkit/spopkit/server/spoptest"
	"github.com/spopkit/spopkit/spopwire"
)

// slowHandler is a handler whose check needs blocking work.
type slowHandler struct{}

// lookupPath stands for blocking work: a database, an HTTP service, the disk.
func lookupPath(path string) bool { return strings.HasPrefix(path, "/admin") }

// CheckRequest hands the blocking lookup to the worker pool and returns at once.
func (slowHandler) CheckRequest(req *server.Request, msg CheckRequest, acts Actions) error {
	msg = msg.Clone() // the worker runs after the frame is gone: keep a copy
	return req.Offload(func(sacts *server.Actions) error {
		acts := ActionsOf(sacts)
		acts.SetTxnBlock(lookupPath(msg.Path.Or("/")))
		return nil
	})
}

// A generated handler's method offloads like any server.Handler: Clone the
// message, then write through ActionsOf in the worker.
func Example_offload() {
	hp, err := spoptest.Dial(NewDispatcher(slowHandler{}), spoptest.Options{})
	if err != nil {
		panic(err)
	}
	defer hp.Close()
	for _, path := range []string{"/", "/admin/users"} {
		acts, err := hp.Notify(spoptest.Msg("check-request",
			spoptest.Arg("src", spopwire.AddrValue(netip.MustParseAddr("192.0.2.7"))),
			spoptest.Arg("path", spopwire.StringValue(path))))
		if err != nil {
			panic(err)
		}
		fmt.Printf("%s: %v %s.%s = %v\n", path, acts[0].Type, acts[0].Scope, acts[0].Name, acts[0].Value)
	}
	// Output:
	// /: set-var txn.block = BOOL false
	// /admin/users: set-var txn.block = BOOL true
}
