// Package exampletest helps the example agents' tests talk to a real server
// over a loopback socket, as HAProxy would: handshake, NOTIFY, ACK.
// For socket-free handler tests use server/spoptest instead.
package exampletest

import (
	"context"
	"fmt"
	"io"
	"net"
	"testing"
	"time"

	"github.com/spopkit/spopkit/server"
	"github.com/spopkit/spopkit/server/spoptest"
	"github.com/spopkit/spopkit/spopwire"
)

// Start runs h on a real server listening on cfg.Address (127.0.0.1:0 when
// empty) and returns it with its address; the server is shut down when the
// test ends.
func Start(t testing.TB, h server.Handler, cfg server.Config) (*server.Server, string) {
	t.Helper()
	if cfg.Address == "" {
		cfg.Address = "127.0.0.1:0"
	}
	srv, err := server.New(cfg, h)
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx)
	})
	return srv, srv.Addr().String()
}

// Conn is one HAProxy-side SPOP connection after the handshake. It is not
// safe for concurrent use.
type Conn struct {
	c      net.Conn
	buf    []byte
	nextID uint64
}

// Dial connects to addr and performs the HELLO exchange (pipelining offered).
func Dial(t testing.TB, addr string) *Conn {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	conn := &Conn{c: c, nextID: 1}
	hello := spopwire.AppendHAProxyHello(nil, spopwire.HAProxyHello{
		SupportedVersions: []byte("2.0"),
		MaxFrameSize:      spopwire.DefaultMaxFrameSize,
		Capabilities:      spopwire.CapPipelining,
		EngineID:          []byte(spoptest.DefaultEngineID),
	})
	if _, err := c.Write(hello); err != nil {
		t.Fatal(err)
	}
	f, err := conn.read(10 * time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if f.Type != spopwire.FrameAgentHello {
		t.Fatalf("handshake: got %v, want AGENT-HELLO", f.Type)
	}
	return conn
}

// Send writes a NOTIFY with the next stream-id and returns it.
func (c *Conn) Send(msgs ...spoptest.Message) (uint64, error) {
	sid := c.nextID
	c.nextID += 2
	b, start := spopwire.StartFrame(nil, spopwire.FrameNotify, spopwire.FlagFin, sid, 1)
	b = spoptest.AppendMessages(b, msgs...)
	spopwire.FinishFrame(b, start)
	_, err := c.c.Write(b)
	return sid, err
}

// Ack reads the next ACK and returns its stream-id and (copied) actions.
func (c *Conn) Ack(timeout time.Duration) (uint64, []spopwire.Action, error) {
	f, err := c.read(timeout)
	if err != nil {
		return 0, nil, err
	}
	if f.Type != spopwire.FrameAck {
		return 0, nil, fmt.Errorf("got %v, want ACK", f.Type)
	}
	var acts []spopwire.Action
	it := spopwire.Actions(f.Payload)
	for a, ok := it.Next(); ok; a, ok = it.Next() {
		a.Name = append([]byte(nil), a.Name...)
		a.Value = cloneValue(a.Value)
		acts = append(acts, a)
	}
	return f.StreamID, acts, it.Err()
}

// Notify sends one NOTIFY and waits for its ACK.
func (c *Conn) Notify(timeout time.Duration, msgs ...spoptest.Message) ([]spopwire.Action, error) {
	sid, err := c.Send(msgs...)
	if err != nil {
		return nil, err
	}
	got, acts, err := c.Ack(timeout)
	if err == nil && got != sid {
		err = fmt.Errorf("ACK for stream %d, want %d", got, sid)
	}
	return acts, err
}

// read returns the next frame; its payload stays valid until the next read.
func (c *Conn) read(timeout time.Duration) (spopwire.Frame, error) {
	_ = c.c.SetReadDeadline(time.Now().Add(timeout))
	var prefix [4]byte
	if _, err := io.ReadFull(c.c, prefix[:]); err != nil {
		return spopwire.Frame{}, err
	}
	n, k := spopwire.ConsumeFrameLength(prefix[:], spopwire.DefaultMaxFrameSize)
	if k < 0 {
		return spopwire.Frame{}, spopwire.ParseError(k)
	}
	if cap(c.buf) < int(n) {
		c.buf = make([]byte, n)
	}
	c.buf = c.buf[:n]
	if _, err := io.ReadFull(c.c, c.buf); err != nil {
		return spopwire.Frame{}, err
	}
	f, k := spopwire.ConsumeFrameBody(c.buf)
	if k < 0 {
		return f, spopwire.ParseError(k)
	}
	return f, nil
}

// cloneValue copies a decoded value out of the frame.
func cloneValue(v spopwire.Value) spopwire.Value {
	switch v.Type() {
	case spopwire.TypeString:
		return spopwire.StringValue(string(v.Bytes()))
	case spopwire.TypeBinary:
		return spopwire.BinaryValue(append([]byte(nil), v.Bytes()...))
	}
	return v
}

// Find returns the value of the first set-var action named name.
func Find(acts []spopwire.Action, name string) (spopwire.Value, bool) {
	for _, a := range acts {
		if a.Type == spopwire.ActionSetVar && string(a.Name) == name {
			return a.Value, true
		}
	}
	return spopwire.Value{}, false
}
