package spoa

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"time"

	"github.com/spopkit/spopkit/server"
)

// delayHandler is --processing-delay: the ACK leaves after the delay, which
// a worker sleeps, never the event loop (spoa-example's -t blocked its
// worker thread; here other NOTIFYs keep flowing).
type delayHandler struct {
	h     server.Handler
	delay time.Duration
}

func (x delayHandler) HandleNotify(req *server.Request, acts *server.Actions) error {
	if err := x.h.HandleNotify(req, acts); err != nil {
		return err
	}
	err := req.Offload(func(*server.Actions) error {
		time.Sleep(x.delay)
		return nil
	})
	if errors.Is(err, server.ErrAlreadyOffloaded) || errors.Is(err, server.ErrNoWorkers) {
		return nil // the agent's own offloaded work answers; no delay then
	}
	return err
}

// debugHandler is --debug: every NOTIFY logged before it is handled.
type debugHandler struct {
	h   server.Handler
	log *slog.Logger
}

func (x debugHandler) HandleNotify(req *server.Request, acts *server.Actions) error {
	var names strings.Builder
	it := req.Messages()
	for m, ok := it.Next(); ok; m, ok = it.Next() {
		if names.Len() > 0 {
			names.WriteByte(',')
		}
		names.Write(m.Name)
	}
	x.log.LogAttrs(context.Background(), slog.LevelDebug, "NOTIFY",
		slog.Uint64("conn", req.ConnID()),
		slog.Uint64("stream_id", req.StreamID),
		slog.Uint64("frame_id", req.FrameID),
		slog.String("messages", names.String()),
	)
	return x.h.HandleNotify(req, acts)
}
