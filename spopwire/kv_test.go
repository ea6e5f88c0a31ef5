package spopwire_test

import (
	"bytes"
	"strings"
	"testing"

	"github.com/spopkit/spopkit/spopwire"
)

func TestKV(t *testing.T) {
	tests := []struct {
		key string
		v   spopwire.Value
		raw string
	}{
		// Keys are raw strings, values typed data (ref §3.4).
		{"version", str("2.0"), `07 "version" 08 03 "2.0"`},
		{"max-frame-size", u32(16380), `0e "max-frame-size" 03 fc f0 06`},
		{"capabilities", str(""), `0c "capabilities" 08 00`},
		{"healthcheck", boolean(true), `0b "healthcheck" 11`},
		{"status-code", u32(0), `0b "status-code" 03 00`},
		{"x", null, `01 "x" 00`},
		{"addr", ip("::1"), `04 "addr" 07 00000000000000000000000000000001`},
	}
	for _, tt := range tests {
		raw := dhex(tt.raw)
		if got := spopwire.AppendKV(nil, tt.key, tt.v); !bytes.Equal(got, raw) {
			t.Errorf("AppendKV(nil, %q, %v) = %x; want %x", tt.key, tt.v, got, raw)
		}
		key, v, n := spopwire.ConsumeKV(raw)
		if string(key) != tt.key || !v.Equal(tt.v) || n != len(raw) {
			t.Errorf("ConsumeKV(%x) = %q, %v, %s; want %q, %v, n=%d", raw, key, v, nstr(n), tt.key, tt.v, len(raw))
		}
		for i := range len(raw) {
			if _, _, n := spopwire.ConsumeKV(raw[:i]); spopwire.ParseError(n) != spopwire.ErrNeedMore {
				t.Errorf("ConsumeKV(%x) = %s; want need more", raw[:i], nstr(n))
			}
		}
	}

	// An empty key is an invalid frame (HAProxy: status 4, ref §4.6).
	for _, raw := range []string{"00 08 00", "00 11", "00"} {
		if _, _, n := spopwire.ConsumeKV(dhex(raw)); spopwire.ParseError(n) != spopwire.ErrInvalidFrame {
			t.Errorf("ConsumeKV(%s) = %s; want invalid", raw, nstr(n))
		}
	}
	// A bad value is reported as such.
	if _, _, n := spopwire.ConsumeKV(dhex(`01 "k" 0a`)); spopwire.ParseError(n) != spopwire.ErrInvalidFrame {
		t.Errorf("ConsumeKV(key, reserved type) = %s; want invalid", nstr(n))
	}
}

func TestKVIter(t *testing.T) {
	type item struct {
		key string
		v   spopwire.Value
	}
	tests := []struct {
		name    string
		payload string
		want    []item
		wantErr error
	}{
		{"empty", "", nil, nil},
		{"three", `01 "a" 00  01 "b" 11  01 "c" 08 02 "hi"`,
			[]item{{"a", null}, {"b", boolean(true)}, {"c", str("hi")}}, nil},
		{"duplicate keys kept", `01 "a" 04 01  01 "a" 04 02`,
			[]item{{"a", i64(1)}, {"a", i64(2)}}, nil},
		// Items before a bad one are still returned; the error then sticks.
		{"empty key", `01 "a" 00  00 00  01 "b" 00`, []item{{"a", null}}, spopwire.ErrInvalidFrame},
		{"reserved type", `01 "a" 00  01 "b" 0c`, []item{{"a", null}}, spopwire.ErrInvalidFrame},
		{"truncated", `01 "a" 00  01 "b" 08 05 "abc"`, []item{{"a", null}}, spopwire.ErrInvalidFrame},
		{"key only", `01 "a"`, nil, spopwire.ErrInvalidFrame},
	}
	for _, tt := range tests {
		payload := dhex(tt.payload)
		it := spopwire.KVs(payload)
		var got []item
		for key, v, ok := it.Next(); ok; key, v, ok = it.Next() {
			if !within(key, payload) || !within(v.Bytes(), payload) {
				t.Errorf("%s: KVs: key %q or value %v is not a view into the payload", tt.name, key, v)
			}
			got = append(got, item{string(key), v})
		}
		if it.Err() != tt.wantErr {
			t.Errorf("%s: KVs(%x).Err() = %v; want %v", tt.name, payload, it.Err(), tt.wantErr)
		}
		if len(got) != len(tt.want) {
			t.Errorf("%s: KVs(%x) gave %d items; want %d", tt.name, payload, len(got), len(tt.want))
			continue
		}
		for i := range got {
			if got[i].key != tt.want[i].key || !got[i].v.Equal(tt.want[i].v) {
				t.Errorf("%s: item %d = %q %v; want %q %v", tt.name, i, got[i].key, got[i].v, tt.want[i].key, tt.want[i].v)
			}
		}
		// Next after the end (or an error) keeps saying no.
		if _, _, ok := it.Next(); ok {
			t.Errorf("%s: Next after the end = ok", tt.name)
		}
	}
}

