package spoptest

import (
	"errors"
	"fmt"
	"testing"

	"github.com/spopkit/spopkit/server"
	"github.com/spopkit/spopkit/server/record"
	"github.com/spopkit/spopkit/spopwire"
)

// Exchange is one recorded NOTIFY and what the handler answered to it.
type Exchange struct {
	// Record is the NOTIFY as recorded (package server/record).
	Record record.Record
	// Actions are the actions of its ACK (copies).
	Actions []spopwire.Action
	// Err is why there is no ACK: ErrAborted, a *DisconnectError, …
	Err error
}

// Replay feeds every NOTIFY of the recording at path (spoa --record) to h, in
// order, and returns them with their ACKs. Each recorded connection gets a
// fake HAProxy of its own, whose HELLO announces the recorded capabilities,
// max-frame-size and engine-id; opts supplies the rest (opts.Config is the
// agent's). A NOTIFY larger than the negotiated frame size is sent in
// fragments when the agent announces fragmentation. The test fails if the
// file cannot be read to its end or a handshake fails; a NOTIFY without ACK
// is reported in its Exchange.
//
//	for _, ex := range spoptest.Replay(t, handler, "testdata/capture.spop", spoptest.Options{}) {
//		if ex.Err != nil || len(ex.Actions) == 0 { t.Errorf("NOTIFY at offset %d: %v", ex.Record.Offset, ex.Err) }
//	}
func Replay(t testing.TB, h server.Handler, path string, opts Options) []Exchange {
	t.Helper()
	recs, err := record.ReadFile(path)
	if err != nil {
		t.Fatalf("spoptest: %v", err)
	}
	ex, err := ReplayRecords(h, recs, opts)
	if err != nil {
		t.Fatalf("spoptest: %v", err)
	}
	return ex
}

// ReplayRecords is Replay over records already read.
func ReplayRecords(h server.Handler, recs []record.Record, opts Options) ([]Exchange, error) {
	type connKey struct {
		hello string
		conn  uint64
	}
	conns := map[connKey]*HAProxy{}
	defer func() {
		for _, hp := range conns {
			hp.Close()
		}
	}()
	var out []Exchange
	for _, r := range recs {
		if r.Kind != record.KindNotify {
			continue
		}
		k := connKey{string(r.Hello), r.ConnID}
		hp := conns[k]
		if hp == nil {
			o := opts
			if r.Hello != nil {
				hello, err := spopwire.ParseHAProxyHello(r.Hello)
				if err != nil {
					return out, fmt.Errorf("HELLO of the NOTIFY at offset %d: %w", r.Offset, err)
				}
				o.MaxFrameSize, o.Capabilities = hello.MaxFrameSize, hello.Capabilities
				if o.Capabilities == 0 {
					o.Capabilities = server.CapabilitiesNone
				}
				o.EngineID, o.NoEngineID = string(hello.EngineID), len(hello.EngineID) == 0
			}
			var err error
			if hp, err = Dial(h, o); err != nil {
				return out, fmt.Errorf("handshake for the NOTIFY at offset %d: %w", r.Offset, err)
			}
			conns[k] = hp
		}
		acts, err := hp.NotifyPayload(r.StreamID, r.FrameID, r.Payload)
		out = append(out, Exchange{Record: r, Actions: acts, Err: err})
		var de *DisconnectError
		if errors.As(err, &de) || hp.sess.Closing() {
			hp.Close()
			delete(conns, k)
		}
	}
	return out, nil
}

// NotifyPayload sends a NOTIFY with an encoded payload (LIST-OF-MESSAGES) and
// returns the actions of its ACK. A payload too big for one frame is sent as
// a NOTIFY without FIN and UNSET continuations, as HAProxy 2.x does when the
// agent announced fragmentation.
func (hp *HAProxy) NotifyPayload(streamID, frameID uint64, payload []byte) ([]spopwire.Action, error) {
	maxFrame, caps := hp.sess.Negotiated()
	room := record.NotifyRoom(maxFrame)
	if len(payload) > room && !caps.Has(spopwire.CapFragmentation) {
		return nil, fmt.Errorf("spoptest: a NOTIFY of %d bytes needs fragmentation, which the agent does not announce", len(payload))
	}
	if err := hp.SendRaw(record.AppendNotify(nil, streamID, frameID, payload, room)); err != nil {
		return nil, err
	}
	return hp.Wait(Pending{streamID, frameID})
}
