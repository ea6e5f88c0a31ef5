package record

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"os"
)

// ErrNotRecording is returned by NewReader for a file that does not start
// with the recording header.
var ErrNotRecording = errors.New("record: not a spopkit recording (bad magic)")

// CorruptError says where a recording stops being readable: a record cut short
// (crash or full disk mid-write) or one whose checksum or content is wrong.
// Everything before Offset was read.
type CorruptError struct {
	Offset int64  // where the first unreadable record starts
	Reason string // what is wrong with it
}

func (e *CorruptError) Error() string {
	return fmt.Sprintf("record: unreadable from offset %d: %s", e.Offset, e.Reason)
}

// Reader reads a recording record by record. It is not safe for concurrent use.
type Reader struct {
	r       *bufio.Reader
	off     int64
	version byte
	hellos  map[uint64][]byte
	err     error
}

// NewReader reads the header of a recording from r.
func NewReader(r io.Reader) (*Reader, error) {
	rd := &Reader{r: bufio.NewReaderSize(r, 64<<10), hellos: map[uint64][]byte{}}
	var h [headerSize]byte
	n, err := io.ReadFull(rd.r, h[:])
	if err != nil {
		if n == 0 && err == io.EOF {
			return nil, fmt.Errorf("record: empty file: %w", ErrNotRecording)
		}
		if string(h[:n]) == Magic[:min(n, len(Magic))] {
			return nil, &CorruptError{Offset: 0, Reason: "header cut short"}
		}
		return nil, ErrNotRecording
	}
	if string(h[:len(Magic)]) != Magic {
		return nil, ErrNotRecording
	}
	if h[len(Magic)] != Version {
		return nil, fmt.Errorf("record: format version %d, this reader knows %d", h[len(Magic)], Version)
	}
	rd.version = h[len(Magic)]
	rd.off = int64(headerSize)
	return rd, nil
}

// Offset returns the offset just after the last record read: the end of the
// readable part of the file once Next has returned an error.
func (rd *Reader) Offset() int64 { return rd.off }

// Next returns the next record. At a clean end of file it returns io.EOF; at a
// torn or corrupt record, a *CorruptError saying where the readable part ends.
// Payload and Hello are the caller's: the Reader does not reuse them.
func (rd *Reader) Next() (Record, error) {
	if rd.err != nil {
		return Record{}, rd.err
	}
	r, err := rd.next()
	if err != nil {
		rd.err = err
	}
	return r, err
}

func (rd *Reader) next() (Record, error) {
	corrupt := func(reason string) (Record, error) {
		return Record{}, &CorruptError{Offset: rd.off, Reason: reason}
	}
	var h [recordHeaderSize]byte
	n, err := io.ReadFull(rd.r, h[:])
	switch {
	case n == 0 && err == io.EOF:
		return Record{}, io.EOF
	case err == io.ErrUnexpectedEOF:
		return corrupt("record header cut short")
	case err != nil:
		return Record{}, err
	}
	l := binary.BigEndian.Uint32(h[:4])
	if l > MaxBodySize {
		return corrupt(fmt.Sprintf("record length %d above the maximum", l))
	}
	body := make([]byte, l)
	if _, err := io.ReadFull(rd.r, body); err != nil {
		if err == io.ErrUnexpectedEOF || err == io.EOF {
			return corrupt(fmt.Sprintf("record of %d bytes cut short", l))
		}
		return Record{}, err
	}
	if crc32.Checksum(body, crcTable) != binary.BigEndian.Uint32(h[4:]) {
		return corrupt("checksum mismatch")
	}
	r, why := parseBody(body)
	if why != "" {
		return corrupt(why)
	}
	r.Offset = rd.off
	rd.off += recordHeaderSize + int64(l)
	switch r.Kind {
	case KindStart:
		clear(rd.hellos)
	case KindHello:
		rd.hellos[r.ConnID] = r.Payload
	case KindNotify:
		r.Hello = rd.hellos[r.ConnID]
	}
	return r, nil
}

// ReadAll reads every readable record of r. err is nil at a clean end, a
// *CorruptError when the file ends in a torn or corrupt record (the records
// before it are returned), or the read error.
func ReadAll(r io.Reader) ([]Record, error) {
	rd, err := NewReader(r)
	if err != nil {
		return nil, err
	}
	var recs []Record
	for {
		rec, err := rd.Next()
		if err == io.EOF {
			return recs, nil
		}
		if err != nil {
			return recs, err
		}
		recs = append(recs, rec)
	}
}

// ReadFile is ReadAll on the file at path.
func ReadFile(path string) ([]Record, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return ReadAll(f)
}
