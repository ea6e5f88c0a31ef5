package spoeconf

import (
	"fmt"
	"strings"
	"testing"
)

// TestDiagnosticPositions checks the position, kind and token of every
// diagnostic the parser emits.
func TestDiagnosticPositions(t *testing.T) {
	const agent = "spoe-agent a\n"
	const msg = "spoe-message m\n"
	tests := []struct {
		name string
		src  string
		want []string // "line:col kind token"
	}{
		// Lines and sections.
		{"keyword out of section", "  messages m\n", []string{"1:3 syntax error messages"}},
		{"keyword after a scope line", "spoe-agent a\n[s]\n  use-backend b\n", []string{"3:3 syntax error use-backend"}},
		{"unknown agent keyword", agent + "  bogus 1\n", []string{"2:3 syntax error bogus"}},
		{"tab indentation counts one column per tab", agent + "\t\tbogus\n", []string{"2:3 syntax error bogus"}},
		{"CRLF line endings", "spoe-agent a\r\n  bogus\r\n", []string{"2:3 syntax error bogus"}},
		{"missing agent name", "spoe-agent\n", []string{"1:1 syntax error spoe-agent"}},
		{"missing name leaves the section detached", "spoe-agent\n  use-backend b\n", []string{"1:1 syntax error spoe-agent"}},
		{"extra word after agent name", "spoe-agent a b\n", []string{"1:14 syntax error b"}},
		{"forbidden character in agent name", "spoe-agent a/b\n", []string{"1:12 semantic error a/b"}},
		{"second agent in a scope", "[s]\nspoe-agent a\nspoe-agent b\n", []string{"3:12 semantic error b"}},
		{"same agent name in two scopes is fine", "[s]\nspoe-agent a\n[t]\nspoe-agent a\n", nil},
		{"modifier before another keyword", agent + "  no messages m\n", []string{"2:3 syntax error no"}},
		{"default before option", agent + "  default option async\n", []string{"2:3 warning default"}},

		// Agent keywords.
		{"use-backend without name", agent + " use-backend\n", []string{"2:2 syntax error use-backend"}},
		{"use-backend with two names", agent + " use-backend b c\n", []string{"2:16 syntax error c"}},
		{"use-backend twice", agent + " use-backend b\n use-backend c\n", []string{"3:14 warning c"}},
		{"message listed twice", agent + " messages m n\n messages m\n", []string{"3:11 semantic error m"}},
		{"group listed twice", agent + " groups g g\n", []string{"2:11 semantic error g"}},
		{"messages without names", agent + " messages\n", []string{"2:2 warning messages"}},
		{"timeout without kind", agent + " timeout\n", []string{"2:2 syntax error timeout"}},
		{"timeout without value", agent + " timeout processing\n", []string{"2:10 syntax error processing"}},
		{"timeout with two values", agent + " timeout processing 1 2\n", []string{"2:23 syntax error 2"}},
		{"bad processing timeout", agent + " timeout processing 10x\n", []string{"2:21 semantic error 10x"}},
		{"processing timeout overflow", agent + " timeout processing 25d\n", []string{"2:21 semantic error 25d"}},
		{"processing timeout underflow", agent + " timeout processing 10us\n", []string{"2:21 semantic error 10us"}},
		{"bad hello timeout (3.x ignores it)", agent + " timeout hello soon\n", []string{"2:16 warning soon"}},
		{"obsolete timeout ack", agent + " timeout ack 1s\n", []string{"2:10 semantic error ack"}},
		{"unknown timeout", agent + " timeout connect 1s\n", []string{"2:10 semantic error connect"}},
		{"timeout twice", agent + " timeout idle 1s\n timeout idle 2s\n", []string{"3:10 warning idle"}},
		{"option without name", agent + " option\n", []string{"2:2 syntax error option"}},
		{"unsupported option", agent + " option max-frame-size 262144\n", []string{"2:9 semantic error max-frame-size"}},
		{"negated value option", agent + " no option var-prefix x\n", []string{"2:12 semantic error var-prefix"}},
		{"negated continue-on-error", agent + " no option continue-on-error\n", []string{"2:12 semantic error continue-on-error"}},
		{"var-prefix charset", agent + " option var-prefix my-prefix\n", []string{"2:20 semantic error my-prefix"}},
		{"set-on-error without value", agent + " option set-on-error\n", []string{"2:9 syntax error set-on-error"}},
		{"set-on-error with two values", agent + " option set-on-error a b\n", []string{"2:24 syntax error b"}},
		{"flag option with a value", agent + " option pipelining yes\n", []string{"2:20 syntax error yes"}},
		{"var-prefix twice", agent + " option var-prefix a\n option var-prefix b\n", []string{"3:20 warning b"}},
		{"max-frame-size too small", agent + " max-frame-size 100\n", []string{"2:17 semantic error 100"}},
		{"max-frame-size too large", agent + " max-frame-size 16381\n", []string{"2:17 semantic error 16381"}},
		{"max-frame-size bounds", agent + " max-frame-size 256\n max-frame-size 16380\n", nil},
		{"max-frame-size not a number", agent + " max-frame-size big\n", []string{"2:17 semantic error big"}},
		{"max-frame-size with a suffix", agent + " max-frame-size 300k\n", []string{"2:17 warning 300k"}},
		{"max-frame-size without value", agent + " max-frame-size\n", []string{"2:2 syntax error max-frame-size"}},
		{"maxconnrate not a number", agent + " maxconnrate lots\n", []string{"2:14 warning lots"}},
		{"maxerrrate without value", agent + " maxerrrate\n", []string{"2:2 syntax error maxerrrate"}},
		{"max-waiting-frames zero", agent + " max-waiting-frames 0\n", []string{"2:21 warning 0"}},
		{"register-var-names without names", agent + " register-var-names\n", []string{"2:2 syntax error register-var-names"}},
		{"register-var-names charset", agent + " register-var-names ok bad-name\n", []string{"2:24 warning bad-name"}},
		{"log without argument", agent + " log\n", []string{"2:2 syntax error log"}},
		{"log without facility", agent + " log 127.0.0.1\n", []string{"2:2 syntax error log"}},
		{"log with unknown facility", agent + " log 127.0.0.1 local9\n", []string{"2:16 semantic error local9"}},
		{"log with unknown level", agent + " log 127.0.0.1 local0 loud\n", []string{"2:23 semantic error loud"}},
		{"log with unknown format", agent + " log stdout format json local0\n", []string{"2:20 semantic error json"}},
		{"log global with more", agent + " log global local0\n", []string{"2:13 syntax error local0"}},
		{"no log with argument", agent + " no log global\n", []string{"2:9 syntax error global"}},

		// Message keywords.
		{"unknown message keyword", msg + "  arg src\n", []string{"2:3 ignored line arg"}},
		{"continuation line", msg + "  args a=src \\\n       b=dst\n", []string{"2:14 syntax error \\", "3:8 ignored line b=dst"}},
		{"empty expression stops the line", msg + " args a=src b= c=dst\n", []string{"2:13 syntax error b="}},
		{"unnamed expression with '='", msg + " args str(a=b)\n", []string{"2:7 syntax error str(a=b)"}},
		{"unbalanced parenthesis", msg + " args a=req.hdr(x\n", []string{"2:7 syntax error a=req.hdr(x"}},
		{"converter without fetch", msg + " args a=,lower\n", []string{"2:7 syntax error a=,lower"}},
		{"missing comma", msg + " args a=req.hdr(x)lower\n", []string{"2:7 syntax error a=req.hdr(x)lower"}},
		{"event without name", msg + " event\n", []string{"2:2 syntax error event"}},
		{"unknown event", msg + " event on-request\n", []string{"2:8 semantic error on-request"}},
		{"event followed by junk", msg + " event on-client-session now\n", []string{"2:26 syntax error now"}},
		{"if without condition", msg + " event on-client-session if\n", []string{"2:26 syntax error if"}},
		{"undeclared ACL", msg + " event on-client-session if trusted\n", []string{"2:29 semantic error trusted"}},
		{"ACL declared after the event", msg + " event on-client-session if !trusted\n acl trusted src 10.0.0.0/8\n", []string{"2:29 semantic error !trusted"}},
		{"predefined and declared ACLs", msg + " acl a src 1.2.3.4\n event on-client-session if a or ! LOCALHOST || TRUE\n", nil},
		{"negated anonymous ACL and OR", msg + " event on-client-session if !{ src 1.2.3.4 } OR { src 5.6.7.8 }\n", nil},
		{"unclosed anonymous ACL", msg + " event on-client-session if { src 1.2.3.4\n", []string{"2:29 syntax error {"}},
		{"empty anonymous ACL", msg + " event on-client-session if { }\n", []string{"2:31 syntax error }"}},
		{"stray closing brace", msg + " event on-client-session if }\n", []string{"2:29 syntax error }"}},
		{"or at the end", msg + " acl a src 1.2.3.4\n event on-client-session if a or\n", []string{"3:31 syntax error or"}},
		{"acl without criterion", msg + " acl trusted\n", []string{"2:6 syntax error trusted"}},
		{"acl named or", msg + " acl or src 1.2.3.4\n", []string{"2:6 semantic error or"}},
		{"acl with a bad criterion", msg + " acl a (src)\n", []string{"2:8 syntax error (src)"}},
		{"duplicate message name", msg + msg, []string{"2:14 semantic error m"}},
		{"duplicate argument name", msg + " args a=src a=dst\n", []string{"2:13 warning a=dst"}},
		{"forbidden character in message name", "spoe-message m@x\n", []string{"1:14 semantic error m@x"}},

		// Group keywords.
		{"unknown group keyword", "spoe-group g\n  message m\n", []string{"2:3 syntax error message"}},
		{"message twice in a group", "spoe-group g\n  messages m\n  messages m\n", []string{"3:12 semantic error m"}},
		{"duplicate group name", "spoe-group g\nspoe-group g\n", []string{"2:12 semantic error g"}},
		{"missing group name", "spoe-group\n", []string{"1:1 syntax error spoe-group"}},

		// Scope lines.
		{"empty scope name", "[]\n", []string{"1:1 syntax error []"}},
		{"missing ]", "  [abc\n", []string{"1:3 syntax error [abc"}},
		{"blank in scope name", "[a b]\n", []string{"1:1 syntax error [a b]"}},
		{"text after the scope", "[a] x\n", []string{"1:1 syntax error [a] x"}},
		{"comment after the scope", "[a]   # fine\n", nil},

		// Tokenizer.
		{"unmatched quote", msg + " args a=\"b\n", []string{"2:7 syntax error a=\"b"}},
		{"empty word in the middle", agent + " messages \"\" x\n", []string{"2:11 syntax error \"\""}},
		{"NUL byte", agent + " use-backend b\x00c\n", []string{"2:15 syntax error "}},
		{"too many words", msg + " args" + strings.Repeat(" src", 64) + "\n", []string{"2:259 syntax error src"}},
		{"unset environment variable", agent + " use-backend \"$NOPE\"x\n", []string{"2:15 warning $NOPE"}},

		// Conditional blocks and directives.
		{".elif without .if", ".elif 1\n", []string{"1:1 syntax error .elif"}},
		{".else without .if", ".else\n", []string{"1:1 syntax error .else"}},
		{".endif without .if", ".endif\n", []string{"1:1 syntax error .endif"}},
		{".else with an argument", ".if 1\n.else 0\n.endif\n", []string{"2:7 syntax error 0"}},
		{".elif after .else", ".if 1\n.else\n.elif 1\n.endif\n", []string{"3:1 syntax error .elif"}},
		{"unparsable condition", ".if nope(1)\n.endif\n", []string{"1:1 syntax error .if"}},
		{"unterminated .if", "  .if 1\n", []string{"1:3 syntax error .if"}},
		{"errors inside a dropped block are still tokenizer errors", ".if 0\n\"x\n.endif\n", []string{"2:1 syntax error \"x"}},
		{"keywords inside a dropped block are ignored", ".if 0\nbogus\n.endif\n", nil},
		{".warning", ".warning \"careful\"\n", []string{"1:1 warning .warning"}},
		{".alert", ".alert \"stop\"\n", []string{"1:1 syntax error .alert"}},
		{".notice with two words", ".notice hello world\n", []string{"1:15 syntax error world"}},
		{"unknown directive", ".include x\n", []string{"1:1 syntax error .include"}},

		// File.
		{"missing LF on the last line", "spoe-agent a", []string{"1:13 configuration error "}},
		{"byte order mark", "\ufeff[s]\nspoe-agent a\n", []string{"1:1 syntax error \ufeff[s]"}},
	}
	for _, tt := range tests {
		f := parseForTest(t, tt.src)
		got := diagKeys(f.Diagnostics)
		if fmt.Sprint(got) != fmt.Sprint(tt.want) {
			t.Errorf("%s: Parse(%q) diagnostics = %q; want %q", tt.name, tt.src, got, tt.want)
			for _, d := range f.Diagnostics {
				t.Logf("  %s", d)
			}
		}
		for _, d := range f.Diagnostics {
			if d.Msg == "" || d.Pos.Filename != "t.conf" || d.Pos.Offset < 0 || d.Pos.Offset > len(tt.src) {
				t.Errorf("%s: diagnostic %+v has no message or a bad position", tt.name, d)
			}
		}
	}
}

