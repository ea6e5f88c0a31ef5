package spoeconf

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
)

func parseForTest(t *testing.T, src string) *File {
	t.Helper()
	cfg := Config{LookupEnv: lookupTestEnv}
	f, _ := cfg.Parse("t.conf", []byte(src))
	return f
}

// diagKeys summarises diagnostics as "line:col kind token" for comparison.
func diagKeys(ds []Diagnostic) []string {
	var out []string
	for _, d := range ds {
		out = append(out, fmt.Sprintf("%d:%d %s %s", d.Pos.Line, d.Pos.Col, d.Kind, d.Token))
	}
	return out
}

const fullAgent = `[iprep]
spoe-agent iprep-agent
    messages check-ip
    messages other
    groups g1
    groups g2 g3
    option var-prefix iprep
    option set-on-error err
    option set-process-time ptime
    option set-total-time ttime
    option continue-on-error
    option force-set-var
    no option pipelining
    option async
    no option send-frag-payload
    option dontlog-normal
    timeout hello 2s
    timeout idle 2m
    timeout processing 10ms
    use-backend agents
    log global
    no log
    log 127.0.0.1:514 len 1024 format rfc5424 local0 info
    maxconnrate 100   # per second
    maxerrrate 50
    max-frame-size 4096
    max-waiting-frames 10
    register-var-names a b
    register-var-names c
`

func TestParseAgent(t *testing.T) {
	f := parseForTest(t, fullAgent)
	if len(f.Diagnostics) != 0 {
		t.Fatalf("Parse(fullAgent) diagnostics = %q; want none", f.Diagnostics)
	}
	a := f.Scope("iprep").Agent()
	if a == nil {
		t.Fatal("Scope(iprep).Agent() = nil")
	}
	str := func(v any) string { return fmt.Sprint(v) }
	checks := []struct {
		what string
		got  any
		want any
	}{
		{"Name", a.Name, "iprep-agent"},
		{"Pos", a.Pos.String(), "t.conf:2:12"},
		{"Messages", str(identNames(a.Messages)), "[check-ip other]"},
		{"Groups", str(identNames(a.Groups)), "[g1 g2 g3]"},
		{"Groups[2].Pos", a.Groups[2].Pos.String(), "t.conf:6:15"},
		{"UseBackend", a.UseBackend.Name, "agents"},
		{"Prefix", a.Prefix(), "iprep"},
		{"OptionValue(set-on-error)", a.OptionValue("set-on-error"), "err"},
		{"OptionValue(set-process-time)", a.OptionValue("set-process-time"), "ptime"},
		{"OptionValue(set-total-time)", a.OptionValue("set-total-time"), "ttime"},
		{"Enabled(pipelining)", a.Enabled("pipelining"), false},
		{"Enabled(async)", a.Enabled("async"), true},
		{"Enabled(send-frag-payload)", a.Enabled("send-frag-payload"), false},
		{"Enabled(dontlog-normal)", a.Enabled("dontlog-normal"), true},
		{"Enabled(continue-on-error)", a.Enabled("continue-on-error"), true},
		{"Enabled(force-set-var)", a.Enabled("force-set-var"), true},
		{"FrameSize", a.FrameSize(), 4096},
		{"RegisterVarNames", str(identNames(a.RegisterVarNames)), "[a b c]"},
		{"len(Options)", len(a.Options), 10},
		{"len(Directives)", len(a.Directives), 9},
		{"Directives[1]", a.Directives[1].Modifier + " " + a.Directives[1].Keyword, "no log"},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("agent.%s = %v; want %v", c.what, c.got, c.want)
		}
	}
	for kind, want := range map[string]time.Duration{"hello": 2 * time.Second, "idle": 2 * time.Minute, "processing": 10 * time.Millisecond} {
		if got, ok := a.Timeout(kind); !ok || got != want {
			t.Errorf("agent.Timeout(%q) = %v, %v; want %v, true", kind, got, ok, want)
		}
	}
	if n, ok := a.Directives[3].Int(); !ok || n != 100 {
		t.Errorf("maxconnrate Int() = %d, %v; want 100, true", n, ok)
	}
}

