package record_test

import (
	"bytes"
	"errors"
	"io"
	"testing"

	"github.com/spopkit/spopkit/server/record"
)

// FuzzReader: any input reads to io.EOF, a CorruptError inside the input, or
// a header error; never a panic, and the records read lie before the end.
func FuzzReader(f *testing.F) {
	f.Add([]byte("SPOPREC\x01"))
	f.Add([]byte("SPOPREC\x01\x00\x00\x00\x0a\x00\x00\x00\x00\x03"))
	f.Add([]byte("SPOPREC\x02"))
	f.Fuzz(func(t *testing.T, data []byte) {
		rd, err := record.NewReader(bytes.NewReader(data))
		if err != nil {
			return
		}
		for {
			r, err := rd.Next()
			if err == io.EOF {
				if rd.Offset() != int64(len(data)) {
					t.Fatalf("EOF at offset %d of %d", rd.Offset(), len(data))
				}
				return
			}
			var ce *record.CorruptError
			if errors.As(err, &ce) {
				if ce.Offset != rd.Offset() || ce.Offset > int64(len(data)) {
					t.Fatalf("CorruptError at %d, reader at %d, input %d", ce.Offset, rd.Offset(), len(data))
				}
				return
			}
			if err != nil {
				t.Fatalf("unexpected error %v", err)
			}
			if r.Offset >= rd.Offset() {
				t.Fatalf("record at %d, reader at %d", r.Offset, rd.Offset())
			}
		}
	})
}
