//go:build linux

package bench

import (
	"runtime"
	"time"

	"github.com/spopkit/spopkit/spopwire"
	"golang.org/x/sys/unix"
)

// LoadConfig describes one load run against an agent.
type LoadConfig struct {
	Target   Target
	Conns    int           // connections, each opened with a HAPROXY-HELLO
	Depth    int           // NOTIFYs in flight per connection (HAProxy 3.x caps it at 20)
	Payload  []byte        // NOTIFY payload
	Warmup   time.Duration // load before the measured window
	Duration time.Duration // the measured window
	// MaxAcks ends the window early after this many ACKs (0: no bound besides
	// Duration), so a run stays bounded in count as well as in time.
	MaxAcks uint64
	// Rate, when positive, makes the run open-loop: NOTIFYs are due at fixed
	// intervals (Rate per second over all connections) and latency is measured
	// from the time each was due, so a stalled agent cannot hide its stall
	// (no coordinated omission). Zero means closed-loop: each ACK releases the
	// next NOTIFY on its connection.
	Rate float64
	// OnWindow, if set, is called on the load thread when the measured window
	// opens (true) and closes (false); the report reads the agent's CPU time there.
	OnWindow func(open bool)
}

// LoadResult is what one run measured inside its window.
type LoadResult struct {
	Acks    uint64        // valid ACKs received in the window
	Elapsed time.Duration // length of the window
	Latency Histogram     // NOTIFY written (or due, open-loop) → ACK read, per ACK
	GenCPU  time.Duration // CPU time of the generator's load thread in the window
	Invalid uint64        // ACKs that failed validation (whole run)
	Lost    int           // NOTIFYs never answered within the drain timeout
	Err     error         // first validation or connection error
}

// Rate returns valid ACKs per second of the window.
func (r *LoadResult) Rate() float64 {
	if r.Elapsed <= 0 {
		return 0
	}
	return float64(r.Acks) / r.Elapsed.Seconds()
}

// OK reports whether the run is valid: no error, no bad ACK, nothing lost.
func (r *LoadResult) OK() bool { return r.Err == nil && r.Invalid == 0 && r.Lost == 0 }

// drainTimeout bounds the wait for in-flight ACKs after the window closes.
const drainTimeout = 2 * time.Second

type slot struct {
	sid  uint64 // 0 when free; stream-ids are odd, so never 0 in use
	sent int64
}

type genConn struct {
	fd       int
	in       []byte
	inLen    int
	out      []byte
	waitOut  bool // EPOLLOUT armed
	nextSID  uint64
	slots    []slot
	mask     uint64
	inflight int
	due      int64 // open-loop: when the next NOTIFY is due
}

// issue appends one NOTIFY with a fresh stream-id (odd and increasing per
// connection, frame-id 1, as HAProxy 3.x numbers them). Its slot is found from
// the id, so matching the ACK costs one index, not a map lookup.
func (c *genConn) issue(payload []byte, sent int64) {
	sid := c.nextSID
	for c.slots[(sid>>1)&c.mask].sid != 0 {
		sid += 2 // that slot still waits for a slow ACK: skip the id, never reuse one
	}
	c.nextSID = sid + 2
	s := &c.slots[(sid>>1)&c.mask]
	s.sid, s.sent = sid, sent
	b, start := spopwire.StartFrame(c.out, spopwire.FrameNotify, spopwire.FlagFin, sid, 1)
	b = append(b, payload...)
	spopwire.FinishFrame(b, start)
	c.out = b
	c.inflight++
}

// loadState is the generator's loop; every field is owned by the load thread.
type loadState struct {
	cfg      LoadConfig
	epfd     int
	conns    []*genConn
	byFD     []*genConn
	clock    time.Time
	measure  bool
	draining bool
	res      *LoadResult
	maxFrame uint32
}

func (st *loadState) now() int64 { return int64(time.Since(st.clock)) }

// Load runs one load test: it connects Conns connections, performs the
// handshake on each, keeps Depth NOTIFYs in flight (or sends at Rate), and
// validates every ACK. It runs on the calling goroutine locked to its OS
// thread; pin that thread first to keep the generator off the agent's CPU.
func Load(cfg LoadConfig) (res LoadResult) {
	if cfg.Conns < 1 || cfg.Depth < 1 {
		res.Err = errf("load: need at least one connection and one NOTIFY in flight")
		return
	}
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	st := &loadState{cfg: cfg, clock: time.Now(), res: &res, maxFrame: spopwire.DefaultMaxFrameSize}
	var err error
	if st.epfd, err = unix.EpollCreate1(unix.EPOLL_CLOEXEC); err != nil {
		res.Err = errf("epoll_create1: %v", err)
		return
	}
	defer st.closeAll()
	hello := haproxyHello()
	slots := 1
	for slots < 4*cfg.Depth {
		slots <<= 1
	}
	for range cfg.Conns {
		fd, err := handshake(cfg.Target, hello, cfg.Depth > 1)
		if err != nil {
			res.Err = err
			return
		}
		c := &genConn{fd: fd, in: make([]byte, 256<<10), out: make([]byte, 0, 64<<10),
			nextSID: 1, slots: make([]slot, slots), mask: uint64(slots - 1)}
		st.conns = append(st.conns, c)
		for fd >= len(st.byFD) {
			st.byFD = append(st.byFD, nil)
		}
		st.byFD[fd] = c
		if err := unix.SetNonblock(fd, true); err != nil {
			res.Err = errf("set nonblock: %v", err)
			return
		}
		if err := unix.EpollCtl(st.epfd, unix.EPOLL_CTL_ADD, fd, &unix.EpollEvent{Events: unix.EPOLLIN, Fd: int32(fd)}); err != nil {
			res.Err = errf("epoll_ctl: %v", err)
			return
		}
	}
	st.run()
	return
}