// helloHealthcheck is the health-check HAPROXY-HELLO of ref §4.2, byte for byte
// the same in 2.6 and 3.x (82 bytes on the wire).
const helloHealthcheck = `00 00 00 4e 01 00 00 00 01 00 00
	12 "supported-versions" 08 03 "2.0"
	0e "max-frame-size"     03 fc f0 06
	0c "capabilities"       08 00
	0b "healthcheck"        11`

// hello26 is the 2.6 HAPROXY-HELLO of ref §4.1 (133 bytes on the wire), with
// the engine-id of the a1-iprep-unnamed capture.
const hello26 = `00 00 00 81 01 00 00 00 01 00 00
	12 "supported-versions"  08 03 "2.0"
	0e "max-frame-size"      03 fc f0 06
	0c "capabilities"        08 10 "pipelining,async"
	09 "engine-id"           08 24 "3f138a00-bfb5-4792-8737-502b21385589"`

func TestHAProxyHello(t *testing.T) {
	tests := []struct {
		name  string
		hello spopwire.HAProxyHello
		raw   string
	}{
		{"2.6 (ref §4.1)", spopwire.HAProxyHello{
			SupportedVersions: []byte("2.0"),
			MaxFrameSize:      16380,
			Capabilities:      spopwire.CapPipelining | spopwire.CapAsync,
			EngineID:          []byte("3f138a00-bfb5-4792-8737-502b21385589"),
		}, hello26},
		{"3.x (ref §4.1)", spopwire.HAProxyHello{
			SupportedVersions: []byte("2.0"),
			MaxFrameSize:      16380,
			Capabilities:      spopwire.CapPipelining,
			EngineID:          []byte("b9e2a45c-6952-4fa7-b7d1-ae8ee98dbd3b"),
		}, `00 00 00 7b 01 00 00 00 01 00 00
			12 "supported-versions"  08 03 "2.0"
			0e "max-frame-size"      03 fc f0 06
			0c "capabilities"        08 0a "pipelining"
			09 "engine-id"           08 24 "b9e2a45c-6952-4fa7-b7d1-ae8ee98dbd3b"`},
		{"health check (ref §4.2)", spopwire.HAProxyHello{
			SupportedVersions: []byte("2.0"),
			MaxFrameSize:      16380,
			Healthcheck:       true,
		}, helloHealthcheck},
	}
	for _, tt := range tests {
		raw := dhex(tt.raw)
		if got := spopwire.AppendHAProxyHello(nil, tt.hello); !bytes.Equal(got, raw) {
			t.Errorf("%s: AppendHAProxyHello =\n%x; want\n%x", tt.name, got, raw)
		}
		f, n := spopwire.ConsumeFrame(raw, spopwire.DefaultMaxFrameSize)
		if n != len(raw) || f.Type != spopwire.FrameHAProxyHello || f.Flags != spopwire.FlagFin || f.StreamID != 0 || f.FrameID != 0 {
			t.Fatalf("%s: ConsumeFrame = %+v, %s; want a HAPROXY-HELLO 0/0 with FIN", tt.name, f, nstr(n))
		}
		h, err := spopwire.ParseHAProxyHello(f.Payload)
		if err != nil || !helloEqual(h, tt.hello) {
			t.Errorf("%s: ParseHAProxyHello = %+v, %v; want %+v", tt.name, h, err, tt.hello)
		}
	}
	if raw := dhex(helloHealthcheck); len(raw) != 82 {
		t.Errorf("health-check HELLO is %d bytes on the wire; want 82", len(raw))
	}
}

