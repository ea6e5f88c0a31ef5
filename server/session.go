package server

import (
	"net/netip"

	"github.com/spopkit/spopkit/spopwire"
)

// Session is the SPOP protocol of one connection as a sans-IO state machine:
// bytes from HAProxy go in, bytes for HAProxy are appended to an output
// buffer, and the caller owns every buffer and the transport. Both engines and
// package spoptest drive their connections through it; it is exported so that
// other transports (tests, a socket handed over by a supervisor) can do the same.
//
// A Session is not safe for concurrent use: one goroutine, its owner, calls
// every method. Offloaded work finishes on worker goroutines, which only call
// the wake function given to Server.NewSession; the owner then calls Poll.
//
// The owner's loop is:
//
//	n, out = sess.Receive(in, out)   // keep in[n:] for the next call
//	write(out)                       // one write for everything Receive produced
//	if sess.Closing() { close once out is written }
//	if !sess.WantRead() { stop reading until Poll frees a slot }
//
// in[n:] is usually the start of a frame still arriving; it can also hold
// whole frames Receive held back (at the in-flight cap, or once one call
// produced 256 KiB of output): call Receive on them again, when WantRead
// allows, before waiting for more bytes.
type Session struct {
	srv   *Server
	set   *settings
	h     Handler
	walk  PayloadWalker // h, when it validates as it decodes and nothing records
	owner owner         // where offloaded work comes back (see owner)
	own   *jobQueue     // the owner of a Session made by NewSession
	t     *tally
	sh    *shard // where t is published after each call (own sessions only)

	state     sessState
	maxFrame  uint32                // negotiated (the configured value before the HELLO)
	caps      spopwire.Capabilities // negotiated
	engineKey string                // engine-id, kept for the async registry
	info      connInfo
	inflight  int  // offloaded NOTIFYs not answered yet
	heard     bool // while draining: input arrived since the last DrainTick
	answered  bool // the current Receive appended an ACK
	frags     []fragment

	// Per-NOTIFY state, reused: Request and Actions are handed to the handler
	// by pointer and must not escape it.
	req         Request
	acts        Actions
	job         *job // reserved by Request.Offload during the current call
	overloaded  bool // Request.Offload failed with ErrOverloaded during the current call
	dispatching bool
	sample      uint32 // counts NOTIFYs for latency sampling

	out []byte // the output buffer during Receive and Poll
}

// maxOutPerReceive bounds what one Receive call appends: tiny NOTIFYs can
// ask for big ACKs, and a read buffer full of them must not turn into an
// unbounded output buffer. Receive stops there and leaves the rest of the
// input for the next call, once the output is written.
const maxOutPerReceive = 256 << 10

type sessState uint8

const (
	stateHello    sessState = iota // waiting for HAPROXY-HELLO
	stateReady                     // handshake done: NOTIFYs flow
	stateDraining                  // Shutdown: still answering, disconnect at the first quiet point
	stateGoodbye                   // AGENT-DISCONNECT sent while draining: still answering what was on its way
	stateClosing                   // the output ends with the last frame: close once it is written
	stateClosed                    // the transport is gone
)

// NewSession returns the state machine for one new connection from remote (the
// zero AddrPort for a UNIX socket). wake is called on a worker goroutine each
// time offloaded work of this session completes; it must not block, and the
// owner should then call Poll. The server need not be started: a Session only
// uses its configuration, handler, worker pool and counters.
func (srv *Server) NewSession(remote netip.AddrPort, wake func()) *Session {
	q := &jobQueue{wake: wake}
	s := srv.newSession(remote, q, new(tally))
	s.own = q
	s.sh = srv.shardFor(s.info.id)
	s.t.add(cConnsOpened, 1)
	s.publish()
	return s
}

// newSession makes a session for an engine, which provides the owner hook and
// the tally (shared by a loop's sessions) and publishes the counters itself.
func (srv *Server) newSession(remote netip.AddrPort, o owner, t *tally) *Session {
	s := &Session{
		srv:      srv,
		set:      srv.set,
		h:        srv.h,
		owner:    o,
		t:        t,
		maxFrame: srv.set.MaxFrameSize,
		info:     connInfo{remote: remote, id: srv.connIDs.Add(1)},
	}
	s.req.conn = s.info
	if w, ok := srv.h.(PayloadWalker); ok && srv.set.Recorder == nil {
		// A recording holds only NOTIFYs the agent accepted, so with a
		// Recorder the session validates before it records.
		s.walk = w
	}
	if srv.pool != nil {
		s.req.offload = s.offload
	}
	return s
}

