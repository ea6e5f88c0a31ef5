package bench

import (
	"os"
	"testing"
	"time"
)

func TestParseStat(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    ProcStat
		wantErr bool
	}{
		{
			name: "plain",
			in:   "1234 (spopbench) S 1 1234 1234 0 -1 4194560 500 0 0 0 250 75 0 0 20 0 7 0 100 1000000 2048 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 0 0 0 0 0 0\n",
			want: ProcStat{UTime: 250, STime: 75, Threads: 7, RSSPages: 2048},
		},
		{
			name: "comm with spaces and parens",
			in:   "99 (a) b (c)) R 1 99 99 0 -1 0 0 0 0 0 3 4 0 0 20 0 1 0 5 1 9 0",
			want: ProcStat{UTime: 3, STime: 4, Threads: 1, RSSPages: 9},
		},
		{name: "no paren", in: "1 foo S 1", wantErr: true},
		{name: "truncated", in: "1 (x) S 1 2 3", wantErr: true},
		{name: "not a number", in: "1 (x) S 1 1 1 0 -1 0 0 0 0 0 zz 4 0 0 20 0 1 0 5 1 9 0", wantErr: true},
	}
	for _, tt := range tests {
		got, err := ParseStat([]byte(tt.in))
		if (err != nil) != tt.wantErr {
			t.Errorf("%s: ParseStat err = %v; want error %v", tt.name, err, tt.wantErr)
			continue
		}
		if got != tt.want {
			t.Errorf("%s: ParseStat = %+v; want %+v", tt.name, got, tt.want)
		}
	}
}

func TestProcStatCPU(t *testing.T) {
	s := ProcStat{UTime: 150, STime: 50}
	if got := s.CPU(); got != 2*time.Second {
		t.Errorf("CPU() = %v; want 2s", got)
	}
}

func TestParseStatusKiB(t *testing.T) {
	status := "Name:\tspopbench\nVmPeak:\t  10000 kB\nVmRSS:\t    5120 kB\nThreads:\t4\nBad:\t12 MB\n"
	tests := []struct {
		key     string
		want    int64
		wantErr bool
	}{
		{"VmRSS", 5120, false},
		{"VmPeak", 10000, false},
		{"VmSwap", 0, true},
		{"Bad", 0, true},
		{"Threads", 0, true},
	}
	for _, tt := range tests {
		got, err := ParseStatusKiB([]byte(status), tt.key)
		if (err != nil) != tt.wantErr || got != tt.want {
			t.Errorf("ParseStatusKiB(%q) = %d, %v; want %d, error %v", tt.key, got, err, tt.want, tt.wantErr)
		}
	}
}

func TestReadSelf(t *testing.T) {
	s, err := ReadStat(os.Getpid())
	if err != nil || s.Threads < 1 {
		t.Fatalf("ReadStat(self) = %+v, %v", s, err)
	}
	if kib, err := ReadRSSKiB(os.Getpid()); err != nil || kib <= 0 {
		t.Fatalf("ReadRSSKiB(self) = %d, %v", kib, err)
	}
}

func TestParseSchedstat(t *testing.T) {
	tests := []struct {
		in      string
		want    time.Duration
		wantErr bool
	}{
		{"123456789 2000 17\n", 123456789, false},
		{"0 0 0", 0, false},
		{"12 34", 0, true},
		{"x 1 2", 0, true},
	}
	for _, tt := range tests {
		got, err := ParseSchedstat([]byte(tt.in))
		if (err != nil) != tt.wantErr || got != tt.want {
			t.Errorf("ParseSchedstat(%q) = %v, %v; want %v, error %v", tt.in, got, err, tt.want, tt.wantErr)
		}
	}
	if d, err := ReadCPU(os.Getpid()); err != nil || d <= 0 {
		t.Errorf("ReadCPU(self) = %v, %v", d, err)
	}
}
