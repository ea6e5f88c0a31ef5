// Package spopclient is a raw SPOP client that plays HAProxy over a real
// socket, byte for byte, for the server's conformance tests and measurements.
// It sends exactly the bytes it is given (whole frames, halves of frames,
// garbage) and decodes what the agent answers.
package spopclient

import (
	"errors"
	"fmt"
	"net"
	"os"
	"time"

	"github.com/spopkit/spopkit/spopwire"
)

// Conn is a client connection. It is not safe for concurrent use.
type Conn struct {
	nc  net.Conn
	buf []byte // received, not decoded yet
	off int
}

// Dial connects to an agent.
func Dial(network, address string) (*Conn, error) {
	nc, err := net.DialTimeout(network, address, 5*time.Second)
	if err != nil {
		return nil, err
	}
	return &Conn{nc: nc, buf: make([]byte, 0, 64<<10)}, nil
}

// NetConn returns the underlying connection.
func (c *Conn) NetConn() net.Conn { return c.nc }

// Write sends b in one write.
func (c *Conn) Write(b []byte) error {
	c.nc.SetWriteDeadline(time.Now().Add(10 * time.Second))
	_, err := c.nc.Write(b)
	return err
}

// ErrClosed is returned by ReadFrame when the agent closed the connection
// (orderly close or reset) with no frame left to read.
var ErrClosed = errors.New("spopclient: connection closed by the agent")

// ReadFrame returns the next frame the agent sent, waiting up to timeout.
// The frame's payload is a view valid until the next call.
func (c *Conn) ReadFrame(timeout time.Duration) (spopwire.Frame, error) {
	deadline := time.Now().Add(timeout)
	for {
		if f, n := spopwire.ConsumeFrame(c.buf[c.off:], 1<<24); n > 0 {
			c.off += n
			return f, nil
		} else if err := spopwire.ParseError(n); err != spopwire.ErrNeedMore {
			return spopwire.Frame{}, fmt.Errorf("spopclient: agent sent a bad frame: %w", err)
		}
		if c.off > 0 {
			c.buf = c.buf[:copy(c.buf, c.buf[c.off:])]
			c.off = 0
		}
		if len(c.buf) == cap(c.buf) {
			c.buf = append(c.buf, make([]byte, len(c.buf))...)[:len(c.buf)]
		}
		c.nc.SetReadDeadline(deadline)
		n, err := c.nc.Read(c.buf[len(c.buf):cap(c.buf)])
		c.buf = c.buf[:len(c.buf)+n]
		if err != nil {
			if n > 0 {
				continue
			}
			if errors.Is(err, os.ErrDeadlineExceeded) {
				return spopwire.Frame{}, err
			}
			if len(c.buf) > 0 {
				return spopwire.Frame{}, fmt.Errorf("spopclient: connection closed inside a frame (%d bytes): %w", len(c.buf), err)
			}
			return spopwire.Frame{}, ErrClosed
		}
	}
}

// ExpectClosed reads until the agent closes the connection, failing if a
// frame arrives first.
func (c *Conn) ExpectClosed(timeout time.Duration) error {
	f, err := c.ReadFrame(timeout)
	if err == ErrClosed {
		return nil
	}
	if err != nil {
		return err
	}
	return fmt.Errorf("spopclient: got %v %d/%d, want the connection closed", f.Type, f.StreamID, f.FrameID)
}

// Hello sends a HAPROXY-HELLO and returns the AGENT-HELLO; an
// AGENT-DISCONNECT answer is returned as a *DisconnectError.
func (c *Conn) Hello(h spopwire.HAProxyHello) (spopwire.AgentHello, error) {
	if err := c.Write(spopwire.AppendHAProxyHello(nil, h)); err != nil {
		return spopwire.AgentHello{}, err
	}
	f, err := c.ReadFrame(10 * time.Second)
	if err != nil {
		return spopwire.AgentHello{}, err
	}
	switch f.Type {
	case spopwire.FrameAgentHello:
		return spopwire.ParseAgentHello(f.Payload)
	case spopwire.FrameAgentDisconnect:
		return spopwire.AgentHello{}, AsDisconnect(f)
	}
	return spopwire.AgentHello{}, fmt.Errorf("spopclient: got %v, want AGENT-HELLO", f.Type)
}

// DisconnectError is an AGENT-DISCONNECT received where something else was
// expected.
type DisconnectError struct {
	Status  spopwire.Status
	Message string
}

// Error describes the AGENT-DISCONNECT.
func (e *DisconnectError) Error() string {
	return fmt.Sprintf("AGENT-DISCONNECT status %d %q", e.Status, e.Message)
}

// AsDisconnect decodes an AGENT-DISCONNECT frame.
func AsDisconnect(f spopwire.Frame) error {
	d, err := spopwire.ParseDisconnect(f.Payload)
	if err != nil {
		return err
	}
	return &DisconnectError{Status: d.Status, Message: string(d.Message)}
}

// HAProxy3Hello is what HAProxy 3.x sends (spop-reference.md §4.1).
func HAProxy3Hello() spopwire.HAProxyHello {
	return spopwire.HAProxyHello{
		SupportedVersions: []byte("2.0"),
		MaxFrameSize:      spopwire.DefaultMaxFrameSize,
		Capabilities:      spopwire.CapPipelining,
		EngineID:          []byte("5b3fca6c-1d0f-4b7a-9a61-1c1e8f4b3c2d"),
	}
}

// Notify returns a NOTIFY frame carrying payload.
func Notify(streamID, frameID uint64, payload []byte) []byte {
	return Frame(spopwire.FrameNotify, spopwire.FlagFin, streamID, frameID, payload)
}

// Frame returns an arbitrary frame with its length prefix.
func Frame(t spopwire.FrameType, flags spopwire.Flags, streamID, frameID uint64, payload []byte) []byte {
	return spopwire.AppendFrame(nil, spopwire.Frame{Type: t, Flags: flags, StreamID: streamID, FrameID: frameID, Payload: payload})
}

// ReadAck reads the next frame and checks that it is a FIN ACK for
// streamID/frameID; it returns its actions (views valid until the next read).
func (c *Conn) ReadAck(streamID, frameID uint64, timeout time.Duration) ([]spopwire.Action, error) {
	f, err := c.ReadFrame(timeout)
	if err != nil {
		return nil, err
	}
	if f.Type == spopwire.FrameAgentDisconnect {
		return nil, AsDisconnect(f)
	}
	if f.Type != spopwire.FrameAck || f.StreamID != streamID || f.FrameID != frameID || f.Flags != spopwire.FlagFin {
		return nil, fmt.Errorf("spopclient: got %v flags %x %d/%d, want ACK FIN %d/%d", f.Type, uint32(f.Flags), f.StreamID, f.FrameID, streamID, frameID)
	}
	return Actions(f.Payload)
}

// Actions decodes an ACK payload.
func Actions(payload []byte) ([]spopwire.Action, error) {
	var acts []spopwire.Action
	it := spopwire.Actions(payload)
	for a, ok := it.Next(); ok; a, ok = it.Next() {
		acts = append(acts, a)
	}
	return acts, it.Err()
}

// Reset closes the connection with a TCP RST (SO_LINGER 0).
func (c *Conn) Reset() error {
	if tc, ok := c.nc.(*net.TCPConn); ok {
		tc.SetLinger(0)
	}
	return c.nc.Close()
}

// Close closes the connection.
func (c *Conn) Close() error { return c.nc.Close() }
