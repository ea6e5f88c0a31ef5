// Package ipscore is the sample agent of haproxytech's .NET SPOA library as
// a spopkit agent: message my-message-name carries the client address (ip=src)
// and, after a lookup that takes a while (simulated, --delay, default 1 s),
// the agent sets sess.<prefix>.ip_score to 20 for 192.168.50.1 and 10 for
// everyone else.
//
// It shows how blocking work leaves the event loop: the handler copies what
// it needs and hands the lookup to Request.Offload, so the loop goes on
// answering other NOTIFYs (of this agent and any other) in microseconds while
// lookups sleep on the worker pool.
package ipscore

//go:generate go run github.com/spopkit/spopkit/cmd/spopgen generate spoe.conf -o . --package ipscore --haproxy-cfg haproxy.cfg --no-stubs

import (
	_ "embed"
	"net/netip"
	"time"

	"github.com/spopkit/spopkit/server"
	"github.com/spopkit/spopkit/spoa"
)

// SpoeConf and HAProxyCfg are the example configuration (`spoa config ipscore`).
var (
	//go:embed spoe.conf
	SpoeConf string
	//go:embed haproxy.cfg
	HAProxyCfg string
)

// Flags are the ipscore agent's own flags.
type Flags struct {
	Delay spoa.Duration `default:"1s" placeholder:"TIME" help:"How long the simulated lookup takes (default: ${default})."`
}

// minWorkers is the worker pool the agent asks for when --workers is left at
// its default: every lookup holds a worker for --delay.
const minWorkers = 256

// NewAgent returns the ipscore agent for the spoa command line.
func NewAgent() spoa.Agent {
	flags := &Flags{}
	return spoa.Agent{
		Name:  "ipscore",
		Help:  "The .NET SPOA library's sample: a slow lookup (--delay) off the event loop sets sess.<prefix>.ip_score to 20 or 10.",
		Flags: flags,
		Setup: func(env *spoa.Env) (server.Handler, error) {
			if env.Config.Workers == 0 {
				env.Config.Workers = minWorkers
			}
			Configure(env.Config) // a failed lookup sets txn.ipscore.error, as an SPOE error does
			return NewHandler(flags.Delay.D()), nil
		},
		Files: map[string]string{"spoe.conf": SpoeConf, "haproxy.cfg": HAProxyCfg},
	}
}

// NewHandler returns the agent's server.Handler with a simulated lookup
// taking delay.
func NewHandler(delay time.Duration) server.Handler {
	return NewLookupHandler(func(ip netip.Addr) int64 {
		time.Sleep(delay) // the "lookup": a blocking call, fine on a worker
		return Score(ip)
	})
}

// NewLookupHandler returns the agent's server.Handler with lookup in place of
// the simulated one: a blocking call (a database, a remote API) that runs on
// the worker pool and returns the score to set.
func NewLookupHandler(lookup func(ip netip.Addr) int64) server.Handler {
	return NewDispatcher(handler{lookup: lookup})
}

// handler implements Handler.
type handler struct {
	lookup func(ip netip.Addr) int64
}

// special is the address the .NET sample scores 20.
var special = netip.AddrFrom4([4]byte{192, 168, 50, 1})

// Score is the result of the lookup.
func Score(ip netip.Addr) int64 {
	if ip.Unmap() == special {
		return 20
	}
	return 10
}

// MyMessageName handles spoe-message "my-message-name". The address is a
// value (netip.Addr), so the offloaded function may keep it.
func (h handler) MyMessageName(req *server.Request, msg MyMessageName, acts Actions) error {
	if err := msg.Err(); err != nil {
		return err
	}
	ip, ok := msg.IP.Get()
	if !ok {
		return nil
	}
	lookup := h.lookup
	return req.Offload(func(a *server.Actions) error {
		ActionsOf(a).SetSessIPScore(lookup(ip))
		return nil
	})
}
