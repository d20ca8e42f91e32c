package app_test

import (
	"testing"

	"paysuite/pkg/service/servicetest"
)

// TestRequestIDsDifferingInCase: request_id is compared byte for byte
// (contract section 2), so W-1 and w-1 are two registrations with an address
// each, whose deposits are reported to each under its own request_id, and a
// repeat of either gets its own stored return back.
func TestRequestIDsDifferingInCase(t *testing.T) {
	s := start(t)
	s.CheckIDsDifferingInCase(func(id, _ string) map[string]any {
		return map[string]any{"request_id": id}
	}, func(string, servicetest.Return) {})
	if n := s.Count("SELECT COUNT(*) FROM registrations"); n != 2 {
		t.Fatalf("%d registrations stored, want 2", n)
	}
}
