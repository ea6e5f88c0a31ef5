package spoeconf

import "path/filepath"

// agentErrorVar is the variable a spopkit agent sets, under its var-prefix
// in scope txn, when a handler fails and the spoe.conf has no
// "option set-on-error" (server.DefaultErrorVarName).
const agentErrorVar = "agent_error"

// ErrorVars returns the full names of the variables ("txn.coraza.error")
// that tell haproxy.cfg a NOTIFY of agent a was not answered normally: the
// one of "option set-on-error", which HAProxy sets on an agent outage and a
// spopkit agent on a handler error, and the agent's own error variable.
func (a *Agent) ErrorVars() []string {
	prefix := "txn." + a.Prefix() + "."
	var out []string
	if v := a.OptionValue("set-on-error"); v != "" {
		out = append(out, prefix+v)
	}
	return append(out, prefix+agentErrorVar)
}

// failOpen warns, at each "filter spoe" that uses an agent of the file, when
// no rule of cfg reads one of the agent's error variables: HAProxy then
// lets a request through whether or not the agent answered.
func (c *checker) failOpen(cfg *HAProxyConfig) {
	base := filepath.Base(c.file.Name)
	warned := map[*Agent]bool{}
	for _, flt := range cfg.Filters {
		if flt.Config == "" || filepath.Base(flt.Config) != base {
			continue
		}
		s := c.file.Scope(flt.Engine)
		if s == nil || s.Agent() == nil || warned[s.Agent()] {
			continue
		}
		a := s.Agent()
		vars := a.ErrorVars()
		read := false
		for _, v := range vars {
			read = read || cfg.ReadsVar(v)
		}
		if read {
			continue
		}
		warned[a] = true
		what := "var(" + vars[0] + ")"
		if len(vars) > 1 {
			what = "var(" + vars[0] + ") (option set-on-error) or var(" + vars[1] + ")"
		}
		c.add(Warning, flt.Pos, "filter", "spoe-agent '%s' (%s): no rule reads %s: handler errors and agent outages let requests through (fail-open); deny when it is set, e.g. \"http-request deny if { var(%s) -m found }\"", a.Name, a.Pos, what, vars[0])
	}
}
