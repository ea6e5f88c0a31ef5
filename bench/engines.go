package bench

import (
	"context"
	"hash/maphash"
	"net"
	"net/netip"
	"time"

	"github.com/spopkit/spopkit/server"
	"github.com/spopkit/spopkit/spopwire"
)

func init() {
	for _, name := range []string{server.EngineEpoll, server.EngineStd} {
		agentEngines[name] = func(t Target, loops int) (agentServer, error) {
			return startServer(name, t, loops)
		}
	}
}

// spopkitServer adapts a server.Server to agentServer.
type spopkitServer struct {
	srv  *server.Server
	addr Target
}

func (s *spopkitServer) Addr() Target { return s.addr }

func (s *spopkitServer) Shutdown() {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	_ = s.srv.Shutdown(ctx)
}

// startServer runs spopkit's engine on t with the iprep-like handler.
func startServer(engine string, t Target, loops int) (agentServer, error) {
	cfg := server.Config{Engine: engine, Loops: loops, Workers: -1}
	if t.Network == "unix" {
		cfg.UnixPath = t.Address
	} else {
		cfg.Address = t.Address
	}
	srv, err := server.New(cfg, server.HandlerFunc(IPRepHandler))
	if err != nil {
		return nil, err
	}
	if err := srv.Start(); err != nil {
		return nil, err
	}
	s := &spopkitServer{srv: srv, addr: t}
	if a, ok := srv.Addr().(*net.TCPAddr); ok && t.Network == "tcp" {
		s.addr.Address = a.AddrPort().String()
	}
	return s, nil
}

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
