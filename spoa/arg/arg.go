// Package arg is the runtime of the code spopgen generates: the typed argument
// fields of the message structs, the Dispatcher that walks a NOTIFY's messages
// and hands each to the generated dispatch switch, the Actions writer the
// generated setters wrap, and the version guard that ties generated code to
// this runtime. Agents import it through their generated file; to write a
// server.Handler by hand, use package server and spopwire instead.
//
// Every field can be absent: HAProxy sends NULL for a sample that failed or does
// not exist, and a message may lack an argument altogether. A field therefore
// knows whether it is set, and Get returns ok == false when it is not. A value of
// an unexpected type does not panic or fail the whole message: the field keeps
// the raw value and Err reports a *TypeError the handler can see.
//
// String, Bytes and Headers fields are views into the NOTIFY frame, valid until
// the handler returns; Clone copies them.
package arg

import (
	"bytes"
	"fmt"
	"net/netip"
	"strings"
	"unsafe"

	"github.com/spopkit/spopkit/spopwire"
)

// SupportPackageIsVersion2 is referenced by generated code. A future runtime
// that generated code of this version cannot use will drop the constant, and
// such code stops compiling instead of misbehaving. Version 2 moved the NOTIFY
// loop and the action writer into this package (Dispatcher, Actions).
const SupportPackageIsVersion2 = true

// State says what a field received.
type State uint8

// The states of a field.
const (
	Absent    State = iota // not sent (fewer arguments than declared, or a name mismatch)
	Null                   // sent as NULL: the sample failed or does not exist
	Set                    // sent with a value of the expected type
	WrongType              // sent with a value of another type: see Err
)

// TypeError reports an argument whose value had an unexpected type.
type TypeError struct {
	Want string        // what the field accepts, e.g. "IPV4 or IPV6"
	Got  spopwire.Type // what arrived
}

func (e *TypeError) Error() string {
	return fmt.Sprintf("arg: got %v, want %s", e.Got, e.Want)
}

// base is what every field shares: its state and, for a wrong type, the type
// that arrived.
type base struct {
	state State
	got   spopwire.Type // only for WrongType
}

// State returns what the field received.
func (b *base) State() State { return b.state }

// IsNull reports whether the field is absent or NULL.
func (b *base) IsNull() bool { return b.state == Absent || b.state == Null }

// settle records a NULL or a wrong type; it returns true when v is NULL.
func (b *base) settle(v spopwire.Value) bool {
	if v.IsNull() {
		b.state = Null
		return true
	}
	return false
}

func (b *base) wrong(v spopwire.Value) {
	b.state = WrongType
	b.got = v.Type()
}

func (b *base) err(want string) error {
	if b.state != WrongType {
		return nil
	}
	return &TypeError{Want: want, Got: b.got}
}

// Each field's Decode reads one typed value at the start of b into the field,
// straight from the bytes for the type HAProxy sends (through ConsumeValue and
// Set for the others), and returns the bytes read or a negative spopwire code.
// Generated decoders call them; the fast paths are small enough to inline.

// Addr is an address argument (IPV4 or IPV6), e.g. src or dst.
type Addr struct {
	base
	v netip.Addr
}

// Set stores a decoded value.
func (f *Addr) Set(v spopwire.Value) {
	switch {
	case f.settle(v):
	case v.Type() == spopwire.TypeIPv4 || v.Type() == spopwire.TypeIPv6:
		f.state, f.v = Set, v.Addr()
	default:
		f.wrong(v)
	}
}

// Decode reads one typed value from b (see the note above Addr).
func (f *Addr) Decode(b []byte) int {
	if len(b) >= 5 && b[0] == byte(spopwire.TypeIPv4) {
		f.state, f.v = Set, netip.AddrFrom4([4]byte(b[1:5]))
		return 5
	}
	return f.decodeSlow(b)
}

func (f *Addr) decodeSlow(b []byte) int {
	v, n := spopwire.ConsumeValue(b)
	if n > 0 {
		f.Set(v)
	}
	return n
}

// Get returns the address and whether it is set.
func (f Addr) Get() (netip.Addr, bool) { return f.v, f.state == Set }

// Or returns the address, or def when it is not set.
func (f Addr) Or(def netip.Addr) netip.Addr {
	if f.state == Set {
		return f.v
	}
	return def
}

// Err returns a *TypeError when a value of another type arrived.
func (f Addr) Err() error { return f.err("IPV4 or IPV6") }

