package requests

import (
	"context"
	"errors"
	"fmt"
	"math/big"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"

	"paysuite/pkg/broker"
	"paysuite/pkg/contract"
	"paysuite/pkg/payoutengine"
	"paysuite/pkg/request"
	"paysuite/pkg/sign"
	"paysuite/pkg/tokens"
	"paysuite/pkg/txsender"
	"paysuite/services/withdraw/internal/payouts"
	"paysuite/services/withdraw/internal/payouts/payoutstest"
	"paysuite/services/withdraw/internal/store"
)

// These tests run the handler and its engine against the real database, the
// in-process development chain and the real transaction sender; only the
// publisher of repeated answers is a recorder (the broker itself is tested in
// pkg/broker). What the engine does with a batch alone is tested in payouts.

// fixture is one hot wallet on a fresh chain and schema, shared by the
// replicas a test starts, and the recorder of what they answer directly.
type fixture struct {
	*payoutstest.Fixture
	pub *recordingPublisher
}

func newFixture(t *testing.T) *fixture {
	return &fixture{Fixture: payoutstest.New(t), pub: &recordingPublisher{}}
}

// replica is one withdraw process: its own handler, engine and sender on the
// shared schema and key. With a node that refuses every broadcast it stands
// for a process that dies after its commit and before anything reached the
// chain.
func (f *fixture) replica(name string, node txsender.Node) *Handler {
	f.T.Helper()
	log := f.Log(name)
	sealer := sign.Sealer{Secret: []byte(payoutstest.Secret)}
	names := contract.DefaultNames()
	hooks := &payouts.Hooks{Names: names, Sealer: sealer, Keys: f.Keys, Log: log, OnCommit: func() {}}
	list, err := tokens.Parse(tokens.DevUSDT)
	if err != nil {
		f.T.Fatal(err)
	}
	engine := &payouts.Engine{DB: f.DB, Base: payoutengine.Base{Chain: "ETH", Native: "ETH", Sender: f.Sender(node, hooks, log), HotWallet: f.Hot, Names: names,
		Sealer: sealer, Keys: f.Keys, Log: log}, OnCommit: func() {}}
	return &Handler{DB: f.DB, Engines: []*payouts.Engine{engine}, Intake: request.Payouts{Publisher: f.pub, Exchange: names.Exchange,
		ReturnKey: names.WithdrawReturnKey, FinalEvent: contract.EventWithdraw, Chain: "ETH", Chains: map[string]tokens.List{"ETH": list}, HotWallet: f.Hot,
		Secrets: [][]byte{[]byte(payoutstest.Secret)}, MaxClockSkew: 5 * time.Minute, Sealer: sealer, Log: log}}
}

// delivery is a signed withdraw request of amount base units to a fresh address.
func (f *fixture) delivery(id string, units int64) (broker.Delivery, common.Address) {
	f.T.Helper()
	to := f.To(id)
	amount := new(big.Rat).SetFrac64(units, 1_000_000).FloatString(6)
	body, err := sign.Seal([]byte(payoutstest.Secret), map[string]any{"request_id": id, "to_address": to.Hex(),
		"amount": amount, "timestamp": time.Now().Unix()}, time.Now())
	if err != nil {
		f.T.Fatal(err)
	}
	return broker.Delivery{Body: body, MessageID: id}, to
}

// consume hands ds to h as the broker does: the batch, and when that fails
// each delivery alone; it fails the test if a delivery would be requeued.
func consume(t *testing.T, h *Handler, ds []broker.Delivery) {
	t.Helper()
	if len(ds) > 1 {
		if err := h.HandleBatch(t.Context(), ds); err == nil {
			return
		}
	}
	for _, d := range ds {
		if err := h.Handle(t.Context(), d); err != nil {
			t.Errorf("handle %s: %v", d.MessageID, err)
		}
	}
}

// A batch signed and committed by a replica that dies before broadcasting or
// acking is delivered again, to another replica: nothing is signed twice,
// the repeats are answered like repeats, and the other replica's tracker
// sends what was stored.
func TestBatchRedeliveredAfterCrash(t *testing.T) {
	f := newFixture(t)
	dead := f.replica("dead", payoutstest.RefusingNode{Node: f.Node})
	live := f.replica("live", nil)

	ds := make([]broker.Delivery, 6)
	paid := map[common.Address]int64{}
	for i := range ds {
		var to common.Address
		ds[i], to = f.delivery(fmt.Sprintf("crash-%d", i), int64(1_000_000+i))
		paid[to] = int64(1_000_000 + i)
	}
	if err := dead.HandleBatch(t.Context(), ds); err != nil {
		t.Fatalf("first delivery of the batch: %v", err)
	}
	before := f.Sends()
	if len(before) != len(ds) {
		t.Fatalf("%d sends stored, want %d", len(before), len(ds))
	}

	// Redelivered: every request is a repeat now, so the batch is refused and
	// each one is answered alone.
	if err := live.HandleBatch(t.Context(), ds); !errors.Is(err, payouts.ErrHandleAlone) {
		t.Fatalf("redelivered batch: %v, want it handled request by request", err)
	}
	consume(t, live, ds)
	after := f.Sends()
	for id, s := range before {
		if after[id].TxHash != s.TxHash {
			t.Fatalf("%s signed again after its redelivery", id)
		}
	}
	if len(after) != len(before) {
		t.Fatalf("%d sends after the redelivery, %d before", len(after), len(before))
	}

	f.Track(live.Engines[0].Sender)
	f.WaitFinal(len(ds), paid)
}