func (st *loadState) run() {
	cfg, res := st.cfg, st.res
	var interval int64
	t0 := st.now()
	if cfg.Rate > 0 {
		interval = int64(float64(len(st.conns)) * 1e9 / cfg.Rate)
		for i, c := range st.conns { // stagger the connections' schedules
			c.due = t0 + int64(i)*interval/int64(len(st.conns))
		}
	} else {
		for _, c := range st.conns {
			for range cfg.Depth {
				c.issue(cfg.Payload, t0)
			}
		}
	}
	open := t0 + int64(cfg.Warmup)
	shut := open + int64(cfg.Duration)
	var drainEnd int64
	var cpu0 time.Duration
	events := make([]unix.EpollEvent, 128)
	for {
		for _, c := range st.conns {
			if len(c.out) > 0 && !c.waitOut {
				if !st.flush(c) {
					return
				}
			}
		}
		timeout := 0
		t := st.now()
		switch {
		case st.draining:
			timeout = 10
		case cfg.Rate > 0:
			// Busy-poll when a NOTIFY is due within 2 ms: epoll_wait's
			// millisecond timeout would add up to 1 ms of lateness to the send.
			if next := st.nextDue(); next-t > 2e6 {
				timeout = int((next - t) / 1e6)
			}
		default:
			timeout = 10
		}
		n, err := unix.EpollWait(st.epfd, events, timeout)
		if err != nil && err != unix.EINTR {
			res.Err = errf("epoll_wait: %v", err)
			return
		}
		t = st.now()
		for i := range events[:max(n, 0)] {
			ev := &events[i]
			c := st.byFD[ev.Fd]
			if ev.Events&unix.EPOLLOUT != 0 {
				if !st.flush(c) {
					return
				}
			}
			if ev.Events&(unix.EPOLLIN|unix.EPOLLHUP|unix.EPOLLERR) != 0 {
				if !st.read(c, t) {
					return
				}
			}
		}
		if cfg.Rate > 0 && !st.draining {
			for _, c := range st.conns {
				for c.due <= t && c.inflight < cfg.Depth {
					c.issue(cfg.Payload, c.due)
					c.due += interval
				}
			}
		}
		switch {
		case !st.measure && !st.draining && t >= open:
			st.measure = true
			res.Latency.Reset()
			res.Acks = 0
			if cfg.OnWindow != nil {
				cfg.OnWindow(true)
			}
			cpu0 = threadCPU()
			t = st.now()
			open = t
			shut = t + int64(cfg.Duration)
		case st.measure && (t >= shut || (cfg.MaxAcks > 0 && res.Acks >= cfg.MaxAcks)):
			res.Elapsed = time.Duration(t - open)
			res.GenCPU = threadCPU() - cpu0
			if cfg.OnWindow != nil {
				cfg.OnWindow(false)
			}
			st.measure, st.draining = false, true
			drainEnd = t + int64(drainTimeout)
		case st.draining:
			left := 0
			for _, c := range st.conns {
				left += c.inflight
			}
			if left == 0 || t >= drainEnd {
				res.Lost = left
				if left > 0 && res.Err == nil {
					res.Err = errf("%d NOTIFYs unanswered %v after the window", left, drainTimeout)
				}
				return
			}
		}
	}
}

func (st *loadState) nextDue() int64 {
	next := st.conns[0].due
	for _, c := range st.conns[1:] {
		next = min(next, c.due)
	}
	return next
}

