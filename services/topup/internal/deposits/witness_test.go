package deposits_test

import (
	"encoding/json"
	"strings"
	"testing"

	"gorm.io/gorm"

	"paysuite/pkg/broker"
	"paysuite/pkg/events"
	"paysuite/pkg/service/servicetest"
	"paysuite/pkg/witness"
)

// TestChainContradictsEvent: a confirmed transfer event that is sealed
// correctly (as a compromised listener would send it) but false about the
// chain in one field is never reported: alone it is dead-lettered with the
// reason and an operator alert is raised; in a batch it fails the batch, and
// the broker's one-by-one pass credits the genuine events only.
func TestChainContradictsEvent(t *testing.T) {
	for _, c := range servicetest.Contradictions("1500000000") {
		t.Run(c.Name, func(t *testing.T) {
			f := setup(t, 2)
			forged := f.evs[1]
			forged.Kind, forged.Sequence = events.KindConfirmed, 2
			c.Change(&forged)
			bad := servicetest.Delivery(t, "", forged)
			genuine := f.event(t, 0, events.KindConfirmed, 2)

			if err := f.h.HandleBatch(t.Context(), []broker.Delivery{genuine, bad}); err == nil {
				t.Fatal("a batch holding a contradicted transfer was recorded")
			}
			if got := outboxKeys(t, f.db); len(got) != 0 {
				t.Fatalf("a failed batch wrote %v", got)
			}
			// As the broker does after a failed batch: each alone.
			if err := f.h.Handle(t.Context(), genuine); err != nil {
				t.Fatal(err)
			}
			err := f.h.Handle(t.Context(), bad)
			reason, poison := broker.IsPoison(err)
			if !poison || !strings.Contains(reason, "not on chain as claimed") {
				t.Fatalf("contradicted event: %v, want it dead-lettered with the reason", err)
			}
			if got := reported(t, f.db); strings.Join(got, " ") != "0:2 0:1" {
				t.Fatalf("reported %v, want only the genuine deposit pending then confirmed", got)
			}
			if got := statuses(t, f.db); len(got) != 1 {
				t.Fatalf("deposits %v, want only the genuine one", got)
			}
			alerts := alertsIn(t, f.db)
			if len(alerts) != 1 || alerts[0].Kind != witness.AlertNotOnChain || alerts[0].Service != "topup" {
				t.Fatalf("alerts %+v, want one %s", alerts, witness.AlertNotOnChain)
			}
		})
	}
}

// TestConfirmedWaitsForTheNode: a confirmed event the node cannot witness
// yet (not deep enough there) is retried later, with nothing recorded.
func TestConfirmedWaitsForTheNode(t *testing.T) {
	f := setup(t, 1)
	f.h.Witnesses["ETH"].Confirmations = depth + 5
	err := f.h.Handle(t.Context(), f.event(t, 0, events.KindConfirmed, 2))
	if _, poison := broker.IsPoison(err); err == nil || poison {
		t.Fatalf("%v, want an error that requeues the event", err)
	}
	if got := outboxKeys(t, f.db); len(got) != 0 {
		t.Fatalf("wrote %v", got)
	}
	f.chain.Mine(5)
	if err := f.h.Handle(t.Context(), f.event(t, 0, events.KindConfirmed, 2)); err != nil {
		t.Fatal(err)
	}
	if got := reported(t, f.db); strings.Join(got, " ") != "0:2 0:1" {
		t.Fatalf("reported %v", got)
	}
}

func outboxKeys(t *testing.T, gdb *gorm.DB) []string {
	t.Helper()
	var keys []string
	if err := gdb.Raw("SELECT routing_key FROM outbox ORDER BY id").Scan(&keys).Error; err != nil {
		t.Fatal(err)
	}
	return keys
}

// alertsIn opens the sealed operator alerts in the outbox.
func alertsIn(t *testing.T, gdb *gorm.DB) []events.Alert {
	t.Helper()
	var rows []struct {
		RoutingKey string
		Body       []byte
	}
	if err := gdb.Raw("SELECT routing_key, body FROM outbox WHERE routing_key LIKE 'internal.alert.%' ORDER BY id").Scan(&rows).Error; err != nil {
		t.Fatal(err)
	}
	out := make([]events.Alert, len(rows))
	for i, r := range rows {
		data, err := internal.Open(broker.Delivery{Body: r.Body, RoutingKey: r.RoutingKey})
		if err != nil {
			t.Fatalf("alert not sealed: %v", err)
		}
		if err := json.Unmarshal(data, &out[i]); err != nil {
			t.Fatal(err)
		}
	}
	return out
}
