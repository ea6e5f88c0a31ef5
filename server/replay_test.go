package server_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spopkit/spopkit/server"
	"github.com/spopkit/spopkit/server/internal/spopclient"
	"github.com/spopkit/spopkit/spopwire"
)

// replayHandler reads every argument of every message (so that each
// captured payload is decoded through the views the handler gets) and
// answers txn.args = the number of arguments seen.
var replayHandler = server.HandlerFunc(func(req *server.Request, acts *server.Actions) error {
	n := 0
	it := req.Messages()
	for msg, ok := it.Next(); ok; msg, ok = it.Next() {
		args := msg.Args()
		for _, ok := args.Next(); ok; _, ok = args.Next() {
			n++
		}
	}
	acts.SetVar(spopwire.ScopeTransaction, "args", spopwire.Int64Value(int64(n)))
	return it.Err()
})

// replayStep is one answer the agent owes to a captured stream.
type replayStep struct {
	typ      spopwire.FrameType
	sid, fid uint64
	args     int64 // for ACKs
}

// replayPlan derives, from the bytes HAProxy sent, what any correct agent
// answers: AGENT-HELLO, one ACK per NOTIFY with the same ids (after the FIN
// fragment for fragmented ones, none for aborted ones), AGENT-DISCONNECT 0
// for HAPROXY-DISCONNECT. closes is true when the agent must then close
// (health check, DISCONNECT).
func replayPlan(data []byte) (steps []replayStep, hello spopwire.HAProxyHello, closes bool, err error) {
	frags := map[[2]uint64][]byte{}
	for off := 0; off < len(data); {
		f, n := spopwire.ConsumeFrame(data[off:], 1<<24)
		if n < 0 {
			return nil, hello, false, fmt.Errorf("offset %d: %v", off, spopwire.ParseError(n))
		}
		off += n
		ids := [2]uint64{f.StreamID, f.FrameID}
		switch f.Type {
		case spopwire.FrameHAProxyHello:
			if hello, err = spopwire.ParseHAProxyHello(f.Payload); err != nil {
				return nil, hello, false, err
			}
			steps = append(steps, replayStep{typ: spopwire.FrameAgentHello})
			if hello.Healthcheck {
				return steps, hello, true, nil
			}
		case spopwire.FrameNotify:
			if !f.Flags.Fin() {
				frags[ids] = append([]byte(nil), f.Payload...)
				continue
			}
			steps = append(steps, replayStep{spopwire.FrameAck, f.StreamID, f.FrameID, countArgs(f.Payload)})
		case spopwire.FrameUnset:
			p, ok := frags[ids]
			if !ok {
				continue
			}
			if f.Flags.Abort() {
				delete(frags, ids)
				continue
			}
			p = append(p, f.Payload...)
			frags[ids] = p
			if f.Flags.Fin() {
				delete(frags, ids)
				steps = append(steps, replayStep{spopwire.FrameAck, f.StreamID, f.FrameID, countArgs(p)})
			}
		case spopwire.FrameHAProxyDisconnect:
			steps = append(steps, replayStep{typ: spopwire.FrameAgentDisconnect})
			return steps, hello, true, nil
		}
	}
	return steps, hello, false, nil
}

func countArgs(p []byte) int64 {
	n := int64(0)
	it := spopwire.Messages(p)
	for m, ok := it.Next(); ok; m, ok = it.Next() {
		n += int64(m.NumArgs)
	}
	return n
}

func TestReplayCaptures(t *testing.T) {
	var files []string
	for _, dir := range []string{"haproxy-2.6", "haproxy-3.x"} {
		m, err := filepath.Glob(filepath.Join("..", "testdata", "captures", dir, "*.h2a.bin"))
		if err != nil || len(m) == 0 {
			t.Fatalf("no captures in %s: %v", dir, err)
		}
		files = append(files, m...)
	}
	// The agent offers everything: the 2.6 captures were made by an agent
	// announcing fragmentation (f1) and async.
	cfg := server.Config{Capabilities: spopwire.CapPipelining | spopwire.CapAsync | spopwire.CapFragmentation}
	forEachEngine(t, func(t *testing.T, engine string) {
		a := startAgent(t, engine, cfg, replayHandler)
		notifies := 0
		for _, file := range files {
			data, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			steps, hello, closes, err := replayPlan(data)
			if err != nil {
				t.Fatalf("%s: %v", file, err)
			}
			name := filepath.Base(filepath.Dir(file)) + "/" + strings.TrimSuffix(filepath.Base(file), ".h2a.bin")
			for _, chunk := range []int{len(data), 13} {
				c := a.dial()
				for i := 0; i < len(data); i += chunk {
					if err := c.Write(data[i:min(i+chunk, len(data))]); err != nil {
						t.Fatalf("%s: write: %v", name, err)
					}
				}
				for _, st := range steps {
					f, err := c.ReadFrame(ioTimeout)
					if err != nil {
						t.Fatalf("%s (chunks of %d): want %v %d/%d: %v", name, chunk, st.typ, st.sid, st.fid, err)
					}
					if f.Type != st.typ || f.StreamID != st.sid || f.FrameID != st.fid || f.Flags != spopwire.FlagFin {
						t.Fatalf("%s: got %v flags %x %d/%d; want %v FIN %d/%d", name, f.Type, uint32(f.Flags), f.StreamID, f.FrameID, st.typ, st.sid, st.fid)
					}
					switch f.Type {
					case spopwire.FrameAgentHello:
						h, err := spopwire.ParseAgentHello(f.Payload)
						wantMax := min(hello.MaxFrameSize, spopwire.DefaultMaxFrameSize)
						wantCaps := hello.Capabilities&(spopwire.CapPipelining|spopwire.CapAsync) | spopwire.CapFragmentation
						if err != nil || string(h.Version) != "2.0" || h.MaxFrameSize != wantMax || h.Capabilities != wantCaps {
							t.Fatalf("%s: AGENT-HELLO %+v %v; want 2.0 %d %v", name, h, err, wantMax, wantCaps)
						}
					case spopwire.FrameAck:
						notifies++
						acts, err := spopclient.Actions(f.Payload)
						if err != nil || len(acts) != 1 || acts[0].Value.Int64() != st.args {
							t.Fatalf("%s: ACK %d/%d actions %s %v; want txn.args = %d", name, st.sid, st.fid, fmtActions(acts), err, st.args)
						}
						if uint32(len(f.Payload)+11) > hello.MaxFrameSize {
							t.Fatalf("%s: ACK larger than max-frame-size", name)
						}
					case spopwire.FrameAgentDisconnect:
						if d, err := spopwire.ParseDisconnect(f.Payload); err != nil || d.Status != spopwire.StatusNormal {
							t.Fatalf("%s: AGENT-DISCONNECT %+v %v; want status 0", name, d, err)
						}
					}
				}
				if closes {
					if err := c.ExpectClosed(ioTimeout); err != nil {
						t.Fatalf("%s: %v", name, err)
					}
				}
				c.Close()
			}
		}
		a.waitStats("all closed", func(st server.Stats) bool { return st.ConnsCurrent == 0 })
		if errs := a.errs.list(); len(errs) != 0 {
			t.Errorf("OnError saw %d errors, first %v", len(errs), errs[0])
		}
		t.Logf("%d capture files, %d NOTIFYs acknowledged", len(files), notifies)
	})
}
