// Command testdata runs the SPOE agent for ok.conf with the spoa
// command line (see --help).
package main

import (
	"github.com/spopkit/spopkit/cmd/spopgen/testdata"
	"github.com/spopkit/spopkit/spoa"
)

func main() { spoa.Main(testdata.NewAgent()) }
