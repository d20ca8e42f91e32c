package app

import "testing"

// TestRequestIDsDifferingInCase: see
// payoutapptest.Suite.RequestIDsDifferingInCase; each withdrawal is one send.
func TestRequestIDsDifferingInCase(t *testing.T) {
	s := start(t, nil)
	s.RequestIDsDifferingInCase("withdrawals", func(id, to, amount string) map[string]any {
		return map[string]any{"request_id": id, "to_address": to, "amount": amount}
	}, nil)
	if n := s.Count("tx_sends"); n != 2 {
		t.Fatalf("%d sends stored, want 2", n)
	}
}