func helloEqual(a, b spopwire.HAProxyHello) bool {
	return string(a.SupportedVersions) == string(b.SupportedVersions) && a.MaxFrameSize == b.MaxFrameSize &&
		a.Capabilities == b.Capabilities && string(a.EngineID) == string(b.EngineID) && a.Healthcheck == b.Healthcheck
}

func TestParseHAProxyHello(t *testing.T) {
	tests := []struct {
		name    string
		payload string
		want    spopwire.HAProxyHello
		wantErr error
	}{
		{"empty", "", spopwire.HAProxyHello{}, nil},
		{"unknown keys skipped", `
			03 "foo" 07 00000000000000000000000000000001
			12 "supported-versions" 08 03 "2.0"
			03 "bar" 09 02 00 ff
			0e "max-frame-size" 03 f0 01
			03 "baz" 04 ff f0 fe fe fe fe fe fe fe 0e
			0b "healthcheck" 01`,
			spopwire.HAProxyHello{SupportedVersions: []byte("2.0"), MaxFrameSize: 256}, nil},
		{"keys are exact and case-sensitive", `
			12 "Supported-Versions" 08 03 "9.9"
			10 "max-frame-size-x" 03 10
			0d "capabilities " 08 0a "pipelining"
			0a "engine-ids" 08 01 "x"`,
			spopwire.HAProxyHello{}, nil},
		{"any integer type for max-frame-size", `0e "max-frame-size" 05 fc f0 06`,
			spopwire.HAProxyHello{MaxFrameSize: 16380}, nil},
		{"max-frame-size saturates", `0e "max-frame-size" 04 f0 f1 fe fe 7e`, // INT64 2^32
			spopwire.HAProxyHello{MaxFrameSize: 0xffffffff}, nil},
		{"negative max-frame-size saturates", `0e "max-frame-size" 02 ff f0 fe fe fe fe fe fe fe 0e`, // INT32 −1
			spopwire.HAProxyHello{MaxFrameSize: 0xffffffff}, nil},
		{"max-frame-size of the wrong type", `0e "max-frame-size" 08 05 "16380"`,
			spopwire.HAProxyHello{}, nil},
		{"capabilities with spaces", `0c "capabilities" 08 15 " async , pipelining  "`,
			spopwire.HAProxyHello{Capabilities: spopwire.CapPipelining | spopwire.CapAsync}, nil},
		{"last duplicate wins", `0b "healthcheck" 11  0b "healthcheck" 01`,
			spopwire.HAProxyHello{}, nil},
		{"empty key", `12 "supported-versions" 08 03 "2.0" 00 08 00`,
			spopwire.HAProxyHello{SupportedVersions: []byte("2.0")}, spopwire.ErrInvalidFrame},
		{"truncated", `12 "supported-versions" 08 03 "2."`,
			spopwire.HAProxyHello{}, spopwire.ErrInvalidFrame},
	}
	for _, tt := range tests {
		payload := dhex(tt.payload)
		h, err := spopwire.ParseHAProxyHello(payload)
		if err != tt.wantErr || !helloEqual(h, tt.want) {
			t.Errorf("%s: ParseHAProxyHello(%x) = %+v, %v; want %+v, %v", tt.name, payload, h, err, tt.want, tt.wantErr)
		}
		if !within(h.SupportedVersions, payload) || !within(h.EngineID, payload) {
			t.Errorf("%s: ParseHAProxyHello: byte fields are not views into the payload", tt.name)
		}
	}
}

// agentHello26 is the AGENT-HELLO of every 2.6 capture (74 bytes on the wire).
const agentHello26 = `00 00 00 46 65 00 00 00 01 00 00
	07 "version"        08 03 "2.0"
	0e "max-frame-size" 03 fc f0 06
	0c "capabilities"   08 10 "pipelining,async"`

