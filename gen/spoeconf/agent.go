package spoeconf

import (
	"fmt"
	"slices"
	"strings"
)

// This file reads spoe-agent sections (spop-reference.md section 8.3); the
// checks mirror HAProxy 3.x's cfg_parse_spoe_agent.

// startAgent handles "spoe-agent NAME".
func (p *parser) startAgent(words []Word) {
	p.tk.section = sectionName(words)
	a := &Agent{Pos: words[0].Pos}
	p.section, p.agent = agentSection, a
	if len(words) < 2 {
		p.report(SyntaxError, words[0], "missing name for spoe-agent section: HAProxy refuses the file")
		return
	}
	name := words[1]
	a.Name, a.Pos = name.Text, name.Pos
	p.tooMany(words, 1)
	if c := invalidNameChar(a.Name); c >= 0 {
		p.report(SemanticError, name, "character %q is not permitted in spoe-agent name %q (allowed: A-Z a-z 0-9 . _ : -): HAProxy refuses it", a.Name[c], a.Name)
	}
	s := p.currentScope()
	if prev := s.Agent(); prev != nil {
		p.report(SemanticError, name, "a second spoe-agent in %s (the first is %q at %s): HAProxy allows one per scope and refuses this one", scopeDesc(s), prev.Name, prev.Pos)
	}
	s.Agents = append(s.Agents, a)
}

// sectionName is what ${.SECTION} expands to after a section header.
func sectionName(words []Word) string {
	if len(words) > 1 && words[1].Text != "" {
		return words[1].Text
	}
	return words[0].Text
}

func scopeDesc(s *Scope) string {
	if s.Name == "" {
		return "the anonymous scope (before any [scope] line)"
	}
	return "scope [" + s.Name + "]"
}

