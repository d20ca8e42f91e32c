package e2e

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"paysuite/pkg/events"
)

// TestOrderAmountModeTwoReplicas opens 200 amount-mode orders at once, spread
// over two matcher replicas: every payable amount on the shared address is
// distinct. 20 of them (every tenth) are then paid on chain with their exact
// payable amount, and each payment is matched to its own order.
func TestOrderAmountModeTwoReplicas(t *testing.T) { orderAmountModeTwoReplicas(t, NewSuite(t)) }

// orderAmountModeTwoReplicas is TestOrderAmountModeTwoReplicas on s.
func orderAmountModeTwoReplicas(t *testing.T, s *Suite) {
	c := s.runOrders("matcher-a", "matcher-b")
	const n, paidEvery = 200, 10
	reqs := make([]map[string]any, n)
	for i := range reqs {
		reqs[i] = map[string]any{"request_id": fmt.Sprintf("amt-%03d", i), "order_id": fmt.Sprintf("shop-amt-%03d", i),
			"amount": "10", "mode": "amount", "expires_in": 3600}
	}
	s.publishSigned(orderKey, reqs)
	msgs := c.WaitFor(t, "200 created", wait, func(ms []Message) bool {
		return len(distinctOrder(Find(ms, func(m Message) bool { return m.Str("event") == "created" }))) >= n
	})
	created := map[string]Message{}
	owner := map[string]string{} // pay_amount -> request_id
	shared := ""
	for _, m := range distinctOrder(Find(msgs, func(m Message) bool { return m.Str("event") == "created" })) {
		s.CheckReturn("order.return.created", m)
		id := m.Str("request_id")
		if m.Num("status") != 1 || m.Str("mode") != "amount" || m.Str("amount") != "10" {
			t.Fatalf("created: %s", m.Body)
		}
		if shared == "" {
			shared = m.Str("pay_address")
		}
		if m.Str("pay_address") != shared {
			t.Fatalf("%s pays to %s, not the shared %s", id, m.Str("pay_address"), shared)
		}
		if other, dup := owner[m.Str("pay_amount")]; dup {
			t.Fatalf("pay_amount %s given to %s and %s", m.Str("pay_amount"), other, id)
		}
		owner[m.Str("pay_amount")] = id
		created[id] = m
	}
	for k := range n {
		want := strings.TrimSuffix(strings.TrimRight(fmt.Sprintf("%d.%02d", 10+k/100, k%100), "0"), ".")
		if _, ok := owner[want]; !ok {
			t.Fatalf("pay_amount %s (offset %d) unused: offsets are not the smallest ones", want, k)
		}
	}
	for i, opened := range s.LogLines("matcher", `"order opened"`) {
		if opened == 0 {
			t.Errorf("matcher replica %d opened no order: both replicas should take part", i)
		}
	}

	txs := map[string]string{} // request_id -> tx hash
	for i := 0; i < n; i += paidEvery {
		id := fmt.Sprintf("amt-%03d", i)
		txs[id] = strings.ToLower(s.SendUSDT(1+(i/paidEvery)%9, shared, created[id].Str("pay_amount")).Hex())
	}
	s.Mine(1)
	for id := range txs {
		waitOrder(t, c, "seen payment of "+id, 1, paidOf(id, 2))
	}
	s.Mine(confirmations)
	for id, tx := range txs {
		m := waitOrder(t, c, "confirmed payment of "+id, 1, paidOf(id, 1))[0]
		if m.Str("tx_hash") != tx || m.Str("paid_amount") != created[id].Str("pay_amount") || m.Fields["late"] != false {
			t.Fatalf("payment of %s: %s", id, m.Body)
		}
	}
	all := c.All()
	if got := len(distinctOrder(Find(all, func(m Message) bool { return m.Str("event") == "paid" }))); got != 2*len(txs) {
		t.Fatalf("%d distinct paid returns, want %d: a payment was matched to another order", got, 2*len(txs))
	}
	checkOrderReturns(t, s, all)
}

// TestOrderPayments covers, in address mode, a payment split over two
// transfers, an underpaid order that expires, an overpaid one and a payment
// arriving after expiry.
func TestOrderPayments(t *testing.T) { orderPayments(t, NewSuite(t)) }

