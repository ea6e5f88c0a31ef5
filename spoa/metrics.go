package spoa

import (
	"bufio"
	"fmt"
	"io"
	"net/http"
	"net/http/pprof"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/spopkit/spopkit/server"
	"github.com/spopkit/spopkit/server/record"
	"github.com/spopkit/spopkit/spopwire"
)

// agentCounters are the counters the command line keeps itself, next to the
// server's.
type agentCounters struct {
	reloadsOK, reloadsFailed atomic.Uint64
	record                   *record.Writer // --record, or nil
}

// metricsSource is what the pages of --metrics-addr read.
type metricsSource struct {
	agent    string
	stats    func() server.Stats
	counters *agentCounters
	// draining is set when SIGTERM (or the end of --runtime) starts the
	// drain: /readyz then says 503.
	draining *atomic.Bool
}

// metricsHandler serves /metrics, the Kubernetes-style probes /healthz
// (the process is alive: always 200) and /readyz (the agent listens and is
// not draining: 200, else 503), and with pprof, /debug/pprof/. The pages
// exist only once the agent listens: serve starts them after the server.
func metricsHandler(src metricsSource, withPprof bool) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		fmt.Fprintln(w, "ok")
	})
	mux.HandleFunc("/readyz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		if src.draining != nil && src.draining.Load() {
			w.WriteHeader(http.StatusServiceUnavailable)
			fmt.Fprintln(w, "draining")
			return
		}
		fmt.Fprintln(w, "ready")
	})
	mux.HandleFunc("/metrics", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
		writeMetrics(w, src.agent, src.stats(), src.counters)
	})
	if withPprof {
		mux.HandleFunc("/debug/pprof/", pprof.Index)
		mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
		mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
		mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
		mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	}
	return mux
}

// handlerErrorNames label server.Stats.HandlerErrors by index.
var handlerErrorNames = [...]string{
	server.ErrorCodeHandler:    "handler",
	server.ErrorCodePanic:      "panic",
	server.ErrorCodeAckTooBig:  "ack_too_big",
	server.ErrorCodeOverloaded: "overloaded",
}

// latencyBuckets are the server histogram buckets (power-of-two
// nanoseconds) whose upper bounds are the le of the exposed histogram: every
// second one from 2^10 ns (about 1 µs) to 2^34 ns (about 17 s), 13 buckets
// a factor 4 apart. Each exposed bucket is an exact sum of server buckets.
var latencyBuckets = [...]int{10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30, 32, 34}

