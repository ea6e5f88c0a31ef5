package spopwire_test

import (
	"bytes"
	"math"
	"net/netip"
	"strings"
	"testing"

	"github.com/spopkit/spopkit/spopwire"
)

// big3000 is a BINARY payload whose length needs a 3-byte varint (f8 ac 00).
var big3000 = strings.Repeat("0123456789", 300)

// valueTests are typed-data encodings (ref §3.1): AppendValue(v) must give raw,
// and ConsumeValue(raw) must give back v, of type typ, using all of raw.
var valueTests = []struct {
	v   spopwire.Value
	typ spopwire.Type
	raw string
}{
	// NULL and BOOL: the type byte is the whole value; true is flag 0x10.
	{null, spopwire.TypeNull, "00"},
	{boolean(true), spopwire.TypeBool, "11"},
	{boolean(false), spopwire.TypeBool, "01"},

	// INT32: negatives are the 10-byte varint of the 64-bit two's complement.
	{i32(math.MinInt32), spopwire.TypeInt32, "02 f0 f1 fe fe be fe fe fe fe 0e"},
	{i32(-1), spopwire.TypeInt32, "02 ff f0 fe fe fe fe fe fe fe 0e"},
	{i32(0), spopwire.TypeInt32, "02 00"},
	{i32(42), spopwire.TypeInt32, "02 2a"},
	{i32(math.MaxInt32), spopwire.TypeInt32, "02 ff f0 fe fe 3e"},

	// UINT32: what HAProxy uses for max-frame-size and status-code.
	{u32(0), spopwire.TypeUint32, "03 00"},
	{u32(16380), spopwire.TypeUint32, "03 fc f0 06"},
	{u32(math.MaxUint32), spopwire.TypeUint32, "03 ff f0 fe fe 7e"},

	// INT64: HAProxy's type for every integer sample.
	{i64(math.MinInt64), spopwire.TypeInt64, "04 f0 f1 fe fe fe fe fe fe fe 06"},
	{i64(-1), spopwire.TypeInt64, "04 ff f0 fe fe fe fe fe fe fe 0e"},
	{i64(0), spopwire.TypeInt64, "04 00"},
	{i64(42144), spopwire.TypeInt64, "04 f0 bb 13"},
	{i64(1 << 32), spopwire.TypeInt64, "04 f0 f1 fe fe 7e"},
	{i64(math.MaxInt64), spopwire.TypeInt64, "04 ff f0 fe fe fe fe fe fe fe 06"},

	// UINT64.
	{u64(0), spopwire.TypeUint64, "05 00"},
	{u64(1<<63 + 5), spopwire.TypeUint64, "05 f5 f1 fe fe fe fe fe fe fe 06"},
	{u64(math.MaxUint64), spopwire.TypeUint64, "05 ff f0 fe fe fe fe fe fe fe 0e"},

	// Addresses, network order.
	{ip("127.0.0.1"), spopwire.TypeIPv4, "06 7f 00 00 01"},
	{ip("0.0.0.0"), spopwire.TypeIPv4, "06 00 00 00 00"},
	{ip("192.0.2.7"), spopwire.TypeIPv4, "06 c0 00 02 07"},
	{ip("::1"), spopwire.TypeIPv6, "07 00000000000000000000000000000001"},
	{ip("::"), spopwire.TypeIPv6, "07 00000000000000000000000000000000"},
	{ip("2001:db8::7"), spopwire.TypeIPv6, "07 20010db8000000000000000000000007"},
	{ip("::ffff:192.0.2.7"), spopwire.TypeIPv6, "07 00000000000000000000ffffc0000207"}, // v4-mapped stays IPV6

	// STRING and BINARY: varint length, then the bytes, NULs included.
	{str(""), spopwire.TypeString, "08 00"},
	{str("GET"), spopwire.TypeString, `08 03 "GET"`},
	{str("a\x00b"), spopwire.TypeString, "08 03 61 00 62"},
	{bin(""), spopwire.TypeBinary, "09 00"},
	{bin("\x00\xff\x10"), spopwire.TypeBinary, "09 03 00 ff 10"},
	{bin(big3000), spopwire.TypeBinary, `09 f8 ac 00 "` + big3000 + `"`},
	{str(big3000), spopwire.TypeString, `08 f8 ac 00 "` + big3000 + `"`},
}

