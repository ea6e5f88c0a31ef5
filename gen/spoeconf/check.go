package spoeconf

import (
	"fmt"
	"path/filepath"
	"sort"
)

// maxVarNameLen is the longest variable name ("txn.prefix.name") HAProxy
// 2.6 to 3.4 handle: longer names set by an agent are silently truncated
// (spop-reference.md section 3.6).
const maxVarNameLen = 63

// maxMessageArgs is the most arguments a message can carry: NB-ARGS is one
// byte in the NOTIFY frame.
const maxMessageArgs = 255

// Check returns every diagnostic for f: those found by Parse plus the
// checks HAProxy makes when it loads a scope (agent, use-backend, listed
// messages and groups) and lint warnings (messages never sent, missing
// timeout processing, variable names too long, ...). With a haproxy.cfg it
// also checks the agents' backends and the configuration's "filter spoe"
// and "send-spoe-group" lines that refer to f. The result is in source
// order, f's diagnostics first.
func Check(f *File, cfg *HAProxyConfig) []Diagnostic {
	c := &checker{file: f}
	for _, s := range f.Scopes {
		c.scope(s)
	}
	if !c.anyAgent() {
		c.add(ConfigError, Pos{Filename: f.Name, Line: 1, Col: 1}, "", "no spoe-agent section in the file: HAProxy refuses it (\"No SPOE agent found\")")
	}
	if cfg != nil {
		c.haproxy(cfg)
	}
	out := append(append([]Diagnostic(nil), f.Diagnostics...), c.diags...)
	sortDiagnostics(out)
	// f's diagnostics first, then haproxy.cfg's, whatever the file names.
	sort.SliceStable(out, func(i, j int) bool {
		return out[i].Pos.Filename == f.Name && out[j].Pos.Filename != f.Name
	})
	return out
}

type checker struct {
	file  *File
	diags []Diagnostic
}

func (c *checker) add(kind Kind, pos Pos, token, format string, args ...any) {
	c.diags = append(c.diags, Diagnostic{Pos: pos, Kind: kind, Token: token, Msg: fmt.Sprintf(format, args...)})
}

func (c *checker) anyAgent() bool {
	for _, s := range c.file.Scopes {
		if s.Agent() != nil {
			return true
		}
	}
	return false
}

func (c *checker) scope(s *Scope) {
	u := s.Resolve()
	a := u.Agent
	switch {
	case a == nil && s.Name == "" && len(c.file.Scopes) > 1:
		// Only a filter without "engine" reads these sections, and one
		// with an engine is the likely use of this file.
		c.add(Warning, firstSectionPos(s), "", "the sections before the first [scope] line have no spoe-agent: only a 'filter spoe' without 'engine' would read them, and HAProxy would refuse it (\"No SPOE agent found\")")
	case a == nil:
		pos := s.Pos
		if !pos.IsValid() {
			pos = firstSectionPos(s)
		}
		c.add(ConfigError, pos, "", "%s has no spoe-agent section: HAProxy refuses a filter that uses it (\"No SPOE agent found\")", scopeDesc(s))
	default:
		c.agent(s, u)
	}
	c.groups(s, a)
	c.messages(s, u)
}

func firstSectionPos(s *Scope) Pos {
	switch {
	case len(s.Messages) > 0:
		return s.Messages[0].Pos
	case len(s.Groups) > 0:
		return s.Groups[0].Pos
	}
	return Pos{}
}

func (c *checker) agent(s *Scope, u *Usage) {
	a := u.Agent
	if a.UseBackend.Name == "" {
		c.add(ConfigError, a.Pos, a.Name, "spoe-agent '%s' has no use-backend line: HAProxy refuses it (\"No backend declared for SPOE agent\")", a.Name)
	}
	if a.VarPrefix.Name == "" {
		if i := invalidVarChar(a.Name); i >= 0 {
			c.add(ConfigError, a.Pos, a.Name, "spoe-agent '%s' has no 'option var-prefix', so its name is the variable prefix, but %q is not allowed there (only A-Z a-z 0-9 _ .): HAProxy refuses it; add 'option var-prefix'", a.Name, a.Name[i])
		}
	}
	if _, ok := a.Timeout("processing"); !ok {
		c.add(Warning, a.Pos, a.Name, "spoe-agent '%s' has no 'timeout processing': HAProxy warns, and a slow or dead agent then holds each request until the client or server timeout", a.Name)
	}
	firstListed := make(map[string]Ident)
	for _, id := range a.Messages {
		if _, ok := firstListed[id.Name]; !ok {
			firstListed[id.Name] = id
		}
	}
	for _, m := range u.Ignored {
		if m.Event == nil {
			id := firstListed[m.Name]
			c.add(Warning, id.Pos, id.Name, "spoe-message '%s' is listed by the agent but has no event line: HAProxy ignores it (send it through a spoe-group, or add an event)", m.Name)
		}
	}
	agentIdents := make(map[Ident]string)
	for _, id := range a.Messages {
		agentIdents[id] = "spoe-message"
	}
	for _, id := range a.Groups {
		agentIdents[id] = "spoe-group"
	}
	for _, id := range u.Missing {
		if what, ok := agentIdents[id]; ok { // group messages are reported by groups()
			c.add(ConfigError, id.Pos, id.Name, "%s '%s' is listed by spoe-agent '%s' but not declared in %s: HAProxy refuses the scope", what, id.Name, a.Name, scopeDesc(s))
		}
	}
	c.varNames(a)
}

