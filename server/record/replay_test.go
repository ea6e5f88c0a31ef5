package record_test

import (
	"context"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/spopkit/spopkit/server"
	"github.com/spopkit/spopkit/server/record"
	"github.com/spopkit/spopkit/server/spoptest"
	"github.com/spopkit/spopkit/spopwire"
)

// TestReplayer replays over real sockets: a NOTIFY bigger than the agent's
// frames goes in fragments when the agent reassembles them and is skipped
// when it does not, and an agent without pipelining is waited for, ACK by ACK.
func TestReplayer(t *testing.T) {
	path := filepath.Join(t.TempDir(), "rec.spop")
	w, err := record.Create(path, record.Options{})
	if err != nil {
		t.Fatal(err)
	}
	hello, _ := spopwire.ConsumeFrame(spopwire.AppendHAProxyHello(nil, spopwire.HAProxyHello{
		SupportedVersions: []byte("2.0"), MaxFrameSize: 16380, Capabilities: spopwire.CapPipelining, EngineID: []byte("e")}), 1<<20)
	w.RecordHello(1, hello.Payload)
	small := spoptest.AppendMessages(nil, spoptest.Msg("m", spoptest.Arg("s", spopwire.StringValue("x"))))
	big := spoptest.AppendMessages(nil, spoptest.Msg("m", spoptest.Arg("s", spopwire.StringValue(strings.Repeat("x", 3000)))))
	for i := range 8 {
		w.RecordNotify(1, uint64(i), 1, small)
	}
	w.RecordNotify(1, 9, 1, big)
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	recs, err := record.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}

	for _, tc := range []struct {
		name        string
		caps        spopwire.Capabilities
		wantSkipped uint64
	}{
		{"fragmentation", spopwire.CapPipelining | spopwire.CapFragmentation, 0},
		{"no fragmentation", spopwire.CapPipelining, 1},
		{"lockstep", server.CapabilitiesNone, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv, err := server.New(server.Config{Address: "127.0.0.1:0", Engine: server.EngineStd, MaxFrameSize: 1024, Capabilities: tc.caps},
				server.HandlerFunc(func(req *server.Request, acts *server.Actions) error {
					acts.SetVar(spopwire.ScopeTransaction, "n", spopwire.Int64Value(int64(len(req.Payload))))
					return nil
				}))
			if err != nil {
				t.Fatal(err)
			}
			if err := srv.Start(); err != nil {
				t.Fatal(err)
			}
			defer srv.Close()
			var acked atomic.Int64
			rp, err := record.NewReplayer(recs, record.ReplayOptions{Addr: srv.Addr().String(), Loop: 2,
				OnAck: func(r *record.Record, _ int, acts []spopwire.Action) {
					if len(acts) == 1 && acts[0].Value.Int64() == int64(len(r.Payload)) {
						acked.Add(1)
					}
				}})
			if err != nil {
				t.Fatal(err)
			}
			progress := make(chan struct{})
			go func() { // Progress from another goroutine while Run runs (-race)
				defer close(progress)
				for range 100 {
					_ = rp.Progress()
				}
			}()
			st, err := rp.Run(context.Background())
			<-progress
			if err != nil {
				t.Fatal(err)
			}
			want := 2 * (9 - tc.wantSkipped)
			if st.Sent != want || st.Acked != want || st.Invalid != 0 || st.Skipped != 2*tc.wantSkipped || acked.Load() != int64(want) {
				t.Fatalf("stats %+v, %d ACKs matching their NOTIFY; want %d sent and acked, %d skipped", st, acked.Load(), want, 2*tc.wantSkipped)
			}
			if len(st.Latencies) != int(want) || st.Percentile(50) <= 0 {
				t.Fatalf("%d latencies, p50 %v", len(st.Latencies), st.Percentile(50))
			}
		})
	}
}
