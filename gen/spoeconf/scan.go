package spoeconf

import (
	"bytes"
	"fmt"
	"strconv"
)

// This file reads lines and words the way HAProxy's configuration reader does
// (readcfgfile and parse_line in HAProxy's src/cfgparse.c and src/tools.c);
// see ../../../shared/spop-reference.md section 9.1.

// maxLineWords is HAProxy's MAX_LINE_ARGS: a line with more words is refused.
const maxLineWords = 64

// A Word is one word of a line after HAProxy's tokenizer.
type Word struct {
	Text string // what HAProxy sees: quotes removed, escapes decoded, "${VAR}" expanded
	Raw  string // the word exactly as written in the file
	Pos  Pos    // where the word starts in the file

	// srcOff holds, for each byte of Text, the file offset of the byte of
	// the source it came from (an expanded variable maps to its '$'). It
	// lets the parser cut Raw at a position found in Text.
	srcOff []int
}

// rawSuffixAfter returns the part of Raw that follows the Text byte at index
// i, i.e. the source text written after that byte.
func (w Word) rawSuffixAfter(i int) string {
	if i < 0 || i >= len(w.srcOff) {
		return ""
	}
	rel := w.srcOff[i] - w.Pos.Offset + 1
	if rel < 0 || rel > len(w.Raw) {
		return ""
	}
	return w.Raw[rel:]
}

// A srcLine is one physical line of the file.
type srcLine struct {
	num  int    // 1-based line number
	off  int    // file offset of the first byte
	text []byte // the line without its LF; cut at a NUL byte
}

// splitLines cuts src at LF bytes. missingLF reports that the last line has
// no LF; nulAt lists the lines holding a NUL byte (offset of the NUL).
func splitLines(src []byte) (lines []srcLine, missingLF bool, nulAt map[int]int) {
	num, off := 0, 0
	for off < len(src) {
		num++
		end := bytes.IndexByte(src[off:], '\n')
		var text []byte
		next := 0
		if end < 0 {
			text = src[off:]
			next = len(src)
			missingLF = true
		} else {
			text = src[off : off+end]
			next = off + end + 1
		}
		if z := bytes.IndexByte(text, 0); z >= 0 {
			if nulAt == nil {
				nulAt = make(map[int]int)
			}
			nulAt[num] = off + z
			text = text[:z]
		}
		lines = append(lines, srcLine{num: num, off: off, text: text})
		off = next
	}
	return lines, missingLF, nulAt
}

// isSpace is C's isspace in the "C" locale, which HAProxy uses.
func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r'
}

func isAlpha(c byte) bool { return c|0x20 >= 'a' && c|0x20 <= 'z' }
func isDigit(c byte) bool { return c >= '0' && c <= '9' }
func isAlnum(c byte) bool { return isAlpha(c) || isDigit(c) }
func isHex(c byte) bool   { return isDigit(c) || (c|0x20 >= 'a' && c|0x20 <= 'f') }

func hexVal(c byte) byte {
	if isDigit(c) {
		return c - '0'
	}
	return c | 0x20 - 'a' + 10
}

// skipBlanks returns the index of the first non-space byte of t.
func skipBlanks(t []byte) int {
	i := 0
	for i < len(t) && isSpace(t[i]) {
		i++
	}
	return i
}

// tokenizer holds what word splitting needs besides the line itself.
type tokenizer struct {
	filename string
	lookup   func(string) (string, bool) // environment
	section  string                      // value of ${.SECTION}
	unset    []Word                      // "${VAR}" references to unset variables (for warnings)
}

// lineError is a tokenizer failure: the line is refused as a whole.
type lineError struct {
	wordAt int // offset in the line of the word holding the fault
	charAt int // offset in the line of the faulty character
	msg    string
}

func (tk *tokenizer) pos(ln srcLine, i int) Pos {
	return Pos{Filename: tk.filename, Offset: ln.off + i, Line: ln.num, Col: i + 1}
}

