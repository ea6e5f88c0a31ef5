package spoa_test

import (
	"context"
	"fmt"
	"io"

	"github.com/spopkit/spopkit/server"
	"github.com/spopkit/spopkit/spoa"
	"github.com/spopkit/spopkit/spopwire"
)

var handler = server.HandlerFunc(func(req *server.Request, acts *server.Actions) error {
	acts.SetVar(spopwire.ScopeSession, "ip_score", spopwire.Int64Value(42))
	return nil
})

// The main.go of an agent: one agent, so its name may be left out of the
// command line (score --port 12345 --metrics-addr 127.0.0.1:9912). Main
// exits the process with the command's status.
func ExampleMain() {
	spoa.Main(spoa.Agent{Name: "score", Help: "Scores clients.", Handler: handler})
}

// An agent with its own flags and a Setup that builds the handler from them,
// run for 100 ms on a free port. Run is Main without os.Args and os.Exit.
func ExampleAgent_setup() {
	var flags struct {
		Threshold int `help:"Score above which a client is blocked." default:"50"`
	}
	agent := spoa.Agent{
		Name:  "score",
		Help:  "Scores clients.",
		Flags: &flags,
		Setup: func(env *spoa.Env) (server.Handler, error) {
			fmt.Println("threshold", flags.Threshold, "on", env.Config.Address)
			return handler, nil
		},
	}
	args := []string{"--port", "0", "--runtime", "100ms", "--threshold", "80"}
	status := spoa.Run(context.Background(), args, io.Discard, io.Discard, agent)
	fmt.Println("exit status", status)
	// Output:
	// threshold 80 on 127.0.0.1:0
	// exit status 0
}
