package record

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"log/slog"
	"os"
	"sync"
	"sync/atomic"
	"time"
)

// Defaults for Options.
const (
	DefaultQueueBytes = 16 << 20

	// flushDelay is how long the writer goroutine lets records gather
	// after the first one arrives: one wake-up per batch, not per NOTIFY.
	flushDelay = 10 * time.Millisecond
	// batchBytes wakes the writer goroutine early.
	batchBytes = 256 << 10
)

// Options configures a Writer.
type Options struct {
	// MaxBytes rotates the file when the next record would take it past
	// this size: FILE is renamed FILE.1 (replacing the previous one) and a
	// new FILE begins, so the recording takes at most about 2×MaxBytes on
	// disk. 0 means no limit.
	MaxBytes int64
	// Sample keeps one NOTIFY in Sample (counted across connections); 0 or
	// 1 keeps every one. HELLOs are always kept.
	Sample uint64
	// Redact zeroes argument values before they are written (ParseRedaction).
	Redact *Redaction
	// QueueBytes bounds the memory of records waiting for the writer
	// goroutine (a second buffer of that size is being written meanwhile);
	// beyond it records are dropped. Both buffers are allocated by Create.
	// 0 means 16 MiB.
	QueueBytes int64
	// Logger receives a line per second while records are dropped, and
	// write errors. nil means no logging.
	Logger *slog.Logger
}

// Writer appends records to a file from a goroutine of its own. Its Record
// methods (server.Recorder) are safe for concurrent use, never wait for the
// disk (they copy the payload under a mutex held only for that copy) and
// never fail: when the queue is full, or the file cannot be written, the
// record is dropped and counted (Dropped).
type Writer struct {
	path   string
	opts   Options
	seen   atomic.Uint64
	closed atomic.Bool

	// The queue: bodies, each behind a uint32 length, appended by the
	// event loops under mu; the writer goroutine swaps it with spare. Both
	// have a capacity of QueueBytes from the start, so an append under mu
	// never grows them (the pages are only touched as records arrive).
	mu    sync.Mutex
	queue []byte
	spare []byte
	kick  chan struct{} // the queue became non-empty, or passed batchBytes

	dropped atomic.Uint64
	written atomic.Uint64

	reopen chan chan error
	stop   chan struct{}
	done   chan struct{}

	// Owned by the writer goroutine.
	f         *os.File
	bw        *bufio.Writer
	size      int64
	startSize int64             // size after the start record
	hellos    map[uint64][]byte // the HELLO of each connection seen, bounded
	helloFIFO []uint64
	inFile    map[uint64]bool // connections whose HELLO is in the current file
	scratch   []byte
	hdr       [recordHeaderSize]byte
	err       error // the last write error, logged once
}

// maxHellos bounds the HELLOs a Writer keeps to write again after a rotation.
const maxHellos = 1 << 16

// Create opens (or creates, mode 0600) the recording at path and starts its
// writer goroutine. An existing recording is appended to, after its torn
// tail, if any, is cut off; a file that is not a recording is an error.
func Create(path string, opts Options) (*Writer, error) {
	if opts.QueueBytes <= 0 {
		opts.QueueBytes = DefaultQueueBytes
	}
	w := &Writer{
		path:   path,
		opts:   opts,
		kick:   make(chan struct{}, 1),
		reopen: make(chan chan error),
		stop:   make(chan struct{}),
		done:   make(chan struct{}),
		hellos: map[uint64][]byte{},
		inFile: map[uint64]bool{},
		queue:  make([]byte, 0, opts.QueueBytes),
		spare:  make([]byte, 0, opts.QueueBytes),
	}
	if err := w.open(); err != nil {
		return nil, err
	}
	go w.run()
	return w, nil
}

// RecordHello queues the HAPROXY-HELLO payload of a connection.
func (w *Writer) RecordHello(connID uint64, payload []byte) {
	w.enqueue(KindHello, connID, 0, 0, payload)
}

// RecordNotify queues a complete NOTIFY payload, or skips it (sampling).
func (w *Writer) RecordNotify(connID, streamID, frameID uint64, payload []byte) {
	if s := w.opts.Sample; s > 1 && w.seen.Add(1)%s != 1 {
		return
	}
	w.enqueue(KindNotify, connID, streamID, frameID, payload)
}

