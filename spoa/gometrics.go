package spoa

import (
	"bufio"
	"fmt"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"runtime/pprof"
	"strconv"
	"sync"
	"time"
)

// The Go runtime's metrics under the names and meanings of the official
// Prometheus Go client's default Go collector (go_goroutines, go_threads,
// go_info, go_gc_duration_seconds, go_memstats_*, and the runtime/metrics
// values it exposes by default), so that the dashboards and alerts written
// for every other Go service work for an agent too. They are read from
// runtime/metrics, which does not stop the world as runtime.ReadMemStats
// does, and computed as the client computes them from the same samples.

// goMemstat is one go_memstats_* metric: its runtime.MemStats meaning as a
// sum of runtime/metrics samples.
type goMemstat struct {
	name, typ, help string
	sum             []string // runtime/metrics names added up
}

var goMemstats = []goMemstat{
	{"go_memstats_alloc_bytes", "gauge", "Bytes of heap objects allocated and still in use (runtime.MemStats.Alloc).",
		[]string{"/memory/classes/heap/objects:bytes"}},
	{"go_memstats_alloc_bytes_total", "counter", "Bytes allocated for heap objects since the process started, freed ones included (TotalAlloc).",
		[]string{"/gc/heap/allocs:bytes"}},
	{"go_memstats_sys_bytes", "gauge", "Bytes of memory obtained from the operating system (Sys).",
		[]string{"/memory/classes/total:bytes"}},
	{"go_memstats_mallocs_total", "counter", "Heap objects allocated since the process started (Mallocs).",
		[]string{"/gc/heap/allocs:objects", "/gc/heap/tiny/allocs:objects"}},
	{"go_memstats_frees_total", "counter", "Heap objects freed since the process started (Frees).",
		[]string{"/gc/heap/frees:objects", "/gc/heap/tiny/allocs:objects"}},
	{"go_memstats_heap_alloc_bytes", "gauge", "Bytes of heap objects allocated and still in use, as go_memstats_alloc_bytes (HeapAlloc).",
		[]string{"/memory/classes/heap/objects:bytes"}},
	{"go_memstats_heap_sys_bytes", "gauge", "Bytes of heap memory obtained from the operating system (HeapSys).",
		[]string{"/memory/classes/heap/objects:bytes", "/memory/classes/heap/unused:bytes", "/memory/classes/heap/released:bytes", "/memory/classes/heap/free:bytes"}},
	{"go_memstats_heap_idle_bytes", "gauge", "Bytes of heap memory in spans with no object, free or returned to the system (HeapIdle).",
		[]string{"/memory/classes/heap/released:bytes", "/memory/classes/heap/free:bytes"}},
	{"go_memstats_heap_inuse_bytes", "gauge", "Bytes of heap memory in spans holding at least one object (HeapInuse).",
		[]string{"/memory/classes/heap/objects:bytes", "/memory/classes/heap/unused:bytes"}},
	{"go_memstats_heap_released_bytes", "gauge", "Bytes of heap memory returned to the operating system (HeapReleased).",
		[]string{"/memory/classes/heap/released:bytes"}},
	{"go_memstats_heap_objects", "gauge", "Heap objects allocated and not yet freed (HeapObjects).",
		[]string{"/gc/heap/objects:objects"}},
	{"go_memstats_stack_inuse_bytes", "gauge", "Bytes of stack memory in use by goroutine stacks (StackInuse).",
		[]string{"/memory/classes/heap/stacks:bytes"}},
	{"go_memstats_stack_sys_bytes", "gauge", "Bytes of stack memory obtained from the operating system (StackSys).",
		[]string{"/memory/classes/heap/stacks:bytes", "/memory/classes/os-stacks:bytes"}},
	{"go_memstats_mspan_inuse_bytes", "gauge", "Bytes in use by mspan structures (MSpanInuse).",
		[]string{"/memory/classes/metadata/mspan/inuse:bytes"}},
	{"go_memstats_mspan_sys_bytes", "gauge", "Bytes obtained from the system for mspan structures (MSpanSys).",
		[]string{"/memory/classes/metadata/mspan/inuse:bytes", "/memory/classes/metadata/mspan/free:bytes"}},
	{"go_memstats_mcache_inuse_bytes", "gauge", "Bytes in use by mcache structures (MCacheInuse).",
		[]string{"/memory/classes/metadata/mcache/inuse:bytes"}},
	{"go_memstats_mcache_sys_bytes", "gauge", "Bytes obtained from the system for mcache structures (MCacheSys).",
		[]string{"/memory/classes/metadata/mcache/inuse:bytes", "/memory/classes/metadata/mcache/free:bytes"}},
	{"go_memstats_buck_hash_sys_bytes", "gauge", "Bytes used by the profiling bucket hash table (BuckHashSys).",
		[]string{"/memory/classes/profiling/buckets:bytes"}},
	{"go_memstats_gc_sys_bytes", "gauge", "Bytes used for garbage collection metadata (GCSys).",
		[]string{"/memory/classes/metadata/other:bytes"}},
	{"go_memstats_other_sys_bytes", "gauge", "Bytes used for other runtime allocations (OtherSys).",
		[]string{"/memory/classes/other:bytes"}},
	{"go_memstats_next_gc_bytes", "gauge", "Heap size at which the next garbage collection will run (NextGC).",
		[]string{"/gc/heap/goal:bytes"}},
}

