package spoeconf

import "testing"

func TestSuggest(t *testing.T) {
	for _, tt := range []struct {
		name       string
		candidates []string
		want       string
	}{
		{"chek-ip", []string{"lookup", "check-ip"}, "check-ip"},
		{"ip", []string{"ip", "port"}, "ip"},
		{"prot", []string{"ip", "port"}, "port"},
		{"agent-on-http-request", []string{"agent-on-http-req", "other"}, "agent-on-http-req"},
		{"zzzz", []string{"ip", "port"}, ""},
		{"x", nil, ""},
	} {
		if got := Suggest(tt.name, tt.candidates); got != tt.want {
			t.Errorf("Suggest(%q, %q) = %q; want %q", tt.name, tt.candidates, got, tt.want)
		}
	}
}
