package arg

import (
	"bytes"
	"fmt"
	"log/slog"
	"net/netip"
	"strings"
	"testing"

	"github.com/spopkit/spopkit/spopwire"
)

// Every field type prints its state or its value, bounded, through
// fmt.Stringer and slog.LogValuer.
func TestFieldStrings(t *testing.T) {
	long := strings.Repeat("a", LogLimit+10)
	hdrs := spopwire.AppendHeadersEnd(spopwire.AppendHeader(spopwire.AppendHeader(nil, "host", "example.org"), "x-long", long))
	set := func(f interface{ Set(spopwire.Value) }, v spopwire.Value) { f.Set(v) }
	var (
		addr, addrNull, addrWrong Addr
		i                         Int
		b                         Bool
		s, sLong                  String
		by                        Bytes
		h                         Headers
		v, vLong                  Value
	)
	set(&addr, spopwire.AddrValue(netip.MustParseAddr("192.0.2.1")))
	set(&addrNull, spopwire.Null())
	set(&addrWrong, spopwire.StringValue("x"))
	set(&i, spopwire.Int64Value(-3))
	set(&b, spopwire.BoolValue(true))
	set(&s, spopwire.StringValue("GET"))
	set(&sLong, spopwire.StringValue(long))
	set(&by, spopwire.BinaryValue([]byte{0, 'a'}))
	set(&h, spopwire.BinaryValue(hdrs))
	set(&v, spopwire.Uint32Value(7))
	set(&vLong, spopwire.BinaryValue([]byte(long)))
	cut := strings.Repeat("a", LogLimit) + "… (" + fmt.Sprint(LogLimit+10) + " bytes)"
	for _, tt := range []struct {
		f    fmt.Stringer
		want string
	}{
		{Addr{}, "<absent>"},
		{addr, "192.0.2.1"},
		{addrNull, "<null>"},
		{addrWrong, "<wrong type: STRING>"},
		{i, "-3"},
		{b, "true"},
		{s, "GET"},
		{sLong, cut},
		{by, `"\x00a"`},
		{v, "UINT32 7"},
		{vLong, `BINARY "` + strings.Repeat("a", LogLimit) + `"… (` + fmt.Sprint(LogLimit+10) + " bytes)"},
	} {
		if got := tt.f.String(); got != tt.want {
			t.Errorf("%T.String() = %q; want %q", tt.f, got, tt.want)
		}
		if got := tt.f.(slog.LogValuer).LogValue().String(); got != tt.want {
			t.Errorf("%T.LogValue() = %q; want %q", tt.f, got, tt.want)
		}
	}
	if got := h.String(); !strings.HasPrefix(got, "host: example.org; x-long: aaa") || !strings.HasSuffix(got, fmt.Sprintf("… (%d bytes)", len(hdrs))) || len(got) > LogLimit+20 {
		t.Errorf("Headers.String() = %q; want the headers cut at LogLimit, with the block's length", got)
	}
	var buf bytes.Buffer
	slog.New(slog.NewTextHandler(&buf, nil)).Info("m", "i", i, "b", b, "s", s)
	if out := buf.String(); !strings.Contains(out, "i=-3 b=true s=GET") {
		t.Errorf("slog output %q; want i=-3 b=true s=GET", out)
	}
}