// orderPayments is TestOrderPayments on s.
func orderPayments(t *testing.T, s *Suite) {
	c := s.runOrders("matcher")
	const expiresIn = 15
	split := openOrder(t, s, c, map[string]any{"request_id": "ord-split", "order_id": "o-split", "amount": "10", "expires_in": expiresIn})
	under := openOrder(t, s, c, map[string]any{"request_id": "ord-under", "order_id": "o-under", "amount": "10", "expires_in": expiresIn})
	over := openOrder(t, s, c, map[string]any{"request_id": "ord-over", "order_id": "o-over", "amount": "10", "expires_in": expiresIn})
	late := openOrder(t, s, c, map[string]any{"request_id": "ord-late", "order_id": "o-late", "amount": "5", "expires_in": 1})
	addrs := map[string]bool{}
	for _, m := range []Message{split, under, over, late} {
		if m.Str("mode") != "address" || m.Str("pay_amount") != m.Str("amount") || addrs[m.Str("pay_address")] {
			t.Fatalf("created: %s", m.Body)
		}
		addrs[m.Str("pay_address")] = true
	}

	s.SendUSDT(1, split.Str("pay_address"), "4")
	s.SendUSDT(2, split.Str("pay_address"), "6")
	s.SendUSDT(3, under.Str("pay_address"), "3")
	s.SendUSDT(4, over.Str("pay_address"), "12.5")
	s.Mine(1)
	seenSplit := waitOrder(t, c, "two seen payments of ord-split", 2, paidOf("ord-split", 2))
	seenUnder := waitOrder(t, c, "seen payment of ord-under", 1, paidOf("ord-under", 2))[0]
	seenOver := waitOrder(t, c, "seen payment of ord-over", 1, paidOf("ord-over", 2))[0]
	s.Mine(confirmations)
	waitOrder(t, c, "two confirmed payments of ord-split", 2, paidOf("ord-split", 1))
	waitOrder(t, c, "confirmed payment of ord-under", 1, paidOf("ord-under", 1))
	waitOrder(t, c, "confirmed payment of ord-over", 1, paidOf("ord-over", 1))

	parts := map[string]bool{}
	for _, m := range seenSplit {
		parts[m.Str("paid_amount")] = true
	}
	if !parts["4"] || !parts["6"] {
		t.Fatalf("split payment reported as %v, want 4 and 6", parts)
	}
	if seenUnder.Str("paid_amount") != "3" || seenOver.Str("paid_amount") != "12.5" || seenOver.Str("pay_amount") != "10" {
		t.Fatalf("partial or excess payment:\n%s\n%s", seenUnder.Body, seenOver.Body)
	}

	// The order with a one-second expiry expired unpaid; paying it now is
	// reported, late.
	expiredLate := waitOrder(t, c, "ord-late expired", 1, returnOf("ord-late", "expired"))[0]
	if expiredLate.Str("paid_amount") != "0" || expiredLate.Str("error") != "expired" {
		t.Fatalf("expired: %s", expiredLate.Body)
	}
	lateTx := strings.ToLower(s.SendUSDT(5, late.Str("pay_address"), "5").Hex())
	s.Mine(1)
	s.Mine(confirmations)
	for _, status := range []int64{2, 1} {
		m := waitOrder(t, c, fmt.Sprintf("late payment status %d", status), 1, paidOf("ord-late", status))[0]
		if m.Fields["late"] != true || m.Str("tx_hash") != lateTx || m.Str("paid_amount") != "5" {
			t.Fatalf("late payment: %s", m.Body)
		}
	}

	// At expiry the underpaid order expires with what arrived; the paid ones,
	// due at the same time, do not.
	expired := waitOrder(t, c, "ord-under expired", 1, returnOf("ord-under", "expired"))[0]
	if expired.Str("paid_amount") != "3" || expired.Str("pay_amount") != "10" {
		t.Fatalf("expired: %s", expired.Body)
	}
	if expired.At.Unix() < under.Num("expires_at") {
		t.Fatalf("expired at %s, before expires_at %d", expired.At, under.Num("expires_at"))
	}
	waitExpiryPass(t, s, c)
	for _, id := range []string{"ord-split", "ord-over"} {
		if got := Find(c.All(), returnOf(id, "expired")); len(got) > 0 {
			t.Fatalf("a paid order expired: %s", got[0].Body)
		}
	}
	for _, m := range Find(c.All(), func(m Message) bool { return m.Str("event") == "paid" && m.Str("request_id") != "ord-late" }) {
		if m.Fields["late"] != false {
			t.Fatalf("a timely payment is late: %s", m.Body)
		}
	}
	checkOrderReturns(t, s, c.All())
}

// waitExpiryPass waits until the matcher's expiry loop has run after every
// order of the test came due: an order created now with a one-second expiry
// expires, and the loop handles due orders oldest first.
func waitExpiryPass(t *testing.T, s *Suite, c *Collector) {
	t.Helper()
	id := fmt.Sprintf("probe-%d", time.Now().UnixNano())
	openOrder(t, s, c, map[string]any{"request_id": id, "order_id": id, "amount": "1", "expires_in": 1})
	waitOrder(t, c, "probe expired", 1, returnOf(id, "expired"))
}

// TestOrderReorg: a payment seen and then removed by a reorganisation stops
// counting. Its seen return (status 2, not final) is never confirmed, the order
// expires with paid_amount "0", and operators get an alert.
func TestOrderReorg(t *testing.T) { orderReorg(t, NewSuite(t)) }

