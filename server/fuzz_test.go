package server_test

import (
	"net/netip"
	"os"
	"path/filepath"
	"testing"

	"github.com/spopkit/spopkit/server"
	"github.com/spopkit/spopkit/spopwire"
)

// FuzzSession feeds arbitrary bytes to the protocol state machine, whole and
// split at a fuzzed point, before and after a handshake: it must never panic,
// and everything it answers must be well-formed agent frames with FIN,
// nothing after its last frame.
func FuzzSession(f *testing.F) {
	for _, pattern := range []string{"haproxy-2.6/f1-fragmentation.conn01", "haproxy-2.6/c-pipelining.conn01",
		"haproxy-3.x/b-http-types.conn01", "haproxy-3.x/d-healthcheck.conn01"} {
		if b, err := os.ReadFile(filepath.Join("..", "testdata", "captures", pattern+".h2a.bin")); err == nil {
			f.Add(b, uint16(len(b)/2), false)
		}
	}
	hello := helloFrame(kvVersions, kv{"max-frame-size", spopwire.Uint32Value(256)}, kvCaps26, kvEngine)
	f.Add(hello, uint16(3), false)
	f.Add(fragments(0, 1, payload(msgScore, msgEmpty), 5), uint16(7), true)
	f.Add([]byte{0, 0, 0, 9, 3, 0, 0, 0, 1, 1, 1, 1, 'x'}, uint16(2), true)
	f.Add([]byte{0, 0, 0, 7, 0, 0, 0, 0, 3, 0, 1}, uint16(0), true)

	h := server.HandlerFunc(func(req *server.Request, acts *server.Actions) error {
		it := req.Messages()
		for msg, ok := it.Next(); ok; msg, ok = it.Next() {
			args := msg.Args()
			for a, ok := args.Next(); ok; a, ok = args.Next() {
				acts.SetVar(spopwire.ScopeTransaction, string(a.Name), a.Value)
			}
		}
		return it.Err()
	})
	cfg := server.Config{Capabilities: spopwire.CapPipelining | spopwire.CapFragmentation, MaxFragmentedPayload: 4096, Workers: -1}
	srv, err := server.New(cfg, h)
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { srv.Close() })

	f.Fuzz(func(t *testing.T, data []byte, split uint16, handshake bool) {
		sess := srv.NewSession(netip.AddrPort{}, func() {})
		defer sess.Close()
		var out []byte
		if handshake {
			_, out = sess.Receive(hello, out)
		}
		cut := min(int(split), len(data))
		var pending []byte
		for _, part := range [][]byte{data[:cut], data[cut:]} {
			pending = append(pending, part...)
			n, o := sess.Receive(pending, out)
			out = o
			if n < 0 || n > len(pending) {
				t.Fatalf("Receive consumed %d of %d", n, len(pending))
			}
			pending = pending[n:]
		}
		checkAgentOutput(t, out, sess.Closing())
	})
}

func checkAgentOutput(t *testing.T, out []byte, closing bool) {
	t.Helper()
	last := spopwire.FrameType(0)
	for len(out) > 0 {
		if last == spopwire.FrameAgentDisconnect {
			t.Fatalf("frames after AGENT-DISCONNECT")
		}
		f, n := spopwire.ConsumeFrame(out, 1<<24)
		if n < 0 {
			t.Fatalf("agent output is not a frame: %v", spopwire.ParseError(n))
		}
		if !f.Flags.Fin() {
			t.Fatalf("%v without FIN", f.Type)
		}
		switch f.Type {
		case spopwire.FrameAgentHello:
			if _, err := spopwire.ParseAgentHello(f.Payload); err != nil {
				t.Fatal(err)
			}
		case spopwire.FrameAgentDisconnect:
			if _, err := spopwire.ParseDisconnect(f.Payload); err != nil {
				t.Fatal(err)
			}
		case spopwire.FrameAck:
			it := spopwire.Actions(f.Payload)
			for _, ok := it.Next(); ok; _, ok = it.Next() {
			}
			if err := it.Err(); err != nil {
				t.Fatalf("ACK payload: %v", err)
			}
		default:
			t.Fatalf("agent sent %v", f.Type)
		}
		last = f.Type
		out = out[n:]
	}
	if last == spopwire.FrameAgentDisconnect && !closing {
		t.Fatalf("AGENT-DISCONNECT sent but the session is not closing")
	}
}