// goRuntimeGauges are the runtime/metrics values the official client
// exposes by default, named by its rule (the path's words joined by _, the
// unit last); their help is the runtime's own description.
var goRuntimeGauges = [...]struct{ name, sample string }{
	{"go_gc_gogc_percent", "/gc/gogc:percent"},
	{"go_gc_gomemlimit_bytes", "/gc/gomemlimit:bytes"},
	{"go_sched_gomaxprocs_threads", "/sched/gomaxprocs:threads"},
}

// goSamples holds the runtime/metrics samples every scrape reads, and the
// help texts of goRuntimeGauges; mu serializes concurrent scrapes.
var goSamples = sync.OnceValue(func() *goSampleSet {
	s := &goSampleSet{index: map[string]int{}, help: map[string]string{}}
	add := func(name string) {
		if _, ok := s.index[name]; !ok {
			s.index[name] = len(s.samples)
			s.samples = append(s.samples, metrics.Sample{Name: name})
		}
	}
	for _, m := range goMemstats {
		for _, n := range m.sum {
			add(n)
		}
	}
	for _, g := range goRuntimeGauges {
		add(g.sample)
	}
	for _, d := range metrics.All() {
		s.help[d.Name] = d.Description
	}
	return s
})

type goSampleSet struct {
	mu      sync.Mutex
	samples []metrics.Sample
	index   map[string]int
	help    map[string]string
}

// value is sample name as a float64; a name this Go release does not know
// reads as 0.
func (s *goSampleSet) value(name string) float64 {
	v := s.samples[s.index[name]].Value
	switch v.Kind() {
	case metrics.KindUint64:
		return float64(v.Uint64())
	case metrics.KindFloat64:
		return v.Float64()
	}
	return 0
}

// writeGoMetrics writes the Go collector's metrics.
func writeGoMetrics(w *bufio.Writer) {
	family(w, "go_goroutines", "gauge", "Goroutines that currently exist.")
	fmt.Fprintf(w, "go_goroutines %d\n", runtime.NumGoroutine())
	family(w, "go_threads", "gauge", "OS threads created by the Go runtime.")
	fmt.Fprintf(w, "go_threads %d\n", pprof.Lookup("threadcreate").Count())
	family(w, "go_info", "gauge", "Information about the Go environment.")
	fmt.Fprintf(w, "go_info{version=%q} 1\n", runtime.Version())

	// The pause quantiles 0, 0.25, 0.5, 0.75 and 1 over the recent GC
	// cycles, as the official client reports them.
	gc := debug.GCStats{PauseQuantiles: make([]time.Duration, 5)}
	debug.ReadGCStats(&gc)
	family(w, "go_gc_duration_seconds", "summary", "Stop-the-world pause durations of garbage collection cycles.")
	for i, q := range gc.PauseQuantiles {
		fmt.Fprintf(w, "go_gc_duration_seconds{quantile=\"%s\"} %s\n", formatFloat(float64(i)/4), formatFloat(q.Seconds()))
	}
	fmt.Fprintf(w, "go_gc_duration_seconds_sum %s\n", formatFloat(gc.PauseTotal.Seconds()))
	fmt.Fprintf(w, "go_gc_duration_seconds_count %d\n", gc.NumGC)
	family(w, "go_memstats_last_gc_time_seconds", "gauge", "Time of the last garbage collection, in seconds since the Unix epoch.")
	lastGC := 0.0 // no collection yet
	if !gc.LastGC.IsZero() {
		lastGC = float64(gc.LastGC.UnixNano()) / 1e9
	}
	fmt.Fprintf(w, "go_memstats_last_gc_time_seconds %s\n", formatFloat(lastGC))

	s := goSamples()
	s.mu.Lock()
	defer s.mu.Unlock()
	metrics.Read(s.samples)
	for _, m := range goMemstats {
		var v float64
		for _, n := range m.sum {
			v += s.value(n)
		}
		family(w, m.name, m.typ, m.help)
		fmt.Fprintf(w, "%s %s\n", m.name, formatFloat(v))
	}
	for _, g := range goRuntimeGauges {
		family(w, g.name, "gauge", s.help[g.sample]+" Sourced from "+g.sample+".")
		fmt.Fprintf(w, "%s %s\n", g.name, formatFloat(s.value(g.sample)))
	}
}

// family writes the HELP and TYPE lines of a metric family.
func family(w *bufio.Writer, name, typ, help string) {
	fmt.Fprintf(w, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, typ)
}

// formatFloat formats a sample value as the exposition format wants it.
func formatFloat(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }
