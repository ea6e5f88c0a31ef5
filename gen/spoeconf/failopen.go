package spoeconf

import "path/filepath"

// agentErrorVar is the variable a spopkit agent sets, under its var-prefix
// in scope txn, when a handler fails and the spoe.conf has no
// "option set-on-error" (server.DefaultErrorVarName).
const agentErrorVar = "agent_error"

// ErrorVar returns the full name ("txn.coraza.error") of the variable that
// tells haproxy.cfg a NOTIFY of agent a was not answered normally: the one
// of "option set-on-error", which HAProxy sets on an agent outage and a
// generated agent (its Configure) on a handler error; without that option,
// the agent's own error variable, which only a failing handler sets.
func (a *Agent) ErrorVar() string {
	prefix := "txn." + a.Prefix() + "."
	if v := a.OptionValue("set-on-error"); v != "" {
		return prefix + v
	}
	return prefix + agentErrorVar
}

// failOpen warns, at each "filter spoe" that uses an agent of the file, when
// no rule of cfg reads the agent's error variable: HAProxy then lets a
// request through whether or not the agent answered.
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
		v := a.ErrorVar()
		if cfg.ReadsVar(v) {
			continue
		}
		warned[a] = true
		hint := ""
		if a.OptionValue("set-on-error") == "" {
			hint = "; without option set-on-error, agent outages set no variable at all"
		}
		c.add(Warning, flt.Pos, "filter", "spoe-agent '%s' (%s): no rule reads var(%s): handler errors and agent outages let requests through (fail-open); deny when it is set, e.g. \"http-request deny if { var(%s) -m found }\"%s", a.Name, a.Pos, v, v, hint)
	}
}
