package spopwire_test

import (
	"bytes"
	"math"
	"testing"

	"github.com/spopkit/spopkit/spopwire"
)

// frameTests are whole frames with their 4-byte length prefix (ref §1).
var frameTests = []struct {
	name string
	f    spopwire.Frame
	raw  string
}{
	// Agent frames, exact bytes of ref §3.6 and §5.3.
	{"empty ACK", spopwire.Frame{Type: spopwire.FrameAck, Flags: spopwire.FlagFin, StreamID: 3, FrameID: 1},
		"00 00 00 07 67 00 00 00 01 03 01"},
	{"ACK set-var+unset-var", spopwire.Frame{Type: spopwire.FrameAck, Flags: spopwire.FlagFin, StreamID: 3, FrameID: 1,
		Payload: dhex(`01 03 02 05 "score" 02 2a  02 02 01 04 "flag"`)},
		`00 00 00 1a 67 00 00 00 01 03 01  01 03 02 05 "score" 02 2a  02 02 01 04 "flag"`},
	{"AGENT-DISCONNECT", spopwire.Frame{Type: spopwire.FrameAgentDisconnect, Flags: spopwire.FlagFin,
		Payload: dhex(`0b "status-code" 03 00 07 "message" 08 00`)},
		`00 00 00 1f 66 00 00 00 01 00 00 0b "status-code" 03 00 07 "message" 08 00`},

	// HAProxy frames: ref §3.5 NOTIFY, §5.1 HAPROXY-DISCONNECT.
	{"NOTIFY", spopwire.Frame{Type: spopwire.FrameNotify, Flags: spopwire.FlagFin, StreamID: 3, FrameID: 1,
		Payload: dhex(`0a "msg-client" 04  00 06 7f000001  00 06 7f000001  00 04 f0 bb 13  00 04 f0 db 07`)},
		`00 00 00 29 03 00 00 00 01 03 01 0a "msg-client" 04  00 06 7f000001  00 06 7f000001  00 04 f0 bb 13  00 04 f0 db 07`},
	{"HAPROXY-DISCONNECT", spopwire.Frame{Type: spopwire.FrameHAProxyDisconnect, Flags: spopwire.FlagFin,
		Payload: dhex(`0b "status-code" 03 02 07 "message" 08 12 "a timeout occurred"`)},
		`00 00 00 31 02 00 00 00 01 00 00 0b "status-code" 03 02 07 "message" 08 12 "a timeout occurred"`},

	// Fragments (2.6, ref §6.3): no FIN, then UNSET, then the abort frame.
	{"first fragment", spopwire.Frame{Type: spopwire.FrameNotify, StreamID: 0, FrameID: 1, Payload: []byte("abc")},
		`00 00 00 0a 03 00 00 00 00 00 01 "abc"`},
	{"UNSET FIN", spopwire.Frame{Type: spopwire.FrameUnset, Flags: spopwire.FlagFin, StreamID: 0, FrameID: 1, Payload: []byte("d")},
		`00 00 00 08 00 00 00 00 01 00 01 "d"`},
	{"UNSET FIN|ABORT", spopwire.Frame{Type: spopwire.FrameUnset, Flags: spopwire.FlagFin | spopwire.FlagAbort, StreamID: 7, FrameID: 2},
		"00 00 00 07 00 00 00 00 03 07 02"},

	// Multi-byte ids: 3.x stream-ids go up to 2^31−1; 2.6's are 32-bit counters.
	{"large ids", spopwire.Frame{Type: spopwire.FrameAck, Flags: spopwire.FlagFin, StreamID: math.MaxInt32, FrameID: 240},
		"00 00 00 0c 67 00 00 00 01 ff f0 fe fe 3e f0 00"},
	{"max ids", spopwire.Frame{Type: spopwire.FrameNotify, Flags: spopwire.FlagFin, StreamID: math.MaxUint64, FrameID: math.MaxUint64},
		"00 00 00 19 03 00 00 00 01 ff f0 fe fe fe fe fe fe fe 0e ff f0 fe fe fe fe fe fe fe 0e"},

	// Reserved flag bits and unknown types pass through untouched.
	{"reserved flags", spopwire.Frame{Type: spopwire.FrameAck, Flags: 0x80000005, StreamID: 1, FrameID: 1},
		"00 00 00 07 67 80 00 00 05 01 01"},
	{"unknown type", spopwire.Frame{Type: 42, Flags: spopwire.FlagFin, StreamID: 1, FrameID: 1, Payload: []byte{0}},
		"00 00 00 08 2a 00 00 00 01 01 01 00"},
}

func frameEqual(a, b spopwire.Frame) bool {
	return a.Type == b.Type && a.Flags == b.Flags && a.StreamID == b.StreamID &&
		a.FrameID == b.FrameID && bytes.Equal(a.Payload, b.Payload)
}

