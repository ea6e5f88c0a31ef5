package server

import (
	"errors"
	"runtime/debug"

	"github.com/spopkit/spopkit/spopwire"
)

// An ACK is built in place: StartFrame writes its header into the output,
// the handler (or the offloaded function, on a worker) appends its actions
// behind it, and finishAck closes it. The same steps serve both paths, so a
// failed NOTIFY is answered and reported alike wherever its handler ran.

// callHandler runs HandleNotify for the current NOTIFY and turns its error
// or panic into an error code.
func (s *Session) callHandler() (code int64, malformed bool, err error) {
	if s.walk != nil {
		// A walker that panicked did not finish its walk: the rest of the
		// payload is checked here, as the walker does after any failure. (It
		// runs after recoverHandler, deferred below, has set the code.)
		defer func() {
			if code != ErrorCodePanic {
				return
			}
			if _, ok := validMessages(s.req.Payload, nil); !ok {
				code, malformed, err = 0, true, nil
			}
		}()
	}
	defer recoverHandler(&code, &err)
	if s.walk != nil {
		if malformed, err = s.walk.HandleUnvalidated(&s.req, &s.acts); malformed {
			return 0, true, nil
		}
	} else {
		err = s.h.HandleNotify(&s.req, &s.acts)
	}
	switch {
	case s.overloaded:
		return ErrorCodeOverloaded, false, ErrOverloaded
	case err == nil:
		return 0, false, nil
	case errors.Is(err, ErrOverloaded):
		return ErrorCodeOverloaded, false, err
	}
	return ErrorCodeHandler, false, err
}

// runOffload runs an offloaded function on a worker, as callHandler runs
// the handler.
func runOffload(fn OffloadFunc, acts *Actions) (code int64, err error) {
	defer recoverHandler(&code, &err)
	if err := fn(acts); err != nil {
		return ErrorCodeHandler, err
	}
	return 0, nil
}

// recoverHandler turns a panic of user code into ErrorCodePanic, with the
// stack. It must be the deferred function itself (recover works only
// there); the compiler open-codes the defer, so it costs nothing until a
// panic happens.
func recoverHandler(code *int64, err *error) {
	if r := recover(); r != nil {
		*code, *err = ErrorCodePanic, &PanicError{Value: r, Stack: debug.Stack()}
	}
}

// ackOutcome is the error code an ACK carries (0 for none): the handler's,
// or ErrorCodeAckTooBig when the handler succeeded but its actions did not
// fit the negotiated max-frame-size.
func ackOutcome(code int64, err error, acts *Actions) (int64, error) {
	if code == 0 && acts.err != nil {
		return ErrorCodeAckTooBig, acts.err
	}
	return code, err
}

// finishAck closes the ACK frame b[start:], whose payload begins at
// payloadStart. For a failed NOTIFY (code != 0) the actions give way to the
// error variable set to the code, and the failure is reported as e with
// its code. It returns b with the frame complete.
func finishAck(b []byte, start, payloadStart int, set *settings, code int64, e HandlerError) []byte {
	if code != 0 {
		b = appendErrorVar(b[:payloadStart], set, code)
		he := e
		he.Code = code
		set.reportError(&he)
	}
	spopwire.FinishFrame(b, start)
	return b
}

// appendErrorVar appends the set-var of the error variable.
func appendErrorVar(b []byte, set *settings, code int64) []byte {
	return spopwire.AppendSetVar(b, set.errVarScope, set.errVarName, spopwire.Int64Value(set.ErrorCodeBase+code))
}
