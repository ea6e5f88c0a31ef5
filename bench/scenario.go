//go:build linux

package bench

import "fmt"

// Scenario is one load shape, run against every contender.
type Scenario struct {
	Name     string // "4×20", "4×20 heavy", …
	Conns    int
	Depth    int
	Workload Workload
	Network  string  // "tcp" or "unix"
	Rate     float64 // open-loop NOTIFYs/s; 0 = closed loop
	Why      string  // one line for the report
}

// Label returns the scenario's row label.
func (s Scenario) Label() string { return s.Name }

// OpenLoopRate is the fixed rate of the open-loop latency scenario: well
// within every contender's capacity, and a busy HAProxy's order of magnitude.
const OpenLoopRate = 50_000

// Scenarios returns the report's scenarios; smoke keeps only what proves the
// pipeline works end to end.
func Scenarios(smoke bool) []Scenario {
	small, heavy := SmallWorkload(), HeavyWorkload()
	tcp := func(name string, conns, depth int, why string) Scenario {
		return Scenario{Name: name, Conns: conns, Depth: depth, Workload: small, Network: "tcp", Why: why}
	}
	if smoke {
		return []Scenario{
			tcp("1×1", 1, 1, "smoke: ping-pong"),
			tcp("4×20", 4, 20, "smoke: HAProxy 3.x in-flight cap"),
		}
	}
	return []Scenario{
		tcp("1×1", 1, 1, "one NOTIFY at a time: round-trip latency"),
		tcp("1×20", 1, 20, "one connection at HAProxy 3.x's in-flight cap"),
		tcp("4×20", 4, 20, "the target scenario: 4 connections at the cap"),
		tcp("4×32", 4, 32, "the reference points' shape (4 × 32 in flight)"),
		tcp("16×20", 16, 20, "many connections at the cap"),
		{Name: "4×20 heavy", Conns: 4, Depth: 20, Workload: heavy, Network: "tcp",
			Why: "13-argument message with a 1 KiB body (" + fmt.Sprint(len(heavy.Payload)) + "-byte payload)"},
		{Name: "4×20 unix", Conns: 4, Depth: 20, Workload: small, Network: "unix", Why: "UNIX socket instead of TCP"},
		{Name: "4×20 @50k/s", Conns: 4, Depth: 20, Workload: small, Network: "tcp", Rate: OpenLoopRate,
			Why: "open loop at a fixed 50,000 NOTIFY/s: latency from the intended send time"},
	}
}
