package spopwire_test

// The decoded values of the capture scenarios a1-iprep-unnamed,
// a2-iprep-named, b-http-types, d-healthcheck, f1-fragmentation and
// i2-bad-version, transcribed from the decoded views in
// ../testdata/captures/haproxy-{2.6,3.x}/README.md (made there with a decoder
// independent of this package). Frames are listed in file order; a frame's
// header fields are checked against index.json by TestCaptureIndex.

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/spopkit/spopkit/spopwire"
)

type goldenFile struct {
	path   string // under ../testdata/captures
	frames []goldenFrame
}

// goldenFrame is what one frame carries: a KV list (HELLO, DISCONNECT), a
// list of messages (NOTIFY) or a list of actions (ACK). A fragment has no
// values of its own; the FIN fragment carries the reassembled messages.
type goldenFrame struct {
	fragment bool
	kv       []goldenKV
	messages []goldenMessage
	actions  []goldenAction
}

type goldenKV struct {
	key string
	v   spopwire.Value
}

type goldenMessage struct {
	name  string
	nargs int
	args  []goldenArg
}

type goldenArg struct {
	name string
	v    spopwire.Value
}

type goldenAction struct {
	typ   spopwire.ActionType
	scope spopwire.Scope
	name  string
	v     spopwire.Value
}

// goldenHeaderBlock is the hdrs_bin argument of one NOTIFY, header by header.
type goldenHeaderBlock struct {
	path    string
	frame   int
	headers []goldenHeader
}

type goldenHeader struct{ name, value string }

func TestCaptureValues(t *testing.T) {
	for _, gf := range goldenFiles {
		data, err := os.ReadFile(filepath.Join(capturesDir, gf.path))
		if err != nil {
			t.Fatal(err)
		}
		var frag []byte // NOTIFY payload being reassembled
		i := 0
		for ; len(data) > 0; i++ {
			f, n := spopwire.ConsumeFrame(data, spopwire.DefaultMaxFrameSize)
			if n <= 0 {
				t.Fatalf("%s: frame %d: ConsumeFrame = %s", gf.path, i, nstr(n))
			}
			data = data[n:]
			if i >= len(gf.frames) {
				continue
			}
			want := gf.frames[i]
			payload := f.Payload
			if want.fragment {
				frag = append(frag, f.Payload...)
				if !f.Flags.Fin() {
					if len(want.messages) != 0 {
						t.Errorf("%s: frame %d: want values on a fragment without FIN", gf.path, i)
					}
					continue
				}
				payload, frag = frag, nil
			} else if f.Type == spopwire.FrameNotify && !f.Flags.Fin() || f.Type == spopwire.FrameUnset {
				t.Errorf("%s: frame %d: unexpected fragment (%v, flags %#x)", gf.path, i, f.Type, uint32(f.Flags))
				continue
			}
			where := fmt.Sprintf("%s: frame %d", gf.path, i)
			switch {
			case want.kv != nil:
				checkKVs(t, where, payload, want.kv)
			case want.messages != nil:
				checkMessages(t, where, payload, want.messages)
			case want.actions != nil:
				checkActions(t, where, payload, want.actions)
			default:
				if len(payload) != 0 {
					t.Errorf("%s: %d payload bytes; want none", where, len(payload))
				}
			}
		}
		if i != len(gf.frames) {
			t.Errorf("%s: %d frames; want %d", gf.path, i, len(gf.frames))
		}
	}
}

func checkKVs(t *testing.T, where string, payload []byte, want []goldenKV) {
	t.Helper()
	it := spopwire.KVs(payload)
	i := 0
	for key, v, ok := it.Next(); ok; key, v, ok = it.Next() {
		if i < len(want) && (string(key) != want[i].key || v.Type() != want[i].v.Type() || !v.Equal(want[i].v)) {
			t.Errorf("%s: kv %d = %s %v; want %s %v", where, i, key, v, want[i].key, want[i].v)
		}
		i++
	}
	if it.Err() != nil || i != len(want) {
		t.Errorf("%s: %d KV items, %v; want %d, nil", where, i, it.Err(), len(want))
	}
}

func checkMessages(t *testing.T, where string, payload []byte, want []goldenMessage) {
	t.Helper()
	it := spopwire.Messages(payload)
	i := 0
	for msg, ok := it.Next(); ok; msg, ok = it.Next() {
		if i >= len(want) {
			i++
			continue
		}
		w := want[i]
		if string(msg.Name) != w.name || msg.NumArgs != w.nargs || len(w.args) != w.nargs {
			t.Errorf("%s: message %d = %q nb-args=%d; want %q nb-args=%d", where, i, msg.Name, msg.NumArgs, w.name, w.nargs)
		}
		args := msg.Args()
		j := 0
		for a, ok := args.Next(); ok; a, ok = args.Next() {
			if j < len(w.args) && (string(a.Name) != w.args[j].name || a.Value.Type() != w.args[j].v.Type() || !a.Value.Equal(w.args[j].v)) {
				t.Errorf("%s: message %q arg %d = %q %.120v; want %q %.120v", where, w.name, j, a.Name, a.Value, w.args[j].name, w.args[j].v)
			}
			j++
		}
		if j != len(w.args) {
			t.Errorf("%s: message %q: %d args; want %d", where, w.name, j, len(w.args))
		}
		i++
	}
	if it.Err() != nil || i != len(want) {
		t.Errorf("%s: %d messages, %v; want %d, nil", where, i, it.Err(), len(want))
	}
}