// read does one read and handles every whole ACK in the buffer. In closed-loop
// mode each valid ACK releases the next NOTIFY on the same connection; they
// leave together with the next flush.
func (st *loadState) read(c *genConn, t int64) bool {
	n, err := unix.Read(c.fd, c.in[c.inLen:])
	if n <= 0 {
		if err == unix.EAGAIN || err == unix.EINTR {
			return true
		}
		st.res.Err = errf("agent closed a connection (read: %v)", err)
		return false
	}
	c.inLen += n
	b := c.in[:c.inLen]
	res, cfg := st.res, &st.cfg
	for len(b) > 0 {
		f, m := spopwire.ConsumeFrame(b, st.maxFrame)
		if m < 0 {
			if spopwire.ParseError(m) == spopwire.ErrNeedMore {
				break
			}
			res.Invalid++
			st.fail(errf("agent sent a malformed frame: %v", spopwire.ParseError(m)))
			return false
		}
		b = b[m:]
		s := &c.slots[(f.StreamID>>1)&c.mask]
		if f.Type != spopwire.FrameAck || !f.Flags.Fin() || f.FrameID != 1 || s.sid != f.StreamID || f.StreamID == 0 {
			res.Invalid++
			st.fail(errf("unexpected frame %v flags=%#x ids=%d/%d (not an ACK for a NOTIFY in flight)", f.Type, uint32(f.Flags), f.StreamID, f.FrameID))
			continue
		}
		if !checkAckPayload(f.Payload) {
			res.Invalid++
			st.fail(errf("ACK %d/%d: payload is not a list of actions: % x", f.StreamID, f.FrameID, f.Payload))
		}
		if st.measure {
			res.Acks++
			res.Latency.Record(t - s.sent)
		}
		s.sid = 0
		c.inflight--
		if cfg.Rate == 0 && !st.draining {
			c.issue(cfg.Payload, t)
		}
	}
	c.inLen = copy(c.in, b)
	return true
}

func (st *loadState) fail(err error) {
	if st.res.Err == nil {
		st.res.Err = err
	}
}

// flush writes the connection's pending NOTIFYs once; what the socket does not
// take waits for EPOLLOUT.
func (st *loadState) flush(c *genConn) bool {
	n, err := unix.Write(c.fd, c.out)
	if err != nil && err != unix.EAGAIN && err != unix.EINTR {
		st.fail(errf("write: %v", err))
		return false
	}
	n = max(n, 0)
	c.out = c.out[:copy(c.out, c.out[n:])]
	if want := len(c.out) > 0; want != c.waitOut {
		c.waitOut = want
		ev := uint32(unix.EPOLLIN)
		if want {
			ev |= unix.EPOLLOUT
		}
		if err := unix.EpollCtl(st.epfd, unix.EPOLL_CTL_MOD, c.fd, &unix.EpollEvent{Events: ev, Fd: int32(c.fd)}); err != nil {
			st.fail(errf("epoll_ctl: %v", err))
			return false
		}
	}
	return true
}

func (st *loadState) closeAll() {
	for _, c := range st.conns {
		unix.Close(c.fd)
	}
	unix.Close(st.epfd)
}

// handshake dials t, sends hello and validates the AGENT-HELLO; the returned
// socket is blocking.
func handshake(t Target, hello []byte, pipelining bool) (int, error) {
	fd, err := dial(t)
	if err != nil {
		return -1, err
	}
	if err := writeAll(fd, hello); err != nil {
		unix.Close(fd)
		return -1, err
	}
	f, err := readFrame(fd, 2*time.Second)
	if err == nil {
		err = checkAgentHello(f, pipelining)
	}
	if err != nil {
		unix.Close(fd)
		return -1, err
	}
	return fd, nil
}

func writeAll(fd int, b []byte) error {
	for len(b) > 0 {
		n, err := unix.Write(fd, b)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return errf("write: %v", err)
		}
		b = b[n:]
	}
	return nil
}

// readFrame reads exactly one frame from a blocking socket, waiting at most
// timeout in total.
func readFrame(fd int, timeout time.Duration) (spopwire.Frame, error) {
	tv := unix.NsecToTimeval(int64(timeout))
	_ = unix.SetsockoptTimeval(fd, unix.SOL_SOCKET, unix.SO_RCVTIMEO, &tv)
	defer func() {
		var zero unix.Timeval
		_ = unix.SetsockoptTimeval(fd, unix.SOL_SOCKET, unix.SO_RCVTIMEO, &zero)
	}()
	buf := make([]byte, 0, 512)
	deadline := time.Now().Add(timeout)
	for {
		f, n := spopwire.ConsumeFrame(buf, spopwire.DefaultMaxFrameSize)
		if n > 0 {
			if n != len(buf) {
				return f, errf("agent sent %d bytes after its HELLO", len(buf)-n)
			}
			return f, nil
		}
		if err := spopwire.ParseError(n); err != spopwire.ErrNeedMore {
			return f, errf("reading AGENT-HELLO: %v", err)
		}
		if time.Now().After(deadline) {
			return f, errf("no AGENT-HELLO within %v", timeout)
		}
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)]
		}
		m, err := unix.Read(fd, buf[len(buf):cap(buf)])
		if err == unix.EINTR {
			continue
		}
		if err != nil || m == 0 {
			return f, errf("reading AGENT-HELLO: %v (agent closed?)", err)
		}
		buf = buf[:len(buf)+m]
	}
}

// threadCPU returns the CPU time of the calling OS thread.
func threadCPU() time.Duration {
	var ru unix.Rusage
	if unix.Getrusage(unix.RUSAGE_THREAD, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