func TestFrame(t *testing.T) {
	for _, tt := range frameTests {
		raw := dhex(tt.raw)

		// Encode, two ways.
		if got := spopwire.AppendFrame(nil, tt.f); !bytes.Equal(got, raw) {
			t.Errorf("%s: AppendFrame(nil, %+v) =\n%x; want\n%x", tt.name, tt.f, got, raw)
		}
		prefix := []byte("previous frame")
		b, start := spopwire.StartFrame(prefix, tt.f.Type, tt.f.Flags, tt.f.StreamID, tt.f.FrameID)
		b = append(b, tt.f.Payload...)
		l := spopwire.FinishFrame(b, start)
		if start != len(prefix) || l != len(raw)-spopwire.LengthSize || !bytes.Equal(b[start:], raw) || string(b[:start]) != "previous frame" {
			t.Errorf("%s: StartFrame+FinishFrame = %x (start %d, length %d); want %x (start %d, length %d)",
				tt.name, b, start, l, raw, len(prefix), len(raw)-spopwire.LengthSize)
		}

		// Decode from a stream (with the next frame behind) and as a body.
		stream := append(append([]byte(nil), raw...), dhex("00 00 00 07 67 00 00 00 01 01 01")...)
		f, n := spopwire.ConsumeFrame(stream, spopwire.DefaultMaxFrameSize)
		if n != len(raw) || !frameEqual(f, tt.f) {
			t.Errorf("%s: ConsumeFrame(%x) = %+v, %s; want %+v, n=%d", tt.name, stream, f, nstr(n), tt.f, len(raw))
		}
		if !within(f.Payload, stream[:len(raw)]) || cap(f.Payload) != len(f.Payload) {
			t.Errorf("%s: ConsumeFrame payload is not a capped view into the frame", tt.name)
		}
		f, n = spopwire.ConsumeFrameBody(raw[spopwire.LengthSize:])
		if n != len(raw)-spopwire.LengthSize || !frameEqual(f, tt.f) {
			t.Errorf("%s: ConsumeFrameBody(%x) = %+v, %s; want %+v, n=%d", tt.name, raw[4:], f, nstr(n), tt.f, len(raw)-4)
		}

		// A partial frame is "need more", whatever byte it ends at.
		for i := range len(raw) {
			if f, n := spopwire.ConsumeFrame(raw[:i], spopwire.DefaultMaxFrameSize); spopwire.ParseError(n) != spopwire.ErrNeedMore {
				t.Errorf("%s: ConsumeFrame(%x) = %+v, %s; want need more", tt.name, raw[:i], f, nstr(n))
			}
		}
	}
}

func TestFrameStream(t *testing.T) {
	// Frames built back to back in one buffer come apart again in order.
	var b []byte
	for _, tt := range frameTests {
		b = spopwire.AppendFrame(b, tt.f)
	}
	for i, tt := range frameTests {
		f, n := spopwire.ConsumeFrame(b, spopwire.DefaultMaxFrameSize)
		if n <= 0 || !frameEqual(f, tt.f) {
			t.Fatalf("frame %d (%s): ConsumeFrame = %+v, %s; want %+v", i, tt.name, f, nstr(n), tt.f)
		}
		b = b[n:]
	}
	if len(b) != 0 {
		t.Errorf("%d bytes left after the last frame", len(b))
	}
}

func TestConsumeFrameLength(t *testing.T) {
	tests := []struct {
		raw     string
		max     uint32
		want    uint32
		wantErr error
	}{
		// The length counts the frame only, never its own 4 bytes (ref §1.1).
		{"00 00 00 07", spopwire.DefaultMaxFrameSize, 7, nil},
		{"00 00 3f fc", spopwire.DefaultMaxFrameSize, 16380, nil},
		{"00 00 01 00 67", spopwire.MinMaxFrameSize, 256, nil},

		// Above the negotiated maximum: known from the prefix alone.
		{"00 00 3f fd", spopwire.DefaultMaxFrameSize, 0, spopwire.ErrFrameTooBig},
		{"00 00 01 01", spopwire.MinMaxFrameSize, 0, spopwire.ErrFrameTooBig},
		{"ff ff ff ff", spopwire.DefaultMaxFrameSize, 0, spopwire.ErrFrameTooBig},
		{"00 00 00 07", 6, 0, spopwire.ErrFrameTooBig},

		// Below the smallest frame: type, flags and two 1-byte ids.
		{"00 00 00 06", spopwire.DefaultMaxFrameSize, 0, spopwire.ErrInvalidFrame},
		{"00 00 00 00", spopwire.DefaultMaxFrameSize, 0, spopwire.ErrInvalidFrame},

		// A partial prefix.
		{"", spopwire.DefaultMaxFrameSize, 0, spopwire.ErrNeedMore},
		{"00", spopwire.DefaultMaxFrameSize, 0, spopwire.ErrNeedMore},
		{"00 00 3f", spopwire.DefaultMaxFrameSize, 0, spopwire.ErrNeedMore},
	}
	for _, tt := range tests {
		raw := dhex(tt.raw)
		l, n := spopwire.ConsumeFrameLength(raw, tt.max)
		wantn := spopwire.LengthSize
		if tt.wantErr != nil {
			if spopwire.ParseError(n) != tt.wantErr || n >= 0 {
				t.Errorf("ConsumeFrameLength(%x, %d) = %d, %s; want %s", raw, tt.max, l, nstr(n), wantN(0, tt.wantErr))
			}
		} else if l != tt.want || n != wantn {
			t.Errorf("ConsumeFrameLength(%x, %d) = %d, %s; want %d, n=%d", raw, tt.max, l, nstr(n), tt.want, wantn)
		}

		// ConsumeFrame reports the prefix's verdict before any body arrives.
		if tt.wantErr != nil {
			if _, n := spopwire.ConsumeFrame(raw, tt.max); spopwire.ParseError(n) != tt.wantErr {
				t.Errorf("ConsumeFrame(%x, %d) = %s; want %s", raw, tt.max, nstr(n), wantN(0, tt.wantErr))
			}
		}
	}
}

