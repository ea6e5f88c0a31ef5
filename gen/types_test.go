package gen

import "testing"

func TestInferKind(t *testing.T) {
	tests := []struct {
		expr string
		want Kind
	}{
		// fetches, by the type HAProxy sends at run time
		{"src", KindAddr},
		{"dst", KindAddr},
		{"src_port", KindInt},
		{"int(-1)", KindInt},
		{"bool(1)", KindBool},
		{"ssl_fc", KindBool},
		{"method", KindString},
		{"path", KindString},
		{"req.ver", KindString},
		{"hdr(host)", KindString},
		{"req.hdr(x-forwarded-for)", KindString},
		{"req.hdrs", KindString}, // a STRING, whatever the keyword table says
		{"req.hdrs_bin", KindHeaders},
		{"res.hdrs_bin", KindHeaders},
		{"req.body", KindBytes},
		{"bin(00ff)", KindBytes},
		{"unique-id", KindString},
		// converters decide
		{"src,ipmask(24)", KindAddr},
		{"path,lower", KindString},
		{"req.hdr(host),length", KindInt},
		{"base,sdbm", KindInt},
		{"req.hdrs,regsub(foo,bar)", KindString},
		{"'req.hdr(authorization),lower'", KindString},
		{"src,debug", KindAddr},
		// unknown
		{"var(txn.x)", KindValue},
		{"lua.fetch", KindValue},
		{"src,some_new_converter", KindValue},
	}
	for _, tt := range tests {
		if got := InferKind(tt.expr); got != tt.want {
			t.Errorf("InferKind(%q) = %v; want %v", tt.expr, got, tt.want)
		}
	}
}

func TestGoName(t *testing.T) {
	tests := []struct{ in, want string }{
		{"check-client-ip", "CheckClientIP"},
		{"src_port", "SrcPort"},
		{"hdrs_bin", "HdrsBin"},
		{"arg_method", "ArgMethod"},
		{"ip", "IP"},
		{"x-forwarded-for", "XForwardedFor"},
		{"1st", "X1st"},
		{"a.b:c", "ABC"},
	}
	for _, tt := range tests {
		if got := goName(tt.in); got != tt.want {
			t.Errorf("goName(%q) = %q; want %q", tt.in, got, tt.want)
		}
	}
}
