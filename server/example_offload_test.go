package server_test

import (
	"fmt"
	"strings"

	"github.com/spopkit/spopkit/server"
	"github.com/spopkit/spopkit/server/spoptest"
	"github.com/spopkit/spopkit/spopwire"
)

// lookup stands for blocking work: a database, an HTTP service, the disk.
func lookup(user string) bool { return strings.HasPrefix(user, "bot-") }

// Offload, answered through the fake HAProxy. A handler runs on the event loop and must not block: it copies what the
// work needs out of the request (its views end when HandleNotify returns),
// hands the work to Offload and returns. The worker writes the actions; the
// loop sends the ACK when it returns. A worker's error or panic answers
// with the error variable, as a failing HandleNotify would.
func ExampleRequest_Offload_answered() {
	handler := server.HandlerFunc(func(req *server.Request, acts *server.Actions) error {
		it := req.Messages()
		msg, _ := it.Next()
		args := msg.Args()
		a, _ := args.Next()
		user := string(a.Value.Bytes()) // a copy: the worker runs after the frame is gone
		return req.Offload(func(acts *server.Actions) error {
			acts.SetVar(spopwire.ScopeTransaction, "bot", spopwire.BoolValue(lookup(user)))
			return nil
		})
	})

	hp, err := spoptest.Dial(handler, spoptest.Options{})
	if err != nil {
		panic(err)
	}
	defer hp.Close()
	for _, user := range []string{"alice", "bot-7"} {
		acts, err := hp.Notify(spoptest.Msg("check-user", spoptest.Arg("user", spopwire.StringValue(user))))
		if err != nil {
			panic(err)
		}
		fmt.Printf("%s: %v %s.%s = %v\n", user, acts[0].Type, acts[0].Scope, acts[0].Name, acts[0].Value)
	}
	// Output:
	// alice: set-var txn.bot = BOOL false
	// bot-7: set-var txn.bot = BOOL true
}
