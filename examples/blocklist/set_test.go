package blocklist

import (
	"encoding/binary"
	"math/rand/v2"
	"net/netip"
	"strings"
	"testing"
)

const sample = `# comment line
192.0.2.7
198.51.100.0/24   # trailing comment
10.0.0.0/8
10.1.2.3          # inside 10/8: merged
203.0.113.0/25
203.0.113.128/25  # adjacent: merged with the previous
2001:db8::/32
2001:db8:ffff::1
::ffff:100.64.0.0/112
fe80::1
`

func TestSetContains(t *testing.T) {
	s, err := ParseSet(strings.NewReader(sample))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		ip   string
		want bool
	}{
		{"192.0.2.7", true},
		{"192.0.2.6", false},
		{"192.0.2.8", false},
		{"198.51.100.0", true},
		{"198.51.100.255", true},
		{"198.51.101.0", false},
		{"10.255.255.255", true},
		{"11.0.0.0", false},
		{"9.255.255.255", false},
		{"203.0.113.200", true},
		{"::ffff:192.0.2.7", true}, // mapped addresses are looked up as IPv4
		{"100.64.1.1", true},       // a mapped prefix in the file counts as IPv4
		{"100.65.0.0", false},
		{"2001:db8::1", true},
		{"2001:db8:ffff:ffff:ffff:ffff:ffff:ffff", true},
		{"2001:db9::", false},
		{"2001:db7:ffff:ffff:ffff:ffff:ffff:ffff", false},
		{"fe80::1", true},
		{"fe80::2", false},
		{"::", false},
		{"0.0.0.0", false},
		{"255.255.255.255", false},
	}
	for _, tt := range tests {
		if got := s.Contains(netip.MustParseAddr(tt.ip)); got != tt.want {
			t.Errorf("Contains(%s) = %v; want %v", tt.ip, got, tt.want)
		}
	}
	if got, want := s.Len(), 7; got != want {
		t.Errorf("Len() = %d; want %d (merged ranges)", got, want)
	}
	if s.Contains(netip.Addr{}) {
		t.Error("Contains(invalid) = true")
	}
}

func TestSetWholeSpace(t *testing.T) {
	s, err := ParseSet(strings.NewReader("0.0.0.0/0\n::/0\n"))
	if err != nil {
		t.Fatal(err)
	}
	for _, ip := range []string{"0.0.0.0", "255.255.255.255", "::", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "2001:db8::1"} {
		if !s.Contains(netip.MustParseAddr(ip)) {
			t.Errorf("Contains(%s) = false with /0 lists", ip)
		}
	}
}

func TestParseSetErrors(t *testing.T) {
	tests := []struct{ in, want string }{
		{"192.0.2.1\nnot-an-ip\n", "line 2:"},
		{"10.0.0.0/33\n", "line 1:"},
		{"\n\n# x\n2001:db8::/129\n", "line 4:"},
	}
	for _, tt := range tests {
		_, err := ParseSet(strings.NewReader(tt.in))
		if err == nil || !strings.HasPrefix(err.Error(), tt.want) {
			t.Errorf("ParseSet(%q) error = %v; want prefix %q", tt.in, err, tt.want)
		}
	}
}

// randomSet builds n entries: 80% IPv4 (/32 and /24), 20% IPv6 (/128 and /64).
func randomSet(n int, r *rand.Rand) *Set {
	ps := make([]netip.Prefix, n)
	for i := range ps {
		if i%5 == 0 {
			var b [16]byte
			binary.BigEndian.PutUint64(b[:8], 0x20010db8<<32|r.Uint64()>>32)
			binary.BigEndian.PutUint64(b[8:], r.Uint64())
			ps[i] = netip.PrefixFrom(netip.AddrFrom16(b), 128-64*(i%2))
			continue
		}
		var b [4]byte
		binary.BigEndian.PutUint32(b[:], r.Uint32())
		ps[i] = netip.PrefixFrom(netip.AddrFrom4(b), 32-8*(i%2))
	}
	return NewSet(ps)
}

func BenchmarkContains1M(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 2))
	s := randomSet(1_000_000, r)
	probes := make([]netip.Addr, 4096)
	for i := range probes {
		var a [4]byte
		binary.BigEndian.PutUint32(a[:], r.Uint32())
		probes[i] = netip.AddrFrom4(a)
		if i%4 == 0 {
			var a6 [16]byte
			binary.BigEndian.PutUint64(a6[:8], 0x20010db8<<32|r.Uint64()>>32)
			probes[i] = netip.AddrFrom16(a6)
		}
	}
	b.ReportMetric(float64(s.Len()), "ranges")
	b.ReportAllocs()
	b.ResetTimer()
	hits := 0
	for i := 0; b.Loop(); i++ {
		if s.Contains(probes[i&4095]) {
			hits++
		}
	}
	_ = hits
}

func BenchmarkParse1M(b *testing.B) {
	r := rand.New(rand.NewPCG(3, 4))
	var sb strings.Builder
	for range 1_000_000 {
		var a [4]byte
		binary.BigEndian.PutUint32(a[:], r.Uint32())
		sb.WriteString(netip.AddrFrom4(a).String())
		sb.WriteByte('\n')
	}
	text := sb.String()
	b.SetBytes(int64(len(text)))
	for b.Loop() {
		if _, err := ParseSet(strings.NewReader(text)); err != nil {
			b.Fatal(err)
		}
	}
}

// TestIndexedMatchesPlain checks the /16 index against plain binary search.
func TestIndexedMatchesPlain(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	s := randomSet(3*indexMin, r)
	plain := &Set{v4: s.v4, v6: s.v6}
	if s.idx4 == nil {
		t.Fatal("no index built")
	}
	for range 200_000 {
		var b [4]byte
		binary.BigEndian.PutUint32(b[:], r.Uint32())
		a := netip.AddrFrom4(b)
		if s.Contains(a) != plain.Contains(a) {
			t.Fatalf("Contains(%v): indexed %v, plain %v", a, s.Contains(a), plain.Contains(a))
		}
	}
	for _, rg := range s.v4[:1000] { // range edges
		for _, x := range []uint32{rg.lo - 1, rg.lo, rg.hi, rg.hi + 1} {
			var b [4]byte
			binary.BigEndian.PutUint32(b[:], x)
			if a := netip.AddrFrom4(b); s.Contains(a) != plain.Contains(a) {
				t.Fatalf("Contains(%v) at an edge: indexed %v, plain %v", a, s.Contains(a), plain.Contains(a))
			}
		}
	}
}
