package server

import (
	"context"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"

	"github.com/spopkit/spopkit/server/internal/netpoll"
	"golang.org/x/sys/unix"
)

const (
	defaultEngine  = EngineEpoll
	epollAvailable = true
)

// reusePortControl sets SO_REUSEPORT on the std engine's TCP listener, so
// that a new process can bind the same port while this one drains.
var reusePortControl = netpoll.ReusePortControl

// epollEngine runs Config.Loops event loops, each locked to an OS thread with
// its own epoll instance and, for TCP, its own SO_REUSEPORT listener: the
// kernel balances connections over the loops and a connection lives on one
// loop for good, so nothing on the NOTIFY path is shared between threads.
//
// UNIX sockets (and listeners given to Serve) cannot be multiplied with
// SO_REUSEPORT (the kernel implements it for TCP and UDP only; a second bind
// to the same path fails with EADDRINUSE). They are accepted on loop 0 and
// handed round-robin to the loops through their queues. The alternative, one
// socket in every loop's epoll with EPOLLEXCLUSIVE, was measured on this
// design (TestUnixAcceptBalance: 2 loops, 1000 connections opened one
// after another with a HELLO each, as HAProxy opens them when load rises;
// three runs on a 2-vCPU VM). EPOLLEXCLUSIVE wakes the first idle waiter of
// the socket's wait queue, which is mostly the same loop: it got 737-820 of
// the 1000 connections (820 under -race). Hand-off gave exactly 500/500, for a cost of one
// queue hop and eventfd wake-up per new connection: 5.4-5.9k connections/s
// against 6.7-9.1k/s (sequential, client-bound), far above HAProxy's worst
// reconnect storms (~2k/s, haproxy-behaviour.md §4). HAProxy keeps its
// agent connections for a long time: the balance is what matters.
type epollEngine struct {
	srv   *Server
	loops []*loop
	next  atomic.Uint32 // round-robin cursor for handed-over connections

	tcpAddr  net.Addr
	unixAddr net.Addr
	unixFile socketFile   // removed when the engine stops accepting
	adopted  net.Listener // Serve's listener, closed at close
	sharedFD int          // the EPOLLEXCLUSIVE listener (measurement mode), or 0

	wg       sync.WaitGroup
	stopOnce sync.Once
}

// unixAcceptShared switches UNIX listeners to the EPOLLEXCLUSIVE design
// described on epollEngine; only the measurement test sets it.
var unixAcceptShared = false

func newEpollEngine(srv *Server) engine { return &epollEngine{srv: srv} }

func (e *epollEngine) start(ln net.Listener) (err error) {
	set := e.srv.set
	backlog := set.Backlog
	if backlog <= 0 {
		backlog = defaultBacklog
	}
	for i := range set.loops {
		l, err := newLoop(e, i)
		if err != nil {
			e.abort()
			return err
		}
		e.loops = append(e.loops, l)
	}
	defer func() {
		if err != nil {
			e.abort()
		}
	}()
	if ln != nil {
		fd, err := netpoll.DupListener(ln)
		if err != nil {
			return err
		}
		e.adopted = ln
		e.tcpAddr = ln.Addr()
		e.loops[0].addListener(fd, true)
	}
	if set.Address != "" && ln == nil {
		a, err := netpoll.ResolveTCP(set.Network, set.Address)
		if err != nil {
			return err
		}
		for i, l := range e.loops {
			fd, err := netpoll.ListenTCP(a, backlog)
			if err != nil {
				return err
			}
			if i == 0 {
				// Port 0: the kernel picked a port for the first loop;
				// the others join it through SO_REUSEPORT.
				ta, err := netpoll.BoundTCPAddr(fd)
				if err != nil {
					unix.Close(fd)
					return err
				}
				e.tcpAddr, a.Port = ta, ta.Port
			}
			if err := l.addListener(fd, false); err != nil {
				return err
			}
		}
	}
	if set.UnixPath != "" && ln == nil {
		fd, file, err := listenUnixFD(set.UnixPath, backlog, set.UnixMode, set.UnixGroup)
		if err != nil {
			return err
		}
		e.unixFile = file
		e.unixAddr = &net.UnixAddr{Name: set.UnixPath, Net: "unix"}
		if unixAcceptShared {
			for _, l := range e.loops {
				if err := l.addSharedListener(fd); err != nil {
					return err
				}
			}
		} else if err := e.loops[0].addListener(fd, true); err != nil {
			return err
		}
	}
	for _, l := range e.loops {
		e.wg.Add(1)
		go l.run()
	}
	return nil
}

// abort releases what start acquired before it failed.
func (e *epollEngine) abort() {
	for _, l := range e.loops {
		l.release()
	}
	e.loops = nil
	e.cleanup()
}

func (e *epollEngine) cleanup() {
	if e.adopted != nil {
		e.adopted.Close()
	}
	if e.sharedFD > 0 {
		unix.Close(e.sharedFD)
		e.sharedFD = 0
	}
	e.unixFile.remove()
}

func (e *epollEngine) addr() net.Addr {
	if e.tcpAddr != nil {
		return e.tcpAddr
	}
	return e.unixAddr
}

func (e *epollEngine) shards() []*shard {
	s := make([]*shard, len(e.loops))
	for i, l := range e.loops {
		s[i] = l.sh
	}
	return s
}

// handOff gives an accepted connection to the next loop in turn.
func (e *epollEngine) handOff(from *loop, fd int, remote netip.AddrPort) {
	l := e.loops[int(e.next.Add(1))%len(e.loops)]
	if l == from {
		from.addConn(fd, remote)
		return
	}
	if !l.enqueue(loopMsg{kind: msgConn, fd: fd, remote: remote}) {
		unix.Close(fd)
		e.srv.release()
	}
}

func (e *epollEngine) shutdown(ctx context.Context) error {
	// Every loop stops accepting before any says goodbye: a connection
	// accepted by a loop that has not heard of the shutdown yet would get a
	// HELLO answer after others were told to leave.
	// The socket file goes first, while the listener still listens: a
	// newer agent can bind the path at once, and never finds it stale
	// in between.
	e.unixFile.remove()
	var stopped sync.WaitGroup
	for _, l := range e.loops {
		stopped.Add(1)
		if !l.enqueue(loopMsg{kind: msgStopAccept, done: &stopped}) {
			stopped.Done()
		}
	}
	stopped.Wait()
	for _, l := range e.loops {
		l.enqueue(loopMsg{kind: msgDrain})
	}
	done := make(chan struct{})
	go func() { e.wg.Wait(); close(done) }()
	select {
	case <-done:
		e.stopOnce.Do(e.cleanup)
		return nil
	case <-ctx.Done():
		e.close()
		<-done
		return ctx.Err()
	}
}

func (e *epollEngine) close() error {
	for _, l := range e.loops {
		l.enqueue(loopMsg{kind: msgClose})
	}
	e.wg.Wait()
	e.stopOnce.Do(e.cleanup)
	return nil
}

func (e *epollEngine) wait() { e.wg.Wait() }
