package scanner_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/ethereum/go-ethereum/common"

	"paysuite/pkg/broker"
	"paysuite/pkg/events"
	"paysuite/pkg/outbox"
	"paysuite/services/chain-listener/internal/store"
)

// TestConfirmedTransferRemoved reorganises the chain deeper than the
// confirmation depth, under a transfer already reported confirmed: the
// scanner reports it removed to its owner (who keeps it confirmed and
// alerts with its request) and raises one confirmed_removed alert, in the
// transaction that moves the cursor back.
func TestConfirmedTransferRemoved(t *testing.T) {
	c := startBenchChain(t)
	l := newBenchListener(t, c, c.head()+1)
	to := benchAddresses("removed", 1)
	l.watch(to)
	if err := c.dev.Mine(10); err != nil { // room for the reorganisation above the token's deployment
		t.Fatal(err)
	}
	c.mineAll([]common.Hash{c.sendBatch(0, to, 0)})
	if err := c.dev.Mine(benchConfirmations + 5); err != nil {
		t.Fatal(err)
	}
	l.step()
	if n := l.countTransfers(store.StatusConfirmed); n != 1 {
		t.Fatalf("%d confirmed transfers, want 1", n)
	}
	if err := l.db.Exec("DELETE FROM outbox").Error; err != nil {
		t.Fatal(err)
	}
	if err := c.dev.Reorg(benchConfirmations + 10); err != nil {
		t.Fatal(err)
	}
	if err := c.dev.Mine(1); err != nil {
		t.Fatal(err)
	}
	l.step()

	var rows []outbox.Message
	if err := l.db.Order("id").Find(&rows).Error; err != nil {
		t.Fatal(err)
	}
	keys := testKeys(t)
	kinds := map[string]int{}
	for _, row := range rows {
		data, err := keys.Open(broker.Delivery{Body: row.Body, RoutingKey: row.RoutingKey})
		if err != nil {
			t.Fatalf("%s: %v", row.MessageID, err)
		}
		switch row.RoutingKey {
		case events.TransferKey(events.OwnerTopup):
			var ev events.Transfer
			if err := json.Unmarshal(data, &ev); err != nil || ev.Kind != events.KindRemoved || ev.To != strings.ToLower(to[0].Hex()) {
				t.Errorf("transfer event %s, %v", data, err)
			}
			kinds[ev.Kind]++
		case events.AlertKey(events.AlertConfirmedRemoved):
			var a events.Alert
			if err := json.Unmarshal(data, &a); err != nil || a.Key != "ETH" || !strings.Contains(a.Message, "1 transfer(s)") {
				t.Errorf("alert %s, %v", data, err)
			}
			kinds[a.Kind]++
		default:
			t.Errorf("unexpected message %s on %s", data, row.RoutingKey)
		}
	}
	if kinds[events.KindRemoved] != 1 || kinds[events.AlertConfirmedRemoved] != 1 {
		t.Fatalf("messages %v, want one removed event and one alert", kinds)
	}
	if n := l.countTransfers(store.StatusRemoved); n != 1 {
		t.Fatalf("%d removed transfers, want 1", n)
	}
}
