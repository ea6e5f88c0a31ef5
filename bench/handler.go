package bench

import (
	"hash/maphash"
	"net/netip"

	"github.com/spopkit/spopkit/server"
	"github.com/spopkit/spopkit/spopwire"
)

var scoreSeed = maphash.MakeSeed()

// IPRepHandler is the benchmark's agent logic, shaped like HAProxy's iprep
// example: walk every message and argument of the NOTIFY, take the IP
// address it carries, and answer set-var sess.<prefix>.ip_score with a score
// derived from it. It allocates nothing.
func IPRepHandler(req *server.Request, acts *server.Actions) error {
	var ip netip.Addr
	it := req.Messages()
	for msg, ok := it.Next(); ok; msg, ok = it.Next() {
		args := msg.Args()
		for a, ok := args.Next(); ok; a, ok = args.Next() {
			if t := a.Value.Type(); t == spopwire.TypeIPv4 || t == spopwire.TypeIPv6 {
				ip = a.Value.Addr()
			}
		}
	}
	if err := it.Err(); err != nil {
		return err
	}
	acts.SetVar(spopwire.ScopeSession, "ip_score", spopwire.Int64Value(ipScore(ip)))
	return nil
}

// ipScore stands in for a reputation lookup: a stable score in [0, 100).
func ipScore(ip netip.Addr) int64 {
	b := ip.As16()
	return int64(maphash.Bytes(scoreSeed, b[:]) % 100)
}
