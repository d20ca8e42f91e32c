package app

import (
	"strings"
	"testing"

	"paysuite/pkg/payoutapp/payoutapptest"
	"paysuite/services/withdraw/internal/config"
)

func TestPrintPending(t *testing.T) {
	hash := "0x" + strings.Repeat("ab", 32)
	lines := payoutapptest.Pending(t, Operator(config.Config{}),
		`INSERT INTO withdrawals (request_id, chain, symbol, state, send_key, created_at) VALUES
		('w-sending', 'eth', 'USDT', 'sending', 'k1', NOW(6) - INTERVAL 90 SECOND),
		('w-done', 'eth', 'USDT', 'done', NULL, NOW(6))`,
		`INSERT INTO tx_sends (send_key, purpose, ref, chain_id, from_address, to_address, value, data, nonce,
		gas_limit, confirmations, state, max_cost, tx_hash, first_hash, last_attempt_at)
		VALUES ('k1', 'withdraw', 'w-sending', 1, '0x1', '0x2', 0, '', 7, 21000, 3, 'broadcast', 0, '`+hash+`', '`+hash+`', NOW(6))`,
	)
	if len(lines) != 2 {
		t.Fatalf("want a header and one row, got:\n%s", strings.Join(lines, "\n"))
	}
	f := strings.Fields(lines[1])
	if len(f) != 6 || f[0] != "w-sending" || f[1] != "sending" || f[2] != "broadcast" || f[3] != hash || f[4] != "7" || !strings.HasPrefix(f[5], "1m3") {
		t.Fatalf("row: %q", lines[1])
	}
}
