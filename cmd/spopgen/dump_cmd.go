package main

import (
	"io"

	"github.com/spopkit/spopkit/gen/spoeconf"
)

// DumpCmd prints the parse of a spoe.conf as JSON: its scopes with their
// agents, messages and groups, plus the lines HAProxy cannot read ("errors")
// and those it refuses ("semantic_issues"). The schema is the one of the
// shared corpus of real-world files (see spoeconf.Dump). Problems in the file
// are part of the output, so dump succeeds unless the file cannot be read.
type DumpCmd struct {
	ParseFlags `embed:""`

	File string `arg:"" type:"existingfile" placeholder:"SPOE.CONF" help:"spoe.conf to parse."`
}

// Run prints the JSON to out.
func (c *DumpCmd) Run(out io.Writer) error {
	f, err := c.parse(c.File)
	if err != nil {
		return err
	}
	js, err := spoeconf.Dump(f)
	if err != nil {
		return err
	}
	_, err = out.Write(js)
	return err
}