func checkActions(t *testing.T, where string, payload []byte, want []goldenAction) {
	t.Helper()
	it := spopwire.Actions(payload)
	i := 0
	for a, ok := it.Next(); ok; a, ok = it.Next() {
		if i < len(want) {
			w := want[i]
			if a.Type != w.typ || a.Scope != w.scope || string(a.Name) != w.name || a.Value.Type() != w.v.Type() || !a.Value.Equal(w.v) {
				t.Errorf("%s: action %d = %v %v %q %v; want %v %v %q %v", where, i, a.Type, a.Scope, a.Name, a.Value, w.typ, w.scope, w.name, w.v)
			}
		}
		i++
	}
	if it.Err() != nil || i != len(want) {
		t.Errorf("%s: %d actions, %v; want %d, nil", where, i, it.Err(), len(want))
	}
}

// TestCaptureHeaders decodes the hdrs_bin argument of every b-http-types
// NOTIFY with Headers.
func TestCaptureHeaders(t *testing.T) {
	if len(goldenHeaders) != 6 {
		t.Errorf("%d hdrs_bin blocks; want 3 per version", len(goldenHeaders))
	}
	for _, gh := range goldenHeaders {
		frames := readCapture(t, gh.path)
		it := spopwire.Messages(frames[gh.frame].Payload)
		msg, _ := it.Next()
		var hdrsBin spopwire.Value
		args := msg.Args()
		for a, ok := args.Next(); ok; a, ok = args.Next() {
			if string(a.Name) == "hdrs_bin" {
				hdrsBin = a.Value
			}
		}
		if hdrsBin.Type() != spopwire.TypeBinary {
			t.Errorf("%s: frame %d: hdrs_bin = %v; want BINARY", gh.path, gh.frame, hdrsBin)
			continue
		}
		hs := spopwire.Headers(hdrsBin.Bytes())
		i := 0
		for name, value, ok := hs.Next(); ok; name, value, ok = hs.Next() {
			if i < len(gh.headers) && (string(name) != gh.headers[i].name || string(value) != gh.headers[i].value) {
				t.Errorf("%s: frame %d: header %d = %q: %q; want %q: %q", gh.path, gh.frame, i, name, value, gh.headers[i].name, gh.headers[i].value)
			}
			i++
		}
		if hs.Err() != nil || i != len(gh.headers) {
			t.Errorf("%s: frame %d: %d headers, %v; want %d, nil", gh.path, gh.frame, i, hs.Err(), len(gh.headers))
		}
	}
}

