package matching_test

import (
	"encoding/json"
	"fmt"
	"math/big"
	"strings"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/rs/zerolog"
	"gorm.io/gorm"

	"paysuite/pkg/broker"
	"paysuite/pkg/contract"
	"paysuite/pkg/db/dbtest"
	"paysuite/pkg/events"
	"paysuite/pkg/service/servicetest"
	"paysuite/pkg/sign"
	"paysuite/pkg/witness"
	"paysuite/pkg/witness/witnesstest"
	"paysuite/proto"
	"paysuite/services/matcher/internal/expiry"
	"paysuite/services/matcher/internal/matching"
	"paysuite/services/matcher/internal/store"
)

const (
	secret = "test-secret"
	shared = "0x00000000000000000000000000000000000000aa"
)

// depth is the confirmation depth of the tests.
const depth = 2

var internal = servicetest.MustKeys("matcher-internal-secret")

type fixture struct {
	t      *testing.T
	db     *gorm.DB
	h      *matching.Handler
	exp    *expiry.Expirer
	v      *proto.Validator
	chain  *witnesstest.Chain
	paid   map[string]events.Transfer // real transfers by the tests' label
	cursor uint64                     // outbox rows already looked at
}

func newFixture(t *testing.T) *fixture {
	gdb := dbtest.Open(t, store.Migrations())
	st := store.New(gdb)
	sealer := sign.Sealer{Secret: []byte(secret)}
	v, err := proto.NewValidator()
	if err != nil {
		t.Fatal(err)
	}
	chain := witnesstest.Start(t)
	return &fixture{t: t, db: gdb, v: v, chain: chain, paid: map[string]events.Transfer{},
		h: &matching.Handler{Store: st, Names: contract.DefaultNames(), SharedAddress: shared, Sealer: sealer,
			Witnesses: map[string]*witness.Witness{"ETH": chain.Witness(depth)}, Internal: internal, Log: zerolog.Nop(), OnCommit: func() {}},
		exp: &expiry.Expirer{Store: st, Names: contract.DefaultNames(), Sealer: sealer, Log: zerolog.Nop(),
			Interval: time.Second, Batch: 10},
	}
}

// order opens an order paying amount (base units of a 6-decimal token).
func (f *fixture) order(requestID, address, mode, amount, payAmount string) {
	f.t.Helper()
	a, _ := new(big.Int).SetString(amount, 10)
	p, _ := new(big.Int).SetString(payAmount, 10)
	err := f.db.Transaction(func(tx *gorm.DB) error {
		_, _, err := store.InsertOrder(tx, store.NewOrder{RequestID: requestID, OrderID: "o-" + requestID, Chain: "ETH",
			Symbol: "USDT", Decimals: 6, Amount: a, PayAddress: address, PayAmount: p, Mode: mode, ExpiresIn: 900})
		return err
	})
	if err != nil {
		f.t.Fatal(err)
	}
}

// pastDue moves an order's expiry into the past on the database clock.
func (f *fixture) pastDue(requestID string) {
	f.t.Helper()
	if err := f.db.Exec("UPDATE orders SET expires_at = NOW(6) - INTERVAL 1 SECOND WHERE request_id = ?", requestID).Error; err != nil {
		f.t.Fatal(err)
	}
}

// transfer is the real transfer the tests call label: amount base units to
// to, paid on chain (deep enough to confirm) the first time it is named.
func (f *fixture) transfer(label, to, amount string) events.Transfer {
	f.t.Helper()
	if ev, ok := f.paid[label]; ok {
		return ev
	}
	units, ok := new(big.Int).SetString(amount, 10)
	if !ok {
		f.t.Fatalf("amount %s", amount)
	}
	ev := f.chain.Pay([]common.Address{common.HexToAddress(to)}, []int64{units.Int64()})[0]
	f.chain.Mine(depth - 1)
	f.paid[label] = ev
	return ev
}

// txh is the hash of the transaction of the transfer called label.
func (f *fixture) txh(label string) string { return f.paid[label].TxHash }

func (f *fixture) apply(kind, to, label string, amount string, seq uint64) {
	f.t.Helper()
	ev := f.transfer(label, to, amount)
	ev.Kind, ev.Sequence = kind, seq
	if err := f.h.Apply(f.t.Context(), ev); err != nil {
		f.t.Fatal(err)
	}
}

func (f *fixture) expire() {
	f.t.Helper()
	if _, err := f.exp.ExpireDue(f.t.Context()); err != nil {
		f.t.Fatal(err)
	}
}

