package server_test

import (
	"context"
	"log"
	"time"

	"github.com/spopkit/spopkit/server"
	"github.com/spopkit/spopkit/spopwire"
)

// An ip-reputation agent: one message, one argument, one variable back. The
// handler runs on the event loop; anything slow would go to req.Offload.
func Example() {
	h := server.HandlerFunc(func(req *server.Request, acts *server.Actions) error {
		it := req.Messages()
		for msg, ok := it.Next(); ok; msg, ok = it.Next() {
			if string(msg.Name) != "check-client-ip" {
				continue
			}
			args := msg.Args()
			if ip, ok := args.Next(); ok && ip.Value.Addr().IsLoopback() {
				acts.SetVar(spopwire.ScopeSession, "ip_score", spopwire.Int64Value(100))
			}
		}
		return it.Err()
	})
	srv, err := server.New(server.Config{Address: "127.0.0.1:0"}, h)
	if err != nil {
		log.Fatal(err)
	}
	if err := srv.Start(); err != nil {
		log.Fatal(err)
	}
	// ... HAProxy connects to srv.Addr() ...
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	srv.Shutdown(ctx)
	// Output:
}

// Blocking work (a database, a remote API) leaves the event loop: copy what
// the work needs, hand it to the worker pool, and write the actions there.
func ExampleRequest_Offload() {
	h := server.HandlerFunc(func(req *server.Request, acts *server.Actions) error {
		var user string
		it := req.Messages()
		for msg, ok := it.Next(); ok; msg, ok = it.Next() {
			args := msg.Args()
			if a, ok := args.Next(); ok {
				user = a.Value.StringView()
			}
		}
		user = string([]byte(user)) // a copy: the view dies when HandleNotify returns
		return req.Offload(func(acts *server.Actions) error {
			allowed := user != "" // stands for a slow lookup
			acts.SetVar(spopwire.ScopeTransaction, "allowed", spopwire.BoolValue(allowed))
			return nil
		})
	})
	_, _ = server.New(server.Config{Address: ":12345", Workers: 32, OffloadQueue: 4096}, h)
}
