package bench

import "testing"

func TestFormatters(t *testing.T) {
	tests := []struct {
		name string
		got  string
		want string
	}{
		{"fmtRate zero", fmtRate(0), "0"},
		{"fmtRate small", fmtRate(999.6), "1,000"},
		{"fmtRate million", fmtRate(1930000), "1,930,000"},
		{"fmtInt negative", fmtInt(-1234), "-1,234"},
		{"fmtShort M", fmtShort(1934567), "1.93M"},
		{"fmtShort k", fmtShort(127000), "127k"},
		{"fmtShort small k", fmtShort(1500), "1.5k"},
		{"fmtShort units", fmtShort(950), "950"},
		{"fmtDur ns", fmtDur(850), "850 ns"},
		{"fmtDur µs", fmtDur(46079), "46.1 µs"},
		{"fmtDur ms", fmtDur(3309567), "3.31 ms"},
		{"fmtDur s", fmtDur(2.5e9), "2.50 s"},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("%s = %q; want %q", tt.name, tt.got, tt.want)
		}
	}
}
