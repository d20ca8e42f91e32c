package deposits_test

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"paysuite/pkg/broker"
	"paysuite/pkg/contract"
	"paysuite/pkg/events"
)

// TestConfirmedDepositRemoved: a removed event for a deposit already
// reported confirmed (a reorganisation deeper than the confirmation depth)
// sends no return, since a status 1 is never undone, leaves the deposit
// confirmed, and raises one confirmed_removed alert naming the deposit and
// its request; a redelivery of the event raises nothing more.
func TestConfirmedDepositRemoved(t *testing.T) {
	f := setup(t, 1)
	for _, d := range []broker.Delivery{f.event(t, 0, events.KindSeen, 1), f.event(t, 0, events.KindConfirmed, 2)} {
		if err := f.h.Handle(t.Context(), d); err != nil {
			t.Fatal(err)
		}
	}
	removed := f.event(t, 0, events.KindRemoved, 3)
	for range 2 {
		if err := f.h.Handle(t.Context(), removed); err != nil {
			t.Fatal(err)
		}
	}
	if got, want := reported(t, f.db), []string{"0:2", "0:1"}; !slices.Equal(got, want) {
		t.Fatalf("reported %v, want %v and nothing for the removal", got, want)
	}
	id := contract.DepositID("ETH", f.evs[0].TxHash, 0)
	if got := statuses(t, f.db)[id]; got != contract.StatusSuccess {
		t.Fatalf("deposit status %d, want it to stay confirmed", got)
	}
	var rows []struct {
		RoutingKey string
		MessageID  string
		Body       []byte
	}
	if err := f.db.Raw("SELECT routing_key, message_id, body FROM outbox WHERE routing_key LIKE 'internal.alert.%'").Scan(&rows).Error; err != nil {
		t.Fatal(err)
	}
	if len(rows) != 1 || rows[0].RoutingKey != events.AlertKey(events.AlertConfirmedRemoved) {
		t.Fatalf("alerts %+v, want one confirmed_removed", rows)
	}
	data, err := internal.Open(broker.Delivery{Body: rows[0].Body, RoutingKey: rows[0].RoutingKey})
	var a events.Alert
	if err != nil || json.Unmarshal(data, &a) != nil {
		t.Fatalf("alert not sealed: %v", err)
	}
	if a.Kind != events.AlertConfirmedRemoved || a.Key != id || a.Service != "topup" ||
		!strings.Contains(a.Message, id) || !strings.Contains(a.Message, "request_id r-1") {
		t.Fatalf("alert %+v", a)
	}
}