// TestDiagnosticMessages checks that messages say what HAProxy does.
func TestDiagnosticMessages(t *testing.T) {
	tests := []struct {
		src  string
		want string
	}{
		{"spoe-message m\n  evnt on-client-session\n", "HAProxy silently ignores unknown keywords"},
		{"spoe-message m\n  evnt on-client-session\n", "did you mean 'event'?"},
		{"spoe-message m\n  event on-frontend-request\n", "did you mean on-frontend-tcp-request or on-frontend-http-request?"},
		{"spoe-message m\n  event on-client-sesion\n", "did you mean on-client-session?"},
		{"spoe-message m\n  args str(a=b)\n", "name the argument"},
		{"spoe-message m\n  args a=src \\\n", "no line continuation"},
		{"spoe-agent a\n  option max-frame-size 1\n", "keyword of its own"},
		{"spoe-agent a\n  option pipelinning\n", "did you mean 'pipelining'?"},
		{"spoe-agent a\n  use_backend b\n", "did you mean 'use-backend'?"},
		{"spoe-agent a\n  args a=src\n", "belongs in a spoe-message section"},
	}
	for _, tt := range tests {
		f := parseForTest(t, tt.src)
		if len(f.Diagnostics) == 0 || !strings.Contains(f.Diagnostics[0].Msg, tt.want) {
			t.Errorf("Parse(%q) = %q; want a message containing %q", tt.src, f.Diagnostics, tt.want)
		}
	}
}

