package app

import (
	"strings"
	"testing"

	"paysuite/pkg/payoutapp/payoutapptest"
	"paysuite/services/pay/internal/config"
)

func TestPrintPending(t *testing.T) {
	hash := payoutapptest.PendingHash
	lines := payoutapptest.PendingSending(t, Operator(config.Config{}), "payments", "pay",
		`INSERT INTO payments (request_id, chain, symbol, state, fund_key, created_at) VALUES
		('w-funding', 'eth', 'USDT', 'funding', 'k2', NOW(6) - INTERVAL 10 SECOND)`,
		`INSERT INTO tx_sends (send_key, purpose, ref, chain_id, from_address, to_address, value, data, nonce,
		gas_limit, confirmations, state, max_cost, tx_hash, first_hash, last_attempt_at)
		VALUES ('k2', 'fund', 'w-funding', 1, '0x1', '0x3', 0, '', 8, 21000, 3, 'signed', 0, '`+hash+`', '`+hash+`', NOW(6))`,
	)
	if len(lines) != 3 {
		t.Fatalf("want a header and two rows, got:\n%s", strings.Join(lines, "\n"))
	}
	if g := strings.Fields(lines[2]); len(g) != 6 || g[0] != "w-funding" || g[1] != "funding" || g[2] != "signed" || g[4] != "8" {
		t.Fatalf("funding row: %q", lines[2])
	}
}
