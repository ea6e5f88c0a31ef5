package server

import "time"

// Timers are coarse: one tick scans the loop's connections, no timer per
// connection. The tick is a quarter of the shortest timeout, between 5 ms
// and 250 ms, and drainTick while the loop drains.
func timerTick(set *settings) int64 {
	tick := int64(250 * time.Millisecond)
	for _, d := range []time.Duration{set.HelloTimeout, set.IdleTimeout} {
		if d > 0 {
			tick = min(tick, int64(d/4))
		}
	}
	return max(tick, int64(5*time.Millisecond))
}

// timers runs once per tick: hello and idle timeouts (the policy is the
// session's, see Session.timedOut), drain ticks, and closing connections
// whose peer stopped reading.
func (l *loop) timers() {
	l.nextTick = l.now + l.tick
	if l.acceptPaused && l.now >= l.resumeAccept && !l.draining {
		l.resumeAccepting()
	}
	// Backwards: closeConn moves the last connection into the freed slot.
	for i := len(l.all) - 1; i >= 0; i-- {
		c := l.all[i]
		switch {
		case c.sess.Closing():
			// Still here: its last frames wait for a peer that does not read.
			if c.closeBy == 0 {
				c.closeBy = l.now + closeLinger
			} else if l.now > c.closeBy {
				l.closeConn(c)
			}
		case c.sess.Draining():
			out, useW := l.outBuf(c)
			l.write(c, c.sess.DrainTick(out), useW)
		case c.sess.timedOut(c.born, c.lastActive, l.now):
			out, useW := l.outBuf(c)
			l.write(c, c.sess.Timeout(out), useW)
		}
	}
}

// beginDrain stops accepting and asks every connection to say goodbye.
func (l *loop) beginDrain() {
	if l.draining {
		return
	}
	l.draining = true
	l.closeListeners()
	// Draining sessions say goodbye at a quiet point (Session.Shutdown); a
	// short tick finds the connections that stay silent.
	l.tick = min(l.tick, int64(drainTick))
	l.nextTick = l.now + l.tick
	for i := len(l.all) - 1; i >= 0; i-- {
		c := l.all[i]
		out, useW := l.outBuf(c)
		l.write(c, c.sess.Shutdown(out), useW)
	}
}
