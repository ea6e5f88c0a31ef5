// Command spopgen reads the SPOE configuration file of HAProxy (spoe.conf)
// and turns it into Go code for spopkit agents, or reports on it:
//
//	spopgen dump spoe.conf                            # the parse, as JSON
//	spopgen check [--strict] [--haproxy-cfg haproxy.cfg] spoe.conf  # problems, as file:line:col: message
//	spopgen [generate] spoe.conf -o DIR               # Go code
//	spopgen verify [DIR]                              # are generated files current?
//
// check exits with status 1 when it finds an error (HAProxy would refuse the
// configuration), and with --strict a warning too; 0 otherwise. generate
// runs the same checks and writes nothing on an error. The parsing is done by
// package github.com/spopkit/spopkit/gen/spoeconf.
package main

import (
	"os"

	"github.com/alecthomas/kong"
)

func main() {
	var cli CLI
	parser := kong.Must(&cli, options(os.Stdout)...)
	ctx, err := parser.Parse(os.Args[1:])
	if err != nil {
		parser.FatalIfErrorf(usageError{err})
	}
	ctx.FatalIfErrorf(ctx.Run())
}

// usageError is a command-line error: it exits with status 2, as the flag
// package and most Go tools do (kong's own is 80), and unwraps to kong's
// error so that the usage is still printed.
type usageError struct{ error }

func (usageError) ExitCode() int   { return 2 }
func (e usageError) Unwrap() error { return e.error }
