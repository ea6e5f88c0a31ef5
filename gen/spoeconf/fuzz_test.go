package spoeconf

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
)

// FuzzParse checks that any input parses without panicking into a File
// whose diagnostics point inside the input, that Dump always yields JSON,
// that Check runs, and that parsing is deterministic. The seeds are the
// files of testdata/fuzz/FuzzParse plus, when present, the shared corpus,
// read at fuzz time (it is never copied into the repository).
func FuzzParse(f *testing.F) {
	if dir := corpusDir(f); dir != "" {
		confs, _ := filepath.Glob(filepath.Join(dir, "*.conf"))
		for _, c := range confs {
			if src, err := os.ReadFile(c); err == nil {
				f.Add(src)
			}
		}
	}
	env := map[string]string{"FOO": "foo", "LIST": "a  b c ", "EMPTY": ""}
	cfg := Config{
		LookupEnv:      func(n string) (string, bool) { v, ok := env[n]; return v, ok },
		HAProxyVersion: "3.2",
	}
	f.Fuzz(func(t *testing.T, src []byte) {
		file, err := cfg.Parse("fuzz.conf", src)
		if file == nil {
			t.Fatalf("Parse(%q) = nil File", src)
		}
		hasErr := false
		for _, d := range file.Diagnostics {
			if d.Kind == SyntaxError || d.Kind == SemanticError {
				hasErr = true
			}
			checkDiagnosticPos(t, src, d)
		}
		if hasErr != (err != nil) {
			t.Fatalf("Parse(%q) error = %v with diagnostics %q", src, err, file.Diagnostics)
		}
		out, derr := Dump(file)
		if derr != nil || !json.Valid(out) {
			t.Fatalf("Dump(Parse(%q)) = %s, %v; want valid JSON", src, out, derr)
		}
		for _, d := range Check(file, ParseHAProxyConfig("haproxy.cfg", src)) {
			if d.Pos.Filename == "fuzz.conf" {
				checkDiagnosticPos(t, src, d)
			}
		}
		for _, s := range file.Scopes {
			for _, a := range s.Agents {
				for _, id := range append(append([]Ident{}, a.Messages...), a.Groups...) {
					checkPos(t, src, id.Pos, id.Name)
				}
			}
			for _, m := range s.Messages {
				for _, a := range m.Args {
					checkPos(t, src, a.Pos, a.Name)
					if a.Expr != "" && a.Sample.Fetch.Name == "" {
						t.Fatalf("arg %q of %q has no fetch", a.Expr, m.Name)
					}
				}
			}
		}
		again, _ := cfg.Parse("fuzz.conf", src)
		out2, _ := Dump(again)
		if string(out) != string(out2) {
			t.Fatalf("Parse(%q) is not deterministic:\n%s\n%s", src, out, out2)
		}
	})
}

func checkDiagnosticPos(t *testing.T, src []byte, d Diagnostic) {
	t.Helper()
	if d.Msg == "" {
		t.Fatalf("diagnostic without message: %+v", d)
	}
	if d.Pos.Line == 1 && d.Pos.Col == 1 && d.Pos.Offset == 0 {
		return // file-level diagnostics
	}
	checkPos(t, src, d.Pos, d.Token)
}

// checkPos checks that pos is a valid position of src.
func checkPos(t *testing.T, src []byte, pos Pos, what string) {
	t.Helper()
	if pos.Offset < 0 || pos.Offset > len(src) || pos.Line < 1 || pos.Col < 1 {
		t.Fatalf("%q at bad position %+v in %q", what, pos, src)
	}
	line, col := 1, 1
	for _, c := range src[:pos.Offset] {
		if c == '\n' {
			line, col = line+1, 1
		} else {
			col++
		}
	}
	if line != pos.Line || col != pos.Col {
		t.Fatalf("%q at %+v but offset %d is line %d col %d in %q", what, pos, pos.Offset, line, col, src)
	}
}
