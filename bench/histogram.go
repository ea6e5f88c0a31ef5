package bench

import (
	"math"
	"math/bits"
	"time"
)

// histSubBits sets the precision of Histogram: each power-of-two range of values
// is split into 2^histSubBits linear sub-buckets, so a recorded value is known to
// within 1/64 (1.6 %) of itself, as in HdrHistogram with two significant digits.
const histSubBits = 6

const (
	histSub     = 1 << histSubBits
	histMaxBits = 40 // values up to 2^40 ns ≈ 18 minutes; larger ones saturate
	histBuckets = (histMaxBits - histSubBits + 1) * histSub
)

// Histogram is a log-linear histogram of durations in nanoseconds. Record is a
// few arithmetic instructions and an increment in a fixed array: no allocation,
// no locking. The zero Histogram is empty and ready to use; it is not safe for
// concurrent use.
type Histogram struct {
	counts   [histBuckets]uint64
	n        uint64
	sum      float64
	min, max int64
}

// histIndex returns the bucket of v ≥ 0. Values below histSub have a bucket each;
// above, the bucket is (exponent, top histSubBits bits of the mantissa).
func histIndex(v int64) int {
	u := uint64(v)
	if u < histSub {
		return int(u)
	}
	e := bits.Len64(u) - histSubBits - 1 // how far v is shifted to keep histSubBits+1 bits
	if e > histMaxBits-histSubBits-1 {
		return histBuckets - 1
	}
	return e*histSub + int(u>>uint(e))
}

// histLow returns the smallest value that falls in bucket i.
func histLow(i int) int64 {
	if i < histSub {
		return int64(i)
	}
	e := i/histSub - 1
	m := i%histSub + histSub
	return int64(m) << uint(e)
}

// histHigh returns the largest value that falls in bucket i.
func histHigh(i int) int64 {
	if i < histSub {
		return int64(i)
	}
	return histLow(i) + int64(1)<<uint(i/histSub-1) - 1
}

// Record adds one value in nanoseconds; negative values count as 0.
func (h *Histogram) Record(ns int64) {
	if ns < 0 {
		ns = 0
	}
	h.counts[histIndex(ns)]++
	if h.n == 0 || ns < h.min {
		h.min = ns
	}
	if ns > h.max {
		h.max = ns
	}
	h.n++
	h.sum += float64(ns)
}

// Reset empties h.
func (h *Histogram) Reset() { *h = Histogram{} }

// Count returns the number of recorded values.
func (h *Histogram) Count() uint64 { return h.n }

// Min returns the smallest recorded value (0 when empty).
func (h *Histogram) Min() time.Duration { return time.Duration(h.min) }

// Max returns the largest recorded value (0 when empty).
func (h *Histogram) Max() time.Duration { return time.Duration(h.max) }

// Mean returns the mean of the recorded values (0 when empty).
func (h *Histogram) Mean() time.Duration {
	if h.n == 0 {
		return 0
	}
	return time.Duration(h.sum / float64(h.n))
}

// Merge adds every value recorded in o to h.
func (h *Histogram) Merge(o *Histogram) {
	if o.n == 0 {
		return
	}
	for i, c := range o.counts {
		h.counts[i] += c
	}
	if h.n == 0 || o.min < h.min {
		h.min = o.min
	}
	if o.max > h.max {
		h.max = o.max
	}
	h.n += o.n
	h.sum += o.sum
}

// Quantile returns the value below which a fraction q (0…1) of the recorded
// values fall: the upper edge of the bucket holding the rank ⌈q·n⌉, clamped to
// the recorded min and max, so the answer is never below the true quantile by
// more than the bucket width. It returns 0 when h is empty.
func (h *Histogram) Quantile(q float64) time.Duration {
	if h.n == 0 {
		return 0
	}
	rank := uint64(math.Ceil(q * float64(h.n)))
	if rank < 1 {
		rank = 1
	}
	var seen uint64
	for i, c := range h.counts {
		seen += c
		if seen >= rank {
			v := histHigh(i)
			if v > h.max {
				v = h.max
			}
			if v < h.min {
				v = h.min
			}
			return time.Duration(v)
		}
	}
	return time.Duration(h.max)
}
