package server

import "errors"

// Errors returned by the server and by Request.Offload.
var (
	ErrServerClosed     = errors.New("server: closed")
	ErrOverloaded       = errors.New("server: offload queue full")
	ErrAlreadyOffloaded = errors.New("server: request already offloaded")
	ErrNoWorkers        = errors.New("server: no worker pool")
	ErrAckTooBig        = errors.New("server: actions exceed the negotiated max-frame-size")
)
