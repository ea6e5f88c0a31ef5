// Package server runs SPOE agents: it accepts HAProxy's SPOP connections,
// performs the handshake, and feeds every NOTIFY to a Handler on the event loop
// that owns the connection, appending the ACK to that connection's output buffer.
//
// On Linux the default engine runs one event loop per core, each pinned to an
// OS thread with its own SO_REUSEPORT listener and epoll instance; elsewhere (or
// on request) a portable engine runs a goroutine per connection. Both share one
// protocol state machine.
//
// Use package spopwire for the wire format itself and server/spoptest to
// unit-test handlers without sockets.
package server
