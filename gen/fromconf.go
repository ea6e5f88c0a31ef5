package gen

import (
	"path/filepath"

	"github.com/spopkit/spopkit/gen/spoeconf"
)

// FromConf converts a parsed spoe.conf into the generator's model. The source
// name written into the generated header is the file's base name, so the output
// does not depend on where the generator ran.
func FromConf(c *spoeconf.File) *File {
	f := &File{Source: filepath.Base(c.Name), Path: c.Name}
	for _, s := range c.Scopes {
		sc := Scope{Name: s.Name}
		if a := s.Agent(); a != nil {
			ag := &Agent{Name: a.Name, VarPrefix: a.Prefix(), Line: a.Pos.Line}
			for _, m := range a.Messages {
				ag.Messages = append(ag.Messages, m.Name)
			}
			for _, g := range a.Groups {
				ag.Groups = append(ag.Groups, g.Name)
			}
			for _, o := range []string{"set-on-error", "set-process-time", "set-total-time"} {
				if v := a.OptionValue(o); v != "" {
					ag.HAProxyVars = append(ag.HAProxyVars, v)
				}
			}
			if o := a.Option("set-on-error"); o != nil && o.Value != "" {
				ag.SetOnError, ag.SetOnErrorLine = o.Value, o.Pos.Line
			}
			sc.Agent = ag
		}
		for _, m := range s.Messages {
			gm := Message{Name: m.Name, Line: m.Pos.Line, Col: m.Pos.Col}
			if m.Event != nil {
				gm.Event = string(m.Event.Event)
			}
			for _, a := range m.Args {
				gm.Args = append(gm.Args, Arg{Name: a.Name, Expr: a.Expr, Line: a.Pos.Line, Col: a.Pos.Col})
			}
			sc.Messages = append(sc.Messages, gm)
		}
		for _, g := range s.Groups {
			gg := Group{Name: g.Name, Line: g.Pos.Line}
			for _, m := range g.Messages {
				gg.Messages = append(gg.Messages, m.Name)
			}
			sc.Groups = append(sc.Groups, gg)
		}
		f.Scopes = append(f.Scopes, sc)
	}
	return f
}
