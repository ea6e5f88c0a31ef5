package spoa

import (
	"bufio"
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"
)

// writeProcessMetrics writes the official Prometheus Go client's process
// collector metrics (process_cpu_seconds_total, process_resident_memory_bytes,
// process_open_fds, process_start_time_seconds, …), read from /proc/self as
// it reads them. A file it cannot read leaves its metrics out: process
// metrics must not fail the scrape.
func writeProcessMetrics(w *bufio.Writer) {
	if st, ok := readProcStat(); ok {
		family(w, "process_cpu_seconds_total", "counter", "User and system CPU time spent, in seconds.")
		fmt.Fprintf(w, "process_cpu_seconds_total %s\n", formatFloat(float64(st.utime+st.stime)/userHZ))
		family(w, "process_virtual_memory_bytes", "gauge", "Virtual memory size in bytes.")
		fmt.Fprintf(w, "process_virtual_memory_bytes %d\n", st.vsize)
		family(w, "process_resident_memory_bytes", "gauge", "Resident memory size in bytes.")
		fmt.Fprintf(w, "process_resident_memory_bytes %d\n", st.rss*uint64(os.Getpagesize()))
		if boot, ok := bootTime(); ok {
			family(w, "process_start_time_seconds", "gauge", "Start time of the process, in seconds since the Unix epoch.")
			fmt.Fprintf(w, "process_start_time_seconds %s\n", formatFloat(float64(boot)+float64(st.starttime)/userHZ))
		}
	}
	if fds, err := os.ReadDir("/proc/self/fd"); err == nil {
		family(w, "process_open_fds", "gauge", "Open file descriptors.")
		// ReadDir's own descriptor to the directory is among those listed.
		fmt.Fprintf(w, "process_open_fds %d\n", len(fds)-1)
	}
	var lim syscall.Rlimit
	if syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim) == nil {
		family(w, "process_max_fds", "gauge", "Maximum number of open file descriptors (the soft limit).")
		fmt.Fprintf(w, "process_max_fds %d\n", lim.Cur)
	}
	if syscall.Getrlimit(syscall.RLIMIT_AS, &lim) == nil {
		// Unlimited is RLIM_INFINITY, 2^64-1, as the official client shows it.
		family(w, "process_virtual_memory_max_bytes", "gauge", "Maximum virtual memory size in bytes (the soft limit).")
		fmt.Fprintf(w, "process_virtual_memory_max_bytes %s\n", formatFloat(float64(lim.Cur)))
	}
}

// userHZ is the unit of the times in /proc/self/stat (USER_HZ, the clock
// ticks per second sysconf(_SC_CLK_TCK) returns): 100 on every Linux
// architecture Go supports.
const userHZ = 100

// procStat is what the process metrics need of /proc/self/stat.
type procStat struct {
	utime, stime, starttime uint64 // clock ticks
	vsize                   uint64 // bytes
	rss                     uint64 // pages
}

// readProcStat parses /proc/self/stat (proc(5)): fields after the command
// name, which is in parentheses and may itself contain spaces or ")".
func readProcStat() (procStat, bool) {
	b, err := os.ReadFile("/proc/self/stat")
	if err != nil {
		return procStat{}, false
	}
	return parseProcStat(string(b))
}

func parseProcStat(s string) (procStat, bool) {
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return procStat{}, false
	}
	f := strings.Fields(s[i+1:])
	// f[0] is field 3 (state) of proc(5); field n is f[n-3].
	if len(f) < 22 {
		return procStat{}, false
	}
	var st procStat
	var err error
	for _, p := range []struct {
		field int
		dst   *uint64
	}{{14, &st.utime}, {15, &st.stime}, {22, &st.starttime}, {23, &st.vsize}, {24, &st.rss}} {
		if *p.dst, err = strconv.ParseUint(f[p.field-3], 10, 64); err != nil {
			return procStat{}, false
		}
	}
	return st, true
}

// bootTime is the btime line of /proc/stat: the boot time in seconds since
// the Unix epoch, from which process start times are counted.
func bootTime() (uint64, bool) {
	f, err := os.Open("/proc/stat")
	if err != nil {
		return 0, false
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "btime "); ok {
			n, err := strconv.ParseUint(strings.TrimSpace(v), 10, 64)
			return n, err == nil
		}
	}
	return 0, false
}
