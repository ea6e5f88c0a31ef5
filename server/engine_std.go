package server

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"sync"
	"time"

	"github.com/spopkit/spopkit/spopwire"
)

// stdEngine is the portable engine: package net, one goroutine per
// connection reading and handling frames, writes under the connection's
// mutex. It shares the protocol (Session) with the epoll engine; only the I/O
// differs. Config.Backlog and LoopCPUs do not apply to it.
type stdEngine struct {
	srv *Server
	lns []net.Listener

	mu       sync.Mutex
	conns    map[*stdConn]struct{}
	draining bool

	acceptWG sync.WaitGroup
	connWG   sync.WaitGroup
}

func newStdEngine(srv *Server) *stdEngine {
	return &stdEngine{srv: srv, conns: make(map[*stdConn]struct{})}
}

func (e *stdEngine) start(ln net.Listener) error {
	set := e.srv.set
	if ln != nil {
		e.lns = append(e.lns, ln)
	} else {
		if set.Address != "" {
			lc := net.ListenConfig{Control: reusePortControl}
			l, err := lc.Listen(context.Background(), set.Network, set.Address)
			if err != nil {
				return err
			}
			e.lns = append(e.lns, l)
		}
		if set.UnixPath != "" {
			l, err := listenUnix(set.UnixPath, set.Backlog, set.UnixMode, set.UnixGroup)
			if err != nil {
				e.closeListeners()
				return err
			}
			e.lns = append(e.lns, l)
		}
	}
	for _, l := range e.lns {
		e.acceptWG.Add(1)
		go e.accept(l)
	}
	return nil
}

func (e *stdEngine) addr() net.Addr {
	if len(e.lns) == 0 {
		return nil
	}
	return e.lns[0].Addr()
}

func (e *stdEngine) shards() []*shard { return nil }

func (e *stdEngine) closeListeners() {
	for _, l := range e.lns {
		l.Close()
	}
}

func (e *stdEngine) accept(l net.Listener) {
	defer e.acceptWG.Done()
	var backoff time.Duration
	for {
		nc, err := l.Accept()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			// EMFILE and friends: wait a little instead of spinning.
			backoff = min(max(2*backoff, 5*time.Millisecond), time.Second)
			if e.srv.set.Logger != nil {
				e.srv.set.Logger.Warn("accept failed", "err", err, "retry_in", backoff)
			}
			time.Sleep(backoff)
			continue
		}
		backoff = 0
		if !e.srv.admit() {
			nc.Close()
			sh := e.srv.shardFor(0)
			sh.c[cConnsRejected].Add(1)
			continue
		}
		c := &stdConn{e: e, nc: nc, resume: make(chan struct{}, 1)}
		var remote netip.AddrPort
		if ta, ok := nc.RemoteAddr().(*net.TCPAddr); ok {
			ap := ta.AddrPort()
			remote = netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port())
		}
		c.sess = e.srv.NewSession(remote, c.wake)
		e.mu.Lock()
		if e.draining {
			e.mu.Unlock()
			c.sess.Close()
			nc.Close()
			e.srv.release()
			continue
		}
		e.conns[c] = struct{}{}
		e.connWG.Add(1)
		e.mu.Unlock()
		go c.serve()
	}
}

func (e *stdEngine) shutdown(ctx context.Context) error {
	e.mu.Lock()
	e.draining = true
	conns := make([]*stdConn, 0, len(e.conns))
	for c := range e.conns {
		conns = append(conns, c)
	}
	e.mu.Unlock()
	e.closeListeners()
	e.acceptWG.Wait()
	for _, c := range conns {
		c.shutdown()
	}
	done := make(chan struct{})
	go func() { e.connWG.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		e.close()
		<-done
		return ctx.Err()
	}
}

func (e *stdEngine) close() error {
	e.mu.Lock()
	e.draining = true
	for c := range e.conns {
		c.nc.Close()
		c.signal()
	}
	e.mu.Unlock()
	e.closeListeners()
	return nil
}

func (e *stdEngine) wait() {
	e.acceptWG.Wait()
	e.connWG.Wait()
}

// stdConn is one connection of the std engine. Its goroutine reads and runs
// the session; offloaded completions are written by a short-lived flusher
// goroutine. mu serialises everything that touches the session and the socket
// writes, so each batch of frames still goes out in one Write.
type stdConn struct {
	e    *stdEngine
	nc   net.Conn
	sess *Session

	mu       sync.Mutex
	out      []byte
	flushing bool
	dead     bool
	resume   chan struct{} // signalled when WantRead may have turned true
}

