package server

import (
	"time"

	"github.com/spopkit/spopkit/server/internal/netpoll"
	"github.com/spopkit/spopkit/spopwire"
	"golang.org/x/sys/unix"
)

// conn is one connection of a loop. in and out are borrowed from the loop's
// bufPool only while they hold bytes: the common case reads into the loop's
// rbuf, handles every frame in place and writes the ACKs from wbuf at once.
type conn struct {
	l    *loop
	fd   int
	pos  int // index in loop.all
	sess *Session
	in   []byte // input not consumed yet: a partial frame, or frames held back
	out  []byte // output not written yet (the socket was full)

	// With edge-triggered epoll an event says "something changed", once:
	// readable remembers that the socket may still hold bytes, because the
	// last read filled the buffer or was not attempted (backpressure). No
	// new edge would come for them.
	readable bool
	writable bool // false after a short write, until EPOLLOUT
	hup      bool // the peer shut its side: read until EOF
	blocked  bool // not read because of backpressure; kick when it clears
	queued   bool // in loop.again
	dirty    bool // in loop.dirty
	closed   bool

	born       int64
	lastActive int64
	closeBy    int64 // closing with unwritten output: give up at this time
}

const (
	// outHighWater stops reading a connection whose unwritten output
	// exceeds it: HAProxy is not reading our ACKs, so do not read its NOTIFYs.
	outHighWater = 256 << 10
	// smallLeftover: a partial frame up to this size is copied in front of
	// the next read into rbuf; a bigger one gets its own buffer to read into,
	// so that a large frame arriving in many segments is not copied again
	// and again.
	smallLeftover = 2048
	// closeLinger bounds how long a closing connection may wait for the peer
	// to read its last frames.
	closeLinger = int64(5 * time.Second)
)

// Connection events: edge-triggered, registered once with both directions,
// so the loop never calls epoll_ctl to toggle EPOLLOUT (it writes directly and
// waits for EPOLLOUT only after a short write). EPOLLRDHUP reports a peer's
// shutdown along with its last bytes.
const connEvents = unix.EPOLLIN | unix.EPOLLOUT | unix.EPOLLRDHUP | unix.EPOLLET

// event handles the readiness of a connection.
func (l *loop) event(c *conn, ev uint32) {
	if ev&(unix.EPOLLIN|unix.EPOLLRDHUP|unix.EPOLLHUP|unix.EPOLLERR) != 0 {
		c.readable = true
		if ev&(unix.EPOLLRDHUP|unix.EPOLLHUP|unix.EPOLLERR) != 0 {
			c.hup = true
		}
	}
	if ev&unix.EPOLLOUT != 0 && !c.writable {
		c.writable = true
		l.flushOut(c)
	}
	if !c.closed {
		l.read(c)
	}
}

// read reads once from c, handles the frames and writes the answers once.
//
// One read per readiness event, then the next connection: with
// edge-triggered epoll, reading one busy connection until EAGAIN would starve
// the others. A connection whose read filled the buffer goes to the "again"
// list, served after everyone else in this round, and epoll_wait does not
// block while that list is not empty.
func (l *loop) read(c *conn) {
	if !c.sess.WantRead() || len(c.out) > outHighWater {
		c.blocked = true
		return
	}
	c.blocked = false
	var (
		data  []byte
		n     int
		eof   bool
		fromR = true
		// Frames held back (at the in-flight cap, or by Receive's output
		// bound) are handled before anything more is read: c.in then never
		// holds more than one read's worth.
		doRead = c.readable && !spopwire.HasWholeFrame(c.in)
	)
	switch {
	case len(c.in) == 0:
		if !doRead {
			return
		}
		n, eof = l.sysRead(c, l.rbuf)
		data = l.rbuf[:n]
	case len(c.in) <= smallLeftover:
		k := copy(l.rbuf, c.in)
		l.bufs.put(c.in)
		c.in = nil
		if doRead {
			n, eof = l.sysRead(c, l.rbuf[k:])
		}
		data = l.rbuf[:k+n]
	default:
		fromR = false
		if doRead {
			if cap(c.in)-len(c.in) < 4096 {
				maxFrame, _ := c.sess.Negotiated()
				nb := l.bufs.get(max(2*len(c.in), int(maxFrame)+4))
				l.bufs.put(c.in)
				c.in = append(nb, c.in...)
			}
			n, eof = l.sysRead(c, c.in[len(c.in):cap(c.in)])
		}
		data = c.in[:len(c.in)+n]
	}
	if n > 0 {
		l.t.add(cBytesIn, uint64(n))
		c.lastActive = l.now
	}
	if len(data) > 0 {
		l.process(c, data, fromR)
	}
	if c.closed {
		return
	}
	if eof {
		// The peer closed (or reset) the connection: what it sent before has
		// been answered as far as the socket takes it. 3.x closes without
		// DISCONNECT routinely; that is a normal end (ref §5.4).
		l.closeConn(c)
		return
	}
	if !c.queued && (c.readable || spopwire.HasWholeFrame(c.in)) {
		c.queued = true
		l.again = append(l.again, c)
	}
}

