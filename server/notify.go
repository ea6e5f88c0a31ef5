package server

import (
	"errors"
	"time"

	"github.com/spopkit/spopkit/spopwire"
)

// notify handles a NOTIFY frame: whole ones go to the handler, the first
// fragment of a fragmented one starts a reassembly.
func (s *Session) notify(f *spopwire.Frame) {
	if !f.Flags.Fin() {
		if !s.caps.Has(spopwire.CapFragmentation) {
			s.fail(spopwire.StatusFragmentationNotSupp, "")
			return
		}
		s.startFragment(f)
		return
	}
	if s.fragIndex(f.StreamID, f.FrameID) >= 0 {
		s.fail(spopwire.StatusInvalidInterlacedFrame, "NOTIFY reuses the ids of a fragmented NOTIFY in progress")
		return
	}
	if !s.validate(f.Payload) || !s.dispatch(f.StreamID, f.FrameID, f.Payload) {
		s.fail(spopwire.StatusInvalidFrame, "malformed NOTIFY payload")
	}
}

// validate checks a whole NOTIFY payload before dispatch, and records where
// its messages end for Request.Messages. A PayloadWalker handler checks the
// payload itself as it decodes it, in dispatch.
func (s *Session) validate(payload []byte) bool {
	s.req.nends = 0
	if s.walk != nil {
		return true
	}
	ends, ok := validMessages(payload, s.req.ends[:0])
	s.req.nends = len(ends)
	return ok
}

// validMessages reports whether payload is a well-formed LIST-OF-MESSAGES,
// every message with exactly NB-ARGS arguments (spop-reference.md §3.5).
// Checking before the handler runs means a handler never sees a torn
// message, and a corrupt NOTIFY ends the connection with status 4 instead of
// reaching application code. SkipMessage builds no value: the handler
// decodes the same bytes again, and this pass must stay cheap.
//
// It appends where each message ends (offsets in payload) to ends while
// there is room (cap(ends)); with more messages than that it returns no ends
// at all, and Request.Messages walks the arguments again to find them.
func validMessages(b []byte, ends []uint32) ([]uint32, bool) {
	off := 0
	for off < len(b) {
		n := spopwire.SkipMessage(b[off:])
		if n < 0 {
			return nil, false
		}
		off += n
		if len(ends) < cap(ends) {
			ends = append(ends, uint32(off))
		} else {
			ends = nil
		}
	}
	return ends, true
}

// dispatch runs the handler for one complete NOTIFY and appends its ACK to
// s.out, or hands the ACK to the worker pool when the handler offloaded it.
// It reports false, having appended nothing, when a PayloadWalker handler
// found the payload malformed.
func (s *Session) dispatch(streamID, frameID uint64, payload []byte) bool {
	if r := s.set.Recorder; r != nil {
		r.RecordNotify(s.info.id, streamID, frameID, payload)
	}
	out, start := spopwire.StartFrame(s.out, spopwire.FrameAck, spopwire.FlagFin, streamID, frameID)
	payloadStart := len(out)
	// The ACK is built in place: the handler's actions are appended right
	// behind the header, then FinishFrame patches the length. Actions is
	// reset field by field: assigning a whole struct to the heap-allocated
	// session costs a bulk write-barrier copy on every NOTIFY.
	s.acts.buf, s.acts.start = out, payloadStart
	s.acts.limit = int(s.maxFrame) - (payloadStart - start - spopwire.LengthSize)
	if s.acts.err != nil {
		s.acts.err = nil
	}
	s.req.StreamID, s.req.FrameID, s.req.Payload = streamID, frameID, payload
	s.req.offloads = 0
	s.job, s.overloaded = nil, false

	s.dispatching = true
	var code int64
	var malformed bool
	var err error
	if s.sample++; s.sample%LatencySampleRate == 0 {
		t0 := nanotime()
		code, malformed, err = s.callHandler()
		s.t.latency(durationSince(t0))
	} else {
		code, malformed, err = s.callHandler()
	}
	s.dispatching = false
	out = s.acts.buf
	s.acts.buf = nil
	s.req.Payload, s.req.nends = nil, 0
	if malformed {
		if j := s.job; j != nil {
			s.job = nil
			s.srv.pool.unreserve()
			s.srv.pool.putJob(j)
		}
		s.out = out[:start]
		return false
	}
	s.t.add(cNotifies, 1)

	code, err = ackOutcome(code, err, &s.acts)
	if j := s.job; j != nil {
		s.job = nil
		if code == 0 {
			s.submit(j, out[start:], payloadStart-start, streamID, frameID)
			s.out = out[:start]
			return true
		}
		s.srv.pool.unreserve()
		s.srv.pool.putJob(j)
	}
	if code != 0 {
		s.t.add(cErrCode0+int(code), 1)
	}
	out = finishAck(out, start, payloadStart, s.set, code,
		HandlerError{ConnID: s.info.id, StreamID: streamID, FrameID: frameID, Err: err})
	s.t.add(cAcks, 1)
	s.t.add(cFramesOut, 1)
	s.out = out
	s.answered = true
	return true
}

// offload is Request.Offload's implementation: it reserves a queue slot now
// and submits the job once HandleNotify returns, so that the actions the
// handler writes after calling Offload still go into the ACK, and the worker
// never races with the handler over the ACK buffer.
func (s *Session) offload(fn OffloadFunc) error {
	if !s.dispatching {
		return ErrNotInHandler
	}
	if fn == nil {
		return errors.New("server: Offload with a nil function")
	}
	p := s.srv.pool
	if !p.reserve() {
		if p.closed.Load() {
			return ErrServerClosed
		}
		s.overloaded = true
		return ErrOverloaded
	}
	j := p.getJob()
	j.fn = fn
	s.job = j
	return nil
}

// submit hands j to a worker with a copy of the ACK begun so far.
func (s *Session) submit(j *job, ack []byte, payloadOff int, streamID, frameID uint64) {
	j.buf = append(j.buf[:0], ack...)
	j.payloadOff = payloadOff
	j.limit = s.acts.limit
	j.sess = s
	j.streamID, j.frameID, j.connID = streamID, frameID, s.info.id
	s.inflight++
	s.t.add(cInflightUp, 1)
	s.t.add(cOffloads, 1)
	s.srv.pool.submit(j)
}

func durationSince(t0 int64) time.Duration { return time.Duration(nanotime() - t0) }
