package record

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/spopkit/spopkit/spopwire"
)

// ReplayOptions configures Replay.
type ReplayOptions struct {
	// Addr is the agent's "host:port".
	Addr string
	// Rate paces the NOTIFYs, across connections: 0 sends as fast as the
	// agent answers, a positive value that many per second. With Original
	// the recorded inter-arrival times are kept instead.
	Rate     float64
	Original bool
	// Conns is the number of connections; 0 means 1. NOTIFY i goes to
	// connection i mod Conns.
	Conns int
	// Loop plays the recording that many times; 0 means once.
	Loop int
	// Window bounds the NOTIFYs in flight per connection when the agent
	// announces pipelining; 0 means 20 (HAProxy's default). Without
	// pipelining HAProxy waits for each ACK, and so does Replay.
	Window int
	// Timeout bounds the wait for each ACK; 0 means 5 s.
	Timeout time.Duration
	// OnAck, if set, sees each ACK's actions (views valid during the call)
	// with the record it answers; it is called from the connections'
	// goroutines, one call at a time.
	OnAck func(r *Record, loop int, actions []spopwire.Action)
}

// ReplayStats are Replay's counters so far (Progress) or at the end.
type ReplayStats struct {
	Sent    uint64 // NOTIFYs sent
	Acked   uint64 // valid ACKs received
	Invalid uint64 // ACKs with a wrong id, ABORT or an unreadable payload
	Skipped uint64 // NOTIFYs too big for a frame, the agent not fragmenting
	Elapsed time.Duration
	// Latencies are the NOTIFY→ACK times, sorted (final stats only).
	Latencies []time.Duration
}

// Percentile returns the p-th percentile (0–100) of Latencies.
func (s *ReplayStats) Percentile(p float64) time.Duration {
	if len(s.Latencies) == 0 {
		return 0
	}
	i := int(p / 100 * float64(len(s.Latencies)-1))
	return s.Latencies[i]
}

// Replayer plays a recording against a running agent over SPOP, as HAProxy
// would: the recorded HELLO, pipelining when the agent announces it, NOTIFYs
// fragmented when they exceed the frame size and the agent announces
// fragmentation. Every ACK is validated.
type Replayer struct {
	opts     ReplayOptions
	notifies []*Record
	sent     atomic.Uint64
	acked    atomic.Uint64
	invalid  atomic.Uint64
	skipped  atomic.Uint64
	start    atomic.Pointer[time.Time] // set by Run, read by Progress
	ackMu    sync.Mutex
}

// NewReplayer prepares the NOTIFYs of recs for replay.
func NewReplayer(recs []Record, opts ReplayOptions) (*Replayer, error) {
	if opts.Conns <= 0 {
		opts.Conns = 1
	}
	if opts.Loop <= 0 {
		opts.Loop = 1
	}
	if opts.Window <= 0 {
		opts.Window = 20
	}
	if opts.Timeout <= 0 {
		opts.Timeout = 5 * time.Second
	}
	rp := &Replayer{opts: opts}
	for i := range recs {
		if recs[i].Kind == KindNotify {
			rp.notifies = append(rp.notifies, &recs[i])
		}
	}
	if len(rp.notifies) == 0 {
		return nil, errors.New("record: the recording has no NOTIFY")
	}
	return rp, nil
}

// Progress returns the counters so far.
func (rp *Replayer) Progress() ReplayStats {
	return ReplayStats{Sent: rp.sent.Load(), Acked: rp.acked.Load(), Invalid: rp.invalid.Load(),
		Skipped: rp.skipped.Load(), Elapsed: rp.elapsed()}
}

// elapsed is the time since Run started, 0 before.
func (rp *Replayer) elapsed() time.Duration {
	if s := rp.start.Load(); s != nil {
		return time.Since(*s)
	}
	return 0
}

// Run replays until done, the first connection error, or ctx ends.
func (rp *Replayer) Run(ctx context.Context) (ReplayStats, error) {
	start := time.Now()
	rp.start.Store(&start)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	lats := make([][]time.Duration, rp.opts.Conns)
	errs := make([]error, rp.opts.Conns)
	var wg sync.WaitGroup
	for i := range rp.opts.Conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			lats[i], errs[i] = rp.conn(ctx, i)
			if errs[i] != nil {
				cancel()
			}
		}()
	}
	wg.Wait()
	st := rp.Progress()
	for _, l := range lats {
		st.Latencies = append(st.Latencies, l...)
	}
	slices.Sort(st.Latencies)
	return st, errors.Join(errs...)
}

