package app

import (
	"strings"
	"testing"

	"paysuite/pkg/payoutapp/payoutapptest"
	"paysuite/services/withdraw/internal/config"
)

func TestPrintPending(t *testing.T) {
	lines := payoutapptest.PendingSending(t, Operator(config.Config{}), "withdrawals", "withdraw")
	if len(lines) != 2 {
		t.Fatalf("want a header and one row, got:\n%s", strings.Join(lines, "\n"))
	}
}
