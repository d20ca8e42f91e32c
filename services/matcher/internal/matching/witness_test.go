package matching_test

import (
	"encoding/json"
	"strings"
	"testing"

	"paysuite/pkg/broker"
	"paysuite/pkg/events"
	"paysuite/pkg/service/servicetest"
	"paysuite/pkg/witness"
	"paysuite/services/matcher/internal/store"
)

// TestChainContradictsPayment: a confirmed transfer event for an open order,
// sealed correctly (as a compromised listener would send it) but false about
// the chain in one field, is never reported paid status 1 nor counted
// towards the order: it is dead-lettered with the reason and raises an
// operator alert. The genuine event still settles the order.
func TestChainContradictsPayment(t *testing.T) {
	for _, c := range servicetest.Contradictions("10000000000") {
		t.Run(c.Name, func(t *testing.T) {
			f := newFixture(t)
			a := addr("9")
			f.order("w", a, store.ModeAddress, "10000000", "10000000")
			f.apply(events.KindSeen, a, "real", "10000000", 1)
			f.expect(pending("10"))

			forged := f.transfer("real", a, "10000000")
			forged.Kind, forged.Sequence = events.KindConfirmed, 2
			c.Change(&forged)
			body, err := json.Marshal(forged)
			if err != nil {
				t.Fatal(err)
			}
			err = f.h.Handle(t.Context(), broker.Delivery{Body: body})
			if reason, poison := broker.IsPoison(err); !poison || !strings.Contains(reason, "not on chain as claimed") {
				t.Fatalf("contradicted event: %v, want it dead-lettered with the reason", err)
			}
			msgs := f.expect(events.AlertKey(witness.AlertNotOnChain))
			data, err := internal.Open(broker.Delivery{Body: msgs[0].body, RoutingKey: msgs[0].key})
			var alert events.Alert
			if err != nil || json.Unmarshal(data, &alert) != nil || alert.Service != "matcher" {
				t.Fatalf("alert %s: %v", msgs[0].body, err)
			}
			if st, _ := f.state("w"); st != store.StateOpen {
				t.Fatalf("order %s after a contradicted confirmation", st)
			}

			f.apply(events.KindConfirmed, a, "real", "10000000", 2)
			f.expect(success("10"))
			if st, _ := f.state("w"); st != store.StatePaid {
				t.Fatalf("order %s after its genuine confirmation", st)
			}
		})
	}
}
