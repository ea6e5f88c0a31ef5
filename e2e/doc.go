// Package e2e runs spopkit agents behind real HAProxy processes: HAProxy 2.6
// (the pre-3.1 SPOE engine, `mode tcp` agent backends, fragmentation) and
// HAProxy 3.2 (the SPOP multiplexer, `mode spop` backends).
//
// Everything lives in _test.go files; this file only documents the package.
//
// Binaries are found through environment variables:
//
//	HAPROXY26_BIN  default /usr/sbin/haproxy, if it reports version 2.6
//	HAPROXY32_BIN  default ~/.cache/spopkit/haproxy-3.2/bin/haproxy (scripts/haproxy3)
//
// A missing binary skips the version's subtests with the reason, except under
// CI=true, where it is a failure: `scripts/install-test-deps` provides both.
//
// Other knobs: E2E_LOAD_SECONDS (duration of the keep-alive load test, default
// 20), E2E_SOAK_SECONDS (the soak test, default 0: skipped), E2E_KEEP_LOGS=1
// (print every HAProxy log, not only those of failed tests).
//
// Every process listens on loopback only (127.0.0.1 and [::1]) on free ports,
// and every test stops what it started (SIGTERM, then SIGKILL of its process
// group) in t.Cleanup.
package e2e
