package spopwire_test

import (
	"bytes"
	"math"
	"testing"

	"github.com/spopkit/spopkit/spopwire"
)

// varintTests are the encodings of spop-reference.md §2.3 (checked there
// against HAProxy's encode_varint/decode_varint) plus the values around every
// length boundary of §2.2.
var varintTests = []struct {
	v   uint64
	raw string
}{
	// One byte: 0 … 239.
	{0, "00"},
	{1, "01"},
	{42, "2a"},
	{239, "ef"},

	// Two bytes: 240 … 2287. The first byte keeps the low 4 bits under 0xF0.
	{240, "f0 00"},
	{241, "f1 00"},
	{255, "ff 00"},
	{256, "f0 01"},
	{300, "fc 03"},
	{1000, "f8 2f"},
	{2287, "ff 7f"},

	// Three bytes: 2288 … 264431.
	{2288, "f0 80 00"},
	{2289, "f1 80 00"},
	{16380, "fc f0 06"}, // HAProxy's default max-frame-size
	{18080, "f0 db 07"}, // the worked decode of §2.3
	{42144, "f0 bb 13"}, // the src_port of the §3.5 NOTIFY example
	{65535, "ff f0 1e"},
	{264431, "ff ff 7f"},

	// Four bytes: 264432 … 33818863.
	{264432, "f0 80 80 00"},
	{33818863, "ff ff ff 7f"},

	// Five bytes: 33818864 … 4328786159.
	{33818864, "f0 80 80 80 00"},
	{math.MaxUint32, "ff f0 fe fe 7e"},
	{1 << 32, "f0 f1 fe fe 7e"}, // int(4294967296) of the b-http-types captures
	{4328786159, "ff ff ff ff 7f"},

	// Six to nine bytes: the first and last value of each length.
	{4328786160, "f0 80 80 80 80 00"},
	{554084600047, "ff ff ff ff ff 7f"},
	{554084600048, "f0 80 80 80 80 80 00"},
	{70922828777711, "ff ff ff ff ff ff 7f"},
	{70922828777712, "f0 80 80 80 80 80 80 00"},
	{9078122083518703, "ff ff ff ff ff ff ff 7f"},
	{9078122083518704, "f0 80 80 80 80 80 80 80 00"},
	{1161999626690365679, "ff ff ff ff ff ff ff ff 7f"},

	// Ten bytes: 1161999626690365680 … 2^64−1; negatives as two's complement.
	{1161999626690365680, "f0 80 80 80 80 80 80 80 80 00"},
	{math.MaxInt64, "ff f0 fe fe fe fe fe fe fe 06"},
	{1 << 63, "f0 f1 fe fe fe fe fe fe fe 06"},
	{1<<63 + 5, "f5 f1 fe fe fe fe fe fe fe 06"},          // the UINT64 2^63+5 of ref §2.4
	{math.MaxUint64 - 1, "fe f0 fe fe fe fe fe fe fe 0e"}, // INT64 −2
	{math.MaxUint64, "ff f0 fe fe fe fe fe fe fe 0e"},     // INT64 −1
}

func TestVarint(t *testing.T) {
	for _, tt := range varintTests {
		raw := dhex(tt.raw)

		if got := spopwire.AppendVarint(nil, tt.v); !bytes.Equal(got, raw) {
			t.Errorf("AppendVarint(nil, %d) = %x; want %x", tt.v, got, raw)
		}
		prefix := []byte("pfx")
		if got := spopwire.AppendVarint(prefix[:3:3], tt.v); !bytes.Equal(got, append([]byte("pfx"), raw...)) {
			t.Errorf("AppendVarint(%q, %d) = %x; want the prefix kept", prefix, tt.v, got)
		}
		if got := spopwire.SizeVarint(tt.v); got != len(raw) {
			t.Errorf("SizeVarint(%d) = %d; want %d", tt.v, got, len(raw))
		}

		v, n := spopwire.ConsumeVarint(raw)
		if v != tt.v || n != len(raw) {
			t.Errorf("ConsumeVarint(%x) = %d, %s; want %d, n=%d", raw, v, nstr(n), tt.v, len(raw))
		}
		// Trailing bytes are left alone.
		withTail := append(append([]byte(nil), raw...), 0xff, 0x00)
		if v, n := spopwire.ConsumeVarint(withTail); v != tt.v || n != len(raw) {
			t.Errorf("ConsumeVarint(%x) = %d, %s; want %d, n=%d", withTail, v, nstr(n), tt.v, len(raw))
		}
		// Every proper prefix ends inside the encoding: read more and retry.
		for i := range len(raw) {
			if _, n := spopwire.ConsumeVarint(raw[:i]); spopwire.ParseError(n) != spopwire.ErrNeedMore {
				t.Errorf("ConsumeVarint(%x) = %s; want need more", raw[:i], nstr(n))
			}
		}
	}
}

