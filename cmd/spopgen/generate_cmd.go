package main

import "errors"

// GenerateCmd will write the Go code of a spoe.conf's messages and agents.
// It is a placeholder: the generator lives in package gen and is wired here
// once it is ready.
type GenerateCmd struct {
	ParseFlags `embed:""`

	File   string `arg:"" type:"existingfile" placeholder:"SPOE.CONF" help:"spoe.conf to generate code from."`
	Output string `short:"o" type:"path" placeholder:"DIR" default:"." help:"Directory of the generated package."`
}

// errNotImplemented is returned by the generate command until it exists.
var errNotImplemented = errors.New("generate is not implemented yet; use 'spopgen check' or 'spopgen dump'")

// Run generates the code.
func (c *GenerateCmd) Run() error {
	return errNotImplemented
}
