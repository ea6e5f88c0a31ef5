// Package spopwire is the wire format of HAProxy's Stream Processing Offload
// Protocol (SPOP 2.0): varints, typed data, frames, KV lists, message lists and
// action lists, as pure functions over byte slices.
//
// The API follows the shape of google.golang.org/protobuf/encoding/protowire:
// AppendX(b, v) []byte appends an encoding, ConsumeX(b) (v, n) decodes one,
// SizeX(v) int tells the encoded size. Nothing here reads or writes a socket,
// starts a goroutine or allocates on the decode and encode paths.
//
// # Three outcomes: one n convention
//
// Every function that reads input (ConsumeX, SkipX, ConsumeFrameInto) reports
// how it went in one int n, as protowire does:
//
//   - n >= 0: success, n bytes were read; b[n:] is what follows. Only
//     SkipArgs(b, 0) reads nothing.
//   - n < 0: failure, a code that ParseError turns into ErrNeedMore (the input
//     ends before the value does: read more and try again), ErrInvalidFrame
//     (the bytes can never be valid; status 4) or ErrFrameTooBig (a length
//     prefix above the negotiated maximum; status 3). StatusOf gives the
//     status an AGENT-DISCONNECT carries for it.
//
// Telling "need more" from corrupt is what a read loop needs, and costs one
// comparison: ParseError(n) == ErrNeedMore. Inside a complete frame "need
// more" is itself corrupt; the frame-level helpers (ConsumeFrameBody, the
// iterators) already report it as ErrInvalidFrame. HasWholeFrame tells,
// without decoding, whether a buffer holds a frame to hand to ConsumeFrame.
//
// # Views and their lifetime
//
// Decoded names, strings and binaries are views into the input slice, never
// copies: they stay valid only as long as the caller keeps that memory unchanged.
// In a spopkit server that is "until the handler returns"; copy (bytes.Clone,
// strings.Clone) what must outlive it.
//
// The protocol reference is HAProxy's doc/SPOE.txt; the byte-level digest the
// project works from is spop-reference.md (sections are cited as "ref §N").
// For a connection state machine use package server; to unit-test handlers use
// server/spoptest.
package spopwire
