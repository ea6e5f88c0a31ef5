//go:build linux

package main

import (
	"testing"

	"github.com/alecthomas/kong"
)

func TestParse(t *testing.T) {
	for _, tt := range []struct {
		args    []string
		wantErr bool
	}{
		{nil, false},
		{[]string{"--configs", "2x10,1x1", "--handler", "setvar"}, false},
		{[]string{"--configs", "2by10"}, true},
		{[]string{"--configs", "0x10"}, true},
		{[]string{"--handler", "other"}, true},
		{[]string{"--runs", "0"}, true},
	} {
		var cli CLI
		p, err := kong.New(&cli, kong.Exit(func(int) { t.Fatalf("%v: exit", tt.args) }))
		if err != nil {
			t.Fatal(err)
		}
		_, err = p.Parse(tt.args)
		if (err != nil) != tt.wantErr {
			t.Errorf("parse %q: err = %v; want error %v", tt.args, err, tt.wantErr)
		}
	}
}
