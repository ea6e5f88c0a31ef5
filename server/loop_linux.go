package server

import (
	"net/netip"
	"runtime"
	"sync"
	"time"

	"github.com/spopkit/spopkit/spopwire"
	"golang.org/x/sys/unix"
)

// loop is one event loop of the epoll engine. Everything in it belongs to its
// goroutine (locked to an OS thread) except the fields under mu: the queue
// through which other goroutines reach it (finished offloaded work,
// connections handed over, shutdown), paired with an eventfd to wake it.
type loop struct {
	e    *epollEngine
	srv  *Server
	set  *settings
	idx  int
	epfd int
	evfd int
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

type listener struct {
	fd      int
	handOff bool // accepted connections go round-robin to every loop
	shared  bool // in every loop's epoll with EPOLLEXCLUSIVE (measurement mode)
}

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
	j      *job
	done   *sync.WaitGroup // msgStopAccept: signalled once the listeners are closed
}

// conn is one connection of a loop. in and out are borrowed from the loop's
// bufPool only while they hold bytes: the common case reads into the loop's
// rbuf, handles every frame in place and writes the ACKs from wbuf at once.
type conn struct {
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
	// maxAcceptPerEvent keeps a connection storm (HAProxy 2.x reconnects in a
	// tight loop after some errors) from starving established connections.
	maxAcceptPerEvent = 64
	epollEvents       = 256
)

// Connection events: edge-triggered, registered once with both directions,
// so the loop never calls epoll_ctl to toggle EPOLLOUT (it writes directly and
// waits for EPOLLOUT only after a short write). EPOLLRDHUP reports a peer's
// shutdown along with its last bytes.
const connEvents = unix.EPOLLIN | unix.EPOLLOUT | unix.EPOLLRDHUP | unix.EPOLLET

func newLoop(e *epollEngine, idx int) (*loop, error) {
	set := e.srv.set
	l := &loop{e: e, srv: e.srv, set: set, idx: idx, epfd: -1, evfd: -1, sh: new(shard)}
	var err error
	if l.epfd, err = unix.EpollCreate1(unix.EPOLL_CLOEXEC); err != nil {
		return nil, newSyscallError("epoll_create1", err)
	}
	// eventfd is the loop's doorbell: a counter that becomes readable when
	// another goroutine writes to it, so a queue push can end epoll_wait.
	if l.evfd, err = unix.Eventfd(0, unix.EFD_NONBLOCK|unix.EFD_CLOEXEC); err != nil {
		unix.Close(l.epfd)
		return nil, newSyscallError("eventfd", err)
	}
	if err := l.ctl(unix.EPOLL_CTL_ADD, l.evfd, unix.EPOLLIN); err != nil {
		l.release()
		return nil, err
	}
	size := max(64<<10, 2*(int(set.MaxFrameSize)+4))
	l.rbuf = make([]byte, size)
	l.wbuf = make([]byte, 0, 64<<10)
	l.events = make([]unix.EpollEvent, epollEvents)
	l.tick = int64(250 * time.Millisecond)
	for _, d := range []time.Duration{set.HelloTimeout, set.IdleTimeout} {
		if d > 0 {
			l.tick = min(l.tick, int64(d/4))
		}
	}
	l.tick = max(l.tick, int64(5*time.Millisecond))
	return l, nil
}

func (l *loop) ctl(op, fd int, events uint32) error {
	ev := unix.EpollEvent{Events: events, Fd: int32(fd)}
	if err := unix.EpollCtl(l.epfd, op, fd, &ev); err != nil {
		return newSyscallError("epoll_ctl", err)
	}
	return nil
}

// addListener registers a listening socket with this loop (level-triggered:
// connections left in the backlog after maxAcceptPerEvent fire again).
func (l *loop) addListener(fd int, handOff bool) error {
	if err := l.ctl(unix.EPOLL_CTL_ADD, fd, unix.EPOLLIN); err != nil {
		unix.Close(fd)
		return err
	}
	l.lns = append(l.lns, &listener{fd: fd, handOff: handOff})
	return nil
}

// addSharedListener registers a socket that every loop accepts on, with
// EPOLLEXCLUSIVE so that one connection wakes one loop, not all.
func (l *loop) addSharedListener(fd int) error {
	if err := l.ctl(unix.EPOLL_CTL_ADD, fd, unix.EPOLLIN|unix.EPOLLEXCLUSIVE); err != nil {
		return err
	}
	l.lns = append(l.lns, &listener{fd: fd, shared: true})
	l.e.sharedFD = fd
	return nil
}