// ConnID returns the number that identifies the connection within the
// server, as Request.ConnID does.
func (s *Session) ConnID() uint64 { return s.info.id }

// Negotiated returns the max-frame-size and capabilities settled by the
// handshake (the configured size and no capability before it).
func (s *Session) Negotiated() (maxFrameSize uint32, caps spopwire.Capabilities) {
	return s.maxFrame, s.caps
}

// InFlight returns the number of offloaded NOTIFYs not answered yet.
func (s *Session) InFlight() int { return s.inflight }

// WantRead reports whether the session takes more input. It is false while
// the connection is at its in-flight cap (Config.MaxInFlight) and once the
// session is draining or closing: the transport should then stop reading the
// socket, so that a peer that does not wait for ACKs meets TCP flow control
// instead of an ever-growing buffer.
func (s *Session) WantRead() bool {
	return s.state <= stateGoodbye && s.inflight < s.set.MaxInFlight
}

// Closing reports that the output ends with the session's last frame (or that
// the session has nothing more to say): the transport closes the connection
// once the output is written.
func (s *Session) Closing() bool { return s.state >= stateClosing }

// Idle reports whether the session has no work in progress: no offloaded
// NOTIFY and no fragmented one being reassembled.
func (s *Session) Idle() bool { return s.inflight == 0 && len(s.frags) == 0 }

// Receive consumes the whole frames at the start of in, appends what they
// produce (AGENT-HELLO, ACKs, AGENT-DISCONNECT) to out, and returns how many
// bytes it consumed with the extended out. in[n:] is the beginning of a frame
// that is not complete yet (or input held back because WantRead is false):
// the caller keeps it and passes it again, followed by the next bytes read.
// Once Closing is true everything is consumed and ignored.
//
// A frame's length prefix is checked against the max-frame-size as soon as
// its 4 bytes are there, before the body is buffered.
//
// The handler runs inside Receive; everything it sees is a view into in.
func (s *Session) Receive(in, out []byte) (n int, outNew []byte) {
	s.out = out
	s.answered = false
	off, limit := 0, len(out)+maxOutPerReceive
	var f spopwire.Frame
	for off < len(in) && s.WantRead() && len(s.out) < limit {
		// The length prefix is checked against max-frame-size before the
		// body is buffered: a peer announcing a huge frame gets status 3
		// without the agent reading or allocating anything more.
		m := spopwire.ConsumeFrameInto(&f, in[off:], s.maxFrame)
		if m < 0 {
			if err := spopwire.ParseError(m); err != spopwire.ErrNeedMore {
				st := spopwire.StatusOf(err)
				s.fail(st, st.String())
			}
			break
		}
		off += m
		s.t.add(cFramesIn, 1)
		s.frame(&f)
	}
	if s.state >= stateClosing {
		off = len(in)
	}
	if off > 0 {
		s.heard = true
	}
	if s.state == stateDraining && off == len(in) && s.Idle() && (!s.set.PassiveDrain || s.answered && s.lockstep()) {
		// A quiet point: everything HAProxy sent so far is answered. Saying
		// goodbye now loses nothing that reached us; see Shutdown.
		s.sayGoodbye()
	}
	out, s.out = s.out, nil
	s.publish()
	return off, out
}

// frame handles one decoded frame.
func (s *Session) frame(f *spopwire.Frame) {
	switch f.Type {
	case spopwire.FrameHAProxyHello:
		if s.state != stateHello {
			s.fail(spopwire.StatusInvalidFrame, "HAPROXY-HELLO received twice")
			return
		}
		s.hello(f)
	case spopwire.FrameHAProxyDisconnect:
		s.haproxyDisconnect(f)
	case spopwire.FrameNotify:
		if s.state == stateHello {
			s.fail(spopwire.StatusInvalidFrame, "NOTIFY before HAPROXY-HELLO")
			return
		}
		s.notify(f)
	case spopwire.FrameUnset:
		if s.state == stateHello {
			s.fail(spopwire.StatusInvalidFrame, "fragment before HAPROXY-HELLO")
			return
		}
		s.fragment(f)
	case spopwire.FrameAgentHello, spopwire.FrameAgentDisconnect, spopwire.FrameAck:
		s.fail(spopwire.StatusInvalidFrame, "agent frame type received from HAProxy")
	default:
		// Unknown types are skipped, as HAProxy does with the agent's
		// (spop-reference.md §1.7): a future frame type must not break us.
	}
}

