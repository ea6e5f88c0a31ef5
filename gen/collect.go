package gen

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/spopkit/spopkit/gen/spoeconf"
	"github.com/spopkit/spopkit/spopwire"
)

// Options steer Generate.
type Options struct {
	// Package is the Go package name of the generated file.
	Package string
	// Scopes selects the scopes to generate; empty means every scope that holds
	// messages. A message name defined differently in two selected scopes is an
	// error: select one scope.
	Scopes []string
	// Types overrides inferred kinds, keyed "message.arg" for a named argument or
	// "message.N" for the argument at position N (0-based).
	Types map[string]Kind
	// HAProxyCfg, when set, restricts the action helpers to typed setters for
	// the variables this haproxy.cfg reads under the agent's var-prefix.
	HAProxyCfg *HAProxyCfg
}

// HAProxyCfg is a haproxy.cfg file given to Generate.
type HAProxyCfg struct {
	Name string
	Data []byte
}

// model is what a generated file holds, decided by collect and printed by
// emit: collect makes every choice (selection, names, kinds, setters), emit
// makes none.
type model struct {
	Source   string // the spoe.conf's name, for the header and line references
	Package  string
	Messages []genMessage // in file order
	Prefixes []string     // the var-prefix of each selected agent
	// Typed is set when a haproxy.cfg was given: Actions then has one typed
	// setter per variable of Vars, and no generic SetVar.
	Typed   bool
	CfgName string
	Vars    []cfgVar
}

// genMessage is a message ready to print.
type genMessage struct {
	Message
	Scope  string
	Type   string // Go type name
	Method string // Handler method name
	Groups []string
	Fields []genField
}

type genField struct {
	Arg
	Pos        int
	Field      string
	Kind       Kind
	Positional bool // matched by position: unnamed, or a duplicate name
	Overridden bool
}

// needsFmt reports whether an Err method wraps a type error.
func (m *model) needsFmt() bool {
	for _, msg := range m.Messages {
		for _, f := range msg.Fields {
			if f.Kind != KindValue {
				return true
			}
		}
	}
	return false
}

// cfgVar is a variable that haproxy.cfg reads under an agent's var-prefix.
type cfgVar struct {
	Scope  spopwire.Scope
	Prefix string
	Name   string
	Line   int
}

// collect decides what the generated file for f holds.
func collect(f *File, opts Options) (*model, error) {
	msgs, agents, err := collectMessages(f, opts)
	if err != nil {
		return nil, err
	}
	m := &model{Source: f.Source, Package: opts.Package, Messages: msgs}
	for _, a := range agents {
		m.Prefixes = append(m.Prefixes, a.VarPrefix)
	}
	if cfg := opts.HAProxyCfg; cfg != nil {
		m.Typed, m.CfgName = true, cfg.Name
		m.Vars = agentVars(spoeconf.ParseHAProxyConfig(cfg.Name, cfg.Data), agents)
	}
	return m, nil
}

