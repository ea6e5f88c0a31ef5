package spopwire_test

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"github.com/spopkit/spopkit/spopwire"
)

var allScopes = []spopwire.Scope{
	spopwire.ScopeProcess, spopwire.ScopeSession, spopwire.ScopeTransaction,
	spopwire.ScopeRequest, spopwire.ScopeResponse,
}

func actionEqual(a, b spopwire.Action) bool {
	return a.Type == b.Type && a.Scope == b.Scope && string(a.Name) == string(b.Name) && a.Value.Equal(b.Value)
}

func actionString(a spopwire.Action) string {
	return fmt.Sprintf("%v %v %q %v", a.Type, a.Scope, a.Name, a.Value)
}

func TestActionsRefExample(t *testing.T) {
	// Ref §3.6: set txn.<pfx>.score = 42 (INT32), unset sess.<pfx>.flag,
	// for stream-id 3, frame-id 1.
	want := dhex(`00 00 00 1a 67 00 00 00 01 03 01
		01 03 02 05 "score" 02 2a
		02 02 01 04 "flag"`)
	b, start := spopwire.StartFrame(nil, spopwire.FrameAck, spopwire.FlagFin, 3, 1)
	b = spopwire.AppendSetVar(b, spopwire.ScopeTransaction, "score", i32(42))
	b = spopwire.AppendUnsetVar(b, spopwire.ScopeSession, "flag")
	if l := spopwire.FinishFrame(b, start); l != 0x1a || !bytes.Equal(b, want) {
		t.Errorf("ACK of ref §3.6 = %x (length %d); want %x (length 26)", b, l, want)
	}

	f, n := spopwire.ConsumeFrame(want, spopwire.DefaultMaxFrameSize)
	if n != len(want) || f.Type != spopwire.FrameAck || f.StreamID != 3 || f.FrameID != 1 {
		t.Fatalf("ConsumeFrame(ref §3.6) = %+v, %s", f, nstr(n))
	}
	wantActions := []spopwire.Action{
		{Type: spopwire.ActionSetVar, Scope: spopwire.ScopeTransaction, Name: []byte("score"), Value: i32(42)},
		{Type: spopwire.ActionUnsetVar, Scope: spopwire.ScopeSession, Name: []byte("flag")},
	}
	it := spopwire.Actions(f.Payload)
	var got []spopwire.Action
	for a, ok := it.Next(); ok; a, ok = it.Next() {
		got = append(got, a)
	}
	if it.Err() != nil || len(got) != len(wantActions) {
		t.Fatalf("Actions(ref §3.6) = %d actions, %v; want 2, nil", len(got), it.Err())
	}
	for i := range got {
		if !actionEqual(got[i], wantActions[i]) {
			t.Errorf("action %d = %s; want %s", i, actionString(got[i]), actionString(wantActions[i]))
		}
	}

	// The empty ACK of ref §3.6.
	empty := dhex("00 00 00 07 67 00 00 00 01 03 01")
	b, start = spopwire.StartFrame(nil, spopwire.FrameAck, spopwire.FlagFin, 3, 1)
	spopwire.FinishFrame(b, start)
	if !bytes.Equal(b, empty) {
		t.Errorf("empty ACK = %x; want %x", b, empty)
	}
	it = spopwire.Actions(nil)
	if _, ok := it.Next(); ok || it.Err() != nil {
		t.Errorf("Actions(empty payload): ok, err = %v, %v; want false, nil", ok, it.Err())
	}
}