func TestConsumeFrameTooBig(t *testing.T) {
	// A 16381-byte frame against the default maximum: rejected as soon as the
	// prefix is there, without waiting for (or buffering) the body.
	frame := spopwire.AppendFrame(nil, spopwire.Frame{Type: spopwire.FrameAck, Flags: spopwire.FlagFin,
		StreamID: 1, FrameID: 1, Payload: make([]byte, spopwire.DefaultMaxFrameSize-7+1)})
	for _, end := range []int{4, 5, 100, len(frame) - 1, len(frame)} {
		if _, n := spopwire.ConsumeFrame(frame[:end], spopwire.DefaultMaxFrameSize); spopwire.ParseError(n) != spopwire.ErrFrameTooBig {
			t.Errorf("ConsumeFrame(16381-byte frame cut at %d, 16380) = %s; want too big", end, nstr(n))
		}
	}
	// One byte less fits.
	frame = spopwire.AppendFrame(nil, spopwire.Frame{Type: spopwire.FrameAck, Flags: spopwire.FlagFin,
		StreamID: 1, FrameID: 1, Payload: make([]byte, spopwire.DefaultMaxFrameSize-7)})
	if _, n := spopwire.ConsumeFrame(frame, spopwire.DefaultMaxFrameSize); n != len(frame) {
		t.Errorf("ConsumeFrame(16380-byte frame, 16380) = %s; want n=%d", nstr(n), len(frame))
	}
	// FinishFrame hands back the length for the caller's own check.
	b, start := spopwire.StartFrame(nil, spopwire.FrameAck, spopwire.FlagFin, 1, 1)
	b = append(b, make([]byte, 300)...)
	if l := spopwire.FinishFrame(b, start); l != 307 {
		t.Errorf("FinishFrame = %d; want 307", l)
	}
}

// TestConsumeFrameLengthOverflow is a regression test: with a maximum that
// allows lengths near 2^31, ConsumeFrame computed 4+int(length), which wraps
// on 32-bit platforms (GOARCH=386, arm) and made it slice out of range and
// panic instead of asking for more bytes.
func TestConsumeFrameLengthOverflow(t *testing.T) {
	for _, prefix := range []string{"7f ff ff fc", "7f ff ff fd", "7f ff ff ff", "80 00 00 00", "ff ff ff fe", "ff ff ff ff"} {
		raw := append(dhex(prefix), dhex("67 00 00 00 01 01 01")...)
		if f, n := spopwire.ConsumeFrame(raw, math.MaxUint32); spopwire.ParseError(n) != spopwire.ErrNeedMore {
			t.Errorf("ConsumeFrame(%x, MaxUint32) = %+v, %s; want need more", raw, f, nstr(n))
		}
	}
}

func TestConsumeFrameBodyErrors(t *testing.T) {
	tests := []struct {
		name string
		body string
	}{
		{"empty", ""},
		{"6 bytes", "67 00 00 00 01 01"},
		{"stream-id cut", "67 00 00 00 01 f0 80"},    // 3-byte varint, 2 bytes present
		{"frame-id cut", "67 00 00 00 01 01 f0"},     // 2-byte varint, 1 byte present
		{"frame-id missing", "67 00 00 00 01 f0 00"}, // stream-id takes both id bytes
		{"stream-id overflow", "67 00 00 00 01 ff ff ff ff ff ff ff ff ff 7f 01"},
	}
	for _, tt := range tests {
		body := dhex(tt.body)
		// Inside a complete frame, running out of bytes is corruption.
		if f, n := spopwire.ConsumeFrameBody(body); spopwire.ParseError(n) != spopwire.ErrInvalidFrame {
			t.Errorf("%s: ConsumeFrameBody(%x) = %+v, %s; want invalid", tt.name, body, f, nstr(n))
		}
		if len(body) >= spopwire.MinFrameLength {
			raw := append([]byte{0, 0, 0, byte(len(body))}, body...)
			if f, n := spopwire.ConsumeFrame(raw, spopwire.DefaultMaxFrameSize); spopwire.ParseError(n) != spopwire.ErrInvalidFrame {
				t.Errorf("%s: ConsumeFrame(%x) = %+v, %s; want invalid", tt.name, raw, f, nstr(n))
			}
		}
	}
}

