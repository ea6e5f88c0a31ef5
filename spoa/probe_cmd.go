package spoa

import (
	"context"
	"fmt"
)

// probeCmd is `spoa probe ADDR`: a health check for containers and systemd.
type probeCmd struct {
	Addr    string   `arg:"" placeholder:"ADDR" help:"Agent address: HOST:PORT, or the path of a UNIX socket."`
	Timeout Duration `default:"2s" placeholder:"TIME" help:"Give up after this long."`
	Quiet   bool     `short:"q" help:"Print nothing on success."`
}

// Run probes the agent; an error makes the command exit 1.
func (c *probeCmd) Run(d *deps) error {
	ctx, cancel := context.WithTimeout(d.ctx, c.Timeout.D())
	defer cancel()
	res, err := Probe(ctx, c.Addr)
	if err != nil {
		return fmt.Errorf("probe %s: %w", c.Addr, err)
	}
	if !c.Quiet {
		fmt.Fprintf(d.stdout, "%s: ok, version %s, max-frame-size %d, capabilities %q, %v\n",
			c.Addr, res.Version, res.MaxFrameSize, res.Capabilities, res.RTT.Round(1000))
	}
	return nil
}
