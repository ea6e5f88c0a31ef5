// Package e2e runs spopkit agents behind real HAProxy processes: HAProxy 2.6
// (the pre-3.1 SPOE engine, `mode tcp` agent backends, fragmentation) and
// HAProxy 3.2 (the SPOP multiplexer, `mode spop` backends).
//
// Everything lives in _test.go files, built on Linux only (process groups,
// parent-death signals); this file only documents the package.
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
// 20; 0 skips it), E2E_SOAK_SECONDS (the soak test, default 0: skipped; 120
// for the full soak), E2E_CHAOS_SEED (replay a chaos run; every run logs its
// seed), E2E_KEEP_LOGS=1 (print every HAProxy log, not only those of failed
// tests).
//
// What runs, each as a table over the HAProxy versions (and, where it
// matters, over the server's engines):
//
//	harness_test.go    the harness itself, with a spopwire-only stub agent
//	check_test.go      option spop-check: UP with L7OK, DOWN with no agent
//	agent_e2e_test.go  IP score for IPv4/IPv6 clients; fragmentation (2.6
//	                   reassembles, 3.2 fails locally with error 3); a
//	                   panicking handler fails only its own NOTIFY
//	load_test.go       keep-alive load with no SPOE error and HAProxy's
//	                   processing-time percentiles; reload (-W, SIGUSR2)
//	                   under load
//	lifecycle_test.go  agent processes: graceful SO_REUSEPORT restart (one
//	                   lossless recipe per version, README), SIGKILL and
//	                   restart, soak (RSS, fds, goroutines)
//	chaos_test.go      mutated SPOP streams against the agent during traffic
//	examples_test.go   every example agent as `spoa` runs it, on its shipped
//	                   spoe.conf and haproxy.cfg: iprep, ipscore, echo,
//	                   blocklist (IPv4, CIDR, ::1, SIGHUP), mirror; iprep
//	                   beside held ipscore lookups in one agent process
//	scaleout_test.go   two blocklist-redis agents behind one backend
//	                   (roundrobin, spop-check) on one redis-server: a
//	                   change in Redis seen through both; one SIGKILLed
//	                   under load, no failure once it is DOWN
//
// Agent processes for the lifecycle tests are this test binary re-executed
// (see TestMain and childagent_test.go); the example agents run the spoa
// binary, built once per test run (spoa_test.go).
//
// Every process listens on loopback only (127.0.0.1 and [::1]) on free ports,
// and every test stops what it started (SIGTERM, then SIGKILL of its process
// group) in t.Cleanup.
package e2e
