//go:build linux

package e2e

import (
	"os"
	"testing"
)

// TestMain lets the test binary double as an agent process: with
// E2E_CHILD_AGENT set it runs an agent until SIGTERM instead of the tests
// (see childagent_test.go), so that tests can SIGKILL and restart a real
// agent process.
func TestMain(m *testing.M) {
	if os.Getenv("E2E_CHILD_AGENT") != "" {
		os.Exit(runChildAgent())
	}
	code := m.Run()
	if spoaDir != "" {
		os.RemoveAll(spoaDir)
	}
	os.Exit(code)
}