func TestSetVar(t *testing.T) {
	// Every type in every scope: 01 03 <scope> <raw-string name> <typed data>.
	for _, scope := range allScopes {
		for _, vt := range valueTests {
			name := "v_" + strings.ToLower(vt.typ.String())
			raw := append(dhex(fmt.Sprintf(`01 03 %02x %02x "%s"`, byte(scope), len(name), name)), dhex(vt.raw)...)

			if got := spopwire.AppendSetVar(nil, scope, name, vt.v); !bytes.Equal(got, raw) {
				t.Errorf("AppendSetVar(nil, %v, %q, %v) = %x; want %x", scope, name, vt.v, got, raw)
			}
			want := spopwire.Action{Type: spopwire.ActionSetVar, Scope: scope, Name: []byte(name), Value: vt.v}
			if got := spopwire.AppendAction(nil, want); !bytes.Equal(got, raw) {
				t.Errorf("AppendAction(nil, %s) = %x; want %x", actionString(want), got, raw)
			}
			a, n := spopwire.ConsumeAction(raw)
			if n != len(raw) || !actionEqual(a, want) {
				t.Errorf("ConsumeAction(%x) = %s, %s; want %s, n=%d", raw, actionString(a), nstr(n), actionString(want), len(raw))
			}
			if !within(a.Name, raw) || !within(a.Value.Bytes(), raw) {
				t.Errorf("ConsumeAction(%x): name or value is not a view into the input", raw)
			}
			for i := range len(raw) {
				if _, n := spopwire.ConsumeAction(raw[:i]); spopwire.ParseError(n) != spopwire.ErrNeedMore {
					t.Errorf("ConsumeAction(%x) = %s; want need more", raw[:i], nstr(n))
				}
			}
		}
	}
}

func TestUnsetVar(t *testing.T) {
	for _, scope := range allScopes {
		raw := dhex(fmt.Sprintf(`02 02 %02x 04 "flag"`, byte(scope)))
		if got := spopwire.AppendUnsetVar(nil, scope, "flag"); !bytes.Equal(got, raw) {
			t.Errorf("AppendUnsetVar(nil, %v, \"flag\") = %x; want %x", scope, got, raw)
		}
		want := spopwire.Action{Type: spopwire.ActionUnsetVar, Scope: scope, Name: []byte("flag")}
		if got := spopwire.AppendAction(nil, want); !bytes.Equal(got, raw) {
			t.Errorf("AppendAction(nil, %s) = %x; want %x", actionString(want), got, raw)
		}
		a, n := spopwire.ConsumeAction(raw)
		if n != len(raw) || !actionEqual(a, want) || !a.Value.IsNull() {
			t.Errorf("ConsumeAction(%x) = %s, %s; want %s, n=%d", raw, actionString(a), nstr(n), actionString(want), len(raw))
		}
	}
}

func TestConsumeActionErrors(t *testing.T) {
	tests := []struct {
		name    string
		raw     string
		wantErr error
	}{
		// HAProxy stops applying the list at any of these (ref §3.6).
		{"set-var with NB-ARGS 2", `01 02 02 01 "x" 04 01`, spopwire.ErrInvalidFrame},
		{"set-var with NB-ARGS 4", `01 04 02 01 "x" 04 01`, spopwire.ErrInvalidFrame},
		{"set-var with NB-ARGS 0", `01 00 02 01 "x" 04 01`, spopwire.ErrInvalidFrame},
		{"unset-var with NB-ARGS 3", `02 03 02 01 "x" 04 01`, spopwire.ErrInvalidFrame},
		{"unset-var with NB-ARGS 1", `02 01 02 01 "x"`, spopwire.ErrInvalidFrame},
		{"action type 0", `00 03 02 01 "x" 04 01`, spopwire.ErrInvalidFrame},
		{"action type 3", `03 03 02 01 "x" 04 01`, spopwire.ErrInvalidFrame},
		{"action type 0xff", `ff 02 02 01 "x"`, spopwire.ErrInvalidFrame},
		{"scope 5", `01 03 05 01 "x" 04 01`, spopwire.ErrInvalidFrame},
		{"scope 0xff", `02 02 ff 01 "x"`, spopwire.ErrInvalidFrame},
		{"reserved value type", `01 03 02 01 "x" 0a`, spopwire.ErrInvalidFrame},
		{"overlong name length", `01 03 02 ff ff ff ff ff ff ff ff ff 7f`, spopwire.ErrInvalidFrame},

		// Truncations.
		{"empty", ``, spopwire.ErrNeedMore},
		{"type only", `01`, spopwire.ErrNeedMore},
		{"no scope", `01 03`, spopwire.ErrNeedMore},
		{"no name", `01 03 02`, spopwire.ErrNeedMore},
		{"name cut", `01 03 02 05 "sco"`, spopwire.ErrNeedMore},
		{"no value", `01 03 02 05 "score"`, spopwire.ErrNeedMore},
		{"value cut", `01 03 02 05 "score" 08 03 "ab"`, spopwire.ErrNeedMore},
	}
	for _, tt := range tests {
		raw := dhex(tt.raw)
		a, n := spopwire.ConsumeAction(raw)
		if spopwire.ParseError(n) != tt.wantErr || n >= 0 {
			t.Errorf("%s: ConsumeAction(%x) = %s, %s; want %s", tt.name, raw, actionString(a), nstr(n), wantN(0, tt.wantErr))
		}
	}
}

