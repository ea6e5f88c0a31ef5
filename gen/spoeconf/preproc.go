package spoeconf

import "strings"

// condDirective handles .if, .elif, .else and .endif, which HAProxy
// processes even inside a dropped block. It reports whether words[0] was one
// of them.
func (p *parser) condDirective(words []Word) bool {
	d := words[0]
	rec := &Preproc{Directive: d.Text, Args: words[1:], Pos: d.Pos}
	top := condState(0)
	if n := len(p.conds); n > 0 {
		top = p.conds[n-1]
	}
	switch d.Text {
	case ".if":
		if len(p.conds) >= maxNestedConds {
			p.report(SyntaxError, d, "too many nested '.if' (HAProxy allows %d): HAProxy refuses the file", maxNestedConds)
		}
		state := condIfSkip
		if !p.masked() {
			state = condIfDrop
			if p.evalCond(words) {
				state = condIfTake
			}
		}
		p.conds = append(p.conds, state)
		p.condPos = append(p.condPos, d.Pos)
		rec.Taken = state == condIfTake
	case ".elif":
		switch {
		case len(p.conds) == 0:
			p.report(SyntaxError, d, "'.elif' without a matching '.if': HAProxy refuses the file")
			return true
		case top == condElseTake || top == condElseDrop:
			p.report(SyntaxError, d, "'.elif' after '.else': HAProxy refuses the file")
			return true
		case top == condIfTake || top == condIfSkip || top == condElifTake || top == condElifSkip:
			p.conds[len(p.conds)-1] = condElifSkip
		default:
			state := condElifDrop
			if p.evalCond(words) {
				state = condElifTake
			}
			p.conds[len(p.conds)-1] = state
			rec.Taken = state == condElifTake
		}
	case ".else":
		switch {
		case len(words) > 1:
			p.report(SyntaxError, words[1], "unexpected argument '%s' for '.else': HAProxy refuses the file", words[1].Text)
			return true
		case len(p.conds) == 0:
			p.report(SyntaxError, d, "'.else' without a matching '.if': HAProxy refuses the file")
			return true
		case top == condElseTake || top == condElseDrop:
			p.report(SyntaxError, d, "'.else' after '.else': HAProxy refuses the file")
			return true
		case top == condIfTake || top == condIfSkip || top == condElifTake || top == condElifSkip:
			p.conds[len(p.conds)-1] = condElseDrop
		default:
			p.conds[len(p.conds)-1] = condElseTake
			rec.Taken = true
		}
	case ".endif":
		switch {
		case len(words) > 1:
			p.report(SyntaxError, words[1], "unexpected argument '%s' for '.endif': HAProxy refuses the file", words[1].Text)
			return true
		case len(p.conds) == 0:
			p.report(SyntaxError, d, "'.endif' without a matching '.if': HAProxy refuses the file")
			return true
		}
		p.conds = p.conds[:len(p.conds)-1]
		p.condPos = p.condPos[:len(p.condPos)-1]
	default:
		return false
	}
	p.file.Preproc = append(p.file.Preproc, rec)
	return true
}

// evalCond evaluates the condition of a .if or .elif line. HAProxy joins
// the words back with spaces before parsing the condition.
func (p *parser) evalCond(words []Word) bool {
	text := strings.Join(texts(words[1:]), " ")
	v, guessed, err := evalCond(text, p.tk.lookup, p.version)
	if err != nil {
		p.report(SyntaxError, words[0], "%s in '%s': HAProxy refuses the file", err, words[0].Text)
		return false
	}
	for _, g := range guessed {
		p.report(Warning, words[0], "'%s' depends on the HAProxy binary and cannot be known here: spopgen takes it as false", g)
	}
	return v
}

// messageDirective handles .notice, .warning, .alert and .diag, and refuses
// any other word starting with a dot.
func (p *parser) messageDirective(words []Word) {
	d := words[0]
	switch d.Text {
	case ".notice", ".warning", ".alert", ".diag":
	default:
		p.report(SyntaxError, d, "unknown directive '%s' (known: .if .elif .else .endif .notice .warning .alert .diag): HAProxy refuses the line", d.Text)
		return
	}
	if len(words) > 2 {
		p.report(SyntaxError, words[2], "unexpected argument '%s' for '%s' (put the message in quotes): HAProxy refuses the line", words[2].Text, d.Text)
		return
	}
	p.file.Preproc = append(p.file.Preproc, &Preproc{Directive: d.Text, Args: words[1:], Pos: d.Pos})
	msg := ""
	if len(words) > 1 {
		msg = words[1].Text
	}
	switch d.Text {
	case ".warning":
		p.report(Warning, d, ".warning: %s", msg)
	case ".alert":
		p.report(SyntaxError, d, ".alert: %s: HAProxy stops with this message", msg)
	}
}
