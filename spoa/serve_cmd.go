package spoa

import "github.com/alecthomas/kong"

// agentCmd runs one agent: the server with the agent's handler, until a
// signal, --runtime or the context ends it.
type agentCmd struct {
	agent *Agent
	// The agent's Flags struct, embedded so its flags join this command.
	kong.Plugins
}

// Run serves the agent.
func (c *agentCmd) Run(g *Globals, d *deps) error {
	return serve(g, c.agent, d)
}
