package payouts

import (
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"slices"
	"testing"

	"github.com/ethereum/go-ethereum/common"

	"paysuite/pkg/broker"
	"paysuite/pkg/contract"
	"paysuite/pkg/db"
	"paysuite/pkg/events"
	"paysuite/pkg/money"
	"paysuite/pkg/outbox"
	"paysuite/pkg/payoutengine"
	"paysuite/pkg/request"
	"paysuite/pkg/sign"
	"paysuite/pkg/tokens"
	"paysuite/pkg/txsender"
	"paysuite/services/withdraw/internal/payouts/payoutstest"
	"paysuite/services/withdraw/internal/store"
)

// These tests run the engine against the real database, the in-process
// development chain and the real transaction sender.

// engine is one withdraw process's engine on the fixture's schema and key.
func engine(f *payoutstest.Fixture, name string) *Engine {
	f.T.Helper()
	log := f.Log(name)
	sealer := sign.Sealer{Secret: []byte(payoutstest.Secret)}
	names := contract.DefaultNames()
	hooks := &Hooks{Names: names, Sealer: sealer, Keys: f.Keys, Log: log, OnCommit: func() {}}
	return &Engine{DB: f.DB, Base: payoutengine.Base{Chain: "ETH", Native: "ETH", Sender: f.Sender(nil, hooks, log), HotWallet: f.Hot, Names: names, Sealer: sealer,
		Keys: f.Keys, Log: log}, OnCommit: func() {}}
}

// withdrawal is a checked withdrawal of units base units of the development
// USDT to the fresh address of id.
func withdrawal(f *payoutstest.Fixture, id string, units int64) Withdrawal {
	f.T.Helper()
	list, err := tokens.Parse(tokens.DevUSDT)
	if err != nil {
		f.T.Fatal(err)
	}
	to := f.To(id)
	w := Withdrawal{RequestID: id, Payout: request.Payout{Chain: "ETH", Symbol: "USDT", Token: list[0], Units: big.NewInt(units),
		To: contract.NormalizeAddress(to.Hex())}}
	w.Amount = money.FromBaseUnits(w.Units, list[0].Decimals)
	if w.Call, err = txsender.TransferData(to, w.Units); err != nil {
		f.T.Fatal(err)
	}
	return w
}

// pay hands ws to e as the broker hands deliveries to withdraw: the batch, and
// when that fails each withdrawal as a batch of one; it fails the test if one
// would be retried.
func pay(t *testing.T, e *Engine, ws ...Withdrawal) {
	t.Helper()
	if len(ws) > 1 {
		if err := e.Pay(t.Context(), ws); err == nil {
			return
		}
	}
	for _, w := range ws {
		if err := e.Pay(t.Context(), []Withdrawal{w}); err != nil {
			t.Errorf("pay %s: %v", w.RequestID, err)
		}
	}
}

// job prepares ws for a turn of the gate, as Pay does.
func job(t *testing.T, e *Engine, ws ...Withdrawal) *signJob {
	t.Helper()
	quotes, err := e.quote(t.Context(), ws)
	if err != nil {
		t.Fatal(err)
	}
	return newSignJob(ws, quotes)
}

// Two workers' batches sharing a request_id in one turn of the gate (the same
// message delivered to two workers after a consumer was lost) sign it once:
// the turn's transaction fails, each job is tried alone, and the second finds
// its request taken; everything else is signed, with contiguous nonces.
func TestDuplicatesAcrossJobs(t *testing.T) {
	f := payoutstest.New(t)
	e := engine(f, "one")
	paid := map[common.Address]int64{}
	w := func(id string) Withdrawal {
		paid[f.To(id)] = 2_000_000
		return withdrawal(f, id, 2_000_000)
	}
	x, y, z := w("dup-x"), w("dup-y"), w("dup-z")
	j1, j2 := job(t, e, x, y), job(t, e, y, z)
	e.signJobs(t.Context(), []*signJob{j1, j2})
	if j1.err != nil {
		t.Fatalf("first job: %v", j1.err)
	}
	if j2.err == nil {
		t.Fatal("the second job signed a request_id the first one took")
	}
	// The broker then hands j2's requests over one by one: dup-y is found
	// stored (and answered as a repeat by the requests), dup-z is signed.
	if err := e.Pay(t.Context(), []Withdrawal{y}); !db.IsDuplicateKey(err) {
		t.Fatalf("dup-y alone: %v, want its request_id found stored", err)
	}
	pay(t, e, z)
	sends := f.Sends()
	if len(sends) != 3 {
		t.Fatalf("%d sends, want 3", len(sends))
	}
	if sends["dup-y"].ID != j1.sendIDs[1] {
		t.Fatal("dup-y was signed again")
	}
	f.BroadcastAll(e.Sender)
	f.Track(e.Sender)
	f.WaitFinal(3, paid)
}

