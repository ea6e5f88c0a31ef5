package spopwire_test

import (
	"bytes"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/spopkit/spopkit/spopwire"
)

type testArg struct {
	name string
	v    spopwire.Value
}

type testMessage struct {
	name string
	args []testArg
}

// appendMessages encodes msgs with AppendMessageHeader/AppendArg.
func appendMessages(b []byte, msgs []testMessage) []byte {
	for _, m := range msgs {
		b = spopwire.AppendMessageHeader(b, m.name, len(m.args))
		for _, a := range m.args {
			b = spopwire.AppendArg(b, a.name, a.v)
		}
	}
	return b
}

// readMessages decodes a NOTIFY payload with Messages/Args.
func readMessages(payload []byte) ([]testMessage, error) {
	var got []testMessage
	it := spopwire.Messages(payload)
	for msg, ok := it.Next(); ok; msg, ok = it.Next() {
		m := testMessage{name: string(msg.Name)}
		args := msg.Args()
		for a, ok := args.Next(); ok; a, ok = args.Next() {
			m.args = append(m.args, testArg{string(a.Name), a.Value})
		}
		if len(m.args) != msg.NumArgs {
			return got, fmt.Errorf("message %q: %d args read; NumArgs = %d", m.name, len(m.args), msg.NumArgs)
		}
		got = append(got, m)
	}
	return got, it.Err()
}

func messagesString(msgs []testMessage) string {
	var sb strings.Builder
	for _, m := range msgs {
		fmt.Fprintf(&sb, "%q(", m.name)
		for i, a := range m.args {
			if i > 0 {
				sb.WriteString(", ")
			}
			fmt.Fprintf(&sb, "%q=%v", a.name, a.v)
		}
		sb.WriteString(") ")
	}
	return sb.String()
}

func messagesEqual(a, b []testMessage) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i].name != b[i].name || len(a[i].args) != len(b[i].args) {
			return false
		}
		for j := range a[i].args {
			if a[i].args[j].name != b[i].args[j].name || !a[i].args[j].v.Equal(b[i].args[j].v) {
				return false
			}
		}
	}
	return true
}

var messagesTests = []struct {
	name string
	msgs []testMessage
	raw  string
}{
	// Ref §3.5: four unnamed args, event on-client-session.
	{"ref §3.5", []testMessage{{"msg-client", []testArg{
		{"", ip("127.0.0.1")}, {"", ip("127.0.0.1")}, {"", i64(42144)}, {"", i64(18080)},
	}}}, `0a "msg-client" 04  00 06 7f000001  00 06 7f000001  00 04 f0 bb 13  00 04 f0 db 07`},

	// No messages: 3.1–3.2 send such a NOTIFY.
	{"empty", nil, ""},

	// Several messages in one NOTIFY with 0, 1, 3 and 2 args, named and
	// unnamed: each NB-ARGS must be honoured exactly.
	{"mixed", []testMessage{
		{"no-args", nil},
		{"one", []testArg{{"ip", ip("::1")}}},
		{"three", []testArg{{"", str("GET")}, {"path", str("")}, {"", null}}},
		{"no-args-again", nil},
		{"two", []testArg{{"b", boolean(true)}, {"neg", i64(-1)}}},
	}, `07 "no-args" 00
		03 "one" 01  02 "ip" 07 00000000000000000000000000000001
		05 "three" 03  00 08 03 "GET"  04 "path" 08 00  00 00
		0d "no-args-again" 00
		03 "two" 02  01 "b" 11  03 "neg" 04 ff f0 fe fe fe fe fe fe fe 0e`},

	// Values that look like message headers must not confuse the reader.
	{"tricky values", []testMessage{
		{"m", []testArg{{"", bin("\x01m\x00")}, {"", str("\x00")}}},
		{"\x00", []testArg{{"\x00", null}}},
	}, "01 6d 02  00 09 03 01 6d 00  00 08 01 00  01 00 01 01 00 00"},
}

func TestMessages(t *testing.T) {
	for _, tt := range messagesTests {
		raw := dhex(tt.raw)
		if got := appendMessages(nil, tt.msgs); !bytes.Equal(got, raw) {
			t.Errorf("%s: AppendMessageHeader/AppendArg = %x; want %x", tt.name, got, raw)
		}
		got, err := readMessages(raw)
		if err != nil || !messagesEqual(got, tt.msgs) {
			t.Errorf("%s: Messages(%x) = %s, %v; want %s, nil", tt.name, raw, messagesString(got), err, messagesString(tt.msgs))
		}
	}
}