var goldenFiles = []goldenFile{
	{"haproxy-2.6/a1-iprep-unnamed.conn01.a2h.bin", []goldenFrame{
		{kv: []goldenKV{
			{"version", str("2.0")},
			{"max-frame-size", u32(16380)},
			{"capabilities", str("pipelining,async")},
		}},
		{actions: []goldenAction{
			{spopwire.ActionSetVar, spopwire.ScopeSession, "ip_score", i64(42)},
		}},
		{actions: []goldenAction{
			{spopwire.ActionSetVar, spopwire.ScopeSession, "ip_score", i64(42)},
		}},
		{kv: []goldenKV{
			{"status-code", u32(0)},
			{"message", str("ok")},
		}},
	}},
	{"haproxy-2.6/a1-iprep-unnamed.conn01.h2a.bin", []goldenFrame{
		{kv: []goldenKV{
			{"supported-versions", str("2.0")},
			{"max-frame-size", u32(16380)},
			{"capabilities", str("pipelining,async")},
			{"engine-id", str("3f138a00-bfb5-4792-8737-502b21385589")},
		}},
		{messages: []goldenMessage{
			{"check-client-ip", 1, []goldenArg{
				{"", ip("127.0.0.1")},
			}},
		}},
		{messages: []goldenMessage{
			{"check-client-ip", 1, []goldenArg{
				{"", ip("::1")},
			}},
		}},
		{kv: []goldenKV{
			{"status-code", u32(0)},
			{"message", str("normal")},
		}},
	}},
	{"haproxy-2.6/a2-iprep-named.conn01.a2h.bin", []goldenFrame{
		{kv: []goldenKV{
			{"version", str("2.0")},
			{"max-frame-size", u32(16380)},
			{"capabilities", str("pipelining,async")},
		}},
		{actions: []goldenAction{
			{spopwire.ActionSetVar, spopwire.ScopeSession, "ip_score", i64(42)},
		}},
		{actions: []goldenAction{
			{spopwire.ActionSetVar, spopwire.ScopeSession, "ip_score", i64(42)},
		}},
		{kv: []goldenKV{
			{"status-code", u32(0)},
			{"message", str("ok")},
		}},
	}},
	{"haproxy-2.6/a2-iprep-named.conn01.h2a.bin", []goldenFrame{
		{kv: []goldenKV{
			{"supported-versions", str("2.0")},
			{"max-frame-size", u32(16380)},
			{"capabilities", str("pipelining,async")},
			{"engine-id", str("f5ba7754-6c80-4e19-b441-c3e1024879eb")},
		}},
		{messages: []goldenMessage{
			{"check-client-ip", 1, []goldenArg{
				{"ip", ip("127.0.0.1")},
			}},
		}},
		{messages: []goldenMessage{
			{"check-client-ip", 1, []goldenArg{
				{"ip", ip("::1")},
			}},
		}},
		{kv: []goldenKV{
			{"status-code", u32(0)},
			{"message", str("normal")},
		}},
	}},
	{"haproxy-2.6/b-http-types.conn01.a2h.bin", []goldenFrame{
		{kv: []goldenKV{
			{"version", str("2.0")},
			{"max-frame-size", u32(16380)},
			{"capabilities", str("pipelining,async")},
		}},
		{actions: []goldenAction{
			{spopwire.ActionSetVar, spopwire.ScopeTransaction, "tag", str("b-captured")},
		}},
		{actions: []goldenAction{
			{spopwire.ActionSetVar, spopwire.ScopeTransaction, "tag", str("b-captured")},
		}},
		{actions: []goldenAction{
			{spopwire.ActionSetVar, spopwire.ScopeTransaction, "tag", str("b-captured")},
		}},
		{kv: []goldenKV{
			{"status-code", u32(0)},
			{"message", str("ok")},
		}},
	}},
	{"haproxy-2.6/b-http-types.conn01.h2a.bin", []goldenFrame{
		{kv: []goldenKV{
			{"supported-versions", str("2.0")},
			{"max-frame-size", u32(16380)},
			{"capabilities", str("pipelining,async")},
			{"engine-id", str("5891d6c4-6645-457a-9a0c-90bc4c37e9fb")},
		}},
		{messages: []goldenMessage{
			{"http-types", 26, []goldenArg{
				{"method", str("POST")},
				{"path", str("/b/post")},
				{"url", str("/b/post?x=1&y=two")},
				{"query", str("x=1&y=two")},
				{"ver", str("1.1")},
				{"host", str("127.0.0.1:27100")},
				{"hdrs", str("host: 127.0.0.1:27100\r\nuser-agent: curl/7.88.1\r\naccept: */*\r\nx-custom: v1\r\ncontent-type: application/octet-stream\r\ncontent-length: 13\r\n\r\n")},
				{"hdrs_bin", bin("\x04host\x0f127.0.0.1:27100\nuser-agent\x0bcurl/7.88.1\x06accept\x03*/*\x08x-custom\x02v1\x0ccontent-type\x18application/octet-stream\x0econtent-length\x0213\x00\x00")},
				{"body", bin("A\x00B\x00\x00C\r\n\xff end")},
				{"src", ip("127.0.0.1")},
				{"dst", ip("127.0.0.1")},
				{"src_port", i64(51888)},
				{"dst_port", i64(27100)},
				{"s", str("hello")},
				{"i42", i64(42)},
				{"ineg", i64(-1)},
				{"b", boolean(true)},
				{"bfalse", boolean(false)},
				{"ssl", boolean(false)},
				{"uid", str("REQ-7F000001:CAB0_7F000001:69DC_0000")},
				{"unset", null},
				{"ip4", ip("192.0.2.7")},
				{"ip6", ip("2001:db8::7")},
				{"bin", bin("\x00\xff\x10")},
				{"big", i64(4294967296)},
				{"hdrcnt", i64(6)},
			}},
			{"http-unnamed", 3, []goldenArg{
				{"", str("POST")},
				{"", str("/b/post")},
				{"", i64(7)},
			}},
		}},
		{messages: []goldenMessage{
			{"http-types", 26, []goldenArg{
				{"method", str("GET")},
				{"path", str("/b/v6")},
				{"url", str("/b/v6?q=%20sp")},
				{"query", str("q=%20sp")},
				{"ver", str("1.1")},
				{"host", str("[::1]:27100")},
				{"hdrs", str("host: [::1]:27100\r\nuser-agent: curl/7.88.1\r\naccept: */*\r\nx-multi: a\r\nx-multi: b\r\n\r\n")},
				{"hdrs_bin", bin("\x04host\x0b[::1]:27100\nuser-agent\x0bcurl/7.88.1\x06accept\x03*/*\x07x-multi\x01a\x07x-multi\x01b\x00\x00")},
				{"body", bin("")},
				{"src", ip("::1")},
				{"dst", ip("::1")},
				{"src_port", i64(46750)},
				{"dst_port", i64(27100)},
				{"s", str("hello")},
				{"i42", i64(42)},
				{"ineg", i64(-1)},
				{"b", boolean(true)},
				{"bfalse", boolean(false)},
				{"ssl", boolean(false)},
				{"uid", str("REQ-00000000000000000000000000000001:B69E_00000000000000000000000000000001:69DC_0002")},
				{"unset", null},
				{"ip4", ip("192.0.2.7")},
				{"ip6", ip("2001:db8::7")},
				{"bin", bin("\x00\xff\x10")},
				{"big", i64(4294967296)},
				{"hdrcnt", i64(5)},
			}},
			{"http-unnamed", 3, []goldenArg{
				{"", str("GET")},
				{"", str("/b/v6")},
				{"", i64(7)},
			}},
		}},
		{messages: []goldenMessage{
			{"http-types", 26, []goldenArg{
				{"method", str("PURGE")},
				{"path", str("/b/purge")},
				{"url", str("/b/purge")},
				{"query", null},
				{"ver", str("1.1")},
				{"host", str("127.0.0.1:27100")},
				{"hdrs", str("host: 127.0.0.1:27100\r\nuser-agent: curl/7.88.1\r\naccept: */*\r\n\r\n")},
				{"hdrs_bin", bin("\x04host\x0f127.0.0.1:27100\nuser-agent\x0bcurl/7.88.1\x06accept\x03*/*\x00\x00")},
				{"body", bin("")},
				{"src", ip("127.0.0.1")},
				{"dst", ip("127.0.0.1")},
				{"src_port", i64(51902)},
				{"dst_port", i64(27100)},
				{"s", str("hello")},
				{"i42", i64(42)},
				{"ineg", i64(-1)},
				{"b", boolean(true)},
				{"bfalse", boolean(false)},
				{"ssl", boolean(false)},
				{"uid", str("REQ-7F000001:CABE_7F000001:69DC_0003")},
				{"unset", null},
				{"ip4", ip("192.0.2.7")},
				{"ip6", ip("2001:db8::7")},
				{"bin", bin("\x00\xff\x10")},
				{"big", i64(4294967296)},
				{"hdrcnt", i64(3)},
			}},
			{"http-unnamed", 3, []goldenArg{
				{"", str("PURGE")},
				{"", str("/b/purge")},
				{"", i64(7)},
			}},
		}},
		{kv: []goldenKV{
			{"status-code", u32(0)},
			{"message", str("normal")},
		}},
	}},
	{"haproxy-2.6/d-healthcheck.conn01.a2h.bin", []goldenFrame{
		{kv: []goldenKV{
			{"version", str("2.0")},
			{"max-frame-size", u32(16380)},
			{"capabilities", str("pipelining,async")},
		}},
	}},
	{"haproxy-2.6/d-healthcheck.conn01.h2a.bin", []goldenFrame{
		{kv: []goldenKV{
			{"supported-versions", str("2.0")},
			{"max-frame-size", u32(16380)},
			{"capabilities", str("")},
			{"healthcheck", boolean(true)},
		}},
	}},
	{"haproxy-2.6/d-healthcheck.conn02.a2h.bin", []goldenFrame{
		{kv: []goldenKV{
			{"version", str("2.0")},
			{"max-frame-size", u32(16380)},
			{"capabilities", str("pipelining,async")},
		}},
	}},
	{"haproxy-2.6/d-healthcheck.conn02.h2a.bin", []goldenFrame{
		{kv: []goldenKV{
			{"supported-versions", str("2.0")},
			{"max-frame-size", u32(16380)},
			{"capabilities", str("")},
			{"healthcheck", boolean(true)},
		}},
	}},
	{"haproxy-2.6/d-healthcheck.conn03.a2h.bin", []goldenFrame{
		{kv: []goldenKV{
			{"version", str("2.0")},
			{"max-frame-size", u32(16380)},
			{"capabilities", str("pipelining,async")},
		}},
	}},
	{"haproxy-2.6/d-healthcheck.conn03.h2a.bin", []goldenFrame{
		{kv: []goldenKV{
			{"supported-versions", str("2.0")},
			{"max-frame-size", u32(16380)},
			{"capabilities", str("")},
			{"healthcheck", boolean(true)},
		}},
	}},
	{"haproxy-2.6/d-healthcheck.conn04.a2h.bin", []goldenFrame{
		{kv: []goldenKV{
			{"version", str("2.0")},
			{"max-frame-size", u32(16380)},
			{"capabilities", str("pipelining,async")},
		}},
	}},
	{"haproxy-2.6/d-healthcheck.conn04.h2a.bin", []goldenFrame{
		{kv: []goldenKV{
			{"supported-versions", str("2.0")},
			{"max-frame-size", u32(16380)},
			{"capabilities", str("")},
			{"healthcheck", boolean(true)},
		}},
	}},
	{"haproxy-2.6/f1-fragmentation.conn01.a2h.bin", []goldenFrame{
		{kv: []goldenKV{
			{"version", str("2.0")},
			{"max-frame-size", u32(256)},
			{"capabilities", str("pipelining,async,fragmentation")},
		}},
		{actions: []goldenAction{
			{spopwire.ActionSetVar, spopwire.ScopeTransaction, "tag", str("f")},
		}},
		{kv: []goldenKV{
			{"status-code", u32(0)},
			{"message", str("ok")},
		}},
	}},
	{"haproxy-2.6/f1-fragmentation.conn01.h2a.bin", []goldenFrame{
		{kv: []goldenKV{
			{"supported-versions", str("2.0")},
			{"max-frame-size", u32(256)},
			{"capabilities", str("pipelining,async")},
			{"engine-id", str("b948a719-9a94-4fda-867b-720cfe11aa17")},
		}},
		{fragment: true},
		{fragment: true},
		{fragment: true},
		{fragment: true},
		{fragment: true},
		{fragment: true, messages: []goldenMessage{
			{"big-body", 3, []goldenArg{
				{"method", str("POST")},
				{"path", str("/f/big")},
				{"body", bin(f1Body)},
			}},
		}},
		{kv: []goldenKV{
			{"status-code", u32(0)},
			{"message", str("normal")},
		}},
	}},
	{"haproxy-2.6/f1-fragmentation.conn02.a2h.bin", []goldenFrame{
		{kv: []goldenKV{
			{"version", str("2.0")},
			{"max-frame-size", u32(256)},
			{"capabilities", str("pipelining,async,fragmentation")},
		}},
		{kv: []goldenKV{
			{"status-code", u32(0)},
			{"message", str("ok")},
		}},
	}},
	{"haproxy-2.6/f1-fragmentation.conn02.h2a.bin", []goldenFrame{
		{kv: []goldenKV{
			{"supported-versions", str("2.0")},
			{"max-frame-size", u32(256)},
			{"capabilities", str("pipelining,async")},
			{"engine-id", str("b948a719-9a94-4fda-867b-720cfe11aa17")},
		}},
		{kv: []goldenKV{
			{"status-code", u32(0)},
			{"message", str("normal")},
		}},
	}},
	{"haproxy-2.6/f1-fragmentation.conn03.a2h.bin", []goldenFrame{
		{kv: []goldenKV{
			{"version", str("2.0")},
			{"max-frame-size", u32(256)},
			{"capabilities", str("pipelining,async,fragmentation")},
		}},
		{kv: []goldenKV{
			{"status-code", u32(0)},
			{"message", str("ok")},
		}},
	}},
	{"haproxy-2.6/f1-fragmentation.conn03.h2a.bin", []goldenFrame{
		{kv: []goldenKV{
			{"supported-versions", str("2.0")},
			{"max-frame-size", u32(256)},
			{"capabilities", str("pipelining,async")},
			{"engine-id", str("b948a719-9a94-4fda-867b-720cfe11aa17")},
		}},
		{kv: []goldenKV{
			{"status-code", u32(0)},
			{"message", str("normal")},
		}},
	}},
	{"haproxy-2.6/f1-fragmentation.conn04.a2h.bin", []goldenFrame{
		{kv: []goldenKV{
			{"version", str("2.0")},
			{"max-frame-size", u32(256)},
			{"capabilities", str("pipelining,async,fragmentation")},
		}},
		{kv: []goldenKV{
			{"status-code", u32(0)},
			{"message", str("ok")},
		}},
	}},
	{"haproxy-2.6/f1-fragmentation.conn04.h2a.bin", []goldenFrame{
		{kv: []goldenKV{
			{"supported-versions", str("2.0")},
			{"max-frame-size", u32(256)},
			{"capabilities", str("pipelining,async")},
			{"engine-id", str("b948a719-9a94-4fda-867b-720cfe11aa17")},
		}},
		{kv: []goldenKV{
			{"status-code", u32(0)},
			{"message", str("normal")},
		}},
	}},
	{"haproxy-2.6/f1-fragmentation.conn05.a2h.bin", []goldenFrame{
		{kv: []goldenKV{
			{"version", str("2.0")},
			{"max-frame-size", u32(256)},
			{"capabilities", str("pipelining,async,fragmentation")},
		}},
		{kv: []goldenKV{
			{"status-code", u32(0)},
			{"message", str("ok")},
		}},
	}},
	{"haproxy-2.6/f1-fragmentation.conn05.h2a.bin", []goldenFrame{
		{kv: []goldenKV{
			{"supported-versions", str("2.0")},
			{"max-frame-size", u32(256)},
			{"capabilities", str("pipelining,async")},
			{"engine-id", str("b948a719-9a94-4fda-867b-720cfe11aa17")},
		}},
		{kv: []goldenKV{
			{"status-code", u32(0)},
			{"message", str("normal")},
		}},
	}},
	{"haproxy-2.6/f1-fragmentation.conn06.a2h.bin", []goldenFrame{
		{kv: []goldenKV{
			{"version", str("2.0")},
			{"max-frame-size", u32(256)},
			{"capabilities", str("pipelining,async,fragmentation")},
		}},
		{kv: []goldenKV{
			{"status-code", u32(0)},
			{"message", str("ok")},
		}},
	}},
	{"haproxy-2.6/f1-fragmentation.conn06.h2a.bin", []goldenFrame{
		{kv: []goldenKV{
			{"supported-versions", str("2.0")},
			{"max-frame-size", u32(256)},
			{"capabilities", str("pipelining,async")},
			{"engine-id", str("b948a719-9a94-4fda-867b-720cfe11aa17")},
		}},
		{kv: []goldenKV{
			{"status-code", u32(0)},
			{"message", str("normal")},
		}},
	}},
	{"haproxy-2.6/i2-bad-version.conn01.a2h.bin", []goldenFrame{
		{kv: []goldenKV{
			{"version", str("3.0")},
			{"max-frame-size", u32(16380)},
			{"capabilities", str("pipelining,async")},
		}},
		{kv: []goldenKV{
			{"status-code", u32(0)},
			{"message", str("ok")},
		}},
	}},
	{"haproxy-2.6/i2-bad-version.conn01.h2a.bin", []goldenFrame{
		{kv: []goldenKV{
			{"supported-versions", str("2.0")},
			{"max-frame-size", u32(16380)},
			{"capabilities", str("pipelining,async")},
			{"engine-id", str("6c938bd1-67bd-4068-92d3-637ae01a5ac1")},
		}},
		{kv: []goldenKV{
			{"status-code", u32(8)},
			{"message", str("unsupported version")},
		}},
	}},
	{"haproxy-2.6/i2-bad-version.conn02.a2h.bin", []goldenFrame{
		{kv: []goldenKV{
			{"version", str("3.0")},
			{"max-frame-size", u32(16380)},
			{"capabilities", str("pipelining,async")},
		}},
		{kv: []goldenKV{
			{"status-code", u32(0)},
			{"message", str("ok")},
		}},
	}},
	{"haproxy-2.6/i2-bad-version.conn02.h2a.bin", []goldenFrame{
		{kv: []goldenKV{
			{"supported-versions", str("2.0")},
			{"max-frame-size", u32(16380)},
			{"capabilities", str("pipelining,async")},
			{"engine-id", str("6c938bd1-67bd-4068-92d3-637ae01a5ac1")},
		}},
		{kv: []goldenKV{
			{"status-code", u32(8)},
			{"message", str("unsupported version")},
		}},
	}},
	{"haproxy-2.6/i2-bad-version.conn03.a2h.bin", []goldenFrame{
		{kv: []goldenKV{
			{"version", str("3.0")},
			{"max-frame-size", u32(16380)},
			{"capabilities", str("pipelining,async")},
		}},
		{kv: []goldenKV{
			{"status-code", u32(0)},
			{"message", str("ok")},
		}},
	}},
	{"haproxy-2.6/i2-bad-version.conn03.h2a.bin", []goldenFrame{
		{kv: []goldenKV{
			{"supported-versions", str("2.0")},
			{"max-frame-size", u32(16380)},
			{"capabilities", str("pipelining,async")},
			{"engine-id", str("6c938bd1-67bd-4068-92d3-637ae01a5ac1")},
		}},
		{kv: []goldenKV{
			{"status-code", u32(8)},
			{"message", str("unsupported version")},
		}},
	}},
	{"haproxy-2.6/i2-bad-version.conn519.a2h.bin", []goldenFrame{
		{kv: []goldenKV{
			{"version", str("3.0")},
			{"max-frame-size", u32(16380)},
			{"capabilities", str("pipelining,async")},
		}},
		{kv: []goldenKV{
			{"status-code", u32(0)},
			{"message", str("ok")},
		}},
	}},
	{"haproxy-2.6/i2-bad-version.conn519.h2a.bin", []goldenFrame{
		{kv: []goldenKV{
			{"supported-versions", str("2.0")},
			{"max-frame-size", u32(16380)},
			{"capabilities", str("pipelining,async")},
			{"engine-id", str("6c938bd1-67bd-4068-92d3-637ae01a5ac1")},
		}},
		{kv: []goldenKV{
			{"status-code", u32(8)},
			{"message", str("unsupported version")},
		}},
	}},
	{"haproxy-3.x/a1-iprep-unnamed.conn01.a2h.bin", []goldenFrame{
		{kv: []goldenKV{
			{"version", str("2.0")},
			{"max-frame-size", u32(16380)},
			{"capabilities", str("pipelining,async")},
		}},
		{actions: []goldenAction{
			{spopwire.ActionSetVar, spopwire.ScopeSession, "ip_score", i64(42)},
		}},
		{actions: []goldenAction{
			{spopwire.ActionSetVar, spopwire.ScopeSession, "ip_score", i64(42)},
		}},
	}},
	{"haproxy-3.x/a1-iprep-unnamed.conn01.h2a.bin", []goldenFrame{
		{kv: []goldenKV{
			{"supported-versions", str("2.0")},
			{"max-frame-size", u32(16380)},
			{"capabilities", str("pipelining")},
			{"engine-id", str("ec1a77a8-b7bd-4711-9621-a2a0220a375c")},
		}},
		{messages: []goldenMessage{
			{"check-client-ip", 1, []goldenArg{
				{"", ip("127.0.0.1")},
			}},
		}},
		{messages: []goldenMessage{
			{"check-client-ip", 1, []goldenArg{
				{"", ip("::1")},
			}},
		}},
	}},
	{"haproxy-3.x/a2-iprep-named.conn01.a2h.bin", []goldenFrame{
		{kv: []goldenKV{
			{"version", str("2.0")},
			{"max-frame-size", u32(16380)},
			{"capabilities", str("pipelining,async")},
		}},
		{actions: []goldenAction{
			{spopwire.ActionSetVar, spopwire.ScopeSession, "ip_score", i64(42)},
		}},
		{actions: []goldenAction{
			{spopwire.ActionSetVar, spopwire.ScopeSession, "ip_score", i64(42)},
		}},
	}},
	{"haproxy-3.x/a2-iprep-named.conn01.h2a.bin", []goldenFrame{
		{kv: []goldenKV{
			{"supported-versions", str("2.0")},
			{"max-frame-size", u32(16380)},
			{"capabilities", str("pipelining")},
			{"engine-id", str("082eb18c-f023-4ffb-b95a-36047a5bf591")},
		}},
		{messages: []goldenMessage{
			{"check-client-ip", 1, []goldenArg{
				{"ip", ip("127.0.0.1")},
			}},
		}},
		{messages: []goldenMessage{
			{"check-client-ip", 1, []goldenArg{
				{"ip", ip("::1")},
			}},
		}},
	}},
	{"haproxy-3.x/b-http-types.conn01.a2h.bin", []goldenFrame{
		{kv: []goldenKV{
			{"version", str("2.0")},
			{"max-frame-size", u32(16380)},
			{"capabilities", str("pipelining,async")},
		}},
		{actions: []goldenAction{
			{spopwire.ActionSetVar, spopwire.ScopeTransaction, "tag", str("b-captured")},
		}},
		{actions: []goldenAction{
			{spopwire.ActionSetVar, spopwire.ScopeTransaction, "tag", str("b-captured")},
		}},
		{actions: []goldenAction{
			{spopwire.ActionSetVar, spopwire.ScopeTransaction, "tag", str("b-captured")},
		}},
	}},
	{"haproxy-3.x/b-http-types.conn01.h2a.bin", []goldenFrame{
		{kv: []goldenKV{
			{"supported-versions", str("2.0")},
			{"max-frame-size", u32(16380)},
			{"capabilities", str("pipelining")},
			{"engine-id", str("f85542b3-96f3-444a-a587-e469725b4379")},
		}},
		{messages: []goldenMessage{
			{"http-types", 26, []goldenArg{
				{"method", str("POST")},
				{"path", str("/b/post")},
				{"url", str("/b/post?x=1&y=two")},
				{"query", str("x=1&y=two")},
				{"ver", str("1.1")},
				{"host", str("127.0.0.1:27100")},
				{"hdrs", str("host: 127.0.0.1:27100\r\nuser-agent: curl/7.88.1\r\naccept: */*\r\nx-custom: v1\r\ncontent-type: application/octet-stream\r\ncontent-length: 13\r\n\r\n")},
				{"hdrs_bin", bin("\x04host\x0f127.0.0.1:27100\nuser-agent\x0bcurl/7.88.1\x06accept\x03*/*\x08x-custom\x02v1\x0ccontent-type\x18application/octet-stream\x0econtent-length\x0213\x00\x00")},
				{"body", bin("A\x00B\x00\x00C\r\n\xff end")},
				{"src", ip("127.0.0.1")},
				{"dst", ip("127.0.0.1")},
				{"src_port", i64(44790)},
				{"dst_port", i64(27100)},
				{"s", str("hello")},
				{"i42", i64(42)},
				{"ineg", i64(-1)},
				{"b", boolean(true)},
				{"bfalse", boolean(false)},
				{"ssl", boolean(false)},
				{"uid", str("REQ-7F000001:AEF6_7F000001:69DC_0000")},
				{"unset", null},
				{"ip4", ip("192.0.2.7")},
				{"ip6", ip("2001:db8::7")},
				{"bin", bin("\x00\xff\x10")},
				{"big", i64(4294967296)},
				{"hdrcnt", i64(6)},
			}},
			{"http-unnamed", 3, []goldenArg{
				{"", str("POST")},
				{"", str("/b/post")},
				{"", i64(7)},
			}},
		}},
		{messages: []goldenMessage{
			{"http-types", 26, []goldenArg{
				{"method", str("GET")},
				{"path", str("/b/v6")},
				{"url", str("/b/v6?q=%20sp")},
				{"query", str("q=%20sp")},
				{"ver", str("1.1")},
				{"host", str("[::1]:27100")},
				{"hdrs", str("host: [::1]:27100\r\nuser-agent: curl/7.88.1\r\naccept: */*\r\nx-multi: a\r\nx-multi: b\r\n\r\n")},
				{"hdrs_bin", bin("\x04host\x0b[::1]:27100\nuser-agent\x0bcurl/7.88.1\x06accept\x03*/*\x07x-multi\x01a\x07x-multi\x01b\x00\x00")},
				{"body", bin("")},
				{"src", ip("::1")},
				{"dst", ip("::1")},
				{"src_port", i64(47802)},
				{"dst_port", i64(27100)},
				{"s", str("hello")},
				{"i42", i64(42)},
				{"ineg", i64(-1)},
				{"b", boolean(true)},
				{"bfalse", boolean(false)},
				{"ssl", boolean(false)},
				{"uid", str("REQ-00000000000000000000000000000001:BABA_00000000000000000000000000000001:69DC_0002")},
				{"unset", null},
				{"ip4", ip("192.0.2.7")},
				{"ip6", ip("2001:db8::7")},
				{"bin", bin("\x00\xff\x10")},
				{"big", i64(4294967296)},
				{"hdrcnt", i64(5)},
			}},
			{"http-unnamed", 3, []goldenArg{
				{"", str("GET")},
				{"", str("/b/v6")},
				{"", i64(7)},
			}},
		}},
		{messages: []goldenMessage{
			{"http-types", 26, []goldenArg{
				{"method", str("PURGE")},
				{"path", str("/b/purge")},
				{"url", str("/b/purge")},
				{"query", null},
				{"ver", str("1.1")},
				{"host", str("127.0.0.1:27100")},
				{"hdrs", str("host: 127.0.0.1:27100\r\nuser-agent: curl/7.88.1\r\naccept: */*\r\n\r\n")},
				{"hdrs_bin", bin("\x04host\x0f127.0.0.1:27100\nuser-agent\x0bcurl/7.88.1\x06accept\x03*/*\x00\x00")},
				{"body", bin("")},
				{"src", ip("127.0.0.1")},
				{"dst", ip("127.0.0.1")},
				{"src_port", i64(44804)},
				{"dst_port", i64(27100)},
				{"s", str("hello")},
				{"i42", i64(42)},
				{"ineg", i64(-1)},
				{"b", boolean(true)},
				{"bfalse", boolean(false)},
				{"ssl", boolean(false)},
				{"uid", str("REQ-7F000001:AF04_7F000001:69DC_0004")},
				{"unset", null},
				{"ip4", ip("192.0.2.7")},
				{"ip6", ip("2001:db8::7")},
				{"bin", bin("\x00\xff\x10")},
				{"big", i64(4294967296)},
				{"hdrcnt", i64(3)},
			}},
			{"http-unnamed", 3, []goldenArg{
				{"", str("PURGE")},
				{"", str("/b/purge")},
				{"", i64(7)},
			}},
		}},
	}},
	{"haproxy-3.x/d-healthcheck.conn01.a2h.bin", []goldenFrame{
		{kv: []goldenKV{
			{"version", str("2.0")},
			{"max-frame-size", u32(16380)},
			{"capabilities", str("pipelining,async")},
		}},
	}},
	{"haproxy-3.x/d-healthcheck.conn01.h2a.bin", []goldenFrame{
		{kv: []goldenKV{
			{"supported-versions", str("2.0")},
			{"max-frame-size", u32(16380)},
			{"capabilities", str("")},
			{"healthcheck", boolean(true)},
		}},
	}},
	{"haproxy-3.x/d-healthcheck.conn02.a2h.bin", []goldenFrame{
		{kv: []goldenKV{
			{"version", str("2.0")},
			{"max-frame-size", u32(16380)},
			{"capabilities", str("pipelining,async")},
		}},
	}},
	{"haproxy-3.x/d-healthcheck.conn02.h2a.bin", []goldenFrame{
		{kv: []goldenKV{
			{"supported-versions", str("2.0")},
			{"max-frame-size", u32(16380)},
			{"capabilities", str("")},
			{"healthcheck", boolean(true)},
		}},
	}},
	{"haproxy-3.x/d-healthcheck.conn03.a2h.bin", []goldenFrame{
		{kv: []goldenKV{
			{"version", str("2.0")},
			{"max-frame-size", u32(16380)},
			{"capabilities", str("pipelining,async")},
		}},
	}},
	{"haproxy-3.x/d-healthcheck.conn03.h2a.bin", []goldenFrame{
		{kv: []goldenKV{
			{"supported-versions", str("2.0")},
			{"max-frame-size", u32(16380)},
			{"capabilities", str("")},
			{"healthcheck", boolean(true)},
		}},
	}},
	{"haproxy-3.x/d-healthcheck.conn04.a2h.bin", []goldenFrame{
		{kv: []goldenKV{
			{"version", str("2.0")},
			{"max-frame-size", u32(16380)},
			{"capabilities", str("pipelining,async")},
		}},
	}},
	{"haproxy-3.x/d-healthcheck.conn04.h2a.bin", []goldenFrame{
		{kv: []goldenKV{
			{"supported-versions", str("2.0")},
			{"max-frame-size", u32(16380)},
			{"capabilities", str("")},
			{"healthcheck", boolean(true)},
		}},
	}},
	{"haproxy-3.x/i2-bad-version.conn01.a2h.bin", []goldenFrame{
		{kv: []goldenKV{
			{"version", str("3.0")},
			{"max-frame-size", u32(16380)},
			{"capabilities", str("pipelining,async")},
		}},
		{kv: []goldenKV{
			{"status-code", u32(0)},
			{"message", str("ok")},
		}},
	}},
	{"haproxy-3.x/i2-bad-version.conn01.h2a.bin", []goldenFrame{
		{kv: []goldenKV{
			{"supported-versions", str("2.0")},
			{"max-frame-size", u32(16380)},
			{"capabilities", str("pipelining")},
			{"engine-id", str("b9e2a45c-6952-4fa7-b7d1-ae8ee98dbd3b")},
		}},
		{kv: []goldenKV{
			{"status-code", u32(8)},
			{"message", str("unsupported version")},
		}},
	}},
}