func TestDiagnosticError(t *testing.T) {
	tests := []struct {
		d    Diagnostic
		want string
	}{
		{Diagnostic{Pos: Pos{Filename: "a.conf", Line: 3, Col: 7}, Kind: SyntaxError, Msg: "bad"}, "a.conf:3:7: bad"},
		{Diagnostic{Pos: Pos{Filename: "a.conf", Line: 3, Col: 7}, Kind: Warning, Msg: "hmm"}, "a.conf:3:7: warning: hmm"},
		{Diagnostic{Pos: Pos{Line: 1, Col: 1}, Kind: ConfigError, Msg: "x"}, "1:1: x"},
		{Diagnostic{Pos: Pos{Line: 1, Col: 1}, Kind: IgnoredLine, Msg: "x"}, "1:1: warning: x"},
		{Diagnostic{Pos: Pos{Filename: "a.conf"}, Kind: ConfigError, Msg: "x"}, "a.conf: x"},
	}
	for _, tt := range tests {
		if got := tt.d.Error(); got != tt.want {
			t.Errorf("%+v.Error() = %q; want %q", tt.d, got, tt.want)
		}
	}
	for k, want := range map[Kind]string{SyntaxError: "syntax error", SemanticError: "semantic error", ConfigError: "configuration error", Warning: "warning", IgnoredLine: "ignored line", 0: "Kind(0)"} {
		if got := k.String(); got != want {
			t.Errorf("Kind(%d).String() = %q; want %q", k, got, want)
		}
	}
	if Warning.IsError() || IgnoredLine.IsError() || !ConfigError.IsError() || Kind(0).IsError() {
		t.Errorf("IsError wrong")
	}
	if got := (ErrorList{}).Err(); got != nil {
		t.Errorf("ErrorList{}.Err() = %v; want nil", got)
	}
}
