package arg

import (
	"github.com/spopkit/spopkit/server"
	"github.com/spopkit/spopkit/spopwire"
)

// Switch is the dispatch switch of a generated file: one case per
// spoe-message, each decoding the message into its struct and calling the
// Handler method for it.
type Switch interface {
	// Dispatch handles the message called name whose nargs arguments start
	// at b, and returns the bytes of arguments it read. ok is false, and
	// nothing is read, when name is not a message of the file. name and b
	// are views into req.Payload.
	Dispatch(req *server.Request, acts *server.Actions, name []byte, nargs int, b []byte) (n int, ok bool, err error)
}

// Dispatcher implements server.Handler for generated code: it walks the
// messages of a NOTIFY and hands each to the file's Switch. Messages the
// Switch does not know are skipped, honouring their argument count, as
// HAProxy may send messages an agent has no use for. It does not allocate.
type Dispatcher struct {
	s Switch
}

// NewDispatcher returns a server.Handler that hands each message to s.
// Generated code calls it from its own NewDispatcher.
func NewDispatcher(s Switch) *Dispatcher { return &Dispatcher{s: s} }

// HandleNotify implements server.Handler. The first error (of decoding or of
// a handler method) ends the NOTIFY.
func (d *Dispatcher) HandleNotify(req *server.Request, acts *server.Actions) error {
	malformed, err := d.HandleUnvalidated(req, acts)
	if malformed {
		return spopwire.ErrInvalidFrame
	}
	return err
}

// HandleUnvalidated implements server.PayloadWalker: the server hands it
// NOTIFY payloads it has not validated, and this one walk over the payload
// is both the validation and the decoding. Every byte is read: known
// messages by their generated DecodeArgs, which reads every argument
// (unknown ones too) before the handler method is called, so a method never
// sees a torn message; other messages by spopwire.SkipArgs. malformed is
// true when the payload is not a well-formed LIST-OF-MESSAGES; the methods
// of the messages before the malformed one have run by then.
func (d *Dispatcher) HandleUnvalidated(req *server.Request, acts *server.Actions) (malformed bool, err error) {
	b := req.Payload
	for len(b) > 0 {
		name, nargs, n := spopwire.ConsumeMessageHeader(b)
		if n < 0 {
			return true, nil
		}
		b = b[n:]
		n, ok, err := d.s.Dispatch(req, acts, name, nargs, b)
		if err != nil {
			// DecodeArgs fails only on a torn message, and then calls
			// no method; a method's error ends the NOTIFY, but the rest
			// of the payload must still be well-formed.
			return !wellFormed(b, nargs), err
		}
		if !ok {
			if n = spopwire.SkipArgs(b, nargs); n < 0 {
				return true, nil
			}
		}
		b = b[n:]
	}
	return false, nil
}

// wellFormed reports whether b holds a message's nargs arguments and then
// whole messages up to its end.
func wellFormed(b []byte, nargs int) bool {
	n := spopwire.SkipArgs(b, nargs)
	if n < 0 {
		return false
	}
	for b = b[n:]; len(b) > 0; b = b[n:] {
		if n = spopwire.SkipMessage(b); n < 0 {
			return false
		}
	}
	return true
}

// Actions appends set-var and unset-var actions to the ACK. The Actions type
// of a generated file wraps it: embedded, for SetVar and UnsetVar; or behind
// the typed setters generated from a haproxy.cfg.
type Actions struct {
	acts *server.Actions
}

// ActionsOf wraps the server's action writer.
func ActionsOf(acts *server.Actions) Actions { return Actions{acts} }

// SetVar sets <scope>.<var-prefix>.<name>; a NULL value unsets it.
func (a Actions) SetVar(scope spopwire.Scope, name string, v spopwire.Value) {
	a.acts.SetVar(scope, name, v)
}

// UnsetVar unsets <scope>.<var-prefix>.<name>.
func (a Actions) UnsetVar(scope spopwire.Scope, name string) { a.acts.UnsetVar(scope, name) }

// ErrorCodeBase is what generated agents add to the server's ErrorCode*
// values when their spoe.conf has "option set-on-error": a handler error
// sets the set-on-error variable to 1001, a panic to 1002, actions too big
// for the frame to 1003, a full offload queue to 1004. HAProxy's own values
// in that variable are 1-5, 255 and 256+SPOP status, so a rule can tell
// them apart while "-m int gt 0" and "-m found" fire for both.
const ErrorCodeBase = 1000

// FailClosed makes cfg answer a failed NOTIFY through v, the spoe.conf's
// set-on-error variable, with ErrorCodeBase + server.ErrorCode*, apart from
// the values HAProxy itself puts there. A variable already in cfg.ErrorVar
// (spoa --error-var) wins, and gets the plain server.ErrorCode* values unless
// it is v. A non-zero cfg.ErrorCodeBase is kept. Generated Configure
// functions call it.
func FailClosed(cfg *server.Config, v server.Var) {
	if cfg.ErrorVar.Name == "" {
		cfg.ErrorVar = v
	}
	if cfg.ErrorCodeBase == 0 && cfg.ErrorVar == v {
		cfg.ErrorCodeBase = ErrorCodeBase
	}
}