// TestFrameLiesAboutContent checks that every payload iterator reports a value
// running past the end of its (complete) payload as invalid, not "need more":
// the frame's length is final.
func TestFrameLiesAboutContent(t *testing.T) {
	kv := spopwire.KVs(dhex(`07 "message" 08 05 "ab"`))
	for _, _, ok := kv.Next(); ok; _, _, ok = kv.Next() {
	}
	if kv.Err() != spopwire.ErrInvalidFrame {
		t.Errorf("KVs(STRING longer than the payload).Err() = %v; want %v", kv.Err(), spopwire.ErrInvalidFrame)
	}

	msgs := spopwire.Messages(dhex(`03 "msg" 02 00 04 2a`)) // 2 args announced, 1 present
	for _, ok := msgs.Next(); ok; _, ok = msgs.Next() {
	}
	if msgs.Err() != spopwire.ErrInvalidFrame {
		t.Errorf("Messages(NB-ARGS beyond the payload).Err() = %v; want %v", msgs.Err(), spopwire.ErrInvalidFrame)
	}

	acts := spopwire.Actions(dhex(`01 03 02 05 "sco"`))
	for _, ok := acts.Next(); ok; _, ok = acts.Next() {
	}
	if acts.Err() != spopwire.ErrInvalidFrame {
		t.Errorf("Actions(name beyond the payload).Err() = %v; want %v", acts.Err(), spopwire.ErrInvalidFrame)
	}

	hdrs := spopwire.Headers(dhex(`04 "host" 0f "127"`))
	for _, _, ok := hdrs.Next(); ok; _, _, ok = hdrs.Next() {
	}
	if hdrs.Err() != spopwire.ErrInvalidFrame {
		t.Errorf("Headers(value beyond the block).Err() = %v; want %v", hdrs.Err(), spopwire.ErrInvalidFrame)
	}
}

func TestFlags(t *testing.T) {
	tests := []struct {
		f              spopwire.Flags
		wantFin, abort bool
	}{
		{0, false, false},
		{spopwire.FlagFin, true, false},
		{spopwire.FlagAbort, false, true},
		{spopwire.FlagFin | spopwire.FlagAbort, true, true},
		{0xfffffffc, false, false}, // reserved bits mean nothing
		{0xffffffff, true, true},
	}
	for _, tt := range tests {
		if tt.f.Fin() != tt.wantFin || tt.f.Abort() != tt.abort {
			t.Errorf("Flags(%#x): Fin, Abort = %v, %v; want %v, %v", uint32(tt.f), tt.f.Fin(), tt.f.Abort(), tt.wantFin, tt.abort)
		}
	}
}

func TestFrameTypeString(t *testing.T) {
	tests := []struct {
		t    spopwire.FrameType
		want string
	}{
		{spopwire.FrameUnset, "UNSET"},
		{spopwire.FrameHAProxyHello, "HAPROXY-HELLO"},
		{spopwire.FrameHAProxyDisconnect, "HAPROXY-DISCONNECT"},
		{spopwire.FrameNotify, "NOTIFY"},
		{spopwire.FrameAgentHello, "AGENT-HELLO"},
		{spopwire.FrameAgentDisconnect, "AGENT-DISCONNECT"},
		{spopwire.FrameAck, "ACK"},
		{4, "FRAME(4)"},
		{255, "FRAME(255)"},
	}
	for _, tt := range tests {
		if got := tt.t.String(); got != tt.want {
			t.Errorf("FrameType(%d).String() = %q; want %q", uint8(tt.t), got, tt.want)
		}
	}
	// The wire values of ref §1.3.
	for typ, want := range map[spopwire.FrameType]byte{
		spopwire.FrameUnset: 0, spopwire.FrameHAProxyHello: 1, spopwire.FrameHAProxyDisconnect: 2,
		spopwire.FrameNotify: 3, spopwire.FrameAgentHello: 101, spopwire.FrameAgentDisconnect: 102, spopwire.FrameAck: 103,
	} {
		if byte(typ) != want {
			t.Errorf("%v = %d; want %d", typ, byte(typ), want)
		}
	}
}
