package gen

import (
	"fmt"
	"path/filepath"
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
	// "message.N" for the argument at position N (0-based). Generate refuses
	// an override that names no argument of the selected scopes, or whose kind
	// cannot hold what the argument's expression sends.
	Types map[string]Kind
	// HAProxyCfg, when set, restricts the action helpers to typed setters for
	// the variables this haproxy.cfg reads under the agent's var-prefix. The
	// generated comments name it by its base name.
	HAProxyCfg *spoeconf.HAProxyConfig
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
	// OnError is the set-on-error variable of the first selected agent that
	// has one ("" for none): the generated Configure makes handler errors
	// set it. OnErrorAt is where it is declared, OnErrorOthers names the
	// selected agents whose set-on-error differs.
	OnError       string
	OnErrorAt     string
	OnErrorOthers []string
}

// genMessage is a message ready to print.
type genMessage struct {
	Message
	Scope  string
	Type   string // Go type name
	Method string // Handler method name
	Groups []string
	Fields []genField
	// SameAs is the type of an earlier message with the same argument
	// names, positions and kinds: this message's type is an alias of it,
	// so that one function can handle both.
	SameAs string
}

type genField struct {
	Arg
	Pos        int
	Field      string
	Kind       Kind
	Positional bool // matched by position: unnamed, or a duplicate name
	Overridden bool
	From       string // why the kind is known when haproxy.cfg told it, for the comment
}

// needsFmt reports whether an Err method wraps a type error.
func (m *model) needsFmt() bool {
	for i := range m.Messages {
		if m.Messages[i].typed() {
			return true
		}
	}
	return false
}

