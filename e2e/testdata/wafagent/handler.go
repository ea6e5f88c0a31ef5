// Package wafagent is a WAF-like agent generated from coraza.conf and
// haproxy.cfg, for the end-to-end test of failing closed: its handler
// returns an error for path /fail, which HAProxy must deny through
// txn.coraza.error (option set-on-error), and asks to deny path /block.
package wafagent

//go:generate go run github.com/spopkit/spopkit/cmd/spopgen generate coraza.conf -o . --package wafagent --haproxy-cfg haproxy.cfg --no-stubs

import (
	"errors"

	"github.com/spopkit/spopkit/server"
	"github.com/spopkit/spopkit/spoa"
)

// handler implements Handler. A method that returns an error sets
// txn.coraza.error to 1001 instead of its actions.
type handler struct{}

// NewAgent returns the agent for the spoa command line.
func NewAgent() spoa.Agent {
	return spoa.Agent{
		Name: "wafagent",
		Help: "WAF-like agent for the end-to-end tests.",
		Setup: func(env *spoa.Env) (server.Handler, error) {
			Configure(env.Config) // the error variable of coraza.conf, unless --error-var
			return NewDispatcher(handler{}), nil
		},
	}
}

// errInspect is what the handler fails with on /fail.
var errInspect = errors.New("wafagent: inspection failed")

// CorazaReq handles spoe-message "coraza-req".
func (handler) CorazaReq(req *server.Request, msg CorazaReq, acts Actions) error {
	app, _ := msg.App.Get()
	if app != "sample_app" {
		return errors.New("wafagent: no app name from set-var(txn.coraza.app)")
	}
	switch path, _ := msg.Path.Get(); path {
	case "/fail":
		return errInspect
	case "/block":
		acts.SetTxnAction("deny")
	}
	return nil
}
