package app

import "testing"

// TestWebhooksOfEveryReturn: see payoutapptest.Suite.WebhooksOfEveryReturn.
func TestWebhooksOfEveryReturn(t *testing.T) {
	s := start(t, nil)
	s.WebhooksOfEveryReturn("w", func(id string) map[string]any {
		return map[string]any{"request_id": id, "to_address": s.Address("to").Hex(), "amount": "1"}
	})
}
