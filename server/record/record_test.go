package record_test

import (
	"bytes"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/spopkit/spopkit/server"
	"github.com/spopkit/spopkit/server/record"
	"github.com/spopkit/spopkit/server/spoptest"
	"github.com/spopkit/spopkit/spopwire"
)

var nop = server.HandlerFunc(func(*server.Request, *server.Actions) error { return nil })

// everyType is a message with an argument of each SPOP type.
var everyType = spoptest.Msg("all",
	spoptest.Arg("null", spopwire.Null()),
	spoptest.Arg("bool", spopwire.BoolValue(true)),
	spoptest.Arg("i32", spopwire.Int32Value(-7)),
	spoptest.Arg("u32", spopwire.Uint32Value(7)),
	spoptest.Arg("i64", spopwire.Int64Value(-1<<40)),
	spoptest.Arg("u64", spopwire.Uint64Value(1<<63)),
	spoptest.Arg("ip4", spopwire.AddrValue(netip.MustParseAddr("192.0.2.1"))),
	spoptest.Arg("ip6", spopwire.AddrValue(netip.MustParseAddr("2001:db8::1"))),
	spoptest.Arg("str", spopwire.StringValue("GET /secret")),
	spoptest.Arg("bin", spopwire.BinaryValue([]byte{0, 1, 2, 0xff})),
	spoptest.Arg("", spopwire.StringValue("unnamed")),
)

// capture runs fn against an agent recording into a new file and returns
// the file's records.
func capture(t *testing.T, opts record.Options, cfg server.Config, fn func(hp *spoptest.HAProxy)) (string, []record.Record) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "rec.spop")
	w, err := record.Create(path, opts)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Recorder = w
	hp := spoptest.New(t, nop, spoptest.Options{Config: cfg})
	fn(hp)
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	recs, err := record.ReadFile(path)
	if err != nil {
		t.Fatalf("ReadFile: %v", err)
	}
	return path, recs
}

func notifies(recs []record.Record) []record.Record {
	var out []record.Record
	for _, r := range recs {
		if r.Kind == record.KindNotify {
			out = append(out, r)
		}
	}
	return out
}

func TestRoundTripEveryType(t *testing.T) {
	path, recs := capture(t, record.Options{}, server.Config{}, func(hp *spoptest.HAProxy) {
		if _, err := hp.NotifyIDs(3, 1, everyType); err != nil {
			t.Fatal(err)
		}
	})
	if len(recs) != 3 || recs[0].Kind != record.KindStart || recs[1].Kind != record.KindHello {
		t.Fatalf("records = %v; want START, HELLO, NOTIFY", kinds(recs))
	}
	n := recs[2]
	want := spoptest.AppendMessages(nil, everyType)
	if !bytes.Equal(n.Payload, want) || n.StreamID != 3 || n.FrameID != 1 || n.ConnID != recs[1].ConnID {
		t.Fatalf("NOTIFY record = %+v; want ids 3/1 on conn %d, payload %x", n, recs[1].ConnID, want)
	}
	if !bytes.Equal(n.Hello, recs[1].Payload) {
		t.Fatalf("NOTIFY.Hello = %x; want the HELLO %x", n.Hello, recs[1].Payload)
	}
	h, err := spopwire.ParseHAProxyHello(n.Hello)
	if err != nil || string(h.EngineID) != spoptest.DefaultEngineID {
		t.Fatalf("HELLO engine-id = %q, %v; want %q", h.EngineID, err, spoptest.DefaultEngineID)
	}
	st, err := os.Stat(path)
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("file mode = %v, %v; want 0600", st.Mode().Perm(), err)
	}
}

func kinds(recs []record.Record) []string {
	var k []string
	for _, r := range recs {
		k = append(k, r.Kind.String())
	}
	return k
}