// A batch holding one request_id twice signs it once, the second delivery
// answered as a repeat; everything else in it is signed, with contiguous
// nonces. (Two workers' batches sharing a request_id in one turn of the gate
// are tested in payouts.)
func TestDuplicatesInBatches(t *testing.T) {
	f := newFixture(t)
	h := f.replica("one", nil)
	paid := map[common.Address]int64{}
	d := func(id string) broker.Delivery {
		del, to := f.delivery(id, 2_000_000)
		paid[to] = 2_000_000
		return del
	}
	a, b, c := d("dup-a"), d("dup-b"), d("dup-c")

	// Within one batch: handled one by one, the second dup-a as a repeat.
	if err := h.HandleBatch(t.Context(), []broker.Delivery{a, b, a, c}); !errors.Is(err, payouts.ErrHandleAlone) {
		t.Fatalf("batch with a duplicate: %v", err)
	}
	consume(t, h, []broker.Delivery{a, b, a, c})
	if n := len(f.Sends()); n != 3 {
		t.Fatalf("%d sends, want 3", n)
	}

	for _, m := range f.pub.messages() {
		if m.MessageID != "dup-a:"+contract.EventSubmitted {
			// A repeat is answered with what its request got so far; before
			// the tracker's broadcast that may be nothing.
			t.Fatalf("unexpected answer %s", m.MessageID)
		}
	}
	f.Track(h.Engines[0].Sender)
	f.WaitFinal(3, paid)
}

// Three replicas with eight workers each sign a burst of withdrawals from one
// hot wallet, with batches of every size, repeats, and withdrawals the wallet
// cannot pay: every payable one is signed once, the nonces are contiguous, the
// refused ones hold no nonce, and the chain pays each recipient once.
func TestReplicasShareNonces(t *testing.T) {
	f := newFixture(t)
	replicas := []*Handler{f.replica("r1", nil), f.replica("r2", nil), f.replica("r3", nil)}
	for _, h := range replicas {
		f.Track(h.Engines[0].Sender)
	}

	const n = 120
	var ds []broker.Delivery
	paid := map[common.Address]int64{}
	for i := range n {
		d, to := f.delivery(fmt.Sprintf("many-%03d", i), int64(1_000_000+i))
		ds = append(ds, d)
		paid[to] = int64(1_000_000 + i)
	}
	// More than the wallet holds: refused before anything is locked (the
	// node's gas estimate fails).
	tooMuch := []string{"too-much-1", "too-much-2"}
	for _, id := range tooMuch {
		d, _ := f.delivery(id, 2*payoutstest.HotUSDT)
		ds = append(ds, d)
	}
	// Each payable alone, not both with the rest: whichever comes second is
	// refused under the nonce lock, where its batch or turn fails as a whole.
	halves := map[string]common.Address{}
	for _, id := range []string{"half-1", "half-2"} {
		d, to := f.delivery(id, payoutstest.HotUSDT/2)
		ds = append(ds, d)
		halves[id] = to
	}
	ds = append(ds, ds[3], ds[77]) // repeats, in other batches than the first delivery

	// Batches of 1 to 9 deliveries, in a fixed shuffle, handed to 24 workers.
	order := slices.Clone(ds)
	for i := range order {
		j := (i*37 + 11) % len(order)
		order[i], order[j] = order[j], order[i]
	}
	var batches [][]broker.Delivery
	for i, size := 0, 1; i < len(order); i, size = i+size, size%9+1 {
		batches = append(batches, order[i:min(i+size, len(order))])
	}
	work := make(chan []broker.Delivery)
	var wg sync.WaitGroup
	for _, h := range replicas {
		for range 8 {
			wg.Go(func() {
				for b := range work {
					consume(t, h, b)
				}
			})
		}
	}
	for _, b := range batches {
		work <- b
	}
	close(work)
	wg.Wait()

	sends := f.Sends()
	if len(sends) != n+1 {
		t.Fatalf("%d sends, want %d", len(sends), n+1)
	}
	var refused []string
	for id, to := range halves {
		if _, ok := sends[id]; ok {
			paid[to] = payoutstest.HotUSDT / 2
		} else {
			refused = append(refused, id)
		}
	}
	if len(refused) != 1 {
		t.Fatalf("half-1 and half-2: %d refused, want exactly one", len(refused))
	}
	for _, id := range append(tooMuch, refused...) {
		w, err := store.Find(f.DB, id)
		if err != nil || w == nil || w.Error == nil || *w.Error != contract.ErrInsufficientBalance {
			t.Fatalf("%s: %+v %v, want it refused for the balance", id, w, err)
		}
		if _, ok := sends[id]; ok {
			t.Fatalf("%s holds a nonce", id)
		}
	}
	f.WaitFinal(n+1, paid)
}

// recordingPublisher keeps what the handler publishes directly (repeats).
type recordingPublisher struct {
	mu   sync.Mutex
	msgs []broker.Message
}

func (p *recordingPublisher) Publish(_ context.Context, _, _ string, msg broker.Message) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.msgs = append(p.msgs, msg)
	return nil
}

func (p *recordingPublisher) messages() []broker.Message {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Clone(p.msgs)
}
