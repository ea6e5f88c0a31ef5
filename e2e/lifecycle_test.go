//go:build linux

package e2e

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/spopkit/spopkit/server"
)

// lifecycleHeaders adds the PID of the agent that answered.
func lifecycleSetup(agentAddr, backend string) Setup {
	return Setup{
		AgentAddr:   agentAddr,
		BackendAddr: backend,
		LogLevel:    "warning",
		ResponseHeaders: [][2]string{
			{"X-Ip-Score", "%[var(sess.e2e.ip_score)]"},
			{"X-Agent-Pid", "%[var(txn.e2e.agent_pid)]"},
			{"X-Spoe-Error", "%[var(txn.e2e.error)]"},
			{"X-Spoe-Ptime", "%[var(txn.e2e.ptime)]"},
		},
	}
}

// timeline records, per response, when it completed, which agent answered
// and whether SPOE failed.
type timeline struct {
	mu     sync.Mutex
	events []event
}

type event struct {
	at       time.Time
	pid      string
	spoeErr  string
	httpErr  bool
	status   int
	hasScore bool
}

func (tl *timeline) observe(at time.Time, r Response, err error) {
	e := event{at: at, httpErr: err != nil}
	if err == nil {
		e.pid, e.spoeErr, e.status = r.Header.Get("X-Agent-Pid"), r.Header.Get("X-Spoe-Error"), r.Status
		e.hasScore = r.Header.Get("X-Ip-Score") != ""
	}
	tl.mu.Lock()
	tl.events = append(tl.events, e)
	tl.mu.Unlock()
}

// byPID counts responses per answering agent PID ("" = no agent answered).
func (tl *timeline) byPID() map[string]int {
	tl.mu.Lock()
	defer tl.mu.Unlock()
	m := map[string]int{}
	for _, e := range tl.events {
		m[e.pid]++
	}
	return m
}

// lost counts the requests that did not get the agent's answer: a transport
// error, a status other than 200, a SPOE error or no variable.
func (tl *timeline) lost() int64 {
	tl.mu.Lock()
	defer tl.mu.Unlock()
	var n int64
	for _, e := range tl.events {
		if e.httpErr || e.status != 200 || e.spoeErr != "" || !e.hasScore {
			n++
		}
	}
	return n
}

// errorsBetween counts SPOE errors (by code) in [from, to).
func (tl *timeline) errorsBetween(from, to time.Time) (n int, codes map[string]int, first, last time.Time) {
	tl.mu.Lock()
	defer tl.mu.Unlock()
	codes = map[string]int{}
	for _, e := range tl.events {
		if e.spoeErr == "" || e.at.Before(from) || !e.at.Before(to) {
			continue
		}
		n++
		codes[e.spoeErr]++
		if first.IsZero() || e.at.Before(first) {
			first = e.at
		}
		if e.at.After(last) {
			last = e.at
		}
	}
	return
}

// drainRecipe is one way to restart an agent gracefully behind one HAProxy
// version: how the agent drains, and what HAProxy's configuration adds.
type drainRecipe struct {
	Name  string
	Env   []string     // for the child agents
	Setup func(*Setup) // HAProxy side
	// LossPerMille is the loss allowed, in requests per thousand: 0 for the
	// recipes the README gives for restarts that lose nothing.
	LossPerMille int64
}

// drainRecipes are the restarts tested against v. HAProxy 2.x and 3.x both
// fail the NOTIFYs they had on the wire to a connection when they read the
// agent's AGENT-DISCONNECT, so the lossless recipes never let one cross:
//   - 2.x: no pipelining (HAProxy waits for each ACK before the next
//     NOTIFY), passive drain (the goodbye rides on the ACK HAProxy waits
//     for), and a short spoe-agent `timeout idle` (HAProxy closes the
//     connections that get no NOTIFY);
//   - 3.x: passive drain and `max-reuse` on the agent's server line
//     (HAProxy retires its pooled connections itself between two streams).
//
// On 2.x the default drain (pipelining, goodbye at a quiet point) is run too:
// it can lose a NOTIFY that crosses the goodbye, rarely; it must stay rare.
func drainRecipes(v *haproxyVersion) []drainRecipe {
	if v.SPOPMode {
		return []drainRecipe{{
			Name:  "passive+max-reuse",
			Env:   []string{"E2E_CHILD_PASSIVE_DRAIN=1"},
			Setup: func(s *Setup) { s.ServerOptions = "max-reuse 50" },
		}}
	}
	return []drainRecipe{
		{
			Name:  "lockstep+passive+idle",
			Env:   []string{"E2E_CHILD_PASSIVE_DRAIN=1", "E2E_CHILD_LOCKSTEP=1"},
			Setup: func(s *Setup) { s.IdleTimeout = time.Second },
		},
		{Name: "default", Setup: func(*Setup) {}, LossPerMille: 1},
	}
}