func TestValue(t *testing.T) {
	for _, tt := range valueTests {
		raw := dhex(tt.raw)
		if got := spopwire.AppendValue(nil, tt.v); !bytes.Equal(got, raw) {
			t.Errorf("AppendValue(nil, %v) = %x; want %x", tt.v, got, raw)
		}
		if got := spopwire.SizeValue(tt.v); got != len(raw) {
			t.Errorf("SizeValue(%v) = %d; want %d", tt.v, got, len(raw))
		}
		if got := tt.v.Type(); got != tt.typ {
			t.Errorf("%v.Type() = %v; want %v", tt.v, got, tt.typ)
		}

		v, n := spopwire.ConsumeValue(raw)
		if n != len(raw) || !v.Equal(tt.v) || v.Type() != tt.typ {
			t.Errorf("ConsumeValue(%x) = %v, %s; want %v, n=%d", raw, v, nstr(n), tt.v, len(raw))
		}
		if !within(v.Bytes(), raw) {
			t.Errorf("ConsumeValue(%x).Bytes() is not a view into the input", raw)
		}
		// Every proper prefix is "need more", never a wrong value.
		for i := range len(raw) {
			if v, n := spopwire.ConsumeValue(raw[:i]); spopwire.ParseError(n) != spopwire.ErrNeedMore {
				t.Errorf("ConsumeValue(%x) = %v, %s; want need more", raw[:i], v, nstr(n))
			}
		}
	}
}

func TestConsumeValueFlags(t *testing.T) {
	tests := []struct {
		raw  string
		want spopwire.Value
	}{
		// BOOL: only a flags nibble of exactly 0x1 is true (ref §3.2).
		{"11", boolean(true)},
		{"01", boolean(false)},
		{"31", boolean(false)},
		{"21", boolean(false)},
		{"f1", boolean(false)},
		{"91", boolean(false)},

		// Other types ignore the flags nibble.
		{"10", null},
		{"f0", null},
		{"14 2a", i64(42)},
		{"36 7f 00 00 01", ip("127.0.0.1")},
		{"f9 01 00", bin("\x00")},
		{"18 02 6f 6b", str("ok")},
	}
	for _, tt := range tests {
		raw := dhex(tt.raw)
		v, n := spopwire.ConsumeValue(raw)
		if n != len(raw) || !v.Equal(tt.want) {
			t.Errorf("ConsumeValue(%x) = %v, %s; want %v, n=%d", raw, v, nstr(n), tt.want, len(raw))
		}
	}
}

func TestConsumeValueErrors(t *testing.T) {
	tests := []struct {
		raw     string
		wantErr error
	}{
		// Types 10–15 are reserved: their length is unknowable (ref §3.1).
		{"0a", spopwire.ErrInvalidFrame},
		{"0b 00", spopwire.ErrInvalidFrame},
		{"0c", spopwire.ErrInvalidFrame},
		{"0d", spopwire.ErrInvalidFrame},
		{"0e", spopwire.ErrInvalidFrame},
		{"0f", spopwire.ErrInvalidFrame},
		{"1a", spopwire.ErrInvalidFrame},
		{"ff", spopwire.ErrInvalidFrame},

		// Truncations.
		{"", spopwire.ErrNeedMore},
		{"02", spopwire.ErrNeedMore},
		{"04 f0", spopwire.ErrNeedMore},
		{"04 ff f0 fe fe fe fe fe fe fe", spopwire.ErrNeedMore},
		{"06 7f 00 00", spopwire.ErrNeedMore},
		{"07 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00", spopwire.ErrNeedMore},
		{"08", spopwire.ErrNeedMore},
		{"08 05 68 65 6c 6c", spopwire.ErrNeedMore},
		{"09 f8 ac", spopwire.ErrNeedMore},
		{"09 f8 ac 00 00", spopwire.ErrNeedMore}, // 1 of 3000 bytes

		// Integer overflow inside a value.
		{"04 ff ff ff ff ff ff ff ff ff 7f", spopwire.ErrInvalidFrame},
		{"08 ff ff ff ff ff ff ff ff ff 7f", spopwire.ErrInvalidFrame},
		// A length beyond any buffer is only "need more" here: a frame's
		// length bounds it (see TestFrameLiesAboutContent).
		{"09 ff f0 fe fe fe fe fe fe fe 0e", spopwire.ErrNeedMore},
	}
	for _, tt := range tests {
		raw := dhex(tt.raw)
		v, n := spopwire.ConsumeValue(raw)
		if got := spopwire.ParseError(n); got != tt.wantErr || n >= 0 {
			t.Errorf("ConsumeValue(%x) = %v, %s; want %s", raw, v, nstr(n), wantN(0, tt.wantErr))
		}
	}
}

