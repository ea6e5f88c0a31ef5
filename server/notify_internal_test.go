package server

import (
	"bytes"
	"testing"

	"github.com/spopkit/spopkit/spopwire"
)

// FuzzMessageEnds checks the single walk: for any payload, validMessages
// accepts exactly what Messages iterates without error, and the iterator
// built from the ends it records (all of them, or a prefix, as when there
// were more messages than room) yields the same messages as Messages.
func FuzzMessageEnds(f *testing.F) {
	var p []byte
	for i := range 20 {
		p = spopwire.AppendMessageHeader(p, "m", i%3)
		for j := range i % 3 {
			p = spopwire.AppendArg(p, "a", spopwire.Int64Value(int64(j)))
		}
	}
	f.Add(p, uint8(16))
	f.Add(p[:len(p)-1], uint8(3))
	f.Add([]byte{}, uint8(0))
	f.Add([]byte{1, 'm', 1, 0, 0x04, 0xff, 0xff}, uint8(1))

	f.Fuzz(func(t *testing.T, payload []byte, room uint8) {
		ends, ok := validMessages(payload, make([]uint32, 0, 16))
		all := readAll(spopwire.Messages(payload))
		if ok != (all.err == nil) {
			t.Fatalf("validMessages ok = %v; Messages.Err() = %v", ok, all.err)
		}
		if !ok {
			return
		}
		// More messages than room: no ends at all, Messages walks.
		if want := len(all.msgs); len(ends) != want && (want <= 16 || len(ends) != 0) {
			t.Fatalf("validMessages recorded %d ends for %d messages", len(ends), want)
		}
		ends = ends[:min(int(room), len(ends))]
		if got := readAll(spopwire.MessagesWithEnds(payload, ends)); !got.equal(all) {
			t.Fatalf("MessagesWithEnds(%d ends) = %v; Messages = %v", len(ends), got, all)
		}
	})
}

// walked is what an iteration over a payload's messages saw.
type walked struct {
	msgs [][]byte // per message: name, NB-ARGS and the re-encoded arguments
	err  error
}

func readAll(it spopwire.MessageIter) walked {
	var w walked
	for msg, ok := it.Next(); ok; msg, ok = it.Next() {
		b := spopwire.AppendMessageHeader(nil, string(msg.Name), msg.NumArgs)
		args := msg.Args()
		for a, ok := args.Next(); ok; a, ok = args.Next() {
			b = spopwire.AppendArg(b, string(a.Name), a.Value)
		}
		w.msgs = append(w.msgs, b)
	}
	w.err = it.Err()
	return w
}

func (w walked) equal(v walked) bool {
	if w.err != v.err || len(w.msgs) != len(v.msgs) {
		return false
	}
	for i := range w.msgs {
		if !bytes.Equal(w.msgs[i], v.msgs[i]) {
			return false
		}
	}
	return true
}
