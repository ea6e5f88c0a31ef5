package spoa

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spopkit/spopkit/server"
	"github.com/spopkit/spopkit/server/record"
	"github.com/spopkit/spopkit/server/spoptest"
	"github.com/spopkit/spopkit/spopwire"
)

// TestReplay plays a recording against a live agent, pipelined on two
// connections, three times, and checks the summary and every ACK.
func TestReplay(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "rec.spop")
	w, err := record.Create(path, record.Options{})
	if err != nil {
		t.Fatal(err)
	}
	hello := spopwire.AppendHAProxyHello(nil, spopwire.HAProxyHello{SupportedVersions: []byte("2.0"),
		MaxFrameSize: 16380, Capabilities: spopwire.CapPipelining, EngineID: []byte("e")})
	f, _ := spopwire.ConsumeFrame(hello, 1<<20)
	w.RecordHello(1, f.Payload)
	const n = 10
	for i := range n {
		w.RecordNotify(1, uint64(2*i+1), 1, spoptest.AppendMessages(nil,
			spoptest.Msg("m", spoptest.Arg("i", spopwire.Int64Value(int64(i))))))
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}

	// The agent echoes the argument as txn.i.
	srv, err := server.New(server.Config{Address: "127.0.0.1:0", Engine: server.EngineStd},
		server.HandlerFunc(func(req *server.Request, acts *server.Actions) error {
			it := req.Messages()
			m, _ := it.Next()
			args := m.Args()
			a, _ := args.Next()
			acts.SetVar(spopwire.ScopeTransaction, "i", a.Value)
			return nil
		}))
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	defer srv.Shutdown(context.Background())

	acks := filepath.Join(dir, "acks.jsonl")
	var out bytes.Buffer
	code := Run(context.Background(), []string{"replay", path, "--to", srv.Addr().String(),
		"--conns", "2", "--loop", "3", "--rate", "max", "--acks", acks}, &out, &out)
	if code != 0 || !strings.Contains(out.String(), "sent 30 acked 30 invalid 0 skipped 0") || !strings.Contains(out.String(), "latency p50 ") {
		t.Fatalf("replay: exit %d\n%s", code, out.String())
	}
	b, err := os.ReadFile(acks)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	if len(lines) != 3*n {
		t.Fatalf("%d ACK lines; want %d", len(lines), 3*n)
	}
	recs, _ := record.ReadFile(path)
	want := map[int64]float64{}
	for _, r := range recs {
		if r.Kind == record.KindNotify {
			it := spopwire.Messages(r.Payload)
			m, _ := it.Next()
			args := m.Args()
			a, _ := args.Next()
			want[r.Offset] = float64(a.Value.Int64())
		}
	}
	for _, l := range lines {
		var a ackLine
		if err := json.Unmarshal([]byte(l), &a); err != nil {
			t.Fatal(err)
		}
		if len(a.Actions) != 1 || a.Actions[0].Name != "txn.i" || a.Actions[0].Value != want[a.Offset] {
			t.Errorf("ACK %s; want txn.i = %v", l, want[a.Offset])
		}
	}

	for _, args := range [][]string{
		{"replay", path, "--to", "example.com:1"},
		{"replay", path, "--to", "127.0.0.1:1", "--rate", "fast"},
	} {
		out.Reset()
		if code := Run(context.Background(), args, &out, &out); code == 0 {
			t.Errorf("%v: exit 0; want a usage error", args)
		}
	}
}