func TestMessagesSkip(t *testing.T) {
	raw := dhex(messagesTests[2].raw) // "mixed"
	want := []string{"no-args", "one", "three", "no-args-again", "two"}

	// Skipping every message without touching its arguments.
	var names []string
	it := spopwire.Messages(raw)
	for msg, ok := it.Next(); ok; msg, ok = it.Next() {
		names = append(names, string(msg.Name))
	}
	if it.Err() != nil || strings.Join(names, ",") != strings.Join(want, ",") {
		t.Errorf("Messages (skipping args) = %q, %v; want %q, nil", names, it.Err(), want)
	}

	// Reading only the first argument of each message.
	names = names[:0]
	it = spopwire.Messages(raw)
	for msg, ok := it.Next(); ok; msg, ok = it.Next() {
		names = append(names, string(msg.Name))
		args := msg.Args()
		if args.Len() != msg.NumArgs {
			t.Errorf("%q: Args().Len() = %d; want %d", msg.Name, args.Len(), msg.NumArgs)
		}
		if _, ok := args.Next(); ok != (msg.NumArgs > 0) {
			t.Errorf("%q: first Args().Next() ok = %v; want %v", msg.Name, ok, msg.NumArgs > 0)
		}
		if msg.NumArgs > 0 && args.Len() != msg.NumArgs-1 {
			t.Errorf("%q: Args().Len() after one = %d; want %d", msg.Name, args.Len(), msg.NumArgs-1)
		}
	}
	if it.Err() != nil || strings.Join(names, ",") != strings.Join(want, ",") {
		t.Errorf("Messages (one arg each) = %q, %v; want %q, nil", names, it.Err(), want)
	}

	// Args can be walked again, and a Message value stays usable after Next.
	it = spopwire.Messages(raw)
	var msgs []spopwire.Message
	for msg, ok := it.Next(); ok; msg, ok = it.Next() {
		msgs = append(msgs, msg)
	}
	three := msgs[2]
	for range 2 {
		args := three.Args()
		var got []string
		for a, ok := args.Next(); ok; a, ok = args.Next() {
			got = append(got, fmt.Sprintf("%s=%v", a.Name, a.Value))
		}
		if w := []string{`=STRING "GET"`, `path=STRING ""`, "=NULL"}; strings.Join(got, ",") != strings.Join(w, ",") {
			t.Errorf("three.Args() = %q; want %q", got, w)
		}
	}

	// Next reuses the iterator's Arg: a copy keeps an argument, the pointer
	// sees the next one.
	args := three.Args()
	first, _ := args.Next()
	kept := *first
	second, _ := args.Next()
	if first != second || string(kept.Name) != "" || kept.Value.String() != `STRING "GET"` || string(first.Name) != "path" {
		t.Errorf("after two Next calls: first = %q, kept = %q %v; want the same pointer and a kept first argument", first.Name, kept.Name, kept.Value)
	}

	// Past the last argument, Next gives an empty argument, not nil: a
	// handler that reads an argument a message lacks sees NULL.
	for range 3 {
		args.Next()
	}
	if a, ok := args.Next(); ok || a == nil || a.Name != nil || !a.Value.IsNull() {
		t.Errorf("Next past the end = %v, %v; want an empty argument and false", a, ok)
	}
}

// TestValueDeepEqual: reflect.DeepEqual, as testing libraries use it, never
// calls two different strings equal.
func TestValueDeepEqual(t *testing.T) {
	if reflect.DeepEqual(spopwire.StringValue("ab"), spopwire.StringValue("ax")) {
		t.Error(`DeepEqual(STRING "ab", STRING "ax") = true`)
	}
	if !reflect.DeepEqual(spopwire.Int64Value(7), spopwire.Int64Value(7)) {
		t.Error("DeepEqual(INT64 7, INT64 7) = false")
	}
}

func TestMessagesErrors(t *testing.T) {
	tests := []struct {
		name      string
		raw       string
		wantNames []string // messages returned before the error
	}{
		{"NB-ARGS missing", `03 "msg"`, nil},
		{"name cut", `05 "ms"`, nil},
		{"fewer args than NB-ARGS", `03 "msg" 02  00 04 2a`, nil},
		{"arg value cut", `03 "msg" 01  00 08 05 "GE"`, nil},
		{"arg of a reserved type", `03 "msg" 01  00 0b`, nil},
		{"arg name only", `03 "msg" 01  02 "ip"`, nil},
		// The bad message is the second one; the first is still delivered,
		// the error is not confused with the end of the list.
		{"second message bad", `01 "a" 00  01 "b" 01 00 0f`, []string{"a"}},
		// More args than NB-ARGS: the extra bytes are read as a message.
		{"extra arg", `01 "a" 01  00 04 2a  00 04 2b`, []string{"a"}},
		{"trailing byte", `01 "a" 00  ff`, []string{"a"}},
	}
	for _, tt := range tests {
		raw := dhex(tt.raw)
		var names []string
		it := spopwire.Messages(raw)
		for msg, ok := it.Next(); ok; msg, ok = it.Next() {
			names = append(names, string(msg.Name))
		}
		if it.Err() != spopwire.ErrInvalidFrame || strings.Join(names, ",") != strings.Join(tt.wantNames, ",") {
			t.Errorf("%s: Messages(%x) = %q, %v; want %q, %v", tt.name, raw, names, it.Err(), tt.wantNames, spopwire.ErrInvalidFrame)
		}
		if _, ok := it.Next(); ok {
			t.Errorf("%s: Next after an error = ok", tt.name)
		}
	}
}

