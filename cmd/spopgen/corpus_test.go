package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// The shared corpus of real-world spoe.conf files lives next to the
// repository (../shared/testdata/spoe-conf seen from its root), each with
// its expected parse; gen/spoeconf's TestCorpus compares the parses.

// requireCorpus finds shared/testdata/spoe-conf in a parent directory,
// skipping the test when it is missing locally and failing it in CI
// (CI=true), where it must be present.
func requireCorpus(t *testing.T) string {
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
		if filepath.Dir(dir) == dir {
			break
		}
		dir = filepath.Dir(dir)
	}
	const msg = "shared spoe.conf corpus not found: expected shared/testdata/spoe-conf in a parent directory of the repository"
	if os.Getenv("CI") == "true" {
		t.Fatal(msg)
	}
	t.Skip("SKIPPED: " + msg)
	return ""
}

// expectedParse is the part of a corpus .json file that says whether
// HAProxy loads the file.
type expectedParse struct {
	Scopes []struct {
		Name   string
		Agents []struct {
			Name       string
			Messages   []string
			Groups     []string
			UseBackend string `json:"use_backend"`
			VarPrefix  string `json:"var_prefix"`
		}
		Messages []struct{ Name string }
		Groups   []struct {
			Name     string
			Messages []string
		}
	}
	Errors         []any
	SemanticIssues []any `json:"semantic_issues"`
}

// refusals lists why HAProxy refuses a file, from its expected parse and
// the rules of spop-reference.md §8: the lines it cannot parse ("errors")
// or refuses ("semantic_issues"), a last line without LF, and what it
// checks when it loads a scope (an agent, its use-backend, its variable
// prefix, every listed message and group declared, a message in one group
// only). Empty means HAProxy loads the file.
func (e *expectedParse) refusals(src []byte) []string {
	var out []string
	if len(e.Errors) > 0 {
		out = append(out, fmt.Sprintf("%d lines HAProxy cannot parse", len(e.Errors)))
	}
	if len(e.SemanticIssues) > 0 {
		out = append(out, fmt.Sprintf("%d lines HAProxy 3.x refuses", len(e.SemanticIssues)))
	}
	if len(src) > 0 && !bytes.HasSuffix(src, []byte("\n")) {
		out = append(out, "no LF on the last line")
	}
	agents := 0
	for _, s := range e.Scopes {
		agents += len(s.Agents)
		if len(s.Agents) == 0 && s.Name != "" {
			out = append(out, fmt.Sprintf("scope [%s] has no agent", s.Name))
		}
		var messages, groups []string
		for _, m := range s.Messages {
			messages = append(messages, m.Name)
		}
		owner := map[string]string{}
		for _, g := range s.Groups {
			groups = append(groups, g.Name)
			for _, m := range g.Messages {
				if !slices.Contains(messages, m) {
					out = append(out, fmt.Sprintf("group %s lists undeclared message %s", g.Name, m))
				}
				if o, ok := owner[m]; ok && o != g.Name {
					out = append(out, fmt.Sprintf("message %s in groups %s and %s", m, o, g.Name))
				}
				owner[m] = g.Name
			}
		}
		for _, a := range s.Agents {
			if a.UseBackend == "" {
				out = append(out, fmt.Sprintf("agent %s has no use-backend", a.Name))
			}
			if a.VarPrefix == "" && strings.Trim(a.Name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.") != "" {
				out = append(out, fmt.Sprintf("agent %s is its own variable prefix but has other characters than A-Z a-z 0-9 _ .", a.Name))
			}
			for _, m := range a.Messages {
				if !slices.Contains(messages, m) {
					out = append(out, fmt.Sprintf("agent %s lists undeclared message %s", a.Name, m))
				}
			}
			for _, g := range a.Groups {
				if !slices.Contains(groups, g) {
					out = append(out, fmt.Sprintf("agent %s lists undeclared group %s", a.Name, g))
				}
			}
		}
	}
	if agents == 0 {
		out = append(out, "no agent at all")
	}
	return out
}

// TestCorpusRefusals runs check and generate over every file of the shared
// corpus: both refuse exactly the files HAProxy refuses according to their
// expected parses, and generate then writes nothing.
func TestCorpusRefusals(t *testing.T) {
	dir := requireCorpus(t)
	confs, err := filepath.Glob(filepath.Join(dir, "*.conf"))
	if err != nil {
		t.Fatal(err)
	}
	if len(confs) == 0 {
		t.Fatalf("no .conf file in %s", dir)
	}
	refused := 0
	for _, conf := range confs {
		name := strings.TrimSuffix(filepath.Base(conf), ".conf")
		t.Run(name, func(t *testing.T) {
			src, err := os.ReadFile(conf)
			if err != nil {
				t.Fatal(err)
			}
			js, err := os.ReadFile(strings.TrimSuffix(conf, ".conf") + ".json")
			if err != nil {
				t.Fatal(err)
			}
			var want expectedParse
			if err := json.Unmarshal(js, &want); err != nil {
				t.Fatalf("%s.json: %v", name, err)
			}
			why := want.refusals(src)
			if len(why) > 0 {
				refused++
			}

			stdout, _, _, _, err, _ := run(t, "check", conf)
			var perr *problemsError
			if got := errors.As(err, &perr); got != (len(why) > 0) {
				t.Errorf("spopgen check %s: refused = %v (%v); want %v %q\n%s", name, got, err, len(why) > 0, why, stdout)
			}

			out := t.TempDir()
			stdout, _, _, _, err, _ = run(t, conf, "-o", out, "--package", "corpus", "--no-stubs")
			written, _ := os.ReadDir(out)
			switch refusedGen := errors.As(err, &perr); {
			case refusedGen != (len(why) > 0):
				t.Errorf("spopgen generate %s: refused = %v (%v); want %v %q\n%s", name, refusedGen, err, len(why) > 0, why, stdout)
			case refusedGen && len(written) > 0:
				t.Errorf("spopgen generate %s refused the file but wrote %d files", name, len(written))
			case err != nil && !refusedGen:
				t.Logf("spopgen generate %s: %v (a limit of the generator, not a refusal)", name, err)
			}
		})
	}
	t.Logf("%d of %d files refused", refused, len(confs))
}
