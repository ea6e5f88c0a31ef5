package gen

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/spopkit/spopkit/gen/spoeconf"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/golden")

// goldenCases are the folders of testdata/golden: each holds a spoe.conf, an
// optional haproxy.cfg, and the expected output spoe.go.golden.
func goldenCases(t *testing.T) []string {
	t.Helper()
	dirs, err := filepath.Glob("testdata/golden/*")
	if err != nil || len(dirs) == 0 {
		t.Fatalf("no golden cases: %v", err)
	}
	return dirs
}

// generateCase runs the generator as spopgen does for one golden folder.
func generateCase(t *testing.T, dir string) []byte {
	t.Helper()
	conf := filepath.Join(dir, "spoe.conf")
	src, err := os.ReadFile(conf)
	if err != nil {
		t.Fatal(err)
	}
	parsed, err := spoeconf.Parse(conf, src)
	if err != nil {
		t.Fatalf("parse %s: %v", conf, err)
	}
	opts := Options{Package: packageName(filepath.Base(dir))}
	// The haproxy.cfg is named by its path, as spopgen reads it: the
	// generated comments name its base only.
	if cfg, err := spoeconf.ReadHAProxyConfig(filepath.Join(dir, "haproxy.cfg")); err == nil {
		opts.HAProxyCfg = cfg
	}
	out, err := Generate(FromConf(parsed), opts)
	if err != nil {
		t.Fatalf("generate %s: %v", conf, err)
	}
	return out
}

func TestGolden(t *testing.T) {
	for _, dir := range goldenCases(t) {
		t.Run(filepath.Base(dir), func(t *testing.T) {
			got := generateCase(t, dir)
			golden := filepath.Join(dir, "spoe.go.golden")
			if *update {
				if err := os.WriteFile(golden, got, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test ./gen -run TestGolden -update)", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("generated code for %s differs from %s; run go test ./gen -run TestGolden -update and review the diff", dir, golden)
			}
			if again := generateCase(t, dir); !bytes.Equal(got, again) {
				t.Errorf("generator output for %s is not reproducible", dir)
			}
		})
	}
}

// TestStubGolden: the handler stub of every golden case, which says what an
// error does and passes the server's configuration through Configure.
func TestStubGolden(t *testing.T) {
	for _, dir := range goldenCases(t) {
		t.Run(filepath.Base(dir), func(t *testing.T) {
			conf := filepath.Join(dir, "spoe.conf")
			src, err := os.ReadFile(conf)
			if err != nil {
				t.Fatal(err)
			}
			parsed, err := spoeconf.Parse(conf, src)
			if err != nil {
				t.Fatal(err)
			}
			got, err := HandlerStub(FromConf(parsed), Options{Package: packageName(filepath.Base(dir))})
			if err != nil {
				t.Fatal(err)
			}
			golden := filepath.Join(dir, "handler.go.golden")
			if *update {
				if err := os.WriteFile(golden, got, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test ./gen -run TestStubGolden -update)", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("handler stub for %s differs from %s; run go test ./gen -run TestStubGolden -update and review the diff", dir, golden)
			}
		})
	}
}