// needsNetip reports whether a typed setter takes an address.
func (m *model) needsNetip() bool {
	for _, v := range m.Vars {
		if v.Kind == KindAddr {
			return true
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
	Kind   Kind   // the setter's parameter; KindValue when haproxy.cfg does not say
	Why    string // how haproxy.cfg tells the kind, or why it cannot
	Method string // the setter is Set<Method>, its pair Unset<Method>
}

// nameSetters names each variable's setters after its scope and name, and
// after its agent's var-prefix too where two agents' variables would share
// a name.
func nameSetters(vars []cfgVar) []cfgVar {
	count := map[string]int{}
	for i := range vars {
		vars[i].Method = goName(vars[i].Scope.String()) + goName(vars[i].Name)
		count[vars[i].Method]++
	}
	used := map[string]bool{}
	for i := range vars {
		v := &vars[i]
		if count[v.Method] > 1 {
			v.Method = goName(v.Scope.String()) + goName(v.Prefix) + goName(v.Name)
		}
		for used[v.Method] {
			v.Method += "_"
		}
		used[v.Method] = true
	}
	return vars
}

// collect decides what the generated file for f holds.
func collect(f *File, opts Options) (*model, error) {
	cfg := opts.HAProxyCfg
	msgs, agents, err := collectMessages(f, opts, cfg)
	if err != nil {
		return nil, err
	}
	m := &model{Source: f.Source, Package: opts.Package, Messages: msgs}
	for _, a := range agents {
		m.Prefixes = append(m.Prefixes, a.VarPrefix)
		switch {
		case a.SetOnError == "":
		case m.OnError == "":
			m.OnError, m.OnErrorAt = a.SetOnError, fmt.Sprintf("%s:%d", f.Source, a.SetOnErrorLine)
		case a.SetOnError != m.OnError:
			m.OnErrorOthers = append(m.OnErrorOthers, a.Name)
		}
	}
	if cfg != nil {
		m.Typed, m.CfgName = true, filepath.Base(cfg.Name)
		m.Vars = nameSetters(agentVars(cfg, agents))
	}
	return m, nil
}

// collectMessages selects the scopes and builds the messages to print, in
// file order, with the agents of the selected scopes; cfg (nil without a
// haproxy.cfg) types the arguments fetched from the variables it sets.
func collectMessages(f *File, opts Options, cfg *spoeconf.HAProxyConfig) ([]genMessage, []*Agent, error) {
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
	var vars map[string]written
	if cfg != nil {
		vars = writtenKinds(cfg)
	}
	var selectedMsgs []Message
	for _, sc := range f.Scopes {
		if selected(sc.Name) {
			selectedMsgs = append(selectedMsgs, sc.Messages...)
		}
	}
	kinds, err := resolveTypes(f.Path, selectedMsgs, opts.Types)
	if err != nil {
		return nil, nil, err
	}
	byName := map[string]int{}
	// The generated file's own names, and Dispatcher, which it declared before
	// runtime version 2: a message type keeps off them, so names stay stable.
	usedTypes := map[string]bool{"Handler": true, "Dispatcher": true, "Actions": true, "NewDispatcher": true, "ActionsOf": true,
		"Configure": true, "NewAgent": true}
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
					return nil, nil, fmt.Errorf("gen: %s:%d:%d: message %q is also defined in scope [%s] with other arguments; select one scope", f.Path, m.Line, m.Col, m.Name, msgs[i].Scope)
				}
				continue
			}
			if len(m.Args) > spopwire.MaxArgs {
				return nil, nil, fmt.Errorf("gen: %s:%d:%d: message %q declares %d arguments; HAProxy sends at most %d", f.Path, m.Line, m.Col, m.Name, len(m.Args), spopwire.MaxArgs)
			}
			typ := goName(m.Name)
			for usedTypes[typ] {
				typ += "Msg"
			}
			usedTypes[typ] = true
			gm := genMessage{Message: m, Scope: sc.Name, Type: typ, Method: typ, Groups: groupsOf[m.Name]}
			gm.Fields = fields(m, kinds[m.Name], vars)
			for _, prev := range msgs {
				if prev.SameAs == "" && len(gm.Fields) > 0 && sameFields(prev.Fields, gm.Fields) {
					gm.SameAs = prev.Type
					break
				}
			}
			byName[m.Name] = len(msgs)
			msgs = append(msgs, gm)
		}
	}
	if len(opts.Scopes) > 0 && len(msgs) == 0 && len(agents) == 0 {
		return nil, nil, fmt.Errorf("gen: %s: no scope named %s", f.Path, strings.Join(opts.Scopes, ", "))
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

// sameFields reports whether two messages decode into the same struct: the
// same fields, argument names, positions and kinds.
func sameFields(a, b []genField) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		x, y := a[i], b[i]
		if x.Field != y.Field || x.Name != y.Name || x.Pos != y.Pos || x.Kind != y.Kind || x.Positional != y.Positional {
			return false
		}
	}
	return true
}

// fields names and types the arguments of m.
func fields(m Message, overrides map[int]Kind, vars map[string]written) []genField {
	count := map[string]int{}
	for _, a := range m.Args {
		if a.Name != "" {
			count[a.Name]++
		}
	}
	used := map[string]bool{}
	var out []genField
	for i, a := range m.Args {
		f := genField{Arg: a, Pos: i}
		f.Kind, f.From = inferKind(a.Expr, vars)
		f.Positional = a.Name == "" || count[a.Name] > 1
		if k, ok := overrides[i]; ok {
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
		for used[f.Field] || f.Field == "DecodeArgs" || f.Field == "Err" || f.Field == "Clone" || f.Field == "LogValue" {
			f.Field += "_"
		}
		used[f.Field] = true
		out = append(out, f)
	}
	return out
}

// agentVars returns the variables cfg reads under the agents' prefixes,
// leaving out those HAProxy itself sets (set-on-error & co), each with the
// kind its reads tell. A variable cfg only writes gets no setter. Each
// variable appears once, at its first read, sorted by scope then name.
func agentVars(cfg *spoeconf.HAProxyConfig, agents []*Agent) []cfgVar {
	index := map[cfgVar]int{}
	var out []cfgVar
	var uses [][]spoeconf.VarUse
	for _, u := range cfg.Vars {
		if u.Write {
			continue
		}
		for _, a := range agents {
			v, ok := agentVar(u, a)
			if !ok {
				continue
			}
			i, seen := index[v]
			if !seen {
				i = len(out)
				index[v] = i
				v.Line = u.Pos.Line
				out = append(out, v)
				uses = append(uses, nil)
			}
			uses[i] = append(uses[i], u)
		}
	}
	for i := range out {
		out[i].Kind, out[i].Why = readKind(filepath.Base(cfg.Name), uses[i])
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Scope != out[j].Scope {
			return out[i].Scope < out[j].Scope
		}
		return out[i].Name < out[j].Name
	})
	return out
}

