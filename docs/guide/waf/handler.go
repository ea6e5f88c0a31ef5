package waf

import (
	"bytes"
	"errors"
	"strings"

	"github.com/spopkit/spopkit/server"
	"github.com/spopkit/spopkit/spoa"
)

// handler implements Handler for spoe.conf. Its methods run on the event
// loop: hand blocking work (network calls, disk) to req.Offload.
// A method that returns an error (or panics) denies nothing by itself: it sets
// txn.<var-prefix>.error (option set-on-error) to 1001 (1002 for a panic),
// as an SPOE error would, and the actions it wrote are dropped.
type handler struct{}

// NewAgent returns the agent for the spoa command line.
func NewAgent() spoa.Agent {
	return spoa.Agent{
		Name: "waf",
		Help: "Agent for spoe.conf.",
		Setup: func(env *spoa.Env) (server.Handler, error) {
			Configure(env.Config) // the error variable of the spoe.conf, unless --error-var
			return NewDispatcher(handler{}), nil
		},
	}
}

// CheckRequest handles spoe-message "check-request".
func (handler) CheckRequest(req *server.Request, msg CheckRequest, acts Actions) error {
	src, ok := msg.Src.Get()
	if !ok { // absent or NULL: no client address, refuse rather than guess
		return errors.New("check-request without a client address")
	}
	path := msg.Path.Or("/") // the default when absent or NULL
	var score int64
	if ua, ok := msg.Hdrs.Get("User-Agent"); !ok || len(ua) == 0 {
		score += 20
	}
	if bytes.Contains(msg.Body.Or(nil), []byte("<script")) {
		score += 50
	}
	acts.SetTxnScore(score)
	acts.SetTxnBlock(score >= 50 || strings.HasPrefix(path, "/admin") && !src.IsLoopback())
	return nil
}
