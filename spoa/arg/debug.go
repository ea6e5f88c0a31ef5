package arg

import (
	"context"
	"log/slog"
	"sync/atomic"

	"github.com/spopkit/spopkit/server"
)

// debugLog is the logger of SetDebugLogger; nil when debug logging is off.
var debugLog atomic.Pointer[slog.Logger]

// SetDebugLogger makes every generated dispatcher of the process log each
// message it decodes, with its arguments, at debug level to l; nil turns it
// off. spoa calls it for --debug. The values logged are bounded: strings and
// bodies are cut at LogLimit bytes, with their length.
func SetDebugLogger(l *slog.Logger) { debugLog.Store(l) }

// Debugging reports whether SetDebugLogger set a logger. Generated code asks
// before it calls LogMessage, so that a message is only boxed for logging
// when it is logged.
func Debugging() bool { return debugLog.Load() != nil }

// LogMessage logs the decoded message msg, named name, of req at debug level
// (see SetDebugLogger). Generated dispatchers call it.
func LogMessage(req *server.Request, name string, msg slog.LogValuer) {
	l := debugLog.Load()
	if l == nil {
		return
	}
	l.LogAttrs(context.Background(), slog.LevelDebug, "message",
		slog.Uint64("conn", req.ConnID()),
		slog.Uint64("stream_id", req.StreamID),
		slog.Uint64("frame_id", req.FrameID),
		slog.String("name", name),
		slog.Any("args", msg),
	)
}
