//go:build linux

package e2e

import (
	"encoding/binary"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/spopkit/spopkit/spopwire"
)

// stubAgent is a deliberately simple SPOP agent (a goroutine per connection,
// one frame at a time) built only on spopwire. It checks the harness itself
// (configs, checks, both HAProxy versions) independently of the server
// package, and is the base for tests that need to misbehave on the wire.
type stubAgent struct {
	l net.Listener
	// actions appends the ACK's actions for a NOTIFY payload.
	actions func(b, payload []byte) []byte

	hellos, checks, notifies atomic.Int64
	wg                       sync.WaitGroup
	mu                       sync.Mutex
	conns                    map[net.Conn]struct{}
}

func startStubAgent(t testing.TB, actions func(b, payload []byte) []byte) *stubAgent {
	t.Helper()
	l, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	a := &stubAgent{l: l, actions: actions, conns: map[net.Conn]struct{}{}}
	a.wg.Add(1)
	go a.accept()
	t.Cleanup(a.Close)
	return a
}

func (a *stubAgent) Addr() string { return a.l.Addr().String() }

func (a *stubAgent) Close() {
	a.l.Close()
	a.mu.Lock()
	for c := range a.conns {
		c.Close()
	}
	a.mu.Unlock()
	a.wg.Wait()
}

func (a *stubAgent) accept() {
	defer a.wg.Done()
	for {
		c, err := a.l.Accept()
		if err != nil {
			return
		}
		a.mu.Lock()
		a.conns[c] = struct{}{}
		a.mu.Unlock()
		a.wg.Add(1)
		go func() {
			defer a.wg.Done()
			a.serve(c)
			a.mu.Lock()
			delete(a.conns, c)
			a.mu.Unlock()
			c.Close()
		}()
	}
}

// readFrame reads one length-prefixed frame.
func readFrame(r io.Reader, buf []byte) (spopwire.Frame, []byte, error) {
	var hdr [4]byte
	if _, err := io.ReadFull(r, hdr[:]); err != nil {
		return spopwire.Frame{}, buf, err
	}
	n := binary.BigEndian.Uint32(hdr[:])
	if n > 1<<20 {
		return spopwire.Frame{}, buf, io.ErrUnexpectedEOF
	}
	buf = append(buf[:0], make([]byte, n)...)
	if _, err := io.ReadFull(r, buf); err != nil {
		return spopwire.Frame{}, buf, err
	}
	f, m := spopwire.ConsumeFrameBody(buf)
	if m < 0 {
		return spopwire.Frame{}, buf, spopwire.ParseError(m)
	}
	return f, buf, nil
}

func (a *stubAgent) serve(c net.Conn) {
	var buf, out []byte
	f, buf, err := readFrame(c, buf)
	if err != nil || f.Type != spopwire.FrameHAProxyHello {
		return
	}
	hello, err := spopwire.ParseHAProxyHello(f.Payload)
	if err != nil {
		return
	}
	a.hellos.Add(1)
	mfs := hello.MaxFrameSize
	out = spopwire.AppendAgentHello(out[:0], mfs, hello.Capabilities&spopwire.CapPipelining)
	if _, err := c.Write(out); err != nil || hello.Healthcheck {
		if hello.Healthcheck {
			a.checks.Add(1)
		}
		return
	}
	for {
		f, buf, err = readFrame(c, buf)
		if err != nil {
			return
		}
		switch f.Type {
		case spopwire.FrameNotify:
			a.notifies.Add(1)
			var start int
			out, start = spopwire.StartFrame(out[:0], spopwire.FrameAck, spopwire.FlagFin, f.StreamID, f.FrameID)
			if a.actions != nil {
				out = a.actions(out, f.Payload)
			}
			spopwire.FinishFrame(out, start)
			if _, err := c.Write(out); err != nil {
				return
			}
		case spopwire.FrameHAProxyDisconnect:
			out = spopwire.AppendDisconnect(out[:0], spopwire.FrameAgentDisconnect, spopwire.StatusNormal, "")
			c.Write(out)
			return
		default:
			return
		}
	}
}
