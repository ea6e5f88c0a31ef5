package spoptest_test

import (
	"net/netip"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spopkit/spopkit/server"
	"github.com/spopkit/spopkit/server/record"
	"github.com/spopkit/spopkit/server/spoptest"
	"github.com/spopkit/spopkit/spopwire"
)

// TestReplay records traffic of two connections, one of them with a NOTIFY
// bigger than its frames (fragmented), and replays the file into a fresh
// handler: every NOTIFY comes back with the ACK it had.
func TestReplay(t *testing.T) {
	path := filepath.Join(t.TempDir(), "rec.spop")
	w, err := record.Create(path, record.Options{})
	if err != nil {
		t.Fatal(err)
	}
	cfg := server.Config{Recorder: w, Capabilities: spopwire.CapPipelining | spopwire.CapFragmentation}
	v4 := spoptest.Msg("check-client-ip", spoptest.Arg("ip", spopwire.AddrValue(netip.MustParseAddr("192.0.2.1"))))
	v6 := spoptest.Msg("check-client-ip", spoptest.Arg("ip", spopwire.AddrValue(netip.MustParseAddr("2001:db8::1"))))
	big := spoptest.Msg("check-client-ip",
		spoptest.Arg("ip", spopwire.AddrValue(netip.MustParseAddr("192.0.2.2"))),
		spoptest.Arg("body", spopwire.StringValue(strings.Repeat("x", 1000))))

	a := spoptest.New(t, ipScore, spoptest.Options{Config: cfg, EngineID: "engine-a"})
	b := spoptest.New(t, ipScore, spoptest.Options{Config: cfg, MaxFrameSize: 256, Capabilities: spopwire.CapPipelining | spopwire.CapAsync})
	var want [][]spopwire.Action
	for _, step := range []struct {
		hp  *spoptest.HAProxy
		msg spoptest.Message
	}{{a, v4}, {b, v6}, {a, v6}, {b, v4}} {
		acts, err := step.hp.Notify(step.msg)
		if err != nil {
			t.Fatal(err)
		}
		want = append(want, acts)
	}
	acts, err := b.NotifyPayload(101, 1, spoptest.AppendMessages(nil, big))
	if err != nil {
		t.Fatalf("fragmented NotifyPayload: %v", err)
	}
	want = append(want, acts)
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}

	got := spoptest.Replay(t, ipScore, path, spoptest.Options{Config: server.Config{Capabilities: spopwire.CapPipelining | spopwire.CapFragmentation}})
	if len(got) != len(want) {
		t.Fatalf("Replay returned %d exchanges; want %d", len(got), len(want))
	}
	for i, ex := range got {
		if ex.Err != nil || !sameActions(ex.Actions, want[i]) {
			t.Errorf("exchange %d (offset %d) = %v, %v; want %v", i, ex.Record.Offset, ex.Actions, ex.Err, want[i])
		}
	}
	if got[4].Record.StreamID != 101 || len(got[4].Record.Payload) < 1000 {
		t.Errorf("last exchange = stream %d, %d bytes; want the fragmented NOTIFY", got[4].Record.StreamID, len(got[4].Record.Payload))
	}

	// Without fragmentation the big NOTIFY cannot be sent: its Exchange says so.
	got = spoptest.Replay(t, ipScore, path, spoptest.Options{})
	if got[4].Err == nil || got[0].Err != nil {
		t.Errorf("replay without fragmentation: errors %v, %v; want nil, an error", got[0].Err, got[4].Err)
	}
}

func sameActions(a, b []spopwire.Action) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i].Type != b[i].Type || a[i].Scope != b[i].Scope || string(a[i].Name) != string(b[i].Name) || !a[i].Value.Equal(b[i].Value) {
			return false
		}
	}
	return true
}
