// Package iprep is HAProxy's spoa-example as a spopkit agent: for every new
// client session HAProxy sends the client address in message check-client-ip,
// and the agent answers with sess.iprep.ip_score, an integer from 0 to 100.
// The score is random, as in the original; with --seed it is a fixed function
// of the seed and the address, so runs are repeatable.
//
// spoe.go is generated from spoe.conf (named argument ip=src); the handler
// also accepts HAProxy's original `args src` (an unnamed argument) by reading
// the message's first argument when no argument is named ip.
package iprep

//go:generate go run github.com/spopkit/spopkit/cmd/spopgen generate spoe.conf -o . --package iprep --haproxy-cfg haproxy.cfg --no-stubs

import (
	_ "embed"
	"math/rand/v2"
	"net/netip"

	"github.com/spopkit/spopkit/server"
	"github.com/spopkit/spopkit/spoa"
	"github.com/spopkit/spopkit/spoa/arg"
)

// SpoeConf and HAProxyCfg are the example configuration, printed by
// `spoa config iprep`.
var (
	//go:embed spoe.conf
	SpoeConf string
	//go:embed haproxy.cfg
	HAProxyCfg string
)

// Flags are the iprep agent's own flags.
type Flags struct {
	Seed uint64 `placeholder:"N" help:"Make scores repeatable: with a non-zero seed, the score of an address depends only on the seed and the address."`
}

// Scorer gives an address its score, 0 to 100. It is safe for concurrent use.
type Scorer struct {
	seed uint64
}

// NewScorer returns a scorer: random when seed is 0, a fixed function of the
// seed and the address otherwise.
func NewScorer(seed uint64) Scorer { return Scorer{seed: seed} }

// Score returns the score of addr.
func (s Scorer) Score(addr netip.Addr) int64 {
	if s.seed == 0 {
		return int64(rand.IntN(101))
	}
	return int64(mix(s.seed, addr.As16()) % 101)
}

// mix is a splitmix64-style hash of the seed and the address: stable across
// processes and platforms, unlike maphash.
func mix(seed uint64, b [16]byte) uint64 {
	h := seed
	for i := 0; i < 16; i += 8 {
		var w uint64
		for j := 0; j < 8; j++ {
			w = w<<8 | uint64(b[i+j])
		}
		h ^= w
		h += 0x9e3779b97f4a7c15
		h = (h ^ h>>30) * 0xbf58476d1ce4e5b9
		h = (h ^ h>>27) * 0x94d049bb133111eb
		h ^= h >> 31
	}
	return h
}

// handler implements Handler.
type handler struct {
	scorer Scorer
}

// NewAgent returns the iprep agent for the spoa command line.
func NewAgent() spoa.Agent {
	flags := &Flags{}
	return spoa.Agent{
		Name:  "iprep",
		Help:  "HAProxy's spoa-example: sets sess.<prefix>.ip_score to a score from 0 to 100 for the client address.",
		Flags: flags,
		Setup: func(env *spoa.Env) (server.Handler, error) {
			Configure(env.Config) // a failed NOTIFY sets txn.iprep.error, as an SPOE error does
			return NewHandler(flags.Seed), nil
		},
		Files: map[string]string{"spoe.conf": SpoeConf, "haproxy.cfg": HAProxyCfg},
	}
}

// NewHandler returns the agent's server.Handler; seed 0 means random scores.
func NewHandler(seed uint64) server.Handler {
	return NewDispatcher(handler{scorer: NewScorer(seed)})
}

// CheckClientIP handles spoe-message "check-client-ip".
func (h handler) CheckClientIP(req *server.Request, msg CheckClientIP, acts Actions) error {
	if msg.IP.State() == arg.Absent {
		msg.IP = firstUnnamedAddr(req)
	}
	if err := msg.Err(); err != nil {
		return err
	}
	ip, ok := msg.IP.Get()
	if !ok {
		return nil // no address (a UNIX-socket client): no score
	}
	acts.SetSessIPScore(h.scorer.Score(ip))
	return nil
}

// firstUnnamedAddr reads the first argument of check-client-ip when it has
// no name: HAProxy's original configuration says `args src`.
func firstUnnamedAddr(req *server.Request) arg.Addr {
	var a arg.Addr
	it := req.Messages()
	for m, ok := it.Next(); ok; m, ok = it.Next() {
		if string(m.Name) != "check-client-ip" {
			continue
		}
		args := m.Args()
		if first, ok := args.Next(); ok && len(first.Name) == 0 {
			a.Set(first.Value)
		}
		break
	}
	return a
}