// agentLine handles a keyword line inside a spoe-agent section. mod is ""
// or "no", and linePos the position of the line's first word (the modifier
// if there is one).
func (p *parser) agentLine(mod string, linePos Pos, words []Word) {
	a := p.agent
	kw := words[0]
	switch kw.Text {
	case "use-backend":
		if len(words) < 2 {
			p.report(SyntaxError, kw, "'use-backend' expects a backend name: HAProxy refuses the line")
			return
		}
		if p.tooMany(words, 1) {
			return
		}
		if a.UseBackend.Name != "" {
			p.report(Warning, words[1], "use-backend given twice (first %q at %s): HAProxy uses the last one", a.UseBackend.Name, a.UseBackend.Pos)
		}
		a.UseBackend = Ident{Name: words[1].Text, Pos: words[1].Pos}

	case "messages", "groups":
		list := &a.Messages
		what := "spoe-message"
		if kw.Text == "groups" {
			list, what = &a.Groups, "spoe-group"
		}
		if len(words) < 2 {
			p.report(Warning, kw, "'%s' without names: HAProxy accepts the line, which does nothing", kw.Text)
		}
		if a.listed == nil {
			a.listed = make(map[string]Pos)
		}
		for _, w := range words[1:] {
			key := what + ":" + w.Text
			if prev, ok := a.listed[key]; ok {
				p.report(SemanticError, w, "%s '%s' already listed at %s: HAProxy refuses a name listed twice", what, w.Text, prev)
			} else {
				a.listed[key] = w.Pos
			}
			*list = append(*list, Ident{Name: w.Text, Pos: w.Pos})
		}

	case "timeout":
		p.agentTimeout(a, words)

	case "option":
		p.agentOption(a, mod, linePos, words)

	case "maxconnrate", "maxerrrate":
		if len(words) < 2 {
			p.report(SyntaxError, kw, "'%s' expects an integer argument: HAProxy refuses the line", kw.Text)
			return
		}
		if n, ok := atoi(words[1].Text); !ok || n <= 0 {
			p.report(Warning, words[1], "'%s %s' is not a positive integer: HAProxy 2.6/3.0 read it as %d; 3.1 and later ignore %s", kw.Text, words[1].Text, n, kw.Text)
		}
		if len(words) > 2 {
			p.report(Warning, words[2], "extra words after '%s %s' are ignored by HAProxy", kw.Text, words[1].Text)
		}
		a.Directives = append(a.Directives, &Directive{Keyword: kw.Text, Args: words[1:], Pos: kw.Pos})

	case "max-frame-size":
		if len(words) < 2 {
			p.report(SyntaxError, kw, "'max-frame-size' expects an integer argument: HAProxy refuses the line")
			return
		}
		if p.tooMany(words, 1) {
			return
		}
		n, ok := atoi(words[1].Text)
		if n < MinMaxFrameSize || n > DefaultMaxFrameSize {
			p.report(SemanticError, words[1], "max-frame-size %s is out of range: HAProxy accepts %d to %d (tune.bufsize - 4) and refuses the line", words[1].Text, MinMaxFrameSize, DefaultMaxFrameSize)
		} else {
			if !ok {
				p.report(Warning, words[1], "max-frame-size %q is not a plain integer: HAProxy reads it as %d", words[1].Text, n)
			}
			a.MaxFrameSize = n
		}
		a.Directives = append(a.Directives, &Directive{Keyword: kw.Text, Args: words[1:], Pos: kw.Pos})

	case "max-waiting-frames":
		if len(words) < 2 {
			p.report(SyntaxError, kw, "'max-waiting-frames' expects an integer argument: HAProxy refuses the line")
			return
		}
		if p.tooMany(words, 1) {
			return
		}
		if n, ok := atoi(words[1].Text); !ok || n < 1 {
			p.report(Warning, words[1], "max-waiting-frames %s is not an integer >= 1: HAProxy 2.6/3.0 refuse it, 3.1 and later ignore the keyword", words[1].Text)
		}
		a.Directives = append(a.Directives, &Directive{Keyword: kw.Text, Args: words[1:], Pos: kw.Pos})

	case "register-var-names":
		if len(words) < 2 {
			p.report(SyntaxError, kw, "'register-var-names' expects one or more variable names: HAProxy refuses the line")
			return
		}
		for _, w := range words[1:] {
			if c := invalidVarChar(w.Text); c >= 0 {
				p.report(Warning, w, "character %q in variable name %q: HAProxy variable names only use A-Z a-z 0-9 _ .", w.Text[c], w.Text)
			}
			a.RegisterVarNames = append(a.RegisterVarNames, Ident{Name: w.Text, Pos: w.Pos})
		}
		a.Directives = append(a.Directives, &Directive{Keyword: kw.Text, Args: words[1:], Pos: kw.Pos})

	case "log":
		if !p.checkLog(mod, words) {
			return
		}
		a.Directives = append(a.Directives, &Directive{Modifier: mod, Keyword: kw.Text, Args: words[1:], Pos: linePos})

	default:
		p.report(SyntaxError, kw, "unknown keyword '%s' in spoe-agent section%s: HAProxy refuses the line", kw.Text, agentKeywordHint(kw.Text))
	}
}

// agentKeywords lists the keywords of a spoe-agent section.
var agentKeywords = []string{
	"use-backend", "messages", "groups", "timeout", "option", "log",
	"maxconnrate", "maxerrrate", "max-frame-size", "max-waiting-frames", "register-var-names",
}

func agentKeywordHint(kw string) string {
	for _, k := range agentKeywords {
		if editDistance(kw, k) <= 2 {
			return fmt.Sprintf(" (did you mean '%s'?)", k)
		}
	}
	switch kw {
	case "args", "event", "acl":
		return fmt.Sprintf(" ('%s' belongs in a spoe-message section)", kw)
	}
	return ""
}

