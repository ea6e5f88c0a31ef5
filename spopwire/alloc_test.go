package spopwire_test

import (
	"net/netip"
	"strings"
	"testing"

	"github.com/spopkit/spopkit/spopwire"
)

// notify13 is a NOTIFY frame (stream 7, frame 1) with one message of 13
// arguments of mixed types, as HAProxy sends them: addresses, strings,
// INT64s (one negative), a BOOL, a NULL and a 1 KiB BINARY.
var notify13 = func() []byte {
	b, start := spopwire.StartFrame(nil, spopwire.FrameNotify, spopwire.FlagFin, 7, 1)
	b = spopwire.AppendMessageHeader(b, "check-request", 13)
	b = spopwire.AppendArg(b, "src", ip("192.0.2.7"))
	b = spopwire.AppendArg(b, "dst", ip("2001:db8::7"))
	b = spopwire.AppendArg(b, "method", str("POST"))
	b = spopwire.AppendArg(b, "path", str("/api/v1/login"))
	b = spopwire.AppendArg(b, "host", str("www.example.com"))
	b = spopwire.AppendArg(b, "src_port", i64(51888))
	b = spopwire.AppendArg(b, "dst_port", i64(443))
	b = spopwire.AppendArg(b, "ineg", i64(-1))
	b = spopwire.AppendArg(b, "ssl", boolean(true))
	b = spopwire.AppendArg(b, "unset", null)
	b = spopwire.AppendArg(b, "body", bin(strings.Repeat("\x00\x01binary\xff", 114)[:1024]))
	b = spopwire.AppendArg(b, "", ip("::ffff:10.0.0.1"))
	b = spopwire.AppendArg(b, "big", i64(1<<32))
	spopwire.FinishFrame(b, start)
	return b
}()

// sink keeps the decoded values alive so that the loops below do real work.
var sink struct {
	n     int
	u     uint64
	ok    bool
	bytes []byte
}

// decodeNotifyIter reads a NOTIFY the usual way: ConsumeFrame, Messages, Args.
func decodeNotifyIter(frame []byte) int {
	f, n := spopwire.ConsumeFrame(frame, spopwire.DefaultMaxFrameSize)
	if n <= 0 {
		return -1
	}
	count := 0
	it := spopwire.Messages(f.Payload)
	for msg, ok := it.Next(); ok; msg, ok = it.Next() {
		sink.bytes = msg.Name
		args := msg.Args()
		for a, ok := args.Next(); ok; a, ok = args.Next() {
			useValue(a.Name, a.Value)
			count++
		}
	}
	if it.Err() != nil {
		return -1
	}
	return count
}

// decodeNotifyLowLevel reads the same frame with ConsumeMessageHeader and
// ConsumeArg, as generated code does.
func decodeNotifyLowLevel(frame []byte) int {
	f, n := spopwire.ConsumeFrame(frame, spopwire.DefaultMaxFrameSize)
	if n <= 0 {
		return -1
	}
	count := 0
	for b := f.Payload; len(b) > 0; {
		name, nargs, n := spopwire.ConsumeMessageHeader(b)
		if n < 0 {
			return -1
		}
		sink.bytes = name
		b = b[n:]
		for range nargs {
			argName, v, n := spopwire.ConsumeArg(b)
			if n < 0 {
				return -1
			}
			useValue(argName, v)
			b = b[n:]
			count++
		}
	}
	return count
}

func useValue(name []byte, v spopwire.Value) {
	sink.bytes = name
	switch v.Type() {
	case spopwire.TypeIPv4, spopwire.TypeIPv6:
		a := v.Addr()
		sink.ok = a.Is4() || a.Is4In6() || a.IsLoopback()
		a16 := a.As16()
		sink.n += int(a16[15])
	case spopwire.TypeString, spopwire.TypeBinary:
		sink.bytes = v.Bytes()
		sink.n += len(v.StringView())
	case spopwire.TypeBool:
		sink.ok = v.Bool()
	default:
		sink.u += uint64(v.Int64()) + v.Uint64()
	}
}

// appendAck5 builds an ACK with five set-vars into b (reused by the caller).
func appendAck5(b []byte, src netip.Addr) []byte {
	b, start := spopwire.StartFrame(b, spopwire.FrameAck, spopwire.FlagFin, 7, 1)
	b = spopwire.AppendSetVar(b, spopwire.ScopeSession, "ip_score", spopwire.Int64Value(42))
	b = spopwire.AppendSetVar(b, spopwire.ScopeTransaction, "tag", spopwire.StringValue("b-captured"))
	b = spopwire.AppendSetVar(b, spopwire.ScopeTransaction, "blocked", spopwire.BoolValue(false))
	b = spopwire.AppendSetVar(b, spopwire.ScopeRequest, "client", spopwire.AddrValue(src))
	b = spopwire.AppendSetVar(b, spopwire.ScopeResponse, "delta", spopwire.Int64Value(-5))
	spopwire.FinishFrame(b, start)
	return b
}