// A fragmented NOTIFY is recorded once, reassembled.
func TestRoundTripFragmented(t *testing.T) {
	payload := spoptest.AppendMessages(nil, everyType)
	_, recs := capture(t, record.Options{},
		server.Config{Capabilities: spopwire.CapPipelining | spopwire.CapFragmentation},
		func(hp *spoptest.HAProxy) {
			var b []byte
			b = spopwire.AppendFrame(b, spopwire.Frame{Type: spopwire.FrameNotify, StreamID: 1, FrameID: 1, Payload: payload[:10]})
			b = spopwire.AppendFrame(b, spopwire.Frame{Type: spopwire.FrameUnset, StreamID: 1, FrameID: 1, Payload: payload[10:40]})
			b = spopwire.AppendFrame(b, spopwire.Frame{Type: spopwire.FrameUnset, Flags: spopwire.FlagFin, StreamID: 1, FrameID: 1, Payload: payload[40:]})
			if err := hp.SendRaw(b); err != nil {
				t.Fatal(err)
			}
			if _, err := hp.Wait(spoptest.Pending{StreamID: 1, FrameID: 1}); err != nil {
				t.Fatal(err)
			}
		})
	n := notifies(recs)
	if len(n) != 1 || !bytes.Equal(n[0].Payload, payload) {
		t.Fatalf("notifies = %d, first %x; want 1 with the reassembled %x", len(n), n[0].Payload, payload)
	}
}

func TestRedaction(t *testing.T) {
	red, err := record.ParseRedaction([]string{"all.str", "all.ip4", "all.bin", "all.i64", "other.x"})
	if err != nil {
		t.Fatal(err)
	}
	_, recs := capture(t, record.Options{Redact: red}, server.Config{}, func(hp *spoptest.HAProxy) {
		if _, err := hp.Notify(everyType); err != nil {
			t.Fatal(err)
		}
	})
	n := notifies(recs)
	if len(n) != 1 {
		t.Fatalf("%d notifies; want 1", len(n))
	}
	got := map[string]spopwire.Value{}
	it := spopwire.Messages(n[0].Payload)
	for m, ok := it.Next(); ok; m, ok = it.Next() {
		args := m.Args()
		for a, ok := args.Next(); ok; a, ok = args.Next() {
			got[string(a.Name)] = a.Value
		}
	}
	want := map[string]spopwire.Value{
		"str": spopwire.StringValue(""),
		"ip4": spopwire.AddrValue(netip.IPv4Unspecified()),
		"bin": spopwire.BinaryValue(nil),
		"i64": spopwire.Int64Value(0),
		"u64": spopwire.Uint64Value(1 << 63), // not redacted
		"":    spopwire.StringValue("unnamed"),
	}
	for name, w := range want {
		if g := got[name]; !g.Equal(w) || g.Type() != w.Type() {
			t.Errorf("arg %q = %v; want %v", name, g, w)
		}
	}
	if _, err := record.ParseRedaction([]string{"noarg"}); err == nil {
		t.Error(`ParseRedaction("noarg") = nil error; want one`)
	}
}

func TestSampling(t *testing.T) {
	_, recs := capture(t, record.Options{Sample: 3}, server.Config{}, func(hp *spoptest.HAProxy) {
		for range 9 {
			if _, err := hp.Notify(everyType); err != nil {
				t.Fatal(err)
			}
		}
	})
	if n := len(notifies(recs)); n != 3 {
		t.Fatalf("sample 3 of 9 NOTIFYs kept %d; want 3", n)
	}
}

// Rotation keeps FILE and FILE.1, each readable on its own, each NOTIFY
// preceded in its file by its connection's HELLO.
func TestRotation(t *testing.T) {
	path, recs := capture(t, record.Options{MaxBytes: 1000}, server.Config{}, func(hp *spoptest.HAProxy) {
		for range 20 {
			if _, err := hp.Notify(everyType); err != nil {
				t.Fatal(err)
			}
		}
	})
	old, err := record.ReadFile(path + ".1")
	if err != nil {
		t.Fatalf("reading FILE.1: %v", err)
	}
	for name, rs := range map[string][]record.Record{"FILE": recs, "FILE.1": old} {
		if len(notifies(rs)) == 0 {
			t.Errorf("%s has no NOTIFY", name)
		}
		for _, r := range notifies(rs) {
			if r.Hello == nil {
				t.Errorf("%s: NOTIFY at %d without its HELLO", name, r.Offset)
			}
		}
	}
	for _, p := range []string{path, path + ".1"} {
		if st, _ := os.Stat(p); st.Size() > 1000 {
			t.Errorf("%s is %d bytes; want at most 1000", p, st.Size())
		}
	}
}

