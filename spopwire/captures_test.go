package spopwire_test

// Golden tests over the traffic captured from real HAProxy 2.6 and 3.x builds
// (../testdata/captures/*/README.md describes the scenarios; index.json lists
// every frame of every .bin file as decoded by an independent decoder).

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/spopkit/spopkit/spopwire"
)

const capturesDir = "../testdata/captures"

// captureVersions are the two capture folders and how many .bin files each
// holds (294 in all, as the READMEs say).
var captureVersions = []struct {
	dir   string
	files int
}{
	{"haproxy-2.6", 162},
	{"haproxy-3.x", 132},
}

// indexFrame is one entry of index.json. Length counts the 4-byte prefix: it is
// the frame's size on the wire, so Offset+Length is the next frame's Offset.
type indexFrame struct {
	Offset   int    `json:"offset"`
	Length   int    `json:"length"`
	Type     int    `json:"type"`
	TypeName string `json:"type_name"`
	Flags    uint32 `json:"flags"`
	StreamID uint64 `json:"stream_id"`
	FrameID  uint64 `json:"frame_id"`
}

func loadIndex(tb testing.TB, dir string) map[string][]indexFrame {
	tb.Helper()
	data, err := os.ReadFile(filepath.Join(capturesDir, dir, "index.json"))
	if err != nil {
		tb.Fatal(err)
	}
	var idx map[string][]indexFrame
	if err := json.Unmarshal(data, &idx); err != nil {
		tb.Fatalf("%s/index.json: %v", dir, err)
	}
	return idx
}

// captureFile is one .bin file: every byte one side sent on one connection.
type captureFile struct {
	path string // "haproxy-2.6/a1-iprep-unnamed.conn01.h2a.bin"
	data []byte
}

// loadCaptures reads every .bin file of both folders, in a stable order.
func loadCaptures(tb testing.TB) []captureFile {
	tb.Helper()
	var files []captureFile
	for _, v := range captureVersions {
		paths, err := filepath.Glob(filepath.Join(capturesDir, v.dir, "*.bin"))
		if err != nil {
			tb.Fatal(err)
		}
		sort.Strings(paths)
		for _, p := range paths {
			data, err := os.ReadFile(p)
			if err != nil {
				tb.Fatal(err)
			}
			files = append(files, captureFile{path: v.dir + "/" + filepath.Base(p), data: data})
		}
	}
	return files
}

// splitFrames cuts a capture into its raw frames (prefix included). It trusts
// only the length prefixes, so it is independent of the decoder under test.
func splitFrames(tb testing.TB, c captureFile) [][]byte {
	tb.Helper()
	var frames [][]byte
	for b := c.data; len(b) > 0; {
		if len(b) < 4 {
			tb.Fatalf("%s: %d stray bytes at the end", c.path, len(b))
		}
		l := 4 + int(binary.BigEndian.Uint32(b))
		if l > len(b) {
			tb.Fatalf("%s: frame of %d bytes, %d left", c.path, l, len(b))
		}
		frames = append(frames, b[:l:l])
		b = b[l:]
	}
	return frames
}

