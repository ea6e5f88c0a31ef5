//go:build linux

package bench

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"time"

	"github.com/spopkit/spopkit/server"
)

// ReportOptions configures RunReport.
type ReportOptions struct {
	Exe        []string      // the spopbench binary, re-executed as the agent
	Root       string        // module root: where `go test` runs and paths are relative to
	Duration   time.Duration // measured window per run
	Warmup     time.Duration
	Runs       int // runs per scenario and contender, interleaved
	Smoke      bool
	Quick      bool
	Pin        bool // agent on AgentCPU, generator on GenCPU
	AgentCPU   int
	GenCPU     int
	IdleConns  int
	MicroCount int
	WrkTime    time.Duration
	Skip       map[string]bool // "load", "micro", "haproxy", "idle", "profile"
	HAProxyBin string          // HAProxy 2.6 (Debian)
	HAProxy3   string          // HAProxy 3.x, from HAPROXY3_BIN
	// HAContenders are the agents measured through HAProxy (default:
	// DefaultHAContenders); HAProxyBackendExtra and SPOEAgentExtra are
	// extra lines for every agent backend and spoe-agent section.
	HAContenders        []HAContender
	HAProxyBackendExtra []string
	SPOEAgentExtra      []string
	Command             string // the command line, quoted in the report
	Revision            string // the spopkit revision measured
	Log                 io.Writer
}

// Measurement is one run of one contender in one scenario.
type Measurement struct {
	Engine   string
	Run      int
	Acks     uint64
	Elapsed  time.Duration
	Rate     float64       // ACKs/s
	AgentCPU time.Duration // agent process CPU (user+sys) in the window
	GenCPU   time.Duration // generator load-thread CPU in the window
	P50      time.Duration
	P90      time.Duration
	P99      time.Duration
	P999     time.Duration
	Max      time.Duration
	Err      string // empty when the run validated
}

// AcksPerCPU returns ACKs per agent CPU-second (0 if unknown).
func (m Measurement) AcksPerCPU() float64 {
	if m.AgentCPU <= 0 {
		return 0
	}
	return float64(m.Acks) / m.AgentCPU.Seconds()
}

// ScenarioResult holds every run of every contender in one scenario.
type ScenarioResult struct {
	Scenario Scenario
	Runs     map[string][]Measurement // by engine, in run order
}

// IdleResult is the memory of one contender holding many idle connections.
type IdleResult struct {
	Engine     string
	Conns      int
	BaseKiB    int64 // RSS before the connections
	LoadedKiB  int64 // RSS with every connection open and handshaken
	PerConnKiB float64
	Err        string
}

// Report is everything one `spopbench report` measured.
type Report struct {
	Machine      Machine
	Options      ReportOptions
	Engines      []string          // contenders measured, ceiling first
	Skipped      map[string]string // contender or section → why
	Scenarios    []ScenarioResult
	Idle         []IdleResult
	Micro        *MicroResult
	HAProxy      []HAProxyResult
	Profiles     map[string]string // engine → `go tool pprof -top` under 4×20 load
	Recording    *ScenarioResult   // epoll 4×20 with and without Config.Recorder
	HAChart      string            // path of the HAProxy chart, relative to BENCHMARKS.md ("" for none)
	Started      time.Time
	Elapsed      time.Duration
	LoadAvgAfter string
}

// Failures returns every validation failure in the report.
func (r *Report) Failures() []string {
	var f []string
	for _, s := range r.Scenarios {
		for _, e := range r.Engines {
			for _, m := range s.Runs[e] {
				if m.Err != "" {
					f = append(f, fmt.Sprintf("%s %s run %d: %s", s.Scenario.Name, e, m.Run, m.Err))
				}
			}
		}
	}
	for _, i := range r.Idle {
		if i.Err != "" {
			f = append(f, fmt.Sprintf("idle %s: %s", i.Engine, i.Err))
		}
	}
	for _, h := range r.HAProxy {
		if h.Err != "" {
			f = append(f, fmt.Sprintf("haproxy %s %s: %s", h.Version, h.Mode, h.Err))
		}
	}
	return f
}

// newReport starts a report: the contenders this build has.
func newReport(o ReportOptions) *Report {
	r := &Report{Machine: DescribeMachine(), Options: o, Started: time.Now(),
		Skipped: map[string]string{}, Profiles: map[string]string{}}
	for _, e := range contenderOrder {
		if _, ok := agentEngines[e]; ok {
			r.Engines = append(r.Engines, e)
		} else {
			r.Skipped[e] = "engine not in this build (server package does not provide it yet)"
		}
	}
	return r
}

