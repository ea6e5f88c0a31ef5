//go:build linux

package bench

import (
	"bytes"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// HAProxyResult is one wrk run through a real HAProxy.
type HAProxyResult struct {
	Version    string // first line of haproxy -v
	Agent      string // contender serving the SPOE ("–" with the filter off)
	Mode       string // "spoe" (filter on) or "off"
	Run        int
	ReqPerSec  float64
	Requests   uint64
	AgentCPU   time.Duration
	HAProxyCPU time.Duration
	// Counts are perf's counters on the agent during the wrk run (nil
	// without perf): every syscall, some by name, context switches.
	Counts map[string]uint64
	// Sockets is how many sockets the agent held at the end of the run:
	// HAProxy's connections to it (plus its listener).
	Sockets int
	Err     string
}

// CPUPerRequest returns the agent CPU time per HTTP request.
func (h HAProxyResult) CPUPerRequest() time.Duration { return h.perRequest(h.AgentCPU) }

// HAProxyCPUPerRequest returns HAProxy's CPU time per HTTP request.
func (h HAProxyResult) HAProxyCPUPerRequest() time.Duration { return h.perRequest(h.HAProxyCPU) }

func (h HAProxyResult) perRequest(d time.Duration) time.Duration {
	if h.Requests == 0 {
		return 0
	}
	return d / time.Duration(h.Requests)
}

// PerRequest returns counter name per HTTP request, and whether it was counted.
func (h HAProxyResult) PerRequest(name string) (float64, bool) {
	v, ok := h.Counts[name]
	if !ok || h.Requests == 0 {
		return 0, false
	}
	return float64(v) / float64(h.Requests), true
}

// haproxyGlobal starts the configuration: one HAProxy process answering
// `http-request return` itself (no backend server), so the numbers are
// HAProxy + SPOE only. Every contender gets a frontend with the SPOE filter
// on (iprep-like message, the agent sets sess.iprep.ip_score) and its own
// agent backend; one more frontend has the filter off.
const haproxyGlobal = `global
    nbthread 1
    maxconn 4000
defaults
    mode http
    timeout connect 2s
    timeout client 30s
    timeout server 30s
frontend without_spoe
    bind 127.0.0.1:%d
    http-request return status 200 content-type text/plain lf-string "score=%%[var(sess.iprep.ip_score)]\n"
`

const haproxyContender = `frontend with_spoe_%[1]d
    bind 127.0.0.1:%[2]d
    filter spoe engine e%[1]d config %[3]s
    http-request return status 200 content-type text/plain lf-string "score=%%[var(sess.iprep.ip_score)]\n"
backend spoe_agents_%[1]d
    mode %[4]s
    timeout connect 2s
    timeout server 30s
%[6]s    server agent1 %[5]s
`

const spoeContender = `[e%[1]d]
spoe-agent iprep-agent-%[1]d
    messages check-client-ip-%[1]d
    option var-prefix iprep
    timeout hello 2s
    timeout idle 2m
    timeout processing 500ms
%[2]s    use-backend spoe_agents_%[1]d
spoe-message check-client-ip-%[1]d
    args ip=src
    event on-frontend-http-request
`

// indentLines renders extra configuration lines, indented, one per line.
func indentLines(lines []string) string {
	var b strings.Builder
	for _, l := range lines {
		b.WriteString("    " + strings.TrimSpace(l) + "\n")
	}
	return b.String()
}

var (
	reReqPerSec = regexp.MustCompile(`Requests/sec:\s+([0-9.]+)`)
	reRequests  = regexp.MustCompile(`(\d+) requests in`)
	reScore     = regexp.MustCompile(`^score=\d+\n?$`)
)

// runHAProxySection measures HTTP requests/s with wrk through HAProxy 2.6 (and
// 3.x when HAPROXY3_BIN names one), every contender and the filter off, runs
// interleaved.
func runHAProxySection(o ReportOptions, r *Report, tmp string) []HAProxyResult {
	var res []HAProxyResult
	if _, err := exec.LookPath("wrk"); err != nil {
		r.Skipped["haproxy"] = "wrk not installed (apt-get install -y wrk)"
		return nil
	}
	cs := o.HAContenders
	if len(cs) == 0 {
		cs = DefaultHAContenders(r.Engines)
		if cs[0].Engine == "ceiling" {
			r.Skipped["haproxy agent"] = "epoll engine unavailable: the ceiling responder (canned ACK, score 42) served the SPOE"
		}
	}
	if _, err := exec.LookPath("perf"); err != nil {
		r.Skipped["haproxy syscalls"] = "perf not installed (apt-get install -y linux-perf): no syscall counts"
	}
	var bins []struct{ bin, mode string }
	if o.HAProxyBin != "" {
		bins = append(bins, struct{ bin, mode string }{o.HAProxyBin, "tcp"})
	}
	if o.HAProxy3 != "" {
		bins = append(bins, struct{ bin, mode string }{o.HAProxy3, "spop"})
	} else {
		r.Skipped["haproxy 3.x"] = "HAPROXY3_BIN not set"
	}
	for _, b := range bins {
		if _, err := os.Stat(b.bin); err != nil {
			r.Skipped["haproxy "+b.bin] = err.Error()
			continue
		}
		res = append(res, runHAProxy(o, tmp, b.bin, b.mode, cs)...)
	}
	return res
}

func runHAProxy(o ReportOptions, tmp, bin, backendMode string, cs []HAContender) []HAProxyResult {
	verOut, _ := runCmd(tmp, 10*time.Second, bin, "-v")
	version, _, _ := strings.Cut(firstLine(verOut), " - ")
	fail := func(agent string, err error) []HAProxyResult {
		return []HAProxyResult{{Version: version, Agent: agent, Mode: "spoe", Err: err.Error()}}
	}
	ports, err := freePorts(len(cs) + 1)
	if err != nil {
		return fail("", err)
	}
	// A directory per HAProxy binary: an agent killed at the end of one
	// run leaves its UNIX socket, which must not be the next run's path.
	if tmp, err = os.MkdirTemp(tmp, "haproxy-"); err != nil {
		return fail("", err)
	}
	spoePath := filepath.Join(tmp, "spoe.conf")
	cfgPath := filepath.Join(tmp, "haproxy.cfg")
	var cfg, spoe strings.Builder
	fmt.Fprintf(&cfg, haproxyGlobal, ports[len(cs)])
	var agents []*AgentProc
	defer func() {
		for _, p := range agents {
			_ = p.Stop()
		}
	}()
	for i, c := range cs {
		exe := c.Exe
		if exe == nil {
			exe = o.Exe
		}
		listen := Target{"tcp", "127.0.0.1:0"}
		if c.Unix {
			listen = Target{"unix", filepath.Join(tmp, fmt.Sprintf("agent%d.sock", i))}
		}
		p, err := StartAgent(AgentSpec{Exe: exe, Engine: c.Engine, Loops: c.Loops, DefaultLoops: c.Loops == 0,
			Env: c.Env, Listen: listen})
		if err != nil {
			return fail(c.label(), err)
		}
		agents = append(agents, p)
		server := p.Addr.Address // 127.0.0.1:PORT
		if c.Unix {
			server = "unix@" + p.Addr.Address
		}
		fmt.Fprintf(&cfg, haproxyContender, i, ports[i], spoePath, backendMode, server, indentLines(o.HAProxyBackendExtra))
		fmt.Fprintf(&spoe, spoeContender, i, indentLines(o.SPOEAgentExtra))
	}
	if err := os.WriteFile(spoePath, []byte(spoe.String()), 0o644); err != nil {
		return fail("", err)
	}
	if err := os.WriteFile(cfgPath, []byte(cfg.String()), 0o644); err != nil {
		return fail("", err)
	}
	hp := exec.Command(bin, "-db", "-f", cfgPath)
	logf, _ := os.Create(filepath.Join(tmp, "haproxy.log"))
	if logf != nil {
		defer logf.Close()
		hp.Stdout, hp.Stderr = logf, logf
	}
	if err := hp.Start(); err != nil {
		return fail("", err)
	}
	defer func() { // stop the HAProxy we started, by its PID
		_ = hp.Process.Signal(os.Interrupt)
		done := make(chan struct{})
		go func() { _ = hp.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			_ = hp.Process.Kill()
			<-done
		}
	}()
	for i, p := range agents {
		o.logf("haproxy pid %d (%s), agent %q (%s) pid %d", hp.Process.Pid, version, cs[i].Name, p.Engine, p.Pid)
	}
	for _, port := range ports {
		if err := waitPort(port, 5*time.Second); err != nil {
			return fail("", fmt.Errorf("haproxy did not listen: %v: %s", err, readTail(filepath.Join(tmp, "haproxy.log"))))
		}
	}
	// Prove each SPOE round trip before measuring it, then warm every
	// frontend up (connections opened, agent threads started) unmeasured.
	for i := range cs {
		body, err := httpGet(ports[i])
		if err != nil || !reScore.MatchString(body) {
			return fail(cs[i].Name, fmt.Errorf("SPOE not applied: GET returned %q (%v); haproxy log: %s", body, err, readTail(filepath.Join(tmp, "haproxy.log"))))
		}
	}
	for _, port := range ports {
		_, _ = runCmd(tmp, 30*time.Second, "wrk", "-t1", "-c32", "-d1s", fmt.Sprintf("http://127.0.0.1:%d/", port))
	}
	var res []HAProxyResult
	n := len(ports)
	for run := 1; run <= o.Runs; run++ {
		for k := range n { // rotate the order from run to run
			i := (k + run - 1) % n
			hr := HAProxyResult{Version: version, Agent: "–", Mode: "off", Run: run}
			pid := 0
			if i < len(cs) {
				hr.Agent, hr.Mode, pid = cs[i].label(), "spoe", agents[i].Pid
			}
			measureWrk(o, tmp, ports[i], pid, hp.Process.Pid, &hr)
			syscalls, _ := hr.PerRequest("syscalls")
			o.logf("haproxy %-12s run %d: %8.0f req/s, agent CPU %v/req, %.2f syscalls/req, %d sockets, haproxy CPU %v/req %s",
				hr.Agent, run, hr.ReqPerSec, hr.CPUPerRequest(), syscalls, hr.Sockets, hr.HAProxyCPUPerRequest(), hr.Err)
			res = append(res, hr)
		}
	}
	// And once more after the load: every agent still answers.
	for i := range cs {
		if body, err := httpGet(ports[i]); err != nil || !reScore.MatchString(body) {
			res = append(res, HAProxyResult{Version: version, Agent: cs[i].label(), Mode: "spoe",
				Err: fmt.Sprintf("after load, GET returned %q (%v)", body, err)})
		}
	}
	return res
}

// measureWrk runs wrk against port and fills hr with its rate and with the
// CPU and counters of the agent (pid; 0 for none) and of HAProxy over the run.
func measureWrk(o ReportOptions, tmp string, port, pid, hpPid int, hr *HAProxyResult) {
	var cpu0, hcpu0 time.Duration
	var counter *perfCounter
	if pid != 0 {
		cpu0, _ = ReadCPU(pid)
		counter = startPerf(pid)
	}
	hcpu0, _ = ReadCPU(hpPid)
	out, err := runCmd(tmp, o.WrkTime+30*time.Second, "wrk", "-t1", "-c32", "-d"+wrkDur(o.WrkTime),
		fmt.Sprintf("http://127.0.0.1:%d/", port))
	hcpu1, _ := ReadCPU(hpPid)
	hr.HAProxyCPU = hcpu1 - hcpu0
	if pid != 0 {
		cpu1, _ := ReadCPU(pid)
		hr.AgentCPU = cpu1 - cpu0
		hr.Counts = counter.stop()
		hr.Sockets = countSockets(pid)
	}
	if m := reReqPerSec.FindStringSubmatch(out); m != nil {
		hr.ReqPerSec, _ = strconv.ParseFloat(m[1], 64)
	}
	if m := reRequests.FindStringSubmatch(out); m != nil {
		hr.Requests, _ = strconv.ParseUint(m[1], 10, 64)
	}
	switch {
	case err != nil:
		hr.Err = fmt.Sprintf("wrk: %v: %s", err, out)
	case strings.Contains(out, "Non-2xx") || strings.Contains(out, "Socket errors"):
		hr.Err = "wrk reported errors: " + out
	case hr.ReqPerSec == 0:
		hr.Err = "no requests/s in wrk output: " + out
	}
}

// countSockets counts the sockets among the open files of process pid.
func countSockets(pid int) int {
	dir := "/proc/" + strconv.Itoa(pid) + "/fd"
	ents, _ := os.ReadDir(dir)
	n := 0
	for _, e := range ents {
		if l, err := os.Readlink(dir + "/" + e.Name()); err == nil && strings.HasPrefix(l, "socket:") {
			n++
		}
	}
	return n
}

// perfEvents are the counters perf stat keeps on the agent, by the short
// name the report uses. Tracepoints count system call entries; the runtime's
// own calls (futex: waking and parking threads; nanosleep: usleep in the
// scheduler's spinning and sysmon; tgkill: preemption signals) show the
// scheduler's share.
var perfEvents = []struct{ name, event string }{
	{"syscalls", "raw_syscalls:sys_enter"},
	{"epoll_pwait", "syscalls:sys_enter_epoll_pwait"},
	{"read", "syscalls:sys_enter_read"},
	{"write", "syscalls:sys_enter_write"},
	{"futex", "syscalls:sys_enter_futex"},
	{"nanosleep", "syscalls:sys_enter_nanosleep"},
	{"tgkill", "syscalls:sys_enter_tgkill"},
	{"sched_yield", "syscalls:sys_enter_sched_yield"},
	{"cs", "context-switches"},
}

// perfCounter is a `perf stat` attached to a process until stop.
type perfCounter struct {
	cmd *exec.Cmd
	out bytes.Buffer
}

// startPerf attaches perf stat to every thread of pid; nil if perf is
// missing or refused.
func startPerf(pid int) *perfCounter {
	args := []string{"stat", "-x,", "-p", strconv.Itoa(pid)}
	for _, e := range perfEvents {
		args = append(args, "-e", e.event)
	}
	p := &perfCounter{cmd: exec.Command("perf", args...)}
	p.cmd.Stderr = &p.out
	if err := p.cmd.Start(); err != nil {
		return nil
	}
	time.Sleep(100 * time.Millisecond) // let it attach before the load starts
	return p
}

// stop ends the count (SIGINT makes perf print its totals) and parses it.
func (p *perfCounter) stop() map[string]uint64 {
	if p == nil {
		return nil
	}
	_ = p.cmd.Process.Signal(os.Interrupt)
	done := make(chan struct{})
	go func() { _ = p.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		_ = p.cmd.Process.Kill()
		<-done
		return nil
	}
	return parsePerfCSV(p.out.String())
}

// parsePerfCSV reads `perf stat -x,` output: VALUE,UNIT,EVENT,...; events
// perf could not count ("<not supported>") are left out.
func parsePerfCSV(out string) map[string]uint64 {
	counts := map[string]uint64{}
	for line := range strings.SplitSeq(out, "\n") {
		f := strings.Split(line, ",")
		if len(f) < 3 {
			continue
		}
		v, err := strconv.ParseUint(f[0], 10, 64)
		if err != nil {
			continue
		}
		for _, e := range perfEvents {
			if f[2] == e.event {
				counts[e.name] = v
			}
		}
	}
	return counts
}

// HAProxyWrkCommand is the wrk command line the report runs.
func HAProxyWrkCommand(d time.Duration) string {
	return "wrk -t1 -c32 -d" + wrkDur(d) + " http://127.0.0.1:PORT/"
}

func wrkDur(d time.Duration) string { return strconv.Itoa(max(int(d.Seconds()), 1)) + "s" }

func freePorts(n int) ([]int, error) {
	var ls []net.Listener
	defer func() {
		for _, l := range ls {
			l.Close()
		}
	}()
	var ports []int
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		ls = append(ls, l)
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}

func waitPort(port int, d time.Duration) error {
	deadline := time.Now().Add(d)
	for {
		c, err := net.DialTimeout("tcp", fmt.Sprintf("127.0.0.1:%d", port), time.Second)
		if err == nil {
			c.Close()
			return nil
		}
		if time.Now().After(deadline) {
			return err
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func httpGet(port int) (string, error) {
	c := &http.Client{Timeout: 5 * time.Second}
	resp, err := c.Get(fmt.Sprintf("http://127.0.0.1:%d/", port))
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 4096))
	return string(b), err
}

func readTail(path string) string {
	b, _ := os.ReadFile(path)
	return tail(string(b), 1500)
}
