package copies_test

import (
	"testing"

	"paysuite/pkg/contract"
)

// TestEitherSigningSecretDuringRotation takes copies signed with the current
// or the previous signing secret, and no other.
func TestEitherSigningSecretDuringRotation(t *testing.T) {
	h, gdb := setup(t)
	handle(t, h, signedCopy(t, previousSecret, "pay.order", map[string]any{"request_id": "o-old", "callback_url": "https://shop.example/old"}))
	handle(t, h, signedCopy(t, []byte("leaked-elsewhere"), "pay.order", map[string]any{"request_id": "o-x", "callback_url": "https://evil.example/"}))
	handle(t, h, signedCopy(t, previousSecret, "pay.order.return", map[string]any{"request_id": "o-old", "event": "created", "status": 1}))
	handle(t, h, signedCopy(t, []byte("leaked-elsewhere"), "pay.order.return", map[string]any{"request_id": "o-old", "event": "expired", "status": 0}))
	expectCounts(t, gdb, map[string]int64{
		"SELECT COUNT(*) FROM requests":                           1,
		"SELECT COUNT(*) FROM requests WHERE request_id = 'o-x'":  0,
		"SELECT COUNT(*) FROM deliveries":                         1,
		"SELECT COUNT(*) FROM deliveries WHERE event = 'created'": 1,
	})
}

// TestReturnNeverTakenAsRequest replays signed returns on request keys, with
// a callback_url added: a copy that carries event or status registers no
// callback, so no return of that request_id is delivered anywhere.
func TestReturnNeverTakenAsRequest(t *testing.T) {
	h, gdb := setup(t)
	for i, fields := range []map[string]any{
		{"request_id": "w-1", "event": "withdraw", "status": 1, "callback_url": "https://evil.example/a"},
		{"request_id": "w-1", "event": "withdraw", "callback_url": "https://evil.example/b"},
		{"request_id": "w-1", "status": 2, "callback_url": "https://evil.example/c"},
	} {
		d := copyOf(t, "pay.withdraw", fields)
		if i == 0 {
			handleBatch(t, h, d, copyOf(t, "pay.withdraw.return", map[string]any{"request_id": "w-1", "event": "submitted", "status": 2}))
			continue
		}
		handle(t, h, d)
	}
	expectCounts(t, gdb, map[string]int64{
		"SELECT COUNT(*) FROM requests":       0,
		"SELECT COUNT(*) FROM deliveries":     0,
		"SELECT COUNT(*) FROM orphan_returns": 1, // the return waits for a genuine request
	})
}

// TestRejectedReturnNotDelivered answers a request with a callback with a
// rejected return (the suite sends one for any message it refused, whoever
// sent it) and then with its flow's own return: only the latter becomes a
// webhook, before or after the request copy.
func TestRejectedReturnNotDelivered(t *testing.T) {
	h, gdb := setup(t)
	rejected := func(id string) map[string]any {
		return map[string]any{"request_id": id, "event": contract.EventRejected, "status": 0,
			"error": contract.ErrBadSignature, "message": "the sign field does not match the request"}
	}
	handle(t, h, copyOf(t, "pay.topup.return", rejected("t-late")))
	handle(t, h, copyOf(t, "pay.topup", map[string]any{"request_id": "t-1", "callback_url": "https://shop.example/t"}))
	handle(t, h, copyOf(t, "pay.topup", map[string]any{"request_id": "t-late", "callback_url": "https://shop.example/t"}))
	handle(t, h, copyOf(t, "pay.topup.return", rejected("t-1")))
	handle(t, h, copyOf(t, "pay.topup.return", map[string]any{"request_id": "t-1", "event": "registered", "status": 1}))
	expectCounts(t, gdb, map[string]int64{
		"SELECT COUNT(*) FROM deliveries":                            1,
		"SELECT COUNT(*) FROM deliveries WHERE event = 'registered'": 1,
		"SELECT COUNT(*) FROM orphan_returns":                        0,
	})
}
