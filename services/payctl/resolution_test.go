package main

import (
	"os"
	"strings"
	"testing"

	"paysuite/pkg/config/onchain"
)

// TestResolutionRunsTheMatcherBinary: payctl unmatched and payctl assign
// hand their arguments to the matcher's command of the same name; unmatched
// gets the chain --chain picked, assign refuses one (its transfer names the
// chain), and the matcher's refusal is payctl's.
func TestResolutionRunsTheMatcherBinary(t *testing.T) {
	script, got := fakeBinary(t, "matcher", "MATCHER_BIN")
	const transfer = "ETH:0x" + "ab" + "00000000000000000000000000000000000000000000000000000000000000:3"
	bsc := config{chain: onchain.Chain{Name: "BSC"}, chainGiven: true}
	tests := []struct {
		sub  string
		cfg  config
		args []string
		want string
	}{
		{sub: "unmatched", want: script + " unmatched"},
		{sub: "unmatched", args: []string{"--all"}, want: script + " unmatched --all"},
		{sub: "unmatched", cfg: bsc, want: script + " unmatched --chain BSC"},
		{sub: "assign", args: []string{transfer, "o-1", "--by", "alice", "--reason", "paid 4.99"},
			want: script + " assign " + transfer + " o-1 --by alice --reason paid 4.99"},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			takeRun(got)
			err := matcherCommand(tt.sub)(t.Context(), tt.cfg, tt.args)
			out, _ := os.ReadFile(got)
			if err != nil || strings.TrimSpace(string(out)) != tt.want {
				t.Fatalf("payctl %s %q = %v, ran %q, want %q", tt.sub, tt.args, err, out, tt.want)
			}
		})
	}

	takeRun(got)
	if err := matcherCommand("assign")(t.Context(), bsc, []string{transfer, "o-1"}); err == nil || !strings.Contains(err.Error(), "--chain") {
		t.Fatalf("assign with --chain = %v, want a refusal", err)
	}
	if _, err := os.Stat(got); err == nil {
		t.Fatal("assign with --chain ran the matcher")
	}

	// The matcher's refusal (a second assignment exits 1) is payctl's.
	if err := os.WriteFile(script, []byte("#!/bin/sh\necho 'matcher: transfer already assigned' >&2\nexit 1\n"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := matcherCommand("assign")(t.Context(), config{}, []string{transfer, "o-1", "--by", "a", "--reason", "r"}); err == nil ||
		!strings.Contains(err.Error(), "matcher assign") {
		t.Fatalf("a refused matcher assign = %v, want its error", err)
	}
}
