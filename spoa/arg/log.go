package arg

import (
	"log/slog"
	"strconv"
	"strings"

	"github.com/spopkit/spopkit/spopwire"
)

// LogLimit bounds what String and LogValue print of a text or binary value:
// a longer one is cut and followed by its length, so that a request body or
// a header block does not flood a debug log.
const LogLimit = 128

// stateString renders a field that holds no value, and reports whether it
// does not.
func (b *base) stateString() (string, bool) {
	switch b.state {
	case Absent:
		return "<absent>", true
	case Null:
		return "<null>", true
	case WrongType:
		return "<wrong type: " + b.got.String() + ">", true
	}
	return "", false
}

// bounded returns s cut to LogLimit bytes, with its length when cut.
func bounded(s string) string {
	if len(s) <= LogLimit {
		return s
	}
	return s[:LogLimit] + "… (" + strconv.Itoa(len(s)) + " bytes)"
}

// boundedQuote is bounded for bytes that need not be text: Go-quoted.
func boundedQuote(b []byte) string {
	if len(b) <= LogLimit {
		return strconv.Quote(string(b))
	}
	return strconv.Quote(string(b[:LogLimit])) + "… (" + strconv.Itoa(len(b)) + " bytes)"
}

// String renders the address, or <absent>, <null>, <wrong type: T>.
func (f Addr) String() string {
	if s, ok := f.stateString(); ok {
		return s
	}
	return f.v.String()
}

// LogValue implements slog.LogValuer.
func (f Addr) LogValue() slog.Value { return slog.StringValue(f.String()) }

// String renders the integer, or <absent>, <null>, <wrong type: T>.
func (f Int) String() string {
	if s, ok := f.stateString(); ok {
		return s
	}
	return strconv.FormatInt(f.v, 10)
}

// LogValue implements slog.LogValuer: an integer when set.
func (f Int) LogValue() slog.Value {
	if f.state == Set {
		return slog.Int64Value(f.v)
	}
	return slog.StringValue(f.String())
}

// String renders the boolean, or <absent>, <null>, <wrong type: T>.
func (f Bool) String() string {
	if s, ok := f.stateString(); ok {
		return s
	}
	return strconv.FormatBool(f.v)
}

// LogValue implements slog.LogValuer: a boolean when set.
func (f Bool) LogValue() slog.Value {
	if f.state == Set {
		return slog.BoolValue(f.v)
	}
	return slog.StringValue(f.String())
}

// String renders the text (cut at LogLimit bytes, with its length), or
// <absent>, <null>, <wrong type: T>. Get returns it whole.
func (f String) String() string {
	if s, ok := f.stateString(); ok {
		return s
	}
	return bounded(string(f.v))
}

// LogValue implements slog.LogValuer (bounded as String).
func (f String) LogValue() slog.Value { return slog.StringValue(f.String()) }

// String renders the bytes Go-quoted (cut at LogLimit bytes, with their
// length), or <absent>, <null>, <wrong type: T>.
func (f Bytes) String() string {
	if s, ok := f.stateString(); ok {
		return s
	}
	return boundedQuote(f.v)
}

// LogValue implements slog.LogValuer (bounded as String).
func (f Bytes) LogValue() slog.Value { return slog.StringValue(f.String()) }

// String renders the headers as "name: value" lines joined by "; " (cut at
// LogLimit bytes, with the block's length), or <absent>, <null>,
// <wrong type: T>.
func (f Headers) String() string {
	if s, ok := f.stateString(); ok {
		return s
	}
	var b strings.Builder
	it := spopwire.Headers(f.v)
	for n, v, ok := it.Next(); ok && b.Len() <= LogLimit; n, v, ok = it.Next() {
		if b.Len() > 0 {
			b.WriteString("; ")
		}
		b.Write(n)
		b.WriteString(": ")
		b.Write(v)
	}
	if b.Len() <= LogLimit {
		return b.String()
	}
	return b.String()[:LogLimit] + "… (" + strconv.Itoa(len(f.v)) + " bytes)"
}

// LogValue implements slog.LogValuer (bounded as String).
func (f Headers) LogValue() slog.Value { return slog.StringValue(f.String()) }

// String renders the value with its type (`INT64 -1`, `STRING "GET"`, text
// and binary cut at LogLimit bytes with their length), or <absent>, <null>.
func (f Value) String() string {
	if s, ok := f.stateString(); ok {
		return s
	}
	switch f.v.Type() {
	case spopwire.TypeString:
		return "STRING " + boundedQuote(f.v.Bytes())
	case spopwire.TypeBinary:
		return "BINARY " + boundedQuote(f.v.Bytes())
	}
	return f.v.String()
}

// LogValue implements slog.LogValuer (bounded as String).
func (f Value) LogValue() slog.Value { return slog.StringValue(f.String()) }
