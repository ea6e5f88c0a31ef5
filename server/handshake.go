package server

import (
	"github.com/spopkit/spopkit/spopwire"
)

// negotiable is what a capability intersection can yield: pipelining and
// async are used when both sides announce them. Fragmentation is different:
// it is announced by the receiver only (HAProxy never announces it, ref §4.1,
// §6.3), so the agent offers it whenever it is configured.
const negotiable = spopwire.CapPipelining | spopwire.CapAsync

// hello handles HAPROXY-HELLO (spop-reference.md §4): it answers AGENT-HELLO
// with version "2.0", max-frame-size = min(HAProxy's, configured) and the
// capabilities both sides support, or AGENT-DISCONNECT with the status that
// says why not.
func (s *Session) hello(f *spopwire.Frame) {
	if !f.Flags.Fin() {
		// The agent never announced fragmentation yet; HAProxy applies the
		// same rule to agent frames (ref §1.7).
		s.fail(spopwire.StatusFragmentationNotSupp, "fragmented HAPROXY-HELLO")
		return
	}
	if f.StreamID != 0 || f.FrameID != 0 {
		s.fail(spopwire.StatusInvalidFrame, "HAPROXY-HELLO with non-zero stream-id or frame-id")
		return
	}
	var (
		versions    []byte
		haveVersion bool
		maxFrame    uint64
		haveMax     bool
		caps        spopwire.Capabilities
		engineID    []byte
		healthcheck bool
	)
	// Keys match exactly and unknown keys are skipped after their value is
	// parsed (ref §4.6); engine-id and capabilities may be missing (health
	// checks, ref §4.2), and an empty capabilities string means none.
	it := spopwire.KVs(f.Payload)
	for key, v, ok := it.Next(); ok; key, v, ok = it.Next() {
		switch string(key) {
		case spopwire.KeySupportedVersions:
			versions, haveVersion = v.Bytes(), v.Type() == spopwire.TypeString
		case spopwire.KeyMaxFrameSize:
			if v.Type().IsInteger() {
				maxFrame, haveMax = v.Uint64(), true
				if v.Int64() < 0 && v.Type() != spopwire.TypeUint64 && v.Type() != spopwire.TypeUint32 {
					maxFrame = 0 // a negative size is too small, not huge
				}
			}
		case spopwire.KeyCapabilities:
			caps = spopwire.ParseCapabilities(v.Bytes())
		case spopwire.KeyEngineID:
			engineID = v.Bytes()
		case spopwire.KeyHealthcheck:
			healthcheck = v.Bool()
		}
	}
	if it.Err() != nil {
		s.fail(spopwire.StatusInvalidFrame, "malformed HAPROXY-HELLO")
		return
	}
	switch {
	case !haveVersion:
		s.fail(spopwire.StatusNoVersion, "supported-versions not found")
		return
	case !spopwire.VersionSupported(versions):
		// Only 2.x is spoken; "2.0" is what both HAProxy lines announce (ref §4.4).
		s.fail(spopwire.StatusUnsupportedVersion, "")
		return
	case !haveMax:
		s.fail(spopwire.StatusNoMaxFrameSize, "")
		return
	case maxFrame < spopwire.MinMaxFrameSize:
		s.fail(spopwire.StatusBadMaxFrameSize, "max-frame-size below 256")
		return
	}
	// The reply must be within [256, HAProxy's value] (ref §4.5); the
	// configured value is at least 256, so min() is always valid.
	s.maxFrame = uint32(min(maxFrame, uint64(s.set.MaxFrameSize)))
	s.caps = caps&s.set.caps&negotiable | s.set.caps&spopwire.CapFragmentation
	s.out = spopwire.AppendAgentHello(s.out, s.maxFrame, s.caps)
	s.t.add(cFramesOut, 1)
	if healthcheck {
		// option spop-check: answer and close; HAProxy sends nothing else
		// on this connection (ref §4.2).
		s.state = stateClosing
		return
	}
	s.state = stateReady
	if r := s.set.Recorder; r != nil {
		r.RecordHello(s.info.id, f.Payload)
	}
	if len(engineID) > 0 {
		s.engineKey = string(engineID)
		s.info.engineID = []byte(s.engineKey)
		s.req.conn = s.info
		if s.caps.Has(spopwire.CapAsync) {
			s.srv.reg.add(s)
		}
	}
}
