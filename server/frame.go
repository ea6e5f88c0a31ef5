package server

import (
	"encoding/binary"

	"github.com/spopkit/spopkit/spopwire"
)

// consumeFrame is spopwire.ConsumeFrame writing into *f: the same checks in
// the same order (length prefix against max before the body is looked at,
// then a complete header), but 4x cheaper on the NOTIFY path, where
// returning the 48-byte Frame by value through two calls cost ~33 ns per
// frame against ~8 ns. It returns the bytes consumed (prefix included), 0
// when in holds only part of a frame, or -status for a frame that can never
// be valid.
func consumeFrame(f *spopwire.Frame, in []byte, max uint32) int {
	if len(in) < spopwire.LengthSize {
		return 0
	}
	l := binary.BigEndian.Uint32(in)
	if l > max {
		// Before the body is buffered: a peer announcing a huge frame gets
		// status 3 without the agent reading or allocating anything more.
		return -int(spopwire.StatusFrameTooBig)
	}
	if l < spopwire.MinFrameLength {
		return -int(spopwire.StatusInvalidFrame)
	}
	end := spopwire.LengthSize + int(l)
	if len(in) < end {
		return 0
	}
	body := in[spopwire.LengthSize:end]
	f.Type = spopwire.FrameType(body[0])
	f.Flags = spopwire.Flags(binary.BigEndian.Uint32(body[1:5]))
	var n int
	if f.StreamID, n = spopwire.ConsumeVarint(body[5:]); n < 0 {
		return -int(spopwire.StatusInvalidFrame)
	}
	off := 5 + n
	if f.FrameID, n = spopwire.ConsumeVarint(body[off:]); n < 0 {
		return -int(spopwire.StatusInvalidFrame)
	}
	off += n
	f.Payload = body[off:len(body):len(body)]
	return end
}
