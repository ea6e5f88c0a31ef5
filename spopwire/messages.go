package spopwire

// A NOTIFY payload is a LIST-OF-MESSAGES (ref §3.5):
//
//	MESSAGE = <raw-string name> <NB-ARGS: 1 byte> NB-ARGS * ( <raw-string arg-name> <typed-data> )
//
// Unnamed arguments have an empty name. HAProxy always sends every declared
// argument (NULL for missing samples), and all the messages of an event share
// one NOTIFY, so a reader must honour each message's NB-ARGS exactly.

// MaxArgs is the most arguments one message can carry (NB-ARGS is one byte).
const MaxArgs = 255

// AppendMessageHeader appends a message name and its argument count; follow it
// with exactly nargs AppendArg calls.
func AppendMessageHeader(b []byte, name string, nargs int) []byte {
	return append(AppendRawString(b, name), byte(nargs))
}

// AppendArg appends one argument; name may be empty.
func AppendArg(b []byte, name string, v Value) []byte {
	return AppendValue(AppendRawString(b, name), v)
}

// ConsumeMessageHeader decodes a message name and its NB-ARGS byte.
func ConsumeMessageHeader(b []byte) (name []byte, nargs int, n int) {
	name, n = ConsumeRawBytes(b)
	if n < 0 {
		return nil, 0, n
	}
	if n >= len(b) {
		return nil, 0, codeNeedMore
	}
	return name, int(b[n]), n + 1
}

// ConsumeArg decodes one argument: a raw-string name (possibly empty) and a
// typed value.
func ConsumeArg(b []byte) (name []byte, v Value, n int) {
	name, n = ConsumeRawBytes(b)
	if n < 0 {
		return nil, Value{}, n
	}
	v, m := ConsumeValue(b[n:])
	if m < 0 {
		return nil, Value{}, m
	}
	return name, v, n + m
}

// SkipArgs returns the number of bytes taken by the next nargs arguments of
// b, building no value.
func SkipArgs(b []byte, nargs int) int {
	off := 0
	for range nargs {
		n := skipRawBytes(b[off:])
		if n < 0 {
			return n
		}
		off += n
		if n = SkipValue(b[off:]); n < 0 {
			return n
		}
		off += n
	}
	return off
}

// SkipMessage returns the length of the whole message at the start of b: its
// name, NB-ARGS and exactly that many arguments (ref §3.5). It builds no
// value; a reader checks a NOTIFY payload with it before decoding it, so that
// a handler never sees a torn message.
func SkipMessage(b []byte) int {
	n := skipRawBytes(b) // the name
	if n < 0 {
		return n
	}
	if n >= len(b) {
		return codeNeedMore
	}
	nargs := int(b[n])
	n++
	m := SkipArgs(b[n:], nargs)
	if m < 0 {
		return m
	}
	return n + m
}

// Message is one message of a NOTIFY. Name and the arguments are views into the
// payload.
type Message struct {
	Name    []byte
	NumArgs int
	args    []byte // exactly the encoded arguments, validated
}

// Args returns an iterator over the message's arguments, in order.
func (m *Message) Args() ArgIter { return ArgIter{b: m.args, left: m.NumArgs} }

// Arg is one argument of a message; Name is empty for an unnamed argument.
type Arg struct {
	Name  []byte
	Value Value
}

// ArgIter walks the arguments of one message. Its input was validated when
// the message was read, so it cannot fail.
type ArgIter struct {
	b    []byte
	left int
	cur  Arg
}

// Next returns the next argument, or ok == false and an empty argument (a
// NULL value without a name) after the last one. The argument is the
// iterator's own and the next call overwrites it: copy *a to keep it.
// (Returning an Arg by value would copy it through memory once more per
// argument.)
func (it *ArgIter) Next() (a *Arg, ok bool) {
	if it.left == 0 {
		it.cur = Arg{}
		return &it.cur, false
	}
	name, v, n := ConsumeArg(it.b)
	if n < 0 { // cannot happen on a validated message; stop rather than panic
		it.left = 0
		it.cur = Arg{}
		return &it.cur, false
	}
	it.b = it.b[n:]
	it.left--
	it.cur.Name, it.cur.Value = name, v // field by field: no copy through the stack
	return &it.cur, true
}

// Len returns the number of arguments not yet returned.
func (it *ArgIter) Len() int { return it.left }

// MessageIter walks the messages of a complete NOTIFY payload. Each message is
// validated whole (all NB-ARGS arguments) before it is returned, so a bad or
// skipped message can never make the next one be read from the wrong offset.
//
//	it := spopwire.Messages(payload)
//	for msg, ok := it.Next(); ok; msg, ok = it.Next() { … }
//	if err := it.Err(); err != nil { … }
type MessageIter struct {
	b   []byte
	err error
	// ends, from MessagesWithEnds, are where the messages not yet returned
	// end, as offsets from the payload's start (off is it.b's): Next takes
	// them instead of walking the arguments to find the end.
	ends []uint32
	off  int
}

// Messages returns an iterator over the messages of a NOTIFY payload. An empty
// payload (a NOTIFY without messages, which HAProxy 3.1–3.2 sends) has none.
func Messages(payload []byte) MessageIter { return MessageIter{b: payload} }

// MessagesWithEnds is Messages for a payload whose messages were already
// validated by a walk that recorded where each one ends: ends[i] is the offset
// just past message i. Next then trusts these ends instead of walking every
// argument a second time to find them; past the last recorded end it walks as
// Messages does. Ends not from such a walk over the same bytes give wrong
// messages (never a read outside the payload). The server builds
// Request.Messages with it from its own validation pass.
func MessagesWithEnds(payload []byte, ends []uint32) MessageIter {
	return MessageIter{b: payload, ends: ends}
}

// Next returns the next message; ok is false at the end or on error.
func (it *MessageIter) Next() (Message, bool) {
	if len(it.b) == 0 || it.err != nil {
		return Message{}, false
	}
	name, nargs, n := ConsumeMessageHeader(it.b)
	if n < 0 {
		return it.fail(n)
	}
	var m int
	if len(it.ends) > 0 {
		m = int(it.ends[0]) - it.off - n
		it.ends = it.ends[1:]
		if m < 0 || n+m > len(it.b) {
			return it.fail(codeInvalid)
		}
	} else if m = SkipArgs(it.b[n:], nargs); m < 0 {
		return it.fail(m)
	}
	msg := Message{Name: name, NumArgs: nargs, args: it.b[n : n+m : n+m]}
	it.b = it.b[n+m:]
	it.off += n + m
	return msg, true
}

func (it *MessageIter) fail(n int) (Message, bool) {
	it.err = ParseError(completeFrame(n))
	it.b = nil
	return Message{}, false
}

// Err returns the error that stopped the iteration, if any.
func (it *MessageIter) Err() error { return it.err }
