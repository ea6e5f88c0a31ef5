package spoeconf

import "fmt"

// Pos is a position in a source file. Line and Col are 1-based; Col counts
// bytes, as go/token does, so a tab is one column.
type Pos struct {
	Filename string
	Offset   int // byte offset from the start of the file, 0-based
	Line     int
	Col      int
}

// IsValid reports whether the position is known.
func (p Pos) IsValid() bool { return p.Line > 0 }

// String formats the position as file:line:col, the form editors and
// go/scanner use; parts that are unknown are left out.
func (p Pos) String() string {
	s := p.Filename
	if p.IsValid() {
		if s != "" {
			s += ":"
		}
		s += fmt.Sprintf("%d:%d", p.Line, p.Col)
	}
	if s == "" {
		s = "-"
	}
	return s
}

// before reports whether p comes before q in the same file.
func (p Pos) before(q Pos) bool {
	if p.Filename != q.Filename {
		return p.Filename < q.Filename
	}
	if p.Line != q.Line {
		return p.Line < q.Line
	}
	return p.Col < q.Col
}