func TestCaptureIndex(t *testing.T) {
	total, files := 0, 0
	for _, v := range captureVersions {
		idx := loadIndex(t, v.dir)
		paths, _ := filepath.Glob(filepath.Join(capturesDir, v.dir, "*.bin"))
		if len(paths) != v.files || len(idx) != v.files {
			t.Errorf("%s: %d .bin files, %d in index.json; want %d", v.dir, len(paths), len(idx), v.files)
		}
		for _, p := range paths {
			files++
			name := filepath.Base(p)
			want, ok := idx[name]
			if !ok {
				t.Errorf("%s/%s: not in index.json", v.dir, name)
				continue
			}
			data, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			off := 0
			for i := 0; off < len(data); i++ {
				f, n := spopwire.ConsumeFrame(data[off:], spopwire.DefaultMaxFrameSize)
				if n <= 0 {
					t.Errorf("%s/%s: frame %d @%d: ConsumeFrame = %s", v.dir, name, i, off, nstr(n))
					break
				}
				if i >= len(want) {
					t.Errorf("%s/%s: frame %d @%d not in index.json", v.dir, name, i, off)
					break
				}
				w := want[i]
				got := indexFrame{Offset: off, Length: n, Type: int(f.Type), TypeName: w.TypeName,
					Flags: uint32(f.Flags), StreamID: f.StreamID, FrameID: f.FrameID}
				if got != w {
					t.Errorf("%s/%s: frame %d = %+v; want %+v", v.dir, name, i, got, w)
				}
				if s := f.Type.String(); s != w.TypeName && !(f.Type == spopwire.FrameUnset && w.TypeName == "UNSET(fragment)") {
					t.Errorf("%s/%s: frame %d: Type.String() = %q; want %q", v.dir, name, i, s, w.TypeName)
				}
				if err := decodePayload(f); err != nil {
					t.Errorf("%s/%s: frame %d (%v %d/%d): %v", v.dir, name, i, f.Type, f.StreamID, f.FrameID, err)
				}
				off += n
				total++
			}
			if got := countFrames(data); got != len(want) {
				t.Errorf("%s/%s: %d frames; index.json lists %d", v.dir, name, got, len(want))
			}
		}
	}
	t.Logf("%d frames in %d files checked against index.json", total, files)
}

func countFrames(data []byte) int {
	n := 0
	for len(data) > 0 {
		_, m := spopwire.ConsumeFrame(data, spopwire.DefaultMaxFrameSize)
		if m <= 0 {
			return -1
		}
		data = data[m:]
		n++
	}
	return n
}

// decodePayload decodes a frame's payload completely with the matching
// iterator; fragments are checked after reassembly (see TestCaptureReencode).
func decodePayload(f spopwire.Frame) error {
	switch f.Type {
	case spopwire.FrameHAProxyHello, spopwire.FrameHAProxyDisconnect, spopwire.FrameAgentHello, spopwire.FrameAgentDisconnect:
		it := spopwire.KVs(f.Payload)
		for _, _, ok := it.Next(); ok; _, _, ok = it.Next() {
		}
		return it.Err()
	case spopwire.FrameNotify:
		if !f.Flags.Fin() {
			return nil // first fragment
		}
		_, err := readMessages(f.Payload)
		return err
	case spopwire.FrameAck:
		it := spopwire.Actions(f.Payload)
		for _, ok := it.Next(); ok; _, ok = it.Next() {
		}
		return it.Err()
	case spopwire.FrameUnset:
		return nil
	}
	return fmt.Errorf("unexpected frame type %v", f.Type)
}

// reencodePayload decodes payload as frame type t carries it and encodes the
// result again with the generic encoders (AppendKV, AppendMessageHeader +
// AppendArg, AppendAction).
func reencodePayload(t spopwire.FrameType, payload []byte) ([]byte, error) {
	var b []byte
	switch t {
	case spopwire.FrameHAProxyHello, spopwire.FrameHAProxyDisconnect, spopwire.FrameAgentHello, spopwire.FrameAgentDisconnect:
		it := spopwire.KVs(payload)
		for key, v, ok := it.Next(); ok; key, v, ok = it.Next() {
			b = spopwire.AppendKV(b, string(key), v)
		}
		return b, it.Err()
	case spopwire.FrameNotify:
		it := spopwire.Messages(payload)
		for msg, ok := it.Next(); ok; msg, ok = it.Next() {
			b = spopwire.AppendMessageHeader(b, string(msg.Name), msg.NumArgs)
			args := msg.Args()
			for a, ok := args.Next(); ok; a, ok = args.Next() {
				b = spopwire.AppendArg(b, string(a.Name), a.Value)
			}
		}
		return b, it.Err()
	case spopwire.FrameAck:
		it := spopwire.Actions(payload)
		for a, ok := it.Next(); ok; a, ok = it.Next() {
			b = spopwire.AppendAction(b, a)
		}
		return b, it.Err()
	}
	return nil, fmt.Errorf("no payload encoding for %v", t)
}

