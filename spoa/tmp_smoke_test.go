package spoa

import (
	"context"
	"os"
	"testing"

	"github.com/spopkit/spopkit/server"
)

type smokeFlags struct {
	Seed int64 `help:"Seed." default:"0"`
}

func TestSmoke(t *testing.T) {
	h := server.HandlerFunc(func(*server.Request, *server.Actions) error { return nil })
	for _, args := range [][]string{{"--help"}, {"a", "--help"}, {"probe", "--help"}, {"-V"}, {"--bogus"}} {
		code := Run(context.Background(), args, os.Stdout, os.Stdout, Agent{Name: "a", Help: "Agent A.", Handler: h, Flags: &smokeFlags{}}, Agent{Name: "b", Help: "Agent B.", Handler: h})
		t.Logf("code %d", code)
	}
}
