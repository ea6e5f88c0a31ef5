package spoeconf

import (
	"errors"
	"testing"
)

func TestParseSample(t *testing.T) {
	tests := []struct {
		expr  string
		fetch string // fetch and converters written back, "" if an error is expected
		convs int
	}{
		{"src", "src", 0},
		{"base32+src", "base32+src", 0},
		{"req.hdr_names()", "req.hdr_names()", 0},
		{"ipv6(::55)", "ipv6(::55)", 0},
		{"req.hdr(User-Agent),lower", "req.hdr(User-Agent),lower", 1},
		{"req.hdrs,regsub(foo,bar)", "req.hdrs,regsub(foo,bar)", 1},
		{"res.payload(0,16)", "res.payload(0,16)", 0},
		{"src,ipmask(24),hex", "src,ipmask(24),hex", 2},
		{"str(a=b)", "str(a=b)", 0},
		{`str("a)b")`, `str("a)b")`, 0},
		{`str(a\)b)`, `str(a\)b)`, 0},
		{"str(f(x)),lower", "str(f(x)),lower", 1},
		{"src,,lower,", "src,lower", 1}, // HAProxy tolerates extra commas
		{"", "", 0},
		{"\\", "", 0},
		{"b)", "", 0},
		{"(src)", "", 0},
		{",lower", "", 0},
		{"src lower", "", 0},
		{"req.hdr(x", "", 0},
		{`str("x)`, "", 0},
		{"req.hdr(x)lower", "", 0},
		{"src,(x)", "", 0},
	}
	for _, tt := range tests {
		s, err := ParseSample(tt.expr)
		if tt.fetch == "" {
			var se *SampleError
			if err == nil || !errors.As(err, &se) || se.Offset < 0 || se.Offset > len(tt.expr) {
				t.Errorf("ParseSample(%q) = %v, %v; want a *SampleError", tt.expr, s, err)
			}
			continue
		}
		if err != nil || s.String() != tt.fetch || len(s.Converters) != tt.convs {
			t.Errorf("ParseSample(%q) = %q (%d converters), %v; want %q (%d)", tt.expr, s.String(), len(s.Converters), err, tt.fetch, tt.convs)
		}
	}
}