// Int is an integer argument. HAProxy sends every integer as INT64; the other
// integer types are accepted too.
type Int struct {
	base
	v int64
}

// Set stores a decoded value.
func (f *Int) Set(v spopwire.Value) {
	switch {
	case f.settle(v):
	case v.Type().IsInteger():
		f.state, f.v = Set, v.Int64()
	default:
		f.wrong(v)
	}
}

// Decode reads one typed value from b (see the note above Addr).
func (f *Int) Decode(b []byte) int {
	if len(b) >= 2 && b[0] == byte(spopwire.TypeInt64) {
		u, n := spopwire.ConsumeVarint(b[1:])
		if n > 0 {
			f.state, f.v = Set, int64(u)
			return 1 + n
		}
	}
	return f.decodeSlow(b)
}

func (f *Int) decodeSlow(b []byte) int {
	v, n := spopwire.ConsumeValue(b)
	if n > 0 {
		f.Set(v)
	}
	return n
}

// Get returns the integer and whether it is set.
func (f Int) Get() (int64, bool) { return f.v, f.state == Set }

// Or returns the integer, or def when it is not set.
func (f Int) Or(def int64) int64 {
	if f.state == Set {
		return f.v
	}
	return def
}

// Err returns a *TypeError when a value of another type arrived.
func (f Int) Err() error { return f.err("an integer") }

// Bool is a boolean argument.
type Bool struct {
	base
	v bool
}

// Set stores a decoded value.
func (f *Bool) Set(v spopwire.Value) {
	switch {
	case f.settle(v):
	case v.Type() == spopwire.TypeBool:
		f.state, f.v = Set, v.Bool()
	default:
		f.wrong(v)
	}
}

// Decode reads one typed value from b (see the note above Addr).
func (f *Bool) Decode(b []byte) int {
	v, n := spopwire.ConsumeValue(b)
	if n > 0 {
		f.Set(v)
	}
	return n
}

// Get returns the boolean and whether it is set.
func (f Bool) Get() (bool, bool) { return f.v, f.state == Set }

// Or returns the boolean, or def when it is not set.
func (f Bool) Or(def bool) bool {
	if f.state == Set {
		return f.v
	}
	return def
}

// Err returns a *TypeError when a value of another type arrived.
func (f Bool) Err() error { return f.err("BOOL") }

// String is a text argument (STRING; BINARY is accepted too, since converters
// can turn one into the other). Its value is a view into the frame.
type String struct {
	base
	v []byte
}

// Set stores a decoded value.
func (f *String) Set(v spopwire.Value) {
	switch {
	case f.settle(v):
	case v.Type() == spopwire.TypeString || v.Type() == spopwire.TypeBinary:
		f.state, f.v = Set, v.Bytes()
	default:
		f.wrong(v)
	}
}

// Decode reads one typed value from b (see the note above Addr).
func (f *String) Decode(b []byte) int {
	if len(b) >= 2 && b[0] == byte(spopwire.TypeString) && b[1] < 240 {
		if end := 2 + int(b[1]); end <= len(b) {
			f.state, f.v = Set, b[2:end:end]
			return end
		}
	}
	return f.decodeSlow(b)
}

func (f *String) decodeSlow(b []byte) int {
	v, n := spopwire.ConsumeValue(b)
	if n > 0 {
		f.Set(v)
	}
	return n
}

// Get returns the text as a string view (no copy, valid until the handler
// returns) and whether it is set.
func (f String) Get() (string, bool) { return view(f.v), f.state == Set }

// Or returns the text as a string view, or def when it is not set.
func (f String) Or(def string) string {
	if f.state == Set {
		return view(f.v)
	}
	return def
}

// Bytes returns the text as a byte view (nil when not set, and may be nil
// when empty: Get tells the two apart).
func (f String) Bytes() []byte { return f.v }

// Clone returns a copy whose value no longer refers to the frame.
func (f String) Clone() String { f.v = bytes.Clone(f.v); return f }

// Err returns a *TypeError when a value of another type arrived.
func (f String) Err() error { return f.err("STRING") }

// Bytes is a binary argument (BINARY; STRING is accepted too), e.g. req.body.
// Its value is a view into the frame.
type Bytes struct {
	base
	v []byte
}

// Set stores a decoded value.
func (f *Bytes) Set(v spopwire.Value) {
	switch {
	case f.settle(v):
	case v.Type() == spopwire.TypeBinary || v.Type() == spopwire.TypeString:
		f.state, f.v = Set, v.Bytes()
	default:
		f.wrong(v)
	}
}

