package server_test

import (
	"net/netip"
	"testing"

	"github.com/spopkit/spopkit/server"
	"github.com/spopkit/spopkit/server/spoptest"
	"github.com/spopkit/spopkit/spopwire"
)

// iprepHandler does what the benchmarks' agent does (bench.IPRepHandler,
// which the engine's tests may not import): walk every argument, take the IP
// address, answer sess.ip_score.
var iprepHandler = server.HandlerFunc(func(req *server.Request, acts *server.Actions) error {
	var score int64
	it := req.Messages()
	for msg, ok := it.Next(); ok; msg, ok = it.Next() {
		args := msg.Args()
		for a, ok := args.Next(); ok; a, ok = args.Next() {
			if a.Value.Type() == spopwire.TypeIPv4 || a.Value.Type() == spopwire.TypeIPv6 {
				score = int64(a.Value.Addr().As16()[15] % 100)
			}
		}
	}
	if err := it.Err(); err != nil {
		return err
	}
	acts.SetVar(spopwire.ScopeSession, "ip_score", spopwire.Int64Value(score))
	return nil
})

var iprepPayload = payload(spoptest.Msg("check-client-ip", spoptest.Arg("ip", spopwire.AddrValue(netip.MustParseAddr("192.0.2.1")))))

// TestSessionZeroAlloc asserts that the protocol state machine plus handler
// path (frame split, validation, handler, ACK encoding) allocates nothing per
// NOTIFY once warm.
func TestSessionZeroAlloc(t *testing.T) {
	srv, err := server.New(server.Config{}, iprepHandler)
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	sess := srv.NewSession(netip.AddrPort{}, func() {})
	out := make([]byte, 0, 64<<10)
	n, out := sess.Receive(spopwire.AppendHAProxyHello(nil, spopwire.HAProxyHello{
		SupportedVersions: []byte("2.0"), MaxFrameSize: 16380, Capabilities: spopwire.CapPipelining, EngineID: []byte("e"),
	}), out[:0])
	if n == 0 || !sess.HandshakeDone() {
		t.Fatal("handshake failed")
	}
	var batch []byte
	for i := range uint64(20) {
		b, start := spopwire.StartFrame(batch, spopwire.FrameNotify, spopwire.FlagFin, 2*i+1, 1)
		batch = append(b, iprepPayload...)
		spopwire.FinishFrame(batch, start)
	}
	for _, in := range [][]byte{batch[:len(batch)/20], batch} {
		allocs := testing.AllocsPerRun(1000, func() {
			n, out = sess.Receive(in, out[:0])
			if n != len(in) || len(out) == 0 {
				t.Fatal("not every NOTIFY answered")
			}
		})
		if allocs != 0 {
			t.Errorf("Receive of %d bytes: %v allocations per run; want 0", len(in), allocs)
		}
	}
	if f, _ := spopwire.ConsumeFrame(out, 16380); f.Type != spopwire.FrameAck {
		t.Fatalf("answer %v; want ACK", f.Type)
	}
}

// BenchmarkSession measures the state machine alone, without I/O: frame
// split, validation, handler, ACK encoding, for batches of 20 NOTIFYs.
func BenchmarkSession(b *testing.B) {
	setVar := server.HandlerFunc(func(req *server.Request, acts *server.Actions) error {
		acts.SetVar(spopwire.ScopeSession, "ip_score", spopwire.Int64Value(42))
		return nil
	})
	for _, bc := range []struct {
		name string
		h    server.Handler
	}{{"setvar", setVar}, {"iprep", iprepHandler}} {
		b.Run(bc.name, func(b *testing.B) {
			srv, _ := server.New(server.Config{}, bc.h)
			defer srv.Close()
			sess := srv.NewSession(netip.AddrPort{}, func() {})
			out := make([]byte, 0, 64<<10)
			_, out = sess.Receive(spopwire.AppendHAProxyHello(nil, spopwire.HAProxyHello{
				SupportedVersions: []byte("2.0"), MaxFrameSize: 16380, Capabilities: spopwire.CapPipelining,
			}), out[:0])
			var batch []byte
			for i := range uint64(20) {
				bb, start := spopwire.StartFrame(batch, spopwire.FrameNotify, spopwire.FlagFin, 2*i+1, 1)
				batch = append(bb, iprepPayload...)
				spopwire.FinishFrame(batch, start)
			}
			b.ReportAllocs()
			b.SetBytes(int64(len(batch)))
			for b.Loop() {
				_, out = sess.Receive(batch, out[:0])
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*20), "ns/notify")
		})
	}
}