func TestValueAccessors(t *testing.T) {
	// Integers read back as HAProxy reads them: 64 bits, signed.
	if got := u64(math.MaxUint64).Int64(); got != -1 {
		t.Errorf("Uint64Value(MaxUint64).Int64() = %d; want -1", got)
	}
	if got := u64(1<<63 + 5).Int64(); got != -9223372036854775803 {
		t.Errorf("Uint64Value(2^63+5).Int64() = %d; want -9223372036854775803", got)
	}
	if got := i64(-1).Uint64(); got != math.MaxUint64 {
		t.Errorf("Int64Value(-1).Uint64() = %d; want %d", got, uint64(math.MaxUint64))
	}
	if got := i32(-5).Int64(); got != -5 {
		t.Errorf("Int32Value(-5).Int64() = %d; want -5", got)
	}
	if got := u32(math.MaxUint32).Int64(); got != math.MaxUint32 {
		t.Errorf("Uint32Value(MaxUint32).Int64() = %d; want %d", got, uint32(math.MaxUint32))
	}

	// Accessors of the wrong type give zero values.
	for _, v := range []spopwire.Value{null, boolean(true), str("1"), bin("1"), ip("10.0.0.1")} {
		if v.Int64() != 0 || v.Uint64() != 0 {
			t.Errorf("%v.Int64(), .Uint64() = %d, %d; want 0, 0", v, v.Int64(), v.Uint64())
		}
	}
	for _, v := range []spopwire.Value{null, i64(1), str("true"), ip("::1")} {
		if v.Bool() {
			t.Errorf("%v.Bool() = true; want false", v)
		}
	}
	for _, v := range []spopwire.Value{null, boolean(true), i64(1), ip("::1")} {
		if v.Bytes() != nil || v.StringView() != "" {
			t.Errorf("%v.Bytes(), .StringView() = %q, %q; want nil, \"\"", v, v.Bytes(), v.StringView())
		}
	}
	for _, v := range []spopwire.Value{null, boolean(true), i64(1), str("::1")} {
		if v.Addr().IsValid() {
			t.Errorf("%v.Addr() = %v; want the zero Addr", v, v.Addr())
		}
	}
	if !null.IsNull() || !(spopwire.Value{}).IsNull() || str("").IsNull() {
		t.Errorf("IsNull: the zero Value must be NULL and an empty STRING must not")
	}
	if got := str("héllo").StringView(); got != "héllo" {
		t.Errorf("StringView() = %q; want %q", got, "héllo")
	}
	if got := bin("\x00\x01").StringView(); got != "\x00\x01" {
		t.Errorf("BinaryValue.StringView() = %q; want %q", got, "\x00\x01")
	}

	// BytesStringValue and BinaryValue refer to the caller's bytes.
	buf := []byte("view")
	if v := spopwire.BytesStringValue(buf); v.Type() != spopwire.TypeString || &v.Bytes()[0] != &buf[0] {
		t.Errorf("BytesStringValue(%q) = %v; want a STRING view of the argument", buf, v)
	}
	if v := spopwire.BinaryValue(buf); v.Type() != spopwire.TypeBinary || &v.Bytes()[0] != &buf[0] {
		t.Errorf("BinaryValue(%q) = %v; want a BINARY view of the argument", buf, v)
	}
}

func TestAddrValue(t *testing.T) {
	tests := []struct {
		addr     netip.Addr
		wantType spopwire.Type
		wantAddr netip.Addr
	}{
		{netip.MustParseAddr("192.0.2.7"), spopwire.TypeIPv4, netip.MustParseAddr("192.0.2.7")},
		{netip.MustParseAddr("::1"), spopwire.TypeIPv6, netip.MustParseAddr("::1")},
		{netip.MustParseAddr("::ffff:192.0.2.7"), spopwire.TypeIPv6, netip.MustParseAddr("::ffff:192.0.2.7")},
		{netip.MustParseAddr("fe80::1%eth0"), spopwire.TypeIPv6, netip.MustParseAddr("fe80::1")}, // no zone on the wire
		{netip.Addr{}, spopwire.TypeNull, netip.Addr{}},
	}
	for _, tt := range tests {
		v := spopwire.AddrValue(tt.addr)
		if v.Type() != tt.wantType || v.Addr() != tt.wantAddr {
			t.Errorf("AddrValue(%v) = %v (%v); want %v %v", tt.addr, v, v.Addr(), tt.wantType, tt.wantAddr)
		}
	}
}

