package server

import (
	"runtime"
	"sync"
	"time"

	"github.com/spopkit/spopkit/server/internal/netpoll"
	"golang.org/x/sys/unix"
)

// loop is one event loop of the epoll engine. Everything in it belongs to its
// goroutine (locked to an OS thread) except the fields under mu: the queue
// through which other goroutines reach it (finished offloaded work,
// connections handed over, shutdown), paired with the poller's eventfd to
// wake it (queue_linux.go).
//
// The loop's concerns live in one file each: this one polls and dispatches
// events; conn_linux.go reads, writes and closes connections;
// accept_linux.go takes new ones; timer_linux.go runs the timeouts and the
// drain; queue_linux.go is the way in from other goroutines.
type loop struct {
	e    *epollEngine
	srv  *Server
	set  *settings
	idx  int
	poll netpoll.Poller
	lns  []*listener

	conns  []*conn // indexed by fd: no map on the hot path
	all    []*conn // every open connection, for timers and shutdown
	events []unix.EpollEvent
	rbuf   []byte // the read buffer shared by the loop's connections
	wbuf   []byte // the output buffer shared by the loop's connections
	again  []*conn
	spareA []*conn
	dirty  []*conn
	bufs   bufPool
	t      tally
	sh     *shard

	now          int64
	tick         int64
	nextTick     int64
	draining     bool
	acceptPaused bool
	resumeAccept int64

	mu       sync.Mutex
	queue    []loopMsg
	spare    []loopMsg
	signaled bool // an eventfd write is pending: later producers need not write
	dead     bool // the loop has exited: the queue is closed
}

const epollEvents = 256

func newLoop(e *epollEngine, idx int) (*loop, error) {
	set := e.srv.set
	p, err := netpoll.Open()
	if err != nil {
		return nil, err
	}
	l := &loop{e: e, srv: e.srv, set: set, idx: idx, poll: p, sh: new(shard)}
	size := max(64<<10, 2*(int(set.MaxFrameSize)+4))
	l.rbuf = make([]byte, size)
	l.wbuf = make([]byte, 0, 64<<10)
	l.events = make([]unix.EpollEvent, epollEvents)
	l.tick = timerTick(set)
	return l, nil
}

func (l *loop) run() {
	defer l.e.wg.Done()
	// The loop owns its thread: its epoll instance, its buffers and its
	// connections stay hot in one core's caches, and LoopCPUs can pin it.
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	reserveP()
	defer releaseP()
	if cpus := l.set.LoopCPUs; len(cpus) > 0 {
		var cs unix.CPUSet
		cs.Set(cpus[l.idx%len(cpus)])
		if err := unix.SchedSetaffinity(0, &cs); err != nil && l.set.Logger != nil {
			l.set.Logger.Warn("cannot pin event loop", "loop", l.idx, "err", err)
		}
	}
	defer l.release()
	l.now = nanotime()
	l.nextTick = l.now + l.tick
	for {
		// One epoll_wait per turn, blocking or not: the wait is a raw
		// syscall that keeps the loop's P (see reserveP), so there is no
		// scheduler hand-off to dodge by polling first.
		n, err := l.poll.Wait(l.events, l.waitTimeout())
		if err != nil && err != unix.EINTR {
			if l.set.Logger != nil {
				l.set.Logger.Error("epoll_wait failed; loop stops", "loop", l.idx, "err", err)
			}
			return
		}
		l.now = nanotime()
		if l.dispatch(n) && l.drainQueue() {
			return
		}
		l.flushDirty()
		if l.now >= l.nextTick {
			l.timers()
		}
		l.t.publish(l.sh)
		if l.draining && len(l.all) == 0 {
			return
		}
	}
}

// dispatch handles the n events of a poll, then the connections that still
// have input (runAgain). It reports whether the doorbell rang.
func (l *loop) dispatch(n int) (rang bool) {
	for i := range n {
		ev := &l.events[i]
		if l.poll.IsBell(ev) {
			rang = true
			continue
		}
		fd := int(ev.Fd)
		if fd < len(l.conns) {
			if c := l.conns[fd]; c != nil {
				l.event(c, ev.Events)
				continue
			}
		}
		if ln := l.listenerOf(fd); ln != nil {
			l.accept(ln)
		}
	}
	l.runAgain()
	return rang
}

// waitTimeout is the epoll_wait timeout: 0 when connections still have
// input to handle, else until the next timer tick.
func (l *loop) waitTimeout() int {
	if len(l.again) > 0 {
		return 0
	}
	d := l.nextTick - nanotime()
	if d <= 0 {
		return 0
	}
	return int((d + int64(time.Millisecond) - 1) / int64(time.Millisecond))
}

func (l *loop) closeAll() {
	l.closeListeners()
	for i := len(l.all) - 1; i >= 0; i-- {
		l.closeConn(l.all[i])
	}
}

// release frees the loop's resources when it exits (or failed to start),
// and settles what is still queued for it.
func (l *loop) release() {
	l.closeAll()
	l.t.publish(l.sh)
	l.mu.Lock()
	l.dead = true
	// Under mu, so that enqueue cannot ring a closed eventfd.
	l.poll.Close()
	msgs := l.queue
	l.queue = nil
	l.mu.Unlock()
	for _, m := range msgs {
		switch m.kind {
		case msgJob:
			m.j.sess.deliver(m.j, nil)
		case msgConn:
			unix.Close(m.fd)
			l.srv.release()
		case msgStopAccept:
			m.done.Done()
		}
	}
}