func TestAgentDefaults(t *testing.T) {
	f := parseForTest(t, "spoe-agent my.agent\n  use-backend b\n")
	a := f.Scope("").Agent()
	checks := []struct {
		what string
		got  any
		want any
	}{
		{"Prefix", a.Prefix(), "my.agent"},
		{"FrameSize", a.FrameSize(), 16380},
		{"Enabled(pipelining)", a.Enabled("pipelining"), true},
		{"Enabled(async)", a.Enabled("async"), true},
		{"Enabled(send-frag-payload)", a.Enabled("send-frag-payload"), true},
		{"Enabled(dontlog-normal)", a.Enabled("dontlog-normal"), false},
		{"Enabled(continue-on-error)", a.Enabled("continue-on-error"), false},
		{"OptionValue(set-on-error)", a.OptionValue("set-on-error"), ""},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("agent.%s = %v; want %v", c.what, c.got, c.want)
		}
	}
	if _, ok := a.Timeout("processing"); ok {
		t.Errorf("agent.Timeout(processing) ok = true; want false")
	}
}

const messageConf = `spoe-message check
    args ip=src unnamed_fetch id=unique-id
    args h=req.hdrs,regsub(foo,bar) ua="req.fhdr(User-Agent)" c=req.cook('sess') eq=str(a=b)
    args 'x=req.hdr(a b),lower'
    acl local src 127.0.0.1
    acl api path_beg /api
    event on-frontend-http-request if !local api || { hdr(host) -m str example.com }
`

func TestParseMessage(t *testing.T) {
	f := parseForTest(t, messageConf)
	if len(f.Diagnostics) != 0 {
		t.Fatalf("Parse(messageConf) diagnostics = %q; want none", f.Diagnostics)
	}
	m := f.Scope("").Message("check")
	type arg struct{ name, expr, raw, fetch, pos string }
	want := []arg{
		{"ip", "src", "src", "src", "t.conf:2:10"},
		{"", "unnamed_fetch", "unnamed_fetch", "unnamed_fetch", "t.conf:2:17"},
		{"id", "unique-id", "unique-id", "unique-id", "t.conf:2:31"},
		{"h", "req.hdrs,regsub(foo,bar)", "req.hdrs,regsub(foo,bar)", "req.hdrs", "t.conf:3:10"},
		{"ua", "req.fhdr(User-Agent)", `"req.fhdr(User-Agent)"`, "req.fhdr", "t.conf:3:37"},
		{"c", "req.cook(sess)", "req.cook('sess')", "req.cook", "t.conf:3:63"},
		{"eq", "str(a=b)", "str(a=b)", "str", "t.conf:3:82"},
		{"x", "req.hdr(a b),lower", "req.hdr(a b),lower'", "req.hdr", "t.conf:4:10"},
	}
	if len(m.Args) != len(want) {
		t.Fatalf("len(Args) = %d; want %d", len(m.Args), len(want))
	}
	for i, w := range want {
		a := m.Args[i]
		got := arg{a.Name, a.Expr, a.RawExpr, a.Sample.Fetch.Name, a.Pos.String()}
		if got != w {
			t.Errorf("Args[%d] = %+v; want %+v", i, got, w)
		}
	}
	if conv := m.Args[3].Sample.Converters; len(conv) != 1 || conv[0].Name != "regsub" || conv[0].Args != "foo,bar" {
		t.Errorf("Args[3].Sample.Converters = %+v; want [regsub(foo,bar)]", conv)
	}
	ev := m.Event
	if ev == nil || ev.Event != OnFrontendHTTPRequest || ev.Cond == nil {
		t.Fatalf("Event = %+v; want on-frontend-http-request with a condition", ev)
	}
	if want := "if !local api || { hdr(host) -m str example.com }"; ev.Cond.Text != want || ev.Cond.Unless {
		t.Errorf("Event.Cond = %q (unless %v); want %q", ev.Cond.Text, ev.Cond.Unless, want)
	}
	if len(m.ACLs) != 2 || m.ACLs[1].Name != "api" || m.ACLs[1].Text != "path_beg /api" {
		t.Errorf("ACLs = %+v; want local and api", m.ACLs)
	}
}

func TestEventLinesMerge(t *testing.T) {
	src := "spoe-message m\n  event on-client-session if TRUE\n  event on-http-response\n"
	f := parseForTest(t, src)
	ev := f.Scope("").Message("m").Event
	if ev.Event != OnHTTPResponse || ev.Cond == nil || ev.Cond.Text != "if TRUE" || ev.Pos.Line != 3 {
		t.Errorf("Event = %+v; want on-http-response on line 3 keeping 'if TRUE'", ev)
	}
	if got := diagKeys(f.Diagnostics); fmt.Sprint(got) != "[3:3 warning event]" {
		t.Errorf("diagnostics = %q; want a warning on the second event line", got)
	}
}