func TestValueEqual(t *testing.T) {
	tests := []struct {
		a, b spopwire.Value
		want bool
	}{
		{null, spopwire.Value{}, true},
		{str("x"), spopwire.BytesStringValue([]byte("x")), true},
		{str(""), spopwire.BytesStringValue(nil), true},
		{str("x"), bin("x"), false}, // same bytes, different type
		{i64(1), i32(1), false},
		{i64(1), u64(1), false},
		{i64(-1), i64(-1), true},
		{boolean(true), boolean(false), false},
		{ip("127.0.0.1"), ip("::ffff:127.0.0.1"), false},
		{ip("::1"), ip("::1"), true},
		{null, boolean(false), false},
	}
	for _, tt := range tests {
		if got := tt.a.Equal(tt.b); got != tt.want {
			t.Errorf("(%v).Equal(%v) = %v; want %v", tt.a, tt.b, got, tt.want)
		}
	}
}

func TestValueString(t *testing.T) {
	tests := []struct {
		v    spopwire.Value
		want string
	}{
		{null, "NULL"},
		{boolean(true), "BOOL true"},
		{boolean(false), "BOOL false"},
		{i32(-7), "INT32 -7"},
		{u32(math.MaxUint32), "UINT32 4294967295"},
		{i64(-1), "INT64 -1"},
		{u64(math.MaxUint64), "UINT64 18446744073709551615"},
		{ip("127.0.0.1"), "IPV4 127.0.0.1"},
		{ip("::1"), "IPV6 ::1"},
		{str("GET"), `STRING "GET"`},
		{str("a\x00"), `STRING "a\x00"`},
		{bin("\x00\xff\x10"), "BINARY 00ff10"},
	}
	for _, tt := range tests {
		if got := tt.v.String(); got != tt.want {
			t.Errorf("Value.String() = %q; want %q", got, tt.want)
		}
	}
}

func TestType(t *testing.T) {
	names := []string{"NULL", "BOOL", "INT32", "UINT32", "INT64", "UINT64", "IPV4", "IPV6", "STRING", "BINARY"}
	for i, want := range names {
		typ := spopwire.Type(i)
		if got := typ.String(); got != want {
			t.Errorf("Type(%d).String() = %q; want %q", i, got, want)
		}
		if got, want := typ.IsInteger(), i >= 2 && i <= 5; got != want {
			t.Errorf("Type(%d).IsInteger() = %v; want %v", i, got, want)
		}
	}
	if got := spopwire.Type(10).String(); got != "TYPE(10)" {
		t.Errorf("Type(10).String() = %q; want %q", got, "TYPE(10)")
	}
}

func TestRawBytes(t *testing.T) {
	tests := []struct {
		s       string
		raw     string
		wantErr error
	}{
		// Names are raw strings: a varint length, no type byte (ref §3.3).
		{"", "00", nil},
		{"status-code", `0b "status-code"`, nil},
		{big3000[:300], `fc 03 "` + big3000[:300] + `"`, nil}, // ref §11: a 300-byte length is fc 03
	}
	for _, tt := range tests {
		raw := dhex(tt.raw)
		if got := spopwire.AppendRawString(nil, tt.s); !bytes.Equal(got, raw) {
			t.Errorf("AppendRawString(nil, %q) = %x; want %x", tt.s, got, raw)
		}
		if got := spopwire.AppendRawBytes(nil, []byte(tt.s)); !bytes.Equal(got, raw) {
			t.Errorf("AppendRawBytes(nil, %q) = %x; want %x", tt.s, got, raw)
		}
		if got := spopwire.SizeRawString(len(tt.s)); got != len(raw) {
			t.Errorf("SizeRawString(%d) = %d; want %d", len(tt.s), got, len(raw))
		}
		got, n := spopwire.ConsumeRawBytes(raw)
		if string(got) != tt.s || n != len(raw) || !within(got, raw) {
			t.Errorf("ConsumeRawBytes(%x) = %q, %s; want %q, n=%d (a view)", raw, got, nstr(n), tt.s, len(raw))
		}
		if cap(got) != len(got) {
			t.Errorf("ConsumeRawBytes(%x): cap = %d; want %d (appending must not overwrite the frame)", raw, cap(got), len(got))
		}
		for i := range len(raw) {
			if _, n := spopwire.ConsumeRawBytes(raw[:i]); spopwire.ParseError(n) != spopwire.ErrNeedMore {
				t.Errorf("ConsumeRawBytes(%x) = %s; want need more", raw[:i], nstr(n))
			}
		}
	}
	if _, n := spopwire.ConsumeRawBytes(dhex("ff ff ff ff ff ff ff ff ff 7f")); spopwire.ParseError(n) != spopwire.ErrInvalidFrame {
		t.Errorf("ConsumeRawBytes(overlong length) = %s; want invalid", nstr(n))
	}
}
