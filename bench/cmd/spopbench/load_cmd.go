//go:build linux

package main

import (
	"fmt"
	"time"

	"github.com/spopkit/spopkit/bench"
)

// LoadCmd runs one load test against an agent that is already listening.
type LoadCmd struct {
	Target   string        `arg:"" help:"Agent address, tcp:HOST:PORT or unix:PATH (loopback only)."`
	Conns    int           `short:"c" help:"Connections." default:"4"`
	Depth    int           `short:"d" help:"NOTIFYs in flight per connection." default:"20"`
	Workload string        `short:"w" help:"NOTIFY payload: small or heavy." default:"small" enum:"small,heavy"`
	Duration time.Duration `help:"Measured window." default:"2s"`
	Warmup   time.Duration `help:"Load before the window." default:"300ms"`
	Rate     float64       `help:"Open-loop rate in NOTIFYs/s over all connections (0: closed loop)." default:"0"`
	CPU      int           `help:"Pin the generator to this CPU (-1: no pinning)." default:"-1"`
}

// Run runs the load and prints the result.
func (c *LoadCmd) Run() error {
	t, err := bench.ParseTarget(c.Target)
	if err != nil {
		return err
	}
	if c.CPU >= 0 {
		if err := bench.PinProcess(c.CPU); err != nil {
			return err
		}
	}
	w := bench.SmallWorkload()
	if c.Workload == "heavy" {
		w = bench.HeavyWorkload()
	}
	r := bench.Load(bench.LoadConfig{Target: t, Conns: c.Conns, Depth: c.Depth, Payload: w.Payload,
		Warmup: c.Warmup, Duration: c.Duration, Rate: c.Rate, MaxAcks: 50_000_000})
	h := &r.Latency
	fmt.Printf("%d ACKs in %v: %.0f ACKs/s; latency p50 %v p90 %v p99 %v p99.9 %v max %v; generator CPU %v (%.0f%%)\n",
		r.Acks, r.Elapsed.Round(time.Millisecond), r.Rate(), h.Quantile(.5), h.Quantile(.9), h.Quantile(.99),
		h.Quantile(.999), h.Max(), r.GenCPU.Round(time.Millisecond), 100*r.GenCPU.Seconds()/r.Elapsed.Seconds())
	if !r.OK() {
		return fmt.Errorf("invalid run: %d bad ACKs, %d lost: %v", r.Invalid, r.Lost, r.Err)
	}
	return nil
}
