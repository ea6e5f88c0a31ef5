// Package spoptest is an in-memory fake HAProxy for unit-testing SPOE
// handlers: it drives the server's protocol state machine (server.Session)
// directly, without sockets, goroutines of its own or timing, performing the
// handshake and exchanging NOTIFY/ACK frames as HAProxy would.
//
//	hp := spoptest.New(t, handler, spoptest.Options{})
//	acts, err := hp.Notify(spoptest.Msg("check-client-ip",
//		spoptest.Arg("ip", spopwire.AddrValue(netip.MustParseAddr("192.0.2.1")))))
//
// Use it for handler logic and the agent's protocol decisions; the server
// package's conformance tests cover the real engines over sockets.
package spoptest

import (
	"bytes"
	"errors"
	"fmt"
	"net/netip"
	"testing"
	"time"

	"github.com/spopkit/spopkit/server"
	"github.com/spopkit/spopkit/spopwire"
)

// Message is one message of a NOTIFY, built from typed values.
type Message struct {
	Name string
	Args []Argument
}

// Argument is one argument of a Message; an empty Name is an unnamed
// argument (HAProxy's `args src`).
type Argument struct {
	Name  string
	Value spopwire.Value
}

// Msg returns a message.
func Msg(name string, args ...Argument) Message { return Message{Name: name, Args: args} }

// Arg returns an argument.
func Arg(name string, v spopwire.Value) Argument { return Argument{Name: name, Value: v} }

// AppendMessages appends msgs as a NOTIFY payload (LIST-OF-MESSAGES).
func AppendMessages(b []byte, msgs ...Message) []byte {
	for _, m := range msgs {
		b = spopwire.AppendMessageHeader(b, m.Name, len(m.Args))
		for _, a := range m.Args {
			b = spopwire.AppendArg(b, a.Name, a.Value)
		}
	}
	return b
}

// DefaultEngineID is the engine-id the fake HAProxy announces by default.
const DefaultEngineID = "00000000-0000-4000-8000-000000000001"

// Options configures the fake HAProxy and the agent under test.
type Options struct {
	// Config is the agent's configuration (listening fields are ignored).
	Config server.Config
	// Capabilities is what HAProxy announces: 0 means pipelining (as 3.x),
	// server.CapabilitiesNone an empty list.
	Capabilities spopwire.Capabilities
	// MaxFrameSize is HAProxy's max-frame-size; 0 means 16380.
	MaxFrameSize uint32
	// EngineID is the engine-id HAProxy announces; "" means DefaultEngineID.
	EngineID string
	// NoEngineID leaves engine-id out of the HELLO (as health checks do).
	NoEngineID bool
	// Healthcheck sends a health-check HELLO (option spop-check).
	Healthcheck bool
	// Remote is the address the handler sees as Request.RemoteAddr.
	Remote netip.AddrPort
	// Timeout bounds the wait for an offloaded ACK; 0 means 10 s.
	Timeout time.Duration
}

// DisconnectError is the AGENT-DISCONNECT the agent answered with.
type DisconnectError struct {
	Status  spopwire.Status
	Message string
}

// Error describes the AGENT-DISCONNECT.
func (e *DisconnectError) Error() string {
	return fmt.Sprintf("spoptest: agent disconnected with status %d (%s)", e.Status, e.Message)
}

// ErrAborted is returned for a NOTIFY the agent answered with an ACK carrying
// FIN|ABORT (a fragmented NOTIFY it gave up on).
var ErrAborted = errors.New("spoptest: agent aborted the NOTIFY")

// Pending identifies a NOTIFY sent by Begin.
type Pending struct{ StreamID, FrameID uint64 }

// HAProxy is a fake HAProxy connected to one agent connection. It is not
// safe for concurrent use.
type HAProxy struct {
	srv     *server.Server
	sess    *server.Session
	opts    Options
	wake    chan struct{}
	out     []byte // bytes the agent produced, not parsed yet
	pending []byte // bytes sent to the agent and not consumed yet
	hello   spopwire.AgentHello
	acks    map[Pending]ack
	disc    *DisconnectError
	nextSID uint64
}

type ack struct {
	actions []spopwire.Action
	aborted bool
}

