package spoeconf

import (
	"fmt"
	"strings"
	"testing"
)

// testEnv is the environment of the tokenizer tests.
var testEnv = map[string]string{
	"FOO":   "foo",
	"EMPTY": "",
	"LIST":  "a b  c",
	"SP":    " x",
}

func lookupTestEnv(name string) (string, bool) {
	v, ok := testEnv[name]
	return v, ok
}

// splitForTest tokenizes one line as line 7 of file "t.conf".
func splitForTest(line string) ([]Word, *lineError) {
	tk := tokenizer{filename: "t.conf", lookup: lookupTestEnv, section: "sect"}
	ln := srcLine{num: 7, off: 100, text: []byte(line)}
	return tk.split(ln, skipBlanks(ln.text))
}

func TestSplitWords(t *testing.T) {
	tests := []struct {
		rule string
		line string
		want []string // Text of each word
	}{
		// Line structure.
		{"leading blanks are ignored", "   \t args a", []string{"args", "a"}},
		{"spaces separate words", "a b", []string{"a", "b"}},
		{"runs of blanks are one separator", "a  \t  b", []string{"a", "b"}},
		{"tabs separate words", "a\tb\tc", []string{"a", "b", "c"}},
		{"vertical tab and form feed are blanks", "a\vb\fc", []string{"a", "b", "c"}},
		{"trailing blanks add no word", "a b   ", []string{"a", "b"}},
		{"CR ends the line (CRLF files)", "a b\r", []string{"a", "b"}},
		{"CR ends the line even mid-line", "a\rb c", []string{"a"}},
		{"empty line", "", nil},
		{"blank line", "  \t ", nil},
		{"no line continuation: trailing backslash is a word", `args a=b \`, []string{"args", "a=b", `\`}},

		// Comments.
		{"comment line", "# comment", nil},
		{"indented comment line", "\t# comment", nil},
		{"inline comment", "a b # c d", []string{"a", "b"}},
		{"comment in the middle of a word", "foo#bar baz", []string{"foo"}},
		{"# inside double quotes is text", `"a#b" c`, []string{"a#b", "c"}},
		{"# inside single quotes is text", `'a#b' c`, []string{"a#b", "c"}},
		{"escaped #", `a\#b`, []string{"a#b"}},

		// Quotes.
		{"double quotes group words", `a "b c" d`, []string{"a", "b c", "d"}},
		{"single quotes group words", `a 'b c' d`, []string{"a", "b c", "d"}},
		{"quoted and unquoted parts concatenate", `a"b c"d`, []string{"ab cd"}},
		{"mixed quotes concatenate", `"a"'b'c`, []string{"abc"}},
		{"single quote inside double quotes", `"it's"`, []string{"it's"}},
		{"double quote inside single quotes", `'say "hi"'`, []string{`say "hi"`}},
		{"single quotes: no escapes", `'a\tb\\'`, []string{`a\tb\\`}},
		{"single quotes: no expansion", `'$FOO ${FOO}'`, []string{"$FOO ${FOO}"}},
		{"empty word between separators is kept", `a "" b`, []string{"a", "", "b"}},
		{"empty last word is dropped", `args ""`, []string{"args"}},
		{"empty word followed by a blank is kept", `args "" `, []string{"args", ""}},

		// Backslash escapes.
		{`\\ is a backslash`, `a\\b`, []string{`a\b`}},
		{`\space joins words`, `a\ b`, []string{"a b"}},
		{`\t`, `a\tb`, []string{"a\tb"}},
		{`\n`, `a\nb`, []string{"a\nb"}},
		{`\r`, `a\rb`, []string{"a\rb"}},
		{`\' outside quotes`, `a\'b`, []string{"a'b"}},
		{`\" outside quotes`, `a\"b`, []string{`a"b`}},
		{`\" inside double quotes`, `"a\"b"`, []string{`a"b`}},
		{`\xHH`, `\x41\x7a`, []string{"Az"}},
		{`\$ inside double quotes`, `"\$FOO"`, []string{"$FOO"}},
		{`\$ outside double quotes stays`, `\$FOO`, []string{`\$FOO`}},
		{`other \c is kept as two characters`, `a\qb \.`, []string{`a\qb`, `\.`}},
		{`backslash inside double quotes`, `"a\\b\ c"`, []string{`a\b c`}},

		// Environment variables.
		{"$ outside double quotes is literal", `$FOO ${FOO}`, []string{"$FOO", "${FOO}"}},
		{"$NAME", `"$FOO"`, []string{"foo"}},
		{"${NAME}", `"${FOO}"`, []string{"foo"}},
		{"$NAME ends at a non-name character", `"$FOO.bar"`, []string{"foo.bar"}},
		{"expansion inside text", `"x${FOO}y"`, []string{"xfooy"}},
		{"unset variable expands to nothing", `"<$NOPE>"`, []string{"<>"}},
		{"${NAME-default} when unset", `"${NOPE-dflt}"`, []string{"dflt"}},
		{"${NAME-default} when set", `"${FOO-dflt}"`, []string{"foo"}},
		{"${NAME-default} when set but empty", `"${EMPTY-dflt}" x`, []string{"", "x"}},
		{"default value is raw text", `"${NOPE-a b}"`, []string{"a b"}},
		{"${NAME[*]} expands to several words", `args "${LIST[*]}" z`, []string{"args", "a", "b", "c", "z"}},
		{"${NAME[*]} with a leading blank gives an empty word", `"${SP[*]}"`, []string{"", "x"}},
		{"${NAME} without [*] keeps blanks", `"${LIST}"`, []string{"a b  c"}},
		{"${.LINE}", `"${.LINE}"`, []string{"7"}},
		{"${.FILE}", `"${.FILE}"`, []string{"t.conf"}},
		{"${.SECTION}", `"${.SECTION}"`, []string{"sect"}},
	}
	for _, tt := range tests {
		got, err := splitForTest(tt.line)
		if err != nil {
			t.Errorf("%s: split(%q) error %q; want %q", tt.rule, tt.line, err.msg, tt.want)
			continue
		}
		if g := texts(got); fmt.Sprint(g) != fmt.Sprint(tt.want) || len(g) != len(tt.want) {
			t.Errorf("%s: split(%q) = %q; want %q", tt.rule, tt.line, g, tt.want)
		}
	}
}

func TestSplitWordsRawAndPos(t *testing.T) {
	tests := []struct {
		line string
		raw  []string
		cols []int
	}{
		{`  args a="b c"  d#x`, []string{"args", `a="b c"`, "d"}, []int{3, 8, 17}},
		{"\targs\ta\\ b", []string{"args", `a\ b`}, []int{2, 7}},
		{`x "${LIST[*]}"`, []string{"x", `"${LIST[*]}"`, `"${LIST[*]}"`, `"${LIST[*]}"`}, []int{1, 3, 3, 3}},
		{"a b\r", []string{"a", "b"}, []int{1, 3}},
	}
	for _, tt := range tests {
		got, err := splitForTest(tt.line)
		if err != nil {
			t.Errorf("split(%q) error %q", tt.line, err.msg)
			continue
		}
		var raws []string
		var cols []int
		for _, w := range got {
			raws = append(raws, w.Raw)
			cols = append(cols, w.Pos.Col)
			if w.Pos.Line != 7 || w.Pos.Offset != 100+w.Pos.Col-1 || w.Pos.Filename != "t.conf" {
				t.Errorf("split(%q): word %q at %+v; want line 7, offset 100+col-1", tt.line, w.Raw, w.Pos)
			}
		}
		if fmt.Sprint(raws) != fmt.Sprint(tt.raw) {
			t.Errorf("split(%q) raw = %q; want %q", tt.line, raws, tt.raw)
		}
		if fmt.Sprint(cols) != fmt.Sprint(tt.cols) {
			t.Errorf("split(%q) cols = %v; want %v", tt.line, cols, tt.cols)
		}
	}
}

func TestSplitWordsErrors(t *testing.T) {
	tests := []struct {
		line     string
		wordCol  int // column of the word holding the fault (Diagnostic.Pos)
		charCol  int // column of the faulty character
		contains string
	}{
		{`args a="b c`, 6, 8, "unmatched quote"},
		{`args 'abc`, 6, 6, "unmatched quote"},
		{`a "b" "c`, 7, 7, "unmatched quote"},
		{`a "\x4"`, 3, 4, "hexadecimal"},
		{`a \xzz`, 3, 3, "hexadecimal"},
		{`a "${FOO"`, 3, 5, "unmatched brace"},
		{`a "${NOPE-x"`, 3, 5, "unmatched brace"},
		{`a "$1"`, 3, 5, "forbidden first character"},
		{`a "cost: $"`, 3, 11, "forbidden first character"},
		{`a "${FOO[x]}"`, 3, 9, "word expansion"},
		{`a "${.NOPE}"`, 3, 6, "pseudo-variable"},
		{"w" + strings.Repeat(" w", 64), 129, 129, "too many words"},
	}
	for _, tt := range tests {
		_, err := splitForTest(tt.line)
		if err == nil {
			t.Errorf("split(%q) = no error; want %q", tt.line, tt.contains)
			continue
		}
		if err.wordAt+1 != tt.wordCol || err.charAt+1 != tt.charCol || !strings.Contains(err.msg, tt.contains) {
			t.Errorf("split(%q) error = word col %d, char col %d, %q; want %d, %d, %q",
				tt.line, err.wordAt+1, err.charAt+1, err.msg, tt.wordCol, tt.charCol, tt.contains)
		}
	}
	// 64 words are accepted.
	if _, err := splitForTest("w" + strings.Repeat(" w", 63)); err != nil {
		t.Errorf("split(64 words) error %q; want none", err.msg)
	}
}

func TestSplitLines(t *testing.T) {
	tests := []struct {
		src       string
		lines     []string
		missingLF bool
		nulLine   int
	}{
		{"", nil, false, 0},
		{"a\n", []string{"a"}, false, 0},
		{"a\nb", []string{"a", "b"}, true, 0},
		{"a\r\nb\r\n", []string{"a\r", "b\r"}, false, 0},
		{"\n\n", []string{"", ""}, false, 0},
		{"a\x00b\nc\n", []string{"a", "c"}, false, 1},
	}
	for _, tt := range tests {
		lines, missingLF, nul := splitLines([]byte(tt.src))
		var got []string
		for _, l := range lines {
			got = append(got, string(l.text))
		}
		if fmt.Sprint(got) != fmt.Sprint(tt.lines) || missingLF != tt.missingLF {
			t.Errorf("splitLines(%q) = %q, missingLF %v; want %q, %v", tt.src, got, missingLF, tt.lines, tt.missingLF)
		}
		if _, ok := nul[tt.nulLine]; tt.nulLine != 0 && !ok {
			t.Errorf("splitLines(%q) NUL lines = %v; want line %d", tt.src, nul, tt.nulLine)
		}
	}
}
