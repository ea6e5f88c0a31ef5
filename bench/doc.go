// Package bench measures spopkit agents the way HAProxy drives them, beside the
// physical limit of the machine.
//
// It holds four things, each usable on its own:
//
//   - a load generator (Load) that plays HAProxy 3.x on loopback: HAPROXY-HELLO,
//     then a fixed number of NOTIFYs in flight per connection with unique ids,
//     every ACK validated (ids echoed, payload decodes as actions). It runs one
//     raw-epoll loop on a locked OS thread, batches every write per connection and
//     every read per readiness event, and never allocates per request; closed-loop
//     for peak throughput, open-loop (fixed rate, latency measured from the
//     intended send time) for latency percentiles;
//   - a ceiling responder (ServeCeiling): raw epoll, reads the frame header only and
//     answers a canned ACK, one write per batch. It is what the kernel allows on this
//     machine, the number every engine is compared with;
//   - the agent runner (RunAgent) that the spopbench binary re-executes as a separate
//     process, so that /proc/PID/stat tells the agent's CPU time apart from the
//     generator's;
//   - the report (RunReport, RenderMarkdown, RenderSVG) that runs every scenario,
//     contenders interleaved run by run, and writes BENCHMARKS.md.
//
// Everything here is Linux-only (epoll, /proc, sched_setaffinity) and loopback-only.
// To test a handler's logic use server/spoptest; this package is for speed.
package bench