// enqueue appends the record to the queue, or drops it: the caller is an
// event loop, which must not wait for the disk. The copy is the only work
// done here; the writer goroutine is woken once per batch.
func (w *Writer) enqueue(k Kind, conn, stream, frame uint64, payload []byte) {
	now := time.Now().UnixNano()
	w.mu.Lock()
	n := len(w.queue)
	if w.closed.Load() || int64(n+4+bodyOverhead+len(payload)) > w.opts.QueueBytes {
		w.mu.Unlock()
		w.dropped.Add(1)
		return
	}
	q := append(w.queue, 0, 0, 0, 0) // within cap: checked above
	q = appendBody(q, k, now, conn, stream, frame, payload)
	binary.BigEndian.PutUint32(q[n:], uint32(len(q)-n-4))
	w.queue = q
	wake := n == 0 || n < batchBytes && len(q) >= batchBytes
	w.mu.Unlock()
	if wake {
		select {
		case w.kick <- struct{}{}:
		default:
		}
	}
}

// Dropped returns the number of records dropped so far: queue full, or the
// file not writable.
func (w *Writer) Dropped() uint64 { return w.dropped.Load() }

// Written returns the number of records written so far.
func (w *Writer) Written() uint64 { return w.written.Load() }

// Reopen closes the file and opens path again, for log rotation (SIGHUP after
// logrotate moved the file away). Records queued meanwhile are kept.
func (w *Writer) Reopen() error {
	if w.closed.Load() {
		return errors.New("record: writer closed")
	}
	res := make(chan error, 1)
	select {
	case w.reopen <- res:
		return <-res
	case <-w.done:
		return errors.New("record: writer closed")
	}
}

// Close writes the records already queued, then closes the file. Records
// given after Close are dropped.
func (w *Writer) Close() error {
	if w.closed.Swap(true) {
		return nil
	}
	close(w.stop)
	<-w.done
	return w.err
}

func (w *Writer) run() {
	defer close(w.done)
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	gather := time.NewTimer(flushDelay)
	gather.Stop()
	var lastDropped uint64
	for {
		select {
		case <-w.kick:
			// Let a batch gather, unless it is big already.
			gather.Reset(flushDelay)
			select {
			case <-gather.C:
			case <-w.kick:
				gather.Stop()
			case <-w.stop:
				gather.Stop()
				w.finish()
				return
			}
			w.drain()
		case res := <-w.reopen:
			w.drain()
			w.closeFile()
			res <- w.open()
		case <-tick.C:
			if d := w.dropped.Load(); d != lastDropped && w.opts.Logger != nil {
				w.opts.Logger.Warn("record: records dropped (queue full or file not writable)",
					"dropped", d-lastDropped, "dropped_total", d, "path", w.path)
				lastDropped = d
			}
		case <-w.stop:
			w.finish()
			return
		}
	}
}

func (w *Writer) finish() {
	w.drain()
	w.closeFile()
}

// drain takes the queue and writes its records.
func (w *Writer) drain() {
	w.mu.Lock()
	q := w.queue
	w.queue, w.spare = w.spare[:0], nil
	w.mu.Unlock()
	for b := q; len(b) >= 4; {
		l := binary.BigEndian.Uint32(b)
		body := b[4 : 4+l]
		b = b[4+l:]
		r, _ := parseBody(body) // built by enqueue: cannot fail
		w.record(r, body)
	}
	w.flush()
	w.mu.Lock()
	w.spare = q[:0]
	w.mu.Unlock()
}

// record writes one queued body, with the HELLO of its connection first when
// the current file does not have it yet.
func (w *Writer) record(r Record, body []byte) {
	switch r.Kind {
	case KindHello:
		w.remember(r.ConnID, r.Payload)
	case KindNotify:
		need := recordHeaderSize + len(body)
		h, haveHello := w.hellos[r.ConnID]
		if haveHello && !w.inFile[r.ConnID] {
			need += recordHeaderSize + bodyOverhead + len(h)
		}
		if !w.makeRoom(need) {
			w.dropped.Add(1)
			return
		}
		if !w.inFile[r.ConnID] {
			if haveHello {
				w.scratch = appendBody(w.scratch[:0], KindHello, r.Time.UnixNano(), r.ConnID, 0, 0, h)
				w.inFile[r.ConnID] = w.write(w.scratch)
			}
		}
		if !w.opts.Redact.Empty() {
			start := len(body) - len(r.Payload)
			red, ok := w.opts.Redact.Apply(append(w.scratch[:0], body[:start]...), r.Payload)
			w.scratch = red
			if !ok {
				w.dropped.Add(1)
				return
			}
			body = red
		}
	}
	if w.write(body) {
		w.written.Add(1)
		if r.Kind == KindHello {
			w.inFile[r.ConnID] = true
		}
	} else {
		w.dropped.Add(1)
	}
}

