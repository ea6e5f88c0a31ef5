package spoeconf

import (
	"bytes"
	"fmt"
	"os"
	"strings"
)

// Config controls how a spoe.conf is read. The zero value reads it as
// HAProxy would on this machine.
type Config struct {
	// LookupEnv resolves the environment variables of double-quoted words
	// ("${NAME}"). Nil means os.LookupEnv, which is what HAProxy uses when
	// it starts. Code generators that want reproducible output should pass
	// a function over a fixed set of variables.
	LookupEnv func(name string) (string, bool)

	// HAProxyVersion is the version ".if version_atleast(X)" and
	// ".if version_before(X)" compare with, e.g. "3.2". Empty means
	// unknown: such conditions are then false, with a warning.
	HAProxyVersion string
}

// Parse reads a spoe.conf with the zero Config. See Config.Parse.
func Parse(filename string, src []byte) (*File, error) {
	var c Config
	return c.Parse(filename, src)
}

// ParseFile reads and parses the named file with the zero Config.
func ParseFile(filename string) (*File, error) {
	src, err := os.ReadFile(filename)
	if err != nil {
		return nil, err
	}
	return Parse(filename, src)
}

// Parse reads the content of a spoe.conf. It always returns a File holding
// what the valid lines declare, with every problem found in
// File.Diagnostics. The error, when not nil, is an ErrorList of the
// SyntaxError and SemanticError diagnostics: the problems that make HAProxy
// refuse the file as it reads it.
func (c *Config) Parse(filename string, src []byte) (*File, error) {
	p := &parser{
		file:    &File{Name: filename},
		version: c.HAProxyVersion,
	}
	p.tk.filename = filename
	p.tk.lookup = c.LookupEnv
	if p.tk.lookup == nil {
		p.tk.lookup = os.LookupEnv
	}
	p.run(src)
	sortDiagnostics(p.file.Diagnostics)
	var errs ErrorList
	for _, d := range p.file.Diagnostics {
		if d.Kind == SyntaxError || d.Kind == SemanticError {
			errs = append(errs, d)
		}
	}
	return p.file, errs.Err()
}

type sectionKind uint8

const (
	noSection sectionKind = iota
	agentSection
	messageSection
	groupSection
)

// condState is the state of one .if block, as in HAProxy's cfgparse.c.
type condState uint8

const (
	condIfTake condState = iota + 1
	condIfDrop
	condIfSkip // inside a dropped block: never taken
	condElifTake
	condElifDrop
	condElifSkip // an earlier branch was taken
	condElseTake
	condElseDrop
)

// masked reports whether the lines of the block are ignored.
func (s condState) masked() bool {
	return s != condIfTake && s != condElifTake && s != condElseTake
}

// maxNestedConds mirrors HAProxy's MAXNESTEDCONDS.
const maxNestedConds = 10

type parser struct {
	file    *File
	src     []byte
	tk      tokenizer
	version string

	scope   *Scope // current scope; nil before the first section or [scope] line
	section sectionKind
	agent   *Agent   // current sections, possibly not attached to any
	msg     *Message // scope when their header line was refused
	grp     *Group

	conds   []condState
	condPos []Pos // position of the .if of each open block
}

func (p *parser) report(kind Kind, w Word, format string, args ...any) {
	p.reportAt(kind, w.Pos, w.Raw, format, args...)
}

func (p *parser) reportAt(kind Kind, pos Pos, token, format string, args ...any) {
	p.file.Diagnostics = append(p.file.Diagnostics, Diagnostic{Pos: pos, Kind: kind, Token: token, Msg: fmt.Sprintf(format, args...)})
}

func (p *parser) pos(ln srcLine, i int) Pos { return p.tk.pos(ln, i) }

func (p *parser) masked() bool {
	return len(p.conds) > 0 && p.conds[len(p.conds)-1].masked()
}

