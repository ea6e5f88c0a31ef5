package bench

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"strconv"
	"time"
)

// clockTick is the kernel's USER_HZ, the unit of utime and stime in
// /proc/PID/stat. It is 100 on every Linux architecture Go supports; sysconf
// would need cgo to ask.
const clockTick = 100

// ProcStat is what the benchmark needs from /proc/PID/stat.
type ProcStat struct {
	UTime, STime uint64 // clock ticks (1/100 s) in user and kernel mode
	Threads      int
	RSSPages     int64
}

// CPU returns user plus system time.
func (s ProcStat) CPU() time.Duration {
	return time.Duration(s.UTime+s.STime) * (time.Second / clockTick)
}

var errStat = errors.New("bench: malformed /proc/PID/stat")

// ParseStat parses the contents of /proc/PID/stat. The command name (field 2)
// is in parentheses and may itself contain spaces and parentheses, so the
// fields are counted from the last ')'.
func ParseStat(b []byte) (ProcStat, error) {
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return ProcStat{}, errStat
	}
	// After ") " comes field 3 (state); utime is field 14, stime 15,
	// num_threads 20, rss 24.
	fields := bytes.Fields(b[i+1:])
	const first = 3
	get := func(field int) (int64, error) {
		k := field - first
		if k >= len(fields) {
			return 0, errStat
		}
		v, err := strconv.ParseInt(string(fields[k]), 10, 64)
		if err != nil {
			return 0, fmt.Errorf("%w: field %d: %v", errStat, field, err)
		}
		return v, nil
	}
	var s ProcStat
	var vals [4]int64
	for j, f := range [...]int{14, 15, 20, 24} {
		v, err := get(f)
		if err != nil {
			return ProcStat{}, err
		}
		vals[j] = v
	}
	s.UTime, s.STime, s.Threads, s.RSSPages = uint64(vals[0]), uint64(vals[1]), int(vals[2]), vals[3]
	return s, nil
}

// ReadStat reads /proc/PID/stat.
func ReadStat(pid int) (ProcStat, error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return ProcStat{}, err
	}
	return ParseStat(b)
}

// ParseStatusKiB returns the value in KiB of a "Key:   N kB" line of
// /proc/PID/status (VmRSS, VmHWM, …).
func ParseStatusKiB(b []byte, key string) (int64, error) {
	for len(b) > 0 {
		line := b
		if i := bytes.IndexByte(b, '\n'); i >= 0 {
			line, b = b[:i], b[i+1:]
		} else {
			b = nil
		}
		k, rest, ok := bytes.Cut(line, []byte{':'})
		if !ok || string(k) != key {
			continue
		}
		f := bytes.Fields(rest)
		if len(f) != 2 || string(f[1]) != "kB" {
			return 0, fmt.Errorf("bench: /proc status: malformed %s line %q", key, line)
		}
		return strconv.ParseInt(string(f[0]), 10, 64)
	}
	return 0, fmt.Errorf("bench: /proc status: no %s line", key)
}

// ReadRSSKiB returns the resident set size of process pid in KiB.
func ReadRSSKiB(pid int) (int64, error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return 0, err
	}
	return ParseStatusKiB(b, "VmRSS")
}

// ParseSchedstat returns the first field of /proc/PID/task/TID/schedstat: the
// nanoseconds the thread has spent on a CPU.
func ParseSchedstat(b []byte) (time.Duration, error) {
	f := bytes.Fields(b)
	if len(f) != 3 {
		return 0, fmt.Errorf("bench: malformed schedstat %q", b)
	}
	ns, err := strconv.ParseUint(string(f[0]), 10, 63)
	if err != nil {
		return 0, fmt.Errorf("bench: malformed schedstat %q: %v", b, err)
	}
	return time.Duration(ns), nil
}

// ReadCPU returns the CPU time (user + system) process pid has used. It sums
// the nanosecond counters of /proc/PID/task/*/schedstat, because the 10 ms
// ticks of /proc/PID/stat are too coarse for sub-second windows; where
// schedstat is missing it falls back to /proc/PID/stat. Threads that have
// exited drop out of the sum, which a Go agent's threads do not do.
func ReadCPU(pid int) (time.Duration, error) {
	dir := "/proc/" + strconv.Itoa(pid) + "/task"
	tasks, err := os.ReadDir(dir)
	if err == nil {
		var sum time.Duration
		for _, t := range tasks {
			b, err := os.ReadFile(dir + "/" + t.Name() + "/schedstat")
			if err != nil {
				sum = -1
				break
			}
			d, err := ParseSchedstat(b)
			if err != nil {
				return 0, err
			}
			sum += d
		}
		if sum >= 0 {
			return sum, nil
		}
	}
	s, err := ReadStat(pid)
	if err != nil {
		return 0, err
	}
	return s.CPU(), nil
}
