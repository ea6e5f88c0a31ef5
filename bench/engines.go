//go:build linux

package bench

import (
	"context"
	"net"
	"os"
	"path/filepath"
	"time"

	"github.com/spopkit/spopkit/server"
	"github.com/spopkit/spopkit/server/record"
)

// EngineRecording is the epoll engine recording every NOTIFY
// (Config.Recorder, a server/record file in a temporary directory): the
// report measures it against plain epoll for the cost of recording.
const EngineRecording = "epoll-record"

func init() {
	for _, name := range []string{server.EngineEpoll, server.EngineStd} {
		agentEngines[name] = func(t Target, loops int) (agentServer, error) {
			return startServer(name, t, loops, "")
		}
	}
	agentEngines[EngineRecording] = func(t Target, loops int) (agentServer, error) {
		dir, err := os.MkdirTemp("", "spopbench-record-")
		if err != nil {
			return nil, err
		}
		return startServer(server.EngineEpoll, t, loops, dir)
	}
}

// spopkitServer adapts a server.Server to agentServer.
type spopkitServer struct {
	srv    *server.Server
	addr   Target
	rec    *record.Writer // with EngineRecording
	recDir string
}

func (s *spopkitServer) Addr() Target { return s.addr }

func (s *spopkitServer) Shutdown() {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	_ = s.srv.Shutdown(ctx)
	if s.rec != nil {
		_ = s.rec.Close()
		_ = os.RemoveAll(s.recDir)
	}
}

// startServer runs spopkit's engine on t with the iprep-like handler,
// recording into recDir when it is set.
func startServer(engine string, t Target, loops int, recDir string) (agentServer, error) {
	cfg := server.Config{Engine: engine, Loops: loops, Workers: -1}
	var rec *record.Writer
	if recDir != "" {
		// Rotation bounds the disk: about 2 × 256 MiB whatever the rate.
		w, err := record.Create(filepath.Join(recDir, "notify.rec"), record.Options{MaxBytes: 256 << 20})
		if err != nil {
			os.RemoveAll(recDir)
			return nil, err
		}
		cfg.Recorder, rec = w, w
	}
	if t.Network == "unix" {
		cfg.UnixPath = t.Address
	} else {
		cfg.Address = t.Address
	}
	srv, err := server.New(cfg, server.HandlerFunc(IPRepHandler))
	if err == nil {
		err = srv.Start()
	}
	if err != nil {
		if rec != nil {
			rec.Close()
			os.RemoveAll(recDir)
		}
		return nil, err
	}
	s := &spopkitServer{srv: srv, addr: t, rec: rec, recDir: recDir}
	if a, ok := srv.Addr().(*net.TCPAddr); ok && t.Network == "tcp" {
		s.addr.Address = a.AddrPort().String()
	}
	return s, nil
}
