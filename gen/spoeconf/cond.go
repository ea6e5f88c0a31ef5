package spoeconf

import (
	"fmt"
	"strconv"
	"strings"
)

// This file evaluates the conditions of .if and .elif lines with the
// grammar of HAProxy's src/cfgcond.c: integers (0 is false), predicates
// with arguments, "!" negation, "&&", "||" and parentheses; an empty
// condition is false.

// condPredArgs gives the number of arguments of each predicate HAProxy
// knows.
var condPredArgs = map[string]int{
	"defined":                 1,
	"feature":                 1,
	"streq":                   2,
	"strneq":                  2,
	"strstr":                  2,
	"version_atleast":         1,
	"version_before":          1,
	"openssl_version_atleast": 1,
	"openssl_version_before":  1,
	"ssllib_name_startswith":  1,
	"enabled":                 1,
	"awslc_api_atleast":       1,
	"awslc_api_before":        1,
}

// maxCondDepth bounds the nesting of parentheses and operators, like
// HAProxy's MAX_CFG_RECURSION, so that a hostile line cannot exhaust the
// stack.
const maxCondDepth = 1024

type condParser struct {
	s       string
	i       int
	lookup  func(string) (string, bool)
	version string   // HAProxy version for version_* predicates; "" if unknown
	guessed []string // predicates evaluated as false because they depend on the HAProxy binary
}

// evalCond evaluates a condition. guessed lists the predicates that depend
// on the HAProxy binary (features, SSL library, version when unknown) and
// were taken as false.
func evalCond(text string, lookup func(string) (string, bool), version string) (value bool, guessed []string, err error) {
	p := &condParser{s: text, lookup: lookup, version: version}
	p.skip()
	if p.i == len(p.s) {
		return false, nil, nil
	}
	v, err := p.or(maxCondDepth)
	if err != nil {
		return false, p.guessed, err
	}
	p.skip()
	if p.i < len(p.s) {
		return false, p.guessed, fmt.Errorf("unexpected character %q at the end of the condition", p.s[p.i])
	}
	return v, p.guessed, nil
}

func (p *condParser) skip() {
	for p.i < len(p.s) && (p.s[p.i] == ' ' || p.s[p.i] == '\t') {
		p.i++
	}
}

func (p *condParser) or(depth int) (bool, error) {
	if depth <= 0 {
		return false, fmt.Errorf("condition nested too deeply")
	}
	v, err := p.and(depth - 1)
	if err != nil {
		return false, err
	}
	p.skip()
	if strings.HasPrefix(p.s[p.i:], "||") {
		p.i += 2
		p.skip()
		w, err := p.or(depth - 1)
		if err != nil {
			return false, err
		}
		v = v || w
	}
	return v, nil
}

func (p *condParser) and(depth int) (bool, error) {
	if depth <= 0 {
		return false, fmt.Errorf("condition nested too deeply")
	}
	v, err := p.term(depth - 1)
	if err != nil {
		return false, err
	}
	p.skip()
	if strings.HasPrefix(p.s[p.i:], "&&") {
		p.i += 2
		p.skip()
		w, err := p.and(depth - 1)
		if err != nil {
			return false, err
		}
		v = v && w
	}
	return v, nil
}

func (p *condParser) term(depth int) (bool, error) {
	p.skip()
	if p.i == len(p.s) {
		return false, fmt.Errorf("missing term at the end of the condition")
	}
	neg := false
	for p.i < len(p.s) && p.s[p.i] == '!' {
		neg = !neg
		p.i++
		p.skip()
	}
	v, err := p.value(depth)
	return v != neg, err
}