// varNames warns about agent variables whose full name does not fit the 63
// bytes HAProxy handles.
func (c *checker) varNames(a *Agent) {
	prefix := a.Prefix()
	if n := len("sess.") + len(prefix) + len("."); n >= maxVarNameLen {
		c.add(Warning, a.Pos, prefix, "variable prefix '%s' is too long: 'sess.%s.' is already %d bytes and HAProxy handles variable names of at most %d bytes", prefix, prefix, n, maxVarNameLen)
		return
	}
	for _, o := range a.Options {
		switch o.Name {
		case "set-on-error", "set-process-time", "set-total-time":
			if full := "txn." + prefix + "." + o.Value; o.Value != "" && len(full) > maxVarNameLen {
				c.add(Warning, o.Pos, o.Value, "variable '%s' of 'option %s' is %d bytes long: HAProxy handles at most %d (2.6 to 3.4 truncate it silently)", full, o.Name, len(full), maxVarNameLen)
			}
		}
	}
	for _, id := range a.RegisterVarNames {
		if full := "proc." + prefix + "." + id.Name; len(full) > maxVarNameLen {
			c.add(Warning, id.Pos, id.Name, "variable '%s' is %d bytes long: HAProxy handles at most %d", full, len(full), maxVarNameLen)
		}
	}
}

func (c *checker) groups(s *Scope, a *Agent) {
	owner := make(map[string]*Group) // message name -> first group holding it
	listed := make(map[string]bool)  // groups the agent lists
	if a != nil {
		for _, id := range a.Groups {
			listed[id.Name] = true
		}
	}
	for _, g := range s.Groups {
		for _, id := range g.Messages {
			if s.Message(id.Name) == nil {
				c.add(ConfigError, id.Pos, id.Name, "spoe-message '%s' of spoe-group '%s' is not declared in %s: HAProxy refuses the scope", id.Name, g.Name, scopeDesc(s))
				continue
			}
			if prev, ok := owner[id.Name]; ok && prev != g {
				c.add(ConfigError, id.Pos, id.Name, "spoe-message '%s' already belongs to spoe-group '%s': a message may be in one group only; HAProxy refuses the scope", id.Name, prev.Name)
				continue
			}
			owner[id.Name] = g
		}
		if a != nil && !listed[g.Name] {
			c.add(Warning, g.Pos, g.Name, "spoe-group '%s' is not listed by spoe-agent '%s' ('groups' line): HAProxy does not attach it, so a send-spoe-group rule cannot send it", g.Name, a.Name)
		}
	}
}

func containsName(ids []Ident, name string) bool {
	for _, id := range ids {
		if id.Name == name {
			return true
		}
	}
	return false
}

func (c *checker) messages(s *Scope, u *Usage) {
	sent := make(map[*Message]bool)
	for _, m := range u.AllMessages() {
		sent[m] = true
	}
	for _, m := range u.Ignored {
		sent[m] = true // reported by agent()
	}
	for _, m := range s.Messages {
		if len(m.Args) > maxMessageArgs {
			c.add(ConfigError, m.Args[maxMessageArgs].Pos, m.Args[maxMessageArgs].RawExpr, "spoe-message '%s' has %d arguments: the NOTIFY frame counts them in one byte, so HAProxy cannot send more than %d correctly", m.Name, len(m.Args), maxMessageArgs)
		}
		if u.Agent != nil && !sent[m] && s.Message(m.Name) == m {
			c.add(Warning, m.Pos, m.Name, "spoe-message '%s' is never sent: spoe-agent '%s' lists it neither in 'messages' nor in a group it lists", m.Name, u.Agent.Name)
		}
	}
}

// haproxy checks f against a haproxy.cfg.
func (c *checker) haproxy(cfg *HAProxyConfig) {
	for _, s := range c.file.Scopes {
		a := s.Agent()
		if a == nil || a.UseBackend.Name == "" {
			continue
		}
		b := cfg.Backend(a.UseBackend.Name)
		switch {
		case b == nil:
			c.add(ConfigError, a.UseBackend.Pos, a.UseBackend.Name, "backend '%s' is not declared in %s: HAProxy refuses the filter (\"unknown backend\")", a.UseBackend.Name, cfg.Name)
		case b.Mode != "tcp" && b.Mode != "spop":
			c.add(ConfigError, a.UseBackend.Pos, a.UseBackend.Name, "backend '%s' (%s) is in mode %s: an SPOE backend must be in mode tcp (or spop on HAProxy 3.1 and later)", b.Name, b.Pos, b.Mode)
		}
	}
	base := filepath.Base(c.file.Name)
	engines := map[string]bool{}
	for _, flt := range cfg.Filters {
		if flt.Config == "" || filepath.Base(flt.Config) != base {
			continue // another SPOE file
		}
		engines[flt.Engine] = true
		s := c.file.Scope(flt.Engine)
		if s == nil || s.Agent() == nil {
			what := fmt.Sprintf("scope [%s]", flt.Engine)
			if flt.Engine == "" {
				what = "the anonymous scope (no engine given)"
			}
			c.add(ConfigError, flt.Pos, "filter", "'filter spoe' in '%s' uses %s of %s, which has no spoe-agent: HAProxy refuses it (\"No SPOE agent found\")", flt.Proxy, what, c.file.Name)
		}
	}
	c.failOpen(cfg)
	for _, r := range cfg.GroupRules {
		if !engines[r.Engine] {
			continue // an engine of another file, or not declared (HAProxy's job)
		}
		s := c.file.Scope(r.Engine)
		if s == nil || s.Agent() == nil {
			continue
		}
		if !containsName(s.Agent().Groups, r.Group) {
			c.add(ConfigError, r.Pos, r.Group, "send-spoe-group %s %s: spoe-agent '%s' of scope [%s] does not list a group '%s': HAProxy refuses the rule", r.Engine, r.Group, s.Agent().Name, r.Engine, r.Group)
		}
	}
}
