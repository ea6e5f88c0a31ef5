package gen

import (
	"strings"
	"testing"

	"github.com/spopkit/spopkit/gen/spoeconf"
)

// TestTypeOverrides: Generate applies an override to the argument it names,
// by name or position, and refuses one that names nothing or cannot hold
// what the argument's expression sends.
func TestTypeOverrides(t *testing.T) {
	const src = "spoe-agent a\n  messages m m.x\n  use-backend b\n" +
		"spoe-message m\n  args ip=src n=int(1) h=req.hdrs_bin d=str(a) d=str(b)\n  event on-frontend-http-request\n" +
		"spoe-message m.x\n  args y=req.hdr(host)\n  event on-frontend-http-request\n"
	tests := []struct {
		types map[string]Kind
		want  string // in the generated code, or in the error
		err   bool
	}{
		{map[string]Kind{"m.ip": KindValue}, "IP arg.Value", false},
		{map[string]Kind{"m.0": KindValue}, "IP arg.Value", false},
		{map[string]Kind{"m.h": KindBytes}, "H arg.Bytes", false},
		{map[string]Kind{"m.x.y": KindBytes}, "Y arg.Bytes", false},                                                                                 // the longest message name wins
		{map[string]Kind{"m.d": KindBytes}, "D3 arg.Bytes\n\t// D4 is argument \"d\": str(b) (BINARY, type set by --type).\n\tD4 arg.Bytes", false}, // every argument of the name
		{map[string]Kind{"n.ip": KindValue}, "no spoe-message 'n' in x.conf; did you mean 'm'?", true},
		{map[string]Kind{"m.iq": KindValue}, "spoe-message 'm' (x.conf:4:14) has no argument 'iq' (a name, or a position from 0 to 4); did you mean 'ip'?", true},
		{map[string]Kind{"m.5": KindValue}, "has no argument '5'", true},
		{map[string]Kind{"m.n": KindString}, "argument 'n' of spoe-message 'm' (x.conf:5:15) is int(1), of type int", true},
		{map[string]Kind{"m.ip": KindValue, "m.0": KindAddr}, "is also given kind", true},
	}
	for _, tt := range tests {
		conf, err := spoeconf.Parse("x.conf", []byte(src))
		if err != nil {
			t.Fatal(err)
		}
		code, err := Generate(FromConf(conf), Options{Package: "p", Types: tt.types})
		switch {
		case tt.err && (err == nil || !strings.Contains(err.Error(), tt.want)):
			t.Errorf("%v: error %v, want %q", tt.types, err, tt.want)
		case !tt.err && err != nil:
			t.Errorf("%v: %v", tt.types, err)
		case !tt.err && !strings.Contains(string(code), tt.want):
			t.Errorf("%v: the code has no %q", tt.types, tt.want)
		}
	}
}
