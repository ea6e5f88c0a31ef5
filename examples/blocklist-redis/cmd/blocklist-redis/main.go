// Command blocklist-redis is a SPOE agent for HAProxy that sets
// txn.<prefix>.blocked for clients listed (by address or CIDR) in a Redis SET:
//
//	blocklist-redis --address 127.0.0.1 --port 12345 --redis-addr 127.0.0.1:6379
//	blocklist-redis --redis-addr /run/redis/redis.sock --redis-key-prefix edge:
//	blocklist-redis config blocklist-redis haproxy.cfg
//
// It takes every flag of package spoa (listening, workers, logging, metrics)
// plus the agent's --redis-* flags; see examples/blocklist-redis.
package main

import (
	blocklistredis "github.com/spopkit/spopkit/examples/blocklist-redis"
	"github.com/spopkit/spopkit/spoa"
)

func main() { spoa.Main(blocklistredis.NewAgent()) }
