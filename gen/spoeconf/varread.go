package spoeconf

import "strings"

// A VarRead is a var(NAME) sample fetch in a haproxy.cfg: a rule, an ACL or
// a log format that reads a variable. set-var(NAME) and unset-var(NAME) write
// a variable and are not reads.
type VarRead struct {
	Name string // the full name as written: "txn.coraza.error"
	Pos  Pos    // where the word holding the fetch starts
}

// varReads returns the var() fetches in the words of one line.
func varReads(words []Word) []VarRead {
	var out []VarRead
	for _, w := range words {
		for rest, off := w.Text, 0; ; {
			i := strings.Index(rest, "var(")
			if i < 0 {
				break
			}
			start := off + i
			rest, off = rest[i+len("var("):], start+len("var(")
			if start > 0 && isVarNameByte(w.Text[start-1]) {
				continue // set-var(, unset-var(, set_var(: a write
			}
			end := strings.IndexAny(rest, ",)")
			if end <= 0 {
				continue
			}
			out = append(out, VarRead{Name: strings.TrimSpace(rest[:end]), Pos: w.Pos})
		}
	}
	return out
}

// isVarNameByte reports whether c can precede "var(" inside a longer
// keyword (set-var, unset_var, ...), so that the "var(" is not a fetch.
func isVarNameByte(c byte) bool { return isAlnum(c) || c == '-' || c == '_' || c == '.' }

// ReadsVar reports whether a var() fetch of c reads the variable with the
// full name name ("txn.coraza.error").
func (c *HAProxyConfig) ReadsVar(name string) bool {
	for _, r := range c.VarReads {
		if r.Name == name {
			return true
		}
	}
	return false
}
