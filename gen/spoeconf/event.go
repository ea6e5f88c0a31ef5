package spoeconf

import (
	"slices"
	"strings"
)

// An Event is the name given on a spoe-message "event" line. Only the eight
// names below are valid; HAProxy refuses any other (see Known).
type Event string

// The events HAProxy knows (spop-reference.md section 9.4).
const (
	OnClientSession       Event = "on-client-session"
	OnServerSession       Event = "on-server-session"
	OnFrontendTCPRequest  Event = "on-frontend-tcp-request"
	OnBackendTCPRequest   Event = "on-backend-tcp-request"
	OnTCPResponse         Event = "on-tcp-response"
	OnFrontendHTTPRequest Event = "on-frontend-http-request"
	OnBackendHTTPRequest  Event = "on-backend-http-request"
	OnHTTPResponse        Event = "on-http-response"
)

// Events lists the valid events in HAProxy's order.
var Events = []Event{
	OnClientSession,
	OnServerSession,
	OnFrontendTCPRequest,
	OnBackendTCPRequest,
	OnTCPResponse,
	OnFrontendHTTPRequest,
	OnBackendHTTPRequest,
	OnHTTPResponse,
}

// Known reports whether HAProxy accepts e.
func (e Event) Known() bool {
	for _, k := range Events {
		if e == k {
			return true
		}
	}
	return false
}

// IsResponse reports whether the event fires on the response side, where
// sample fetches see the response (on-server-session, on-tcp-response,
// on-http-response).
func (e Event) IsResponse() bool {
	return e == OnServerSession || e == OnTCPResponse || e == OnHTTPResponse
}

// IsHTTP reports whether the event is one of the HTTP events.
func (e Event) IsHTTP() bool {
	return e == OnFrontendHTTPRequest || e == OnBackendHTTPRequest || e == OnHTTPResponse
}

// suggestEvents returns the valid events a misspelt name probably meant:
// those within two edits, else those holding every dash-separated part of
// the name ("on-frontend-request" gives both frontend request events).
func suggestEvents(name string) []Event {
	var out []Event
	for _, e := range Events {
		if editDistance(name, string(e)) <= 2 {
			out = append(out, e)
		}
	}
	if len(out) > 0 || name == "" {
		return out
	}
	parts := strings.Split(name, "-")
	for _, e := range Events {
		have := strings.Split(string(e), "-")
		all := true
		for _, p := range parts {
			if !slices.Contains(have, p) {
				all = false
				break
			}
		}
		if all {
			out = append(out, e)
		}
	}
	return out
}

// editDistance is the Levenshtein distance between a and b.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
