package server

import (
	"net/netip"
	"sync"
)

// The loop's queue is the only way into it from another goroutine: workers
// post finished offloaded jobs, the accepting loop hands over connections,
// and the engine sends the shutdown phases. A push rings the poller's
// eventfd, and the loop takes the whole queue at once under mu.

type msgKind uint8

const (
	msgJob        msgKind = iota // offloaded work finished
	msgConn                      // a connection handed over by the accepting loop
	msgStopAccept                // Shutdown, first phase: close the listeners
	msgDrain                     // Shutdown, second phase: drain the connections
	msgClose                     // Close: close everything now
)

type loopMsg struct {
	kind   msgKind
	fd     int
	remote netip.AddrPort
	c      *conn // msgJob: the connection whose session owns j
	j      *job
	done   *sync.WaitGroup // msgStopAccept: signalled once the listeners are closed
}

// post is the session's owner hook (see owner): a worker hands back a
// finished job, which the loop delivers on its own thread.
func (c *conn) post(j *job) {
	if !c.l.enqueue(loopMsg{kind: msgJob, c: c, j: j}) {
		c.l.srv.pool.putJob(j)
	}
}

// enqueue pushes m onto the loop's queue and rings its eventfd, once per
// batch: a producer that finds a ring pending does not write again. It
// reports false if the loop has exited.
func (l *loop) enqueue(m loopMsg) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.dead {
		return false
	}
	l.queue = append(l.queue, m)
	if !l.signaled {
		l.signaled = true
		// Under mu, so that release cannot close the eventfd in between.
		l.poll.Ring()
	}
	return true
}

// drainQueue handles the queued messages; it reports true on msgClose.
func (l *loop) drainQueue() bool {
	l.poll.Silence()
	l.mu.Lock()
	msgs := l.queue
	l.queue = l.spare[:0]
	l.signaled = false
	l.mu.Unlock()
	closing := false
	for i := range msgs {
		m := &msgs[i]
		switch m.kind {
		case msgJob:
			l.complete(m.c, m.j)
		case msgConn:
			l.addConn(m.fd, m.remote)
		case msgStopAccept:
			l.closeListeners()
			m.done.Done()
		case msgDrain:
			l.beginDrain()
		case msgClose:
			closing = true
		}
		*m = loopMsg{}
	}
	l.spare = msgs[:0]
	if closing {
		l.closeAll()
	}
	return closing
}

// complete delivers a finished offloaded job to its connection c; the
// output is written with the others of this round (flushDirty).
func (l *loop) complete(c *conn, j *job) {
	s := j.sess
	if c.closed {
		s.deliver(j, nil) // drops it, or reroutes it (async)
		return
	}
	if c.out == nil {
		c.out = l.bufs.get(len(j.buf))
	}
	c.out = s.deliver(j, c.out)
	if !c.dirty {
		c.dirty = true
		l.dirty = append(l.dirty, c)
	}
	if c.blocked {
		l.kick(c)
	}
}

func (l *loop) flushDirty() {
	for i, c := range l.dirty {
		l.dirty[i] = nil
		c.dirty = false
		l.flushOut(c)
	}
	l.dirty = l.dirty[:0]
	if len(l.again) > 0 {
		l.runAgain()
	}
}