// haproxyDisconnect answers HAPROXY-DISCONNECT with AGENT-DISCONNECT status 0
// and closes (spop-reference.md §5.4): 2.x waits for that answer, and the
// status it sent (2 for idle, 0 for reloads) is routine, not an agent failure.
// Offloaded work still running is dropped when it completes (HAProxy ignores
// ACKs after its DISCONNECT), or rerouted with async.
func (s *Session) haproxyDisconnect(f *spopwire.Frame) {
	s.t.add(cHAProxyDisconnects, 1)
	if s.state >= stateClosing {
		return
	}
	if s.state == stateGoodbye { // our AGENT-DISCONNECT is already on its way
		s.state = stateClosing
		return
	}
	s.disconnect(spopwire.StatusNormal, "")
}

// lockstep reports whether HAProxy waits for each ACK before it sends the
// next NOTIFY on this connection: neither pipelining nor async was
// negotiated. An AGENT-DISCONNECT written right after the ACK of the NOTIFY
// it waits for then cannot cross a NOTIFY on the wire: HAProxy reads the ACK
// and the DISCONNECT before it can send again.
func (s *Session) lockstep() bool {
	return !s.caps.Has(spopwire.CapPipelining) && !s.caps.Has(spopwire.CapAsync)
}

// sayGoodbye appends AGENT-DISCONNECT status 0 for a draining session, which
// goes on answering NOTIFYs that were already on their way (see Shutdown).
func (s *Session) sayGoodbye() {
	s.out = spopwire.AppendDisconnect(s.out, spopwire.FrameAgentDisconnect, spopwire.StatusNormal, "")
	s.t.add(cFramesOut, 1)
	s.t.disconnect(spopwire.StatusNormal)
	s.state = stateGoodbye
	s.heard = false
}

// disconnect appends AGENT-DISCONNECT and makes the session closing.
func (s *Session) disconnect(st spopwire.Status, msg string) {
	s.out = spopwire.AppendDisconnect(s.out, spopwire.FrameAgentDisconnect, st, msg)
	s.t.add(cFramesOut, 1)
	s.t.disconnect(st)
	s.state = stateClosing
	s.dropFragments()
}

// fail ends the connection because of a protocol error: AGENT-DISCONNECT with
// the status, then close.
func (s *Session) fail(st spopwire.Status, reason string) {
	if s.state >= stateClosing {
		return
	}
	s.disconnect(st, reason)
	s.set.reportError(&ConnError{ConnID: s.info.id, Status: st, Reason: reason})
}

// Shutdown starts a graceful close and returns out extended. The session
// keeps reading and answering NOTIFYs, and says AGENT-DISCONNECT status 0 at
// the first quiet point: after a Receive that answered everything it was
// given with nothing offloaded in flight and no fragmented NOTIFY half
// received (Idle), or at a DrainTick that finds the session idle and nothing
// received since the previous one. Why not at once: under load HAProxy has
// NOTIFYs on the wire towards us at any moment, and each one that arrives
// after our DISCONNECT fails its request (256+status on 2.x, 257 on 3.x once
// the connection closes; haproxy-behaviour.md §5). After the goodbye the
// session still answers what arrives (HAProxy 3.x keeps the streams it had
// already started on the connection) and closes after a DrainTick with no
// input. With Config.PassiveDrain the session says goodbye only where it
// cannot race: right after the ACK HAProxy waits for on a lockstep
// connection (no pipelining, no async); otherwise it serves until HAProxy
// closes the connection. A session that never completed its handshake says
// goodbye at once. A fragmented NOTIFY being received when Shutdown is called
// is completed and answered like any other.
func (s *Session) Shutdown(out []byte) []byte {
	s.out = out
	switch {
	case s.state >= stateDraining:
	case s.state == stateHello:
		s.disconnect(spopwire.StatusNormal, "")
	default:
		s.state = stateDraining
		s.heard = false
	}
	out, s.out = s.out, nil
	s.publish()
	return out
}

// DrainTick is called periodically (every few milliseconds) by the transport
// while the session drains: a session that received nothing since the
// previous tick and has nothing in flight says AGENT-DISCONNECT.
func (s *Session) DrainTick(out []byte) []byte {
	if s.state != stateDraining && s.state != stateGoodbye {
		return out
	}
	s.out = out
	if !s.heard && s.Idle() && !s.set.PassiveDrain {
		if s.state == stateDraining {
			s.sayGoodbye()
		} else {
			// Goodbye said, and a whole tick without input: HAProxy has
			// stopped using the connection (2.x closes it itself).
			s.state = stateClosing
		}
	}
	s.heard = false
	out, s.out = s.out, nil
	s.publish()
	return out
}