type msg struct {
	key    string
	id     string // message_id
	body   []byte
	fields map[string]any
}

// news returns the outbox messages added since the last call.
func (f *fixture) news() []msg {
	f.t.Helper()
	var rows []struct {
		ID         uint64 `gorm:"column:id"`
		RoutingKey string `gorm:"column:routing_key"`
		MessageID  string `gorm:"column:message_id"`
		Body       []byte `gorm:"column:body"`
	}
	if err := f.db.Raw("SELECT id, routing_key, message_id, body FROM outbox WHERE id > ? ORDER BY id", f.cursor).Scan(&rows).Error; err != nil {
		f.t.Fatal(err)
	}
	var out []msg
	for _, r := range rows {
		f.cursor = r.ID
		m := msg{key: r.RoutingKey, id: r.MessageID, body: r.Body, fields: map[string]any{}}
		if err := json.Unmarshal(r.Body, &m.fields); err != nil {
			f.t.Fatal(err)
		}
		if r.RoutingKey == "pay.order.return" {
			schema := "order.return." + m.fields["event"].(string)
			if err := f.v.Validate(schema, r.Body); err != nil {
				f.t.Fatalf("%s: %v", r.Body, err)
			}
			fields, _ := sign.ParseFields(r.Body)
			if err := sign.Verify([]byte(secret), fields); err != nil {
				f.t.Fatalf("%s: %v", r.Body, err)
			}
		}
		out = append(out, m)
	}
	return out
}

// expect checks the returns since the last call, written "event/status/paid_amount[/late]".
func (f *fixture) expect(want ...string) []msg {
	f.t.Helper()
	var got []string
	msgs := f.news()
	for _, m := range msgs {
		if m.key != "pay.order.return" {
			got = append(got, m.key)
			continue
		}
		s := fmt.Sprintf("%s/%v/%v", m.fields["event"], m.fields["status"], m.fields["paid_amount"])
		if late, _ := m.fields["late"].(bool); late {
			s += "/late"
		}
		got = append(got, s)
	}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		f.t.Fatalf("messages:\n got  %v\n want %v", got, want)
	}
	return msgs
}

func (f *fixture) state(requestID string) (string, bool) {
	f.t.Helper()
	var row struct {
		State   string `gorm:"column:state"`
		Covered bool   `gorm:"column:covered"`
	}
	if err := f.db.Raw("SELECT state, covered FROM orders WHERE request_id = ?", requestID).Scan(&row).Error; err != nil {
		f.t.Fatal(err)
	}
	return row.State, row.Covered
}

func addr(c string) string     { return "0x" + strings.Repeat(c, 40) }
func alert() string            { return events.AlertKey(matching.AlertPaymentReorged) }
func confirmedRemoved() string { return events.AlertKey(events.AlertConfirmedRemoved) }
func unmatchedKey() string     { return events.AlertKey(matching.AlertUnmatchedTransfer) }
func (f *fixture) none()       { f.t.Helper(); f.expect() }
func pending(a string) string  { return "paid/2/" + a }
func success(a string) string  { return "paid/1/" + a }
func reorged(a string) string  { return "paid/0/" + a }

func TestSplitPayment(t *testing.T) {
	f := newFixture(t)
	a := addr("a")
	f.order("split", a, store.ModeAddress, "10000000", "10000000")
	f.apply(events.KindSeen, a, "1", "4000000", 1)
	f.expect(pending("4"))
	if st, cov := f.state("split"); st != store.StateOpen || cov {
		t.Fatalf("after 4 of 10: %s covered=%v", st, cov)
	}
	f.apply(events.KindSeen, a, "2", "6000000", 1)
	f.expect(pending("6"))
	if _, cov := f.state("split"); !cov {
		t.Fatal("4 + 6 seen does not cover 10")
	}
	f.pastDue("split")
	f.expire()
	f.none() // covered by seen transfers: it waits for their confirmation
	f.apply(events.KindConfirmed, a, "1", "4000000", 2)
	f.expect(success("4"))
	if st, _ := f.state("split"); st != store.StateOpen {
		t.Fatalf("paid with 4 of 10 confirmed: %s", st)
	}
	f.apply(events.KindConfirmed, a, "2", "6000000", 2)
	msgs := f.expect(success("6"))
	if msgs[0].fields["block_number"] == nil || msgs[0].fields["tx_hash"] != f.txh("2") {
		t.Fatalf("confirmed: %s", msgs[0].body)
	}
	if st, _ := f.state("split"); st != store.StatePaid {
		t.Fatalf("fully confirmed order is %s", st)
	}
}