var goldenHeaders = []goldenHeaderBlock{
	{"haproxy-2.6/b-http-types.conn01.h2a.bin", 1, []goldenHeader{
		{"host", "127.0.0.1:27100"},
		{"user-agent", "curl/7.88.1"},
		{"accept", "*/*"},
		{"x-custom", "v1"},
		{"content-type", "application/octet-stream"},
		{"content-length", "13"},
	}},
	{"haproxy-2.6/b-http-types.conn01.h2a.bin", 2, []goldenHeader{
		{"host", "[::1]:27100"},
		{"user-agent", "curl/7.88.1"},
		{"accept", "*/*"},
		{"x-multi", "a"},
		{"x-multi", "b"},
	}},
	{"haproxy-2.6/b-http-types.conn01.h2a.bin", 3, []goldenHeader{
		{"host", "127.0.0.1:27100"},
		{"user-agent", "curl/7.88.1"},
		{"accept", "*/*"},
	}},
	{"haproxy-3.x/b-http-types.conn01.h2a.bin", 1, []goldenHeader{
		{"host", "127.0.0.1:27100"},
		{"user-agent", "curl/7.88.1"},
		{"accept", "*/*"},
		{"x-custom", "v1"},
		{"content-type", "application/octet-stream"},
		{"content-length", "13"},
	}},
	{"haproxy-3.x/b-http-types.conn01.h2a.bin", 2, []goldenHeader{
		{"host", "[::1]:27100"},
		{"user-agent", "curl/7.88.1"},
		{"accept", "*/*"},
		{"x-multi", "a"},
		{"x-multi", "b"},
	}},
	{"haproxy-3.x/b-http-types.conn01.h2a.bin", 3, []goldenHeader{
		{"host", "127.0.0.1:27100"},
		{"user-agent", "curl/7.88.1"},
		{"accept", "*/*"},
	}},
}
