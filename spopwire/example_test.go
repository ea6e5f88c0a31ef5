package spopwire_test

import (
	"fmt"
	"net/netip"

	"github.com/spopkit/spopkit/spopwire"
)

// An ACK is built in place: StartFrame reserves the length prefix and writes
// the header, the actions are appended, FinishFrame patches the length. The
// buffer can be reused for the next frame without allocating.
func Example_ack() {
	var buf []byte // reused across frames in a real agent: buf[:0]

	buf, start := spopwire.StartFrame(buf, spopwire.FrameAck, spopwire.FlagFin, 3, 1) // the NOTIFY's ids
	buf = spopwire.AppendSetVar(buf, spopwire.ScopeTransaction, "score", spopwire.Int32Value(42))
	buf = spopwire.AppendUnsetVar(buf, spopwire.ScopeSession, "flag")
	if l := spopwire.FinishFrame(buf, start); l > spopwire.DefaultMaxFrameSize {
		fmt.Println("ACK too big for the negotiated max-frame-size")
	}

	fmt.Printf("% x\n", buf)
	// Output:
	// 00 00 00 1a 67 00 00 00 01 03 01 01 03 02 05 73 63 6f 72 65 02 2a 02 02 01 04 66 6c 61 67
}

// A NOTIFY is read from the connection's buffer: ConsumeFrame splits off one
// frame (or asks for more bytes), Messages and Args walk its content. Names
// and values are views into the buffer, valid until it is reused.
func Example_notify() {
	// Bytes as received: the NOTIFY of ref §3.5, then the start of the next
	// frame.
	buf := []byte{
		0x00, 0x00, 0x00, 0x29, 0x03, 0x00, 0x00, 0x00, 0x01, 0x03, 0x01,
		0x0a, 'm', 's', 'g', '-', 'c', 'l', 'i', 'e', 'n', 't', 0x04,
		0x00, 0x06, 0x7f, 0x00, 0x00, 0x01,
		0x00, 0x06, 0x7f, 0x00, 0x00, 0x01,
		0x00, 0x04, 0xf0, 0xbb, 0x13,
		0x00, 0x04, 0xf0, 0xdb, 0x07,
		0x00, 0x00, 0x00,
	}

	for {
		f, n := spopwire.ConsumeFrame(buf, spopwire.DefaultMaxFrameSize)
		if err := spopwire.ParseError(n); err == spopwire.ErrNeedMore {
			fmt.Println("need more bytes")
			break
		} else if err != nil {
			fmt.Println("disconnect with status", spopwire.StatusOf(err))
			break
		}
		buf = buf[n:]

		fmt.Printf("%v stream-id=%d frame-id=%d\n", f.Type, f.StreamID, f.FrameID)
		it := spopwire.Messages(f.Payload)
		for msg, ok := it.Next(); ok; msg, ok = it.Next() {
			fmt.Printf("message %s (%d args)\n", msg.Name, msg.NumArgs)
			args := msg.Args()
			for a, ok := args.Next(); ok; a, ok = args.Next() {
				fmt.Printf("  %q = %v\n", a.Name, a.Value)
			}
		}
		if err := it.Err(); err != nil {
			fmt.Println("disconnect with status", spopwire.StatusOf(err))
		}
	}
	// Output:
	// NOTIFY stream-id=3 frame-id=1
	// message msg-client (4 args)
	//   "" = IPV4 127.0.0.1
	//   "" = IPV4 127.0.0.1
	//   "" = INT64 42144
	//   "" = INT64 18080
	// need more bytes
}

// The handshake: parse HAProxy's HELLO, check the version, answer with the
// capabilities both sides support.
func ExampleParseHAProxyHello() {
	hello := []byte("\x12supported-versions\x08\x032.0" +
		"\x0emax-frame-size\x03\xfc\xf0\x06" +
		"\x0ccapabilities\x08\x10pipelining,async")

	h, err := spopwire.ParseHAProxyHello(hello)
	if err != nil || !spopwire.VersionSupported(h.SupportedVersions) {
		fmt.Println("refuse:", spopwire.StatusUnsupportedVersion)
		return
	}
	caps := h.Capabilities & spopwire.CapPipelining // never announce async
	reply := spopwire.AppendAgentHello(nil, h.MaxFrameSize, caps)
	fmt.Println(h.MaxFrameSize, h.Capabilities, "->", caps, len(reply), "bytes")
	// Output:
	// 16380 pipelining,async -> pipelining 68 bytes
}

// req.hdrs_bin arrives as a BINARY argument; Headers walks it without copying.
func ExampleHeaders() {
	hdrsBin := []byte("\x04host\x0f127.0.0.1:18080\x05x-dup\x01a\x05x-dup\x01b\x00\x00")

	it := spopwire.Headers(hdrsBin)
	for name, value, ok := it.Next(); ok; name, value, ok = it.Next() {
		fmt.Printf("%s: %s\n", name, value)
	}
	if err := it.Err(); err != nil {
		fmt.Println(err)
	}
	// Output:
	// host: 127.0.0.1:18080
	// x-dup: a
	// x-dup: b
}

// Values are built by type and printed with their type; ConsumeValue reads
// one back from its encoding (strings and binaries as views into the bytes).
func ExampleValue() {
	values := []spopwire.Value{
		spopwire.Null(),
		spopwire.BoolValue(true),
		spopwire.Int64Value(-7),
		spopwire.Uint32Value(7),
		spopwire.AddrValue(netip.MustParseAddr("2001:db8::1")),
		spopwire.StringValue("GET"),
		spopwire.BinaryValue([]byte{0xca, 0xfe}),
	}
	var b []byte
	for _, v := range values {
		b = spopwire.AppendValue(b, v)
	}
	for len(b) > 0 {
		v, n := spopwire.ConsumeValue(b)
		if n <= 0 {
			fmt.Println(spopwire.ParseError(n))
			return
		}
		b = b[n:]
		fmt.Printf("%v (%d bytes)\n", v, n)
	}
	// Output:
	// NULL (1 bytes)
	// BOOL true (1 bytes)
	// INT64 -7 (11 bytes)
	// UINT32 7 (2 bytes)
	// IPV6 2001:db8::1 (17 bytes)
	// STRING "GET" (5 bytes)
	// BINARY cafe (4 bytes)
}
