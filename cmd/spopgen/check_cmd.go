package main

import (
	"io"

	"github.com/spopkit/spopkit/gen/spoeconf"
)

// CheckCmd prints every problem of a spoe.conf, one "file:line:col: message"
// line each, in source order: what HAProxy refuses as it reads the file, what
// it refuses when it loads a scope, and warnings (see spoeconf.Check). With
// --haproxy-cfg it also checks the agents' backends, the filter and
// send-spoe-group lines that refer to the file, and that a rule reads the
// variable a failed NOTIFY sets. generate runs the same checks.
type CheckCmd struct {
	ParseFlags `embed:""`
	File       string `arg:"" type:"existingfile" placeholder:"SPOE.CONF" help:"spoe.conf to check."`
	HAProxyCfg string `name:"haproxy-cfg" type:"existingfile" placeholder:"FILE" help:"haproxy.cfg using the file: also check backends, \"filter spoe\" and \"send-spoe-group\" lines, and that a rule reads the agent's error variable."`
	Strict     bool   `help:"Exit with status 1 on warnings too (HAProxy starts with them)."`
}

// Run prints the diagnostics to out. It returns a problemsError, naming the
// file of each problem, if there is an error, or with --strict a warning.
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
	return report(out, c.File, spoeconf.Check(f, cfg), c.Strict)
}