func TestZeroAllocDecodeNotify(t *testing.T) {
	if got := decodeNotifyIter(notify13); got != 13 {
		t.Fatalf("decodeNotifyIter = %d args; want 13", got)
	}
	if got := decodeNotifyLowLevel(notify13); got != 13 {
		t.Fatalf("decodeNotifyLowLevel = %d args; want 13", got)
	}
	if allocs := testing.AllocsPerRun(100, func() { decodeNotifyIter(notify13) }); allocs != 0 {
		t.Errorf("decoding a 13-arg NOTIFY with Messages/Args: %v allocs; want 0", allocs)
	}
	if allocs := testing.AllocsPerRun(100, func() { decodeNotifyLowLevel(notify13) }); allocs != 0 {
		t.Errorf("decoding a 13-arg NOTIFY with ConsumeMessageHeader/ConsumeArg: %v allocs; want 0", allocs)
	}
}

func TestZeroAllocEncodeAck(t *testing.T) {
	src := netip.MustParseAddr("192.0.2.7")
	buf := make([]byte, 0, 256)
	ack := appendAck5(buf, src)
	f, n := spopwire.ConsumeFrame(ack, spopwire.DefaultMaxFrameSize)
	it := spopwire.Actions(f.Payload)
	count := 0
	for _, ok := it.Next(); ok; _, ok = it.Next() {
		count++
	}
	if n != len(ack) || count != 5 || it.Err() != nil {
		t.Fatalf("appendAck5 built %x: %d actions, %v", ack, count, it.Err())
	}
	if allocs := testing.AllocsPerRun(100, func() { buf = appendAck5(buf[:0], src) }); allocs != 0 {
		t.Errorf("encoding an ACK with 5 set-vars into a reused buffer: %v allocs; want 0", allocs)
	}
}

// checkNotify is what a server does before it hands a NOTIFY to a handler:
// decode the header into a reused Frame, then skip over every message.
func checkNotify(frame []byte) int {
	var f spopwire.Frame
	if !spopwire.HasWholeFrame(frame) || spopwire.ConsumeFrameInto(&f, frame, spopwire.DefaultMaxFrameSize) < 0 {
		return -1
	}
	count := 0
	for b := f.Payload; len(b) > 0; count++ {
		n := spopwire.SkipMessage(b)
		if n < 0 {
			return -1
		}
		b = b[n:]
	}
	return count
}

func TestZeroAllocOther(t *testing.T) {
	// The handshake and the remaining iterators allocate nothing either.
	hello := dhex(hello26)
	buf := make([]byte, 0, 256)
	hdrs := dhex(`04 "host" 0f "127.0.0.1:18080" 0a "user-agent" 0b "curl/7.88.1" 06 "accept" 03 "*/*" 00 00`)
	ack := appendAck5(nil, netip.MustParseAddr("::1"))
	tests := []struct {
		name string
		f    func()
	}{
		{"ParseHAProxyHello", func() {
			f, _ := spopwire.ConsumeFrame(hello, spopwire.DefaultMaxFrameSize)
			h, _ := spopwire.ParseHAProxyHello(f.Payload)
			sink.ok = spopwire.VersionSupported(h.SupportedVersions)
		}},
		{"AppendAgentHello", func() {
			buf = spopwire.AppendAgentHello(buf[:0], 16380, spopwire.CapPipelining|spopwire.CapAsync)
		}},
		{"AppendHAProxyHello", func() {
			buf = spopwire.AppendHAProxyHello(buf[:0], spopwire.HAProxyHello{SupportedVersions: []byte("2.0"), MaxFrameSize: 16380, Healthcheck: true})
		}},
		{"AppendDisconnect", func() {
			buf = spopwire.AppendDisconnect(buf[:0], spopwire.FrameAgentDisconnect, spopwire.StatusTimeout, "")
		}},
		{"Actions", func() {
			f, _ := spopwire.ConsumeFrame(ack, spopwire.DefaultMaxFrameSize)
			it := spopwire.Actions(f.Payload)
			for a, ok := it.Next(); ok; a, ok = it.Next() {
				sink.bytes = a.Name
			}
		}},
		{"Headers", func() {
			it := spopwire.Headers(hdrs)
			for name, value, ok := it.Next(); ok; name, value, ok = it.Next() {
				sink.n += len(name) + len(value)
			}
		}},
		{"ConsumeFrameInto+SkipMessage", func() { sink.n += checkNotify(notify13) }},
		{"ParseError", func() {
			_, n := spopwire.ConsumeValue([]byte{0x0a})
			sink.ok = spopwire.ParseError(n) != nil
		}},
	}
	for _, tt := range tests {
		if allocs := testing.AllocsPerRun(100, tt.f); allocs != 0 {
			t.Errorf("%s: %v allocs; want 0", tt.name, allocs)
		}
	}
}