func TestReopen(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "rec.spop")
	w, err := record.Create(path, record.Options{})
	if err != nil {
		t.Fatal(err)
	}
	hp := spoptest.New(t, nop, spoptest.Options{Config: server.Config{Recorder: w}})
	if _, err := hp.Notify(everyType); err != nil {
		t.Fatal(err)
	}
	// logrotate moves the file away, then sends SIGHUP.
	if err := w.Reopen(); err != nil { // flushes what was queued before the move
		t.Fatal(err)
	}
	if err := os.Rename(path, path+".old"); err != nil {
		t.Fatal(err)
	}
	if err := w.Reopen(); err != nil {
		t.Fatal(err)
	}
	if _, err := hp.Notify(everyType); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{path + ".old", path} {
		recs, err := record.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		n := notifies(recs)
		if len(n) != 1 || n[0].Hello == nil {
			t.Fatalf("%s: %v; want one NOTIFY with its HELLO", p, kinds(recs))
		}
	}
}

// Every prefix of a file reads up to its last whole record, and the error
// says where that is.
func TestTruncated(t *testing.T) {
	path, recs := capture(t, record.Options{}, server.Config{}, func(hp *spoptest.HAProxy) {
		for range 3 {
			if _, err := hp.Notify(everyType); err != nil {
				t.Fatal(err)
			}
		}
	})
	full, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	ends := []int64{8} // after the header
	for _, r := range recs[1:] {
		ends = append(ends, r.Offset)
	}
	ends = append(ends, int64(len(full)))
	for cut := 8; cut < len(full); cut++ {
		got, err := record.ReadAll(bytes.NewReader(full[:cut]))
		var ce *record.CorruptError
		// The last whole record ends at the greatest end <= cut.
		wantEnd := int64(8)
		wantN := 0
		for i, e := range ends {
			if e <= int64(cut) {
				wantEnd, wantN = e, i
			}
		}
		if wantEnd == int64(cut) {
			if err != nil || len(got) != wantN {
				t.Fatalf("cut at %d (a record boundary): %d records, %v; want %d, nil", cut, len(got), err, wantN)
			}
			continue
		}
		if !errors.As(err, &ce) || ce.Offset != wantEnd || len(got) != wantN {
			t.Fatalf("cut at %d: %d records, %v; want %d and a CorruptError at %d", cut, len(got), err, wantN, wantEnd)
		}
	}
	// A flipped byte in the last record: its checksum fails.
	bad := bytes.Clone(full)
	bad[len(bad)-1] ^= 0xff
	got, err := record.ReadAll(bytes.NewReader(bad))
	var ce *record.CorruptError
	if !errors.As(err, &ce) || ce.Reason != "checksum mismatch" || len(got) != len(recs)-1 {
		t.Fatalf("flipped byte: %d records, %v; want %d and a checksum mismatch", len(got), err, len(recs)-1)
	}
	if _, err := record.ReadAll(bytes.NewReader([]byte("GET / HTTP/1.1\r\n"))); !errors.Is(err, record.ErrNotRecording) {
		t.Fatalf("ReadAll(not a recording) = %v; want ErrNotRecording", err)
	}
}