// Decode reads one typed value from b (see the note above Addr).
func (f *Bytes) Decode(b []byte) int {
	if len(b) >= 2 && b[0] == byte(spopwire.TypeBinary) && b[1] < 240 {
		if end := 2 + int(b[1]); end <= len(b) {
			f.state, f.v = Set, b[2:end:end]
			return end
		}
	}
	return f.decodeSlow(b)
}

func (f *Bytes) decodeSlow(b []byte) int {
	v, n := spopwire.ConsumeValue(b)
	if n > 0 {
		f.Set(v)
	}
	return n
}

// Get returns the bytes (a view, valid until the handler returns) and whether
// they are set.
func (f Bytes) Get() ([]byte, bool) { return f.v, f.state == Set }

// Or returns the bytes, or def when they are not set.
func (f Bytes) Or(def []byte) []byte {
	if f.state == Set {
		return f.v
	}
	return def
}

// Clone returns a copy whose value no longer refers to the frame.
func (f Bytes) Clone() Bytes { f.v = bytes.Clone(f.v); return f }

// Err returns a *TypeError when a value of another type arrived.
func (f Bytes) Err() error { return f.err("BINARY") }

// Headers is a req.hdrs_bin or res.hdrs_bin argument: the header block in
// HAProxy's binary form, decoded on demand.
type Headers struct {
	base
	v []byte
}

// Set stores a decoded value.
func (f *Headers) Set(v spopwire.Value) {
	switch {
	case f.settle(v):
	case v.Type() == spopwire.TypeBinary:
		f.state, f.v = Set, v.Bytes()
	default:
		f.wrong(v)
	}
}

// Decode reads one typed value from b (see the note above Addr).
func (f *Headers) Decode(b []byte) int {
	if len(b) >= 2 && b[0] == byte(spopwire.TypeBinary) && b[1] < 240 {
		if end := 2 + int(b[1]); end <= len(b) {
			f.state, f.v = Set, b[2:end:end]
			return end
		}
	}
	return f.decodeSlow(b)
}

func (f *Headers) decodeSlow(b []byte) int {
	v, n := spopwire.ConsumeValue(b)
	if n > 0 {
		f.Set(v)
	}
	return n
}

// Iter returns an iterator over the headers, in order, duplicates included.
func (f Headers) Iter() spopwire.HeaderIter { return spopwire.Headers(f.v) }

// Get returns the value of the first header with this name (names arrive in
// lower case; name is compared case-insensitively) and whether one exists.
func (f Headers) Get(name string) ([]byte, bool) {
	it := spopwire.Headers(f.v)
	for n, v, ok := it.Next(); ok; n, v, ok = it.Next() {
		if strings.EqualFold(view(n), name) {
			return v, true
		}
	}
	return nil, false
}

// Raw returns the encoded header block (a view).
func (f Headers) Raw() []byte { return f.v }

// Clone returns a copy whose value no longer refers to the frame.
func (f Headers) Clone() Headers { f.v = bytes.Clone(f.v); return f }

// Err returns a *TypeError when a value of another type arrived.
func (f Headers) Err() error { return f.err("BINARY (hdrs_bin)") }

// Value is an argument whose type spopgen could not infer: any typed value.
type Value struct {
	base
	v spopwire.Value
}

// Set stores a decoded value.
func (f *Value) Set(v spopwire.Value) {
	if !f.settle(v) {
		f.state, f.v = Set, v
	}
}

// Decode reads one typed value from b (see the note above Addr).
func (f *Value) Decode(b []byte) int {
	v, n := spopwire.ConsumeValue(b)
	if n > 0 {
		f.Set(v)
	}
	return n
}

// Get returns the value and whether it is set (not absent, not NULL).
func (f Value) Get() (spopwire.Value, bool) { return f.v, f.state == Set }

// Clone returns a copy whose value no longer refers to the frame.
func (f Value) Clone() Value {
	if b := f.v.Bytes(); b != nil {
		f.v = cloneValue(f.v)
	}
	return f
}

// Err is always nil: any type is accepted.
func (f Value) Err() error { return nil }

func cloneValue(v spopwire.Value) spopwire.Value {
	c := bytes.Clone(v.Bytes())
	if v.Type() == spopwire.TypeString {
		return spopwire.BytesStringValue(c)
	}
	return spopwire.BinaryValue(c)
}

func view(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	return unsafe.String(&b[0], len(b))
}
