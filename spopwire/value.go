package spopwire

import (
	"encoding/binary"
	"encoding/hex"
	"net/netip"
	"strconv"
	"unsafe"
)

// Type is the type of a typed-data value: the low 4 bits of its type byte
// (ref §3.1).
type Type uint8

// The ten SPOP data types. HAProxy sends only NULL, BOOL, INT64, IPV4, IPV6,
// STRING and BINARY in NOTIFY frames; every integer sample arrives as INT64.
const (
	TypeNull   Type = 0
	TypeBool   Type = 1
	TypeInt32  Type = 2
	TypeUint32 Type = 3
	TypeInt64  Type = 4
	TypeUint64 Type = 5
	TypeIPv4   Type = 6
	TypeIPv6   Type = 7
	TypeString Type = 8
	TypeBinary Type = 9
)

var typeNames = [...]string{"NULL", "BOOL", "INT32", "UINT32", "INT64", "UINT64", "IPV4", "IPV6", "STRING", "BINARY"}

// String returns the type's name as SPOE.txt spells it ("INT64", "IPV4", …).
func (t Type) String() string {
	if int(t) < len(typeNames) {
		return typeNames[t]
	}
	return "TYPE(" + strconv.Itoa(int(t)) + ")"
}

// IsInteger reports whether t is one of the four integer types.
func (t Type) IsInteger() bool { return t >= TypeInt32 && t <= TypeUint64 }

const boolTrueFlag = 0x10 // flags nibble of a true BOOL: 0x11 is true, 0x01 false

// Value is one typed-data value. The zero Value is NULL.
//
// A decoded STRING or BINARY value is a view into the decoded buffer and is
// valid only as long as that buffer is (see the package doc). A Value built
// from a Go string refers to that string's bytes, which are never written.
//
// Compare values with Equal: == and reflect.DeepEqual see where a STRING's
// or a BINARY's bytes are, not what they hold.
type Value struct {
	// Four words, no more: the compiler then keeps a Value in registers. A
	// bigger struct is copied through memory on every call and method
	// (value receivers), at a store-forwarding stall each time.
	typ Type
	num uint64 // BOOL (0 or 1), integers (two's complement), the length of STRING and BINARY, an IPV4 address, the low 64 bits of an IPV6 one
	hi  uint64 // IPV6: the high 64 bits
	// STRING and BINARY: the first byte, nil when empty. An unsafe.Pointer,
	// not a *byte, so that reflect.DeepEqual compares where two values'
	// bytes are, never only their first byte.
	ptr unsafe.Pointer
}

// bytesValue returns a STRING or BINARY value viewing b.
func bytesValue(typ Type, b []byte) Value {
	if len(b) == 0 {
		return Value{typ: typ}
	}
	return Value{typ: typ, num: uint64(len(b)), ptr: unsafe.Pointer(unsafe.SliceData(b))}
}

// Null returns the NULL value.
func Null() Value { return Value{} }

// BoolValue returns a BOOL value.
func BoolValue(v bool) Value {
	if v {
		return Value{typ: TypeBool, num: 1}
	}
	return Value{typ: TypeBool}
}

// Int32Value returns an INT32 value. Negative values are encoded as the varint
// of their 64-bit two's complement, as HAProxy expects (ref §2.4).
func Int32Value(v int32) Value { return Value{typ: TypeInt32, num: uint64(int64(v))} }

// Uint32Value returns a UINT32 value.
func Uint32Value(v uint32) Value { return Value{typ: TypeUint32, num: uint64(v)} }

// Int64Value returns an INT64 value, HAProxy's own integer type.
func Int64Value(v int64) Value { return Value{typ: TypeInt64, num: uint64(v)} }

// Uint64Value returns a UINT64 value. HAProxy stores integers as int64, so
// values above 2^63-1 read back negative there.
func Uint64Value(v uint64) Value { return Value{typ: TypeUint64, num: v} }

// AddrValue returns an IPV4 value for an IPv4 address and an IPV6 value for
// any other valid address (IPv4-mapped IPv6 stays IPV6). An invalid Addr gives NULL.
func AddrValue(a netip.Addr) Value {
	switch {
	case a.Is4():
		b := a.As4()
		return Value{typ: TypeIPv4, num: uint64(binary.BigEndian.Uint32(b[:]))}
	case a.IsValid():
		b := a.As16()
		return Value{typ: TypeIPv6, hi: binary.BigEndian.Uint64(b[:8]), num: binary.BigEndian.Uint64(b[8:])}
	}
	return Value{}
}

