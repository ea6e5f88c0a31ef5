// Package fivearg holds the code spopgen generates for a five-argument
// message, checked in, so its decoder can be benchmarked and its allocations
// asserted; spopgen verify (run by CI) keeps it current.
package fivearg

//go:generate go run github.com/spopkit/spopkit/cmd/spopgen spoe.conf --package fivearg --no-stubs
