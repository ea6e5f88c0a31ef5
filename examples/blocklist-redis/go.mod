module github.com/spopkit/spopkit/examples/blocklist-redis

go 1.26.0

require (
	github.com/redis/go-redis/v9 v9.23.0
	github.com/spopkit/spopkit v0.0.0
)

require (
	github.com/alecthomas/kong v1.17.0 // indirect
	github.com/cespare/xxhash/v2 v2.3.0 // indirect
	github.com/klauspost/cpuid/v2 v2.4.2 // indirect
	go.uber.org/atomic v1.12.0 // indirect
	golang.org/x/sys v0.49.0 // indirect
)

replace github.com/spopkit/spopkit => ../..