// sysRead reads into b. It reports eof for an orderly or abortive close.
func (l *loop) sysRead(c *conn, b []byte) (int, bool) {
	for {
		n, err := netpoll.Read(c.fd, b)
		switch {
		case err == nil && n > 0:
			// A short read drained the socket: no more bytes until the next
			// edge. A full one may have left some: read again later. After
			// RDHUP, keep reading until EOF, which no edge would announce.
			if n < len(b) && !c.hup {
				c.readable = false
			}
			return n, false
		case err == nil:
			c.readable = false
			return 0, true
		case err == unix.EAGAIN:
			c.readable = false
			return 0, false
		case err == unix.EINTR:
			continue
		}
		c.readable = false
		return 0, true // ECONNRESET and the like
	}
}

// process runs the session over data and writes its output. data is either
// the loop's rbuf (fromR) or c.in.
func (l *loop) process(c *conn, data []byte, fromR bool) {
	out, useW := l.outBuf(c)
	m, out := c.sess.Receive(data, out)
	rest := data[m:]
	if fromR {
		if len(rest) > 0 {
			c.in = append(l.bufs.get(len(rest)), rest...)
		}
	} else if len(rest) == 0 {
		l.bufs.put(c.in)
		c.in = nil
	} else {
		c.in = c.in[:copy(c.in, rest)]
	}
	if useW {
		if cap(out) > cap(l.wbuf) && cap(out) <= 1<<20 {
			l.wbuf = out[:0]
		}
		l.write(c, out, true)
	} else {
		c.out = out
		l.write(c, out, false)
	}
}

// outBuf returns where to append c's next output: after its pending output,
// or else in the loop's shared write buffer (fromW), which write copies out
// of only if the socket cannot take it all.
func (l *loop) outBuf(c *conn) (out []byte, fromW bool) {
	if len(c.out) > 0 {
		return c.out, false
	}
	return l.wbuf[:0], true
}

// write writes out in one call. out is the loop's wbuf (fromW) or c.out;
// what the socket does not take is kept in c.out until EPOLLOUT.
func (l *loop) write(c *conn, out []byte, fromW bool) {
	if len(out) == 0 {
		if !fromW {
			l.bufs.put(c.out)
			c.out = nil
		}
		if c.sess.Closing() {
			l.closeConn(c)
		}
		return
	}
	if !c.writable {
		if fromW {
			c.out = append(l.bufs.get(len(out)), out...)
		}
		return
	}
	n, err := netpoll.Write(c.fd, out)
	if err != nil && err != unix.EAGAIN {
		// EPIPE, ECONNRESET: the peer is gone, a normal end (3.x resets
		// its connections at stop, ref §5.2).
		l.closeConn(c)
		return
	}
	n = max(n, 0)
	l.t.add(cBytesOut, uint64(n))
	if n < len(out) {
		c.writable = false
		rest := out[n:]
		if fromW {
			c.out = append(l.bufs.get(len(rest)), rest...)
		} else {
			c.out = c.out[:copy(c.out, rest)]
		}
		return
	}
	if !fromW {
		l.bufs.put(c.out)
		c.out = nil
	}
	if c.sess.Closing() {
		l.closeConn(c)
	}
}

// flushOut writes c.out, and lets c read again if its output was the reason
// it stopped.
func (l *loop) flushOut(c *conn) {
	if c.closed {
		return
	}
	l.write(c, c.out, false)
	if !c.closed && c.blocked {
		l.kick(c)
	}
}

// kick schedules c to be read (and its held-back input handled) this round.
func (l *loop) kick(c *conn) {
	if !c.closed && !c.queued {
		c.queued = true
		l.again = append(l.again, c)
	}
}

func (l *loop) runAgain() {
	if len(l.again) == 0 {
		return
	}
	list := l.again
	l.again = l.spareA[:0]
	for i, c := range list {
		list[i] = nil
		c.queued = false
		if !c.closed {
			l.read(c)
		}
	}
	l.spareA = list[:0]
}

// closeConn closes c; the session drops or reroutes its pending work.
func (l *loop) closeConn(c *conn) {
	if c.closed {
		return
	}
	c.closed = true
	l.conns[c.fd] = nil
	// Closing the descriptor also removes it from the epoll set (it is
	// never duplicated), so no epoll_ctl call is needed.
	unix.Close(c.fd)
	last := l.all[len(l.all)-1]
	l.all[c.pos] = last
	last.pos = c.pos
	l.all[len(l.all)-1] = nil
	l.all = l.all[:len(l.all)-1]
	c.sess.Close()
	l.bufs.put(c.in)
	l.bufs.put(c.out)
	c.in, c.out = nil, nil
	l.t.add(cConnsClosed, 1)
	l.srv.release()
}
