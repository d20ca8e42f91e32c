package scanner_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/ethereum/go-ethereum/common"

	"paysuite/pkg/broker"
	"paysuite/pkg/events"
	"paysuite/pkg/outbox"
)

// TestTransferEventsAreSealed scans a block holding transfers to two watched
// addresses of different owners on the development chain: every event the
// scanner writes to the outbox opens with the suite's keys under the routing
// key of its owner, and with nothing else.
func TestTransferEventsAreSealed(t *testing.T) {
	c := startBenchChain(t)
	l := newBenchListener(t, c, c.head()+1)
	to := benchAddresses("sealed", 2)
	l.watch(to[:1]) // topup's
	if err := l.db.Exec("INSERT INTO watched (chain, address, owner, backfill_pending) VALUES ('ETH', ?, 'matcher', 0)",
		strings.ToLower(to[1].Hex())).Error; err != nil {
		t.Fatal(err)
	}
	c.mineAll([]common.Hash{c.sendBatch(0, to, 0)})
	l.step()

	var rows []outbox.Message
	if err := l.db.Order("id").Find(&rows).Error; err != nil {
		t.Fatal(err)
	}
	if len(rows) != 2 {
		t.Fatalf("%d events in the outbox, want 2", len(rows))
	}
	keys := testKeys(t)
	outsider, err := events.NewKeys([]byte("not-the-internal-secret"))
	if err != nil {
		t.Fatal(err)
	}
	owners := map[string]string{}
	for _, row := range rows {
		if row.Exchange != events.Exchange {
			t.Errorf("event on exchange %q", row.Exchange)
		}
		d := broker.Delivery{Body: row.Body, RoutingKey: row.RoutingKey}
		data, err := keys.Open(d)
		if err != nil {
			t.Fatalf("event %s does not open with the suite's keys: %v", row.MessageID, err)
		}
		var ev events.Transfer
		if err := json.Unmarshal(data, &ev); err != nil {
			t.Fatal(err)
		}
		if ev.Kind != events.KindSeen || ev.Amount != "1" || ev.Chain != "ETH" {
			t.Errorf("event %s: %+v", row.MessageID, ev)
		}
		owners[ev.To] = strings.TrimPrefix(row.RoutingKey, events.TransferKey(""))
		if _, err := outsider.Open(d); err == nil {
			t.Errorf("event %s opens with another secret", row.MessageID)
		}
		other := events.TransferKey(events.OwnerPay)
		if _, err := keys.Open(broker.Delivery{Body: row.Body, RoutingKey: other}); err == nil {
			t.Errorf("event %s opens under %s", row.MessageID, other)
		}
	}
	want := map[string]string{strings.ToLower(to[0].Hex()): events.OwnerTopup, strings.ToLower(to[1].Hex()): events.OwnerMatcher}
	for addr, owner := range want {
		if owners[addr] != owner {
			t.Errorf("event for %s routed to %q, want %q", addr, owners[addr], owner)
		}
	}
}