// New connects a fake HAProxy to a new agent for h and performs the
// handshake; it fails the test if the agent refuses it. The agent's server is
// closed when the test ends.
func New(t testing.TB, h server.Handler, opts Options) *HAProxy {
	t.Helper()
	hp, err := Dial(h, opts)
	if err != nil {
		t.Fatalf("spoptest: handshake: %v", err)
	}
	t.Cleanup(hp.Close)
	return hp
}

// Dial is New without a testing.TB: the caller closes the HAProxy. Its
// error is a *DisconnectError when the agent refused the HELLO.
func Dial(h server.Handler, opts Options) (*HAProxy, error) {
	srv, err := server.New(opts.Config, h)
	if err != nil {
		return nil, err
	}
	hp := &HAProxy{srv: srv, opts: opts, wake: make(chan struct{}, 1), acks: make(map[Pending]ack), nextSID: 1}
	hp.sess = srv.NewSession(opts.Remote, func() {
		select {
		case hp.wake <- struct{}{}:
		default:
		}
	})
	if err := hp.handshake(); err != nil {
		hp.Close()
		return nil, err
	}
	return hp, nil
}

func (hp *HAProxy) handshake() error {
	caps := hp.opts.Capabilities
	switch {
	case caps == 0:
		caps = spopwire.CapPipelining
	case caps&server.CapabilitiesNone != 0:
		caps = 0
	}
	mfs := hp.opts.MaxFrameSize
	if mfs == 0 {
		mfs = spopwire.DefaultMaxFrameSize
	}
	h := spopwire.HAProxyHello{SupportedVersions: []byte(spopwire.Version), MaxFrameSize: mfs, Capabilities: caps, Healthcheck: hp.opts.Healthcheck}
	if !hp.opts.NoEngineID && !hp.opts.Healthcheck {
		h.EngineID = []byte(hp.opts.EngineID)
		if hp.opts.EngineID == "" {
			h.EngineID = []byte(DefaultEngineID)
		}
	}
	if err := hp.SendRaw(spopwire.AppendHAProxyHello(nil, h)); err != nil {
		return err
	}
	if hp.disc != nil {
		return hp.disc
	}
	if hp.hello.Version == nil {
		return errors.New("spoptest: no AGENT-HELLO")
	}
	return nil
}

// AgentHello returns what the agent answered to the HELLO.
func (hp *HAProxy) AgentHello() spopwire.AgentHello { return hp.hello }

// Server returns the agent's server (for Stats).
func (hp *HAProxy) Server() *server.Server { return hp.srv }

// Session returns the agent's state machine for this connection.
func (hp *HAProxy) Session() *server.Session { return hp.sess }

// Closed reports whether the agent closed the connection, and with which
// AGENT-DISCONNECT (nil after a health check, which ends without one).
func (hp *HAProxy) Closed() (bool, *DisconnectError) { return hp.sess.Closing(), hp.disc }

// Notify sends one NOTIFY with the next stream-id (odd, per connection, as
// 3.x does) and frame-id 1, and returns the actions of its ACK, waiting for
// offloaded work. The names and values are copies.
func (hp *HAProxy) Notify(msgs ...Message) ([]spopwire.Action, error) {
	p, err := hp.Begin(msgs...)
	if err != nil {
		return nil, err
	}
	return hp.Wait(p)
}

// NotifyIDs is Notify with the stream-id and frame-id given (2.x numbering
// starts at stream-id 0, frame-id 1).
func (hp *HAProxy) NotifyIDs(streamID, frameID uint64, msgs ...Message) ([]spopwire.Action, error) {
	p := Pending{streamID, frameID}
	if err := hp.send(p, msgs); err != nil {
		return nil, err
	}
	return hp.Wait(p)
}

// Begin sends a NOTIFY without waiting for its ACK (pipelining): collect it
// with Wait.
func (hp *HAProxy) Begin(msgs ...Message) (Pending, error) {
	p := Pending{hp.nextSID, 1}
	hp.nextSID += 2
	return p, hp.send(p, msgs)
}

func (hp *HAProxy) send(p Pending, msgs []Message) error {
	b, start := spopwire.StartFrame(nil, spopwire.FrameNotify, spopwire.FlagFin, p.StreamID, p.FrameID)
	b = AppendMessages(b, msgs...)
	spopwire.FinishFrame(b, start)
	return hp.SendRaw(b)
}

