package main

import (
	"errors"
	"os/exec"
	"path/filepath"
	"testing"
)

// TestUsageErrorExitStatus: a command-line error exits with status 2.
func TestUsageErrorExitStatus(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "spopgen")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	for _, args := range [][]string{{"--no-such-flag"}, {"check"}, {"verify", "a", "b"}} {
		err := exec.Command(bin, args...).Run()
		var ee *exec.ExitError
		if !errors.As(err, &ee) || ee.ExitCode() != 2 {
			t.Errorf("spopgen %v: %v; want exit status 2", args, err)
		}
	}
}
