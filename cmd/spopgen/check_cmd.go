package main

import (
	"fmt"
	"io"

	"github.com/spopkit/spopkit/gen/spoeconf"
)

// CheckCmd prints every problem of a spoe.conf, one "file:line:col: message"
// line each, in source order: what HAProxy refuses as it reads the file, what
// it refuses when it loads a scope, and warnings (see spoeconf.Check). With
// --haproxy-cfg it also checks the agents' backends and the filter and
// send-spoe-group lines that refer to the file.
type CheckCmd struct {
	ParseFlags `embed:""`

	File       string `arg:"" type:"existingfile" placeholder:"SPOE.CONF" help:"spoe.conf to check."`
	HAProxyCfg string `name:"haproxy-cfg" type:"existingfile" placeholder:"FILE" help:"haproxy.cfg using the file: also check backends, \"filter spoe\" and \"send-spoe-group\" lines."`
}

// problemsError reports that check found something; its exit status is 1.
type problemsError struct {
	file             string
	errors, warnings int
}

// Error summarises the problems, e.g. "spoe.conf: 2 errors, 1 warning".
func (e *problemsError) Error() string {
	return fmt.Sprintf("%s: %s, %s", e.file, count(e.errors, "error"), count(e.warnings, "warning"))
}

// ExitCode makes kong exit with status 1.
func (e *problemsError) ExitCode() int { return 1 }

func count(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return fmt.Sprintf("%d %ss", n, what)
}

// Run prints the diagnostics to out and returns a problemsError if there
// are any.
func (c *CheckCmd) Run(out io.Writer) error {
	f, err := c.parse(c.File)
	if err != nil {
		return err
	}
	var cfg *spoeconf.HAProxyConfig
	if c.HAProxyCfg != "" {
		if cfg, err = spoeconf.ReadHAProxyConfig(c.HAProxyCfg); err != nil {
			return err
		}
	}
	ds := spoeconf.Check(f, cfg)
	perr := &problemsError{file: c.File}
	for _, d := range ds {
		if _, err := fmt.Fprintln(out, d); err != nil {
			return err
		}
		if d.Kind.IsError() {
			perr.errors++
		} else {
			perr.warnings++
		}
	}
	if len(ds) > 0 {
		return perr
	}
	return nil
}
