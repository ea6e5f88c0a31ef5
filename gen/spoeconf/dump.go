package spoeconf

import (
	"bytes"
	"encoding/json"
	"strings"
)

// Dump renders the parse of f as JSON, in the schema of the expected-parse
// files of the shared spoe.conf corpus (testdata/spoe-conf/SOURCES.md in
// the shared directory):
//
//	{"scopes": [{"name", "agents", "messages", "groups"}],
//	 "errors": [{"line", "column", "token", "reason"}],   // SyntaxError and IgnoredLine diagnostics, if any
//	 "semantic_issues": [{"line", "issue"}]}               // SemanticError diagnostics, if any
//
// Names and event names are given as HAProxy reads them; argument
// expressions, timeout values, options, directives and conditions as
// written. The output ends with a newline.
func Dump(f *File) ([]byte, error) {
	out := dumpFile{Scopes: []dumpScope{}}
	for _, s := range f.Scopes {
		out.Scopes = append(out.Scopes, dumpScopeOf(s))
	}
	for _, d := range f.Diagnostics {
		switch d.Kind {
		case SyntaxError, IgnoredLine:
			out.Errors = append(out.Errors, dumpError{Line: d.Pos.Line, Column: d.Pos.Col, Token: d.Token, Reason: d.Msg})
		case SemanticError:
			out.SemanticIssues = append(out.SemanticIssues, dumpIssue{Line: d.Pos.Line, Issue: d.Msg})
		}
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(out); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

type dumpFile struct {
	Scopes         []dumpScope `json:"scopes"`
	Errors         []dumpError `json:"errors,omitempty"`
	SemanticIssues []dumpIssue `json:"semantic_issues,omitempty"`
}

type dumpScope struct {
	Name     string        `json:"name"`
	Agents   []dumpAgent   `json:"agents"`
	Messages []dumpMessage `json:"messages"`
	Groups   []dumpGroup   `json:"groups"`
}

type dumpAgent struct {
	Name       string                `json:"name"`
	Messages   []string              `json:"messages"`
	Groups     []string              `json:"groups"`
	UseBackend string                `json:"use_backend"`
	Timeouts   orderedMap[string]    `json:"timeouts"`
	Options    []string              `json:"options"`
	VarPrefix  string                `json:"var_prefix"`
	Directives *orderedMap[[]string] `json:"directives,omitempty"`
}

type dumpMessage struct {
	Name      string    `json:"name"`
	Args      []dumpArg `json:"args"`
	Event     string    `json:"event"`
	ACL       string    `json:"acl"`
	NamedACLs []dumpACL `json:"named_acls,omitempty"`
}

type dumpArg struct {
	Name string `json:"name"`
	Expr string `json:"expr"`
}

type dumpACL struct {
	Name      string `json:"name"`
	Criterion string `json:"criterion"`
}

type dumpGroup struct {
	Name     string   `json:"name"`
	Messages []string `json:"messages"`
}

type dumpError struct {
	Line   int    `json:"line"`
	Column int    `json:"column"`
	Token  string `json:"token"`
	Reason string `json:"reason"`
}

type dumpIssue struct {
	Line  int    `json:"line"`
	Issue string `json:"issue"`
}

func dumpScopeOf(s *Scope) dumpScope {
	ds := dumpScope{Name: s.Name, Agents: []dumpAgent{}, Messages: []dumpMessage{}, Groups: []dumpGroup{}}
	for _, a := range s.Agents {
		ds.Agents = append(ds.Agents, dumpAgentOf(a))
	}
	for _, m := range s.Messages {
		ds.Messages = append(ds.Messages, dumpMessageOf(m))
	}
	for _, g := range s.Groups {
		ds.Groups = append(ds.Groups, dumpGroup{Name: g.Name, Messages: identNames(g.Messages)})
	}
	return ds
}

func dumpAgentOf(a *Agent) dumpAgent {
	da := dumpAgent{
		Name:       a.Name,
		Messages:   identNames(a.Messages),
		Groups:     identNames(a.Groups),
		UseBackend: a.UseBackend.Name,
		Options:    []string{},
		VarPrefix:  a.VarPrefix.Name,
	}
	for _, t := range a.Timeouts {
		da.Timeouts.set(t.Kind, t.Raw)
	}
	var dirs orderedMap[[]string]
	add := func(key, val string) {
		v, _ := dirs.get(key)
		dirs.set(key, append(v, val))
	}
	for _, o := range a.Options {
		switch {
		case o.Modifier != "":
			add(o.Modifier, "option "+joinRaw(o.Words))
		case o.Name != "var-prefix":
			da.Options = append(da.Options, joinRaw(o.Words))
		}
	}
	for _, d := range a.Directives {
		if d.Modifier != "" {
			add(d.Modifier, strings.TrimSpace(d.Keyword+" "+joinRaw(d.Args)))
		} else {
			add(d.Keyword, joinRaw(d.Args))
		}
	}
	if len(dirs.keys) > 0 {
		da.Directives = &dirs
	}
	return da
}

func dumpMessageOf(m *Message) dumpMessage {
	dm := dumpMessage{Name: m.Name, Args: []dumpArg{}}
	for _, a := range m.Args {
		dm.Args = append(dm.Args, dumpArg{Name: a.Name, Expr: a.RawExpr})
	}
	if m.Event != nil {
		dm.Event = string(m.Event.Event)
		if m.Event.Cond != nil {
			dm.ACL = m.Event.Cond.Text
		}
	}
	for _, acl := range m.ACLs {
		dm.NamedACLs = append(dm.NamedACLs, dumpACL{Name: acl.Name, Criterion: acl.Text})
	}
	return dm
}

func identNames(ids []Ident) []string {
	out := make([]string, len(ids))
	for i, id := range ids {
		out[i] = id.Name
	}
	return out
}

// orderedMap is a JSON object whose keys keep their insertion order.
type orderedMap[V any] struct {
	keys []string
	vals map[string]V
}

func (m *orderedMap[V]) get(k string) (V, bool) {
	v, ok := m.vals[k]
	return v, ok
}

// set stores v under k; a key set again keeps its first position.
func (m *orderedMap[V]) set(k string, v V) {
	if m.vals == nil {
		m.vals = make(map[string]V)
	}
	if _, ok := m.vals[k]; !ok {
		m.keys = append(m.keys, k)
	}
	m.vals[k] = v
}

// MarshalJSON writes the object with its keys in insertion order.
func (m orderedMap[V]) MarshalJSON() ([]byte, error) {
	var buf bytes.Buffer
	buf.WriteByte('{')
	for i, k := range m.keys {
		if i > 0 {
			buf.WriteByte(',')
		}
		kb, err := marshalNoEscape(k)
		if err != nil {
			return nil, err
		}
		vb, err := marshalNoEscape(m.vals[k])
		if err != nil {
			return nil, err
		}
		buf.Write(kb)
		buf.WriteByte(':')
		buf.Write(vb)
	}
	buf.WriteByte('}')
	return buf.Bytes(), nil
}

func marshalNoEscape(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimRight(buf.Bytes(), "\n"), nil
}
