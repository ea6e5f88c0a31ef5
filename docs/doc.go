// Package docs holds no code: its test runs the commands of GUIDE.md and
// checks that every snippet of it is a copy of a tested file (guide_test.go).
// docs/guide/waf is the guide's agent, a real package built and tested with
// the rest of the module.
package docs
