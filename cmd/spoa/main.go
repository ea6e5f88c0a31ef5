// Command spoa runs spopkit's example SPOE agents for HAProxy:
//
//	spoa [flags] AGENT [agent flags]
//	spoa --address 127.0.0.1 --port 12345 iprep
//	spoa probe 127.0.0.1:12345
//	spoa config iprep haproxy.cfg
//
// See package spoa for the flags, which every agent built with spopkit shares.
package main

import (
	"github.com/spopkit/spopkit/examples/blocklist"
	"github.com/spopkit/spopkit/examples/echo"
	"github.com/spopkit/spopkit/examples/iprep"
	"github.com/spopkit/spopkit/examples/ipscore"
	"github.com/spopkit/spopkit/examples/mirror"
	"github.com/spopkit/spopkit/spoa"
)

func main() { spoa.Main(agents()...) }

// agents are the subcommands, in the order --help lists them.
func agents() []spoa.Agent {
	return []spoa.Agent{
		iprep.NewAgent(),
		ipscore.NewAgent(),
		mirror.NewAgent(),
		blocklist.NewAgent(),
		echo.NewAgent(),
	}
}