// orderReorg is TestOrderReorg on s.
func orderReorg(t *testing.T, s *Suite) {
	c := s.runOrders("matcher")
	alerts := s.Collect(alertQueue)
	o := openOrder(t, s, c, map[string]any{"request_id": "ord-reorg", "order_id": "o-reorg", "amount": "7", "expires_in": 6})
	tx := strings.ToLower(s.SendUSDT(1, o.Str("pay_address"), "7").Hex())
	s.Mine(1)
	seen := waitOrder(t, c, "seen payment", 1, paidOf("ord-reorg", 2))[0]
	if seen.Str("tx_hash") != tx {
		t.Fatalf("seen: %s", seen.Body)
	}
	if err := s.Chain.Reorg(1); err != nil {
		t.Fatal(err)
	}
	s.Mine(1) // the listener notices the new fork when the chain moves on
	alerts.WaitFor(t, "payment_reorged alert", wait, func(ms []Message) bool {
		return len(Find(ms, func(m Message) bool { return m.Str("kind") == "payment_reorged" && m.Str("key") == "ord-reorg" })) > 0
	})
	undone := waitOrder(t, c, "payment undone", 1, paidOf("ord-reorg", 0))[0]
	if undone.Str("error") != "reorged" || undone.Str("tx_hash") != tx {
		t.Fatalf("payment removed by the reorg answered %s", undone.Body)
	}
	s.Mine(confirmations + 1)
	expired := waitOrder(t, c, "expired", 1, returnOf("ord-reorg", "expired"))[0]
	if expired.Str("paid_amount") != "0" {
		t.Fatalf("a removed payment still counts: %s", expired.Body)
	}
	if got := Find(c.All(), paidOf("ord-reorg", 1)); len(got) > 0 {
		t.Fatalf("a removed payment was confirmed: %s", got[0].Body)
	}
	checkOrderReturns(t, s, c.All())
}

// TestOrderRequestsAndUnmatched: a repeated request_id gets the same answer
// byte for byte, an order_id reused by another request is refused, invalid
// requests are refused or dead-lettered, and a transfer that matches no order
// is kept and reported to operators.
func TestOrderRequestsAndUnmatched(t *testing.T) {
	s, c := startOrders(t, "matcher")
	alerts := s.Collect(alertQueue)
	dead := s.Collect(deadQueue)
	first := openOrder(t, s, c, map[string]any{"request_id": "req-1", "order_id": "o-1", "amount": 2, "mode": "amount"})
	s.Publish(orderKey, map[string]any{"request_id": "req-1", "order_id": "o-other", "amount": "99"})
	again := c.WaitFor(t, "second answer", wait, func(ms []Message) bool { return len(Find(ms, returnOf("req-1", "created"))) >= 2 })
	if second := Find(again, returnOf("req-1", "created"))[1]; string(second.Body) != string(first.Body) {
		t.Fatalf("repeated request answered differently:\n%s\n%s", first.Body, second.Body)
	}
	for _, tc := range []struct {
		fields map[string]any
		code   string
	}{
		{map[string]any{"request_id": "req-2", "order_id": "o-1", "amount": "2"}, "request_conflict"},
		{map[string]any{"request_id": "req-3", "order_id": "o-3", "amount": "-1"}, "invalid_amount"},
		{map[string]any{"request_id": "req-4", "order_id": "o-4", "amount": "1", "mode": "cheap"}, "invalid_request"},
		{map[string]any{"request_id": "req-5", "order_id": "o-5", "amount": "1", "symbol": "DAI"}, "unknown_token"},
	} {
		id := tc.fields["request_id"].(string)
		s.Publish(orderKey, tc.fields)
		m := waitOrder(t, c, "refusal of "+id, 1, returnOf(id, "created"))[0]
		s.CheckReturn("order.return.created", m)
		if m.Num("status") != 0 || m.Str("error") != tc.code {
			t.Fatalf("%s answered %s, want %s", id, m.Body, tc.code)
		}
	}
	s.PublishRaw(orderKey, []byte("not json"))
	dead.WaitFor(t, "dead letter", wait, func(ms []Message) bool { return len(ms) >= 1 })

	// 2.01 is nobody's payable amount on the shared address.
	tx := strings.ToLower(s.SendUSDT(1, first.Str("pay_address"), "2.01").Hex())
	s.Mine(1)
	msgs := alerts.WaitFor(t, "unmatched transfer alert", wait, func(ms []Message) bool {
		return len(Find(ms, func(m Message) bool { return m.Str("kind") == "unmatched_transfer" })) > 0
	})
	var al events.Alert
	if err := json.Unmarshal(Find(msgs, func(m Message) bool { return m.Str("kind") == "unmatched_transfer" })[0].Body, &al); err != nil {
		t.Fatal(err)
	}
	if al.Key != first.Str("pay_address") || !strings.Contains(al.Message, tx) || !strings.Contains(al.Message, "2.01 USDT") {
		t.Fatalf("alert: %+v", al)
	}
	if got := Find(c.All(), func(m Message) bool { return m.Str("event") == "paid" }); len(got) > 0 {
		t.Fatalf("an unmatched transfer was reported as a payment: %s", got[0].Body)
	}
	checkOrderReturns(t, s, c.All())
}
