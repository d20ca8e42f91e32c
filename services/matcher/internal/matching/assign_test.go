package matching_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"gorm.io/gorm"

	"paysuite/pkg/contract"
	"paysuite/pkg/events"
	"paysuite/services/matcher/internal/matching"
	"paysuite/services/matcher/internal/store"
)

// unmatched records a confirmed transfer that matched no order, as the
// handler records one, with a made-up transaction: an assignment reads the
// record, never the chain.
func (f *fixture) unmatched(n int, chain, symbol, amount, state string) string {
	f.t.Helper()
	tx := fmt.Sprintf("0x%064x", 0xa55+n)
	id := contract.DepositID(chain, tx, 0)
	err := f.db.Transaction(func(db *gorm.DB) error {
		return store.SaveUnmatched(db, store.Unmatched{TransferID: id, Chain: chain, Symbol: symbol, Token: addr("7"),
			ToAddress: shared, FromAddress: addr("6"), TxHash: tx, Amount: amount, BlockNumber: 5, State: state, Seq: 2,
			Reason: "no amount-mode order has this payable amount"})
	})
	if err != nil {
		f.t.Fatal(err)
	}
	return id
}

func (f *fixture) assign(transfer, order string, force bool) (*matching.Assigned, error) {
	return f.h.Assign(f.t.Context(), matching.Assignment{TransferID: transfer, Order: order, By: "alice",
		Reason: "the customer sent 4.99 instead of 5", Force: force})
}

// TestAssignToExpiredOrder: a confirmed unmatched transfer assigned to an
// expired order is reported paid, pending then confirmed, late, with the
// operator's note, once; a second assignment is refused and reports
// nothing; the transfer's later events are the payment's.
func TestAssignToExpiredOrder(t *testing.T) {
	f := newFixture(t)
	f.order("exp", addr("1"), store.ModeAddress, "5000000", "5000000")
	f.apply(events.KindSeen, shared, "u", "4990000", 1)
	f.expect(unmatchedKey())
	id := contract.DepositID("ETH", f.txh("u"), f.paid["u"].LogIndex)
	if _, err := f.assign(id, "exp", false); !errors.Is(err, matching.ErrNotConfirmed) {
		t.Fatalf("assigning a transfer only seen: %v", err)
	}
	f.apply(events.KindConfirmed, shared, "u", "4990000", 2)
	f.none()
	f.pastDue("exp")
	f.expire()
	f.expect("expired/0/0")

	done, err := f.assign(id, "o-exp", false) // by order_id
	if err != nil {
		t.Fatal(err)
	}
	if done.RequestID != "exp" || !done.Late || done.State != store.StateExpired || fmt.Sprint(done.Statuses) != "[2 1]" {
		t.Fatalf("assigned: %+v", done)
	}
	msgs := f.expect(pending("4.99")+"/late", success("4.99")+"/late")
	for _, m := range msgs {
		if m.fields["message"] != matching.AssignedNote || m.fields["tx_hash"] != f.txh("u") {
			t.Fatalf("paid return of an assigned transfer: %s", m.body)
		}
	}
	var a store.Assignment
	if err := f.db.Raw("SELECT * FROM assignments WHERE transfer_id = ?", id).Scan(&a).Error; err != nil ||
		a.By != "alice" || !strings.Contains(a.Reason, "4.99") || a.Forced || a.CreatedAt.IsZero() {
		t.Fatalf("assignment recorded %+v: %v", a, err)
	}

	_, err = f.assign(id, "exp", false)
	if !errors.Is(err, matching.ErrAlreadyAssigned) || !strings.Contains(err.Error(), "alice") {
		t.Fatalf("second assignment: %v", err)
	}
	f.none()

	// The listener's events of the transfer now go to the payment: a
	// redelivery is stale, a removal of the confirmed payment alerts.
	f.apply(events.KindConfirmed, shared, "u", "4990000", 2)
	f.none()
	f.apply(events.KindRemoved, shared, "u", "4990000", 3)
	f.expect(confirmedRemoved())
	if st, _ := f.state("exp"); st != store.StateExpired {
		t.Fatalf("expired order became %s", st)
	}
}

