package server

import (
	"errors"
	"fmt"
	"strconv"

	"github.com/spopkit/spopkit/spopwire"
)

// Errors returned by the server and by Request.Offload.
var (
	// ErrServerClosed is returned by ListenAndServe and Serve after Shutdown
	// or Close, and by Start on a stopped server.
	ErrServerClosed = errors.New("server: closed")
	// ErrOverloaded is returned by Request.Offload when the worker queue is
	// full; the NOTIFY is answered with ErrorCodeOverloaded.
	ErrOverloaded = errors.New("server: offload queue full")
	// ErrAlreadyOffloaded is returned by a second Request.Offload for one NOTIFY.
	ErrAlreadyOffloaded = errors.New("server: request already offloaded")
	// ErrNoWorkers is returned by Request.Offload when Config.Workers is negative.
	ErrNoWorkers = errors.New("server: no worker pool")
	// ErrAckTooBig is what Actions.Err reports once the actions exceed the
	// negotiated max-frame-size; the NOTIFY is answered with ErrorCodeAckTooBig.
	ErrAckTooBig = errors.New("server: actions exceed the negotiated max-frame-size")
	// ErrNotInHandler is returned by Request.Offload called after HandleNotify
	// returned (the Request was kept, which the Handler contract forbids).
	ErrNotInHandler = errors.New("server: Offload called outside HandleNotify")
	// ErrServerStarted is returned by Start, Serve and ListenAndServe on a
	// server that was already started.
	ErrServerStarted = errors.New("server: already started")
)

// HandlerError reports a NOTIFY that was answered with the error variable
// (Config.ErrorVar) instead of the handler's actions. Config.OnError receives it.
type HandlerError struct {
	Code              int64 // ErrorCodeHandler, ErrorCodePanic, ErrorCodeAckTooBig or ErrorCodeOverloaded
	ConnID            uint64
	StreamID, FrameID uint64
	Offloaded         bool  // the failure happened in an OffloadFunc
	Err               error // the handler's error, a *PanicError, ErrAckTooBig or ErrOverloaded
}

// Error describes the failure with its connection and NOTIFY ids.
func (e *HandlerError) Error() string {
	where := "handler"
	if e.Offloaded {
		where = "offloaded handler"
	}
	return fmt.Sprintf("server: conn %d NOTIFY %d/%d: %s failed (error code %d): %v",
		e.ConnID, e.StreamID, e.FrameID, where, e.Code, e.Err)
}

// Unwrap returns the underlying error.
func (e *HandlerError) Unwrap() error { return e.Err }

// PanicError is a panic recovered from a handler or an OffloadFunc.
type PanicError struct {
	Value any    // the value passed to panic
	Stack []byte // the goroutine's stack at the panic
}

// Error returns "panic: " and the panic value.
func (e *PanicError) Error() string { return fmt.Sprintf("panic: %v", e.Value) }

// ConnError reports a connection that the agent ended with an AGENT-DISCONNECT
// because HAProxy (or whoever connected) broke the protocol. Config.OnError
// receives it.
type ConnError struct {
	ConnID uint64
	Status spopwire.Status // the status sent in AGENT-DISCONNECT
	Reason string          // the message sent with it
}

// Error describes the closed connection and the status sent.
func (e *ConnError) Error() string {
	return "server: conn " + strconv.FormatUint(e.ConnID, 10) + " closed with status " +
		strconv.FormatUint(uint64(e.Status), 10) + ": " + e.Reason
}
