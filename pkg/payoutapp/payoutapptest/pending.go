package payoutapptest

import (
	"bytes"
	"strings"
	"testing"

	"paysuite/pkg/db/dbtest"
	"paysuite/pkg/payoutapp"
)

// Pending is op's pending list, as lines, in a fresh schema of the service
// once the statements inserts ran; before them, the list must say that
// nothing is pending.
func Pending(t *testing.T, op payoutapp.Operator, inserts ...string) []string {
	t.Helper()
	gdb := dbtest.Open(t, op.Migrations)
	var out bytes.Buffer
	if err := op.PrintPending(t.Context(), gdb, &out); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "no pending "+op.Noun) {
		t.Fatalf("empty schema: %q", out.String())
	}
	for _, q := range inserts {
		if err := gdb.Exec(q).Error; err != nil {
			t.Fatal(err)
		}
	}
	out.Reset()
	if err := op.PrintPending(t.Context(), gdb, &out); err != nil {
		t.Fatal(err)
	}
	return strings.Split(strings.TrimSpace(out.String()), "\n")
}

// PendingHash is the transaction hash of the sends PendingSending stores.
var PendingHash = "0x" + strings.Repeat("ab", 32)

// PendingSending is op's pending list (Pending) once a request of table is
// sending, its send of purpose broadcast with nonce 7 for 90 seconds,
// another is done, and the statements more ran. It checks that the sending
// request is the first row after the header.
func PendingSending(t *testing.T, op payoutapp.Operator, table, purpose string, more ...string) []string {
	t.Helper()
	lines := Pending(t, op, append([]string{
		`INSERT INTO ` + table + ` (request_id, chain, symbol, state, send_key, created_at) VALUES
		('w-sending', 'eth', 'USDT', 'sending', 'k1', NOW(6) - INTERVAL 90 SECOND),
		('w-done', 'eth', 'USDT', 'done', NULL, NOW(6))`,
		`INSERT INTO tx_sends (send_key, purpose, ref, chain_id, from_address, to_address, value, data, nonce,
		gas_limit, confirmations, state, max_cost, tx_hash, first_hash, last_attempt_at)
		VALUES ('k1', '` + purpose + `', 'w-sending', 1, '0x1', '0x2', 0, '', 7, 21000, 3, 'broadcast', 0, '` + PendingHash + `', '` + PendingHash + `', NOW(6))`,
	}, more...)...)
	if len(lines) < 2 {
		t.Fatalf("want a header and the sending row, got:\n%s", strings.Join(lines, "\n"))
	}
	f := strings.Fields(lines[1])
	if len(f) != 6 || f[0] != "w-sending" || f[1] != "sending" || f[2] != "broadcast" || f[3] != PendingHash || f[4] != "7" || !strings.HasPrefix(f[5], "1m3") {
		t.Fatalf("row: %q", lines[1])
	}
	return lines
}
