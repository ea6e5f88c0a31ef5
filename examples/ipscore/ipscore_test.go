package ipscore

import (
	"net/netip"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/spopkit/spopkit/examples/internal/exampletest"
	"github.com/spopkit/spopkit/examples/iprep"
	"github.com/spopkit/spopkit/server"
	"github.com/spopkit/spopkit/server/spoptest"
	"github.com/spopkit/spopkit/spopwire"
)

func TestScore(t *testing.T) {
	tests := []struct {
		ip   string
		want int64
	}{
		{"192.168.50.1", 20},
		{"::ffff:192.168.50.1", 20},
		{"192.168.50.2", 10},
		{"2001:db8::1", 10},
	}
	for _, tt := range tests {
		if got := Score(netip.MustParseAddr(tt.ip)); got != tt.want {
			t.Errorf("Score(%s) = %d; want %d", tt.ip, got, tt.want)
		}
	}
}

func TestMyMessageName(t *testing.T) {
	tests := []struct {
		name    string
		arg     spopwire.Value
		want    int64
		wantSet bool
	}{
		{"special", spopwire.AddrValue(netip.MustParseAddr("192.168.50.1")), 20, true},
		{"other", spopwire.AddrValue(netip.MustParseAddr("198.51.100.1")), 10, true},
		{"NULL", spopwire.Null(), 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hp := spoptest.New(t, NewHandler(20*time.Millisecond), spoptest.Options{})
			start := time.Now()
			acts, err := hp.Notify(spoptest.Msg("my-message-name", spoptest.Arg("ip", tt.arg)))
			if err != nil {
				t.Fatal(err)
			}
			got, ok := exampletest.Find(acts, "ip_score")
			if ok != tt.wantSet || ok && got.Int64() != tt.want {
				t.Fatalf("ip_score = %v (set %v); want %d (set %v)", got, ok, tt.want, tt.wantSet)
			}
			if ok && time.Since(start) < 20*time.Millisecond {
				t.Errorf("answered in %v; want after the 20ms lookup", time.Since(start))
			}
		})
	}
}

// both serves ipscore's and iprep's messages from one handler, so that the
// two agents share the event loop.
type both struct{ slow, fast server.Handler }

func (b both) HandleNotify(req *server.Request, acts *server.Actions) error {
	it := req.Messages()
	if m, ok := it.Next(); ok && string(m.Name) == "my-message-name" {
		return b.slow.HandleNotify(req, acts)
	}
	return b.fast.HandleNotify(req, acts)
}

// TestSlowLookupsDoNotBlockTheLoop holds 50 lookups on the worker pool
// (they block until the test lets them go) and, meanwhile, sends iprep
// requests on the same single event loop: every one of them must be answered
// while all 50 lookups are still held. That the 50 are held at once also
// proves they run in parallel. Latencies are logged, not asserted.
func TestSlowLookupsDoNotBlockTheLoop(t *testing.T) {
	const slow, fast = 50, 500
	var entered sync.WaitGroup
	entered.Add(slow)
	release := make(chan struct{})
	lookup := func(ip netip.Addr) int64 {
		entered.Done()
		<-release
		return Score(ip)
	}
	h := both{slow: NewLookupHandler(lookup), fast: iprep.NewHandler(1)}
	_, addr := exampletest.Start(t, h, server.Config{Loops: 1, Workers: 256})

	special := spoptest.Msg("my-message-name", spoptest.Arg("ip", spopwire.AddrValue(netip.MustParseAddr("192.168.50.1"))))
	conns := make([]*exampletest.Conn, slow)
	for i := range conns {
		conns[i] = exampletest.Dial(t, addr)
		if _, err := conns[i].Send(special); err != nil {
			t.Fatal(err)
		}
	}
	held := make(chan struct{})
	go func() { entered.Wait(); close(held) }()
	select {
	case <-held:
	case <-time.After(10 * time.Second):
		t.Fatalf("the %d lookups are not all running after 10s: they do not run in parallel", slow)
	}

	c := exampletest.Dial(t, addr)
	ip := spoptest.Msg("check-client-ip", spoptest.Arg("ip", spopwire.AddrValue(netip.MustParseAddr("192.0.2.7"))))
	lat := make([]time.Duration, 0, fast)
	for range fast {
		t0 := time.Now()
		acts, err := c.Notify(5*time.Second, ip)
		if err != nil {
			t.Fatalf("iprep while %d lookups are held: %v", slow, err)
		}
		lat = append(lat, time.Since(t0))
		if _, ok := exampletest.Find(acts, "ip_score"); !ok {
			t.Fatalf("iprep ACK %v has no ip_score", acts)
		}
	}
	slices.Sort(lat)
	t.Logf("iprep under %d held lookups: %d requests, p50 %v, p99 %v, max %v", slow, fast, lat[fast/2], lat[fast*99/100], lat[fast-1])

	close(release)
	for i, conn := range conns {
		_, acts, err := conn.Ack(5 * time.Second)
		if err != nil {
			t.Fatalf("slow lookup %d: %v", i, err)
		}
		if got, ok := exampletest.Find(acts, "ip_score"); !ok || got.Int64() != 20 {
			t.Fatalf("slow lookup %d: ip_score = %v, %v; want 20", i, got, ok)
		}
	}
}
