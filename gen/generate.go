package gen

import (
	"bytes"
	"fmt"
	"go/format"
	"sort"
	"strconv"
	"strings"

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

// Generate returns the gofmt'd Go source for f. On a formatting failure it
// returns the raw source with line numbers inside the error, so the bug shows.
func Generate(f *File, opts Options) ([]byte, error) {
	if opts.Package == "" {
		return nil, fmt.Errorf("gen: no package name")
	}
	msgs, agents, err := collect(f, opts)
	if err != nil {
		return nil, err
	}
	var vars []cfgVar
	if opts.HAProxyCfg != nil {
		vars = readVars(opts.HAProxyCfg.Data, agents)
	}
	needFmt := false // an Err method wraps a type error
	for _, m := range msgs {
		for _, fl := range m.Fields {
			needFmt = needFmt || fl.Kind != KindValue
		}
	}
	g := &printer{}
	g.header(f, opts.Package, needFmt)
	for i := range msgs {
		g.message(f.Source, &msgs[i])
	}
	g.handler(msgs)
	g.dispatcher(msgs)
	g.actions(agents, vars, opts.HAProxyCfg)
	src, err := format.Source(g.buf.Bytes())
	if err != nil {
		return nil, fmt.Errorf("gen: generated code does not parse: %v\n%s", err, numbered(g.buf.Bytes()))
	}
	return src, nil
}

// collect selects the scopes and builds the messages to print, in file order.
func collect(f *File, opts Options) ([]genMessage, []*Agent, error) {
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

type printer struct{ buf bytes.Buffer }

// P prints its arguments and a newline.
func (g *printer) P(args ...any) {
	for _, a := range args {
		fmt.Fprint(&g.buf, a)
	}
	g.buf.WriteByte('\n')
}

func (g *printer) header(f *File, pkg string, needFmt bool) {
	g.P("// Code generated by spopgen. DO NOT EDIT.")
	g.P("// source: ", f.Source)
	g.P()
	g.P("package ", pkg)
	g.P()
	g.P("import (")
	if needFmt {
		g.P(`"fmt"`)
		g.P()
	}
	g.P(`"github.com/spopkit/spopkit/gen/arg"`)
	g.P(`"github.com/spopkit/spopkit/server"`)
	g.P(`"github.com/spopkit/spopkit/spopwire"`)
	g.P(")")
	g.P()
	g.P("// This file needs a gen/arg runtime that supports code generated for version 1;")
	g.P("// with a runtime too new or too old it does not compile.")
	g.P("const _ = arg.SupportPackageIsVersion1")
}

func (g *printer) message(source string, m *genMessage) {
	g.P()
	scope := ""
	if m.Scope != "" {
		scope = " of scope [" + m.Scope + "]"
	}
	g.P("// ", m.Type, " is spoe-message ", strconv.Quote(m.Name), scope, " (", source, ":", m.Line, ").")
	switch {
	case m.Event != "":
		g.P("// HAProxy sends it on ", m.Event, ".")
	case len(m.Groups) > 0:
		g.P("// HAProxy sends it with spoe-group ", strings.Join(m.Groups, ", "), " (send-spoe-group).")
	}
	g.P("type ", m.Type, " struct {")
	for _, f := range m.Fields {
		what := "argument " + strconv.Quote(f.Name)
		if f.Name == "" {
			what = "unnamed argument " + strconv.Itoa(f.Pos)
		}
		how := f.Kind.spopTypes()
		if f.Overridden {
			how += ", type set by --type"
		}
		g.P("// ", f.Field, " is ", what, ": ", f.Expr, " (", how, ").")
		g.P(f.Field, " ", f.Kind.fieldType())
	}
	g.P("}")
	g.P()
	g.P("// DecodeArgs decodes the nargs arguments of a ", strconv.Quote(m.Name), " message at the")
	g.P("// start of b in one pass, matching named arguments by name and unnamed ones by")
	g.P("// position, and returns the bytes read. It does not allocate; strings and bytes")
	g.P("// are views into b.")
	g.P("func (m *", m.Type, ") DecodeArgs(b []byte, nargs int) (int, error) {")
	g.P("*m = ", m.Type, "{}")
	g.P("off := 0")
	g.P("for i := 0; i < nargs; i++ {")
	g.P("name, n := spopwire.ConsumeRawBytes(b[off:])")
	g.P("if n < 0 {")
	g.P("return 0, spopwire.ErrInvalidFrame")
	g.P("}")
	g.P("off += n")
	// Fast path: HAProxy sends the arguments in declaration order, so the
	// argument at position i is checked first; then named arguments by name.
	g.P("switch {")
	for _, f := range m.Fields {
		g.P("case i == ", f.Pos, " && string(name) == ", strconv.Quote(f.Name), ":")
		g.P("n = m.", f.Field, ".Decode(b[off:])")
	}
	g.P("default:")
	var named []genField
	for _, f := range m.Fields {
		if !f.Positional {
			named = append(named, f)
		}
	}
	if len(named) > 0 {
		g.P("switch string(name) {")
		for _, f := range named {
			g.P("case ", strconv.Quote(f.Name), ":")
			g.P("n = m.", f.Field, ".Decode(b[off:])")
		}
		g.P("default:")
		g.P("_, n = spopwire.ConsumeValue(b[off:])")
		g.P("}")
	} else {
		g.P("_, n = spopwire.ConsumeValue(b[off:])")
	}
	g.P("}")
	g.P("if n < 0 {")
	g.P("return 0, spopwire.ErrInvalidFrame")
	g.P("}")
	g.P("off += n")
	g.P("}")
	g.P("return off, nil")
	g.P("}")
	g.P()
	g.P("// Err returns the first argument that arrived with an unexpected type, if any.")
	g.P("func (m *", m.Type, ") Err() error {")
	for _, f := range m.Fields {
		if f.Kind == KindValue {
			continue
		}
		g.P("if err := m.", f.Field, ".Err(); err != nil {")
		g.P("return fmt.Errorf(", strconv.Quote(m.Name+": argument "+strconv.Itoa(f.Pos)+" ("+f.Expr+"): %w"), ", err)")
		g.P("}")
	}
	g.P("return nil")
	g.P("}")
	g.P()
	g.P("// Clone returns a copy of m whose strings and bytes no longer refer to the")
	g.P("// frame, to keep past the handler's return (e.g. for Request.Offload).")
	g.P("func (m *", m.Type, ") Clone() ", m.Type, " {")
	g.P("c := *m")
	for _, f := range m.Fields {
		switch f.Kind {
		case KindString, KindBytes, KindHeaders, KindValue:
			g.P("c.", f.Field, " = c.", f.Field, ".Clone()")
		}
	}
	g.P("return c")
	g.P("}")
}

func (g *printer) handler(msgs []genMessage) {
	g.P()
	g.P("// Handler has one method per spoe-message. The methods run on the event loop")
	g.P("// and must not block: hand blocking work to req.Offload (with msg.Clone()).")
	g.P("// msg's strings and bytes are views valid until the method returns. A returned")
	g.P("// error (or a panic) answers HAProxy at once with the server's error variable.")
	g.P("type Handler interface {")
	for _, m := range msgs {
		g.P("// ", m.Method, " handles spoe-message ", strconv.Quote(m.Name), ".")
		g.P(m.Method, "(req *server.Request, msg ", m.Type, ", acts Actions) error")
	}
	g.P("}")
}

func (g *printer) dispatcher(msgs []genMessage) {
	g.P()
	g.P("// Dispatcher implements server.Handler: it decodes each message of a NOTIFY")
	g.P("// into its struct and calls the Handler method. Messages it does not know are")
	g.P("// skipped, honouring their argument count.")
	g.P("type Dispatcher struct {")
	g.P("h Handler")
	g.P("}")
	g.P()
	g.P("// NewDispatcher returns a server.Handler that calls h.")
	g.P("func NewDispatcher(h Handler) *Dispatcher { return &Dispatcher{h: h} }")
	g.P()
	g.P("// HandleNotify implements server.Handler.")
	g.P("func (d *Dispatcher) HandleNotify(req *server.Request, acts *server.Actions) error {")
	g.P("b := req.Payload")
	g.P("for len(b) > 0 {")
	g.P("name, nargs, n := spopwire.ConsumeMessageHeader(b)")
	g.P("if n < 0 {")
	g.P("return spopwire.ErrInvalidFrame")
	g.P("}")
	g.P("b = b[n:]")
	g.P("switch string(name) {")
	for _, m := range msgs {
		g.P("case ", strconv.Quote(m.Name), ":")
		g.P("var m ", m.Type)
		g.P("n, err := m.DecodeArgs(b, nargs)")
		g.P("if err != nil {")
		g.P("return err")
		g.P("}")
		g.P("if err := d.h.", m.Method, "(req, m, Actions{acts}); err != nil {")
		g.P("return err")
		g.P("}")
		g.P("b = b[n:]")
	}
	g.P("default:")
	g.P("n := spopwire.SkipArgs(b, nargs)")
	g.P("if n < 0 {")
	g.P("return spopwire.ErrInvalidFrame")
	g.P("}")
	g.P("b = b[n:]")
	g.P("}")
	g.P("}")
	g.P("return nil")
	g.P("}")
}

func (g *printer) actions(agents []*Agent, vars []cfgVar, cfg *HAProxyCfg) {
	prefixes := make([]string, 0, len(agents))
	for _, a := range agents {
		prefixes = append(prefixes, a.VarPrefix)
	}
	g.P()
	switch len(prefixes) {
	case 0:
		g.P("// Actions appends set-var and unset-var actions to the ACK.")
	default:
		g.P("// Actions appends set-var and unset-var actions to the ACK. HAProxy names each")
		g.P("// variable <scope>.", strings.Join(prefixes, "|"), ".<name> (the agent's var-prefix).")
	}
	g.P("type Actions struct {")
	g.P("acts *server.Actions")
	g.P("}")
	g.P()
	g.P("// ActionsOf wraps the server's action writer, e.g. inside a Request.Offload function.")
	g.P("func ActionsOf(acts *server.Actions) Actions { return Actions{acts} }")
	if cfg == nil {
		g.P()
		g.P("// SetVar sets <scope>.<var-prefix>.<name>; a NULL value unsets it.")
		g.P("func (a Actions) SetVar(scope spopwire.Scope, name string, v spopwire.Value) { a.acts.SetVar(scope, name, v) }")
		g.P()
		g.P("// UnsetVar unsets <scope>.<var-prefix>.<name>.")
		g.P("func (a Actions) UnsetVar(scope spopwire.Scope, name string) { a.acts.UnsetVar(scope, name) }")
		return
	}
	for _, v := range vars {
		method := goName(v.Scope.String()) + goName(v.Name)
		full := v.Scope.String() + "." + v.Prefix + "." + v.Name
		g.P()
		g.P("// Set", method, " sets ", full, ", which ", cfg.Name, ":", v.Line, " reads.")
		g.P("func (a Actions) Set", method, "(v spopwire.Value) { a.acts.SetVar(spopwire.", scopeConst(v.Scope), ", ", strconv.Quote(v.Name), ", v) }")
		g.P()
		g.P("// Unset", method, " unsets ", full, ".")
		g.P("func (a Actions) Unset", method, "() { a.acts.UnsetVar(spopwire.", scopeConst(v.Scope), ", ", strconv.Quote(v.Name), ") }")
	}
}

func scopeConst(s spopwire.Scope) string {
	return [...]string{"ScopeProcess", "ScopeSession", "ScopeTransaction", "ScopeRequest", "ScopeResponse"}[s]
}

// cfgVar is a variable that haproxy.cfg reads under an agent's var-prefix.
type cfgVar struct {
	Scope  spopwire.Scope
	Prefix string
	Name   string
	Line   int
}

// readVars finds var(<scope>.<prefix>.<name>) in haproxy.cfg for the agents'
// prefixes, leaving out the variables HAProxy itself sets (set-on-error & co).
// Each variable appears once, at its first line, sorted by scope then name.
func readVars(cfg []byte, agents []*Agent) []cfgVar {
	seen := map[string]bool{}
	var out []cfgVar
	for ln, line := range strings.Split(string(cfg), "\n") {
		if i := strings.IndexByte(line, '#'); i >= 0 {
			line = line[:i]
		}
		for rest := line; ; {
			i := strings.Index(rest, "var(")
			if i < 0 {
				break
			}
			rest = rest[i+4:]
			end := strings.IndexAny(rest, ",)")
			if end < 0 {
				break
			}
			ref := rest[:end]
			for _, a := range agents {
				v, ok := matchVar(ref, a)
				if !ok || seen[v.Scope.String()+"."+v.Prefix+"."+v.Name] {
					continue
				}
				seen[v.Scope.String()+"."+v.Prefix+"."+v.Name] = true
				v.Line = ln + 1
				out = append(out, v)
			}
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

func matchVar(ref string, a *Agent) (cfgVar, bool) {
	dot := strings.IndexByte(ref, '.')
	if dot < 0 {
		return cfgVar{}, false
	}
	scope, ok := spopwire.ParseScope(ref[:dot])
	name, found := strings.CutPrefix(ref[dot+1:], a.VarPrefix+".")
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

func numbered(src []byte) string {
	var b strings.Builder
	for i, l := range strings.Split(string(src), "\n") {
		fmt.Fprintf(&b, "%5d  %s\n", i+1, l)
	}
	return b.String()
}
