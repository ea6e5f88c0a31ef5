package spoeconf

import (
	"fmt"
	"slices"
	"strings"
)

// This file reads spoe-message and spoe-group sections
// (spop-reference.md sections 9.4 and 9.5).

// startMessage handles "spoe-message NAME".
func (p *parser) startMessage(words []Word) {
	p.tk.section = sectionName(words)
	m := &Message{Pos: words[0].Pos}
	p.section, p.msg = messageSection, m
	if len(words) < 2 {
		p.report(SyntaxError, words[0], "missing name for spoe-message section: HAProxy refuses the file")
		return
	}
	name := words[1]
	m.Name, m.Pos = name.Text, name.Pos
	p.tooMany(words, 1)
	if c := invalidNameChar(m.Name); c >= 0 {
		p.report(SemanticError, name, "character %q is not permitted in spoe-message name %q (allowed: A-Z a-z 0-9 . _ : -): HAProxy refuses it", m.Name[c], m.Name)
	}
	s := p.currentScope()
	if prev := s.Message(m.Name); prev != nil {
		p.report(SemanticError, name, "spoe-message '%s' has the same name as another one declared at %s: HAProxy refuses it", m.Name, prev.Pos)
	} else {
		s.msgIndex[m.Name] = m
	}
	s.Messages = append(s.Messages, m)
}

// startGroup handles "spoe-group NAME".
func (p *parser) startGroup(words []Word) {
	p.tk.section = sectionName(words)
	g := &Group{Pos: words[0].Pos}
	p.section, p.grp = groupSection, g
	if len(words) < 2 {
		p.report(SyntaxError, words[0], "missing name for spoe-group section: HAProxy refuses the file")
		return
	}
	name := words[1]
	g.Name, g.Pos = name.Text, name.Pos
	p.tooMany(words, 1)
	if c := invalidNameChar(g.Name); c >= 0 {
		p.report(SemanticError, name, "character %q is not permitted in spoe-group name %q (allowed: A-Z a-z 0-9 . _ : -): HAProxy refuses it", g.Name[c], g.Name)
	}
	s := p.currentScope()
	if prev := s.Group(g.Name); prev != nil {
		p.report(SemanticError, name, "spoe-group '%s' has the same name as another one declared at %s: HAProxy refuses it", g.Name, prev.Pos)
	} else {
		s.grpIndex[g.Name] = g
	}
	s.Groups = append(s.Groups, g)
}

// groupLine handles a keyword line inside a spoe-group section.
func (p *parser) groupLine(words []Word) {
	g := p.grp
	kw := words[0]
	if kw.Text != "messages" {
		hint := ""
		if editDistance(kw.Text, "messages") <= 2 {
			hint = " (did you mean 'messages'?)"
		}
		p.report(SyntaxError, kw, "unknown keyword '%s' in spoe-group section%s: a group only has 'messages' lines; HAProxy refuses the line", kw.Text, hint)
		return
	}
	if len(words) < 2 {
		p.report(Warning, kw, "'messages' without names: HAProxy accepts the line, which does nothing")
	}
	if g.listed == nil {
		g.listed = make(map[string]Pos)
	}
	for _, w := range words[1:] {
		if prev, ok := g.listed[w.Text]; ok {
			p.report(SemanticError, w, "spoe-message '%s' already listed in this group at %s: HAProxy refuses it", w.Text, prev)
		} else {
			g.listed[w.Text] = w.Pos
		}
		g.Messages = append(g.Messages, Ident{Name: w.Text, Pos: w.Pos})
	}
}

// messageKeywords lists the keywords of a spoe-message section.
var messageKeywords = []string{"args", "event", "acl"}

// messageLine handles a keyword line inside a spoe-message section.
func (p *parser) messageLine(words []Word) {
	switch words[0].Text {
	case "args":
		p.messageArgs(words)
	case "event":
		p.messageEvent(words)
	case "acl":
		p.messageACL(words)
	default:
		kw := words[0]
		hint := ""
		for _, k := range messageKeywords {
			if editDistance(kw.Text, k) <= 2 {
				hint = fmt.Sprintf("; did you mean '%s'?", k)
			}
		}
		if hint == "" && strings.Contains(kw.Text, "=") {
			hint = "; it looks like an argument: HAProxy has no line continuation, so every argument must be on an 'args' line"
		}
		if hint == "" && slices.Contains(agentKeywords, kw.Text) {
			hint = fmt.Sprintf("; '%s' belongs in the spoe-agent section", kw.Text)
		}
		p.report(IgnoredLine, kw, "unknown keyword '%s' in spoe-message section: HAProxy silently ignores unknown keywords there, so this line has no effect%s", kw.Text, hint)
	}
}

