package gen

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/spopkit/spopkit/gen/spoeconf"
)

// Request describes one spopgen generate run.
type Request struct {
	Conf       string                  // path of the spoe.conf
	OutDir     string                  // where the files go; "" means the spoe.conf's folder
	Package    string                  // Go package name; "" means derived from OutDir
	Scopes     []string                // scopes to generate; empty means all
	Types      map[string]Kind         // see Options.Types
	HAProxyCfg *spoeconf.HAProxyConfig // a parsed haproxy.cfg, for typed variable setters
	Stubs      bool                    // also write handler.go and cmd/<pkg>/main.go when missing
	// Parse, when set, parses the spoe.conf (e.g. with a spoeconf.Config for
	// a given HAProxy version); nil means spoeconf.Parse.
	Parse func(filename string, src []byte) (*spoeconf.File, error)
}

// Output is a file to write. Once files are written only when absent.
type Output struct {
	Path string
	Data []byte
	Once bool
}

// Run parses the spoe.conf and returns the files spopgen writes for it: the
// generated code, and with Stubs the handler stub and main.go. Parse errors
// carry file:line:col.
func Run(req Request) ([]Output, error) {
	src, err := os.ReadFile(req.Conf)
	if err != nil {
		return nil, err
	}
	parse := req.Parse
	if parse == nil {
		parse = spoeconf.Parse
	}
	conf, err := parse(req.Conf, src)
	if err != nil {
		return nil, err
	}
	out := req.OutDir
	if out == "" {
		out = filepath.Dir(req.Conf)
	}
	abs, err := filepath.Abs(out)
	if err != nil {
		return nil, err
	}
	opts := Options{Package: req.Package, Scopes: req.Scopes, Types: req.Types, HAProxyCfg: req.HAProxyCfg}
	if opts.Package == "" {
		opts.Package = packageName(filepath.Base(abs))
	}
	f := FromConf(conf)
	code, err := Generate(f, opts)
	if err != nil {
		return nil, err
	}
	files := []Output{{Path: filepath.Join(out, OutputName(req.Conf)), Data: code}}
	if !req.Stubs {
		return files, nil
	}
	handler, err := HandlerStub(f, opts)
	if err != nil {
		return nil, err
	}
	files = append(files, Output{Path: filepath.Join(out, "handler.go"), Data: handler, Once: true})
	importPath, err := importPathOf(abs)
	if err != nil {
		return nil, fmt.Errorf("gen: main.go needs the package's import path: %v (use --no-stubs)", err)
	}
	main, err := MainStub(f, opts.Package, importPath)
	if err != nil {
		return nil, err
	}
	files = append(files, Output{Path: filepath.Join(out, "cmd", opts.Package, "main.go"), Data: main, Once: true})
	return files, nil
}

// OutputName is the name of the generated file for a spoe.conf:
// iprep.spoe.conf and iprep.conf give iprep_spoe.go, spoe.conf gives spoe.go.
func OutputName(conf string) string {
	base := filepath.Base(conf)
	base = strings.TrimSuffix(base, filepath.Ext(base))
	base = strings.TrimSuffix(base, ".spoe")
	base = strings.Map(func(r rune) rune {
		if r == '-' || r == '.' || r == ' ' {
			return '_'
		}
		return r
	}, base)
	if base == "" || base == "spoe" {
		return "spoe.go"
	}
	return base + "_spoe.go"
}

// importPathOf finds the go.mod above dir and returns dir's import path.
func importPathOf(dir string) (string, error) {
	for d := dir; ; d = filepath.Dir(d) {
		data, err := os.ReadFile(filepath.Join(d, "go.mod"))
		if err == nil {
			mod := modulePath(data)
			if mod == "" {
				return "", fmt.Errorf("no module line in %s", filepath.Join(d, "go.mod"))
			}
			rel, err := filepath.Rel(d, dir)
			if err != nil {
				return "", err
			}
			if rel == "." {
				return mod, nil
			}
			return mod + "/" + filepath.ToSlash(rel), nil
		}
		if filepath.Dir(d) == d {
			return "", fmt.Errorf("no go.mod above %s", dir)
		}
	}
}

func modulePath(gomod []byte) string {
	s := bufio.NewScanner(bytes.NewReader(gomod))
	for s.Scan() {
		if f := strings.Fields(s.Text()); len(f) == 2 && f[0] == "module" {
			return strings.Trim(f[1], `"`)
		}
	}
	return ""
}
