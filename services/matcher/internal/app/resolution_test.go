package app_test

import (
	"bytes"
	"math/big"
	"strings"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"

	"paysuite/pkg/contract"
	"paysuite/pkg/service/servicetest"
	"paysuite/pkg/witness/witnesstest"
	"paysuite/services/matcher/internal/matching"
	"paysuite/services/matcher/internal/operator"
)

// TestOperatorAssignsUnmatchedTransfer: a payer sends 4.99 instead of 5 to
// the shared address, which no order is payable with; the order expires.
// matcher unmatched lists the transfer; matcher assign gives it to the
// expired order, whose paid returns (pending then confirmed, late) and their
// webhooks follow from the running service, once: a second assignment exits
// 1 and reports nothing, nor does the listener's redelivery of the
// transfer, so the next return and webhook are those of a new order.
func TestOperatorAssignsUnmatchedTransfer(t *testing.T) {
	s := start(t)
	order := func(id string, expiresIn int) map[string]any {
		return map[string]any{"request_id": id, "order_id": "o-" + id, "amount": "5", "mode": "amount",
			"expires_in": expiresIn, "callback_url": hook}
	}
	s.Request(order("u-1", 1), s.Secret, time.Now())
	created := s.Expect("u-1", contract.EventCreated, contract.StatusSuccess, "")
	s.Webhook(created, hook)
	if created.Str("pay_amount") != "5" {
		t.Fatalf("created %s, want pay_amount 5", created.Body)
	}
	ev := s.Chain.PayExact([]common.Address{common.HexToAddress(created.Str("pay_address"))}, []*big.Int{big.NewInt(4_990_000)})[0]
	s.Transfer(s.Keys, ev)
	if a := s.Alert(); a.Kind != matching.AlertUnmatchedTransfer {
		t.Fatalf("alert %+v, want an unmatched transfer", a)
	}
	s.Webhook(s.Expect("u-1", contract.EventExpired, contract.StatusFailed, contract.ErrExpired), hook)

	id := contract.DepositID("ETH", ev.TxHash, ev.LogIndex)
	matcher := func(args ...string) (code int, stdout, stderr string) {
		var out, errOut bytes.Buffer
		code = operator.Main(t.Context(), args, &out, &errOut)
		return code, out.String(), errOut.String()
	}
	if code, _, stderr := matcher("assign", id, "u-1", "--by", "alice", "--reason", "too early"); code != 1 ||
		!strings.Contains(stderr, "not confirmed") {
		t.Fatalf("assigning a transfer only seen: exit %d, %s", code, stderr)
	}
	s.Chain.Mine(depth - 1)
	s.Transfer(s.Keys, witnesstest.Confirmed(ev, depth))
	servicetest.Eventually(t, "the unmatched transfer confirmed", func() bool {
		return s.Count("SELECT COUNT(*) FROM unmatched_transfers WHERE transfer_id = ? AND state = 'confirmed'", id) == 1
	})

	code, list, _ := matcher("unmatched")
	if code != 0 || !strings.Contains(list, id) || !strings.Contains(list, " 4.99 ") || !strings.Contains(list, "confirmed") ||
		!strings.Contains(list, "no amount-mode order has this payable amount") {
		t.Fatalf("matcher unmatched: exit %d\n%s", code, list)
	}
	if _, list, _ := matcher("unmatched", "--chain", "BSC"); strings.Contains(list, id) {
		t.Fatalf("matcher unmatched --chain BSC lists a transfer on ETH:\n%s", list)
	}

	code, stdout, stderr := matcher("assign", id, "u-1", "--by", "alice", "--reason", "the customer sent 4.99 for order o-u-1")
	if code != 0 || !strings.Contains(stdout, "assigned "+id) {
		t.Fatalf("matcher assign: exit %d\n%s%s", code, stdout, stderr)
	}
	for _, status := range []int{contract.StatusPending, contract.StatusSuccess} {
		r := s.Expect("u-1", contract.EventPaid, status, "")
		if r.Str("paid_amount") != "4.99" || r.Str("tx_hash") != ev.TxHash || r.Str("late") != "true" ||
			r.Str("message") != matching.AssignedNote {
			t.Fatalf("paid return %s", r.Body)
		}
		s.Webhook(r, hook)
	}

	code, _, stderr = matcher("assign", id, "u-1", "--by", "bob", "--reason", "again")
	if code != 1 || !strings.Contains(stderr, "already assigned") || !strings.Contains(stderr, "alice") {
		t.Fatalf("second assignment: exit %d, %s", code, stderr)
	}
	s.Transfer(s.Keys, witnesstest.Confirmed(ev, depth)) // the listener redelivers it
	s.Request(order("u-2", 900), s.Secret, time.Now())
	s.Webhook(s.Expect("u-2", contract.EventCreated, contract.StatusSuccess, ""), hook)

	if _, list, _ := matcher("unmatched"); strings.Contains(list, id) {
		t.Fatalf("an assigned transfer is still listed:\n%s", list)
	}
	if _, list, _ := matcher("unmatched", "--all"); !strings.Contains(list, id) || !strings.Contains(list, "u-1 by alice") {
		t.Fatalf("matcher unmatched --all:\n%s", list)
	}
	if code, _, stderr := matcher("assign", id); code != 2 || !strings.Contains(stderr, "usage") {
		t.Fatalf("assign without an order: exit %d, %s", code, stderr)
	}
}