// messageArgs handles "args WORD...". Each word is one argument: the part
// before the first '=' is its name and the rest its sample expression; a
// word without '=' is an unnamed argument. Like HAProxy, the words after a
// bad one are not read.
func (p *parser) messageArgs(words []Word) {
	m := p.msg
	for _, w := range words[1:] {
		arg := &Arg{Expr: w.Text, RawExpr: w.Raw, Pos: w.Pos}
		if eq := strings.IndexByte(w.Text, '='); eq >= 0 {
			arg.Name, arg.Expr = w.Text[:eq], w.Text[eq+1:]
			arg.RawExpr = w.rawSuffixAfter(eq)
		}
		sample, err := ParseSample(arg.Expr)
		if err != nil {
			p.report(SyntaxError, w, "%s: HAProxy refuses the line (the arguments before this word are kept)", argProblem(w, arg, err))
			return
		}
		arg.Sample = sample
		if arg.Name != "" {
			if m.argNames == nil {
				m.argNames = make(map[string]Pos)
			}
			if prev, ok := m.argNames[arg.Name]; ok {
				p.report(Warning, w, "argument name '%s' is used twice in spoe-message '%s' (first at %s): HAProxy sends both", arg.Name, m.Name, prev)
			} else {
				m.argNames[arg.Name] = arg.Pos
			}
		}
		m.Args = append(m.Args, arg)
	}
}

// argProblem explains why an args word is not a sample expression.
func argProblem(w Word, arg *Arg, err error) string {
	switch {
	case w.Text == "\\":
		return "a lone backslash is not a sample expression: HAProxy has no line continuation, so a trailing '\\' is an unnamed argument of its own and the next line is read as a new keyword"
	case arg.Expr == "":
		return fmt.Sprintf("argument '%s' has an empty sample expression", arg.Name)
	case arg.Name != "" && strings.ContainsAny(arg.Name, "(),"):
		return fmt.Sprintf("'%s' was split at its first '=' into the name '%s' and the expression '%s' (%v); name the argument (x=%s) so that the '=' stays in the expression", w.Text, arg.Name, arg.Expr, err, w.Text)
	}
	return fmt.Sprintf("'%s' is not a sample expression: %v", arg.Expr, err)
}

// messageEvent handles "event NAME [if|unless CONDITION]".
func (p *parser) messageEvent(words []Word) {
	m := p.msg
	kw := words[0]
	if len(words) < 2 {
		p.report(SyntaxError, kw, "missing event name: HAProxy refuses the line")
		return
	}
	name := words[1]
	ev := Event(name.Text)
	if !ev.Known() {
		msg := fmt.Sprintf("unknown event '%s': HAProxy refuses the line", name.Text)
		if s := suggestEvents(name.Text); len(s) > 0 {
			names := make([]string, len(s))
			for i, e := range s {
				names[i] = string(e)
			}
			msg += "; did you mean " + strings.Join(names, " or ") + "?"
		}
		p.reportAt(SemanticError, name.Pos, name.Raw, "%s", msg)
	}
	decl := &EventDecl{Event: ev, Pos: name.Pos}
	if m.Event != nil {
		p.report(Warning, kw, "second event line in spoe-message '%s' (first at %s): HAProxy keeps the last event name, and the earlier condition if this line has none", m.Name, m.Event.Pos)
		decl.Cond = m.Event.Cond
	}
	if len(words) > 2 {
		w := words[2]
		switch {
		case w.Text != "if" && w.Text != "unless":
			p.report(SyntaxError, w, "'event %s' expects 'if' or 'unless' followed by a condition, found '%s': HAProxy refuses the line", name.Text, w.Text)
		case len(words) < 4:
			p.report(SyntaxError, w, "missing condition after '%s': HAProxy refuses the line", w.Text)
		default:
			if p.checkCondition(m, words[3:]) {
				decl.Cond = &Condition{Unless: w.Text == "unless", Words: words[3:], Text: p.rawSpan(words[2:]), Pos: w.Pos}
			}
		}
	}
	m.Event = decl
}

