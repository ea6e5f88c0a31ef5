package mirror

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/spopkit/spopkit/spopwire"
)

// Request is one HTTP request to replay, owning its memory (nothing in it
// refers to a NOTIFY frame).
type Request struct {
	Method string
	Target string // the request target as HAProxy saw it: "/p?q" or absolute
	Header http.Header
	Host   string
	Body   []byte
}

// Options configure a Replayer.
type Options struct {
	URL        *url.URL      // where requests are replayed: scheme, host and path prefix
	LocalAddr  net.IP        // source address of outgoing connections, nil for any
	PortLow    int           // source port range, 0 for any
	PortHigh   int           // last port of the range (inclusive)
	Workers    int           // concurrent replays
	Queue      int           // replays waiting for a worker; beyond, new ones are dropped
	Timeout    time.Duration // per replay
	Logger     *slog.Logger
	RoundTrips http.RoundTripper // for tests; nil builds a transport from the options
}

// Replayer replays requests with a bounded pool of workers; Enqueue never
// blocks, so the ACK to HAProxy never waits for the mirror.
type Replayer struct {
	opts   Options
	client *http.Client
	queue  chan *Request
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup

	sent, failed, dropped atomic.Uint64
	lastLog               atomic.Int64 // unix nanoseconds of the last failure logged
	nextPort              atomic.Uint32
}

