package server

import (
	"math/bits"
	"sync/atomic"
	"time"

	"github.com/spopkit/spopkit/spopwire"
)

// Stats is a snapshot of a server's counters, summed over its loops (or
// connections for the std engine). Counters only grow; ConnsCurrent and
// InFlight are gauges. Counts are published once per event batch, so a
// snapshot may lag the wire by one batch.
type Stats struct {
	Loops int // event loops (epoll) or counter shards (std)

	ConnsCurrent  int64  // open connections
	ConnsTotal    uint64 // connections accepted since start
	ConnsRejected uint64 // connections closed at once because of MaxConns

	BytesIn   uint64 // bytes read from connections
	BytesOut  uint64 // bytes written to connections
	FramesIn  uint64 // frames received (every type)
	FramesOut uint64 // frames sent (every type)
	Notifies  uint64 // NOTIFYs handed to the handler (reassembled ones count once)
	Acks      uint64 // ACKs sent (error ACKs included, FIN|ABORT ACKs excluded)
	InFlight  int64  // offloaded NOTIFYs not answered yet
	Offloads  uint64 // NOTIFYs handed to the worker pool

	// HandlerErrors counts error ACKs by error code: index ErrorCodeHandler,
	// ErrorCodePanic, ErrorCodeAckTooBig, ErrorCodeOverloaded (index 0 unused).
	HandlerErrors [5]uint64
	// Disconnects counts AGENT-DISCONNECT frames sent, by status code; codes
	// above 14 are counted at index 15.
	Disconnects [16]uint64
	// HAProxyDisconnects counts HAPROXY-DISCONNECT frames received.
	HAProxyDisconnects uint64
	// FragmentsAborted counts fragmented NOTIFYs dropped on HAProxy's ABORT
	// or abandoned because they exceeded MaxFragmentedPayload.
	FragmentsAborted uint64

	// HandlerLatency is the time spent in HandleNotify on the loop (offloaded
	// work excluded), sampled: one NOTIFY in LatencySampleRate per session.
	HandlerLatency Histogram
}

// LatencySampleRate is how many NOTIFYs share one handler latency measurement:
// reading the clock twice per NOTIFY would cost more than a simple handler
// (a clock read is 20-30 ns on the virtual machines measured).
const LatencySampleRate = 64

// HistogramBuckets is the number of buckets of a Histogram.
const HistogramBuckets = 40

// Histogram is a latency histogram with fixed power-of-two buckets: bucket i
// counts durations d with 2^(i-1) ns <= d < 2^i ns (bucket 0: d < 1 ns); the
// last bucket also takes everything longer.
type Histogram struct {
	Buckets [HistogramBuckets]uint64
	Count   uint64
	Sum     time.Duration
}

// UpperBound returns the exclusive upper bound of bucket i.
func (Histogram) UpperBound(i int) time.Duration { return time.Duration(1) << i }

// Counter indexes of a tally. Gauges are pairs of monotonic counters so that
// every slot can be published as a delta.
const (
	cConnsOpened = iota
	cConnsClosed
	cConnsRejected
	cBytesIn
	cBytesOut
	cFramesIn
	cFramesOut
	cNotifies
	cAcks
	cOffloads
	cInflightUp
	cInflightDown
	cHAProxyDisconnects
	cFragsAborted
	cErrCode0 // + ErrorCode*
	cDisc0    = cErrCode0 + 5
	cLatCount = cDisc0 + 16
	cLatSum   = cLatCount + 1
	cLat0     = cLatSum + 1
	nCounters = cLat0 + HistogramBuckets
)

// tally accumulates counter deltas for one goroutine (a loop, or a std
// connection) in plain memory; publish moves them into a shard. Writing
// atomics for every frame would cost several locked instructions per NOTIFY.
type tally struct {
	c     [nCounters]uint64
	dirty bool
}

func (t *tally) add(i int, v uint64) { t.c[i] += v; t.dirty = true }

func (t *tally) disconnect(st spopwire.Status) {
	i := int(st)
	if i > 15 {
		i = 15
	}
	t.add(cDisc0+i, 1)
}

func (t *tally) latency(d time.Duration) {
	ns := uint64(max(d, 0))
	i := min(bits.Len64(ns), HistogramBuckets-1)
	t.c[cLat0+i]++
	t.c[cLatCount]++
	t.c[cLatSum] += ns
	t.dirty = true
}

// publish adds the deltas to sh and clears them.
func (t *tally) publish(sh *shard) {
	if !t.dirty {
		return
	}
	for i := range t.c {
		if v := t.c[i]; v != 0 {
			sh.c[i].Add(v)
			t.c[i] = 0
		}
	}
	t.dirty = false
}

// shard is where one loop publishes; readers sum the shards. The padding keeps
// two loops' shards off a shared cache line.
type shard struct {
	_ [64]byte
	c [nCounters]atomic.Uint64
	_ [64]byte
}

func sumStats(shards []*shard) Stats {
	var c [nCounters]uint64
	for _, sh := range shards {
		for i := range c {
			c[i] += sh.c[i].Load()
		}
	}
	s := Stats{
		Loops:              len(shards),
		ConnsCurrent:       int64(c[cConnsOpened] - c[cConnsClosed]),
		ConnsTotal:         c[cConnsOpened],
		ConnsRejected:      c[cConnsRejected],
		BytesIn:            c[cBytesIn],
		BytesOut:           c[cBytesOut],
		FramesIn:           c[cFramesIn],
		FramesOut:          c[cFramesOut],
		Notifies:           c[cNotifies],
		Acks:               c[cAcks],
		InFlight:           int64(c[cInflightUp] - c[cInflightDown]),
		Offloads:           c[cOffloads],
		HAProxyDisconnects: c[cHAProxyDisconnects],
		FragmentsAborted:   c[cFragsAborted],
	}
	copy(s.HandlerErrors[:], c[cErrCode0:cErrCode0+5])
	copy(s.Disconnects[:], c[cDisc0:cDisc0+16])
	copy(s.HandlerLatency.Buckets[:], c[cLat0:cLat0+HistogramBuckets])
	s.HandlerLatency.Count = c[cLatCount]
	s.HandlerLatency.Sum = time.Duration(c[cLatSum])
	return s
}

// monoStart anchors monotonic time: time.Since on a time.Time that carries a
// monotonic reading costs one clock read, half of time.Now's two.
var monoStart = time.Now()

// nanotime returns monotonic nanoseconds since process start.
func nanotime() int64 { return int64(time.Since(monoStart)) }
