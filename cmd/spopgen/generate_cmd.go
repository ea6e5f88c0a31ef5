package main

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/spopkit/spopkit/gen"
	"github.com/spopkit/spopkit/gen/spoeconf"
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
	Type       []string `placeholder:"MSG.ARG=KIND" help:"Override an argument's inferred type; ARG is a name or a 0-based position, KIND one of value, addr, int, bool, string, bytes, headers that can hold what the argument's expression sends (repeatable)."`
	HAProxyCfg string   `name:"haproxy-cfg" placeholder:"FILE" help:"haproxy.cfg: generate one setter per variable it reads under the agent's var-prefix, taking the Go type its rules use the variable as, and no generic SetVar; an argument fetched with var() from a variable it sets gets that value's type."`
	NoStubs    bool     `name:"no-stubs" help:"Do not write handler.go and cmd/<package>/main.go."`
}

// request turns the flags into a generator request; paths are relative to
// dir. The request's Parse runs check's diagnostics (see vet), printing them
// to diag.
func (c *GenerateCmd) request(dir string, diag io.Writer) (gen.Request, error) {
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
	var cfg *spoeconf.HAProxyConfig
	if c.HAProxyCfg != "" {
		if cfg, err = spoeconf.ReadHAProxyConfig(rel(c.HAProxyCfg)); err != nil {
			return gen.Request{}, err
		}
	}
	return gen.Request{
		Conf:       rel(c.File),
		OutDir:     rel(c.Output),
		Package:    c.Package,
		Scopes:     c.Scope,
		Types:      types,
		HAProxyCfg: cfg,
		Stubs:      !c.NoStubs,
		Parse: func(name string, src []byte) (*spoeconf.File, error) {
			return c.vet(name, src, cfg, diag)
		},
	}, nil
}

// vet parses the spoe.conf for code generation and runs the checks of
// "spopgen check" on it (with the haproxy.cfg when given): every
// diagnostic is printed to out, and an error, which HAProxy would refuse
// the configuration for, refuses the file, so nothing is written.
func (c *GenerateCmd) vet(name string, src []byte, cfg *spoeconf.HAProxyConfig, out io.Writer) (*spoeconf.File, error) {
	f := c.parseSource(name, src)
	if err := report(out, name, spoeconf.Check(f, cfg), false); err != nil {
		if perr, ok := err.(*problemsError); ok {
			perr.result = "HAProxy refuses it: nothing written"
		}
		return nil, err
	}
	return f, nil
}

// Run generates the code and writes the files, reporting each on out.
func (c *GenerateCmd) Run(out io.Writer) error {
	req, err := c.request("", out)
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
