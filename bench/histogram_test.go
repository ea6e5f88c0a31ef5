package bench

import (
	"testing"
	"time"
)

func TestHistIndexBounds(t *testing.T) {
	tests := []struct {
		v    int64
		want int
	}{
		// exact buckets below histSub
		{0, 0},
		{1, 1},
		{63, 63},
		// first log-linear ranges
		{64, 64},
		{65, 65},
		{127, 127},
		{128, 128},
		{129, 128},
		{255, 191},
		{256, 192},
		// saturation
		{1 << 50, histBuckets - 1},
	}
	for _, tt := range tests {
		if got := histIndex(tt.v); got != tt.want {
			t.Errorf("histIndex(%d) = %d; want %d", tt.v, got, tt.want)
		}
	}
	// Every value lies inside its bucket's [low, high].
	for _, v := range []int64{0, 5, 64, 100, 999, 12345, 1e6, 123456789, 1 << 39} {
		i := histIndex(v)
		if lo, hi := histLow(i), histHigh(i); v < lo || v > hi {
			t.Errorf("value %d in bucket %d = [%d, %d]", v, i, lo, hi)
		}
	}
}

func TestHistogramQuantiles(t *testing.T) {
	tests := []struct {
		name   string
		values []int64
		q      float64
		want   time.Duration
		tol    float64 // relative tolerance
	}{
		{"empty", nil, 0.5, 0, 0},
		{"single", []int64{1000}, 0.99, 1000, 0},
		{"small exact", []int64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}, 0.5, 5, 0},
		{"p90 of 1..1000µs", seq(1000, 1000), 0.90, 900 * time.Microsecond, 0.02},
		{"p99.9 of 1..1000µs", seq(1000, 1000), 0.999, 999 * time.Microsecond, 0.02},
		{"p100 is max", seq(1000, 1000), 1, 1000 * time.Microsecond, 0},
		{"negative is zero", []int64{-5}, 0.5, 0, 0},
	}
	for _, tt := range tests {
		var h Histogram
		for _, v := range tt.values {
			h.Record(v)
		}
		got := h.Quantile(tt.q)
		diff := float64(got - tt.want)
		if diff < 0 {
			diff = -diff
		}
		if diff > tt.tol*float64(tt.want) {
			t.Errorf("%s: Quantile(%v) = %v; want %v ±%.0f%%", tt.name, tt.q, got, tt.want, tt.tol*100)
		}
	}
}

func TestHistogramMergeAndStats(t *testing.T) {
	var a, b Histogram
	for _, v := range []int64{10, 20, 30} {
		a.Record(v)
	}
	for _, v := range []int64{5, 1000} {
		b.Record(v)
	}
	a.Merge(&b)
	if a.Count() != 5 || a.Min() != 5 || a.Max() != 1000 || a.Mean() != 213 {
		t.Errorf("merged: n=%d min=%v max=%v mean=%v; want 5 5ns 1µs 213ns", a.Count(), a.Min(), a.Max(), a.Mean())
	}
}

func TestHistogramRecordDoesNotAllocate(t *testing.T) {
	var h Histogram
	if n := testing.AllocsPerRun(1000, func() { h.Record(123456) }); n != 0 {
		t.Errorf("Record allocs = %v; want 0", n)
	}
}

// seq returns n values step, 2·step, …, n·step.
func seq(n int, step int64) []int64 {
	s := make([]int64, n)
	for i := range s {
		s[i] = int64(i+1) * step
	}
	return s
}
