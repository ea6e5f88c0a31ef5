package spopwire

import (
	"encoding/binary"
	"strconv"
)

// FrameType is the first byte of a frame (ref §1.3).
type FrameType uint8

// The seven frame types.
const (
	FrameUnset             FrameType = 0   // continuation fragment of a NOTIFY (HAProxy 2.x)
	FrameHAProxyHello      FrameType = 1   // HAProxy → agent, KV list
	FrameHAProxyDisconnect FrameType = 2   // HAProxy → agent, KV list
	FrameNotify            FrameType = 3   // HAProxy → agent, list of messages
	FrameAgentHello        FrameType = 101 // agent → HAProxy, KV list
	FrameAgentDisconnect   FrameType = 102 // agent → HAProxy, KV list
	FrameAck               FrameType = 103 // agent → HAProxy, list of actions
)

// String returns the frame type's name as SPOE.txt spells it ("NOTIFY", …).
func (t FrameType) String() string {
	switch t {
	case FrameUnset:
		return "UNSET"
	case FrameHAProxyHello:
		return "HAPROXY-HELLO"
	case FrameHAProxyDisconnect:
		return "HAPROXY-DISCONNECT"
	case FrameNotify:
		return "NOTIFY"
	case FrameAgentHello:
		return "AGENT-HELLO"
	case FrameAgentDisconnect:
		return "AGENT-DISCONNECT"
	case FrameAck:
		return "ACK"
	}
	return "FRAME(" + strconv.Itoa(int(t)) + ")"
}

// Flags is the 32-bit flags field of a frame.
type Flags uint32

// Frame flags (ref §1.4); the other bits are reserved and ignored.
const (
	FlagFin   Flags = 1 << 0 // last (or only) fragment
	FlagAbort Flags = 1 << 1 // the fragmented frame is abandoned; sent with FIN
)

// Fin reports whether FIN is set.
func (f Flags) Fin() bool { return f&FlagFin != 0 }

// Abort reports whether ABORT is set.
func (f Flags) Abort() bool { return f&FlagAbort != 0 }

// Sizes that bound frames.
const (
	// LengthSize is the size of the big-endian length prefix before each frame.
	LengthSize = 4
	// MinFrameLength is the shortest frame: type, flags and two one-byte ids.
	MinFrameLength = 7
	// DefaultMaxFrameSize is HAProxy's default max-frame-size (tune.bufsize − 4).
	DefaultMaxFrameSize = 16380
	// MinMaxFrameSize is the smallest max-frame-size HAProxy accepts.
	MinMaxFrameSize = 256
	// FrameHeaderReserve is what HAProxy reserves for type, flags and ids when it
	// sizes a NOTIFY payload: a payload is at most max-frame-size − 32 bytes.
	FrameHeaderReserve = 32
)

// Frame is one decoded frame. Payload is a view into the decoded buffer.
type Frame struct {
	Type     FrameType
	Flags    Flags
	StreamID uint64
	FrameID  uint64
	Payload  []byte
}

// ConsumeFrameLength reads the 4-byte length prefix at the start of b and checks
// it against maxLength before any of the frame's body is looked at: a length
// above it is ErrFrameTooBig, one below MinFrameLength is invalid.
func ConsumeFrameLength(b []byte, maxLength uint32) (uint32, int) {
	if len(b) < LengthSize {
		return 0, codeNeedMore
	}
	l := binary.BigEndian.Uint32(b)
	if l > maxLength {
		return 0, codeTooBig
	}
	if l < MinFrameLength {
		return 0, codeInvalid
	}
	return l, LengthSize
}

// ConsumeFrame decodes the frame at the start of b, a stream of length-prefixed
// frames. n counts the prefix too, so b[n:] starts the next frame. When b holds
// only part of the frame the result is "need more" (or "too big" as soon as the
// prefix is readable), so a reader knows how much to buffer before it buffers it.
func ConsumeFrame(b []byte, maxLength uint32) (Frame, int) {
	var f Frame
	n := ConsumeFrameInto(&f, b, maxLength)
	if n < 0 {
		return Frame{}, n
	}
	return f, n
}

// ConsumeFrameInto is ConsumeFrame decoding into *f, for a read loop that
// reuses one Frame: returning the 48-byte Frame by value costs a copy per
// frame on the NOTIFY path. On failure *f is left partly written.
func ConsumeFrameInto(f *Frame, b []byte, maxLength uint32) int {
	l, n := ConsumeFrameLength(b, maxLength)
	if n < 0 {
		return n
	}
	// Compare in 64 bits: on 32-bit platforms LengthSize+int(l) overflows for
	// lengths near 2^31 when maxLength allows them.
	if uint64(len(b)-LengthSize) < uint64(l) {
		return codeNeedMore
	}
	end := LengthSize + int(l)
	if m := consumeFrameBody(f, b[LengthSize:end]); m < 0 {
		return m
	}
	return end
}

// ConsumeFrameBody decodes a whole frame without its length prefix: body must be
// exactly the frame's bytes. It returns len(body) on success.
func ConsumeFrameBody(body []byte) (Frame, int) {
	var f Frame
	if n := consumeFrameBody(&f, body); n < 0 {
		return Frame{}, n
	}
	return f, len(body)
}

func consumeFrameBody(f *Frame, body []byte) int {
	if len(body) < MinFrameLength {
		return codeInvalid
	}
	f.Type = FrameType(body[0])
	f.Flags = Flags(binary.BigEndian.Uint32(body[1:5]))
	off := 5
	var n int
	if f.StreamID, n = ConsumeVarint(body[off:]); n < 0 {
		return completeFrame(n)
	}
	off += n
	if f.FrameID, n = ConsumeVarint(body[off:]); n < 0 {
		return completeFrame(n)
	}
	off += n
	f.Payload = body[off:len(body):len(body)]
	return len(body)
}

// HasWholeFrame reports whether b starts with a length prefix and all the
// bytes it announces, whether or not they form a valid frame: a reader with
// input left over asks it to choose between decoding and reading more.
func HasWholeFrame(b []byte) bool {
	if len(b) < LengthSize {
		return false
	}
	return uint64(len(b)-LengthSize) >= uint64(binary.BigEndian.Uint32(b))
}

// StartFrame appends a length placeholder and the frame header, and returns the
// extended slice with the offset where the frame starts. Append the payload, then
// call FinishFrame: the frame is built in place, contiguous, ready for one write.
func StartFrame(b []byte, t FrameType, flags Flags, streamID, frameID uint64) ([]byte, int) {
	start := len(b)
	b = append(b, 0, 0, 0, 0, byte(t), byte(flags>>24), byte(flags>>16), byte(flags>>8), byte(flags))
	b = AppendVarint(b, streamID)
	b = AppendVarint(b, frameID)
	return b, start
}

// FinishFrame writes the length prefix of the frame that StartFrame began at
// start, and returns the frame's length (prefix excluded), which the caller
// checks against the negotiated max-frame-size.
func FinishFrame(b []byte, start int) int {
	l := len(b) - start - LengthSize
	binary.BigEndian.PutUint32(b[start:], uint32(l))
	return l
}

// AppendFrame appends f with its length prefix.
func AppendFrame(b []byte, f Frame) []byte {
	b, start := StartFrame(b, f.Type, f.Flags, f.StreamID, f.FrameID)
	b = append(b, f.Payload...)
	FinishFrame(b, start)
	return b
}