func (p *condParser) value(depth int) (bool, error) {
	rest := p.s[p.i:]
	if n, nonZero := strtolPrefix(rest); n > 0 {
		p.i += n
		return nonZero, nil
	}
	if strings.HasPrefix(rest, "(") {
		p.i++
		p.skip()
		v, err := p.or(depth - 1)
		if err != nil {
			return false, err
		}
		p.skip()
		if p.i >= len(p.s) || p.s[p.i] != ')' {
			return false, fmt.Errorf("expected ')' in the condition")
		}
		p.i++
		return v, nil
	}
	name := rest[:strings.IndexAny(rest+" (", " (")]
	nargs, ok := condPredArgs[name]
	if !ok {
		return false, fmt.Errorf("unparsable condition %q (HAProxy knows integers and the predicates defined, feature, streq, strneq, strstr, version_atleast, version_before, openssl_version_atleast, openssl_version_before, ssllib_name_startswith and enabled)", rest)
	}
	p.i += len(name)
	args, err := p.args()
	if err != nil {
		return false, fmt.Errorf("predicate %s: %v", name, err)
	}
	if len(args) != nargs {
		return false, fmt.Errorf("predicate %s expects %d argument(s), got %d", name, nargs, len(args))
	}
	switch name {
	case "defined":
		_, ok := p.lookup(args[0])
		return ok, nil
	case "streq":
		return args[0] == args[1], nil
	case "strneq":
		return args[0] != args[1], nil
	case "strstr":
		return strings.Contains(args[0], args[1]), nil
	case "version_atleast", "version_before":
		if p.version == "" {
			break
		}
		c := compareVersions(p.version, args[0])
		if name == "version_atleast" {
			return c >= 0, nil
		}
		return c < 0, nil
	}
	p.guessed = append(p.guessed, name+"("+strings.Join(args, ",")+")")
	return false, nil
}

// args reads a parenthesised, comma-separated argument list; quotes group
// text and a backslash escapes the next character, as in HAProxy's
// make_arg_list.
func (p *condParser) args() ([]string, error) {
	if p.i >= len(p.s) || p.s[p.i] != '(' {
		return nil, fmt.Errorf("missing '(' and arguments")
	}
	p.i++
	var (
		args  []string
		cur   strings.Builder
		quote byte
	)
	for p.i < len(p.s) {
		c := p.s[p.i]
		p.i++
		switch {
		case quote != 0 && c == quote:
			quote = 0
		case quote == 0 && (c == '"' || c == '\''):
			quote = c
		case c == '\\' && p.i < len(p.s):
			cur.WriteByte(p.s[p.i])
			p.i++
		case quote == 0 && c == ',':
			args = append(args, strings.TrimSpace(cur.String()))
			cur.Reset()
		case quote == 0 && c == ')':
			if a := strings.TrimSpace(cur.String()); a != "" || len(args) > 0 {
				args = append(args, a)
			}
			return args, nil
		default:
			cur.WriteByte(c)
		}
	}
	return nil, fmt.Errorf("missing closing ')'")
}

// strtolPrefix returns the length of the integer C's strtol(s, &end, 0)
// reads at the start of s (0 if none) and whether it is non-zero.
func strtolPrefix(s string) (n int, nonZero bool) {
	i := 0
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		i++
	}
	digit := isDigit
	switch {
	case len(s) > i+2 && s[i] == '0' && s[i+1]|0x20 == 'x' && isHex(s[i+2]):
		i += 2
		digit = isHex
	case len(s) > i && s[i] == '0':
		digit = func(c byte) bool { return c >= '0' && c <= '7' }
	}
	start := i
	for i < len(s) && digit(s[i]) {
		nonZero = nonZero || s[i] != '0'
		i++
	}
	if i == start {
		return 0, false
	}
	return i, nonZero
}

// compareVersions compares dotted versions numerically ("3.10" > "3.2"),
// ignoring a suffix such as "-dev5".
func compareVersions(a, b string) int {
	pa, pb := versionParts(a), versionParts(b)
	for k := 0; k < max(len(pa), len(pb)); k++ {
		var x, y int
		if k < len(pa) {
			x = pa[k]
		}
		if k < len(pb) {
			y = pb[k]
		}
		if x != y {
			if x < y {
				return -1
			}
			return 1
		}
	}
	return 0
}

func versionParts(v string) []int {
	if k := strings.IndexAny(v, "-+ "); k >= 0 {
		v = v[:k]
	}
	var out []int
	for _, f := range strings.Split(v, ".") {
		n, _ := strconv.Atoi(f)
		out = append(out, n)
	}
	return out
}