func TestAgentHello(t *testing.T) {
	tests := []struct {
		name string
		max  uint32
		caps spopwire.Capabilities
		raw  string
	}{
		{"captured", 16380, spopwire.CapPipelining | spopwire.CapAsync, agentHello26},
		// capabilities is sent even when empty: the 3.x health check requires it.
		{"no capabilities", 256, 0, `00 00 00 35 65 00 00 00 01 00 00
			07 "version" 08 03 "2.0"  0e "max-frame-size" 03 f0 01  0c "capabilities" 08 00`},
		{"all capabilities", 256, spopwire.CapFragmentation | spopwire.CapAsync | spopwire.CapPipelining, `00 00 00 53 65 00 00 00 01 00 00
			07 "version" 08 03 "2.0"  0e "max-frame-size" 03 f0 01  0c "capabilities" 08 1e "pipelining,async,fragmentation"`},
	}
	for _, tt := range tests {
		raw := dhex(tt.raw)
		if got := spopwire.AppendAgentHello(nil, tt.max, tt.caps); !bytes.Equal(got, raw) {
			t.Errorf("%s: AppendAgentHello(nil, %d, %v) =\n%x; want\n%x", tt.name, tt.max, tt.caps, got, raw)
		}
		f, n := spopwire.ConsumeFrame(raw, spopwire.DefaultMaxFrameSize)
		if n != len(raw) || f.Type != spopwire.FrameAgentHello || f.Flags != spopwire.FlagFin || f.StreamID != 0 || f.FrameID != 0 {
			t.Fatalf("%s: ConsumeFrame = %+v, %s; want an AGENT-HELLO 0/0 with FIN", tt.name, f, nstr(n))
		}
		h, err := spopwire.ParseAgentHello(f.Payload)
		if err != nil || string(h.Version) != "2.0" || h.MaxFrameSize != tt.max || h.Capabilities != tt.caps {
			t.Errorf("%s: ParseAgentHello = {%q %d %v}, %v; want {\"2.0\" %d %v}, nil", tt.name, h.Version, h.MaxFrameSize, h.Capabilities, err, tt.max, tt.caps)
		}
	}

	// Any key order, unknown keys skipped, any integer type.
	payload := dhex(`0c "capabilities" 08 0a "pipelining"  03 "foo" 06 7f000001
		0e "max-frame-size" 04 f0 01  07 "version" 08 05 " 2.0 "`)
	h, err := spopwire.ParseAgentHello(payload)
	if err != nil || string(h.Version) != " 2.0 " || h.MaxFrameSize != 256 || h.Capabilities != spopwire.CapPipelining {
		t.Errorf("ParseAgentHello(reordered) = {%q %d %v}, %v; want {\" 2.0 \" 256 pipelining}, nil", h.Version, h.MaxFrameSize, h.Capabilities, err)
	}
	if _, err := spopwire.ParseAgentHello(dhex(`07 "version" 08 03 "2.0" 00`)); err != spopwire.ErrInvalidFrame {
		t.Errorf("ParseAgentHello(empty key) = %v; want %v", err, spopwire.ErrInvalidFrame)
	}
}

