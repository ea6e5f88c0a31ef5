package spopwire_test

import (
	"encoding/hex"
	"fmt"
	"net/netip"
	"strings"
	"unsafe"

	"github.com/spopkit/spopkit/spopwire"
)

// dhex decodes a hex string written the way spop-reference.md prints bytes:
// spaces between pairs are ignored, `"text"` inserts the text's bytes. It
// panics on a malformed string (a broken test table, not a test failure).
func dhex(s string) []byte {
	var out []byte
	for s != "" {
		switch {
		case s[0] == ' ' || s[0] == '\n' || s[0] == '\t':
			s = s[1:]
		case s[0] == '"':
			end := strings.IndexByte(s[1:], '"')
			if end < 0 {
				panic("dhex: unterminated quote in " + s)
			}
			out = append(out, s[1:1+end]...)
			s = s[2+end:]
		default:
			if len(s) < 2 {
				panic("dhex: odd hex digit in " + s)
			}
			b, err := hex.DecodeString(s[:2])
			if err != nil {
				panic(err)
			}
			out = append(out, b...)
			s = s[2:]
		}
	}
	return out
}

// nstr renders the n of a ConsumeX call for failure lines: "n=3", "need more",
// "invalid", "too big".
func nstr(n int) string {
	if n >= 0 {
		return fmt.Sprintf("n=%d", n)
	}
	switch spopwire.ParseError(n) {
	case spopwire.ErrNeedMore:
		return "need more"
	case spopwire.ErrInvalidFrame:
		return "invalid"
	case spopwire.ErrFrameTooBig:
		return "too big"
	}
	return fmt.Sprintf("n=%d (unknown code)", n)
}

// wantN renders the expected outcome of a table row: wantErr when set, else n.
func wantN(n int, wantErr error) string {
	switch wantErr {
	case nil:
		return fmt.Sprintf("n=%d", n)
	case spopwire.ErrNeedMore:
		return "need more"
	case spopwire.ErrInvalidFrame:
		return "invalid"
	case spopwire.ErrFrameTooBig:
		return "too big"
	}
	return wantErr.Error()
}

// Value constructors that keep the tables short.
var null = spopwire.Null()

func str(s string) spopwire.Value   { return spopwire.StringValue(s) }
func bin(s string) spopwire.Value   { return spopwire.BinaryValue([]byte(s)) }
func boolean(b bool) spopwire.Value { return spopwire.BoolValue(b) }
func i32(v int32) spopwire.Value    { return spopwire.Int32Value(v) }
func u32(v uint32) spopwire.Value   { return spopwire.Uint32Value(v) }
func i64(v int64) spopwire.Value    { return spopwire.Int64Value(v) }
func u64(v uint64) spopwire.Value   { return spopwire.Uint64Value(v) }
func ip(s string) spopwire.Value    { return spopwire.AddrValue(netip.MustParseAddr(s)) }

// within reports whether view lies inside buf's memory (an empty view always
// does): decoded names and values must be views, never copies or foreign memory.
func within(view, buf []byte) bool {
	if len(view) == 0 {
		return true
	}
	if len(buf) == 0 {
		return false
	}
	lo := uintptr(unsafe.Pointer(unsafe.SliceData(buf)))
	hi := lo + uintptr(len(buf))
	p := uintptr(unsafe.Pointer(unsafe.SliceData(view)))
	return p >= lo && p+uintptr(len(view)) <= hi
}