// predefinedACLs are the ACLs HAProxy defines for every proxy.
var predefinedACLs = []string{
	"FALSE", "HTTP", "HTTP_1.0", "HTTP_1.1", "HTTP_2.0", "HTTP_3.0", "HTTP_CONTENT",
	"HTTP_URL_ABS", "HTTP_URL_SLASH", "HTTP_URL_STAR", "LOCALHOST", "METH_CONNECT",
	"METH_DELETE", "METH_GET", "METH_HEAD", "METH_OPTIONS", "METH_POST", "METH_PUT",
	"METH_TRACE", "RDP_COOKIE", "REQ_CONTENT", "TRUE", "WAIT_END",
}

// checkCondition checks the ACL condition of an event line the way
// HAProxy's parse_acl_cond reads it: '!' prefixes are stripped from each
// word, "or" and "||" separate terms, "{ criterion ... }" is an anonymous ACL
// ending at the first "}", and any other word names an ACL declared earlier
// in the message or predefined. It reports whether the condition is
// recorded: a malformed one is not; one naming an unknown ACL is (HAProxy
// refuses it as it reads the line, like an unknown event).
func (p *parser) checkCondition(m *Message, words []Word) bool {
	for i := 0; i < len(words); i++ {
		w := words[i]
		word := strings.TrimLeft(w.Text, "!")
		switch {
		case word == "":
			// a lone "!" negates the next word
		case strings.EqualFold(word, "or") || word == "||":
			if i == 0 || i == len(words)-1 {
				p.report(SyntaxError, w, "'%s' needs a term on each side: HAProxy refuses the line", w.Text)
				return false
			}
		case word == "{":
			end := i + 1
			for end < len(words) && words[end].Text != "}" {
				end++
			}
			switch {
			case end == len(words):
				p.report(SyntaxError, w, "missing '}' to close the anonymous ACL: HAProxy refuses the line")
				return false
			case end == i+1:
				p.report(SyntaxError, words[end], "empty anonymous ACL '{ }': HAProxy refuses the line")
				return false
			}
			if _, err := ParseSample(words[i+1].Text); err != nil {
				p.report(SyntaxError, words[i+1], "'%s' is not an ACL criterion: %v: HAProxy refuses the line", words[i+1].Text, err)
				return false
			}
			i = end
		case word == "}":
			p.report(SyntaxError, w, "'}' without a matching '{': HAProxy refuses the line")
			return false
		case slices.Contains(predefinedACLs, word):
		case slices.ContainsFunc(m.ACLs, func(a *ACL) bool { return a.Name == word }):
		default:
			msg := fmt.Sprintf("no ACL named '%s' is declared in spoe-message '%s' before this line: HAProxy refuses the line", word, m.Name)
			if isIdCharString(word) {
				msg += "; declare it with 'acl " + word + " <criterion>' above the event line, or use an anonymous ACL '{ ... }'"
			}
			p.report(SemanticError, w, "%s", msg)
		}
	}
	return true
}

func isIdCharString(s string) bool {
	for i := 0; i < len(s); i++ {
		if !isIdChar(s[i]) {
			return false
		}
	}
	return s != ""
}

// messageACL handles "acl NAME CRITERION [FLAGS] [OPERATOR] VALUE...".
func (p *parser) messageACL(words []Word) {
	m := p.msg
	kw := words[0]
	if len(words) < 2 {
		p.report(SyntaxError, kw, "'acl' expects a name and a criterion: HAProxy refuses the line")
		return
	}
	name := words[1]
	if len(words) < 3 {
		p.report(SyntaxError, name, "ACL '%s' has no criterion: HAProxy refuses the line", name.Text)
		return
	}
	if _, err := ParseSample(words[2].Text); err != nil {
		p.report(SyntaxError, words[2], "'%s' is not an ACL criterion: %v: HAProxy refuses the line", words[2].Text, err)
		return
	}
	if c := invalidNameChar(name.Text); c >= 0 {
		p.report(SemanticError, name, "character %q is not permitted in ACL name '%s': HAProxy refuses the line", name.Text[c], name.Text)
	} else if strings.EqualFold(name.Text, "or") {
		p.report(SemanticError, name, "an ACL named '%s' would never match ('or' separates terms in conditions): HAProxy refuses the line", name.Text)
	}
	m.ACLs = append(m.ACLs, &ACL{Name: name.Text, Pos: name.Pos, Criterion: words[2:], Text: p.rawSpan(words[2:])})
}
