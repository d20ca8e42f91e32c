package main

import (
	"os"
	"strings"
	"testing"
)

// TestRepairNoncesRunsTheServiceBinary: payctl repair-nonces hands the
// service's binary its repair-nonces command, and refuses anything else
// before running it.
func TestRepairNoncesRunsTheServiceBinary(t *testing.T) {
	script, got := fakeBinary(t, "service", "WITHDRAW_BIN", "PAY_BIN")
	tests := []struct {
		args []string
		want string // the service's command line; "" when refused
	}{
		{args: []string{"withdraw"}, want: script + " repair-nonces"},
		{args: []string{"pay", "--apply"}, want: script + " repair-nonces --apply"},
		{args: nil},
		{args: []string{"topup"}},
		{args: []string{"withdraw", "--force"}},
		{args: []string{"withdraw", "--apply", "x"}},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			takeRun(got)
			err := repairNonces(t.Context(), config{}, tt.args)
			out, _ := os.ReadFile(got)
			if tt.want == "" {
				if err == nil || !strings.Contains(err.Error(), "usage") || len(out) > 0 {
					t.Fatalf("repairNonces(%q) = %v, ran %q", tt.args, err, out)
				}
				return
			}
			if err != nil || strings.TrimSpace(string(out)) != tt.want {
				t.Fatalf("repairNonces(%q) = %v, ran %q, want %q", tt.args, err, out, tt.want)
			}
		})
	}
}