// reencodeTyped rebuilds a whole frame with the typed helpers. ok is false when
// the frame is outside what the helper can express (an AGENT-HELLO whose
// version is not "2.0": AppendAgentHello always sends "2.0").
func reencodeTyped(f spopwire.Frame) (b []byte, ok bool, err error) {
	switch f.Type {
	case spopwire.FrameHAProxyHello:
		h, err := spopwire.ParseHAProxyHello(f.Payload)
		return spopwire.AppendHAProxyHello(nil, h), true, err
	case spopwire.FrameAgentHello:
		h, err := spopwire.ParseAgentHello(f.Payload)
		if string(h.Version) != spopwire.Version {
			return nil, false, err
		}
		return spopwire.AppendAgentHello(nil, h.MaxFrameSize, h.Capabilities), true, err
	case spopwire.FrameHAProxyDisconnect, spopwire.FrameAgentDisconnect:
		d, err := spopwire.ParseDisconnect(f.Payload)
		return spopwire.AppendDisconnect(nil, f.Type, d.Status, string(d.Message)), true, err
	}
	return nil, false, nil
}

type fragKey struct{ sid, fid uint64 }

func TestCaptureReencode(t *testing.T) {
	var frames, typed, untyped, reassembled int
	for _, c := range loadCaptures(t) {
		pending := map[fragKey][]byte{} // NOTIFY payloads being reassembled
		for i, raw := range splitFrames(t, c) {
			frames++
			f, n := spopwire.ConsumeFrame(raw, spopwire.DefaultMaxFrameSize)
			if n != len(raw) {
				t.Errorf("%s: frame %d: ConsumeFrame = %s; want n=%d", c.path, i, nstr(n), len(raw))
				continue
			}
			// The header, and the payload as-is.
			if got := spopwire.AppendFrame(nil, f); !bytes.Equal(got, raw) {
				t.Errorf("%s: frame %d: AppendFrame =\n%x; want\n%x", c.path, i, got, raw)
			}

			payload := f.Payload
			switch {
			case f.Type == spopwire.FrameNotify && !f.Flags.Fin():
				pending[fragKey{f.StreamID, f.FrameID}] = append([]byte(nil), f.Payload...)
				continue
			case f.Type == spopwire.FrameUnset:
				k := fragKey{f.StreamID, f.FrameID}
				p, ok := pending[k]
				if !ok {
					t.Errorf("%s: frame %d: UNSET %d/%d without a first fragment", c.path, i, k.sid, k.fid)
					continue
				}
				p = append(p, f.Payload...)
				if !f.Flags.Fin() {
					pending[k] = p
					continue
				}
				delete(pending, k)
				if f.Flags.Abort() {
					continue // abandoned: nothing to decode
				}
				payload = p
				reassembled++
				f.Type = spopwire.FrameNotify
			}

			// The payload, decoded and encoded again.
			got, err := reencodePayload(f.Type, payload)
			if err != nil || !bytes.Equal(got, payload) {
				t.Errorf("%s: frame %d (%v): payload re-encoded =\n%x, %v; want\n%x", c.path, i, f.Type, got, err, payload)
			}

			// The whole frame through the typed helpers.
			b, ok, err := reencodeTyped(f)
			switch {
			case err != nil:
				t.Errorf("%s: frame %d (%v): %v", c.path, i, f.Type, err)
			case ok && !bytes.Equal(b, raw):
				t.Errorf("%s: frame %d (%v): typed helper =\n%x; want\n%x", c.path, i, f.Type, b, raw)
			case ok:
				typed++
			case f.Type == spopwire.FrameAgentHello:
				untyped++
			}
		}
		if len(pending) != 0 {
			t.Errorf("%s: %d fragmented NOTIFYs never finished", c.path, len(pending))
		}
	}
	// AGENT-HELLOs announcing "3.0" (i2-bad-version) are the only frames the
	// typed helpers cannot express: 4 connections in 2.6, 1 in 3.x.
	if untyped != 5 {
		t.Errorf("%d AGENT-HELLOs skipped by the typed check; want 5 (the i2-bad-version ones)", untyped)
	}
	if reassembled != 1 {
		t.Errorf("%d fragmented NOTIFYs reassembled; want 1 (2.6 f1-fragmentation)", reassembled)
	}
	t.Logf("%d frames re-encoded; %d also byte-identical through the typed HELLO/DISCONNECT helpers", frames, typed)
}