// New starts a replayer's workers; Close stops them.
func New(opts Options) *Replayer {
	if opts.Workers <= 0 {
		opts.Workers = 16
	}
	if opts.Queue <= 0 {
		opts.Queue = 1024
	}
	if opts.Timeout <= 0 {
		opts.Timeout = 5 * time.Second
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	m := &Replayer{opts: opts, queue: make(chan *Request, opts.Queue)}
	m.ctx, m.cancel = context.WithCancel(context.Background())
	rt := opts.RoundTrips
	if rt == nil {
		rt = &http.Transport{
			DialContext:         m.dial,
			MaxIdleConnsPerHost: opts.Workers,
			IdleConnTimeout:     30 * time.Second,
		}
	}
	m.client = &http.Client{
		Transport: rt,
		Timeout:   opts.Timeout,
		// A mirror reports what the server answered; it follows nothing.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	for range opts.Workers {
		m.wg.Add(1)
		go m.worker()
	}
	return m
}

// Enqueue hands r to the workers, or drops it (counted, logged) when the
// queue is full. It never blocks.
func (m *Replayer) Enqueue(r *Request) {
	select {
	case m.queue <- r:
	default:
		m.dropped.Add(1)
		m.logFailure("mirror queue full; request dropped", nil)
	}
}

// Stats returns the replays sent (any HTTP status), failed (no response) and
// dropped (queue full).
func (m *Replayer) Stats() (sent, failed, dropped uint64) {
	return m.sent.Load(), m.failed.Load(), m.dropped.Load()
}

// Close stops the workers: queued replays are abandoned and those in
// progress are cancelled.
func (m *Replayer) Close() error {
	m.cancel()
	m.wg.Wait()
	sent, failed, dropped := m.Stats()
	m.opts.Logger.Info("mirror stopped", "sent", sent, "failed", failed, "dropped", dropped)
	return nil
}

func (m *Replayer) worker() {
	defer m.wg.Done()
	for {
		select {
		case <-m.ctx.Done():
			return
		case r := <-m.queue:
			if err := m.replay(r); err != nil {
				m.failed.Add(1)
				m.logFailure("mirroring failed", err)
			} else {
				m.sent.Add(1)
			}
		}
	}
}

// hopByHop are the headers that belong to one connection, not the request.
var hopByHop = map[string]bool{
	"Connection": true, "Keep-Alive": true, "Proxy-Connection": true, "Te": true,
	"Trailer": true, "Transfer-Encoding": true, "Upgrade": true, "Content-Length": true,
}

func (m *Replayer) replay(r *Request) error {
	target, err := m.targetURL(r.Target)
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(m.ctx, r.Method, target, bytes.NewReader(r.Body))
	if err != nil {
		return err
	}
	for k, vs := range r.Header {
		if !hopByHop[k] {
			req.Header[k] = vs
		}
	}
	req.ContentLength = int64(len(r.Body))
	if len(r.Body) == 0 {
		req.Body = http.NoBody
	}
	if r.Host != "" {
		req.Host = r.Host
	}
	resp, err := m.client.Do(req)
	if err != nil {
		return err
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
	return resp.Body.Close()
}

// targetURL joins the mirror URL with the request's path and query.
func (m *Replayer) targetURL(target string) (string, error) {
	u, err := url.Parse(target)
	if err != nil {
		return "", fmt.Errorf("request target %q: %w", target, err)
	}
	base := *m.opts.URL
	base.Path = strings.TrimSuffix(base.Path, "/") + u.Path
	base.RawPath = ""
	base.RawQuery = u.RawQuery
	return base.String(), nil
}

// dial connects from -I/--mirror-interface and, with a -P range, from the
// next free port of the range.
func (m *Replayer) dial(ctx context.Context, network, addr string) (net.Conn, error) {
	if m.opts.LocalAddr == nil && m.opts.PortLow == 0 {
		var d net.Dialer
		return d.DialContext(ctx, network, addr)
	}
	n := 1
	if m.opts.PortLow > 0 {
		n = m.opts.PortHigh - m.opts.PortLow + 1
	}
	var err error
	for range n {
		port := 0
		if m.opts.PortLow > 0 {
			port = m.opts.PortLow + int(m.nextPort.Add(1)-1)%n
		}
		d := net.Dialer{LocalAddr: &net.TCPAddr{IP: m.opts.LocalAddr, Port: port}}
		var c net.Conn
		if c, err = d.DialContext(ctx, network, addr); err == nil {
			return c, nil
		}
		if !errors.Is(err, syscall.EADDRINUSE) && !errors.Is(err, syscall.EADDRNOTAVAIL) {
			return nil, err
		}
	}
	return nil, fmt.Errorf("no free local port in %d-%d: %w", m.opts.PortLow, m.opts.PortHigh, err)
}

// logFailure logs at most one failure per second, with the counters, so a
// dead mirror target cannot flood the log.
func (m *Replayer) logFailure(msg string, err error) {
	now := time.Now().UnixNano()
	last := m.lastLog.Load()
	if now-last < int64(time.Second) || !m.lastLog.CompareAndSwap(last, now) {
		return
	}
	sent, failed, dropped := m.Stats()
	m.opts.Logger.Warn(msg, "err", err, "sent", sent, "failed", failed, "dropped", dropped)
}

// ParsePortRange parses -P/--mirror-local-port: "PORT" or "LOW-HIGH".
func ParsePortRange(s string) (low, high int, err error) {
	if s == "" {
		return 0, 0, nil
	}
	a, b, isRange := strings.Cut(s, "-")
	if low, err = strconv.Atoi(a); err != nil || low < 1 || low > 65535 {
		return 0, 0, fmt.Errorf("invalid port range %q", s)
	}
	high = low
	if isRange {
		if high, err = strconv.Atoi(b); err != nil || high < low || high > 65535 {
			return 0, 0, fmt.Errorf("invalid port range %q", s)
		}
	}
	return low, high, nil
}

// ParseHeaders converts arg_hdrs, as req.hdrs_bin (BINARY) or req.hdrs
// (STRING, the HTTP/1 text block), into an http.Header, copying; it also
// returns the host header.
func ParseHeaders(v spopwire.Value) (http.Header, string, error) {
	h := http.Header{}
	var host string
	add := func(name, value []byte) {
		k := http.CanonicalHeaderKey(string(name))
		if k == "Host" {
			host = string(value)
			return
		}
		h[k] = append(h[k], string(value))
	}
	switch v.Type() {
	case spopwire.TypeNull:
	case spopwire.TypeBinary:
		it := spopwire.Headers(v.Bytes())
		for name, value, ok := it.Next(); ok; name, value, ok = it.Next() {
			add(name, value)
		}
		if err := it.Err(); err != nil {
			return nil, "", err
		}
	case spopwire.TypeString:
		for _, line := range bytes.Split(v.Bytes(), []byte("\r\n")) {
			if len(line) == 0 {
				continue
			}
			name, value, ok := bytes.Cut(line, []byte(":"))
			if !ok {
				return nil, "", fmt.Errorf("header line %q has no colon", line)
			}
			add(bytes.TrimSpace(name), bytes.TrimSpace(value))
		}
	default:
		return nil, "", fmt.Errorf("arg_hdrs is %v, want BINARY (req.hdrs_bin) or STRING (req.hdrs)", v.Type())
	}
	return h, host, nil
}