func (p *parser) run(src []byte) {
	p.src = src
	lines, missingLF, nulAt := splitLines(src)
	for _, ln := range lines {
		p.line(ln)
		if off, ok := nulAt[ln.num]; ok {
			at := off - ln.off
			p.reportAt(SyntaxError, p.pos(ln, at), "", "stray NUL character: HAProxy stops reading the file here")
		}
	}
	for k := len(p.conds) - 1; k >= 0; k-- {
		p.reportAt(SyntaxError, p.condPos[k], ".if", "'.if' block is not terminated by '.endif': HAProxy refuses the file")
	}
	if missingLF && len(lines) > 0 {
		last := lines[len(lines)-1]
		p.reportAt(ConfigError, p.pos(last, len(last.text)), "",
			"missing newline at the end of the file: HAProxy refuses it (\"Missing LF on last line, file might have been truncated\")")
	}
}

// line handles one physical line, in the order of HAProxy's readcfgfile:
// scope line, tokenizer, conditional blocks, masking, directives, keyword
// modifiers, section headers, section keywords.
func (p *parser) line(ln srcLine) {
	start := skipBlanks(ln.text)
	if start < len(ln.text) && ln.text[start] == '[' {
		p.scopeLine(ln, start) // even inside a dropped .if block, as HAProxy does
		return
	}
	p.tk.unset = p.tk.unset[:0]
	words, lerr := p.tk.split(ln, start)
	if lerr != nil {
		token := strings.TrimRight(string(ln.text[lerr.wordAt:]), " \t\r")
		msg := lerr.msg
		if lerr.charAt != lerr.wordAt {
			msg += fmt.Sprintf(" at column %d", lerr.charAt+1)
		}
		p.reportAt(SyntaxError, p.pos(ln, lerr.wordAt), token, "%s: HAProxy refuses the line", msg)
		return
	}
	if len(words) == 0 || words[0].Text == "" {
		return // HAProxy treats a line whose first word is empty as empty
	}
	if strings.HasPrefix(words[0].Text, ".") && p.condDirective(words) {
		return
	}
	if p.masked() {
		return
	}
	for _, u := range p.tk.unset {
		p.reportAt(Warning, u.Pos, u.Raw, "environment variable %s is not set: HAProxy replaces %s with an empty string", u.Text, u.Raw)
	}
	if strings.HasPrefix(words[0].Text, ".") {
		p.messageDirective(words)
		return
	}
	for _, w := range words[1:] {
		if w.Text == "" {
			p.report(SyntaxError, w, "empty word: HAProxy 3.2 and later refuse the line, older versions ignore this word and every word after it")
			return
		}
	}

	mod := ""
	linePos := words[0].Pos // a modifier is part of the line
	if k := words[0].Text; k == "no" || k == "default" {
		if len(words) < 2 || (words[1].Text != "option" && words[1].Text != "log") {
			p.report(SyntaxError, words[0], "'%s' is only allowed before 'option' and 'log': HAProxy refuses the line", k)
			return
		}
		mod = k
		first := words[0]
		words = words[1:]
		if mod == "default" {
			p.report(Warning, first, "'default %s' in a spoe-agent section does the same as '%s' without 'default'", words[0].Text, words[0].Text)
			mod = ""
		}
	}

	switch words[0].Text {
	case "spoe-agent":
		p.startAgent(words)
		return
	case "spoe-message":
		p.startMessage(words)
		return
	case "spoe-group":
		p.startGroup(words)
		return
	}
	switch p.section {
	case agentSection:
		p.agentLine(mod, linePos, words)
	case messageSection:
		p.messageLine(words)
	case groupSection:
		p.groupLine(words)
	default:
		what := "before the first section"
		if p.scope != nil && p.scope.Name != "" {
			what = fmt.Sprintf("after [%s] and before a section", p.scope.Name)
		}
		if strings.HasPrefix(words[0].Text, "\ufeff") {
			p.report(SyntaxError, words[0], "the file starts with a UTF-8 byte order mark, which HAProxy does not skip: it reads '%s' as an unknown keyword and refuses the line; save the file without BOM", words[0].Text)
			return
		}
		p.report(SyntaxError, words[0], "unknown keyword '%s' out of section (%s): a spoe.conf only has spoe-agent, spoe-message and spoe-group sections; HAProxy refuses the line", words[0].Text, what)
	}
}

