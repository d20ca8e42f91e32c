package requests_test

import (
	"encoding/json"
	"strings"
	"testing"

	"paysuite/pkg/broker"
	"paysuite/pkg/contract"
	"paysuite/pkg/events"
	"paysuite/pkg/outbox"
	"paysuite/services/topup/internal/requests"
)

// outboxed returns the outbox messages routed to key, oldest first.
func outboxed(t *testing.T, h *requests.Handler, key string) []outbox.Message {
	t.Helper()
	var msgs []outbox.Message
	if err := h.Store.DB().Where("routing_key = ?", key).Order("id").Find(&msgs).Error; err != nil {
		t.Fatal(err)
	}
	return msgs
}

// refusalOf returns the error code of the last return of requestID.
func refusalOf(t *testing.T, h *requests.Handler, requestID string) string {
	t.Helper()
	for _, m := range outboxed(t, h, h.Names.TopupReturnKey) {
		var r struct {
			RequestID string `json:"request_id"`
			Status    int    `json:"status"`
			Error     string `json:"error"`
		}
		if err := json.Unmarshal(m.Body, &r); err != nil {
			t.Fatal(err)
		}
		if r.RequestID == requestID && r.Status == contract.StatusFailed {
			return r.Error
		}
	}
	return ""
}

// A chain or symbol longer than any configured one (and than its columns) is
// refused as unknown, or as invalid past what is read at all: nothing is
// stored.
func TestLongChainOrSymbolRefused(t *testing.T) {
	h, gdb := setup(t)
	cases := []struct {
		name   string
		fields map[string]any
		code   string
	}{
		{"chain wider than its column", map[string]any{"chain": strings.Repeat("E", 17)}, contract.ErrUnknownChain},
		{"chain of 32 characters", map[string]any{"chain": strings.Repeat("É", 32)}, contract.ErrUnknownChain},
		{"chain longer than read", map[string]any{"chain": strings.Repeat("E", 1000)}, contract.ErrInvalidRequest},
		{"symbol wider than its column", map[string]any{"symbol": strings.Repeat("U", 17)}, contract.ErrUnknownToken},
		{"symbol longer than read", map[string]any{"symbol": strings.Repeat("U", 1000)}, contract.ErrInvalidRequest},
	}
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			id := "long-" + string(rune('a'+i))
			c.fields["request_id"] = id
			if err := h.Handle(t.Context(), topup(t, c.fields)); err != nil {
				t.Fatal(err)
			}
			if got := refusalOf(t, h, id); got != c.code {
				t.Fatalf("refused with %q, want %q", got, c.code)
			}
		})
	}
	if n := count(t, gdb, "SELECT COUNT(*) FROM registrations"); n != 0 {
		t.Fatalf("%d registrations stored", n)
	}
}

// The last derivation index still allocates an address; past it, a request
// for a fresh address is refused with internal_error and an operator alert,
// alone or in a batch, and nothing is registered: no index wraps round to an
// address already handed out.
func TestAllocationBeyondTheLastIndex(t *testing.T) {
	h, gdb := setup(t)
	if err := gdb.Exec("ALTER TABLE registrations AUTO_INCREMENT = 2147483647").Error; err != nil {
		t.Fatal(err)
	}
	if err := h.Handle(t.Context(), topup(t, map[string]any{"request_id": "last"})); err != nil {
		t.Fatal(err)
	}
	reg, err := h.Store.ByRequestID(t.Context(), "last")
	if err != nil || reg == nil || reg.ID != 1<<31-1 || reg.Address == nil {
		t.Fatalf("registration at the last index: %+v (%v)", reg, err)
	}

	batch := []broker.Delivery{topup(t, map[string]any{"request_id": "past-1"}), topup(t, map[string]any{"request_id": "past-2"})}
	if err := h.HandleBatch(t.Context(), batch); err == nil {
		t.Fatal("a batch past the last index was accepted")
	}
	for _, d := range batch {
		if err := h.Handle(t.Context(), d); err != nil {
			t.Fatal(err)
		}
	}
	for _, id := range []string{"past-1", "past-2"} {
		if got := refusalOf(t, h, id); got != contract.ErrInternal {
			t.Errorf("%s refused with %q, want %q", id, got, contract.ErrInternal)
		}
	}
	if n := count(t, gdb, "SELECT COUNT(*) FROM registrations"); n != 1 {
		t.Fatalf("%d registrations, want only the one at the last index", n)
	}
	alerts := outboxed(t, h, events.AlertKey(requests.AlertAddressesExhausted))
	if len(alerts) != 2 {
		t.Fatalf("%d alerts, want one per refused request", len(alerts))
	}
	data, err := internal.Open(broker.Delivery{Body: alerts[0].Body, RoutingKey: alerts[0].RoutingKey})
	var a events.Alert
	if err != nil || json.Unmarshal(data, &a) != nil || a.Kind != requests.AlertAddressesExhausted || a.Key != "ETH" ||
		!strings.Contains(a.Message, "past-1") {
		t.Fatalf("alert %s (%v)", data, err)
	}
}
