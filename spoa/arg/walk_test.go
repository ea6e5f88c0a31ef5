package arg_test

import (
	"errors"
	"net/netip"
	"testing"

	"github.com/spopkit/spopkit/server"
	"github.com/spopkit/spopkit/spoa/arg"
	"github.com/spopkit/spopkit/spopwire"
)

// strict is a Switch shaped like generated code: "known" is decoded whole
// (every argument, failing on a torn one) before its method runs; the
// method records the call and fails with fail.
// errPanic makes a strict method panic instead of returning an error.
var errPanic = errors.New("panic")

type strict struct {
	calls *[]string
	fail  error
}

func (s strict) Dispatch(req *server.Request, acts *server.Actions, name []byte, nargs int, b []byte) (int, bool, error) {
	if string(name) != "known" {
		return 0, false, nil
	}
	off := 0
	var first spopwire.Value
	for i := range nargs {
		_, v, n := spopwire.ConsumeArg(b[off:])
		if n < 0 {
			return 0, true, spopwire.ErrInvalidFrame
		}
		if i == 0 {
			first = v
		}
		off += n
	}
	*s.calls = append(*s.calls, string(first.Bytes()))
	if s.fail == errPanic {
		panic("method panics")
	}
	acts.SetVar(spopwire.ScopeTransaction, "seen", first)
	return off, true, s.fail
}

// TestDispatcherValidates runs NOTIFYs through a server session whose
// handler is a Dispatcher, which the session trusts to validate the payload
// as it decodes it (server.PayloadWalker): a malformed payload must end the
// connection with status 4 as when the session validates, with no ACK, and
// no method may run for a torn message.
func TestDispatcherValidates(t *testing.T) {
	good := func(v string) []byte {
		b := spopwire.AppendMessageHeader(nil, "known", 1)
		return spopwire.AppendArg(b, "x", spopwire.StringValue(v))
	}
	other := append(spopwire.AppendMessageHeader(nil, "other", 1), 0, byte(spopwire.TypeInt64), 7)
	cat := func(parts ...[]byte) []byte {
		var b []byte
		for _, p := range parts {
			b = append(b, p...)
		}
		return b
	}
	tornArgs := append(spopwire.AppendMessageHeader(nil, "known", 3), 0, byte(spopwire.TypeInt64), 1) // 1 of 3 args
	boom := errors.New("boom")
	for _, tt := range []struct {
		name      string
		payload   []byte
		fail      error
		wantCalls []string
		want      spopwire.FrameType
		wantCode  int64 // error code in the ACK
	}{
		{"well-formed", cat(other, good("a"), good("b")), nil, []string{"a", "b"}, spopwire.FrameAck, 0},
		{"torn arguments", tornArgs, nil, nil, spopwire.FrameAgentDisconnect, 0},
		{"bad type byte", []byte{5, 'k', 'n', 'o', 'w', 'n', 1, 0, 0x0a}, nil, nil, spopwire.FrameAgentDisconnect, 0},
		{"bad varint", []byte{5, 'k', 'n', 'o', 'w', 'n', 1, 0, 0x04, 0xff, 0xff}, nil, nil, spopwire.FrameAgentDisconnect, 0},
		{"string past the end", []byte{5, 'k', 'n', 'o', 'w', 'n', 1, 0, 0x08, 0x20, 'a'}, nil, nil, spopwire.FrameAgentDisconnect, 0},
		{"torn unknown message", cat(good("a"), other[:len(other)-1]), nil, []string{"a"}, spopwire.FrameAgentDisconnect, 0},
		{"torn header after a good message", cat(good("a"), []byte{9, 'x'}), nil, []string{"a"}, spopwire.FrameAgentDisconnect, 0},
		{"method error, well-formed rest", cat(good("a"), good("b")), boom, []string{"a"}, spopwire.FrameAck, server.ErrorCodeHandler},
		{"method error, malformed rest", cat(good("a"), tornArgs), boom, []string{"a"}, spopwire.FrameAgentDisconnect, 0},
		{"method panic, well-formed rest", cat(good("a"), good("b")), errPanic, []string{"a"}, spopwire.FrameAck, server.ErrorCodePanic},
		{"method panic, malformed rest", cat(good("a"), tornArgs), errPanic, []string{"a"}, spopwire.FrameAgentDisconnect, 0},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var calls []string
			srv, err := server.New(server.Config{Workers: -1}, arg.NewDispatcher(strict{&calls, tt.fail}))
			if err != nil {
				t.Fatal(err)
			}
			defer srv.Close()
			if _, ok := any(arg.NewDispatcher(nil)).(server.PayloadWalker); !ok {
				t.Fatal("Dispatcher is not a server.PayloadWalker")
			}
			sess := srv.NewSession(netip.AddrPort{}, func() {})
			defer sess.Close()
			hello := spopwire.AppendHAProxyHello(nil, spopwire.HAProxyHello{
				SupportedVersions: []byte("2.0"), MaxFrameSize: 16380, Capabilities: spopwire.CapPipelining, EngineID: []byte("e"),
			})
			sess.Receive(hello, nil)
			if !sess.HandshakeDone() {
				t.Fatal("handshake failed")
			}
			notify, start := spopwire.StartFrame(nil, spopwire.FrameNotify, spopwire.FlagFin, 1, 1)
			notify = append(notify, tt.payload...)
			spopwire.FinishFrame(notify, start)
			_, out := sess.Receive(notify, nil)
			f, k := spopwire.ConsumeFrame(out, 16380)
			if k <= 0 || k != len(out) {
				t.Fatalf("answer: %d of %d bytes; want one frame", k, len(out))
			}
			if f.Type != tt.want {
				t.Fatalf("answer %v; want %v", f.Type, tt.want)
			}
			if f.Type == spopwire.FrameAgentDisconnect {
				d, err := spopwire.ParseDisconnect(f.Payload)
				if err != nil || d.Status != spopwire.StatusInvalidFrame {
					t.Errorf("AGENT-DISCONNECT %+v, %v; want status 4", d, err)
				}
			} else {
				var code int64
				it := spopwire.Actions(f.Payload)
				for a, ok := it.Next(); ok; a, ok = it.Next() {
					if string(a.Name) == server.DefaultErrorVarName {
						code = a.Value.Int64()
					}
				}
				if code != tt.wantCode {
					t.Errorf("ACK error code %d; want %d", code, tt.wantCode)
				}
			}
			if len(calls) != len(tt.wantCalls) || (len(calls) > 0 && calls[len(calls)-1] != tt.wantCalls[len(tt.wantCalls)-1]) {
				t.Errorf("methods ran for %q; want %q", calls, tt.wantCalls)
			}
		})
	}
}