// atoi reads a number the way C's atol does (leading blanks, sign, digits,
// anything after ignored) and reports whether the whole string was that
// number.
func atoi(s string) (int, bool) {
	i := 0
	for i < len(s) && isSpace(s[i]) {
		i++
	}
	neg := false
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		neg = s[i] == '-'
		i++
	}
	start := i
	n := 0
	for i < len(s) && isDigit(s[i]) {
		if n < 1<<40 {
			n = n*10 + int(s[i]-'0')
		}
		i++
	}
	if neg {
		n = -n
	}
	return n, i > start && i == len(s)
}

func (p *parser) agentTimeout(a *Agent, words []Word) {
	kw := words[0]
	if len(words) < 2 {
		p.report(SyntaxError, kw, "'timeout' expects 'hello', 'idle' or 'processing' and a time: HAProxy refuses the line")
		return
	}
	if p.tooMany(words, 2) {
		return
	}
	kind := words[1]
	if len(words) < 3 {
		p.report(SyntaxError, kind, "'timeout %s' expects a time (e.g. 100ms, 2s): HAProxy refuses the line", kind.Text)
		return
	}
	val := words[2]
	t := &Timeout{Kind: kind.Text, Value: val.Text, Raw: val.Raw, Pos: kw.Pos}
	switch kind.Text {
	case "hello", "idle", "processing":
		d, err := ParseTime(val.Text)
		switch {
		case err == nil:
			t.Duration, t.Valid = d, true
		case kind.Text == "processing":
			p.report(SemanticError, val, "timeout processing: %v: HAProxy refuses the line", err)
		default:
			p.report(Warning, val, "timeout %s: %v: HAProxy 2.6/3.0 refuse the line; 3.1 and later ignore timeout %s", kind.Text, err, kind.Text)
		}
	case "ack":
		p.report(SemanticError, kind, "'timeout ack' is obsolete: HAProxy refuses it (known: hello, idle, processing)")
	default:
		p.report(SemanticError, kind, "unknown timeout '%s': HAProxy refuses it (known: hello, idle, processing)", kind.Text)
	}
	for _, prev := range a.Timeouts {
		if prev.Kind == t.Kind {
			p.report(Warning, kind, "timeout %s given twice (first at %s): HAProxy uses the last one", t.Kind, prev.Pos)
			break
		}
	}
	a.Timeouts = append(a.Timeouts, t)
}

func (p *parser) agentOption(a *Agent, mod string, linePos Pos, words []Word) {
	kw := words[0]
	if len(words) < 2 {
		p.report(SyntaxError, kw, "'option' expects an option name: HAProxy refuses the line")
		return
	}
	name := words[1]
	o := &Option{Modifier: mod, Name: name.Text, Words: words[1:], Pos: linePos}
	switch name.Text {
	case "pipelining", "async", "send-frag-payload", "dontlog-normal":
		if p.tooMany(words, 1) {
			return
		}
	case "force-set-var", "continue-on-error":
		if p.tooMany(words, 1) {
			return
		}
		if mod == "no" {
			p.report(SemanticError, name, "'no option %s': negation is not supported for this option; HAProxy refuses the line (it is off unless set)", name.Text)
		}
	case "var-prefix", "set-on-error", "set-process-time", "set-total-time":
		if mod == "no" {
			p.report(SemanticError, name, "'no option %s': negation is not supported for this option; HAProxy refuses the line", name.Text)
			break
		}
		if len(words) < 3 {
			p.report(SyntaxError, name, "'option %s' expects a value: HAProxy refuses the line", name.Text)
			return
		}
		if p.tooMany(words, 2) {
			return
		}
		val := words[2]
		o.Value = val.Text
		if c := invalidVarChar(val.Text); c >= 0 || val.Text == "" {
			p.report(SemanticError, val, "'option %s %s': only A-Z a-z 0-9 _ . are allowed: HAProxy refuses the line", name.Text, val.Text)
		}
		if name.Text == "var-prefix" {
			if a.VarPrefix.Name != "" {
				p.report(Warning, val, "option var-prefix given twice (first %q at %s): HAProxy uses the last one", a.VarPrefix.Name, a.VarPrefix.Pos)
			}
			a.VarPrefix = Ident{Name: val.Text, Pos: val.Pos}
		}
	default:
		hint := ""
		switch name.Text {
		case "max-frame-size", "max-waiting-frames", "maxconnrate", "maxerrrate", "register-var-names":
			hint = fmt.Sprintf(" ('%s' is a keyword of its own, without 'option')", name.Text)
		default:
			for _, k := range agentOptions {
				if editDistance(name.Text, k) <= 2 {
					hint = fmt.Sprintf(" (did you mean '%s'?)", k)
					break
				}
			}
		}
		p.report(SemanticError, name, "option '%s' is not supported in a spoe-agent section%s: HAProxy refuses the line", name.Text, hint)
	}
	a.Options = append(a.Options, o)
}