// TestAgentGracefulRestart: a new agent process starts on the same port
// (SO_REUSEPORT) while the old one is serving HAProxy under keep-alive load;
// the old one then gets SIGTERM and shuts down gracefully. With the recipe
// for the HAProxy version (drainRecipes), no request may lose its variable
// or get a SPOE error, and the new agent takes over.
func TestAgentGracefulRestart(t *testing.T) {
	forEachHAProxy(t, func(t *testing.T, v *haproxyVersion) {
		t.Parallel()
		for _, recipe := range drainRecipes(v) {
			for _, engine := range []string{server.EngineEpoll, server.EngineStd} {
				t.Run(recipe.Name+"/"+engine, func(t *testing.T) { testGracefulRestart(t, v, recipe, engine) })
			}
		}
	})
}

func testGracefulRestart(t *testing.T, v *haproxyVersion, recipe drainRecipe, engine string) {
	addr := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	setup := lifecycleSetup(addr, "")
	recipe.Setup(&setup)
	old := startChildAgent(t, engine, addr, 1, 0, recipe.Env...)
	backend, _ := startBackend(t)
	setup.BackendAddr = backend
	hp := startHAProxy(t, v, setup)
	var tl timeline
	done := make(chan *LoadResult, 1)
	go func() {
		done <- runLoadObserved(t, loadURLs(hp, "/restart"), 8, 6*time.Second, loadMaxRequests, "X-Ip-Score", tl.observe)
	}()
	time.Sleep(2 * time.Second)
	// The new process must bind the same port while the old one still
	// listens: that is what SO_REUSEPORT buys.
	nu := startChildAgent(t, engine, addr, 2, 0, recipe.Env...)
	tStop := time.Now()
	stopped, err := old.Stop(15 * time.Second)
	stopTook := time.Since(tStop)
	res := <-done
	pids := tl.byPID()
	n, codes, first, last := tl.errorsBetween(time.Time{}, time.Now())
	t.Logf("HAProxy %s, %s engine, %s drain: %v", v.Name, engine, recipe.Name, res)
	t.Logf("old agent pid %d stopped in %v (%q, err %v); responses by agent pid: %v (new pid %d); SPOE errors: %d %v",
		old.PID(), stopTook.Round(time.Millisecond), stopped, err, pids, nu.PID(), n, codes)
	if err != nil || stopped != "STOPPED <nil>" {
		t.Errorf("old agent's graceful shutdown: %q, %v; stderr:\n%s", stopped, err, old.Stderr())
	}
	lost := tl.lost()
	if res.Requests == 0 || res.Errors != 0 || res.Non200 != 0 || lost*1000 > recipe.LossPerMille*res.Requests {
		t.Errorf("requests lost during the restart: %d of %d (allowed: %d per 1000); %d SPOE errors %v between %v and %v after SIGTERM; first error %s",
			lost, res.Requests, recipe.LossPerMille, n, codes, first.Sub(tStop).Round(time.Millisecond), last.Sub(tStop).Round(time.Millisecond), res.FirstError)
	}
	if pids[strconv.Itoa(nu.PID())] == 0 {
		t.Errorf("the new agent answered nothing")
	}
}

// TestAgentKillRestart: the agent process is SIGKILLed under load, then a
// new one starts on the same port. HAProxy never fails a request because of
// it (SPOE errors only set the error variable), the health check marks the
// agent DOWN then UP again, and once it is UP no SPOE error is left.
func TestAgentKillRestart(t *testing.T) {
	forEachHAProxy(t, func(t *testing.T, v *haproxyVersion) {
		t.Parallel()
		addr := fmt.Sprintf("127.0.0.1:%d", freePort(t))
		first := startChildAgent(t, server.EngineEpoll, addr, 1, 0)
		backend, _ := startBackend(t)
		s := lifecycleSetup(addr, backend)
		s.Check = true
		s.ProcessingTimeout = 500 * time.Millisecond
		hp := startHAProxy(t, v, s)
		if _, err := hp.WaitCheck("spoe-agents", "agent1", "UP", "L7OK", 5*time.Second); err != nil {
			t.Fatal(err)
		}
		var tl timeline
		done := make(chan *LoadResult, 1)
		go func() {
			done <- runLoadObserved(t, loadURLs(hp, "/kill"), 8, 7*time.Second, loadMaxRequests, "", tl.observe)
		}()
		time.Sleep(2 * time.Second)
		tKill := time.Now()
		first.Kill()
		_, errDown := hp.WaitServerStatus("spoe-agents", "agent1", "DOWN", 3*time.Second)
		tDown := time.Now()
		second := startChildAgent(t, server.EngineEpoll, addr, 2, 0)
		tRestart := time.Now()
		_, errUp := hp.WaitCheck("spoe-agents", "agent1", "UP", "L7OK", 5*time.Second)
		tUp := time.Now()
		res := <-done
		end := time.Now()

		n, codes, e1, e2 := tl.errorsBetween(time.Time{}, end)
		settle := tUp.Add(s.ProcessingTimeout + 500*time.Millisecond)
		after, afterCodes, _, _ := tl.errorsBetween(settle, end)
		before, _, _, _ := tl.errorsBetween(time.Time{}, tKill)
		t.Logf("HAProxy %s: %v", v.Name, res)
		t.Logf("SIGKILL at 0; DOWN after %v (%v); new agent at %v; UP after %v (%v); SPOE errors: %d %v, from %v to %v; responses by pid %v",
			tDown.Sub(tKill).Round(time.Millisecond), errDown, tRestart.Sub(tKill).Round(time.Millisecond),
			tUp.Sub(tKill).Round(time.Millisecond), errUp, n, codes, e1.Sub(tKill).Round(time.Millisecond), e2.Sub(tKill).Round(time.Millisecond), tl.byPID())
		if res.Errors != 0 || res.Non200 != 0 {
			t.Errorf("HTTP failures: %d transport errors, %d non-200; SPOE must never fail a request (first: %s)", res.Errors, res.Non200, res.FirstError)
		}
		if errDown != nil || errUp != nil {
			t.Errorf("health check: DOWN %v, UP %v", errDown, errUp)
		}
		if before != 0 {
			t.Errorf("%d SPOE errors before the kill", before)
		}
		if after != 0 && end.After(settle) {
			t.Errorf("%d SPOE errors %v more than %v after the agent was UP again", after, afterCodes, s.ProcessingTimeout+500*time.Millisecond)
		}
		if tl.byPID()[strconv.Itoa(second.PID())] == 0 {
			t.Errorf("the restarted agent answered nothing")
		}
	})
}

