package spopwire

// req.hdrs_bin and res.hdrs_bin are BINARY values holding (ref §11)
//
//	*( <varint name-length> <name> <varint value-length> <value> ) 00 00
//
// with lower-case names, values as received, duplicates kept in order, and an
// empty name marking the end.

// HeaderIter walks the headers of a req.hdrs_bin / res.hdrs_bin value without
// copying: names and values are views into it.
type HeaderIter struct {
	b   []byte
	err error
}

// Headers returns an iterator over a hdrs_bin value.
func Headers(hdrsBin []byte) HeaderIter { return HeaderIter{b: hdrsBin} }

// Next returns the next header; ok is false at the end marker, at the end of
// the input, or on error.
func (it *HeaderIter) Next() (name, value []byte, ok bool) {
	if len(it.b) == 0 || it.err != nil {
		return nil, nil, false
	}
	name, n := ConsumeRawBytes(it.b)
	if n < 0 {
		return it.fail(n)
	}
	if len(name) == 0 { // end marker (HAProxy writes 00 00)
		it.b = nil
		return nil, nil, false
	}
	value, m := ConsumeRawBytes(it.b[n:])
	if m < 0 {
		return it.fail(m)
	}
	it.b = it.b[n+m:]
	return name, value, true
}

func (it *HeaderIter) fail(n int) ([]byte, []byte, bool) {
	it.err = ParseError(completeFrame(n))
	it.b = nil
	return nil, nil, false
}

// Err returns the error that stopped the iteration, if any.
func (it *HeaderIter) Err() error { return it.err }

// AppendHeader appends one header in hdrs_bin form.
func AppendHeader(b []byte, name, value string) []byte {
	return AppendRawString(AppendRawString(b, name), value)
}

// AppendHeadersEnd appends the end marker of a hdrs_bin block.
func AppendHeadersEnd(b []byte) []byte { return append(b, 0, 0) }