// agentOptions lists the options of a spoe-agent section.
var agentOptions = []string{
	"pipelining", "async", "send-frag-payload", "dontlog-normal",
	"continue-on-error", "force-set-var", "var-prefix",
	"set-on-error", "set-process-time", "set-total-time",
}

var (
	logFacilities = []string{
		"kern", "user", "mail", "daemon", "auth", "syslog", "lpr", "news",
		"uucp", "cron", "auth2", "ftp", "ntp", "audit", "alert", "cron2",
		"local0", "local1", "local2", "local3", "local4", "local5", "local6", "local7",
	}
	logLevels  = []string{"emerg", "alert", "crit", "err", "warning", "notice", "info", "debug"}
	logFormats = []string{"local", "rfc3164", "rfc5424", "priority", "short", "timed", "iso", "raw"}
)

// checkLog validates a log line the way HAProxy's parse_logger does:
// "log global", "no log", or "log TARGET [len N] [format F] [sample R:S]
// [profile P] FACILITY [LEVEL [MINLEVEL]]". It reports whether the line is
// recorded: lines with missing words are not.
func (p *parser) checkLog(mod string, words []Word) bool {
	kw := words[0]
	args := words[1:]
	if mod == "no" {
		if len(args) > 0 {
			p.report(SyntaxError, args[0], "'no log' takes no argument: HAProxy refuses the line")
			return false
		}
		return true
	}
	if len(args) == 0 {
		p.report(SyntaxError, kw, "'log' expects 'global' or a target and a facility: HAProxy refuses the line")
		return false
	}
	if args[0].Text == "global" {
		if len(args) > 1 {
			p.report(SyntaxError, args[1], "'log global' takes no other argument: HAProxy refuses the line")
			return false
		}
		return true
	}
	rest := args[1:]
	for len(rest) > 0 {
		opt := rest[0].Text
		if opt != "len" && opt != "format" && opt != "sample" && opt != "profile" {
			break
		}
		if len(rest) < 2 {
			p.report(SyntaxError, rest[0], "'log ... %s' expects a value: HAProxy refuses the line", opt)
			return false
		}
		if opt == "format" && !slices.Contains(logFormats, rest[1].Text) {
			p.report(SemanticError, rest[1], "unknown log format '%s' (known: %s): HAProxy refuses the line", rest[1].Text, strings.Join(logFormats, ", "))
		}
		rest = rest[2:]
	}
	if len(rest) == 0 {
		p.report(SyntaxError, kw, "'log %s' expects a facility (e.g. local0): HAProxy refuses the line", args[0].Text)
		return false
	}
	if len(rest) > 3 {
		p.report(SyntaxError, rest[3], "too many words after the log facility (facility, level, minimum level): HAProxy refuses the line")
		return false
	}
	if !slices.Contains(logFacilities, rest[0].Text) {
		p.report(SemanticError, rest[0], "unknown log facility '%s': HAProxy refuses the line", rest[0].Text)
	}
	for _, lv := range rest[1:] {
		if !slices.Contains(logLevels, lv.Text) {
			p.report(SemanticError, lv, "unknown log level '%s' (known: %s): HAProxy refuses the line", lv.Text, strings.Join(logLevels, ", "))
		}
	}
	return true
}