// writeMetrics writes s in the Prometheus text exposition format (0.0.4),
// followed by the Go runtime and process metrics.
// Every metric is written on every scrape, zeros included, so that rate()
// has a starting point.
func writeMetrics(out io.Writer, agent string, s server.Stats, c *agentCounters) {
	w := bufio.NewWriter(out)
	defer w.Flush()
	agentLabel := `agent="` + agent + `"`
	metric := func(name, typ, help string) {
		fmt.Fprintf(w, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, typ)
	}
	value := func(name, labels string, v uint64) {
		fmt.Fprintf(w, "%s{%s} %d\n", name, labels, v)
	}
	gauge := func(name, labels string, v int64) {
		fmt.Fprintf(w, "%s{%s} %d\n", name, labels, v)
	}

	metric("spoa_loops", "gauge", "Event loops (epoll engine) or counter shards (std engine).")
	gauge("spoa_loops", agentLabel, int64(s.Loops))
	metric("spoa_connections", "gauge", "Open connections from HAProxy.")
	gauge("spoa_connections", agentLabel, s.ConnsCurrent)
	metric("spoa_connections_total", "counter", "Connections accepted.")
	value("spoa_connections_total", agentLabel, s.ConnsTotal)
	metric("spoa_connections_rejected_total", "counter", "Connections closed at once because of the connection limit.")
	value("spoa_connections_rejected_total", agentLabel, s.ConnsRejected)
	metric("spoa_frames_received_total", "counter", "Frames received, every type.")
	value("spoa_frames_received_total", agentLabel, s.FramesIn)
	metric("spoa_frames_sent_total", "counter", "Frames sent, every type.")
	value("spoa_frames_sent_total", agentLabel, s.FramesOut)
	metric("spoa_notifies_total", "counter", "NOTIFY frames handed to the handler.")
	value("spoa_notifies_total", agentLabel, s.Notifies)
	metric("spoa_acks_total", "counter", "ACK frames sent, error ACKs included.")
	value("spoa_acks_total", agentLabel, s.Acks)
	metric("spoa_offloads_total", "counter", "NOTIFYs whose work was handed to the worker pool.")
	value("spoa_offloads_total", agentLabel, s.Offloads)
	metric("spoa_in_flight", "gauge", "Offloaded NOTIFYs not answered yet.")
	gauge("spoa_in_flight", agentLabel, s.InFlight)

	metric("spoa_handler_errors_total", "counter", "NOTIFYs answered with the error variable, by error code.")
	for code := server.ErrorCodeHandler; code <= server.ErrorCodeOverloaded; code++ {
		value("spoa_handler_errors_total",
			agentLabel+`,code="`+strconv.FormatInt(code, 10)+`",reason="`+handlerErrorNames[code]+`"`,
			s.HandlerErrors[code])
	}
	metric("spoa_disconnects_total", "counter", "AGENT-DISCONNECT frames sent, by SPOP status.")
	for st := range s.Disconnects {
		if s.Disconnects[st] == 0 && st != int(spopwire.StatusNormal) {
			continue
		}
		status := strconv.Itoa(st)
		if st == len(s.Disconnects)-1 {
			status = strconv.Itoa(st) + "+"
		}
		value("spoa_disconnects_total",
			agentLabel+`,status="`+status+`",reason="`+spopwire.Status(st).String()+`"`,
			s.Disconnects[st])
	}
	metric("spoa_haproxy_disconnects_total", "counter", "HAPROXY-DISCONNECT frames received.")
	value("spoa_haproxy_disconnects_total", agentLabel, s.HAProxyDisconnects)
	metric("spoa_fragments_aborted_total", "counter", "Fragmented NOTIFYs aborted or abandoned.")
	value("spoa_fragments_aborted_total", agentLabel, s.FragmentsAborted)

	metric("spoa_handler_duration_seconds", "histogram",
		"Time spent in the handler on the event loop, offloaded work excluded (sampled).")
	h := s.HandlerLatency
	var cum uint64
	next := 0
	for _, b := range latencyBuckets {
		for ; next <= b; next++ {
			cum += h.Buckets[next]
		}
		// Server bucket b holds whole nanoseconds below UpperBound(b);
		// Prometheus's le is inclusive, so it is one nanosecond less.
		le := formatFloat((h.UpperBound(b) - time.Nanosecond).Seconds())
		fmt.Fprintf(w, "spoa_handler_duration_seconds_bucket{%s,le=\"%s\"} %d\n", agentLabel, le, cum)
	}
	fmt.Fprintf(w, "spoa_handler_duration_seconds_bucket{%s,le=\"+Inf\"} %d\n", agentLabel, h.Count)
	fmt.Fprintf(w, "spoa_handler_duration_seconds_sum{%s} %s\n", agentLabel, formatFloat(h.Sum.Seconds()))
	fmt.Fprintf(w, "spoa_handler_duration_seconds_count{%s} %d\n", agentLabel, h.Count)

	if c != nil {
		metric("spoa_reloads_total", "counter", "SIGHUP reloads, by result.")
		value("spoa_reloads_total", agentLabel+`,result="ok"`, c.reloadsOK.Load())
		value("spoa_reloads_total", agentLabel+`,result="failed"`, c.reloadsFailed.Load())
	}
	if c != nil && c.record != nil {
		metric("spoa_records_written_total", "counter", "Records written to the --record file.")
		value("spoa_records_written_total", agentLabel, c.record.Written())
		metric("spoa_record_dropped_total", "counter", "Records dropped: --record queue full or file not writable.")
		value("spoa_record_dropped_total", agentLabel, c.record.Dropped())
	}
	writeGoMetrics(w)
	writeProcessMetrics(w)
}
