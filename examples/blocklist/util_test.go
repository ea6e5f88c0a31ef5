package blocklist

import (
	"context"
	"errors"
)

var errNoVar = errors.New("ACK without the blocked variable")

// contextUntil returns a context cancelled when stop is closed.
func contextUntil(stop <-chan struct{}) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		select {
		case <-stop:
		case <-ctx.Done():
		}
		cancel()
	}()
	return ctx, cancel
}
