package spopwire

import "bytes"

// Version is the only SPOP version HAProxy speaks, and the one agents reply.
const Version = "2.0"

// Capabilities is a set of the capability tokens that have a meaning (ref §6).
type Capabilities uint8

// The known capabilities. A capability is used only when both sides announce
// it; HAProxy 3.1+ uses only pipelining.
const (
	CapPipelining    Capabilities = 1 << iota // several NOTIFYs in flight per connection
	CapAsync                                  // an ACK may use another connection of the engine (2.x)
	CapFragmentation                          // the agent reassembles fragmented NOTIFYs (2.x)
)

var capNames = [...]struct {
	c    Capabilities
	name string
}{{CapPipelining, "pipelining"}, {CapAsync, "async"}, {CapFragmentation, "fragmentation"}}

// ParseCapabilities parses a comma-separated capabilities list: spaces around
// tokens are ignored, tokens match exactly and case-sensitively, unknown tokens
// are ignored.
func ParseCapabilities(list []byte) Capabilities {
	var c Capabilities
	for len(list) > 0 {
		tok := list
		if i := bytes.IndexByte(list, ','); i >= 0 {
			tok, list = list[:i], list[i+1:]
		} else {
			list = nil
		}
		tok = bytes.Trim(tok, " \t")
		for _, cn := range capNames {
			if string(tok) == cn.name {
				c |= cn.c
			}
		}
	}
	return c
}

// Has reports whether every capability in o is in c.
func (c Capabilities) Has(o Capabilities) bool { return c&o == o }

// AppendList appends c as a comma-separated list in the canonical order
// "pipelining,async,fragmentation".
func (c Capabilities) AppendList(b []byte) []byte {
	first := true
	for _, cn := range capNames {
		if c&cn.c == 0 {
			continue
		}
		if !first {
			b = append(b, ',')
		}
		b = append(b, cn.name...)
		first = false
	}
	return b
}

// String returns the comma-separated list.
func (c Capabilities) String() string { return string(c.AppendList(nil)) }

// appendCapabilitiesKV appends the capabilities key with its STRING value
// without building the list in a temporary buffer.
func appendCapabilitiesKV(b []byte, c Capabilities) []byte {
	b = AppendRawString(b, KeyCapabilities)
	var tmp [32]byte
	list := c.AppendList(tmp[:0])
	return AppendRawBytes(append(b, byte(TypeString)), list)
}

// VersionSupported reports whether a supported-versions list offers a 2.x
// version (ref §4.4): entries are "MAJOR.MINOR", comma-separated, spaces ignored.
func VersionSupported(list []byte) bool {
	for len(list) > 0 {
		tok := list
		if i := bytes.IndexByte(list, ','); i >= 0 {
			tok, list = list[:i], list[i+1:]
		} else {
			list = nil
		}
		if major, ok := versionMajor(bytes.Trim(tok, " \t")); ok && major == 2 {
			return true
		}
	}
	return false
}

// versionMajor parses "MAJOR.MINOR" with decimal digits on both sides.
func versionMajor(v []byte) (int, bool) {
	dot := bytes.IndexByte(v, '.')
	if dot <= 0 || dot == len(v)-1 {
		return 0, false
	}
	major := 0
	for _, c := range v[:dot] {
		if c < '0' || c > '9' || major > 1000 {
			return 0, false
		}
		major = major*10 + int(c-'0')
	}
	for _, c := range v[dot+1:] {
		if c < '0' || c > '9' {
			return 0, false
		}
	}
	return major, true
}