func (c *stdConn) serve() {
	defer c.finish()
	set := c.e.srv.set
	size := min(int(set.MaxFrameSize)+4, 64<<10)
	in := make([]byte, 0, size)
	born := nanotime()
	ok := true
	for {
		c.mu.Lock()
		for !c.sess.WantRead() && !c.sess.Closing() && !c.dead {
			c.mu.Unlock()
			<-c.resume
			c.mu.Lock()
		}
		if c.dead || c.sess.Closing() {
			c.mu.Unlock()
			return
		}
		active := nanotime()
		at := c.sess.timeoutAt(born, active)
		c.mu.Unlock()
		if spopwire.HasWholeFrame(in) {
			// Frames held back by backpressure or by Receive's output bound:
			// handle them before waiting for more bytes.
			if in, ok = c.handle(in, 0); !ok {
				return
			}
			continue
		}

		var deadline time.Time
		if at != 0 {
			deadline = time.Now().Add(time.Duration(at - active))
		}
		c.nc.SetReadDeadline(deadline)
		if len(in) == cap(in) {
			// A frame longer than the buffer: its length prefix was already
			// checked against max-frame-size, so growing is bounded.
			in = append(make([]byte, 0, min(2*cap(in), int(set.MaxFrameSize)+4)), in...)
		}
		n, err := c.nc.Read(in[len(in):cap(in)])
		if n > 0 {
			if in, ok = c.handle(in[:len(in)+n], n); !ok {
				return
			}
		}
		if err != nil {
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() && c.timeout(born, active) {
				continue
			}
			return // EOF, reset, or closed by us: a normal end
		}
	}
}

// handle runs the session over in (n new bytes) and writes the output, and
// returns the unconsumed input moved to the front.
func (c *stdConn) handle(in []byte, n int) ([]byte, bool) {
	c.mu.Lock()
	c.sess.countIO(n, 0)
	m, out := c.sess.Receive(in, c.out)
	c.out = out
	ok := c.flushLocked()
	c.mu.Unlock()
	return in[:copy(in, in[m:])], ok
}

// timeout handles a read deadline: it reports whether the connection goes on
// (the session is not timed out: an idle deadline with work in progress).
func (c *stdConn) timeout(born, active int64) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.sess.timedOut(born, active, nanotime()) {
		return true
	}
	c.out = c.sess.Timeout(c.out)
	c.flushLocked()
	return false
}

// flushLocked writes the pending output in one Write and closes the socket
// once the session is closing. It reports whether the connection is still
// usable.
func (c *stdConn) flushLocked() bool {
	if c.dead {
		return false
	}
	if len(c.out) > 0 {
		n, err := c.nc.Write(c.out)
		c.sess.countIO(0, n)
		c.out = c.out[:0]
		if cap(c.out) > 256<<10 {
			c.out = nil
		}
		if err != nil {
			c.dead = true
			c.nc.Close()
			return false
		}
	}
	if c.sess.Closing() {
		c.dead = true
		c.nc.Close()
		return false
	}
	return true
}

// wake is the session's completion callback (worker goroutine).
func (c *stdConn) wake() {
	c.mu.Lock()
	start := !c.flushing
	c.flushing = true
	c.mu.Unlock()
	if start {
		go c.flushCompletions()
	}
}

func (c *stdConn) flushCompletions() {
	c.mu.Lock()
	c.flushing = false
	c.out = c.sess.Poll(c.out)
	c.flushLocked()
	c.mu.Unlock()
	c.signal()
}

func (c *stdConn) signal() {
	select {
	case c.resume <- struct{}{}:
	default:
	}
}

func (c *stdConn) shutdown() {
	c.mu.Lock()
	c.out = c.sess.Shutdown(c.out)
	c.flushLocked()
	draining := c.sess.Draining()
	c.mu.Unlock()
	c.signal()
	if draining {
		go c.drainTicks()
	}
}

// drainTicks gives a draining session its DrainTick until it says goodbye
// or the connection ends.
func (c *stdConn) drainTicks() {
	t := time.NewTicker(drainTick)
	defer t.Stop()
	for range t.C {
		c.mu.Lock()
		if c.dead || !c.sess.Draining() {
			c.mu.Unlock()
			return
		}
		c.out = c.sess.DrainTick(c.out)
		c.flushLocked()
		c.mu.Unlock()
		c.signal()
	}
}

func (c *stdConn) finish() {
	c.mu.Lock()
	c.dead = true
	c.sess.Close()
	c.mu.Unlock()
	c.nc.Close()
	c.e.srv.release()
	c.e.mu.Lock()
	delete(c.e.conns, c)
	c.e.mu.Unlock()
	c.e.connWG.Done()
}