// Wait returns the actions of the ACK for p, waiting (up to Options.Timeout)
// for offloaded work to complete.
func (hp *HAProxy) Wait(p Pending) ([]spopwire.Action, error) {
	timeout := hp.opts.Timeout
	if timeout <= 0 {
		timeout = 10 * time.Second
	}
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	for {
		if a, ok := hp.acks[p]; ok {
			delete(hp.acks, p)
			if a.aborted {
				return nil, ErrAborted
			}
			return a.actions, nil
		}
		if hp.disc != nil {
			return nil, hp.disc
		}
		if hp.sess.Closing() {
			return nil, errors.New("spoptest: agent closed the connection")
		}
		select {
		case <-hp.wake:
			hp.out = hp.sess.Poll(hp.out)
			if err := hp.parse(); err != nil {
				return nil, err
			}
		case <-timer.C:
			return nil, fmt.Errorf("spoptest: no ACK for %d/%d after %v", p.StreamID, p.FrameID, timeout)
		}
	}
}

// SendRaw feeds bytes to the agent as if HAProxy had written them (whole
// frames, a part of one, or several), then parses what the agent answered
// at once. It fails on an answer it cannot parse.
func (hp *HAProxy) SendRaw(b []byte) error {
	// Unconsumed bytes (an incomplete frame) stay for the next call, as a
	// real transport keeps them in its read buffer.
	data := append(hp.pending, b...)
	n, out := hp.sess.Receive(data, hp.out)
	hp.out = out
	hp.pending = append(hp.pending[:0], data[n:]...)
	return hp.parse()
}

// Disconnect sends HAPROXY-DISCONNECT with status and returns the agent's
// AGENT-DISCONNECT.
func (hp *HAProxy) Disconnect(status spopwire.Status) (*DisconnectError, error) {
	if err := hp.SendRaw(spopwire.AppendDisconnect(nil, spopwire.FrameHAProxyDisconnect, status, "")); err != nil {
		return nil, err
	}
	if hp.disc == nil {
		return nil, errors.New("spoptest: no AGENT-DISCONNECT")
	}
	return hp.disc, nil
}

// parse decodes the agent's output.
func (hp *HAProxy) parse() error {
	for len(hp.out) > 0 {
		f, n := spopwire.ConsumeFrame(hp.out, 1<<24)
		if n < 0 {
			return fmt.Errorf("spoptest: agent sent a bad frame: %v", spopwire.ParseError(n))
		}
		if err := hp.frame(f); err != nil {
			return err
		}
		hp.out = hp.out[n:]
	}
	hp.out = hp.out[:0]
	return nil
}

func (hp *HAProxy) frame(f spopwire.Frame) error {
	if f.Flags&spopwire.FlagFin == 0 {
		return fmt.Errorf("spoptest: agent sent %v without FIN", f.Type)
	}
	switch f.Type {
	case spopwire.FrameAgentHello:
		h, err := spopwire.ParseAgentHello(f.Payload)
		if err != nil {
			return err
		}
		h.Version = bytes.Clone(h.Version)
		hp.hello = h
	case spopwire.FrameAgentDisconnect:
		d, err := spopwire.ParseDisconnect(f.Payload)
		if err != nil {
			return err
		}
		hp.disc = &DisconnectError{Status: d.Status, Message: string(d.Message)}
	case spopwire.FrameAck:
		p := Pending{f.StreamID, f.FrameID}
		if f.Flags.Abort() {
			hp.acks[p] = ack{aborted: true}
			return nil
		}
		var acts []spopwire.Action
		it := spopwire.Actions(f.Payload)
		for a, ok := it.Next(); ok; a, ok = it.Next() {
			acts = append(acts, cloneAction(a))
		}
		if err := it.Err(); err != nil {
			return fmt.Errorf("spoptest: bad ACK payload: %v", err)
		}
		hp.acks[p] = ack{actions: acts}
	default:
		return fmt.Errorf("spoptest: agent sent unexpected %v", f.Type)
	}
	return nil
}

func cloneAction(a spopwire.Action) spopwire.Action {
	a.Name = bytes.Clone(a.Name)
	switch a.Value.Type() {
	case spopwire.TypeString:
		a.Value = spopwire.BytesStringValue(bytes.Clone(a.Value.Bytes()))
	case spopwire.TypeBinary:
		a.Value = spopwire.BinaryValue(bytes.Clone(a.Value.Bytes()))
	}
	return a
}

// Close closes the connection and the agent's server.
func (hp *HAProxy) Close() {
	hp.sess.Close()
	hp.srv.Close()
}
