package spoeconf

import (
	"testing"
	"time"
)

func TestParseTime(t *testing.T) {
	tests := []struct {
		in   string
		want time.Duration
		ok   bool
	}{
		{"0", 0, true},
		{"10", 10 * time.Millisecond, true},
		{"10ms", 10 * time.Millisecond, true},
		{"1000us", time.Millisecond, true},
		{"1500us", time.Millisecond, true},
		{"2s", 2 * time.Second, true},
		{"3m", 3 * time.Minute, true},
		{"1h", time.Hour, true},
		{"24d", 24 * 24 * time.Hour, true},
		{"2147483647", 2147483647 * time.Millisecond, true},
		{"2147483648", 0, false},
		{"25d", 0, false},
		{"99999999999999999999999", 0, false},
		{"10us", 0, false},
		{"0us", 0, true},
		{"", 0, false},
		{"s", 0, false},
		{"10x", 0, false},
		{"10 s", 0, false},
		{"1.5s", 0, false},
		{"-1", 0, false},
	}
	for _, tt := range tests {
		got, err := ParseTime(tt.in)
		if (err == nil) != tt.ok || got != tt.want {
			t.Errorf("ParseTime(%q) = %v, %v; want %v, ok %v", tt.in, got, err, tt.want, tt.ok)
		}
	}
}