func TestConsumeMessageHeader(t *testing.T) {
	tests := []struct {
		raw       string
		wantName  string
		wantNargs int
		wantN     int
		wantErr   error
	}{
		{`0a "msg-client" 04`, "msg-client", 4, 12, nil},
		{`00 00`, "", 0, 2, nil},
		{`01 "m" ff 00`, "m", 255, 3, nil},
		{``, "", 0, 0, spopwire.ErrNeedMore},
		{`0a "msg-client"`, "", 0, 0, spopwire.ErrNeedMore},
		{`0a "msg"`, "", 0, 0, spopwire.ErrNeedMore},
		{`ff ff ff ff ff ff ff ff ff 7f`, "", 0, 0, spopwire.ErrInvalidFrame},
	}
	for _, tt := range tests {
		raw := dhex(tt.raw)
		name, nargs, n := spopwire.ConsumeMessageHeader(raw)
		if tt.wantErr != nil {
			if spopwire.ParseError(n) != tt.wantErr {
				t.Errorf("ConsumeMessageHeader(%x) = %q, %d, %s; want %s", raw, name, nargs, nstr(n), wantN(0, tt.wantErr))
			}
			continue
		}
		if string(name) != tt.wantName || nargs != tt.wantNargs || n != tt.wantN {
			t.Errorf("ConsumeMessageHeader(%x) = %q, %d, %s; want %q, %d, n=%d", raw, name, nargs, nstr(n), tt.wantName, tt.wantNargs, tt.wantN)
		}
	}
}

func TestConsumeArg(t *testing.T) {
	tests := []struct {
		raw      string
		wantName string
		wantV    spopwire.Value
		wantN    int
		wantErr  error
	}{
		{`00 06 7f000001`, "", ip("127.0.0.1"), 6, nil},
		{`02 "ip" 06 7f000001 ff`, "ip", ip("127.0.0.1"), 8, nil},
		{`04 "ineg" 04 ff f0 fe fe fe fe fe fe fe 0e`, "ineg", i64(-1), 16, nil},
		{`00 00`, "", null, 2, nil},
		{``, "", null, 0, spopwire.ErrNeedMore},
		{`00`, "", null, 0, spopwire.ErrNeedMore},
		{`02 "ip" 06 7f`, "", null, 0, spopwire.ErrNeedMore},
		{`00 0e`, "", null, 0, spopwire.ErrInvalidFrame},
	}
	for _, tt := range tests {
		raw := dhex(tt.raw)
		name, v, n := spopwire.ConsumeArg(raw)
		if tt.wantErr != nil {
			if spopwire.ParseError(n) != tt.wantErr {
				t.Errorf("ConsumeArg(%x) = %q, %v, %s; want %s", raw, name, v, nstr(n), wantN(0, tt.wantErr))
			}
			continue
		}
		if string(name) != tt.wantName || !v.Equal(tt.wantV) || n != tt.wantN {
			t.Errorf("ConsumeArg(%x) = %q, %v, %s; want %q, %v, n=%d", raw, name, v, nstr(n), tt.wantName, tt.wantV, tt.wantN)
		}
	}

	// SkipArgs measures exactly nargs arguments.
	args := dhex(`00 06 7f000001  00 06 7f000001  00 04 f0 bb 13  00 04 f0 db 07`)
	for nargs, want := range []int{0, 6, 12, 17, 22} {
		if got := spopwire.SkipArgs(args, nargs); got != want {
			t.Errorf("SkipArgs(args, %d) = %s; want n=%d", nargs, nstr(got), want)
		}
	}
	if got := spopwire.SkipArgs(args, 5); spopwire.ParseError(got) != spopwire.ErrNeedMore {
		t.Errorf("SkipArgs(args, 5) = %s; want need more", nstr(got))
	}
}

func TestMessagesMaxArgs(t *testing.T) {
	// NB-ARGS is one byte: 255 arguments is the most a message can carry.
	var want testMessage
	want.name = "many"
	for i := range spopwire.MaxArgs {
		want.args = append(want.args, testArg{fmt.Sprintf("a%d", i), i64(int64(i))})
	}
	raw := appendMessages(nil, []testMessage{want, {"after", nil}})
	if raw[5] != 0xff {
		t.Fatalf("NB-ARGS byte = %#x; want 0xff", raw[5])
	}
	got, err := readMessages(raw)
	if err != nil || !messagesEqual(got, []testMessage{want, {"after", nil}}) {
		t.Errorf("Messages(255 args + 1 message) = %d messages, %v; want 2, nil", len(got), err)
	}
}