// TestCaptureStream feeds every capture to a read loop in small chunks, the way
// TCP may deliver it: ConsumeFrame must say "need more" until a whole frame is
// buffered, then return exactly the frames of index.json.
func TestCaptureStream(t *testing.T) {
	for _, chunk := range []int{1, 5, 64, 1000} {
		for _, c := range loadCaptures(t) {
			want := splitFrames(t, c)
			var buf, got []byte
			nframes := 0
			for off := 0; off < len(c.data); off += chunk {
				buf = append(buf, c.data[off:min(off+chunk, len(c.data))]...)
				for {
					_, n := spopwire.ConsumeFrame(buf, spopwire.DefaultMaxFrameSize)
					if spopwire.ParseError(n) == spopwire.ErrNeedMore {
						break
					}
					if n <= 0 {
						t.Fatalf("%s (chunks of %d): ConsumeFrame = %s", c.path, chunk, nstr(n))
					}
					if nframes >= len(want) || !bytes.Equal(buf[:n], want[nframes]) {
						t.Fatalf("%s (chunks of %d): frame %d differs", c.path, chunk, nframes)
					}
					got = append(got, buf[:n]...)
					buf = buf[n:]
					nframes++
				}
			}
			if nframes != len(want) || len(buf) != 0 || !bytes.Equal(got, c.data) {
				t.Errorf("%s (chunks of %d): %d frames, %d bytes left; want %d frames, 0 left", c.path, chunk, nframes, len(buf), len(want))
			}
		}
	}
}

// TestCaptureTooBig replays the captures with a maximum just below each frame:
// the frame must be refused from its prefix alone.
func TestCaptureTooBig(t *testing.T) {
	for _, c := range loadCaptures(t) {
		for i, raw := range splitFrames(t, c) {
			l := uint32(len(raw) - spopwire.LengthSize)
			if _, n := spopwire.ConsumeFrame(raw[:spopwire.LengthSize], l-1); spopwire.ParseError(n) != spopwire.ErrFrameTooBig {
				t.Errorf("%s: frame %d: ConsumeFrame(prefix, %d) = %s; want too big", c.path, i, l-1, nstr(n))
			}
			if _, n := spopwire.ConsumeFrame(raw, l); n != len(raw) {
				t.Errorf("%s: frame %d: ConsumeFrame(frame, %d) = %s; want n=%d", c.path, i, l, nstr(n), len(raw))
			}
		}
	}
}

// readCapture returns the frames of one capture file, decoded.
func readCapture(t *testing.T, path string) []spopwire.Frame {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(capturesDir, path))
	if err != nil {
		t.Fatal(err)
	}
	var frames []spopwire.Frame
	for len(data) > 0 {
		f, n := spopwire.ConsumeFrame(data, spopwire.DefaultMaxFrameSize)
		if n <= 0 {
			t.Fatalf("%s: ConsumeFrame = %s", path, nstr(n))
		}
		frames = append(frames, f)
		data = data[n:]
	}
	return frames
}

func capturePaths(t *testing.T, pattern string) []string {
	t.Helper()
	paths, err := filepath.Glob(filepath.Join(capturesDir, pattern))
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(paths)
	for i, p := range paths {
		paths[i] = strings.TrimPrefix(filepath.ToSlash(p), capturesDir+"/")
	}
	return paths
}

