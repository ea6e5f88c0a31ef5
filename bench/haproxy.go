//go:build linux

package bench

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// HAProxyResult is one wrk run through a real HAProxy.
type HAProxyResult struct {
	Version   string // first line of haproxy -v
	Agent     string // contender serving the SPOE
	Mode      string // "spoe" (filter on) or "off"
	Run       int
	ReqPerSec float64
	Requests  uint64
	AgentCPU  time.Duration
	Err       string
}

// CPUPerRequest returns the agent CPU time per HTTP request.
func (h HAProxyResult) CPUPerRequest() time.Duration {
	if h.Requests == 0 {
		return 0
	}
	return h.AgentCPU / time.Duration(h.Requests)
}

// haproxyCfg is a configuration with two frontends in one process: the same
// `http-request return` answered with the SPOE filter on (iprep-like message,
// the agent sets sess.iprep.ip_score) and off. No backend server: HAProxy
// answers itself, so the numbers are HAProxy + SPOE only.
const haproxyCfg = `global
    nbthread 1
    maxconn 4000
defaults
    mode http
    timeout connect 2s
    timeout client 30s
    timeout server 30s
frontend with_spoe
    bind 127.0.0.1:%[1]d
    filter spoe engine iprep config %[4]s
    http-request return status 200 content-type text/plain lf-string "score=%%[var(sess.iprep.ip_score)]\n"
frontend without_spoe
    bind 127.0.0.1:%[2]d
    http-request return status 200 content-type text/plain lf-string "score=%%[var(sess.iprep.ip_score)]\n"
backend spoe_agents
    mode %[5]s
    timeout connect 2s
    timeout server 30s
    server agent1 127.0.0.1:%[3]d
`

const spoeCfg = `[iprep]
spoe-agent iprep-agent
    messages check-client-ip
    option var-prefix iprep
    timeout hello 2s
    timeout idle 2m
    timeout processing 500ms
    use-backend spoe_agents
spoe-message check-client-ip
    args ip=src
    event on-frontend-http-request
`

var (
	reReqPerSec = regexp.MustCompile(`Requests/sec:\s+([0-9.]+)`)
	reRequests  = regexp.MustCompile(`(\d+) requests in`)
	reScore     = regexp.MustCompile(`^score=\d+\n?$`)
)

// runHAProxySection measures HTTP requests/s with wrk through HAProxy 2.6 (and
// 3.x when HAPROXY3_BIN names one), SPOE on vs off, runs interleaved.
func runHAProxySection(o ReportOptions, r *Report, tmp string) []HAProxyResult {
	var res []HAProxyResult
	if _, err := exec.LookPath("wrk"); err != nil {
		r.Skipped["haproxy"] = "wrk not installed (apt-get install -y wrk)"
		return nil
	}
	agent := "epoll"
	if !slices.Contains(r.Engines, agent) {
		agent = "ceiling"
		r.Skipped["haproxy agent"] = "epoll engine unavailable: the ceiling responder (canned ACK, score 42) served the SPOE"
	}
	bins := []struct{ bin, mode string }{{o.HAProxyBin, "tcp"}}
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
		res = append(res, runHAProxy(o, tmp, b.bin, b.mode, agent)...)
	}
	return res
}

func runHAProxy(o ReportOptions, tmp, bin, backendMode, agent string) []HAProxyResult {
	verOut, _ := runCmd(tmp, 10*time.Second, bin, "-v")
	version, _, _ := strings.Cut(firstLine(verOut), " - ")
	fail := func(err error) []HAProxyResult {
		return []HAProxyResult{{Version: version, Agent: agent, Mode: "spoe", Err: err.Error()}}
	}
	p, err := StartAgent(AgentSpec{Exe: o.Exe, Engine: agent, Listen: Target{"tcp", "127.0.0.1:0"}})
	if err != nil {
		return fail(err)
	}
	defer p.Stop()
	agentPort, _ := strconv.Atoi(p.Addr.Address[strings.LastIndexByte(p.Addr.Address, ':')+1:])
	ports, err := freePorts(2)
	if err != nil {
		return fail(err)
	}
	spoePath := filepath.Join(tmp, "spoe.conf")
	cfgPath := filepath.Join(tmp, "haproxy.cfg")
	if err := os.WriteFile(spoePath, []byte(spoeCfg), 0o644); err != nil {
		return fail(err)
	}
	cfg := fmt.Sprintf(haproxyCfg, ports[0], ports[1], agentPort, spoePath, backendMode)
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o644); err != nil {
		return fail(err)
	}
	hp := exec.Command(bin, "-db", "-f", cfgPath)
	logf, _ := os.Create(filepath.Join(tmp, "haproxy.log"))
	if logf != nil {
		defer logf.Close()
		hp.Stdout, hp.Stderr = logf, logf
	}
	if err := hp.Start(); err != nil {
		return fail(err)
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
	o.logf("haproxy pid %d (%s), agent %s pid %d", hp.Process.Pid, version, agent, p.Pid)
	for _, port := range ports {
		if err := waitPort(port, 5*time.Second); err != nil {
			return fail(fmt.Errorf("haproxy did not listen: %v: %s", err, readTail(filepath.Join(tmp, "haproxy.log"))))
		}
	}
	// Prove the SPOE round trip before measuring it.
	body, err := httpGet(ports[0])
	if err != nil || !reScore.MatchString(body) {
		return fail(fmt.Errorf("SPOE not applied: GET returned %q (%v); haproxy log: %s", body, err, readTail(filepath.Join(tmp, "haproxy.log"))))
	}
	var res []HAProxyResult
	modes := []string{"spoe", "off"}
	for run := 1; run <= o.Runs; run++ {
		order := slices.Clone(modes)
		if run%2 == 0 {
			slices.Reverse(order)
		}
		for _, mode := range order {
			port := ports[0]
			if mode == "off" {
				port = ports[1]
			}
			cpu0, _ := ReadCPU(p.Pid)
			hr := HAProxyResult{Version: version, Agent: agent, Mode: mode, Run: run}
			out, err := runCmd(tmp, o.WrkTime+30*time.Second, "wrk", "-t1", "-c32", "-d"+wrkDur(o.WrkTime),
				fmt.Sprintf("http://127.0.0.1:%d/", port))
			cpu1, _ := ReadCPU(p.Pid)
			hr.AgentCPU = cpu1 - cpu0
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
			o.logf("haproxy %-4s run %d: %8.0f req/s, agent CPU %v/req %s", mode, run, hr.ReqPerSec, hr.CPUPerRequest(), hr.Err)
			res = append(res, hr)
		}
	}
	// And once more after the load: the agent still answers.
	if body, err := httpGet(ports[0]); err != nil || !reScore.MatchString(body) {
		res = append(res, HAProxyResult{Version: version, Agent: agent, Mode: "spoe", Err: fmt.Sprintf("after load, GET returned %q (%v)", body, err)})
	}
	return res
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
