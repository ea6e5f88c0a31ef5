//go:build linux

package bench

import (
	"context"
	"net"
	"time"

	"github.com/spopkit/spopkit/server"
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
