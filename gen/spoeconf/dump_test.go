package spoeconf

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strings"
	"testing"
)

func TestDump(t *testing.T) {
	src := `[s]
spoe-agent a
    timeout processing 1s
    timeout hello 2s
    option set-on-error err
    no option pipelining
    option max-frame-size 262144
    max-frame-size  1024   # inline comment
    log global
    no log
    use-backend b
    messages m
spoe-message m
    acl  local   src 127.0.0.1
    args ip=src "x=req.hdr( a )"
    event on-client-session   unless  local   # why
    bogus
`
	want := `{
  "scopes": [
    {
      "name": "s",
      "agents": [
        {
          "name": "a",
          "messages": ["m"],
          "groups": [],
          "use_backend": "b",
          "timeouts": {"processing": "1s", "hello": "2s"},
          "options": ["set-on-error err", "max-frame-size 262144"],
          "var_prefix": "",
          "directives": {"no": ["option pipelining", "log"], "max-frame-size": ["1024"], "log": ["global"]}
        }
      ],
      "messages": [
        {
          "name": "m",
          "args": [{"name": "ip", "expr": "src"}, {"name": "x", "expr": "req.hdr( a )\""}],
          "event": "on-client-session",
          "acl": "unless  local",
          "named_acls": [{"name": "local", "criterion": "src 127.0.0.1"}]
        }
      ],
      "groups": []
    }
  ],
  "errors": [{"line": 17, "column": 5, "token": "bogus", "reason": "..."}],
  "semantic_issues": [{"line": 7, "issue": "..."}]
}`
	f := parseForTest(t, src)
	got, err := Dump(f)
	if err != nil {
		t.Fatal(err)
	}
	var g, w map[string]any
	if err := json.Unmarshal(got, &g); err != nil {
		t.Fatalf("Dump output is not JSON: %v\n%s", err, got)
	}
	if err := json.Unmarshal([]byte(want), &w); err != nil {
		t.Fatal(err)
	}
	for _, d := range compareParse(g, w) {
		t.Errorf("Dump: %s", d)
	}
	// Keys keep the order of the corpus files and of the source.
	var compact bytes.Buffer
	if err := json.Compact(&compact, got); err != nil {
		t.Fatal(err)
	}
	got = compact.Bytes()
	for _, order := range []string{
		`"name":"a",`, `"messages":[`, `"groups":[`, `"use_backend":"b"`, `"timeouts":{"processing":"1s","hello":"2s"}`,
		`"options":[`, `"var_prefix":""`, `"directives":{"no":["option pipelining","log"],"max-frame-size":["1024"],"log":["global"]}`,
	} {
		i := strings.Index(string(got), order)
		if i < 0 {
			t.Errorf("Dump output lacks %s:\n%s", order, got)
			continue
		}
		got = got[i:]
	}
}

func TestDumpEmpty(t *testing.T) {
	got, err := Dump(parseForTest(t, "# nothing\n"))
	if err != nil {
		t.Fatal(err)
	}
	var g map[string]any
	if err := json.Unmarshal(got, &g); err != nil {
		t.Fatal(err)
	}
	if want := map[string]any{"scopes": []any{}}; !reflect.DeepEqual(g, want) {
		t.Errorf("Dump(empty) = %s; want {\"scopes\": []}", got)
	}
}
