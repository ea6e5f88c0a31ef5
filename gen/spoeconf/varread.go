package spoeconf

import "strings"

// A VarUse is one use of a variable in a haproxy.cfg: a var() sample fetch
// (a read: a rule, an ACL or a log format uses the value) or the variable of
// a set-var or unset-var action or converter (a write). It carries what the
// use says of the variable's type, for the generator's typed setters and
// arguments.
type VarUse struct {
	Name  string // the full name as written: "txn.coraza.error"
	Pos   Pos    // where the word holding it starts
	Write bool   // set-var, unset-var (action or converter)
	// Expr is, for a set-var, the sample expression whose value it stores
	// ("str(sample_app)"; "" for unset-var or when unknown).
	Expr string
	// Type is what a read says of the stored type: "int", "bool", "str" or
	// "ip", "" when it says nothing (-m found, a converter that takes any
	// type). Printed reads (%[var()]) say "str" weakly: any type prints.
	// For a write, set-var-fmt's "str" (it stores the formatted string).
	Type    string
	How     string // the evidence as written: "-m int", ",add()", "gt", "%[var()]"
	Printed bool   // a %[var()] of a log format or header value
}

// Scope returns the scope of the variable ("txn"), and the rest of its name
// ("coraza.error"); ok is false for a name without a dot.
func (u VarUse) Scope() (scope, rest string, ok bool) {
	scope, rest, ok = strings.Cut(u.Name, ".")
	return scope, rest, ok && rest != ""
}

// Reads returns the reads of the variable with the full name name.
func (c *HAProxyConfig) Reads(name string) []VarUse {
	var out []VarUse
	for _, u := range c.Vars {
		if !u.Write && u.Name == name {
			out = append(out, u)
		}
	}
	return out
}

// ReadsVar reports whether a var() fetch of c reads the variable with the
// full name name ("txn.coraza.error").
func (c *HAProxyConfig) ReadsVar(name string) bool { return len(c.Reads(name)) > 0 }

// writePrefixes precede "var(" in a keyword that writes the variable
// (unset-var before set-var, which it ends with).
var writePrefixes = []string{"unset-", "unset_", "set-", "set_"}

// varUses returns the uses of variables in the words of one line.
func varUses(words []Word) []VarUse {
	var out []VarUse
	for wi, w := range words {
		text := w.Text
		if name, ok := strings.CutPrefix(text, "set-var-fmt("); ok {
			if end := strings.IndexAny(name, ",)"); end > 0 {
				out = append(out, VarUse{Name: strings.TrimSpace(name[:end]), Pos: w.Pos, Write: true, Type: "str", How: "set-var-fmt"})
			}
			continue
		}
		for off := 0; ; {
			i := strings.Index(text[off:], "var(")
			if i < 0 {
				break
			}
			start := off + i
			off = start + len("var(")
			end := strings.IndexAny(text[off:], ",)")
			if end <= 0 {
				continue
			}
			u := VarUse{Name: strings.TrimSpace(text[off : off+end]), Pos: w.Pos}
			if start > 0 && isVarNameByte(text[start-1]) {
				kwStart := -1
				for _, p := range writePrefixes {
					if strings.HasSuffix(text[:start], p) {
						kwStart = start - len(p)
						break
					}
				}
				if kwStart < 0 {
					continue // not a variable: another keyword ending in "var("
				}
				u.Write = true
				if strings.HasPrefix(text[kwStart:], "set") {
					switch {
					case kwStart == 0 && wi+1 < len(words):
						u.Expr = words[wi+1].Text // http-request set-var(NAME) EXPR
					case kwStart > 0 && text[kwStart-1] == ',':
						expr := text[:kwStart-1] // EXPR,set-var(NAME)
						if j := strings.LastIndex(expr, "%["); j >= 0 {
							expr = expr[j+2:]
						}
						u.Expr = expr
					}
				}
				out = append(out, u)
				continue
			}
			u.Type, u.How, u.Printed = readEvidence(words, wi, text[:start], text[off+end:])
			out = append(out, u)
		}
	}
	return out
}

// readEvidence returns what a var() fetch says of the variable's type:
// before is the word's text before "var(", after its text from the end of
// the name; the words after it hold the match of an ACL.
func readEvidence(words []Word, wi int, before, after string) (typ, how string, printed bool) {
	// The fetch ends at the first ')' (after a default value, if any).
	close := strings.IndexByte(after, ')')
	if close < 0 {
		return "", "", false
	}
	rest := after[close+1:]
	if conv, ok := strings.CutPrefix(rest, ","); ok {
		name := conv
		if j := strings.IndexAny(name, "(,] "); j >= 0 {
			name = name[:j]
		}
		return converterInput[name], "," + name, false
	}
	if strings.Contains(before, "%[") && strings.HasPrefix(rest, "]") {
		return "str", "%[var()]", true
	}
	if rest != "" {
		return "", "", false
	}
	// An ACL: var(NAME) [flags] [-m METHOD] [operator] values.
	for j := wi + 1; j < len(words); j++ {
		switch t := words[j].Text; {
		case t == "-m" && j+1 < len(words):
			m := words[j+1].Text
			return matchType[m], "-m " + m, false
		case t == "-i", t == "-n", t == "--":
		case comparison[t]:
			return "int", t, false
		default:
			return "", "", false
		}
	}
	return "", "", false
}

// matchType is the type a match method (-m) compares the variable as.
var matchType = map[string]string{
	"int": "int", "bool": "bool", "ip": "ip",
	"str": "str", "beg": "str", "end": "str", "sub": "str", "reg": "str", "len": "str",
	"dom": "str", "dir": "str",
}

// comparison operators of an integer match.
var comparison = map[string]bool{"gt": true, "ge": true, "lt": true, "le": true, "eq": true}

// converterInput is the type a converter applied to var() takes.
var converterInput = map[string]string{}

func init() {
	for _, c := range []string{"bool", "not", "odd", "even", "add", "sub", "mul", "div", "mod", "and",
		"or", "xor", "neg", "cpl", "htonl"} {
		converterInput[c] = "int"
	}
	for _, c := range []string{"lower", "upper", "regsub", "field", "word", "url_dec", "url_enc",
		"json", "length", "bytes", "b64dec", "base64", "hex2i", "host_only", "port_only"} {
		converterInput[c] = "str"
	}
	converterInput["ipmask"] = "ip"
	converterInput["ipv6_normalize"] = "str"
}

// isVarNameByte reports whether c can precede "var(" inside a longer
// keyword (set-var, unset_var, ...), so that the "var(" is not a fetch.
func isVarNameByte(c byte) bool { return isAlnum(c) || c == '-' || c == '_' || c == '.' }
