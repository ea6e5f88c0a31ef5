// Command out runs the SPOE agent for ok.conf with the spoa
// command line (see --help).
package main

import (
	"github.com/spopkit/spopkit/cmd/spopgen/out"
	"github.com/spopkit/spopkit/spoa"
)

func main() { spoa.Main(out.NewAgent()) }
