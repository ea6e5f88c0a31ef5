//go:build linux

package e2e

import (
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/spopkit/spopkit/examples/iprep"
	"github.com/spopkit/spopkit/server/record"
	"github.com/spopkit/spopkit/server/spoptest"
	"github.com/spopkit/spopkit/spopwire"
)

// TestRecordReplay is the capture → test loop on real traffic: `spoa --record`
// records what HAProxy sends to iprep, then the recording is replayed with
// `spoa replay` against a fresh agent and through spoptest.Replay, and both
// give every NOTIFY the same ACK.
func TestRecordReplay(t *testing.T) {
	forEachHAProxy(t, func(t *testing.T, v *haproxyVersion) {
		t.Parallel()
		dir := t.TempDir()
		path := filepath.Join(dir, "iprep.spop")
		agent := startSpoa(t, "--record", path, "iprep", "--seed", "42")
		hp := shippedHAProxy(t, v, iprep.HAProxyCfg, agentFiles(iprep.SpoeConf), map[string]string{"agent1": agent.Addr})
		const perFamily = 5
		for _, fam := range families() {
			c := newClient(t, 1, 10*time.Second)
			for range perFamily {
				if r := fetch(t, c, http.MethodGet, hp.URL(fam, "/"), nil, nil); r.Status != 200 || r.Header.Get("X-IP-Score") == "" {
					t.Fatalf("IPv%s: status %d, X-IP-Score %q", fam, r.Status, r.Header.Get("X-IP-Score"))
				}
			}
		}
		hp.Stop()
		if err := agent.Stop(); err != nil { // flushes the recording
			t.Fatal(err)
		}
		recs, err := record.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		var notifies int
		for _, r := range recs {
			if r.Kind == record.KindNotify && len(r.Payload) > 0 {
				notifies++
				if r.Hello == nil {
					t.Errorf("NOTIFY at %d has no HELLO", r.Offset)
				}
			}
		}
		if want := perFamily * len(families()); notifies < want {
			t.Fatalf("recorded %d NOTIFYs with messages; want at least %d", notifies, want)
		}

		// Through spoptest: every NOTIFY with a message sets the seeded score.
		scorer := iprep.NewScorer(42)
		want := map[int64][]spopwire.Action{}
		for _, ex := range spoptest.Replay(t, iprep.NewHandler(42), path, spoptest.Options{}) {
			if ex.Err != nil {
				t.Fatalf("spoptest.Replay: NOTIFY at %d: %v", ex.Record.Offset, ex.Err)
			}
			want[ex.Record.Offset] = ex.Actions
			it := spopwire.Messages(ex.Record.Payload)
			if m, ok := it.Next(); ok {
				args := m.Args()
				a, _ := args.Next()
				if len(ex.Actions) != 1 || ex.Actions[0].Value.Int64() != scorer.Score(a.Value.Addr()) {
					t.Errorf("NOTIFY at %d for %v: actions %v; want ip_score %d", ex.Record.Offset, a.Value, ex.Actions, scorer.Score(a.Value.Addr()))
				}
			}
		}

		// Through `spoa replay` against a fresh agent: the same ACKs.
		fresh := startSpoa(t, "iprep", "--seed", "42")
		bin, _ := buildSpoa()
		acks := filepath.Join(dir, "acks.jsonl")
		out, err := exec.Command(bin, "replay", path, "--to", fresh.Addr, "--conns", "2", "--loop", "2", "--acks", acks).CombinedOutput()
		if err != nil {
			t.Fatalf("spoa replay: %v\n%s", err, out)
		}
		b, err := os.ReadFile(acks)
		if err != nil {
			t.Fatal(err)
		}
		lines := strings.Split(strings.TrimSpace(string(b)), "\n")
		if len(lines) != 2*len(want) {
			t.Fatalf("spoa replay wrote %d ACKs; want %d\n%s", len(lines), 2*len(want), out)
		}
		for _, l := range lines {
			var ack struct {
				Offset  int64
				Actions []struct {
					Name  string
					Value float64
				}
			}
			if err := json.Unmarshal([]byte(l), &ack); err != nil {
				t.Fatal(err)
			}
			w, ok := want[ack.Offset]
			same := ok && len(w) == len(ack.Actions)
			for i := 0; same && i < len(w); i++ {
				same = ack.Actions[i].Name == w[i].Scope.String()+"."+string(w[i].Name) && ack.Actions[i].Value == float64(w[i].Value.Int64())
			}
			if !same {
				t.Errorf("spoa replay ACK %s; spoptest gave %v", l, w)
			}
		}
		t.Logf("HAProxy %s: %d records (%d NOTIFYs with messages) captured by spoa --record; spoptest.Replay and spoa replay (2 conns, 2 loops) gave the same %d ACKs; %s",
			v.Name, len(recs), notifies, len(want), strings.TrimSpace(strings.Split(string(out), "\n")[0]))
	})
}
