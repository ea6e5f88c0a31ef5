package bench

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"time"
)

// runCmd runs a command in dir with a time bound and returns its combined output.
func runCmd(dir string, timeout time.Duration, name string, args ...string) (string, error) {
	return runCmdEnv(dir, timeout, nil, name, args...)
}

// runCmdEnv is runCmd with extra environment variables (later ones win).
func runCmdEnv(dir string, timeout time.Duration, env []string, name string, args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir = dir
	if env != nil {
		cmd.Env = append(os.Environ(), env...)
	}
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	return out.String(), err
}