func TestCaptureHealthcheck(t *testing.T) {
	// d-healthcheck: one HELLO per check connection, byte-identical in 2.6 and
	// 3.x (ref §4.2): 82 bytes, no engine-id, empty capabilities, healthcheck.
	want := dhex(helloHealthcheck)
	paths := capturePaths(t, "haproxy-*/d-healthcheck.conn*.h2a.bin")
	if len(paths) != 8 {
		t.Errorf("%d health-check captures; want 4 per version", len(paths))
	}
	for _, p := range paths {
		data, err := os.ReadFile(filepath.Join(capturesDir, p))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(data, want) {
			t.Errorf("%s =\n%x; want the 82 bytes of ref §4.2\n%x", p, data, want)
		}
		frames := readCapture(t, p)
		if len(frames) != 1 || frames[0].Type != spopwire.FrameHAProxyHello {
			t.Fatalf("%s: %d frames; want one HAPROXY-HELLO", p, len(frames))
		}
		h, err := spopwire.ParseHAProxyHello(frames[0].Payload)
		if err != nil || !h.Healthcheck || len(h.EngineID) != 0 || h.Capabilities != 0 ||
			h.MaxFrameSize != 16380 || string(h.SupportedVersions) != "2.0" || !spopwire.VersionSupported(h.SupportedVersions) {
			t.Errorf("%s: ParseHAProxyHello = %+v, %v; want 2.0, 16380, no capabilities, no engine-id, healthcheck", p, h, err)
		}
		// The capabilities key is there, as an empty STRING.
		it := spopwire.KVs(frames[0].Payload)
		var keys []string
		for key, v, ok := it.Next(); ok; key, v, ok = it.Next() {
			keys = append(keys, string(key))
			if string(key) == spopwire.KeyCapabilities && (v.Type() != spopwire.TypeString || len(v.Bytes()) != 0) {
				t.Errorf("%s: capabilities = %v; want STRING \"\"", p, v)
			}
		}
		if got := strings.Join(keys, ","); got != "supported-versions,max-frame-size,capabilities,healthcheck" {
			t.Errorf("%s: keys = %s", p, got)
		}
		if got := spopwire.AppendHAProxyHello(nil, h); !bytes.Equal(got, want) {
			t.Errorf("%s: AppendHAProxyHello(parsed) =\n%x; want\n%x", p, got, want)
		}
	}
}

// f1Body is the 1200-byte POST body of the f1-fragmentation scenario: byte i is
// i·7 mod 251 (the prefix shown in client.txt and README.md).
var f1Body = func() string {
	b := make([]byte, 1200)
	for i := range b {
		b[i] = byte(i * 7 % 251)
	}
	return string(b)
}()

func TestCaptureFragmentation(t *testing.T) {
	// 2.6 with max-frame-size 256 and an agent announcing fragmentation: a
	// NOTIFY without FIN, 4 UNSET without FIN, 1 UNSET with FIN, same ids,
	// 224 payload bytes per fragment (ref §6.3).
	frames := readCapture(t, "haproxy-2.6/f1-fragmentation.conn01.h2a.bin")
	if len(frames) != 8 {
		t.Fatalf("f1 conn01: %d frames; want HELLO, 6 fragments, DISCONNECT", len(frames))
	}
	h, _ := spopwire.ParseHAProxyHello(frames[0].Payload)
	if h.MaxFrameSize != 256 {
		t.Errorf("HELLO max-frame-size = %d; want 256", h.MaxFrameSize)
	}
	wantTypes := []spopwire.FrameType{spopwire.FrameNotify, spopwire.FrameUnset, spopwire.FrameUnset, spopwire.FrameUnset, spopwire.FrameUnset, spopwire.FrameUnset}
	var payload []byte
	for i, f := range frames[1:7] {
		last := i == 5
		if f.Type != wantTypes[i] || f.Flags.Fin() != last || f.Flags.Abort() || f.StreamID != 0 || f.FrameID != 1 {
			t.Errorf("fragment %d = %v flags %#x %d/%d; want %v, FIN %v, 0/1", i, f.Type, uint32(f.Flags), f.StreamID, f.FrameID, wantTypes[i], last)
		}
		if wantLen := map[bool]int{false: 224, true: 124}[last]; len(f.Payload) != wantLen {
			t.Errorf("fragment %d: %d payload bytes; want %d", i, len(f.Payload), wantLen)
		}
		payload = append(payload, f.Payload...)
	}

	// A fragment alone is not a list of messages: the body is cut.
	first := spopwire.Messages(frames[1].Payload)
	if msg, ok := first.Next(); ok || first.Err() != spopwire.ErrInvalidFrame {
		t.Errorf("Messages(first fragment) = %q, %v; want an invalid frame", msg.Name, first.Err())
	}

	// The reassembled payload is a normal LIST-OF-MESSAGES.
	if len(payload) != 1244 {
		t.Errorf("reassembled payload: %d bytes; want 1244", len(payload))
	}
	got, err := readMessages(payload)
	want := []testMessage{{"big-body", []testArg{{"method", str("POST")}, {"path", str("/f/big")}, {"body", bin(f1Body)}}}}
	if err != nil || !messagesEqual(got, want) {
		t.Errorf("reassembled NOTIFY = %.200s, %v; want %.200s", messagesString(got), err, messagesString(want))
	}

	// The agent announced fragmentation and ACKed once, after the FIN fragment.
	replies := readCapture(t, "haproxy-2.6/f1-fragmentation.conn01.a2h.bin")
	ah, _ := spopwire.ParseAgentHello(replies[0].Payload)
	if !ah.Capabilities.Has(spopwire.CapFragmentation) || ah.MaxFrameSize != 256 {
		t.Errorf("AGENT-HELLO = %+v; want max-frame-size 256 with fragmentation", ah)
	}
	if len(replies) != 3 || replies[1].Type != spopwire.FrameAck || replies[1].StreamID != 0 || replies[1].FrameID != 1 {
		t.Errorf("agent frames = %d, second %v; want AGENT-HELLO, ACK 0/1, AGENT-DISCONNECT", len(replies), replies[1].Type)
	}

	// 3.x never fragments: the too-big NOTIFY failed locally and no agent
	// connection was opened, so there is nothing to decode.
	if paths := capturePaths(t, "haproxy-3.x/f1-fragmentation*.bin"); len(paths) != 0 {
		t.Errorf("3.x f1-fragmentation has captures %q; want none", paths)
	}
	for name := range loadIndex(t, "haproxy-3.x") {
		if strings.HasPrefix(name, "f1-fragmentation.") {
			t.Errorf("3.x index.json lists %s; want no f1-fragmentation file", name)
		}
	}
	// And no other capture, of either version, carries a fragment.
	for _, c := range loadCaptures(t) {
		if strings.HasPrefix(c.path, "haproxy-2.6/f1-fragmentation.conn01.h2a") {
			continue
		}
		for data := c.data; len(data) > 0; {
			f, n := spopwire.ConsumeFrame(data, spopwire.DefaultMaxFrameSize)
			if n <= 0 {
				break
			}
			if f.Type == spopwire.FrameUnset || !f.Flags.Fin() || f.Flags.Abort() {
				t.Errorf("%s: unexpected %v with flags %#x", c.path, f.Type, uint32(f.Flags))
			}
			data = data[n:]
		}
	}
}

