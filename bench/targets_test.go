//go:build linux

package bench

import (
	"encoding/xml"
	"strings"
	"testing"
	"time"
)

// TestIssue15Targets judges HAProxy results as `spopbench haproxy` records
// them (the version line of haproxy -v, one result per run).
func TestIssue15Targets(t *testing.T) {
	res := func(version, agent string, cpu time.Duration, calls uint64) HAProxyResult {
		return HAProxyResult{Version: "HAProxy version " + version, Agent: agent, Mode: "spoe", Requests: 1000,
			AgentCPU: 1000 * cpu, Counts: map[string]uint64{"syscalls": calls}}
	}
	r := &Report{HAProxy: []HAProxyResult{
		res("2.6.12-1 2026/10/17", "epoll", 4*time.Microsecond, 300),
		res("2.6.12-1 2026/10/17", "std", 6*time.Microsecond, 500),
		res("3.2.26-1 2026/10/14", "epoll", 14*time.Microsecond, 1300),
		res("3.2.26-1 2026/10/14", "std", 20*time.Microsecond, 2000),
	}}
	want := map[string]string{
		"3.x: agent CPU/request ≤ 0.5 × std's":               "0.70 × (14.0 µs vs 20.0 µs through 3.2.26-1) false",
		"3.x: agent CPU/request ≤ 1.5 × its own through 2.6": "3.5 × (14.0 µs vs 4.00 µs) false",
		"3.x: ≤ 3 agent syscalls/request":                    "1.30 through 3.2.26-1 true",
	}
	svg := string(RenderHAProxySVG(r))
	d := xml.NewDecoder(strings.NewReader(svg))
	for {
		if _, err := d.Token(); err != nil {
			if err.Error() != "EOF" {
				t.Errorf("HAProxy chart is not well-formed XML: %v", err)
			}
			break
		}
	}
	for _, w := range []string{"HAProxy 3.2.26-1", "HAProxy 2.6.12-1", ">1.30<", ">epoll<", ">std<"} {
		if !strings.Contains(svg, w) {
			t.Errorf("HAProxy chart lacks %q", w)
		}
	}
	seen := 0
	for _, v := range r.issue15Targets() {
		w, ok := want[v.Goal]
		if !ok {
			continue
		}
		seen++
		got := v.Value + " " + map[bool]string{true: "true", false: "false"}[v.Met]
		if !v.Measured || !strings.EqualFold(got, w) {
			t.Errorf("%s: %q (measured %v); want %q", v.Goal, got, v.Measured, w)
		}
	}
	if seen != len(want) {
		t.Errorf("%d of the %d HAProxy goals judged", seen, len(want))
	}
}
