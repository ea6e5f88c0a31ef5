//go:build linux

package bench

import (
	"encoding/binary"
	"runtime"
	"sync/atomic"

	"github.com/spopkit/spopkit/spopwire"
	"golang.org/x/sys/unix"
)

// Ceiling is the minimal responder every report compares with: one raw epoll
// loop that reads the frame header only (type and the bytes of the two ids),
// answers AGENT-HELLO to a HELLO and a canned ACK — set-var sess.ip_score, ids
// echoed — to each NOTIFY, with one read per readiness event and one write per
// connection per read. It decodes no message and runs no handler: it is the
// cost of the syscalls alone.
type Ceiling struct {
	lfd, epfd int
	addr      Target
	stopping  atomic.Bool
	done      chan struct{}
	conns     []*ceilConn // indexed by fd: no map on the hot path
	hello     []byte
	bye       []byte
	actions   []byte
}

type ceilConn struct {
	pending []byte // a partial frame left by the last read; nil almost always
	unsent  []byte // output the socket did not take; EPOLLOUT is armed while non-empty
}

// NewCeiling listens on t; Serve runs the loop.
func NewCeiling(t Target) (*Ceiling, error) {
	lfd, addr, err := listen(t)
	if err != nil {
		return nil, err
	}
	epfd, err := unix.EpollCreate1(unix.EPOLL_CLOEXEC)
	if err != nil {
		unix.Close(lfd)
		return nil, errf("epoll_create1: %v", err)
	}
	if err := unix.EpollCtl(epfd, unix.EPOLL_CTL_ADD, lfd, &unix.EpollEvent{Events: unix.EPOLLIN, Fd: int32(lfd)}); err != nil {
		unix.Close(lfd)
		unix.Close(epfd)
		return nil, errf("epoll_ctl: %v", err)
	}
	return &Ceiling{
		lfd: lfd, epfd: epfd, addr: addr, done: make(chan struct{}),
		hello:   spopwire.AppendAgentHello(nil, spopwire.DefaultMaxFrameSize, spopwire.CapPipelining),
		bye:     spopwire.AppendDisconnect(nil, spopwire.FrameAgentDisconnect, spopwire.StatusNormal, ""),
		actions: spopwire.AppendSetVar(nil, spopwire.ScopeSession, "ip_score", spopwire.Int64Value(42)),
	}, nil
}

// Addr returns the address the ceiling listens on.
func (c *Ceiling) Addr() Target { return c.addr }

// Shutdown stops the loop and waits for it to close every socket.
func (c *Ceiling) Shutdown() {
	c.stopping.Store(true)
	<-c.done
}

// Serve runs the loop on the calling goroutine, locked to its OS thread, until
// Shutdown. The loop wakes at least every 50 ms to notice Shutdown.
func (c *Ceiling) Serve() {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	defer close(c.done)
	defer c.closeAll()
	events := make([]unix.EpollEvent, 256)
	in := make([]byte, 256<<10)
	out := make([]byte, 0, 256<<10)
	for !c.stopping.Load() {
		n, err := unix.EpollWait(c.epfd, events, 50)
		if err != nil {
			if err == unix.EINTR {
				continue
			}
			return
		}
		for i := range events[:n] {
			ev := &events[i]
			fd := int(ev.Fd)
			if fd == c.lfd {
				c.accept()
				continue
			}
			cc := c.conns[fd]
			if cc == nil {
				continue
			}
			if ev.Events&unix.EPOLLOUT != 0 && len(cc.unsent) > 0 {
				if !c.flush(fd, cc, nil) {
					continue
				}
			}
			if ev.Events&(unix.EPOLLIN|unix.EPOLLHUP|unix.EPOLLERR) != 0 {
				out = c.readAndAnswer(fd, cc, in, out[:0])
			}
		}
	}
}

func (c *Ceiling) accept() {
	for {
		fd, _, err := unix.Accept4(c.lfd, unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC)
		if err != nil {
			return // EAGAIN: backlog drained (or a transient error: the next event retries)
		}
		_ = unix.SetsockoptInt(fd, unix.IPPROTO_TCP, unix.TCP_NODELAY, 1) // fails harmlessly on AF_UNIX
		if err := unix.EpollCtl(c.epfd, unix.EPOLL_CTL_ADD, fd, &unix.EpollEvent{Events: unix.EPOLLIN, Fd: int32(fd)}); err != nil {
			unix.Close(fd)
			continue
		}
		for fd >= len(c.conns) {
			c.conns = append(c.conns, nil)
		}
		c.conns[fd] = &ceilConn{}
	}
}