// split cuts line ln, from index start (its first non-blank byte), into
// words, exactly as HAProxy's parse_line does with the options the
// configuration reader uses (environment, double and single quotes,
// backslash escapes, '#' comments, "${VAR[*]}" word expansion).
//
// Like HAProxy it keeps an empty word between two separators ("a "" b")
// but drops an empty last word ("args """). It refuses an unmatched quote or
// brace, a bad variable name, a truncated "\x" escape and more than 64 words.
func (tk *tokenizer) split(ln srcLine, start int) ([]Word, *lineError) {
	t := ln.text
	var (
		words    []Word
		cur      []byte
		curOff   []int
		tokStart = start // line offset where the current token starts
		tokFirst = 0     // index in words of the first word of the current token
		squote   bool
		dquote   bool
		quoteAt  = -1
	)
	emit := func(c byte, at int) {
		cur = append(cur, c)
		curOff = append(curOff, ln.off+at)
	}
	endWord := func() {
		words = append(words, Word{Text: string(cur), srcOff: curOff})
		cur, curOff = nil, nil
	}
	// endToken closes the current source token, which may have produced
	// several words through "${VAR[*]}", and gives them its text and start.
	endToken := func(end int) {
		endWord()
		for k := tokFirst; k < len(words); k++ {
			words[k].Raw = string(t[tokStart:end])
			words[k].Pos = tk.pos(ln, tokStart)
		}
		tokFirst = len(words)
	}
	fail := func(charAt int, format string, args ...any) ([]Word, *lineError) {
		return nil, &lineError{wordAt: tokStart, charAt: charAt, msg: fmt.Sprintf(format, args...)}
	}

	i := start
scan:
	for i < len(t) {
		c := t[i]
		switch {
		case c == '\n' || c == '\r':
			break scan // a CR ends the line for the tokenizer
		case c == '#' && !squote && !dquote:
			break scan
		case c == '"' && !squote:
			dquote = !dquote
			quoteAt = i
			i++
		case c == '\'' && !dquote:
			squote = !squote
			quoteAt = i
			i++
		case c == '\\' && !squote:
			var next byte
			if i+1 < len(t) {
				next = t[i+1]
			}
			switch next {
			case ' ', '\\', '#', '\'', '"':
				emit(next, i)
				i += 2
			case 't':
				emit('\t', i)
				i += 2
			case 'n':
				emit('\n', i)
				i += 2
			case 'r':
				emit('\r', i)
				i += 2
			case '$':
				if dquote {
					emit('$', i)
					i += 2
				} else {
					emit('\\', i) // "\$" outside double quotes stays "\$"
					i++
				}
			case 'x':
				if i+3 >= len(t) || !isHex(t[i+2]) || !isHex(t[i+3]) {
					return fail(i, "truncated or invalid hexadecimal sequence %q", string(t[i:min(i+4, len(t))]))
				}
				emit(hexVal(t[i+2])<<4|hexVal(t[i+3]), i)
				i += 4
			default:
				emit('\\', i) // not an escape: the backslash is kept
				i++
			}
		case isSpace(c) && !squote && !dquote:
			end := i
			for i < len(t) && isSpace(t[i]) && t[i] != '\r' {
				i++
			}
			endToken(end)
			tokStart = i
		case c == '$' && dquote:
			j, err := tk.expand(ln, i, emit, endWord)
			if err != nil {
				err.wordAt = tokStart
				return nil, err
			}
			i = j
		default:
			emit(c, i)
			i++
		}
	}
	if squote || dquote {
		return fail(quoteAt, "unmatched quote")
	}
	endToken(i)
	if n := len(words); n > 0 && words[n-1].Text == "" {
		words = words[:n-1] // HAProxy drops an empty last word
	}
	if len(words) > maxLineWords {
		w := words[maxLineWords]
		at := w.Pos.Offset - ln.off
		return nil, &lineError{wordAt: at, charAt: at, msg: fmt.Sprintf("too many words: HAProxy accepts at most %d words on a line", maxLineWords)}
	}
	return words, nil
}

// expand handles a '$' at t[i] inside double quotes: "$VAR", "${VAR}",
// "${VAR-default}", "${VAR[*]}" and the pseudo-variables ${.LINE},
// ${.FILE} and ${.SECTION}. It returns the index after the reference.
func (tk *tokenizer) expand(ln srcLine, i int, emit func(byte, int), endWord func()) (int, *lineError) {
	t := ln.text
	j := i + 1
	brace := -1
	if j < len(t) && t[j] == '{' {
		brace = j
		j++
	}
	if j >= len(t) || !(isAlpha(t[j]) || t[j] == '_' || t[j] == '.') {
		return 0, &lineError{charAt: j, msg: "forbidden first character in environment variable name (write \\$ for a literal dollar sign inside double quotes)"}
	}
	nameAt := j
	if t[j] == '.' {
		j++
	}
	for j < len(t) && (isAlnum(t[j]) || t[j] == '_') {
		j++
	}
	name := string(t[nameAt:j])
	var (
		val string
		ok  bool
	)
	if name[0] == '.' {
		ok = true
		switch name {
		case ".LINE":
			val = strconv.Itoa(ln.num)
		case ".FILE":
			val = tk.filename
		case ".SECTION":
			val = tk.section
		default:
			return 0, &lineError{charAt: nameAt, msg: fmt.Sprintf("unknown pseudo-variable %q (HAProxy knows .LINE, .FILE and .SECTION)", name)}
		}
	} else if tk.lookup != nil {
		val, ok = tk.lookup(name)
	}
	wordExpand := false
	if j < len(t) && t[j] == '[' && brace >= 0 {
		if j+2 >= len(t) || t[j+1] != '*' || t[j+2] != ']' {
			return 0, &lineError{charAt: j, msg: "truncated or invalid word expansion sequence (only \"[*]\" is allowed)"}
		}
		wordExpand = true
		j += 3
	}
	if brace >= 0 {
		if j < len(t) && t[j] == '-' {
			k := bytes.IndexByte(t[j:], '}')
			if k < 0 {
				return 0, &lineError{charAt: brace, msg: "unmatched brace in environment variable name"}
			}
			if !ok {
				val, ok = string(t[j+1:j+k]), true
			}
			j += k
		} else if j >= len(t) || t[j] != '}' {
			return 0, &lineError{charAt: brace, msg: "unmatched brace in environment variable name"}
		}
		j++
	}
	if !ok && name[0] != '.' {
		tk.unset = append(tk.unset, Word{Text: name, Raw: string(t[i:j]), Pos: tk.pos(ln, i)})
	}
	for k := 0; k < len(val); k++ {
		if wordExpand && isSpace(val[k]) {
			endWord()
			for k+1 < len(val) && isSpace(val[k+1]) {
				k++
			}
			continue
		}
		emit(val[k], i)
	}
	return j, nil
}