// inflight is a NOTIFY sent and not yet answered.
type inflight struct {
	rec  *Record
	loop int
	at   time.Time
}

// conn plays the share of connection i.
func (rp *Replayer) conn(ctx context.Context, i int) ([]time.Duration, error) {
	d := net.Dialer{Timeout: 5 * time.Second}
	c, err := d.DialContext(ctx, "tcp", rp.opts.Addr)
	if err != nil {
		return nil, err
	}
	defer c.Close()
	go func() { <-ctx.Done(); c.SetDeadline(time.Now()) }()
	br := bufio.NewReaderSize(c, 64<<10)

	hello := rp.notifies[0].Hello
	if hello == nil {
		hello = defaultHello()
	}
	if _, err := c.Write(spopwire.AppendFrame(nil, spopwire.Frame{Type: spopwire.FrameHAProxyHello, Flags: spopwire.FlagFin, Payload: hello})); err != nil {
		return nil, err
	}
	_ = c.SetReadDeadline(time.Now().Add(rp.opts.Timeout))
	f, err := readFrame(br)
	if err != nil {
		return nil, fmt.Errorf("reading AGENT-HELLO: %w", err)
	}
	if f.Type != spopwire.FrameAgentHello {
		return nil, fmt.Errorf("agent answered the HELLO with %v %s", f.Type, disconnectText(f))
	}
	ah, err := spopwire.ParseAgentHello(f.Payload)
	if err != nil {
		return nil, fmt.Errorf("AGENT-HELLO: %w", err)
	}
	window := 1
	if ah.Capabilities.Has(spopwire.CapPipelining) {
		window = rp.opts.Window
	}

	var (
		mu      sync.Mutex
		pending = map[uint64]inflight{}
		slots   = make(chan struct{}, window)
		lat     []time.Duration
		rerr    = make(chan error, 1)
	)
	go func() { // the reader: ACKs
		for {
			_ = c.SetReadDeadline(time.Now().Add(rp.opts.Timeout))
			f, err := readFrame(br)
			if err != nil {
				rerr <- err
				return
			}
			if f.Type != spopwire.FrameAck {
				rerr <- fmt.Errorf("agent sent %v %s", f.Type, disconnectText(f))
				return
			}
			mu.Lock()
			p, ok := pending[f.StreamID]
			delete(pending, f.StreamID)
			mu.Unlock()
			if !ok || f.FrameID != 1 || !f.Flags.Fin() || f.Flags.Abort() || !rp.validAck(f.Payload, p) {
				rp.invalid.Add(1)
			} else {
				rp.acked.Add(1)
				lat = append(lat, time.Since(p.at))
			}
			if ok {
				<-slots
			}
		}
	}()

	room := NotifyRoom(ah.MaxFrameSize)
	first := rp.notifies[0].Time
	span := rp.notifies[len(rp.notifies)-1].Time.Sub(first)
	var sid uint64
	var buf []byte
	n := len(rp.notifies)
	for loop := range rp.opts.Loop {
		for k := i; k < n; k += rp.opts.Conns {
			r := rp.notifies[k]
			if !rp.wait(ctx, loop, k, r.Time.Sub(first)+time.Duration(loop)*(span+time.Millisecond)) {
				return nil, ctx.Err()
			}
			if len(r.Payload) > room && !ah.Capabilities.Has(spopwire.CapFragmentation) {
				rp.skipped.Add(1)
				continue
			}
			select {
			case slots <- struct{}{}:
			case err := <-rerr:
				return nil, err
			case <-ctx.Done():
				return nil, ctx.Err()
			}
			sid++
			mu.Lock()
			pending[sid] = inflight{r, loop, time.Now()}
			mu.Unlock()
			buf = AppendNotify(buf[:0], sid, 1, r.Payload, room)
			if _, err := c.Write(buf); err != nil {
				return nil, err
			}
			rp.sent.Add(1)
		}
	}
	// Wait for the last ACKs: every slot back.
	for range window {
		select {
		case slots <- struct{}{}:
		case err := <-rerr:
			return nil, err
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	_, _ = c.Write(spopwire.AppendDisconnect(nil, spopwire.FrameHAProxyDisconnect, spopwire.StatusNormal, ""))
	return lat, nil
}

// wait sleeps until NOTIFY k of loop is due.
func (rp *Replayer) wait(ctx context.Context, loop, k int, offset time.Duration) bool {
	var due time.Time
	start := *rp.start.Load() // stored before the connections start
	switch {
	case rp.opts.Original:
		due = start.Add(offset)
	case rp.opts.Rate > 0:
		idx := loop*len(rp.notifies) + k
		due = start.Add(time.Duration(float64(idx) / rp.opts.Rate * float64(time.Second)))
	default:
		return ctx.Err() == nil
	}
	d := time.Until(due)
	if d <= 0 {
		return ctx.Err() == nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// validAck parses the actions of an ACK and hands them to OnAck.
func (rp *Replayer) validAck(payload []byte, p inflight) bool {
	var acts []spopwire.Action
	it := spopwire.Actions(payload)
	for a, ok := it.Next(); ok; a, ok = it.Next() {
		acts = append(acts, a)
	}
	if it.Err() != nil {
		return false
	}
	if rp.opts.OnAck != nil {
		rp.ackMu.Lock()
		rp.opts.OnAck(p.rec, p.loop, acts)
		rp.ackMu.Unlock()
	}
	return true
}

// NotifyRoom is the payload one NOTIFY frame of maxFrameSize bytes can
// carry: its header (type, flags, two varint ids) takes at most 25 bytes.
func NotifyRoom(maxFrameSize uint32) int {
	return int(maxFrameSize) - (1 + 4 + 2*binary.MaxVarintLen64)
}

// AppendNotify appends a NOTIFY frame with the given ids, split into a
// NOTIFY without FIN and UNSET continuations of at most room bytes of
// payload each when it is bigger (fragmentation, as HAProxy 2.x sends it).
func AppendNotify(b []byte, streamID, frameID uint64, payload []byte, room int) []byte {
	room = max(room, 1)
	typ := spopwire.FrameNotify
	for {
		n := min(room, len(payload))
		var flags spopwire.Flags
		if n == len(payload) {
			flags = spopwire.FlagFin
		}
		b = spopwire.AppendFrame(b, spopwire.Frame{Type: typ, Flags: flags, StreamID: streamID, FrameID: frameID, Payload: payload[:n]})
		if flags == spopwire.FlagFin {
			return b
		}
		payload, typ = payload[n:], spopwire.FrameUnset
	}
}

// defaultHello is HAProxy 3.x's HELLO, for recordings whose HELLO was dropped.
func defaultHello() []byte {
	f := spopwire.AppendHAProxyHello(nil, spopwire.HAProxyHello{SupportedVersions: []byte(spopwire.Version),
		MaxFrameSize: spopwire.DefaultMaxFrameSize, Capabilities: spopwire.CapPipelining, EngineID: []byte("spoa-replay")})
	fr, _ := spopwire.ConsumeFrame(f, 1<<24)
	return fr.Payload
}

func readFrame(r *bufio.Reader) (spopwire.Frame, error) {
	var p [spopwire.LengthSize]byte
	if _, err := io.ReadFull(r, p[:]); err != nil {
		return spopwire.Frame{}, err
	}
	l, n := spopwire.ConsumeFrameLength(p[:], 1<<24)
	if n < 0 {
		return spopwire.Frame{}, spopwire.ParseError(n)
	}
	body := make([]byte, l)
	if _, err := io.ReadFull(r, body); err != nil {
		return spopwire.Frame{}, err
	}
	f, k := spopwire.ConsumeFrameBody(body)
	if k < 0 {
		return spopwire.Frame{}, spopwire.ParseError(k)
	}
	return f, nil
}

func disconnectText(f spopwire.Frame) string {
	if f.Type != spopwire.FrameAgentDisconnect {
		return ""
	}
	d, err := spopwire.ParseDisconnect(f.Payload)
	if err != nil {
		return ""
	}
	return fmt.Sprintf("(status %d %s: %s)", d.Status, d.Status, d.Message)
}
