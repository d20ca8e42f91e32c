package main

import (
	"os"
	"strings"
	"testing"

	"paysuite/pkg/config/onchain"
)

// TestPayCommandsRunThePayBinary: payctl sweeps and payctl reconcile hand
// their arguments to pay's command of the same name, with the chain that
// --chain picked.
func TestPayCommandsRunThePayBinary(t *testing.T) {
	script, got := fakeBinary(t, "pay", "PAY_BIN")
	bsc := config{chain: onchain.Chain{Name: "BSC"}, chainGiven: true}
	tests := []struct {
		sub  string
		cfg  config
		args []string
		want string
	}{
		{sub: "sweeps", want: script + " sweeps"},
		{sub: "sweeps", args: []string{"--state", "failed"}, want: script + " sweeps --state failed"},
		{sub: "sweeps", cfg: bsc, args: []string{"--state=all"}, want: script + " sweeps --state=all --chain BSC"},
		{sub: "reconcile", want: script + " reconcile"},
		{sub: "reconcile", cfg: bsc, want: script + " reconcile --chain BSC"},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			takeRun(got)
			err := payCommand(tt.sub)(t.Context(), tt.cfg, tt.args)
			out, _ := os.ReadFile(got)
			if err != nil || strings.TrimSpace(string(out)) != tt.want {
				t.Fatalf("payctl %s %q = %v, ran %q, want %q", tt.sub, tt.args, err, out, tt.want)
			}
		})
	}

	// pay's failure (a usage error exits 2) is payctl's.
	if err := os.WriteFile(script, []byte("#!/bin/sh\nexit 2\n"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := payCommand("sweeps")(t.Context(), config{}, []string{"--state", "x"}); err == nil || !strings.Contains(err.Error(), "pay sweeps") {
		t.Fatalf("a failing pay sweeps = %v, want its error", err)
	}
}