// TestAgentSoak: E2E_SOAK_SECONDS (default 0: skipped; 120 for the full
// soak) of keep-alive load on a child agent whose RSS, open fds and
// goroutines must stay flat: the last quarter's maxima may not exceed the
// first quarter's (after warm-up) by more than a small margin.
func TestAgentSoak(t *testing.T) {
	d := envSeconds(t, "E2E_SOAK_SECONDS", 0)
	if d == 0 {
		t.Skip("set E2E_SOAK_SECONDS (e.g. 120) to run the soak test")
	}
	forEachHAProxy(t, func(t *testing.T, v *haproxyVersion) {
		agent := startChildAgent(t, server.EngineEpoll, "127.0.0.1:0", 3, time.Second)
		backend, _ := startBackend(t)
		hp := startHAProxy(t, v, lifecycleSetup(agent.Addr, backend))
		var stats []map[string]int
		var mu sync.Mutex
		stop := make(chan struct{})
		go func() {
			for {
				select {
				case l := <-agent.Lines:
					if m := parseStat(l); m != nil {
						mu.Lock()
						stats = append(stats, m)
						mu.Unlock()
					}
				case <-stop:
					return
				}
			}
		}()
		res := runLoad(t, loadURLs(hp, "/soak"), 8, d, 1<<40, "X-Ip-Score")
		time.Sleep(1500 * time.Millisecond) // one more sample, idle
		close(stop)
		mu.Lock()
		defer mu.Unlock()
		t.Logf("HAProxy %s soak: %v", v.Name, res)
		if res.Requests == 0 || res.Errors != 0 || res.Non200 != 0 || res.SpoeErrors != 0 || res.MissingVar != 0 {
			t.Errorf("want no error of any kind; first error: %s", res.FirstError)
		}
		if len(stats) < 8 {
			t.Fatalf("only %d STAT samples", len(stats))
		}
		q := len(stats) / 4
		early, late := stats[1:q+1], stats[len(stats)-q:]
		for _, k := range []struct {
			name  string
			slack func(early int) int
		}{
			{"rss", func(e int) int { return e/5 + 4096 }}, // kB: +20 % + 4 MB
			{"fds", func(int) int { return 8 }},
			{"goroutines", func(int) int { return 8 }},
			{"conns", func(int) int { return 8 }},
		} {
			e, l := maxOf(early, k.name), maxOf(late, k.name)
			t.Logf("HAProxy %s soak, agent %s: first quarter max %d, last quarter max %d", v.Name, k.name, e, l)
			if l > e+k.slack(e) {
				t.Errorf("%s grew from %d to %d over the soak", k.name, e, l)
			}
		}
	})
}

func parseStat(line string) map[string]int {
	rest, ok := strings.CutPrefix(line, "STAT ")
	if !ok {
		return nil
	}
	m := map[string]int{}
	for _, f := range strings.Fields(rest) {
		k, v, _ := strings.Cut(f, "=")
		n, _ := strconv.Atoi(v)
		m[k] = n
	}
	return m
}

func maxOf(samples []map[string]int, key string) int {
	vals := make([]int, 0, len(samples))
	for _, s := range samples {
		vals = append(vals, s[key])
	}
	return slices.Max(vals)
}