func TestVarintInvalid(t *testing.T) {
	tests := []struct {
		raw     string
		wantErr error
	}{
		// Truncations (inside a stream this is not an error).
		{"", spopwire.ErrNeedMore},
		{"f0", spopwire.ErrNeedMore},
		{"ff 80", spopwire.ErrNeedMore},
		{"ff ff ff ff ff ff ff ff ff", spopwire.ErrNeedMore},

		// The 10th byte must end the encoding and keep the sum in 64 bits.
		{"ff ff ff ff ff ff ff ff ff 7f", spopwire.ErrInvalidFrame},
		{"ff ff ff ff ff ff ff ff ff 10", spopwire.ErrInvalidFrame},
		{"ff ff ff ff ff ff ff ff ff 80", spopwire.ErrInvalidFrame},
		{"ff ff ff ff ff ff ff ff ff 0f", spopwire.ErrInvalidFrame},    // carries out of 64 bits
		{"f0 80 80 80 80 80 80 80 80 0f", spopwire.ErrInvalidFrame},    // 1161999626690365680 + 15·2^60 > 2^64−1
		{"ff ff ff ff ff ff ff ff ff ff 00", spopwire.ErrInvalidFrame}, // 11 bytes
		{"ff ff ff ff ff ff ff ff ff ff ff ff", spopwire.ErrInvalidFrame},
	}
	for _, tt := range tests {
		raw := dhex(tt.raw)
		v, n := spopwire.ConsumeVarint(raw)
		if got := spopwire.ParseError(n); got != tt.wantErr || n >= 0 {
			t.Errorf("ConsumeVarint(%x) = %d, %s; want %s", raw, v, nstr(n), wantN(0, tt.wantErr))
		}
	}

	// The largest 10-byte encodings still in range.
	for _, raw := range []string{
		"f0 80 80 80 80 80 80 80 80 0e", // 1161999626690365680 + 14·2^60
		"ff f0 fe fe fe fe fe fe fe 0e", // 2^64 − 1
	} {
		b := dhex(raw)
		v, n := spopwire.ConsumeVarint(b)
		if n != 10 || !bytes.Equal(spopwire.AppendVarint(nil, v), b) {
			t.Errorf("ConsumeVarint(%x) = %d, %s; want a 10-byte value that re-encodes identically", b, v, nstr(n))
		}
	}
}

// TestSizeVarint checks SizeVarint against the ranges of ref §2.2 on both sides
// of every boundary, and against len(AppendVarint).
func TestSizeVarint(t *testing.T) {
	// firstOfLength[i] is the first value that takes i+1 bytes (ref §2.2).
	firstOfLength := []uint64{
		0, 240, 2288, 264432, 33818864, 4328786160, 554084600048,
		70922828777712, 9078122083518704, 1161999626690365680,
	}
	check := func(v uint64, want int) {
		t.Helper()
		if got := spopwire.SizeVarint(v); got != want {
			t.Errorf("SizeVarint(%d) = %d; want %d", v, got, want)
		}
		if got := len(spopwire.AppendVarint(nil, v)); got != want {
			t.Errorf("len(AppendVarint(nil, %d)) = %d; want %d", v, got, want)
		}
	}
	for i, first := range firstOfLength {
		check(first, i+1)
		if first > 0 {
			check(first-1, i)
		}
		check(first+1, i+1)
	}
	check(math.MaxUint64, spopwire.MaxVarintLen)

	// Sweep: each length boundary is where the encoded size changes.
	for v := uint64(0); v < 300000; v++ {
		if got, want := spopwire.SizeVarint(v), len(spopwire.AppendVarint(nil, v)); got != want {
			t.Fatalf("SizeVarint(%d) = %d; want %d", v, got, want)
		}
	}
}
