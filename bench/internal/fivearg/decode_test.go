package fivearg

import (
	"net/netip"
	"testing"

	"github.com/spopkit/spopkit/spopwire"
)

// payload is a NOTIFY payload with one check-request message.
func payload() []byte {
	b := spopwire.AppendMessageHeader(nil, "check-request", 5)
	b = spopwire.AppendArg(b, "ip", spopwire.AddrValue(netip.MustParseAddr("192.0.2.7")))
	b = spopwire.AppendArg(b, "method", spopwire.StringValue("POST"))
	b = spopwire.AppendArg(b, "path", spopwire.StringValue("/api/v1/orders"))
	b = spopwire.AppendArg(b, "port", spopwire.Int64Value(51888))
	return spopwire.AppendArg(b, "body", spopwire.BinaryValue([]byte("A\x00B\x00\x00C\r\n\xff end")))
}

func decode(t testing.TB, p []byte) CheckRequest {
	_, nargs, n := spopwire.ConsumeMessageHeader(p)
	var m CheckRequest
	if _, err := m.DecodeArgs(p[n:], nargs); err != nil {
		t.Fatal(err)
	}
	return m
}

func TestDecode(t *testing.T) {
	m := decode(t, payload())
	if ip, ok := m.IP.Get(); !ok || ip != netip.MustParseAddr("192.0.2.7") {
		t.Errorf("IP = %v, %v; want 192.0.2.7, true", ip, ok)
	}
	if s, ok := m.Method.Get(); !ok || s != "POST" {
		t.Errorf("Method = %q, %v; want POST, true", s, ok)
	}
	if p, _ := m.Path.Get(); p != "/api/v1/orders" {
		t.Errorf("Path = %q; want /api/v1/orders", p)
	}
	if port, _ := m.Port.Get(); port != 51888 {
		t.Errorf("Port = %d; want 51888", port)
	}
	if b, _ := m.Body.Get(); string(b) != "A\x00B\x00\x00C\r\n\xff end" {
		t.Errorf("Body = %q", b)
	}
	if err := m.Err(); err != nil {
		t.Errorf("Err() = %v; want nil", err)
	}
}

func TestDecodeAllocs(t *testing.T) {
	p := payload()
	_, nargs, n := spopwire.ConsumeMessageHeader(p)
	var m CheckRequest
	allocs := testing.AllocsPerRun(1000, func() {
		if _, err := m.DecodeArgs(p[n:], nargs); err != nil {
			t.Fatal(err)
		}
	})
	if allocs != 0 {
		t.Errorf("DecodeArgs allocates %v times per run; want 0", allocs)
	}
}

// BenchmarkDecode decodes a NOTIFY payload holding one five-argument message
// into the generated struct: the message header, then DecodeArgs.
func BenchmarkDecode(b *testing.B) {
	p := payload()
	b.ReportAllocs()
	b.SetBytes(int64(len(p)))
	var m CheckRequest
	for b.Loop() {
		_, nargs, n := spopwire.ConsumeMessageHeader(p)
		if _, err := m.DecodeArgs(p[n:], nargs); err != nil {
			b.Fatal(err)
		}
	}
}