// StringValue returns a STRING value referring to s's bytes (no copy).
func StringValue(s string) Value {
	return bytesValue(TypeString, unsafe.Slice(unsafe.StringData(s), len(s)))
}

// BytesStringValue returns a STRING value referring to b (no copy).
func BytesStringValue(b []byte) Value { return bytesValue(TypeString, b) }

// BinaryValue returns a BINARY value referring to b (no copy).
func BinaryValue(b []byte) Value { return bytesValue(TypeBinary, b) }

// Type returns the value's type.
func (v Value) Type() Type { return v.typ }

// IsNull reports whether v is NULL (an absent or failed sample).
func (v Value) IsNull() bool { return v.typ == TypeNull }

// Bool returns the value of a BOOL (false for other types).
func (v Value) Bool() bool { return v.typ == TypeBool && v.num != 0 }

// Int64 returns an integer value as HAProxy reads it: the 64 bits as int64.
// It returns 0 for non-integer types.
func (v Value) Int64() int64 {
	if !v.typ.IsInteger() {
		return 0
	}
	return int64(v.num)
}

// Uint64 returns an integer value's 64 bits unsigned (0 for non-integer types).
func (v Value) Uint64() uint64 {
	if !v.typ.IsInteger() {
		return 0
	}
	return v.num
}

// Addr returns the address of an IPV4 or IPV6 value (the zero Addr otherwise).
func (v Value) Addr() netip.Addr {
	switch v.typ {
	case TypeIPv4:
		var a [4]byte
		binary.BigEndian.PutUint32(a[:], uint32(v.num))
		return netip.AddrFrom4(a)
	case TypeIPv6:
		var a [16]byte
		binary.BigEndian.PutUint64(a[:8], v.hi)
		binary.BigEndian.PutUint64(a[8:], v.num)
		return netip.AddrFrom16(a)
	}
	return netip.Addr{}
}

// Bytes returns the bytes of a STRING or BINARY value, as a view; nil when
// the value is empty or of another type.
func (v Value) Bytes() []byte {
	if v.ptr == nil {
		return nil
	}
	return unsafe.Slice((*byte)(v.ptr), v.num)
}

// StringView returns the bytes of a STRING or BINARY value as a string that
// shares their memory: no copy, valid exactly as long as the decoded buffer
// (see the package doc). Use strings.Clone to keep it.
func (v Value) StringView() string {
	if v.ptr == nil {
		return ""
	}
	return unsafe.String((*byte)(v.ptr), v.num)
}

// Equal reports whether v and w have the same type and value.
func (v Value) Equal(w Value) bool {
	if v.typ != w.typ || v.num != w.num || v.hi != w.hi {
		return false
	}
	return v.ptr == w.ptr || v.StringView() == w.StringView()
}

// String renders v for logs and test failures: `INT64 -1`, `STRING "GET"`,
// `BINARY 00ff10`, `IPV4 127.0.0.1`. It allocates; it is not the hot path.
func (v Value) String() string {
	switch v.typ {
	case TypeNull:
		return "NULL"
	case TypeBool:
		return "BOOL " + strconv.FormatBool(v.Bool())
	case TypeInt32, TypeInt64:
		return v.typ.String() + " " + strconv.FormatInt(int64(v.num), 10)
	case TypeUint32, TypeUint64:
		return v.typ.String() + " " + strconv.FormatUint(v.num, 10)
	case TypeIPv4, TypeIPv6:
		return v.typ.String() + " " + v.Addr().String()
	case TypeString:
		return "STRING " + strconv.Quote(v.StringView())
	case TypeBinary:
		return "BINARY " + hex.EncodeToString(v.Bytes())
	}
	return v.typ.String()
}

// AppendValue appends v as typed data (type byte, then the value).
func AppendValue(b []byte, v Value) []byte {
	switch v.typ {
	case TypeBool:
		if v.num != 0 {
			return append(b, byte(TypeBool)|boolTrueFlag)
		}
		return append(b, byte(TypeBool))
	case TypeInt32, TypeUint32, TypeInt64, TypeUint64:
		return AppendVarint(append(b, byte(v.typ)), v.num)
	case TypeIPv4:
		return binary.BigEndian.AppendUint32(append(b, byte(TypeIPv4)), uint32(v.num))
	case TypeIPv6:
		b = binary.BigEndian.AppendUint64(append(b, byte(TypeIPv6)), v.hi)
		return binary.BigEndian.AppendUint64(b, v.num)
	case TypeString, TypeBinary:
		return AppendRawBytes(append(b, byte(v.typ)), v.Bytes())
	}
	return append(b, byte(TypeNull))
}