func TestOverpaymentAndEventsAppliedOnce(t *testing.T) {
	f := newFixture(t)
	a := addr("b")
	f.order("over", a, store.ModeAddress, "10000000", "10000000")
	// The confirmation overtakes the sighting (two workers): pending is still
	// reported first, and the stale sighting changes nothing.
	f.apply(events.KindConfirmed, a, "3", "12500000", 2)
	f.expect(pending("12.5"), success("12.5"))
	f.apply(events.KindSeen, a, "3", "12500000", 1)
	f.apply(events.KindConfirmed, a, "3", "12500000", 2)
	f.none()
	if st, _ := f.state("over"); st != store.StatePaid {
		t.Fatalf("overpaid order is %s", st)
	}
	// A second payment after the order is paid is reported too, never dropped.
	f.apply(events.KindSeen, a, "4", "1000000", 1)
	f.expect(pending("1"))
}

func TestUnderpaidThenExpiredThenLate(t *testing.T) {
	f := newFixture(t)
	a := addr("c")
	f.order("under", a, store.ModeAddress, "10000000", "10000000")
	f.apply(events.KindSeen, a, "5", "3000000", 1)
	f.apply(events.KindConfirmed, a, "5", "3000000", 2)
	f.expect(pending("3"), success("3"))
	f.expire()
	f.none() // not due yet
	f.pastDue("under")
	f.expire()
	msgs := f.expect("expired/0/3")
	if msgs[0].fields["error"] != "expired" || msgs[0].fields["pay_amount"] != "10" {
		t.Fatalf("expired: %s", msgs[0].body)
	}
	f.expire()
	f.none() // expired once
	f.apply(events.KindSeen, a, "6", "7000000", 1)
	f.expect(pending("7") + "/late")
	f.apply(events.KindConfirmed, a, "6", "7000000", 2)
	f.expect(success("7") + "/late")
	if st, _ := f.state("under"); st != store.StateExpired {
		t.Fatalf("expired order became %s", st)
	}
}

// TestLateBeforeExpiryLoop: a payment arriving after expires_at but before the
// expiry loop ran is late, and does not save the order from expiring.
func TestLateBeforeExpiryLoop(t *testing.T) {
	f := newFixture(t)
	a := addr("d")
	f.order("late", a, store.ModeAddress, "10000000", "10000000")
	f.pastDue("late")
	f.apply(events.KindSeen, a, "7", "10000000", 1)
	f.expect(pending("10") + "/late")
	f.expire()
	f.expect("expired/0/0")
	f.apply(events.KindConfirmed, a, "7", "10000000", 2)
	f.expect(success("10") + "/late")
}

// TestReorgRemovesSeenPayment: a payment reported seen that a reorg removes
// is reported paid status 0 reorged, once however often the event comes, and
// stops counting; mined again, it is reported anew with returns of its own.
func TestReorgRemovesSeenPayment(t *testing.T) {
	f := newFixture(t)
	a := addr("e")
	f.order("reorg", a, store.ModeAddress, "10000000", "10000000")
	f.apply(events.KindSeen, a, "8", "10000000", 1)
	first := f.expect(pending("10"))[0]
	f.apply(events.KindRemoved, a, "8", "10000000", 2)
	msgs := f.expect(reorged("10"), alert())
	if msgs[0].fields["error"] != contract.ErrReorged || msgs[0].fields["tx_hash"] != f.txh("8") {
		t.Fatalf("reorged: %s", msgs[0].body)
	}
	f.apply(events.KindRemoved, a, "8", "10000000", 2) // redelivered
	f.apply(events.KindRemoved, a, "8", "10000000", 3) // reported again by the listener
	f.none()
	if st, cov := f.state("reorg"); st != store.StateOpen || cov {
		t.Fatalf("after removal: %s covered=%v", st, cov)
	}
	f.pastDue("reorg")
	f.expire()
	f.expect("expired/0/0")
	// Mined again: reported anew, late since the order expired without it.
	f.apply(events.KindSeen, a, "8", "10000000", 4)
	again := f.expect(pending("10") + "/late")[0]
	if again.id == first.id || again.id == msgs[0].id {
		t.Fatalf("the second pending return reuses message_id %s", again.id)
	}
	f.apply(events.KindConfirmed, a, "8", "10000000", 5)
	f.expect(success("10") + "/late")
}

