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
	if !validMessages(f.Payload) {
		s.fail(spopwire.StatusInvalidFrame, "malformed NOTIFY payload")
		return
	}
	s.dispatch(f.StreamID, f.FrameID, f.Payload)
}

// validMessages reports whether payload is a well-formed LIST-OF-MESSAGES,
// every message with exactly NB-ARGS arguments (spop-reference.md §3.5).
// Checking before the handler runs means a handler never sees a torn
// message, and a corrupt NOTIFY ends the connection with status 4 instead of
// reaching application code. SkipMessage builds no value: the handler
// decodes the same bytes again, and this pass must stay cheap.
func validMessages(b []byte) bool {
	for len(b) > 0 {
		n := spopwire.SkipMessage(b)
		if n < 0 {
			return false
		}
		b = b[n:]
	}
	return true
}

// dispatch runs the handler for one complete NOTIFY and appends its ACK to
// s.out, or hands the ACK to the worker pool when the handler offloaded it.
func (s *Session) dispatch(streamID, frameID uint64, payload []byte) {
	if r := s.set.Recorder; r != nil {
		r.RecordNotify(s.info.id, streamID, frameID, payload)
	}
	s.t.add(cNotifies, 1)
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
	var err error
	if s.sample++; s.sample%LatencySampleRate == 0 {
		t0 := nanotime()
		code, err = s.callHandler()
		s.t.latency(durationSince(t0))
	} else {
		code, err = s.callHandler()
	}
	s.dispatching = false
	out = s.acts.buf
	s.acts.buf = nil
	s.req.Payload = nil

	code, err = ackOutcome(code, err, &s.acts)
	if j := s.job; j != nil {
		s.job = nil
		if code == 0 {
			s.submit(j, out[start:], payloadStart-start, streamID, frameID)
			s.out = out[:start]
			return
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
