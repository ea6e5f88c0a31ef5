package record_test

import (
	"net/netip"
	"path/filepath"
	"testing"

	"github.com/spopkit/spopkit/server"
	"github.com/spopkit/spopkit/server/record"
	"github.com/spopkit/spopkit/server/spoptest"
	"github.com/spopkit/spopkit/spopwire"
)

// TestSessionZeroAllocRecording: with a Writer as the Recorder, the NOTIFY
// path still allocates nothing per NOTIFY (the
// writer goroutine's work included: AllocsPerRun counts every goroutine).
func TestSessionZeroAllocRecording(t *testing.T) {
	w, err := record.Create(filepath.Join(t.TempDir(), "rec.spop"), record.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	srv, err := server.New(server.Config{Recorder: w}, nop)
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
	payload := spoptest.AppendMessages(nil, spoptest.Msg("check-client-ip", spoptest.Arg("ip", spopwire.AddrValue(netip.MustParseAddr("192.0.2.1")))))
	var batch []byte
	for i := range uint64(20) {
		b, start := spopwire.StartFrame(batch, spopwire.FrameNotify, spopwire.FlagFin, 2*i+1, 1)
		batch = append(b, payload...)
		spopwire.FinishFrame(batch, start)
	}
	allocs := testing.AllocsPerRun(2000, func() {
		n, out = sess.Receive(batch, out[:0])
		if n != len(batch) {
			t.Fatal("not every NOTIFY answered")
		}
	})
	if allocs != 0 {
		t.Errorf("Receive of 20 NOTIFYs while recording: %v allocations per run; want 0", allocs)
	}
	w.Close() // writes what is queued
	if w.Written() == 0 {
		t.Error("nothing recorded")
	}
}
