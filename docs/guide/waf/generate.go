package waf

//go:generate go run github.com/spopkit/spopkit/cmd/spopgen spoe.conf --haproxy-cfg haproxy.cfg