func TestScopes(t *testing.T) {
	src := `spoe-message before
 [a]
spoe-agent x
[b]  # comment
[a]
spoe-message m
`
	f := parseForTest(t, src)
	var names []string
	for _, s := range f.Scopes {
		names = append(names, fmt.Sprintf("%q:%d:%d:%d", s.Name, len(s.Agents), len(s.Messages), len(s.Groups)))
	}
	if got := strings.Join(names, " "); got != `"":0:1:0 "a":1:1:0 "b":0:0:0` {
		t.Errorf("scopes = %s; want the anonymous scope, a (agent and message, merged) and b", got)
	}
	if p := f.Scope("a").Pos; p.Line != 2 || p.Col != 2 {
		t.Errorf("Scope(a).Pos = %v; want 2:2", p)
	}
	if f.Scope("") == nil || f.Scope("zzz") != nil {
		t.Errorf("Scope lookups wrong")
	}
}

func TestAnonymousScopeOnlyWhenUsed(t *testing.T) {
	f := parseForTest(t, "# only comments\n\n[s]\nspoe-agent a\n")
	if len(f.Scopes) != 1 || f.Scopes[0].Name != "s" {
		t.Errorf("scopes = %d, first %q; want only [s]", len(f.Scopes), f.Scopes[0].Name)
	}
}

func TestConditionalBlocks(t *testing.T) {
	src := `spoe-agent a
.if defined(FOO)
  messages m1
.elif defined(LIST)
  messages m2
.else
  messages m3
.endif
.if streq("$FOO",bar)
  messages m4
.elif 0
  messages m5
.else
  .if 1 && !0
    messages m6
  .endif
  .if 0
    .if 1
      messages m7
    .else
      messages m8
    .endif
  .endif
.endif
.notice "hello"
.diag "x"
`
	f := parseForTest(t, src)
	a := f.Scope("").Agent()
	if got := fmt.Sprint(identNames(a.Messages)); got != "[m1 m6]" {
		t.Errorf("messages = %s; want [m1 m6]", got)
	}
	if len(f.Diagnostics) != 0 {
		t.Errorf("diagnostics = %q; want none", f.Diagnostics)
	}
	var taken []string
	for _, pp := range f.Preproc {
		taken = append(taken, fmt.Sprintf("%s:%v", pp.Directive, pp.Taken))
	}
	want := "[.if:true .elif:false .else:false .endif:false .if:false .elif:false .else:true .if:true .endif:false .if:false .if:false .else:false .endif:false .endif:false .endif:false .notice:false .diag:false]"
	if got := fmt.Sprint(taken); got != want {
		t.Errorf("Preproc = %s\nwant %s", got, want)
	}
}

func TestConditionVersion(t *testing.T) {
	src := ".if version_atleast(3.1)\nspoe-agent new\n.else\nspoe-agent old\n.endif\n"
	for _, tt := range []struct {
		version, agent string
		warnings       int
	}{
		{"3.2", "new", 0},
		{"2.6.12", "old", 0},
		{"", "old", 1},
	} {
		cfg := Config{LookupEnv: noEnv, HAProxyVersion: tt.version}
		f, _ := cfg.Parse("t.conf", []byte(src))
		got := f.Scope("").Agent().Name
		if got != tt.agent || len(f.Diagnostics) != tt.warnings {
			t.Errorf("Parse with HAProxyVersion %q: agent %q, %d diagnostics; want %q, %d", tt.version, got, len(f.Diagnostics), tt.agent, tt.warnings)
		}
	}
}

func TestParseReturnsErrorList(t *testing.T) {
	src := "spoe-agent a\n  use-backend b\n  bogus\nspoe-message m\n  event on-nothing\n"
	cfg := Config{LookupEnv: noEnv}
	_, err := cfg.Parse("t.conf", []byte(src))
	var list ErrorList
	if !errors.As(err, &list) {
		t.Fatalf("Parse error = %v (%T); want an ErrorList", err, err)
	}
	if got := fmt.Sprint(diagKeys(list)); got != "[3:3 syntax error bogus 5:9 semantic error on-nothing]" {
		t.Errorf("ErrorList = %s", got)
	}
	if !strings.HasPrefix(err.Error(), "t.conf:3:3: unknown keyword 'bogus' in spoe-agent section") || !strings.HasSuffix(err.Error(), "(and 1 more error)") {
		t.Errorf("Error() = %q", err.Error())
	}
	if _, err := Parse("ok.conf", []byte("spoe-agent a\n")); err != nil {
		t.Errorf("Parse(valid) error = %v; want nil", err)
	}
}
