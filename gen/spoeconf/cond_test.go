package spoeconf

import "testing"

func TestEvalCond(t *testing.T) {
	tests := []struct {
		cond    string
		version string
		want    bool
		err     bool
		guessed int
	}{
		{"", "", false, false, 0},
		{"1", "", true, false, 0},
		{"0", "", false, false, 0},
		{"0x10", "", true, false, 0},
		{"08", "", false, true, 0}, // strtol reads "0", then "8" is junk
		{"-1", "", true, false, 0},
		{"!0", "", true, false, 0},
		{"!!1", "", true, false, 0},
		{"! 1", "", false, false, 0},
		{"1 && 0", "", false, false, 0},
		{"1 || 0", "", true, false, 0},
		{"0 || 0 || 1", "", true, false, 0},
		{"1 && (0 || 1)", "", true, false, 0},
		{"!(1 && 0)", "", true, false, 0},
		{"defined(FOO)", "", true, false, 0},
		{"defined(NOPE)", "", false, false, 0},
		{"defined(EMPTY)", "", true, false, 0},
		{"streq(a,a)", "", true, false, 0},
		{`streq("a b", 'a b')`, "", true, false, 0},
		{"strneq(a,b)", "", true, false, 0},
		{"strstr(haproxy,prox)", "", true, false, 0},
		{"version_atleast(3.1)", "3.2", true, false, 0},
		{"version_atleast(3.10)", "3.2", false, false, 0},
		{"version_before(3.1)", "2.6.12", true, false, 0},
		{"version_atleast(2.6)", "", false, false, 1},
		{"feature(OPENSSL)", "3.2", false, false, 1},
		{"enabled(POLL) || 1", "", true, false, 1},
		{"nope(1)", "", false, true, 0},
		{"hello", "", false, true, 0},
		{"1 2", "", false, true, 0},
		{"(1", "", false, true, 0},
		{"1 &&", "", false, true, 0},
		{"streq(a)", "", false, true, 0},
		{"defined", "", false, true, 0},
		{"defined(FOO", "", false, true, 0},
	}
	for _, tt := range tests {
		got, guessed, err := evalCond(tt.cond, lookupTestEnv, tt.version)
		if got != tt.want || (err != nil) != tt.err || len(guessed) != tt.guessed {
			t.Errorf("evalCond(%q, version %q) = %v, %q, %v; want %v, %d guessed, error %v", tt.cond, tt.version, got, guessed, err, tt.want, tt.guessed, tt.err)
		}
	}
}

func TestEvalCondDepth(t *testing.T) {
	deep := ""
	for i := 0; i < 5000; i++ {
		deep += "("
	}
	if _, _, err := evalCond(deep+"1", noEnv, ""); err == nil {
		t.Errorf("evalCond(5000 parentheses) = no error; want one")
	}
}