func TestActionIter(t *testing.T) {
	tests := []struct {
		name      string
		raw       string
		wantNames []string
		wantErr   error
	}{
		{"three", `01 03 01 01 "a" 04 2a  02 02 02 01 "b"  01 03 04 01 "c" 00`, []string{"a", "b", "c"}, nil},
		// Actions before a bad one have been returned (HAProxy keeps them
		// applied); the rest of the list is not read.
		{"bad scope in the middle", `01 03 01 01 "a" 04 2a  02 02 09 01 "b"  01 03 04 01 "c" 00`, []string{"a"}, spopwire.ErrInvalidFrame},
		{"truncated last", `01 03 01 01 "a" 04 2a  01 03 02 01 "b"`, []string{"a"}, spopwire.ErrInvalidFrame},
		{"trailing byte", `02 02 01 01 "a"  00`, []string{"a"}, spopwire.ErrInvalidFrame},
	}
	for _, tt := range tests {
		raw := dhex(tt.raw)
		it := spopwire.Actions(raw)
		var names []string
		for a, ok := it.Next(); ok; a, ok = it.Next() {
			names = append(names, string(a.Name))
		}
		if it.Err() != tt.wantErr || strings.Join(names, ",") != strings.Join(tt.wantNames, ",") {
			t.Errorf("%s: Actions(%x) = %q, %v; want %q, %v", tt.name, raw, names, it.Err(), tt.wantNames, tt.wantErr)
		}
		if _, ok := it.Next(); ok {
			t.Errorf("%s: Next after the end = ok", tt.name)
		}
	}
}

func TestScope(t *testing.T) {
	tests := []struct {
		s    spopwire.Scope
		b    byte
		name string
	}{
		{spopwire.ScopeProcess, 0, "proc"},
		{spopwire.ScopeSession, 1, "sess"},
		{spopwire.ScopeTransaction, 2, "txn"},
		{spopwire.ScopeRequest, 3, "req"},
		{spopwire.ScopeResponse, 4, "res"},
	}
	for _, tt := range tests {
		if byte(tt.s) != tt.b || tt.s.String() != tt.name {
			t.Errorf("Scope %d = byte %d, %q; want %d, %q", tt.s, byte(tt.s), tt.s.String(), tt.b, tt.name)
		}
		if s, ok := spopwire.ParseScope(tt.name); !ok || s != tt.s {
			t.Errorf("ParseScope(%q) = %v, %v; want %v, true", tt.name, s, ok, tt.s)
		}
	}
	if got := spopwire.Scope(5).String(); got != "scope(5)" {
		t.Errorf("Scope(5).String() = %q; want \"scope(5)\"", got)
	}
	for _, name := range []string{"", "TXN", "transaction", "txn ", "scope(5)"} {
		if s, ok := spopwire.ParseScope(name); ok {
			t.Errorf("ParseScope(%q) = %v, true; want false", name, s)
		}
	}

	types := []struct {
		t    spopwire.ActionType
		want string
	}{
		{spopwire.ActionSetVar, "set-var"},
		{spopwire.ActionUnsetVar, "unset-var"},
		{0, "action(0)"},
		{7, "action(7)"},
	}
	for _, tt := range types {
		if got := tt.t.String(); got != tt.want {
			t.Errorf("ActionType(%d).String() = %q; want %q", uint8(tt.t), got, tt.want)
		}
	}
}
