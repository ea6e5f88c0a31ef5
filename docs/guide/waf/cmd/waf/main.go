// Command waf runs the SPOE agent for spoe.conf with the spoa
// command line (see --help).
package main

import (
	"github.com/spopkit/spopkit/docs/guide/waf"
	"github.com/spopkit/spopkit/spoa"
)

func main() { spoa.Main(waf.NewAgent()) }
