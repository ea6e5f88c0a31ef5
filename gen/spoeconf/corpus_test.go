package spoeconf

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"
)

// The shared corpus of real-world spoe.conf files lives next to the
// repository (../shared/testdata/spoe-conf seen from the repository root),
// not inside it: the files come from projects under mixed licences and must
// not be copied into spopkit.

// corpusDir finds shared/testdata/spoe-conf in a parent of the package
// directory, or returns "".
func corpusDir(t testing.TB) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		cand := filepath.Join(dir, "shared", "testdata", "spoe-conf")
		if fi, err := os.Stat(cand); err == nil && fi.IsDir() {
			return cand
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return ""
		}
		dir = parent
	}
}

// requireCorpus returns the corpus directory, skipping the test when it is
// missing locally and failing it in CI (CI=true), where it must be present.
func requireCorpus(t *testing.T) string {
	t.Helper()
	dir := corpusDir(t)
	if dir == "" {
		const msg = "shared spoe.conf corpus not found: expected shared/testdata/spoe-conf in a parent directory of the repository"
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip("SKIPPED: " + msg)
	}
	return dir
}

// noEnv is an environment with no variable, so that tests do not depend on
// the machine's.
func noEnv(string) (string, bool) { return "", false }

func TestCorpus(t *testing.T) {
	dir := requireCorpus(t)
	confs, err := filepath.Glob(filepath.Join(dir, "*.conf"))
	if err != nil {
		t.Fatal(err)
	}
	if len(confs) == 0 {
		t.Fatalf("no .conf file in %s", dir)
	}
	for _, conf := range confs {
		name := strings.TrimSuffix(filepath.Base(conf), ".conf")
		t.Run(name, func(t *testing.T) {
			src, err := os.ReadFile(conf)
			if err != nil {
				t.Fatal(err)
			}
			wantJSON, err := os.ReadFile(strings.TrimSuffix(conf, ".conf") + ".json")
			if err != nil {
				t.Fatal(err)
			}
			cfg := Config{LookupEnv: noEnv}
			f, _ := cfg.Parse(filepath.Base(conf), src)
			gotJSON, err := Dump(f)
			if err != nil {
				t.Fatalf("Dump: %v", err)
			}
			var got, want map[string]any
			if err := json.Unmarshal(gotJSON, &got); err != nil {
				t.Fatalf("Dump output is not JSON: %v\n%s", err, gotJSON)
			}
			if err := json.Unmarshal(wantJSON, &want); err != nil {
				t.Fatalf("%s.json: %v", name, err)
			}
			for _, d := range compareParse(got, want) {
				t.Error(d)
			}
			if t.Failed() {
				t.Logf("Dump(%s) =\n%s", name, gotJSON)
			}
		})
	}
}

// compareParse compares a Dump output with an expected parse: scopes on
// structure and values; errors on line, column and token; semantic issues
// on line. Reasons are free text and not compared.
func compareParse(got, want map[string]any) []string {
	var diffs []string
	diffs = append(diffs, diffValues("scopes", got["scopes"], want["scopes"])...)
	project := func(v any, keys ...string) []string {
		list, _ := v.([]any)
		var out []string
		for _, e := range list {
			m, _ := e.(map[string]any)
			var parts []string
			for _, k := range keys {
				parts = append(parts, fmt.Sprintf("%s=%v", k, m[k]))
			}
			out = append(out, strings.Join(parts, " "))
		}
		sort.Strings(out)
		return out
	}
	for _, c := range []struct {
		key  string
		keys []string
	}{
		{"errors", []string{"line", "column", "token"}},
		{"semantic_issues", []string{"line"}},
	} {
		g, gok := got[c.key]
		w, wok := want[c.key]
		if gok != wok {
			diffs = append(diffs, fmt.Sprintf("%s present = %v; want %v (got %v)", c.key, gok, wok, g))
			continue
		}
		if gp, wp := project(g, c.keys...), project(w, c.keys...); !reflect.DeepEqual(gp, wp) {
			diffs = append(diffs, fmt.Sprintf("%s = %q; want %q", c.key, gp, wp))
		}
	}
	for k := range got {
		if k != "scopes" && k != "errors" && k != "semantic_issues" {
			diffs = append(diffs, fmt.Sprintf("unexpected top-level key %q", k))
		}
	}
	return diffs
}

// diffValues describes every difference between two decoded JSON values,
// one line per differing path.
func diffValues(path string, got, want any) []string {
	switch w := want.(type) {
	case map[string]any:
		g, ok := got.(map[string]any)
		if !ok {
			return []string{fmt.Sprintf("%s = %v; want an object %v", path, got, want)}
		}
		var diffs []string
		keys := make([]string, 0, len(w)+len(g))
		for k := range w {
			keys = append(keys, k)
		}
		for k := range g {
			if _, ok := w[k]; !ok {
				keys = append(keys, k)
			}
		}
		sort.Strings(keys)
		for _, k := range keys {
			gv, gok := g[k]
			wv, wok := w[k]
			switch {
			case !gok:
				diffs = append(diffs, fmt.Sprintf("%s.%s missing; want %v", path, k, wv))
			case !wok:
				diffs = append(diffs, fmt.Sprintf("%s.%s = %v; want no such key", path, k, gv))
			default:
				diffs = append(diffs, diffValues(path+"."+k, gv, wv)...)
			}
		}
		return diffs
	case []any:
		g, ok := got.([]any)
		if !ok || len(g) != len(w) {
			return []string{fmt.Sprintf("%s = %v; want %v", path, got, want)}
		}
		var diffs []string
		for i := range w {
			diffs = append(diffs, diffValues(fmt.Sprintf("%s[%d]", path, i), g[i], w[i])...)
		}
		return diffs
	}
	if !reflect.DeepEqual(got, want) {
		return []string{fmt.Sprintf("%s = %#v; want %#v", path, got, want)}
	}
	return nil
}