// agentVar returns u as a variable of agent a, if it is one the agent may set.
func agentVar(u spoeconf.VarUse, a *Agent) (cfgVar, bool) {
	sc, rest, ok := u.Scope()
	scope, known := spopwire.ParseScope(sc)
	name, found := strings.CutPrefix(rest, a.VarPrefix+".")
	if !ok || !known || !found || name == "" {
		return cfgVar{}, false
	}
	for _, hv := range a.HAProxyVars {
		if scope == spopwire.ScopeTransaction && name == hv {
			return cfgVar{}, false
		}
	}
	return cfgVar{Scope: scope, Prefix: a.VarPrefix, Name: name}, true
}

// kindOfType maps what spoeconf reads of a variable's type to a kind.
var kindOfType = map[string]Kind{"int": KindInt, "bool": KindBool, "str": KindString, "ip": KindAddr}

// readKind decides a setter's kind from the reads of its variable: the
// matches, operators and converters must agree; printing it (%[var()])
// gives a string when nothing else tells. Otherwise KindValue, and why.
func readKind(cfgName string, reads []spoeconf.VarUse) (Kind, string) {
	var strong, printed []string
	kind, agree := KindValue, true
	for _, u := range reads {
		at := fmt.Sprintf("%s (%s:%d)", u.How, cfgName, u.Pos.Line)
		switch {
		case u.Type == "":
		case u.Printed:
			printed = append(printed, at)
		default:
			k := kindOfType[u.Type]
			if len(strong) > 0 && k != kind {
				agree = false
			}
			kind = k
			strong = append(strong, at)
		}
	}
	switch {
	case len(strong) > 0 && !agree:
		return KindValue, "its uses disagree on its type: " + strings.Join(strong, ", ")
	case len(strong) > 0:
		return kind, "as " + strings.Join(strong, ", ") + " reads it"
	case len(printed) > 0:
		return KindString, "as " + printed[0] + " prints it"
	}
	return KindValue, "no read in " + cfgName + " says its type (e.g. only -m found)"
}

// writtenKinds returns, for each variable cfg writes with set-var, the kind
// of what it stores when every write agrees on one, with where it is
// written: the kind of an argument fetched with var().
func writtenKinds(cfg *spoeconf.HAProxyConfig) map[string]written {
	out := map[string]written{}
	bad := map[string]bool{}
	for _, u := range cfg.Vars {
		if !u.Write || bad[u.Name] {
			continue
		}
		k, how := KindValue, ""
		switch {
		case u.Expr != "":
			k, how = InferKind(u.Expr), "set-var("+u.Name+") "+u.Expr
		case u.Type != "":
			k, how = kindOfType[u.Type], u.How+"("+u.Name+")"
		default:
			continue // unset-var: stores nothing
		}
		if prev, seen := out[u.Name]; k == KindValue || seen && prev.Kind != k {
			bad[u.Name] = true
			delete(out, u.Name)
			continue
		} else if seen {
			continue
		}
		out[u.Name] = written{Kind: k, From: fmt.Sprintf("%s at %s:%d", how, filepath.Base(cfg.Name), u.Pos.Line)}
	}
	return out
}

// written is the kind of a variable haproxy.cfg writes, and where.
type written struct {
	Kind Kind
	From string
}
