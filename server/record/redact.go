package record

import (
	"fmt"
	"net/netip"
	"strings"

	"github.com/spopkit/spopkit/spopwire"
)

// Redaction replaces the values of chosen message arguments with the zero
// value of their type (0, false, "", empty binary, 0.0.0.0, ::), so that a
// recording keeps the shape of the traffic without its secrets.
type Redaction struct {
	args map[string]map[string]bool // message name → argument names
}

// ParseRedaction parses "MSG.ARG" items. The split is at the last dot, so
// message names may contain dots; ARG "*" redacts every argument of MSG.
func ParseRedaction(items []string) (*Redaction, error) {
	r := &Redaction{args: map[string]map[string]bool{}}
	for _, it := range items {
		i := strings.LastIndexByte(it, '.')
		if i <= 0 || i == len(it)-1 {
			return nil, fmt.Errorf("record: redaction %q is not MSG.ARG", it)
		}
		msg, arg := it[:i], it[i+1:]
		if r.args[msg] == nil {
			r.args[msg] = map[string]bool{}
		}
		r.args[msg][arg] = true
	}
	return r, nil
}

// Empty reports whether r redacts nothing.
func (r *Redaction) Empty() bool { return r == nil || len(r.args) == 0 }

// Apply appends payload to dst with the chosen arguments' values zeroed. A
// payload it cannot parse is replaced by nothing: a malformed NOTIFY never
// reaches the handler (the server checks), and a redacted file must not leak.
func (r *Redaction) Apply(dst, payload []byte) ([]byte, bool) {
	it := spopwire.Messages(payload)
	for m, ok := it.Next(); ok; m, ok = it.Next() {
		names := r.args[string(m.Name)]
		dst = spopwire.AppendMessageHeader(dst, string(m.Name), m.NumArgs)
		args := m.Args()
		for a, ok := args.Next(); ok; a, ok = args.Next() {
			v := a.Value
			if names != nil && (names[string(a.Name)] || names["*"]) {
				v = zeroValue(v.Type())
			}
			dst = spopwire.AppendArg(dst, string(a.Name), v)
		}
	}
	return dst, it.Err() == nil
}

func zeroValue(t spopwire.Type) spopwire.Value {
	switch t {
	case spopwire.TypeBool:
		return spopwire.BoolValue(false)
	case spopwire.TypeInt32:
		return spopwire.Int32Value(0)
	case spopwire.TypeUint32:
		return spopwire.Uint32Value(0)
	case spopwire.TypeInt64:
		return spopwire.Int64Value(0)
	case spopwire.TypeUint64:
		return spopwire.Uint64Value(0)
	case spopwire.TypeIPv4:
		return spopwire.AddrValue(netip.IPv4Unspecified())
	case spopwire.TypeIPv6:
		return spopwire.AddrValue(netip.IPv6Unspecified())
	case spopwire.TypeString:
		return spopwire.StringValue("")
	case spopwire.TypeBinary:
		return spopwire.BinaryValue(nil)
	}
	return spopwire.Null()
}