// A batch, or a turn of the gate, that the hot wallet can pay only in part
// rolls back whole (no nonce consumed); taken apart, what can be paid is
// signed and the rest refused for the balance.
func TestBatchBeyondBalance(t *testing.T) {
	f := payoutstest.New(t)
	e := engine(f, "one")
	paid := map[common.Address]int64{}
	w := func(id string, units int64) Withdrawal {
		paid[f.To(id)] = units
		return withdrawal(f, id, units)
	}
	small, half1, half2 := w("small", 1_000_000), w("half-1", payoutstest.HotUSDT/2), w("half-2", payoutstest.HotUSDT/2)
	if err := e.Pay(t.Context(), []Withdrawal{small, half1, half2}); !errors.Is(err, ErrHandleAlone) {
		t.Fatalf("batch beyond the balance: %v", err)
	}
	if n := len(f.Sends()); n != 0 {
		t.Fatalf("%d sends left by a batch that failed", n)
	}
	pay(t, e, small, half1, half2)
	if n := len(f.Sends()); n != 2 {
		t.Fatalf("%d sends, want 2", n)
	}
	if r, err := store.Find(f.DB, "half-2"); err != nil || r == nil || r.Error == nil || *r.Error != contract.ErrInsufficientBalance {
		t.Fatalf("half-2: %+v %v, want it refused for the balance", r, err)
	}
	delete(paid, f.To("half-2"))

	// The same across two workers' jobs in one turn: the first is signed, the
	// second fails and goes back to the broker's one-by-one path.
	rest := payoutstest.HotUSDT/2 - 1_000_000 // what is left unreserved
	j1 := job(t, e, w("rest-1", int64(rest)))
	j2 := job(t, e, w("rest-2", 1_000_000), w("rest-3", 1_000_000))
	e.signJobs(t.Context(), []*signJob{j1, j2})
	if j1.err != nil || !errors.Is(j2.err, ErrHandleAlone) {
		t.Fatalf("jobs beyond the balance: %v, %v", j1.err, j2.err)
	}
	if n := len(f.Sends()); n != 3 {
		t.Fatalf("%d sends, want 3", n)
	}
	delete(paid, f.To("rest-2"))
	delete(paid, f.To("rest-3"))

	// A job of one is a batch of one: its refusal is its answer, stored in
	// its own turn, and it holds no nonce.
	j3 := job(t, e, w("rest-4", 1_000_000))
	e.signJobs(t.Context(), []*signJob{j3})
	if j3.err != nil || j3.refused == nil || j3.refused.Code != contract.ErrInsufficientBalance {
		t.Fatalf("job of one beyond the balance: %v %+v, want its refusal stored", j3.err, j3.refused)
	}
	if r, err := store.Find(f.DB, "rest-4"); err != nil || r == nil || r.FinalBody == nil || r.SendKey != nil {
		t.Fatalf("rest-4: %+v %v, want its refusal stored without a send", r, err)
	}
	delete(paid, f.To("rest-4"))
	f.BroadcastAll(e.Sender)
	f.Track(e.Sender)
	f.WaitFinal(3, paid)
}

