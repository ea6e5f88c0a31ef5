package server

import (
	"context"
	"errors"
	"net"
	"runtime"
	"sync"
	"sync/atomic"
)

// Server is an SPOE agent: it listens for HAProxy's SPOP connections and runs
// a Handler for every NOTIFY. Make one with New; start it with Start (returns
// at once), ListenAndServe (blocks) or Serve (on a listener of yours); stop it
// with Shutdown or Close. Every method is safe for concurrent use.
type Server struct {
	set  *settings
	h    Handler
	pool *pool
	reg  registry

	connIDs   atomic.Uint64
	conns     atomic.Int64 // open connections, for MaxConns
	ownShards []*shard     // counters of NewSession sessions and of the std engine
	fragBufs  sync.Pool

	mu      sync.Mutex
	started bool
	stopped bool
	eng     engine
	done    chan struct{} // closed when the engine has stopped
}

// engine is what runs the connections: the epoll loops or the std goroutines.
type engine interface {
	// start binds the configured listeners (or adopts ln) and starts serving
	// in the background.
	start(ln net.Listener) error
	addr() net.Addr
	// shutdown drains gracefully until ctx ends, then closes what is left.
	shutdown(ctx context.Context) error
	close() error
	// wait blocks until every loop or connection goroutine has ended.
	wait()
	shards() []*shard
}

// New returns a server for cfg and h. It validates cfg and binds nothing.
func New(cfg Config, h Handler) (*Server, error) {
	if h == nil {
		return nil, errors.New("server: nil Handler")
	}
	set, err := newSettings(cfg)
	if err != nil {
		return nil, err
	}
	srv := &Server{set: set, h: h, pool: newPool(set), done: make(chan struct{})}
	srv.ownShards = make([]*shard, runtime.GOMAXPROCS(0))
	for i := range srv.ownShards {
		srv.ownShards[i] = new(shard)
	}
	return srv, nil
}

// Start binds the listeners of the configuration and serves in the
// background. After it returns, Addr reports the bound address.
func (srv *Server) Start() error { return srv.startEngine(nil) }

// ListenAndServe is Start, then waits until the server stops. It returns
// ErrServerClosed after Shutdown or Close, or the error that prevented it from
// starting.
func (srv *Server) ListenAndServe() error {
	if err := srv.Start(); err != nil {
		return err
	}
	<-srv.done
	return ErrServerClosed
}

// Serve accepts connections on ln instead of the configured address (a
// socket inherited from a supervisor, say) and blocks until the server stops,
// returning ErrServerClosed. The epoll engine accepts on one loop and hands
// connections to the others; ln is closed when the server stops.
func (srv *Server) Serve(ln net.Listener) error {
	if err := srv.startEngine(ln); err != nil {
		return err
	}
	<-srv.done
	return ErrServerClosed
}

func (srv *Server) startEngine(ln net.Listener) error {
	srv.mu.Lock()
	defer srv.mu.Unlock()
	if srv.stopped {
		return ErrServerClosed
	}
	if srv.started {
		return ErrServerStarted
	}
	if ln == nil && srv.set.Address == "" && srv.set.UnixPath == "" {
		return errors.New("server: nothing to listen on: set Config.Address or Config.UnixPath")
	}
	var eng engine
	if srv.set.Engine == EngineStd {
		eng = newStdEngine(srv)
	} else {
		eng = newEpollEngine(srv)
	}
	if err := eng.start(ln); err != nil {
		return err
	}
	srv.eng, srv.started = eng, true
	go func() {
		eng.wait()
		close(srv.done)
	}()
	if l := srv.set.Logger; l != nil {
		a := eng.addr()
		l.Info("spop agent listening", "addr", a.Network()+":"+a.String(), "engine", srv.set.Engine)
	}
	return nil
}

// Addr returns the address the server listens on (the TCP one when there are
// both), or nil before Start. With port 0 it has the port actually bound.
func (srv *Server) Addr() net.Addr {
	srv.mu.Lock()
	defer srv.mu.Unlock()
	if srv.eng == nil {
		return nil
	}
	return srv.eng.addr()
}

// Shutdown stops the server gracefully: every listener closes first; then
// each connection goes on being served until a quiet point (everything it
// received answered, no offloaded work in flight), says AGENT-DISCONNECT
// status 0 there, answers what HAProxy still had on its way, and closes once
// HAProxy has been silent for a tick (see Session.Shutdown). Connections still
// busy when ctx ends are closed at once, and Shutdown returns ctx.Err(). With
// SO_REUSEPORT another process may already be listening on the same port to
// take over (zero-downtime restart).
func (srv *Server) Shutdown(ctx context.Context) error {
	eng := srv.stop()
	var err error
	if eng != nil {
		err = eng.shutdown(ctx)
		eng.wait()
	}
	if srv.pool != nil {
		srv.pool.stop()
	}
	return err
}

// Close stops the server at once: listeners and connections are closed
// without any frame, and offloaded work still running is abandoned.
func (srv *Server) Close() error {
	eng := srv.stop()
	var err error
	if eng != nil {
		err = eng.close()
		eng.wait()
	}
	if srv.pool != nil {
		srv.pool.stop()
	}
	return err
}

// stop marks the server stopped and returns its engine, if it was started.
func (srv *Server) stop() engine {
	srv.mu.Lock()
	defer srv.mu.Unlock()
	if !srv.stopped && !srv.started {
		close(srv.done)
	}
	srv.stopped = true
	return srv.eng
}

// Stats returns a snapshot of the server's counters.
func (srv *Server) Stats() Stats {
	shards := srv.ownShards
	srv.mu.Lock()
	if srv.eng != nil {
		shards = append(shards[:len(shards):len(shards)], srv.eng.shards()...)
	}
	srv.mu.Unlock()
	st := sumStats(shards)
	st.Loops = len(shards) - len(srv.ownShards)
	if st.Loops == 0 {
		st.Loops = len(srv.ownShards)
	}
	return st
}

func (srv *Server) shardFor(id uint64) *shard { return srv.ownShards[id%uint64(len(srv.ownShards))] }

// admit takes a connection slot under MaxConns.
func (srv *Server) admit() bool {
	if n := srv.conns.Add(1); srv.set.MaxConns > 0 && n > int64(srv.set.MaxConns) {
		srv.conns.Add(-1)
		return false
	}
	return true
}

func (srv *Server) release() { srv.conns.Add(-1) }

func (srv *Server) getFragBuf() []byte {
	if b, ok := srv.fragBufs.Get().(*[]byte); ok {
		return (*b)[:0]
	}
	return make([]byte, 0, 4096)
}

func (srv *Server) putFragBuf(b []byte) {
	if cap(b) == 0 || cap(b) > srv.set.MaxFragmentedPayload+4096 {
		return
	}
	b = b[:0]
	srv.fragBufs.Put(&b)
}
