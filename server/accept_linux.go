package server

import (
	"net/netip"
	"time"

	"github.com/spopkit/spopkit/server/internal/netpoll"
	"golang.org/x/sys/unix"
)

type listener struct {
	fd      int
	handOff bool // accepted connections go round-robin to every loop
	shared  bool // in every loop's epoll with EPOLLEXCLUSIVE (measurement mode)
}

const (
	// maxAcceptPerEvent keeps a connection storm (HAProxy 2.x reconnects in a
	// tight loop after some errors) from starving established connections.
	maxAcceptPerEvent = 64
	// acceptPause is how long a loop out of descriptors stops accepting.
	acceptPause = int64(100 * time.Millisecond)
)

// addListener registers a listening socket with this loop (level-triggered:
// connections left in the backlog after maxAcceptPerEvent fire again).
func (l *loop) addListener(fd int, handOff bool) error {
	if err := l.poll.Add(fd, unix.EPOLLIN); err != nil {
		unix.Close(fd)
		return err
	}
	l.lns = append(l.lns, &listener{fd: fd, handOff: handOff})
	return nil
}

// addSharedListener registers a socket that every loop accepts on, with
// EPOLLEXCLUSIVE so that one connection wakes one loop, not all.
func (l *loop) addSharedListener(fd int) error {
	if err := l.poll.Add(fd, unix.EPOLLIN|unix.EPOLLEXCLUSIVE); err != nil {
		return err
	}
	l.lns = append(l.lns, &listener{fd: fd, shared: true})
	l.e.sharedFD = fd
	return nil
}

func (l *loop) listenerOf(fd int) *listener {
	for _, ln := range l.lns {
		if ln.fd == fd {
			return ln
		}
	}
	return nil
}

// accept takes new connections from a listener.
func (l *loop) accept(ln *listener) {
	for range maxAcceptPerEvent {
		fd, remote, err := netpoll.Accept(ln.fd)
		switch err {
		case nil:
		case unix.EAGAIN:
			return
		case unix.EINTR, unix.ECONNABORTED:
			continue
		case unix.EMFILE, unix.ENFILE, unix.ENOBUFS, unix.ENOMEM:
			// Out of descriptors: a level-triggered listener would fire
			// again at once, forever. Stop watching it for a while.
			if l.set.Logger != nil {
				l.set.Logger.Warn("accept paused", "loop", l.idx, "err", err)
			}
			l.pauseAccept()
			return
		default:
			if l.set.Logger != nil {
				l.set.Logger.Warn("accept failed", "loop", l.idx, "err", err)
			}
			return
		}
		if l.draining {
			unix.Close(fd)
			continue
		}
		if !l.srv.admit() {
			unix.Close(fd)
			l.t.add(cConnsRejected, 1)
			continue
		}
		if ln.handOff {
			l.e.handOff(l, fd, remote)
		} else {
			l.addConn(fd, remote)
		}
	}
}

func (l *loop) pauseAccept() {
	for _, ln := range l.lns {
		l.poll.Delete(ln.fd)
	}
	l.acceptPaused = true
	l.resumeAccept = l.now + acceptPause
}

func (l *loop) resumeAccepting() {
	l.acceptPaused = false
	for _, ln := range l.lns {
		ev := uint32(unix.EPOLLIN)
		if ln.shared {
			ev |= unix.EPOLLEXCLUSIVE
		}
		l.poll.Add(ln.fd, ev)
	}
}

// addConn starts serving an accepted connection (admitted already).
func (l *loop) addConn(fd int, remote netip.AddrPort) {
	if l.draining {
		unix.Close(fd)
		l.srv.release()
		return
	}
	if remote.IsValid() {
		// ACKs are small and latency-bound: never hold them back.
		netpoll.SetNoDelay(fd)
	}
	c := &conn{l: l, fd: fd, writable: true, born: l.now, lastActive: l.now, pos: len(l.all)}
	c.sess = l.srv.newSession(remote, c, &l.t)
	if err := l.poll.Add(fd, connEvents); err != nil {
		unix.Close(fd)
		l.srv.release()
		return
	}
	for fd >= len(l.conns) {
		l.conns = append(l.conns, make([]*conn, len(l.conns)+64)...)
	}
	l.conns[fd] = c
	l.all = append(l.all, c)
	l.t.add(cConnsOpened, 1)
}

func (l *loop) closeListeners() {
	for _, ln := range l.lns {
		if ln.shared {
			// Other loops still watch it: only leave; the engine closes it.
			l.poll.Delete(ln.fd)
		} else {
			unix.Close(ln.fd)
		}
	}
	l.lns = nil
}
