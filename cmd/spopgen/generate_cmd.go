package main

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/spopkit/spopkit/gen"
)

// GenerateCmd writes the Go code of a spoe.conf: one file with a typed struct
// and decoder per spoe-message, a Handler interface and a Dispatcher; and,
// once, a handler stub and a main.go running the agent with the spoa command
// line. It is the default command: "spopgen spoe.conf -o DIR".
type GenerateCmd struct {
	ParseFlags `embed:""`

	File       string   `arg:"" placeholder:"SPOE.CONF" help:"spoe.conf to generate code from."`
	Output     string   `short:"o" placeholder:"DIR" help:"Directory of the generated package (default: the spoe.conf's directory)."`
	Package    string   `placeholder:"NAME" help:"Go package name (default: the output directory's name)."`
	Scope      []string `placeholder:"NAME" help:"Generate only this scope ([NAME] in the file; repeatable). Default: every scope."`
	Type       []string `placeholder:"MSG.ARG=KIND" help:"Override an argument's inferred type; ARG is a name or a 0-based position, KIND one of value, addr, int, bool, string, bytes, headers (repeatable)."`
	HAProxyCfg string   `name:"haproxy-cfg" placeholder:"FILE" help:"haproxy.cfg: generate one typed setter per variable it reads under the agent's var-prefix, and no generic SetVar."`
	NoStubs    bool     `name:"no-stubs" help:"Do not write handler.go and cmd/<package>/main.go."`
}

// request turns the flags into a generator request; paths are relative to dir.
func (c *GenerateCmd) request(dir string) (gen.Request, error) {
	types, err := parseTypes(c.Type)
	if err != nil {
		return gen.Request{}, err
	}
	rel := func(p string) string {
		if p == "" || filepath.IsAbs(p) {
			return p
		}
		return filepath.Join(dir, p)
	}
	parse := c.ParseFlags
	return gen.Request{
		Conf:       rel(c.File),
		OutDir:     rel(c.Output),
		Package:    c.Package,
		Scopes:     c.Scope,
		Types:      types,
		HAProxyCfg: rel(c.HAProxyCfg),
		Stubs:      !c.NoStubs,
		Parse:      parse.parseStrict,
	}, nil
}

// Run generates the code and writes the files, reporting each on out.
func (c *GenerateCmd) Run(out io.Writer) error {
	req, err := c.request("")
	if err != nil {
		return err
	}
	files, err := gen.Run(req)
	if err != nil {
		return err
	}
	for _, f := range files {
		if f.Once {
			if _, err := os.Stat(f.Path); err == nil {
				continue
			} else if !errors.Is(err, fs.ErrNotExist) {
				return err
			}
		}
		if err := os.MkdirAll(filepath.Dir(f.Path), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(f.Path, f.Data, 0o644); err != nil {
			return err
		}
		fmt.Fprintln(out, "wrote", f.Path)
	}
	return nil
}

// parseTypes reads --type MSG.ARG=KIND values.
func parseTypes(specs []string) (map[string]gen.Kind, error) {
	if len(specs) == 0 {
		return nil, nil
	}
	types := map[string]gen.Kind{}
	for _, s := range specs {
		key, kind, ok := strings.Cut(s, "=")
		k, known := gen.ParseKind(kind)
		if !ok || !strings.Contains(key, ".") || !known {
			return nil, fmt.Errorf("--type %q: want MESSAGE.ARG=KIND with KIND one of value, addr, int, bool, string, bytes, headers", s)
		}
		types[key] = k
	}
	return types, nil
}