// TestAssignToOpenOrder: a transfer that covers an open order assigned to it
// pays it, in time.
func TestAssignToOpenOrder(t *testing.T) {
	f := newFixture(t)
	f.order("open", addr("2"), store.ModeAddress, "10000000", "10000000")
	id := f.unmatched(1, "ETH", "USDT", "10000000", store.PaymentConfirmed)
	done, err := f.assign(id, "open", false)
	if err != nil || done.Late || done.State != store.StatePaid {
		t.Fatalf("assigned %+v: %v", done, err)
	}
	f.expect(pending("10"), success("10"))
}

// TestAssignRefusals: what an assignment refuses changes nothing, and a
// paid order takes a transfer only when forced, as an excess payment.
func TestAssignRefusals(t *testing.T) {
	f := newFixture(t)
	f.order("x", addr("3"), store.ModeAddress, "5000000", "5000000")
	f.order("o-x", addr("4"), store.ModeAddress, "5000000", "5000000") // its request_id is x's order_id
	f.order("paid", addr("5"), store.ModeAddress, "5000000", "5000000")
	f.apply(events.KindConfirmed, addr("5"), "p", "5000000", 2)
	f.expect(pending("5"), success("5"))

	ok := f.unmatched(1, "ETH", "USDT", "1000000", store.PaymentConfirmed)
	for _, tt := range []struct {
		name, transfer, order, by, reason string
		want                              error
	}{
		{"unknown transfer", "ETH:0x" + strings.Repeat("0", 64) + ":0", "x", "alice", "r", matching.ErrUnknownTransfer},
		{"seen only", f.unmatched(2, "ETH", "USDT", "1000000", store.PaymentSeen), "x", "alice", "r", matching.ErrNotConfirmed},
		{"removed", f.unmatched(3, "ETH", "USDT", "1000000", store.PaymentRemoved), "x", "alice", "r", matching.ErrNotConfirmed},
		{"unknown order", ok, "nope", "alice", "r", matching.ErrUnknownOrder},
		{"ambiguous order", ok, "o-x", "alice", "r", matching.ErrAmbiguousOrder},
		{"other chain", f.unmatched(4, "BSC", "USDT", "1000000", store.PaymentConfirmed), "x", "alice", "r", matching.ErrNotPayable},
		{"other token", f.unmatched(5, "ETH", "DAI", "1000000", store.PaymentConfirmed), "x", "alice", "r", matching.ErrNotPayable},
		{"paid order", ok, "paid", "alice", "r", matching.ErrOrderPaid},
		{"nobody", ok, "x", " ", "r", matching.ErrInvalidOperation},
		{"no reason", ok, "x", "alice", "", matching.ErrInvalidOperation},
		{"long name", ok, "x", strings.Repeat("a", matching.MaxAssignedByLen+1), "r", matching.ErrInvalidOperation},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := f.h.Assign(t.Context(), matching.Assignment{TransferID: tt.transfer, Order: tt.order, By: tt.by, Reason: tt.reason})
			if !errors.Is(err, tt.want) {
				t.Fatalf("got %v, want %v", err, tt.want)
			}
		})
	}
	f.none()
	if n := f.count("SELECT COUNT(*) FROM assignments"); n != 0 {
		t.Fatalf("%d assignments after refusals", n)
	}

	done, err := f.assign(ok, "paid", true)
	if err != nil || done.State != store.StatePaid {
		t.Fatalf("forced onto a paid order: %+v %v", done, err)
	}
	f.expect(pending("1"), success("1"))
	if n := f.count("SELECT COUNT(*) FROM assignments WHERE transfer_id = ? AND forced = 1", ok); n != 1 {
		t.Fatal("the forced assignment is not recorded as forced")
	}
}

func (f *fixture) count(query string, args ...any) int64 {
	f.t.Helper()
	var n int64
	if err := f.db.Raw(query, args...).Scan(&n).Error; err != nil {
		f.t.Fatal(err)
	}
	return n
}