// TestConfirmedPaymentIsNotUndone: status 1 is final, so a confirmed payment
// that a reorg removes gets no return and stays counted, but operators are
// alerted, once per event.
func TestConfirmedPaymentIsNotUndone(t *testing.T) {
	f := newFixture(t)
	a := addr("f")
	f.order("deep", a, store.ModeAddress, "10000000", "10000000")
	f.apply(events.KindConfirmed, a, "9", "10000000", 2)
	f.expect(pending("10"), success("10"))
	f.apply(events.KindRemoved, a, "9", "10000000", 3)
	msgs := f.expect(confirmedRemoved())
	data, err := internal.Open(broker.Delivery{Body: msgs[0].body, RoutingKey: msgs[0].key})
	var got events.Alert
	if err != nil || json.Unmarshal(data, &got) != nil || got.Kind != events.AlertConfirmedRemoved ||
		got.Service != "matcher" || !strings.Contains(got.Message, "o-deep") {
		t.Fatalf("alert %s: %v", msgs[0].body, err)
	}
	f.apply(events.KindRemoved, a, "9", "10000000", 3) // redelivered
	f.none()
	if st, _ := f.state("deep"); st != store.StatePaid {
		t.Fatalf("confirmed order became %s", st)
	}
}

func TestAmountModeMatching(t *testing.T) {
	f := newFixture(t)
	f.order("amt-1", shared, store.ModeAmount, "10000000", "10000000")
	f.order("amt-2", shared, store.ModeAmount, "10000000", "10010000")
	f.apply(events.KindSeen, shared, "a", "10010000", 1)
	msgs := f.expect(pending("10.01"))
	if msgs[0].fields["request_id"] != "amt-2" {
		t.Fatalf("10.01 matched to %s", msgs[0].fields["request_id"])
	}
	f.apply(events.KindSeen, shared, "b", "10020000", 1)
	f.expect(unmatchedKey())
	f.apply(events.KindConfirmed, shared, "b", "10020000", 2)
	f.none()
	var un []store.Unmatched
	if err := f.db.Raw("SELECT * FROM unmatched_transfers").Scan(&un).Error; err != nil {
		t.Fatal(err)
	}
	if len(un) != 1 || un[0].Amount != "10020000" || un[0].State != store.PaymentConfirmed || un[0].TxHash != f.txh("b") {
		t.Fatalf("unmatched transfers: %+v", un)
	}
	// A late payment of an expired amount-mode order still finds it.
	f.pastDue("amt-1")
	f.expire()
	f.expect("expired/0/0")
	f.apply(events.KindSeen, shared, "c", "10000000", 1)
	msgs = f.expect(pending("10") + "/late")
	if msgs[0].fields["request_id"] != "amt-1" {
		t.Fatalf("late 10 matched to %s", msgs[0].fields["request_id"])
	}
}

// TestOrderOnEveryChain: an order payable on ETH and BSC ("*", amounts in
// the 6 decimals of ETH's USDT, BSC's having 18) counts a payment on either;
// its expired return names both chains. A transfer on a chain an order is not
// payable on matches nothing.
func TestOrderOnEveryChain(t *testing.T) {
	f := newFixture(t)
	a := addr("9")
	ten := big.NewInt(10000000)
	err := f.db.Transaction(func(tx *gorm.DB) error {
		_, _, err := store.InsertOrder(tx, store.NewOrder{RequestID: "any", OrderID: "o-any", Chain: store.AnyChain,
			Offers: []store.Offer{{Chain: "ETH", Decimals: 6}, {Chain: "BSC", Decimals: 18}}, Symbol: "USDT", Decimals: 6,
			Amount: ten, PayAddress: a, PayAmount: ten, Mode: store.ModeAddress, ExpiresIn: 900})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	f.apply(events.KindSeen, a, "eth", "4000000", 1)
	if msgs := f.expect(pending("4")); msgs[0].fields["chain"] != "ETH" {
		t.Fatalf("paid on ETH: %s", msgs[0].body)
	}
	f.pastDue("any")
	f.expire()
	msgs := f.expect("expired/0/4")
	if msgs[0].fields["chain"] != "*" || msgs[0].fields["chains"] != "ETH,BSC" {
		t.Fatalf("expired: %s", msgs[0].body)
	}

	f.order("eth-only", addr("8"), store.ModeAddress, "10000000", "10000000")
	ev := f.transfer("bsc", addr("8"), "10000000")
	ev.Chain = "BSC" // a sighting (not witnessed) on another chain
	if err := f.h.Apply(t.Context(), ev); err != nil {
		t.Fatal(err)
	}
	f.expect(unmatchedKey())
	if st, cov := f.state("eth-only"); st != store.StateOpen || cov {
		t.Fatalf("ETH order after a transfer on BSC: %s covered=%v", st, cov)
	}
}