// Create on a recording with a torn tail cuts the tail and appends.
func TestCreateAppendsAfterTornTail(t *testing.T) {
	path, recs := capture(t, record.Options{}, server.Config{}, func(hp *spoptest.HAProxy) {
		if _, err := hp.Notify(everyType); err != nil {
			t.Fatal(err)
		}
	})
	st, _ := os.Stat(path)
	if err := os.Truncate(path, st.Size()-3); err != nil {
		t.Fatal(err)
	}
	w, err := record.Create(path, record.Options{})
	if err != nil {
		t.Fatal(err)
	}
	w.RecordHello(9, recs[1].Payload)
	w.RecordNotify(9, 1, 1, spoptest.AppendMessages(nil, everyType))
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	got, err := record.ReadFile(path)
	if err != nil {
		t.Fatalf("after append: %v", err)
	}
	if k := kinds(got); len(k) != 5 || k[2] != "START" || k[4] != "NOTIFY" {
		t.Fatalf("records = %v; want START HELLO START HELLO NOTIFY", k)
	}
	if err := os.WriteFile(path+".txt", []byte("not a recording"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := record.Create(path+".txt", record.Options{}); !errors.Is(err, record.ErrNotRecording) {
		t.Fatalf("Create(text file) = %v; want ErrNotRecording", err)
	}
}

// A full queue drops records, counts them and never blocks.
func TestDropWhenFull(t *testing.T) {
	path := filepath.Join(t.TempDir(), "rec.spop")
	w, err := record.Create(path, record.Options{QueueBytes: 10})
	if err != nil {
		t.Fatal(err)
	}
	for range 100 {
		w.RecordNotify(1, 1, 1, spoptest.AppendMessages(nil, everyType))
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if w.Dropped() != 100 || w.Written() != 0 {
		t.Fatalf("Dropped, Written = %d, %d; want 100, 0", w.Dropped(), w.Written())
	}
	w.RecordNotify(1, 1, 1, nil) // after Close: dropped, no panic
	if w.Dropped() != 101 {
		t.Fatalf("Dropped after Close = %d; want 101", w.Dropped())
	}
}

func BenchmarkRecordNotify(b *testing.B) {
	w, err := record.Create(filepath.Join(b.TempDir(), "rec.spop"), record.Options{QueueBytes: 1 << 20})
	if err != nil {
		b.Fatal(err)
	}
	defer w.Close()
	payload := spoptest.AppendMessages(nil, everyType)
	b.SetBytes(int64(len(payload)))
	b.ReportAllocs()
	for b.Loop() {
		w.RecordNotify(1, 1, 1, payload)
	}
	b.ReportMetric(float64(w.Dropped()), "dropped")
}

// The queue is allocated once, at Create: enqueueing never grows it.
func TestQueueNeverGrows(t *testing.T) {
	w, err := record.Create(filepath.Join(t.TempDir(), "rec.spop"), record.Options{QueueBytes: 8 << 20})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	payload := make([]byte, 4<<10)
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	for range 1000 { // 4 MiB: far less than the queue
		w.RecordNotify(1, 1, 1, payload)
	}
	runtime.ReadMemStats(&after)
	if grown := after.TotalAlloc - before.TotalAlloc; grown > 1<<20 {
		t.Errorf("enqueueing 4 MiB allocated %d bytes; want the queue preallocated", grown)
	}
}

// A record that cannot be written is counted once: Written + Dropped is
// every record given.
func TestWriteFailureCountedOnce(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "gone")
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	w, err := record.Create(filepath.Join(dir, "rec.spop"), record.Options{MaxBytes: 1})
	if err != nil {
		t.Fatal(err)
	}
	if err := os.RemoveAll(dir); err != nil { // the rotation's rename fails
		t.Fatal(err)
	}
	payload := spoptest.AppendMessages(nil, everyType)
	w.RecordHello(1, []byte("hello"))
	for range 10 {
		w.RecordNotify(1, 1, 1, payload)
	}
	if err := w.Close(); err == nil {
		t.Error("Close: no error after the rotation failed")
	}
	if w.Written()+w.Dropped() != 11 || w.Dropped() == 0 {
		t.Fatalf("Written, Dropped = %d, %d; want a sum of 11, some dropped", w.Written(), w.Dropped())
	}
}

// A HELLO whose write rotates the file is in the new file once: the NOTIFY
// after it does not write it again.
func TestHelloRotatedOnce(t *testing.T) {
	path := filepath.Join(t.TempDir(), "rec.spop")
	w, err := record.Create(path, record.Options{MaxBytes: 1150})
	if err != nil {
		t.Fatal(err)
	}
	hello := make([]byte, 50)
	w.RecordHello(1, hello)
	w.RecordNotify(1, 1, 1, make([]byte, 1000)) // the file is nearly full
	w.RecordHello(2, hello)                     // rotates
	w.RecordNotify(2, 1, 1, make([]byte, 10))
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	recs, err := record.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := fmt.Sprint(kinds(recs)); got != "[START HELLO NOTIFY]" {
		t.Fatalf("records after the rotation: %s; want [START HELLO NOTIFY]", got)
	}
}
