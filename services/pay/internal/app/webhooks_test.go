package app

import "testing"

// TestWebhooksOfEveryReturn: see payoutapptest.Suite.WebhooksOfEveryReturn;
// the payments are paid from a deposit address of the suite.
func TestWebhooksOfEveryReturn(t *testing.T) {
	s := start(t, nil)
	user := s.learn(1)
	s.WebhooksOfEveryReturn("p", func(id string) map[string]any {
		return map[string]any{"request_id": id, "order_id": "order-" + id, "from_address": user.Hex(),
			"to_address": s.Address("merchant").Hex(), "amount": "1"}
	})
}