func TestDisconnect(t *testing.T) {
	tests := []struct {
		name    string
		typ     spopwire.FrameType
		status  spopwire.Status
		message string // passed to AppendDisconnect
		want    string // message on the wire
		raw     string
	}{
		// Ref §5.1, exact: an empty message takes the status's canonical text.
		{"ref §5.1", spopwire.FrameHAProxyDisconnect, spopwire.StatusTimeout, "", "a timeout occurred",
			`00 00 00 31 02 00 00 00 01 00 00 0b "status-code" 03 02 07 "message" 08 12 "a timeout occurred"`},
		// The i2-bad-version captures (2.6 and 3.x).
		{"unsupported version", spopwire.FrameHAProxyDisconnect, spopwire.StatusUnsupportedVersion, "", "unsupported version",
			`00 00 00 32 02 00 00 00 01 00 00 0b "status-code" 03 08 07 "message" 08 13 "unsupported version"`},
		// The capture agent's reply.
		{"agent ok", spopwire.FrameAgentDisconnect, spopwire.StatusNormal, "ok", "ok",
			`00 00 00 21 66 00 00 00 01 00 00 0b "status-code" 03 00 07 "message" 08 02 "ok"`},
		// Agents may use unassigned codes (ref §5.1).
		{"custom status", spopwire.FrameAgentDisconnect, 300, "bye", "bye",
			`00 00 00 23 66 00 00 00 01 00 00 0b "status-code" 03 fc 03 07 "message" 08 03 "bye"`},
	}
	for _, tt := range tests {
		raw := dhex(tt.raw)
		if got := spopwire.AppendDisconnect(nil, tt.typ, tt.status, tt.message); !bytes.Equal(got, raw) {
			t.Errorf("%s: AppendDisconnect(nil, %v, %d, %q) =\n%x; want\n%x", tt.name, tt.typ, tt.status, tt.message, got, raw)
		}
		f, n := spopwire.ConsumeFrame(raw, spopwire.DefaultMaxFrameSize)
		if n != len(raw) || f.Type != tt.typ || f.Flags != spopwire.FlagFin {
			t.Fatalf("%s: ConsumeFrame = %+v, %s; want a %v with FIN", tt.name, f, nstr(n), tt.typ)
		}
		d, err := spopwire.ParseDisconnect(f.Payload)
		if err != nil || d.Status != tt.status || string(d.Message) != tt.want {
			t.Errorf("%s: ParseDisconnect = {%d %q}, %v; want {%d %q}, nil", tt.name, d.Status, d.Message, err, tt.status, tt.want)
		}
	}

	// Ref §5.3's minimal AGENT-DISCONNECT has an empty message. It decodes, and
	// the generic KV encoder reproduces it; AppendDisconnect would fill in
	// "normal" instead (documented).
	minimal := dhex(`00 00 00 1f 66 00 00 00 01 00 00 0b "status-code" 03 00 07 "message" 08 00`)
	f, _ := spopwire.ConsumeFrame(minimal, spopwire.DefaultMaxFrameSize)
	d, err := spopwire.ParseDisconnect(f.Payload)
	if err != nil || d.Status != spopwire.StatusNormal || len(d.Message) != 0 {
		t.Errorf("ParseDisconnect(ref §5.3) = {%d %q}, %v; want {0 \"\"}, nil", d.Status, d.Message, err)
	}
	b, start := spopwire.StartFrame(nil, spopwire.FrameAgentDisconnect, spopwire.FlagFin, 0, 0)
	b = spopwire.AppendKV(b, spopwire.KeyStatusCode, u32(0))
	b = spopwire.AppendKV(b, spopwire.KeyMessage, str(""))
	spopwire.FinishFrame(b, start)
	if !bytes.Equal(b, minimal) {
		t.Errorf("AppendKV(ref §5.3) = %x; want %x", b, minimal)
	}

	// Messages longer than 2.6 accepts are cut to 255 bytes.
	long := strings.Repeat("x", 300)
	f, _ = spopwire.ConsumeFrame(spopwire.AppendDisconnect(nil, spopwire.FrameAgentDisconnect, 99, long), spopwire.DefaultMaxFrameSize)
	if d, _ := spopwire.ParseDisconnect(f.Payload); string(d.Message) != long[:spopwire.MaxDisconnectMessage] || d.Status != 99 {
		t.Errorf("AppendDisconnect(300-byte message): got status %d, %d-byte message; want 99, 255", d.Status, len(d.Message))
	}

	// status-code of any integer type; unknown keys skipped; exact keys.
	parseTests := []struct {
		payload string
		want    spopwire.Status
		msg     string
	}{
		{`0b "status-code" 04 08`, 8, ""},
		{`0b "status-code" 05 2a  07 "message" 08 02 "hi"`, 42, "hi"},
		{`0b "status-code" 02 0a`, 10, ""},
		{`03 "foo" 11  0b "status-code" 03 0c  03 "bar" 00`, 12, ""},
		{`0b "status-code" 08 01 "3"`, 0, ""},                  // not an integer
		{`0c "status-codex" 03 03`, 0, ""},                     // not the key
		{`07 "Message" 08 01 "x"`, 0, ""},                      // case matters
		{`0b "status-code" 05 f0 f1 fe fe 7e`, 0xffffffff, ""}, // saturates
	}
	for _, tt := range parseTests {
		payload := dhex(tt.payload)
		d, err := spopwire.ParseDisconnect(payload)
		if err != nil || d.Status != tt.want || string(d.Message) != tt.msg {
			t.Errorf("ParseDisconnect(%x) = {%d %q}, %v; want {%d %q}, nil", payload, d.Status, d.Message, err, tt.want, tt.msg)
		}
	}
	if _, err := spopwire.ParseDisconnect(dhex(`0b "status-code" 03`)); err != spopwire.ErrInvalidFrame {
		t.Errorf("ParseDisconnect(truncated) = %v; want %v", err, spopwire.ErrInvalidFrame)
	}
}