// A batch signed in one turn raises a low_balance alert for each withdrawal
// that leaves the hot wallet under the threshold, counting the ones before it
// in the batch, and for no other.
func TestBatchLowBalanceAlerts(t *testing.T) {
	f := payoutstest.New(t)
	e := engine(f, "one")
	e.MinUSDT = big.NewInt(payoutstest.HotUSDT - 1_500_000) // crossed by the second withdrawal of 1 USDT
	alerted := false
	e.OnCommit = func() { alerted = true }
	var ws []Withdrawal
	paid := map[common.Address]int64{}
	for i := range 3 {
		id := fmt.Sprintf("low-%d", i)
		ws = append(ws, withdrawal(f, id, 1_000_000))
		paid[f.To(id)] = 1_000_000
	}
	if err := e.Pay(t.Context(), ws); err != nil {
		t.Fatal(err)
	}
	if n := len(f.Sends()); n != 3 {
		t.Fatalf("%d sends, want 3", n)
	}
	var rows []outbox.Message
	if err := f.DB.Where("message_id LIKE 'alert:%'").Order("message_id").Find(&rows).Error; err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, r := range rows {
		ids = append(ids, r.MessageID)
		// Sealed for the other services: opened with the internal secret
		// under the key it is routed with, and by nothing else.
		data, err := f.Keys.Open(broker.Delivery{Body: r.Body, RoutingKey: r.RoutingKey})
		var a events.Alert
		if err != nil || json.Unmarshal(data, &a) != nil || a.Kind != events.AlertLowBalance || a.Service != "withdraw" {
			t.Fatalf("alert %s is not a sealed low_balance alert: %v %s", r.MessageID, err, r.Body)
		}
		other, _ := events.NewKeys([]byte(payoutstest.Secret))
		if _, err := other.Open(broker.Delivery{Body: r.Body, RoutingKey: r.RoutingKey}); err == nil {
			t.Fatalf("alert %s opens with the signing secret", r.MessageID)
		}
	}
	want := []string{"alert:" + events.AlertLowBalance + ":withdraw:low-1", "alert:" + events.AlertLowBalance + ":withdraw:low-2"}
	if !slices.Equal(ids, want) {
		t.Fatalf("alerts %v, want %v", ids, want)
	}
	if !alerted {
		t.Fatal("the outbox relay was not woken for the alerts")
	}
	f.Track(e.Sender)
	f.WaitFinal(3, paid)
}

// The funds of a turn are read before the nonce is locked, balances and the
// hot wallet's nonce at one block; what the sends from that nonce on take is
// counted once the lock is held, whether they were stored before the read or
// since, mined or not: a send mined while the funds are read is counted once,
// and the free funds come out exact.
func TestTurnFundsCountSendsSinceTheRead(t *testing.T) {
	f := payoutstest.New(t)
	e, other := engine(f, "one"), engine(f, "two")
	f.Track(other.Sender)
	paid := map[common.Address]int64{}
	send := func(id string, units int64) {
		paid[f.To(id)] = units
		pay(t, other, withdrawal(f, id, units))
	}
	send("before", 100_000_000) // stored before the read, mined before it or after

	tx := f.DB.Begin(&sql.TxOptions{Isolation: sql.LevelReadCommitted})
	defer tx.Rollback()
	b, err := e.readFunds(t.Context(), []common.Address{f.Token})
	if err != nil {
		t.Fatal(err)
	}
	if held := big.NewInt(payoutstest.HotUSDT - 100_000_000*int64(b.mark)); b.mark > 1 || b.tokens[f.Token].Cmp(held) != 0 {
		t.Fatalf("read at nonce %d: %s held, want %s (nonce 0 or 1)", b.mark, b.tokens[f.Token], held)
	}

	send("after", 300_000_000) // stored after the read, mined before the check
	f.WaitFinal(2, paid)

	j := job(t, e, withdrawal(f, "next", 1_000_000))
	w, q := j.ws[0], j.quotes[0]
	free := int64(payoutstest.HotUSDT - 400_000_000)
	w.Units = big.NewInt(free + 1)
	var ref request.Refusal
	if _, err := b.check(e, tx, w, q); !errors.As(err, &ref) || ref.Code != contract.ErrInsufficientBalance {
		t.Fatalf("check of %d with %d free: %v, want insufficient_balance", free+1, free, err)
	}
	w.Units = big.NewInt(free)
	if _, err := b.check(e, tx, w, q); err != nil {
		t.Fatalf("check of all %d free: %v", free, err)
	}
	if b.tokens[f.Token].Sign() != 0 {
		t.Fatalf("%s left after taking all that was free", b.tokens[f.Token])
	}
}