// SizeValue returns the number of bytes AppendValue uses for v.
func SizeValue(v Value) int {
	switch v.typ {
	case TypeInt32, TypeUint32, TypeInt64, TypeUint64:
		return 1 + SizeVarint(v.num)
	case TypeIPv4:
		return 5
	case TypeIPv6:
		return 17
	case TypeString, TypeBinary:
		return 1 + SizeVarint(v.num) + int(v.num)
	}
	return 1
}

// ConsumeValue decodes one typed-data value from the start of b. Types 10–15
// are invalid: their length is unknowable. The flags nibble is ignored except
// for BOOL, where only 0x1 means true (as in HAProxy).
func ConsumeValue(b []byte) (Value, int) {
	if len(b) == 0 {
		return Value{}, codeNeedMore
	}
	typ := Type(b[0] & 0x0F)
	switch typ {
	case TypeNull:
		return Value{}, 1
	case TypeBool:
		if b[0]&0xF0 == boolTrueFlag {
			return Value{typ: TypeBool, num: 1}, 1
		}
		return Value{typ: TypeBool}, 1
	case TypeInt32, TypeUint32, TypeInt64, TypeUint64:
		u, n := ConsumeVarint(b[1:])
		if n < 0 {
			return Value{}, n
		}
		return Value{typ: typ, num: u}, 1 + n
	case TypeIPv4:
		if len(b) < 5 {
			return Value{}, codeNeedMore
		}
		return Value{typ: TypeIPv4, num: uint64(binary.BigEndian.Uint32(b[1:5]))}, 5
	case TypeIPv6:
		if len(b) < 17 {
			return Value{}, codeNeedMore
		}
		return Value{typ: TypeIPv6, hi: binary.BigEndian.Uint64(b[1:9]), num: binary.BigEndian.Uint64(b[9:17])}, 17
	case TypeString, TypeBinary:
		s, n := ConsumeRawBytes(b[1:])
		if n < 0 {
			return Value{}, n
		}
		return bytesValue(typ, s), 1 + n
	}
	return Value{}, codeInvalid
}

// SkipValue returns the length of the typed-data value at the start of b,
// as ConsumeValue would, without building the Value: a cheap pass that checks
// a payload before it is decoded for real.
func SkipValue(b []byte) int {
	if len(b) == 0 {
		return codeNeedMore
	}
	switch Type(b[0] & 0x0F) {
	case TypeNull, TypeBool:
		return 1
	case TypeInt32, TypeUint32, TypeInt64, TypeUint64:
		_, n := ConsumeVarint(b[1:])
		if n < 0 {
			return n
		}
		return 1 + n
	case TypeIPv4:
		return fixedSize(b, 5)
	case TypeIPv6:
		return fixedSize(b, 17)
	case TypeString, TypeBinary:
		n := skipRawBytes(b[1:])
		if n < 0 {
			return n
		}
		return 1 + n
	}
	return codeInvalid
}

func fixedSize(b []byte, size int) int {
	if len(b) < size {
		return codeNeedMore
	}
	return size
}

// AppendRawString appends a raw string: varint length then bytes, no type
// byte. Names (KV keys, message, argument and variable names) are raw strings.
func AppendRawString(b []byte, s string) []byte {
	return append(AppendVarint(b, uint64(len(s))), s...)
}

// AppendRawBytes is AppendRawString for a byte slice.
func AppendRawBytes(b []byte, s []byte) []byte {
	return append(AppendVarint(b, uint64(len(s))), s...)
}

// SizeRawString returns the number of bytes AppendRawString uses for a string
// of length n.
func SizeRawString(n int) int { return SizeVarint(uint64(n)) + n }

// ConsumeRawBytes decodes a raw string and returns a view of its bytes.
func ConsumeRawBytes(b []byte) ([]byte, int) {
	if len(b) > 0 && b[0] < 240 { // a one-byte length: names and most values
		end := 1 + int(b[0])
		if end <= len(b) {
			return b[1:end:end], end
		}
		return nil, codeNeedMore
	}
	return consumeRawBytesLong(b)
}

// skipRawBytes is ConsumeRawBytes without the view, small enough to inline
// into the skipping loops.
func skipRawBytes(b []byte) int {
	if len(b) > 0 && b[0] < 240 && int(b[0]) < len(b) {
		return 1 + int(b[0])
	}
	_, n := consumeRawBytesLong(b)
	return n
}

func consumeRawBytesLong(b []byte) ([]byte, int) {
	l, n := ConsumeVarint(b)
	if n < 0 {
		return nil, n
	}
	if l > uint64(len(b)-n) {
		return nil, codeNeedMore
	}
	end := n + int(l)
	return b[n:end:end], end
}