// Draining reports whether Shutdown was called and the session has not said
// goodbye yet.
func (s *Session) Draining() bool { return s.state == stateDraining || s.state == stateGoodbye }

// Timeout ends the session because a timer of the transport fired (hello or
// idle timeout): AGENT-DISCONNECT status 2 "a timeout occurred", then close.
func (s *Session) Timeout(out []byte) []byte {
	s.out = out
	switch {
	case s.state == stateGoodbye:
		s.state = stateClosing
	case s.state < stateClosing:
		s.disconnect(spopwire.StatusTimeout, "")
	}
	out, s.out = s.out, nil
	s.publish()
	return out
}

// timeoutAt is when the session times out if no input arrives, or 0 for
// never: the hello timeout counts from the connection's start (born) until
// the handshake is done, then the idle timeout from the last input (active).
// Times are nanoseconds on the caller's clock (nanotime for the engines).
func (s *Session) timeoutAt(born, active int64) int64 {
	switch {
	case s.state == stateHello && s.set.HelloTimeout > 0:
		return born + int64(s.set.HelloTimeout)
	case s.state != stateHello && s.set.IdleTimeout > 0:
		return active + int64(s.set.IdleTimeout)
	}
	return 0
}

// timedOut reports whether the transport should call Timeout at now: the
// time given by timeoutAt has passed and, for the idle timeout, no work is in
// progress (an offloaded NOTIFY or a half-received fragmented one is not
// idleness). Both engines ask this, so the policy lives here once.
func (s *Session) timedOut(born, active, now int64) bool {
	at := s.timeoutAt(born, active)
	return at != 0 && now >= at && (s.state == stateHello || s.Idle())
}

// countIO adds bytes read and written by the transport to the counters.
func (s *Session) countIO(in, out int) {
	s.t.add(cBytesIn, uint64(in))
	s.t.add(cBytesOut, uint64(out))
}

// HandshakeDone reports whether the HELLO exchange completed.
func (s *Session) HandshakeDone() bool { return s.state != stateHello }

// Poll appends the ACKs of offloaded NOTIFYs that completed since the last
// call (see the wake function of NewSession) and returns the extended out. It
// applies to sessions made by NewSession; the engines deliver through their own
// queues.
func (s *Session) Poll(out []byte) []byte {
	if s.own == nil {
		return out
	}
	var buf [16]*job
	jobs := s.own.take(buf[:0])
	for _, j := range jobs {
		out = s.deliver(j, out)
	}
	s.publish()
	return out
}

// deliver appends a completed job's ACK to out, on the session's owner.
func (s *Session) deliver(j *job, out []byte) []byte {
	if !j.rerouted {
		// The session's own in-flight slot is freed whatever happens next.
		if s.state != stateClosed {
			s.inflight--
			s.t.add(cInflightDown, 1)
		}
	}
	switch {
	case s.state <= stateGoodbye:
		out = append(out, j.buf...)
		s.t.add(cAcks, 1)
		s.t.add(cFramesOut, 1)
		s.srv.pool.putJob(j)
		if s.state == stateDraining && s.Idle() && (!s.set.PassiveDrain || s.lockstep()) {
			s.out = out
			s.sayGoodbye()
			out, s.out = s.out, nil
		}
	case s.caps.Has(spopwire.CapAsync) && s.engineKey != "" && j.hops < 4 &&
		s.srv.reg.route(j, s.engineKey, s):
		// The connection is gone (or said goodbye); another connection of
		// the same HAProxy engine takes the ACK (spop-reference.md §6.2).
	default:
		s.srv.pool.putJob(j)
	}
	return out
}

// Close tells the session that its transport is gone (closed by either side,
// reset, or failed). Offloaded work still running completes into nothing, or
// into another connection of the engine with async. Close is idempotent.
func (s *Session) Close() {
	if s.state == stateClosed {
		return
	}
	if s.caps.Has(spopwire.CapAsync) && s.engineKey != "" {
		s.srv.reg.remove(s)
	}
	s.dropFragments()
	if s.inflight > 0 {
		s.t.add(cInflightDown, uint64(s.inflight))
		s.inflight = 0
	}
	s.state = stateClosed
	if s.own != nil {
		s.t.add(cConnsClosed, 1)
		s.publish()
	}
}

// publish moves the counters of a NewSession session to its shard; engine
// sessions share their loop's tally, which the loop publishes per batch.
func (s *Session) publish() {
	if s.sh != nil {
		s.t.publish(s.sh)
	}
}