func (l *loop) run() {
	defer l.e.wg.Done()
	// The loop owns its thread: its epoll instance, its buffers and its
	// connections stay hot in one core's caches, and LoopCPUs can pin it.
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
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
		// Poll first: under load there is nearly always something ready,
		// and the non-blocking call skips the runtime's blocking-syscall
		// hand-off; only an empty poll pays for a blocking wait.
		n, err := epollWait(l.epfd, l.events, 0)
		if timeout := l.waitTimeout(); err == nil && n == 0 && timeout != 0 {
			n, err = epollWait(l.epfd, l.events, timeout)
		}
		if err != nil && err != unix.EINTR {
			if l.set.Logger != nil {
				l.set.Logger.Error("epoll_wait failed; loop stops", "loop", l.idx, "err", err)
			}
			return
		}
		l.now = nanotime()
		wake := false
		for i := range n {
			ev := &l.events[i]
			fd := int(ev.Fd)
			if fd == l.evfd {
				wake = true
				continue
			}
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
		if wake && l.drainQueue() {
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

// waitTimeout is the epoll_wait timeout: 0 when connections still have
// input to handle, else until the next timer tick. Timers are coarse: one
// tick scans the loop's connections, no timer per connection.
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

func (l *loop) listenerOf(fd int) *listener {
	for _, ln := range l.lns {
		if ln.fd == fd {
			return ln
		}
	}
	return nil
}

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
				nb := l.bufs.get(max(2*len(c.in), int(c.sess.maxFrame)+4))
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
		n, err := rawRead(c.fd, b)
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
	n, err := rawWrite(c.fd, out)
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

// post implements poster: a worker hands back a finished job.
func (l *loop) post(j *job) {
	if !l.enqueue(loopMsg{kind: msgJob, j: j}) {
		l.srv.pool.putJob(j)
	}
}

var eventfdOne = [8]byte{1} // little-endian uint64 1

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
		// Under mu, so that release cannot close evfd in between.
		unix.Write(l.evfd, eventfdOne[:])
	}
	return true
}

// drainQueue handles the queued messages; it reports true on msgClose.
func (l *loop) drainQueue() bool {
	var b [8]byte
	// Reset the eventfd counter before taking the queue: a push after the
	// take rings again and is seen on the next round.
	unix.Read(l.evfd, b[:])
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
			l.complete(m.j)
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

// complete delivers a finished offloaded job to its connection.
func (l *loop) complete(j *job) {
	s := j.sess
	c, _ := s.ext.(*conn)
	if c == nil || c.closed {
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

// accept takes new connections from a listener.
func (l *loop) accept(ln *listener) {
	for range maxAcceptPerEvent {
		fd, sa, err := unix.Accept4(ln.fd, unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC)
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
		remote := sockaddrAddrPort(sa)
		if ln.handOff {
			l.e.handOff(l, fd, remote)
		} else {
			l.addConn(fd, remote)
		}
	}
}

func (l *loop) pauseAccept() {
	for _, ln := range l.lns {
		unix.EpollCtl(l.epfd, unix.EPOLL_CTL_DEL, ln.fd, nil)
	}
	l.acceptPaused = true
	l.resumeAccept = l.now + int64(100*time.Millisecond)
}

func (l *loop) resumeAccepting() {
	l.acceptPaused = false
	for _, ln := range l.lns {
		ev := uint32(unix.EPOLLIN)
		if ln.shared {
			ev |= unix.EPOLLEXCLUSIVE
		}
		l.ctl(unix.EPOLL_CTL_ADD, ln.fd, ev)
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
		unix.SetsockoptInt(fd, unix.IPPROTO_TCP, unix.TCP_NODELAY, 1)
	}
	c := &conn{fd: fd, writable: true, born: l.now, lastActive: l.now, pos: len(l.all)}
	c.sess = l.srv.newSession(remote, l, &l.t)
	c.sess.ext = c
	if err := l.ctl(unix.EPOLL_CTL_ADD, fd, connEvents); err != nil {
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

// timers runs once per tick: hello and idle timeouts, and closing
// connections whose peer stopped reading.
func (l *loop) timers() {
	l.nextTick = l.now + l.tick
	if l.acceptPaused && l.now >= l.resumeAccept && !l.draining {
		l.resumeAccepting()
	}
	hello, idle := int64(l.set.HelloTimeout), int64(l.set.IdleTimeout)
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
			l.drainTick(c)
		case !c.sess.HandshakeDone():
			if hello > 0 && l.now-c.born > hello {
				l.timeout(c)
			}
		case idle > 0 && c.sess.Idle() && l.now-c.lastActive > idle:
			l.timeout(c)
		}
	}
}

func (l *loop) drainTick(c *conn) {
	out, useW := l.outBuf(c)
	l.write(c, c.sess.DrainTick(out), useW)
}

func (l *loop) timeout(c *conn) {
	out, useW := l.outBuf(c)
	l.write(c, c.sess.Timeout(out), useW)
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

func (l *loop) closeListeners() {
	for _, ln := range l.lns {
		if ln.shared {
			// Other loops still watch it: only leave; the engine closes it.
			unix.EpollCtl(l.epfd, unix.EPOLL_CTL_DEL, ln.fd, nil)
		} else {
			unix.Close(ln.fd)
		}
	}
	l.lns = nil
}

func (l *loop) closeAll() {
	l.closeListeners()
	for i := len(l.all) - 1; i >= 0; i-- {
		l.closeConn(l.all[i])
	}
}

// release frees the loop's resources when it exits (or failed to start).
func (l *loop) release() {
	l.closeAll()
	l.t.publish(l.sh)
	if l.epfd >= 0 {
		unix.Close(l.epfd)
		l.epfd = -1
	}
	l.mu.Lock()
	l.dead = true
	if l.evfd >= 0 {
		unix.Close(l.evfd)
		l.evfd = -1
	}
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
