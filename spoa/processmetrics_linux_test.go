package spoa

import (
	"os"
	"testing"
)

func TestParseProcStat(t *testing.T) {
	// A command name with a space and a parenthesis, as proc(5) allows.
	line := "4242 (spoa) x) S 1 4242 4242 0 -1 4194560 900 0 0 0 250 75 0 0 20 0 9 0 123456 1234567890 2048 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0\n"
	got, ok := parseProcStat(line)
	want := procStat{utime: 250, stime: 75, starttime: 123456, vsize: 1234567890, rss: 2048}
	if !ok || got != want {
		t.Errorf("parseProcStat = %+v, %v; want %+v", got, ok, want)
	}
	if _, ok := parseProcStat("4242 (spoa) S 1 2"); ok {
		t.Error("parseProcStat accepted a truncated line")
	}
	if b, err := os.ReadFile("/proc/self/stat"); err == nil {
		if st, ok := parseProcStat(string(b)); !ok || st.vsize == 0 || st.rss == 0 || st.starttime == 0 {
			t.Errorf("/proc/self/stat: %+v, %v", st, ok)
		}
	}
}
