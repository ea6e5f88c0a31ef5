// Package spoeconf reads the SPOE configuration file of HAProxy (the file
// named by "filter spoe engine NAME config FILE", usually spoe.conf) into an
// AST with positions, the first stage of spopgen.
//
// The file is read exactly as HAProxy reads it: the tokenizer of haproxy.cfg
// (quotes, backslash escapes, "${VAR}" expansion in double quotes, '#'
// comments even inside a word, no line continuation), [scope] lines, the
// conditional blocks .if/.elif/.else/.endif and the .notice/.warning/.alert/
// .diag directives, and the three sections spoe-agent, spoe-message and
// spoe-group with the keywords and checks of HAProxy 3.x, noting where 2.6
// differs. ../../../shared/spop-reference.md sections 8.3 and 9 describe the
// grammar.
//
// Use Parse (or Config.Parse to control environment variables and the
// HAProxy version seen by .if conditions) to get a File, Scope.Resolve to
// learn which messages and groups an agent sends, Check for every problem
// HAProxy would report when loading the file (optionally against the
// haproxy.cfg that uses it), and Dump for the JSON form used by the shared
// corpus of real-world files and by "spopgen dump".
//
// Diagnostics are go/scanner style, "file:line:col: message", and say what
// HAProxy does with the problem; their Kind tells whether HAProxy refuses
// the line as it reads it (SyntaxError, SemanticError), refuses the scope
// once read (ConfigError), or accepts it (Warning, and IgnoredLine for a
// line it silently skips, such as an unknown keyword in a spoe-message).
//
// The package checks the syntax of sample expressions but does not know
// HAProxy's fetch and converter names, nor which fetch is usable at which
// event; "haproxy -c" remains the authority on those. It does not parse
// haproxy.cfg beyond the few keywords Check needs (see HAProxyConfig).
package spoeconf
