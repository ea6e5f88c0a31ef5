package spoa

import (
	"bufio"
	"bytes"
	"math/bits"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/spopkit/spopkit/server"
)

// checkExposition checks a /metrics page line by line: every sample belongs
// to a family declared by HELP and TYPE lines before it, no family is
// declared twice, values parse, the process metrics are plausible (this
// process: started in the past, some memory, some open files), and the
// handler latency histogram has at most 20 cumulative buckets from about
// 1 µs to about 10 s.
func checkExposition(t *testing.T, page string) {
	t.Helper()
	declared := map[string]string{}
	values := map[string]float64{}
	var les []float64
	var last uint64
	sc := bufio.NewScanner(strings.NewReader(page))
	for sc.Scan() {
		line := sc.Text()
		if name, ok := strings.CutPrefix(line, "# TYPE "); ok {
			name, typ, _ := strings.Cut(name, " ")
			if declared[name] != "" {
				t.Errorf("family %s declared twice", name)
			}
			declared[name] = typ
			continue
		}
		if strings.HasPrefix(line, "# HELP ") {
			continue
		}
		series, val, ok := strings.Cut(line, " ")
		v, err := strconv.ParseFloat(val, 64)
		if !ok || err != nil {
			t.Errorf("bad sample line %q", line)
			continue
		}
		name, _, _ := strings.Cut(series, "{")
		base := name
		for _, suf := range []string{"_bucket", "_sum", "_count"} {
			if b, ok := strings.CutSuffix(name, suf); ok && (declared[b] == "histogram" || declared[b] == "summary") {
				base = b
			}
		}
		if declared[base] == "" {
			t.Errorf("sample %q of an undeclared family", line)
		}
		values[series] = v
		if name == "spoa_handler_duration_seconds_bucket" {
			le := series[strings.Index(series, `le="`)+4 : len(series)-2]
			if le != "+Inf" {
				f, _ := strconv.ParseFloat(le, 64)
				les = append(les, f)
			}
			if uint64(v) < last {
				t.Errorf("histogram bucket le=%s is %v, below the previous bucket's %d", le, v, last)
			}
			last = uint64(v)
		}
	}
	if len(les) == 0 || len(les) > 20 || les[0] < 0.5e-6 || les[0] > 2e-6 || les[len(les)-1] < 10 || les[len(les)-1] > 20 {
		t.Errorf("latency buckets %v; want at most 20, from about 1µs to about 10s", les)
	}
	if values["go_goroutines"] < 1 || values["go_memstats_sys_bytes"] < values["go_memstats_heap_inuse_bytes"] || values["go_memstats_heap_inuse_bytes"] < values["go_memstats_alloc_bytes"] {
		t.Errorf("Go metrics implausible: goroutines %v, sys %v, heap in use %v, alloc %v",
			values["go_goroutines"], values["go_memstats_sys_bytes"], values["go_memstats_heap_inuse_bytes"], values["go_memstats_alloc_bytes"])
	}
	if runtime.GOOS != "linux" {
		return
	}
	if s := values["process_start_time_seconds"]; s > float64(time.Now().Unix())+1 || s < float64(time.Now().Add(-24*time.Hour).Unix()) {
		t.Errorf("process_start_time_seconds %v; want within the last day", s)
	}
	if values["process_resident_memory_bytes"] < 1<<20 || values["process_open_fds"] < 3 || values["process_max_fds"] < values["process_open_fds"] {
		t.Errorf("process metrics implausible: rss %v, open fds %v, max fds %v",
			values["process_resident_memory_bytes"], values["process_open_fds"], values["process_max_fds"])
	}
}

// TestLatencyBuckets: the exposed histogram sums the server's power-of-two
// buckets exactly; a duration lands in the first exposed bucket whose le is
// not below it.
func TestLatencyBuckets(t *testing.T) {
	if latencyBuckets[len(latencyBuckets)-1] >= server.HistogramBuckets-1 {
		t.Fatalf("latency bucket %d beyond the server's last finite bucket %d", latencyBuckets[len(latencyBuckets)-1], server.HistogramBuckets-2)
	}
	var s server.Stats
	// 500 ns, 3 µs, 1 ms, 40 s.
	for _, d := range []time.Duration{500, 3 * time.Microsecond, time.Millisecond, 40 * time.Second} {
		i := min(64-bits.LeadingZeros64(uint64(d)), server.HistogramBuckets-1)
		s.HandlerLatency.Buckets[i]++
		s.HandlerLatency.Count++
		s.HandlerLatency.Sum += d
	}
	var b bytes.Buffer
	writeMetrics(&b, "x", s, nil)
	for _, want := range []string{
		`spoa_handler_duration_seconds_bucket{agent="x",le="1.023e-06"} 1`,
		`spoa_handler_duration_seconds_bucket{agent="x",le="4.095e-06"} 2`,
		`spoa_handler_duration_seconds_bucket{agent="x",le="0.001048575"} 3`,
		`spoa_handler_duration_seconds_bucket{agent="x",le="17.179869183"} 3`,
		`spoa_handler_duration_seconds_bucket{agent="x",le="+Inf"} 4`,
		`spoa_handler_duration_seconds_count{agent="x"} 4`,
	} {
		if !strings.Contains(b.String(), want+"\n") {
			t.Errorf("metrics lack %q:\n%s", want, b.String())
		}
	}
}
