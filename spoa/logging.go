package spoa

import (
	"bufio"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/alecthomas/kong"
)

// LogFile is the --logfile value, "[MODE:]FILE" as in spoa-mirror: mode a
// appends (the default), w truncates; a capital A or W writes every line as
// it comes (line buffering) instead of buffering and flushing once a second.
type LogFile struct {
	Path     string
	Truncate bool // mode w or W
	Line     bool // mode A or W
}

// Decode implements kong.MapperValue.
func (l *LogFile) Decode(ctx *kong.DecodeContext) error {
	var s string
	if err := ctx.Scan.PopValueInto("logfile", &s); err != nil {
		return err
	}
	v, err := ParseLogFile(s)
	if err != nil {
		return err
	}
	*l = v
	return nil
}

// ParseLogFile parses "[MODE:]FILE".
func ParseLogFile(s string) (LogFile, error) {
	var l LogFile
	if len(s) >= 2 && s[1] == ':' {
		switch s[0] {
		case 'a':
		case 'A':
			l.Line = true
		case 'w':
			l.Truncate = true
		case 'W':
			l.Truncate, l.Line = true, true
		default:
			return l, fmt.Errorf("invalid log file mode %q in %q (a, w, A or W)", s[:1], s)
		}
		s = s[2:]
	}
	if s == "" {
		return l, fmt.Errorf("log file name missing")
	}
	l.Path = s
	return l, nil
}

// logSink is where log lines go: stderr, or a log file, buffered or not.
type logSink struct {
	mu   sync.Mutex
	w    io.Writer
	buf  *bufio.Writer // nil when every line is written at once
	file *os.File      // nil for stderr
	stop chan struct{}
	done chan struct{}
}

// openLogSink opens the --logfile target, or returns a sink on stderr.
func openLogSink(l LogFile, stderr io.Writer) (*logSink, error) {
	if l.Path == "" {
		return &logSink{w: stderr}, nil
	}
	flags := os.O_WRONLY | os.O_CREATE | os.O_APPEND
	if l.Truncate {
		flags = os.O_WRONLY | os.O_CREATE | os.O_TRUNC
	}
	f, err := os.OpenFile(l.Path, flags, 0o644)
	if err != nil {
		return nil, err
	}
	s := &logSink{w: f, file: f}
	if !l.Line {
		s.buf = bufio.NewWriterSize(f, 64<<10)
		s.w = s.buf
		s.stop, s.done = make(chan struct{}), make(chan struct{})
		go s.flusher()
	}
	return s, nil
}

// Write writes one log record (slog handlers write whole lines).
func (s *logSink) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(p)
}

// flusher bounds how long a buffered line can wait: one second.
func (s *logSink) flusher() {
	defer close(s.done)
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for {
		select {
		case <-t.C:
			s.flush()
		case <-s.stop:
			return
		}
	}
}

func (s *logSink) flush() {
	s.mu.Lock()
	if s.buf != nil {
		_ = s.buf.Flush()
	}
	s.mu.Unlock()
}

// Close flushes and closes a log file; it leaves stderr alone.
func (s *logSink) Close() error {
	if s.stop != nil {
		close(s.stop)
		<-s.done
	}
	s.flush()
	if s.file != nil {
		return s.file.Close()
	}
	return nil
}

// newLogger builds the slog logger for --log-format and --debug.
func newLogger(w io.Writer, format string, debug bool) *slog.Logger {
	level := slog.LevelInfo
	if debug {
		level = slog.LevelDebug
	}
	opts := &slog.HandlerOptions{Level: level}
	if strings.EqualFold(format, "json") {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}