func TestCaptureBadVersion(t *testing.T) {
	// i2-bad-version: the agent answers version "3.0"; HAProxy (both versions)
	// replies HAPROXY-DISCONNECT status 8 "unsupported version".
	for _, p := range capturePaths(t, "haproxy-*/i2-bad-version.conn*.a2h.bin") {
		frames := readCapture(t, p)
		h, err := spopwire.ParseAgentHello(frames[0].Payload)
		if err != nil || string(h.Version) != "3.0" || spopwire.VersionSupported(h.Version) {
			t.Errorf("%s: AGENT-HELLO version %q (supported %v), %v; want \"3.0\", unsupported", p, h.Version, spopwire.VersionSupported(h.Version), err)
		}
	}
	paths := capturePaths(t, "haproxy-*/i2-bad-version.conn*.h2a.bin")
	if len(paths) != 5 {
		t.Errorf("%d i2-bad-version captures from HAProxy; want 4 (2.6) + 1 (3.x)", len(paths))
	}
	for _, p := range paths {
		frames := readCapture(t, p)
		last := frames[len(frames)-1]
		d, err := spopwire.ParseDisconnect(last.Payload)
		if last.Type != spopwire.FrameHAProxyDisconnect || err != nil || d.Status != spopwire.StatusUnsupportedVersion ||
			string(d.Message) != "unsupported version" || d.Status.String() != string(d.Message) {
			t.Errorf("%s: last frame %v = {%d %q}, %v; want HAPROXY-DISCONNECT {8 \"unsupported version\"}", p, last.Type, d.Status, d.Message, err)
		}
		if got := spopwire.AppendDisconnect(nil, spopwire.FrameHAProxyDisconnect, spopwire.StatusUnsupportedVersion, ""); !bytes.Equal(got, spopwire.AppendFrame(nil, last)) {
			t.Errorf("%s: AppendDisconnect(8, \"\") = %x; want the captured frame", p, got)
		}
	}
}
