// Package record captures what HAProxy sends to an agent and reads it back:
// each HAPROXY-HELLO and each complete NOTIFY (after fragment reassembly),
// with its arrival time and ids, in the file format of docs/RECORDING.md.
//
// A Writer is a server.Recorder (set it as server.Config.Recorder): the event
// loops hand it payloads without ever blocking, a goroutine of its own writes
// them, and a full queue drops records and counts them. A Reader reads a file
// back, up to its last whole record. Replay sends a recording to a running
// agent over SPOP, as HAProxy would; package spoptest replays one into a
// handler in a unit test.
//
// The package depends only on the standard library and spopwire.
package record