// RunHAProxyOnly runs the section through real HAProxy alone.
func RunHAProxyOnly(o ReportOptions) (*Report, error) {
	r := newReport(o)
	if o.Runs < 1 {
		return nil, errf("runs must be ≥ 1")
	}
	tmp, err := os.MkdirTemp("", "spopbench-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)
	r.HAProxy = runHAProxySection(o, r, tmp)
	r.Elapsed = time.Since(r.Started)
	return r, nil
}

// contenderOrder is the order of contenders in tables and runs.
var contenderOrder = []string{"ceiling", "epoll", "std"}

func (o *ReportOptions) logf(format string, args ...any) {
	if o.Log != nil {
		fmt.Fprintf(o.Log, format+"\n", args...)
	}
}

// RunReport runs every section of the report. It returns the report even when
// some runs failed validation (see Report.Failures); an error means the report
// could not be produced at all.
func RunReport(o ReportOptions) (*Report, error) {
	r := newReport(o)
	if err := RaiseNoFile(); err != nil {
		return nil, err
	}
	tmp, err := os.MkdirTemp("", "spopbench-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)
	all := AllCPUs()
	var agentCPUs []int
	if o.Pin {
		if len(all) < 2 {
			r.Skipped["pinning"] = fmt.Sprintf("only %d CPU available", len(all))
			o.Pin = false
			r.Options.Pin = false
		} else {
			agentCPUs = []int{o.AgentCPU}
			if err := PinProcess(o.GenCPU); err != nil {
				return nil, err
			}
		}
	}
	unpin := func() {
		if o.Pin {
			_ = PinProcess(all...)
		}
	}
	defer unpin()

	scenarios := Scenarios(o.Smoke)
	if o.Skip["load"] {
		scenarios = nil
	}
	for _, sc := range scenarios {
		res := ScenarioResult{Scenario: sc, Runs: map[string][]Measurement{}}
		for run := 1; run <= o.Runs; run++ {
			order := slices.Clone(r.Engines)
			if run%2 == 0 { // A B C, C B A, …: drift and order effects cancel
				slices.Reverse(order)
			}
			for _, e := range order {
				m := measure(o, tmp, e, sc, run, agentCPUs)
				res.Runs[e] = append(res.Runs[e], m)
				o.logf("%-12s %-8s run %d: %10.0f ACKs/s  p50 %-10v agent %-8v (%s/CPU-s) gen %v %s",
					sc.Name, e, run, m.Rate, m.P50, m.AgentCPU, fmtRate(m.AcksPerCPU()), m.GenCPU, m.Err)
			}
		}
		r.Scenarios = append(r.Scenarios, res)
	}

	if !o.Skip["record"] && slices.Contains(r.Engines, server.EngineEpoll) {
		r.Recording = measureRecording(o, tmp, agentCPUs)
	}

	if !o.Skip["idle"] {
		for run := 1; run <= min(o.Runs, 3); run++ {
			for _, e := range r.Engines {
				ir := measureIdle(o, e, agentCPUs)
				o.logf("idle %-8s %d conns: %d → %d KiB, %.2f KiB/conn %s", e, ir.Conns, ir.BaseKiB, ir.LoadedKiB, ir.PerConnKiB, ir.Err)
				r.Idle = append(r.Idle, ir)
			}
		}
	}

	if !o.Skip["profile"] {
		for _, e := range []string{"epoll", "std"} {
			if !slices.Contains(r.Engines, e) || !r.needsProfile(e) {
				continue
			}
			prof, err := profileAgent(o, tmp, e, agentCPUs)
			if err != nil {
				prof = "profile failed: " + err.Error()
			}
			r.Profiles[e] = prof
		}
	}
	unpin()

	if !o.Skip["micro"] {
		o.logf("microbenchmarks (count %d)…", o.MicroCount)
		mr, err := RunMicro(o.Root, o.MicroCount, o.Quick, o.Log)
		if err != nil {
			r.Skipped["microbenchmarks"] = err.Error()
		}
		r.Micro = mr
	}
	if !o.Skip["haproxy"] {
		r.HAProxy = runHAProxySection(o, r, tmp)
		for _, h := range r.HAProxy {
			if h.Err != "" {
				o.logf("haproxy %s: %s", h.Mode, h.Err)
			}
		}
	}
	r.Elapsed = time.Since(r.Started)
	r.LoadAvgAfter = loadAvg()
	return r, nil
}

// measure runs one scenario once against a fresh agent process.
func measure(o ReportOptions, tmp, engine string, sc Scenario, run int, cpus []int) Measurement {
	m := Measurement{Engine: engine, Run: run}
	listen := Target{Network: "tcp", Address: "127.0.0.1:0"}
	if sc.Network == "unix" {
		listen = Target{Network: "unix", Address: filepath.Join(tmp, fmt.Sprintf("%s-%d.sock", engine, run))}
	}
	p, err := StartAgent(AgentSpec{Exe: o.Exe, Engine: engine, Listen: listen, CPUs: cpus})
	if err != nil {
		m.Err = err.Error()
		return m
	}
	var cpu0, cpu1 time.Duration
	res := Load(LoadConfig{
		Target: p.Addr, Conns: sc.Conns, Depth: sc.Depth, Payload: sc.Workload.Payload,
		Warmup: o.Warmup, Duration: o.Duration, Rate: sc.Rate, MaxAcks: 100_000_000,
		OnWindow: func(open bool) {
			if open {
				cpu0, _ = ReadCPU(p.Pid)
			} else {
				cpu1, _ = ReadCPU(p.Pid)
			}
		},
	})
	if err := p.Stop(); err != nil && res.Err == nil {
		res.Err = err
	}
	h := &res.Latency
	m.Acks, m.Elapsed, m.Rate, m.GenCPU = res.Acks, res.Elapsed, res.Rate(), res.GenCPU
	m.AgentCPU = cpu1 - cpu0
	m.P50, m.P90, m.P99, m.P999, m.Max = h.Quantile(.5), h.Quantile(.9), h.Quantile(.99), h.Quantile(.999), h.Max()
	if !res.OK() {
		m.Err = fmt.Sprintf("%d invalid ACKs, %d lost: %v", res.Invalid, res.Lost, res.Err)
	} else if res.Acks == 0 {
		m.Err = "no ACK in the window"
	}
	return m
}

// measureRecording runs the 4×20 scenario against the epoll engine with
// and without a Recorder (EngineRecording), interleaved: the cost of
// recording every NOTIFY.
func measureRecording(o ReportOptions, tmp string, cpus []int) *ScenarioResult {
	var sc Scenario
	for _, s := range Scenarios(o.Smoke) {
		if s.Name == "4×20" {
			sc = s
		}
	}
	sc.Name = "4×20 recording"
	res := &ScenarioResult{Scenario: sc, Runs: map[string][]Measurement{}}
	for run := 1; run <= o.Runs; run++ {
		order := []string{server.EngineEpoll, EngineRecording}
		if run%2 == 0 {
			slices.Reverse(order)
		}
		for _, e := range order {
			m := measure(o, tmp, e, sc, run, cpus)
			res.Runs[e] = append(res.Runs[e], m)
			o.logf("%-14s %-12s run %d: %10.0f ACKs/s  agent %-8v (%s/CPU-s) %s",
				sc.Name, e, run, m.Rate, m.AgentCPU, fmtRate(m.AcksPerCPU()), m.Err)
		}
	}
	return res
}

// needsProfile reports whether a throughput target of engine was missed, in
// which case the report shows where its CPU goes.
func (r *Report) needsProfile(engine string) bool {
	for _, t := range r.Targets() {
		if t.Engine == engine && !t.Met && t.Measured {
			return true
		}
	}
	return false
}

// profileAgent runs the 4×20 scenario against an agent started with
// --cpuprofile and returns `go tool pprof -top` of the profile.
func profileAgent(o ReportOptions, tmp, engine string, cpus []int) (string, error) {
	prof := filepath.Join(tmp, engine+".pprof")
	p, err := StartAgent(AgentSpec{Exe: o.Exe, Engine: engine, Listen: Target{"tcp", "127.0.0.1:0"}, CPUs: cpus, CPUProfile: prof})
	if err != nil {
		return "", err
	}
	res := Load(LoadConfig{Target: p.Addr, Conns: 4, Depth: 20, Payload: SmallWorkload().Payload,
		Warmup: o.Warmup, Duration: max(o.Duration, time.Second), MaxAcks: 100_000_000})
	if err := p.Stop(); err != nil {
		return "", err
	}
	if !res.OK() {
		return "", res.Err
	}
	out, err := runCmd(o.Root, 60*time.Second, "go", "tool", "pprof", "-top", "-nodecount=25", o.Exe[0], prof)
	if err != nil {
		return "", fmt.Errorf("%v: %s", err, out)
	}
	return fmt.Sprintf("4×20 for %v, %.0f ACKs/s under the profiler\n\n%s", res.Elapsed.Round(time.Millisecond), res.Rate(), out), nil
}

// medianOf returns the median, min and max of xs (0s when empty).
func medianOf(xs []float64) (med, lo, hi float64) {
	if len(xs) == 0 {
		return 0, 0, 0
	}
	s := slices.Clone(xs)
	sort.Float64s(s)
	if len(s)%2 == 1 {
		med = s[len(s)/2]
	} else {
		med = (s[len(s)/2-1] + s[len(s)/2]) / 2
	}
	return med, s[0], s[len(s)-1]
}

// stat collects f over the valid runs of engine.
func (s *ScenarioResult) stat(engine string, f func(Measurement) float64) (med, lo, hi float64, n int) {
	var xs []float64
	for _, m := range s.Runs[engine] {
		if m.Err == "" {
			xs = append(xs, f(m))
		}
	}
	med, lo, hi = medianOf(xs)
	return med, lo, hi, len(xs)
}

// scenario returns the result of the scenario named name, or nil.
func (r *Report) scenario(name string) *ScenarioResult {
	for i := range r.Scenarios {
		if r.Scenarios[i].Scenario.Name == name {
			return &r.Scenarios[i]
		}
	}
	return nil
}