// scopeLine handles a line starting with '['. HAProxy reads it raw: no
// quotes, escapes or variables.
func (p *parser) scopeLine(ln srcLine, at int) {
	t := ln.text
	pos := p.pos(ln, at)
	token := strings.TrimRight(string(t[at:]), " \t\r")
	end := bytes.IndexByte(t[at+1:], ']')
	if end < 0 {
		p.reportAt(SyntaxError, pos, token, "missing ']' in scope line: HAProxy refuses the line")
		return
	}
	if end == 0 {
		p.reportAt(SyntaxError, pos, token, "empty scope name: HAProxy refuses the line")
		return
	}
	name := string(t[at+1 : at+1+end])
	if c := invalidNameChar(name); c >= 0 {
		p.reportAt(SyntaxError, pos, token, "character %q is not permitted in scope name %q (allowed: A-Z a-z 0-9 . _ : -): HAProxy refuses the line", name[c], name)
	}
	rest := at + 1 + end + 1
	for rest < len(t) && isSpace(t[rest]) && t[rest] != '\r' {
		rest++
	}
	if rest < len(t) && t[rest] != '#' && t[rest] != '\r' {
		p.reportAt(SyntaxError, pos, token, "character %q is not permitted after the scope declaration (only blanks and a comment may follow ']'): HAProxy refuses the line", t[rest])
	}
	// Even a refused scope line opens its scope here, so that the sections
	// that follow are not mistaken for duplicates of the previous scope's.
	p.section = noSection
	p.openScope(name, pos)
}

func (p *parser) openScope(name string, pos Pos) {
	for _, s := range p.file.Scopes {
		if s.Name == name && (name != "" || !s.Pos.IsValid()) {
			p.scope = s
			return
		}
	}
	p.scope = &Scope{Name: name, Pos: pos, msgIndex: map[string]*Message{}, grpIndex: map[string]*Group{}}
	p.file.Scopes = append(p.file.Scopes, p.scope)
}

// currentScope returns the scope a new section belongs to, creating the
// anonymous scope for sections written before any [scope] line.
func (p *parser) currentScope() *Scope {
	if p.scope == nil {
		p.openScope("", Pos{})
	}
	return p.scope
}

// invalidNameChar returns the index of the first byte HAProxy's
// invalid_char refuses in section and scope names, or -1.
func invalidNameChar(name string) int {
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !(isAlnum(c) || c == '.' || c == '_' || c == ':' || c == '-') {
			return i
		}
	}
	return -1
}

// invalidVarChar returns the index of the first byte not allowed in
// variable names and prefixes ([A-Za-z0-9_.]), or -1.
func invalidVarChar(name string) int {
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !(isAlnum(c) || c == '_' || c == '.') {
			return i
		}
	}
	return -1
}

// tooMany reports words beyond the n arguments a keyword takes, as HAProxy's
// alertif_too_many_args does, and tells whether there were any.
func (p *parser) tooMany(words []Word, n int) bool {
	if len(words) <= n+1 {
		return false
	}
	p.report(SyntaxError, words[n+1], "unexpected word '%s' after '%s': HAProxy refuses the line", words[n+1].Text, strings.Join(texts(words[:n+1]), " "))
	return true
}

// rawSpan returns the source text from the start of the first word to the
// end of the last one, as written (comments excluded).
func (p *parser) rawSpan(words []Word) string {
	if len(words) == 0 {
		return ""
	}
	from := words[0].Pos.Offset
	to := words[len(words)-1].Pos.Offset + len(words[len(words)-1].Raw)
	if from < 0 || to > len(p.src) || from > to {
		return joinRaw(words)
	}
	return string(p.src[from:to])
}

// joinRaw joins the raw texts of words with single spaces.
func joinRaw(words []Word) string {
	parts := make([]string, 0, len(words))
	last := -1
	for _, w := range words {
		if w.Pos.Offset == last {
			continue // several words expanded from one token
		}
		parts = append(parts, w.Raw)
		last = w.Pos.Offset
	}
	return strings.Join(parts, " ")
}

// texts returns the Text of each word.
func texts(words []Word) []string {
	out := make([]string, len(words))
	for i, w := range words {
		out[i] = w.Text
	}
	return out
}
