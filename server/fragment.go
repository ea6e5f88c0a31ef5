package server

import (
	"github.com/spopkit/spopkit/spopwire"
)

// fragment is a NOTIFY being reassembled (HAProxy 2.x with fragmentation,
// spop-reference.md §6.3): a NOTIFY without FIN, then UNSET frames with the
// same ids, the last one with FIN. The payloads concatenate into an ordinary
// LIST-OF-MESSAGES; HAProxy cuts anywhere, even inside a string's bytes.
type fragment struct {
	streamID, frameID uint64
	buf               []byte
}

func (s *Session) fragIndex(streamID, frameID uint64) int {
	for i := range s.frags {
		if s.frags[i].streamID == streamID && s.frags[i].frameID == frameID {
			return i
		}
	}
	return -1
}

// startFragment begins a reassembly from a NOTIFY without FIN.
func (s *Session) startFragment(f *spopwire.Frame) {
	if s.fragIndex(f.StreamID, f.FrameID) >= 0 {
		s.fail(spopwire.StatusInvalidInterlacedFrame, "NOTIFY reuses the ids of a fragmented NOTIFY in progress")
		return
	}
	if len(s.frags) >= s.set.MaxInFlight {
		// HAProxy sends one fragmented frame at a time per connection; this
		// many at once is not HAProxy.
		s.fail(spopwire.StatusResourceAllocation, "too many fragmented NOTIFYs at once")
		return
	}
	if len(f.Payload) > s.set.MaxFragmentedPayload {
		s.abortFragment(f.StreamID, f.FrameID)
		return
	}
	buf := s.srv.getFragBuf()
	s.frags = append(s.frags, fragment{f.StreamID, f.FrameID, append(buf, f.Payload...)})
}

// fragment handles an UNSET frame: the continuation of a fragmented NOTIFY.
func (s *Session) fragment(f *spopwire.Frame) {
	if !s.caps.Has(spopwire.CapFragmentation) {
		s.fail(spopwire.StatusFragmentationNotSupp, "")
		return
	}
	i := s.fragIndex(f.StreamID, f.FrameID)
	if i < 0 {
		// Nothing to continue: the reassembly was abandoned (too big) or
		// aborted, or never began. HAProxy ignores unknown ACKs the same way.
		return
	}
	fr := &s.frags[i]
	if f.Flags.Abort() {
		// UNSET with FIN|ABORT and an empty payload: HAProxy gave up on this
		// NOTIFY (timeout); drop it and do not ACK.
		s.t.add(cFragsAborted, 1)
		s.removeFragment(i)
		return
	}
	if len(fr.buf)+len(f.Payload) > s.set.MaxFragmentedPayload {
		s.removeFragment(i)
		s.abortFragment(f.StreamID, f.FrameID)
		return
	}
	fr.buf = append(fr.buf, f.Payload...)
	if !f.Flags.Fin() {
		return
	}
	payload := fr.buf
	// The handler's views point into payload; it is released only after the
	// handler returned (and offloaded work must not use them, by contract).
	fr.buf = nil
	s.removeFragment(i)
	if !s.validate(payload) || !s.dispatch(f.StreamID, f.FrameID, payload) {
		s.fail(spopwire.StatusInvalidFrame, "malformed reassembled NOTIFY payload")
	}
	s.srv.putFragBuf(payload)
}

// abortFragment answers a NOTIFY that is too big to reassemble with an ACK
// carrying FIN|ABORT: HAProxy 2.x then stops the NOTIFY with engine error 4
// instead of waiting for `timeout processing` (ref §6.3). Later fragments with
// its ids match nothing and are ignored.
func (s *Session) abortFragment(streamID, frameID uint64) {
	out, start := spopwire.StartFrame(s.out, spopwire.FrameAck, spopwire.FlagFin|spopwire.FlagAbort, streamID, frameID)
	spopwire.FinishFrame(out, start)
	s.out = out
	s.t.add(cFramesOut, 1)
	s.t.add(cFragsAborted, 1)
}

func (s *Session) removeFragment(i int) {
	if s.frags[i].buf != nil {
		s.srv.putFragBuf(s.frags[i].buf)
	}
	last := len(s.frags) - 1
	s.frags[i] = s.frags[last]
	s.frags[last] = fragment{}
	s.frags = s.frags[:last]
}

func (s *Session) dropFragments() {
	for len(s.frags) > 0 {
		s.removeFragment(len(s.frags) - 1)
	}
}
