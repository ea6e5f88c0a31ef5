package fivearg

import (
	"net/netip"
	"testing"

	"github.com/spopkit/spopkit/server"
	"github.com/spopkit/spopkit/spopwire"
)

// scorer reads every field and answers txn.bench.score, as a real handler would.
type scorer struct{}

func (scorer) CheckRequest(req *server.Request, msg CheckRequest, acts Actions) error {
	score := int64(len(msg.Method.Or("")) + len(msg.Path.Or("")) + len(msg.Body.Or(nil)))
	if ip, ok := msg.IP.Get(); ok && ip.Is4() {
		score += msg.Port.Or(0)
	}
	acts.SetVar(spopwire.ScopeTransaction, "score", spopwire.Int64Value(score))
	return msg.Err()
}

// session returns a session past its handshake whose handler is the
// generated dispatcher, and a batch of 20 NOTIFYs each holding a message the
// dispatcher skips and then the check-request message.
func session(t testing.TB) (*server.Session, []byte) {
	srv, err := server.New(server.Config{}, NewDispatcher(scorer{}))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	sess := srv.NewSession(netip.AddrPort{}, func() {})
	n, _ := sess.Receive(spopwire.AppendHAProxyHello(nil, spopwire.HAProxyHello{
		SupportedVersions: []byte("2.0"), MaxFrameSize: 16380, Capabilities: spopwire.CapPipelining, EngineID: []byte("e"),
	}), nil)
	if n == 0 || !sess.HandshakeDone() {
		t.Fatal("handshake failed")
	}
	unknown := spopwire.AppendMessageHeader(nil, "other", 1)
	unknown = spopwire.AppendArg(unknown, "x", spopwire.StringValue("skipped"))
	var batch []byte
	for i := range uint64(20) {
		b, start := spopwire.StartFrame(batch, spopwire.FrameNotify, spopwire.FlagFin, 2*i+1, 1)
		batch = append(append(b, unknown...), payload()...)
		spopwire.FinishFrame(batch, start)
	}
	return sess, batch
}

// TestDispatchAllocs asserts that the generated dispatch path (the runtime's
// NOTIFY loop, the skip of an unknown message, the switch, DecodeArgs, the
// handler call and its set-var) allocates nothing per NOTIFY.
func TestDispatchAllocs(t *testing.T) {
	sess, batch := session(t)
	out := make([]byte, 0, 64<<10)
	allocs := testing.AllocsPerRun(1000, func() {
		var n int
		n, out = sess.Receive(batch, out[:0])
		if n != len(batch) || len(out) == 0 {
			t.Fatal("not every NOTIFY answered")
		}
	})
	if allocs != 0 {
		t.Errorf("Receive of 20 NOTIFYs: %v allocations per run; want 0", allocs)
	}
	f, _ := spopwire.ConsumeFrame(out, 16380)
	if f.Type != spopwire.FrameAck {
		t.Fatalf("answer %v; want ACK", f.Type)
	}
	it := spopwire.Actions(f.Payload)
	a, ok := it.Next()
	if !ok || string(a.Name) != "score" {
		t.Fatalf("first action = %+v, %v (%v); want the set-var of score", a, ok, it.Err())
	}
}

// BenchmarkDispatch measures a session answering batches of 20 NOTIFYs
// through the generated dispatcher, without I/O.
func BenchmarkDispatch(b *testing.B) {
	sess, batch := session(b)
	out := make([]byte, 0, 64<<10)
	b.ReportAllocs()
	b.SetBytes(int64(len(batch)))
	for b.Loop() {
		_, out = sess.Receive(batch, out[:0])
	}
}
