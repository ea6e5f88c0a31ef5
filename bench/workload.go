package bench

import (
	"bytes"
	"net/netip"

	"github.com/spopkit/spopkit/spopwire"
)

// Workload is the content of every NOTIFY of a run: one LIST-OF-MESSAGES
// payload, sent unchanged with fresh ids.
type Workload struct {
	Name    string // short label used in tables ("small", "heavy")
	Payload []byte // NOTIFY payload (LIST-OF-MESSAGES)
	Summary string // what the payload holds, for the report
}

// SmallWorkload is the reference workload: the one-argument check-client-ip
// message of HAProxy's iprep example (args ip=src), an IPv4 address.
func SmallWorkload() Workload {
	b := spopwire.AppendMessageHeader(nil, "check-client-ip", 1)
	b = spopwire.AppendArg(b, "ip", spopwire.AddrValue(netip.MustParseAddr("192.0.2.17")))
	return Workload{Name: "small", Payload: b, Summary: "check-client-ip, 1 arg (IPv4)"}
}

// HeavyWorkload is a request-inspection message with 13 arguments as HAProxy
// encodes them: an IPv6 source, IPv4 destination, INT64 ports and counts,
// STRING method, path, query, version, host and user-agent, BINARY headers
// (hdrs_bin) and a 1 KiB BINARY body.
func HeavyWorkload() Workload {
	var hdrs []byte
	for _, h := range [][2]string{
		{"host", "www.example.com"}, {"user-agent", "Mozilla/5.0 (X11; Linux x86_64) spopbench"},
		{"accept", "*/*"}, {"content-type", "application/json"}, {"x-request-id", "7f1c8e5a-2b44-4c55-9d11-aa0c3f2e9b10"},
	} {
		hdrs = spopwire.AppendHeader(hdrs, h[0], h[1])
	}
	hdrs = spopwire.AppendHeadersEnd(hdrs)
	body := bytes.Repeat([]byte(`{"k":"v"},`), 103)[:1024]
	args := []struct {
		name string
		v    spopwire.Value
	}{
		{"src", spopwire.AddrValue(netip.MustParseAddr("2001:db8:85a3::8a2e:370:7334"))},
		{"src_port", spopwire.Int64Value(51234)},
		{"dst", spopwire.AddrValue(netip.MustParseAddr("192.0.2.1"))},
		{"dst_port", spopwire.Int64Value(443)},
		{"method", spopwire.StringValue("POST")},
		{"path", spopwire.StringValue("/api/v1/orders/12345/items")},
		{"query", spopwire.StringValue("expand=true&page=2")},
		{"ver", spopwire.StringValue("1.1")},
		{"host", spopwire.StringValue("www.example.com")},
		{"ua", spopwire.StringValue("Mozilla/5.0 (X11; Linux x86_64) spopbench")},
		{"hdr_cnt", spopwire.Int64Value(5)},
		{"headers", spopwire.BinaryValue(hdrs)},
		{"body", spopwire.BinaryValue(body)},
	}
	b := spopwire.AppendMessageHeader(nil, "check-request", len(args))
	for _, a := range args {
		b = spopwire.AppendArg(b, a.name, a.v)
	}
	return Workload{Name: "heavy", Payload: b, Summary: "check-request, 13 args (IPv6, IPv4, 3 INT64, 6 STRING, hdrs_bin, 1 KiB body)"}
}

// haproxyHello returns a HAPROXY-HELLO frame as HAProxy 3.x sends it: version
// 2.0, max-frame-size 16380, "pipelining", an engine-id (ref §4.1).
func haproxyHello() []byte {
	return spopwire.AppendHAProxyHello(nil, spopwire.HAProxyHello{
		SupportedVersions: []byte(spopwire.Version),
		MaxFrameSize:      spopwire.DefaultMaxFrameSize,
		Capabilities:      spopwire.CapPipelining,
		EngineID:          []byte("5b0f8c3e-6a1d-4f2b-9c7e-3d2a1b0c9e8f"),
	})
}

// checkAgentHello validates an AGENT-HELLO payload the way HAProxy does:
// version 2.0, max-frame-size in [256, 16380], and pipelining when more than
// one NOTIFY will be in flight.
func checkAgentHello(f spopwire.Frame, pipelining bool) error {
	if f.Type != spopwire.FrameAgentHello || !f.Flags.Fin() || f.StreamID != 0 || f.FrameID != 0 {
		return errf("agent answered HELLO with %v flags=%#x ids=%d/%d", f.Type, uint32(f.Flags), f.StreamID, f.FrameID)
	}
	h, err := spopwire.ParseAgentHello(f.Payload)
	if err != nil {
		return errf("AGENT-HELLO: %v", err)
	}
	if string(bytes.TrimSpace(h.Version)) != spopwire.Version {
		return errf("AGENT-HELLO version %q; want %q", h.Version, spopwire.Version)
	}
	if h.MaxFrameSize < spopwire.MinMaxFrameSize || h.MaxFrameSize > spopwire.DefaultMaxFrameSize {
		return errf("AGENT-HELLO max-frame-size %d out of [256, 16380]", h.MaxFrameSize)
	}
	if pipelining && !h.Capabilities.Has(spopwire.CapPipelining) {
		return errf("AGENT-HELLO lacks pipelining (capabilities %v)", h.Capabilities)
	}
	return nil
}

// checkAckPayload reports whether an ACK payload decodes as a list of at least
// one action.
func checkAckPayload(p []byte) bool {
	it := spopwire.Actions(p)
	n := 0
	for _, ok := it.Next(); ok; _, ok = it.Next() {
		n++
	}
	return it.Err() == nil && n > 0
}
