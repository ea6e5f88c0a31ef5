package out

import (
	"github.com/spopkit/spopkit/server"
	"github.com/spopkit/spopkit/spoa"
)

// handler implements Handler for ok.conf. Its methods run on the event
// loop: hand blocking work (network calls, disk) to req.Offload.
type handler struct{}

// NewAgent returns the agent for the spoa command line.
func NewAgent() spoa.Agent {
	return spoa.Agent{
		Name:    "out",
		Help:    "Agent for ok.conf.",
		Handler: NewDispatcher(handler{}),
	}
}

// CheckIP handles spoe-message "check-ip".
func (handler) CheckIP(req *server.Request, msg CheckIP, acts Actions) error {
	// TODO: read msg's fields, then set the variables haproxy.cfg reads.
	return msg.Err()
}
