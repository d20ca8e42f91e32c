package requests_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"paysuite/pkg/contract"
	"paysuite/proto"
)

// An order of an amount beyond the bounds (an exponent of 70, as a string or
// a JSON number, 2^256 base units, more than the DECIMAL(65,0) column holds,
// more decimals than the token) is answered within a second with status 0
// and invalid_amount, and opens no order.
func TestOrderAmountBounds(t *testing.T) {
	gdb := openSchema(t, 1)[0]
	h := newHandler(t, gdb)
	v := validator(t)
	amounts := map[string]any{
		"b-exp70":          "1e70",
		"b-exp70-number":   json.RawMessage(`1e70`),
		"b-exp-huge":       json.RawMessage(`1e999999999`),
		"b-2pow256":        "115792089237316195423570985008687907853269984665640564039457.584007913129639936",
		"b-beyond-column":  "1" + strings.Repeat("0", 59),
		"b-over-precise":   "1.0000001",
		"b-long-digits":    strings.Repeat("9", 10_000),
		"b-long-exponent":  "1e" + strings.Repeat("9", 1_000),
		"b-tiny-exponent":  "1e-999999999",
		"b-negative-large": "-1e70",
	}
	for id, amount := range amounts {
		t.Run(id, func(t *testing.T) {
			start := time.Now()
			if err := h.Handle(t.Context(), signed(t, map[string]any{"request_id": id, "order_id": "order-" + id, "amount": amount})); err != nil {
				t.Fatal(err)
			}
			if took := time.Since(start); took > time.Second {
				t.Errorf("answered after %s, want within a second", took)
			}
			rows := outboxRows(t, gdb, "pay.order.return")
			last := rows[len(rows)-1]
			if err := v.Validate(proto.OrderReturnCreated, last.Body); err != nil {
				t.Fatalf("%s: %v", last.Body, err)
			}
			if m := decode(t, last.Body); m["request_id"] != id || m["status"].(float64) != 0 || m["error"] != contract.ErrInvalidAmount {
				t.Fatalf("answer %s, want status 0 and invalid_amount", last.Body)
			}
		})
	}
	var n int64
	if err := gdb.Raw("SELECT COUNT(*) FROM orders").Scan(&n).Error; err != nil || n != 0 {
		t.Fatalf("refused amounts opened %d orders (%v)", n, err)
	}
}
