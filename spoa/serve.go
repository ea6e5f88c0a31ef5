package spoa

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/spopkit/spopkit/server"
	"github.com/spopkit/spopkit/server/record"
	"github.com/spopkit/spopkit/spoa/arg"
)

// serve runs agent a with the global flags g until SIGINT/SIGTERM, the end
// of --runtime or the cancellation of d.ctx, then drains it.
func serve(g *Globals, a *Agent, d *deps) (err error) {
	sink, err := openLogSink(g.Logfile, d.stderr)
	if err != nil {
		return fmt.Errorf("--logfile: %w", err)
	}
	defer sink.Close()
	log := newLogger(sink, g.LogFormat, g.Debug).With("agent", a.Name)

	ctx, cancel := context.WithCancel(d.ctx)
	defer cancel()
	cfg := g.serverConfig()
	cfg.Logger = log
	env := &Env{Context: ctx, Logger: log, Config: &cfg, Debug: g.Debug}
	h := a.Handler
	if a.Setup != nil {
		if h, err = a.Setup(env); err != nil {
			return fmt.Errorf("%s: %w", a.Name, err)
		}
	}
	if h == nil {
		return fmt.Errorf("%s: the agent has no handler", a.Name)
	}
	if a.Close != nil {
		defer func() {
			if cerr := a.Close(); cerr != nil {
				log.Error("closing the agent", "err", cerr)
				err = errors.Join(err, cerr)
			}
		}()
	}
	if g.ProcessingDelay > 0 {
		h = delayHandler{h, g.ProcessingDelay.D()}
	}
	if g.Debug {
		h = debugHandler{h, log}
		arg.SetDebugLogger(log) // generated dispatchers log each message's arguments
		defer arg.SetDebugLogger(nil)
	}

	rec, err := g.openRecorder(log)
	if err != nil {
		return err
	}
	if rec != nil {
		cfg.Recorder = rec
		defer rec.Close() // after the drain: the last NOTIFYs are written
	}
	srv, err := server.New(cfg, h)
	if err != nil {
		return err
	}
	if err := srv.Start(); err != nil {
		return err
	}
	addr := srv.Addr()
	log.Info("agent ready", "addr", addr.Network()+":"+addr.String(),
		"max_frame_size", cfg.MaxFrameSize, "error_var", errorVarLabel(cfg), "version", version())

	if g.Pidfile != "" {
		if err := os.WriteFile(g.Pidfile, []byte(strconv.Itoa(os.Getpid())+"\n"), 0o644); err != nil {
			_ = srv.Shutdown(context.Background())
			return fmt.Errorf("--pidfile: %w", err)
		}
		defer os.Remove(g.Pidfile)
	}

	counters := &agentCounters{record: rec}
	var draining atomic.Bool
	if g.MetricsAddr != "" {
		hs, err := serveMetrics(g, metricsSource{a.Name, srv.Stats, counters, &draining}, log, d)
		if err != nil {
			_ = srv.Shutdown(context.Background())
			return err
		}
		defer hs.Close()
	}
	if d.ready != nil {
		d.ready(addr)
	}

	mon := &monitorState{log: log, last: srv.Stats(), at: time.Now()}
	reason := waitForStop(g, a, d, srv, mon, rec, counters)
	log.Info("shutting down", "reason", reason, "timeout", g.shutdownTimeout())
	draining.Store(true)
	cancel()
	sctx, scancel := context.WithTimeout(context.Background(), g.shutdownTimeout())
	defer scancel()
	if err := srv.Shutdown(sctx); err != nil && !errors.Is(err, server.ErrServerClosed) {
		log.Warn("shutdown incomplete", "err", err)
	}
	mon.line(srv.Stats(), time.Now())
	log.Info("stopped")
	return nil
}

// serveMetrics serves /metrics, /healthz, /readyz (and pprof) on
// --metrics-addr until the returned server is closed.
func serveMetrics(g *Globals, src metricsSource, log *slog.Logger, d *deps) (*http.Server, error) {
	ln, err := net.Listen("tcp", g.MetricsAddr)
	if err != nil {
		return nil, fmt.Errorf("--metrics-addr: %w", err)
	}
	hs := &http.Server{
		Handler:           metricsHandler(src, g.Pprof),
		ReadHeaderTimeout: 5 * time.Second,
	}
	go func() { _ = hs.Serve(ln) }()
	log.Info("metrics", "url", "http://"+ln.Addr().String()+"/metrics")
	if d.metricsReady != nil {
		d.metricsReady(ln.Addr())
	}
	return hs, nil
}

// waitForStop serves signals (SIGHUP reopens the recording and reloads the
// agent) and --monitor-interval lines until SIGINT/SIGTERM, the end of
// --runtime or the cancellation of d.ctx, and returns which. Its last
// monitor line is written by serve, when the drain ends.
func waitForStop(g *Globals, a *Agent, d *deps, srv *server.Server, mon *monitorState, rec *record.Writer, counters *agentCounters) string {
	log := mon.log
	signals := d.signals
	if signals == nil {
		ch := make(chan os.Signal, 4)
		signal.Notify(ch, syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP)
		defer signal.Stop(ch)
		signals = ch
	}
	var runtimeEnd <-chan time.Time
	if g.Runtime > 0 {
		t := time.NewTimer(g.Runtime.D())
		defer t.Stop()
		runtimeEnd = t.C
	}
	var monitor <-chan time.Time
	if g.MonitorInterval > 0 {
		t := time.NewTicker(g.MonitorInterval.D())
		defer t.Stop()
		monitor = t.C
	}

	reason := ""
	for reason == "" {
		select {
		case sig := <-signals:
			if sig == syscall.SIGHUP {
				reopenRecording(rec, log)
				reload(a, log, counters)
				continue
			}
			reason = sig.String()
		case <-runtimeEnd:
			reason = "runtime " + g.Runtime.String() + " elapsed"
		case <-d.ctx.Done():
			reason = "context cancelled"
		case now := <-monitor:
			mon.line(srv.Stats(), now)
		}
	}
	return reason
}

// reload runs Agent.Reload for SIGHUP.
func reload(a *Agent, log *slog.Logger, c *agentCounters) {
	if a.Reload == nil {
		log.Info("SIGHUP: nothing to reload")
		return
	}
	start := time.Now()
	if err := a.Reload(); err != nil {
		c.reloadsFailed.Add(1)
		log.Error("reload failed; keeping the previous state", "err", err)
		return
	}
	c.reloadsOK.Add(1)
	log.Info("reloaded", "took", time.Since(start))
}

// monitorState turns two Stats snapshots into the --monitor-interval line.
type monitorState struct {
	log  *slog.Logger
	last server.Stats
	at   time.Time
}

func (m *monitorState) line(s server.Stats, now time.Time) {
	secs := now.Sub(m.at).Seconds()
	if secs <= 0 {
		secs = 1
	}
	var errs, lastErrs uint64
	for i := range s.HandlerErrors {
		errs += s.HandlerErrors[i]
		lastErrs += m.last.HandlerErrors[i]
	}
	m.log.Info("stats",
		"conns", s.ConnsCurrent,
		"conns_total", s.ConnsTotal,
		"notifies", s.Notifies,
		"notifies_per_s", int64(float64(s.Notifies-m.last.Notifies)/secs),
		"acks", s.Acks,
		"in_flight", s.InFlight,
		"errors", errs,
		"errors_new", errs-lastErrs,
	)
	m.last, m.at = s, now
}