// readAndAnswer does one read, answers every whole frame in it into out and
// writes out once.
func (c *Ceiling) readAndAnswer(fd int, cc *ceilConn, in, out []byte) []byte {
	k := copy(in, cc.pending)
	n, err := unix.Read(fd, in[k:])
	if n <= 0 {
		if err == unix.EAGAIN || err == unix.EINTR {
			return out
		}
		c.drop(fd)
		return out
	}
	b := in[:k+n]
	closeAfter := false
	for len(b) >= spopwire.LengthSize {
		l := binary.BigEndian.Uint32(b)
		if l < spopwire.MinFrameLength || l > spopwire.DefaultMaxFrameSize {
			c.drop(fd)
			return out
		}
		end := spopwire.LengthSize + int(l)
		if len(b) < end {
			break
		}
		switch spopwire.FrameType(b[4]) {
		case spopwire.FrameNotify:
			ids := b[9:end]
			idLen := varintLen(ids)
			idLen += varintLen(ids[idLen:])
			if idLen <= 0 || idLen > len(ids) {
				c.drop(fd)
				return out
			}
			frameLen := 5 + idLen + len(c.actions)
			out = append(out, byte(frameLen>>24), byte(frameLen>>16), byte(frameLen>>8), byte(frameLen),
				byte(spopwire.FrameAck), 0, 0, 0, byte(spopwire.FlagFin))
			out = append(out, ids[:idLen]...)
			out = append(out, c.actions...)
		case spopwire.FrameHAProxyHello:
			out = append(out, c.hello...)
		case spopwire.FrameHAProxyDisconnect:
			out = append(out, c.bye...)
			closeAfter = true
		}
		b = b[end:]
	}
	if len(b) > 0 {
		cc.pending = append(cc.pending[:0], b...)
	} else if cc.pending != nil {
		cc.pending = cc.pending[:0]
	}
	if len(out) > 0 && c.flush(fd, cc, out) && closeAfter {
		c.drop(fd)
	}
	return out
}

// flush writes cc.unsent, then out; what the socket does not take is kept in
// cc.unsent with EPOLLOUT armed. It returns false if the connection was dropped.
func (c *Ceiling) flush(fd int, cc *ceilConn, out []byte) bool {
	if len(cc.unsent) > 0 {
		cc.unsent = append(cc.unsent, out...)
		out = cc.unsent
	}
	for len(out) > 0 {
		n, err := unix.Write(fd, out)
		if err == unix.EINTR {
			continue
		}
		if err == unix.EAGAIN {
			break
		}
		if err != nil {
			c.drop(fd)
			return false
		}
		out = out[n:]
	}
	wasWaiting := len(cc.unsent) > 0
	cc.unsent = append(cc.unsent[:0], out...)
	if waiting := len(cc.unsent) > 0; waiting != wasWaiting {
		ev := uint32(unix.EPOLLIN)
		if waiting {
			ev |= unix.EPOLLOUT
		}
		_ = unix.EpollCtl(c.epfd, unix.EPOLL_CTL_MOD, fd, &unix.EpollEvent{Events: ev, Fd: int32(fd)})
	}
	return true
}

func (c *Ceiling) drop(fd int) {
	if fd < len(c.conns) && c.conns[fd] != nil {
		c.conns[fd] = nil
		_ = unix.EpollCtl(c.epfd, unix.EPOLL_CTL_DEL, fd, nil)
		unix.Close(fd)
	}
}

func (c *Ceiling) closeAll() {
	for fd, cc := range c.conns {
		if cc != nil {
			c.drop(fd)
		}
	}
	unix.Close(c.lfd)
	unix.Close(c.epfd)
	if c.addr.Network == "unix" {
		_ = unix.Unlink(c.addr.Address)
	}
}

// varintLen returns the length of the varint at the start of b without
// decoding it, or -1 if b ends inside it.
func varintLen(b []byte) int {
	if len(b) == 0 {
		return -1
	}
	if b[0] < 240 {
		return 1
	}
	for i := 1; i < len(b) && i < spopwire.MaxVarintLen; i++ {
		if b[i] < 128 {
			return i + 1
		}
	}
	return -1
}