func (w *Writer) remember(conn uint64, payload []byte) {
	if _, ok := w.hellos[conn]; !ok {
		if len(w.helloFIFO) >= maxHellos {
			delete(w.hellos, w.helloFIFO[0])
			delete(w.inFile, w.helloFIFO[0])
			w.helloFIFO = w.helloFIFO[1:]
		}
		w.helloFIFO = append(w.helloFIFO, conn)
	}
	w.hellos[conn] = append([]byte(nil), payload...)
}

// write appends one record, rotating first when it would pass MaxBytes. It
// reports whether the record went into the buffer of an open file.
func (w *Writer) write(body []byte) bool {
	if w.bw == nil { // a write failed: nothing until Reopen
		return false
	}
	n := int64(recordHeaderSize + len(body))
	if !w.makeRoom(int(n)) {
		return false
	}
	h := w.hdr[:] // a field: a local array would escape into bufio
	binary.BigEndian.PutUint32(h[:4], uint32(len(body)))
	binary.BigEndian.PutUint32(h[4:], crc32.Checksum(body, crcTable))
	if _, err := w.bw.Write(h); err != nil {
		w.fail(err)
		return false
	}
	if _, err := w.bw.Write(body); err != nil {
		w.fail(err)
		return false
	}
	w.size += n
	return true
}

// fail closes the file after a write error. It counts nothing: the caller
// counts the record it could not write.
func (w *Writer) fail(err error) {
	if w.err == nil && w.opts.Logger != nil {
		w.opts.Logger.Error("record: write failed; records are dropped until the file is reopened", "path", w.path, "err", err)
	}
	w.err = err
	w.closeFile()
}

// makeRoom rotates the file if n more bytes would take it past MaxBytes. A
// record bigger than MaxBytes gets a file of its own.
func (w *Writer) makeRoom(n int) bool {
	if w.bw == nil {
		return false
	}
	limit := w.opts.MaxBytes
	if limit <= 0 || w.size+int64(n) <= limit || w.size <= w.startSize {
		return true
	}
	return w.rotate()
}

// rotate renames the file to path.1 and starts a new one.
func (w *Writer) rotate() bool {
	w.flush()
	w.closeFile()
	if err := os.Rename(w.path, w.path+".1"); err != nil {
		w.fail(err)
		return false
	}
	if err := w.open(); err != nil {
		w.fail(err)
		return false
	}
	return true
}

func (w *Writer) flush() {
	if w.bw != nil {
		if err := w.bw.Flush(); err != nil {
			w.fail(err)
		}
	}
}

func (w *Writer) closeFile() {
	if w.f != nil {
		if w.bw != nil {
			_ = w.bw.Flush()
		}
		_ = w.f.Close()
	}
	w.f, w.bw, w.size = nil, nil, 0
}

// open opens path for appending, writes the header to a new file or cuts a
// torn tail off an existing recording, and writes a start record.
func (w *Writer) open() error {
	f, err := os.OpenFile(w.path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return fmt.Errorf("record: %w", err)
	}
	size, err := prepare(f)
	if err != nil {
		f.Close()
		return fmt.Errorf("record: %s: %w", w.path, err)
	}
	w.f, w.bw, w.size, w.err = f, bufio.NewWriterSize(f, 64<<10), size, nil
	clear(w.inFile)
	w.startSize = w.size // the start record never rotates
	w.scratch = appendBody(w.scratch[:0], KindStart, time.Now().UnixNano(), 0, 0, 0, nil)
	w.write(w.scratch)
	w.startSize = w.size
	w.flush()
	return nil
}

// prepare positions f for appending records and returns its size: it writes
// the header into an empty file, and cuts a torn tail off a recording.
func prepare(f *os.File) (int64, error) {
	st, err := f.Stat()
	if err != nil {
		return 0, err
	}
	if st.Size() == 0 {
		var h [headerSize]byte
		copy(h[:], Magic)
		h[len(Magic)] = Version
		if _, err := f.Write(h[:]); err != nil {
			return 0, err
		}
		return int64(headerSize), nil
	}
	rd, err := NewReader(f)
	if err != nil {
		return 0, err
	}
	for {
		_, err := rd.Next()
		if err == io.EOF {
			break
		}
		var ce *CorruptError
		if errors.As(err, &ce) {
			if err := f.Truncate(ce.Offset); err != nil {
				return 0, err
			}
			break
		}
		if err != nil {
			return 0, err
		}
	}
	end := rd.Offset()
	if _, err := f.Seek(end, io.SeekStart); err != nil {
		return 0, err
	}
	return end, nil
}
