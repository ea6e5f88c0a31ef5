package spoa

import (
	"fmt"
	"slices"
	"strings"
)

// configCmd is `spoa config AGENT [FILE]`: print an agent's example files.
type configCmd struct {
	Agent string `arg:"" placeholder:"AGENT" help:"Agent whose example configuration to print."`
	File  string `arg:"" optional:"" placeholder:"FILE" help:"Print only this file (e.g. spoe.conf or haproxy.cfg)."`
}

// Run prints the files.
func (c *configCmd) Run(d *deps, agents []Agent) error {
	i := slices.IndexFunc(agents, func(a Agent) bool { return a.Name == c.Agent })
	if i < 0 {
		return fmt.Errorf("no agent %q", c.Agent)
	}
	files := agents[i].Files
	if len(files) == 0 {
		return fmt.Errorf("agent %q ships no example configuration", c.Agent)
	}
	if c.File != "" {
		body, ok := files[c.File]
		if !ok {
			return fmt.Errorf("agent %q has no file %q (it has %s)", c.Agent, c.File, strings.Join(fileNames(files), ", "))
		}
		_, err := fmt.Fprint(d.stdout, body)
		return err
	}
	for i, name := range fileNames(files) {
		if i > 0 {
			fmt.Fprintln(d.stdout)
		}
		fmt.Fprintf(d.stdout, "# ==> %s <==\n%s", name, files[name])
	}
	return nil
}

func fileNames(files map[string]string) []string {
	names := make([]string, 0, len(files))
	for n := range files {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}