// collectMessages selects the scopes and builds the messages to print, in
// file order, with the agents of the selected scopes.
func collectMessages(f *File, opts Options) ([]genMessage, []*Agent, error) {
	selected := func(name string) bool {
		if len(opts.Scopes) == 0 {
			return true
		}
		for _, s := range opts.Scopes {
			if s == name {
				return true
			}
		}
		return false
	}
	var msgs []genMessage
	var agents []*Agent
	byName := map[string]int{}
	// The generated file's own names, and Dispatcher, which it declared before
	// runtime version 2: a message type keeps off them, so names stay stable.
	usedTypes := map[string]bool{"Handler": true, "Dispatcher": true, "Actions": true, "NewDispatcher": true, "ActionsOf": true}
	for _, sc := range f.Scopes {
		if !selected(sc.Name) {
			continue
		}
		if sc.Agent != nil {
			agents = append(agents, sc.Agent)
		}
		groupsOf := map[string][]string{}
		for _, g := range sc.Groups {
			for _, m := range g.Messages {
				groupsOf[m] = append(groupsOf[m], g.Name)
			}
		}
		for _, m := range sc.Messages {
			if i, dup := byName[m.Name]; dup {
				if !sameArgs(msgs[i].Args, m.Args) {
					return nil, nil, fmt.Errorf("gen: %s:%d: message %q is also defined in scope [%s] with other arguments; select one scope", f.Source, m.Line, m.Name, msgs[i].Scope)
				}
				continue
			}
			if len(m.Args) > spopwire.MaxArgs {
				return nil, nil, fmt.Errorf("gen: %s:%d: message %q declares %d arguments; HAProxy sends at most %d", f.Source, m.Line, m.Name, len(m.Args), spopwire.MaxArgs)
			}
			typ := goName(m.Name)
			for usedTypes[typ] {
				typ += "Msg"
			}
			usedTypes[typ] = true
			gm := genMessage{Message: m, Scope: sc.Name, Type: typ, Method: typ, Groups: groupsOf[m.Name]}
			gm.Fields = fields(m, opts.Types)
			byName[m.Name] = len(msgs)
			msgs = append(msgs, gm)
		}
	}
	if len(opts.Scopes) > 0 && len(msgs) == 0 && len(agents) == 0 {
		return nil, nil, fmt.Errorf("gen: %s: no scope named %s", f.Source, strings.Join(opts.Scopes, ", "))
	}
	return msgs, agents, nil
}

func sameArgs(a, b []Arg) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i].Name != b[i].Name || a[i].Expr != b[i].Expr {
			return false
		}
	}
	return true
}

// fields names and types the arguments of m.
func fields(m Message, overrides map[string]Kind) []genField {
	count := map[string]int{}
	for _, a := range m.Args {
		if a.Name != "" {
			count[a.Name]++
		}
	}
	used := map[string]bool{}
	var out []genField
	for i, a := range m.Args {
		f := genField{Arg: a, Pos: i, Kind: InferKind(a.Expr)}
		f.Positional = a.Name == "" || count[a.Name] > 1
		if k, ok := overrides[m.Name+"."+a.Name]; ok && a.Name != "" {
			f.Kind, f.Overridden = k, true
		}
		if k, ok := overrides[m.Name+"."+strconv.Itoa(i)]; ok {
			f.Kind, f.Overridden = k, true
		}
		switch {
		case a.Name == "":
			f.Field = "Arg" + strconv.Itoa(i)
		case count[a.Name] > 1:
			f.Field = goName(a.Name) + strconv.Itoa(i)
		default:
			f.Field = goName(a.Name)
		}
		for used[f.Field] || f.Field == "DecodeArgs" || f.Field == "Err" || f.Field == "Clone" {
			f.Field += "_"
		}
		used[f.Field] = true
		out = append(out, f)
	}
	return out
}

// agentVars returns the variables cfg names under the agents' prefixes,
// leaving out those HAProxy itself sets (set-on-error & co). Each variable
// appears once, at its first line, sorted by scope then name.
func agentVars(cfg *spoeconf.HAProxyConfig, agents []*Agent) []cfgVar {
	seen := map[cfgVar]bool{}
	var out []cfgVar
	for _, ref := range cfg.Vars {
		for _, a := range agents {
			v, ok := agentVar(ref, a)
			if !ok || seen[v] {
				continue
			}
			seen[v] = true
			v.Line = ref.Pos.Line
			out = append(out, v)
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Scope != out[j].Scope {
			return out[i].Scope < out[j].Scope
		}
		return out[i].Name < out[j].Name
	})
	return out
}

// agentVar returns ref as a variable of agent a, if it is one the agent may set.
func agentVar(ref spoeconf.VarRef, a *Agent) (cfgVar, bool) {
	scope, ok := spopwire.ParseScope(ref.Scope)
	name, found := strings.CutPrefix(ref.Name, a.VarPrefix+".")
	if !ok || !found || name == "" {
		return cfgVar{}, false
	}
	for _, hv := range a.HAProxyVars {
		if scope == spopwire.ScopeTransaction && name == hv {
			return cfgVar{}, false
		}
	}
	return cfgVar{Scope: scope, Prefix: a.VarPrefix, Name: name}, true
}
