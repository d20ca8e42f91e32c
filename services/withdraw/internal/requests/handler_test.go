package requests

import (
	"context"
	"crypto/ecdsa"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/rs/zerolog"
	"gorm.io/gorm"

	"paysuite/pkg/broker"
	"paysuite/pkg/contract"
	"paysuite/pkg/db/dbtest"
	"paysuite/pkg/devchain"
	"paysuite/pkg/erc20"
	"paysuite/pkg/ethtx"
	"paysuite/pkg/events"
	"paysuite/pkg/hdwallet"
	"paysuite/pkg/outbox"
	"paysuite/pkg/request"
	"paysuite/pkg/sign"
	"paysuite/pkg/tokens"
	"paysuite/pkg/txsender"
	"paysuite/services/withdraw/internal/payouts"
	"paysuite/services/withdraw/internal/store"
)

// These tests run the handler against the real database, the in-process
// development chain and the real transaction sender; only the publisher of
// repeated answers is a recorder (the broker itself is tested in pkg/broker).

const (
	testSecret         = "handler-test-secret"
	testInternalSecret = "handler-test-internal-secret"
)

// fixture is one hot wallet on a fresh chain and schema, shared by the
// replicas a test starts.
type fixture struct {
	t     *testing.T
	chain *devchain.Chain
	node  *txsender.RPCNode
	db    *gorm.DB
	key   *ecdsa.PrivateKey
	hot   common.Address
	token common.Address
	pub   *recordingPublisher
	keys  events.Keys
}

// hotUSDT is what the hot wallet of a fixture holds, in base units (1,000 USDT).
const hotUSDT = 1_000_000_000

func newFixture(t *testing.T) *fixture {
	t.Helper()
	chain, err := devchain.Start(t.Context(), devchain.Config{HTTPAddr: "127.0.0.1:0", WSAddr: "127.0.0.1:0"}, zerolog.Nop())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = chain.Close() })
	node, err := txsender.Dial(t.Context(), chain.HTTPURL())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(node.Close)
	key, err := crypto.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	keys, err := events.NewKeys([]byte(testInternalSecret))
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{t: t, chain: chain, node: node, db: dbtest.Open(t, store.Migrations()), key: key,
		hot: crypto.PubkeyToAddress(key.PublicKey), token: common.HexToAddress(erc20.DevTokenAddress), pub: &recordingPublisher{}, keys: keys}
	funder, _, err := hdwallet.DevAccount(1)
	if err != nil {
		t.Fatal(err)
	}
	var nonces ethtx.Nonces
	if _, err := ethtx.SendWith(t.Context(), node.Client, &nonces, funder, f.hot, nil, big.NewInt(1e18)); err != nil {
		t.Fatal(err)
	}
	if _, err := ethtx.TransferTokenWith(t.Context(), node.Client, &nonces, funder, f.token, f.hot, big.NewInt(hotUSDT)); err != nil {
		t.Fatal(err)
	}
	// The pool takes the funding in the background: mine until it shows.
	deadline := time.Now().Add(30 * time.Second)
	for {
		f.mine(1)
		bal, err := ethtx.TokenBalance(t.Context(), node.Client, f.token, f.hot)
		if err != nil {
			t.Fatal(err)
		}
		if bal.Cmp(big.NewInt(hotUSDT)) == 0 {
			return f
		}
		if time.Now().After(deadline) {
			t.Fatalf("the hot wallet holds %s base units after funding, want %d", bal, hotUSDT)
		}
	}
}

func (f *fixture) mine(n int) {
	f.t.Helper()
	if err := f.chain.Mine(n); err != nil {
		f.t.Fatal(err)
	}
}

// replica is one withdraw process: its own handler and sender on the shared
// schema and key. With a node that refuses every broadcast it stands for a
// process that dies after its commit and before anything reached the chain.
func (f *fixture) replica(name string, node txsender.Node) *Handler {
	f.t.Helper()
	if node == nil {
		node = f.node
	}
	cfg := txsender.Config{Confirmations: 2, MaxFeeGwei: "100", MaxTipGwei: "2", GasMarginPercent: 20,
		ReplaceAfter: time.Minute, RebroadcastAfter: 200 * time.Millisecond, PollInterval: 50 * time.Millisecond}
	if err := cfg.Validate(true); err != nil {
		f.t.Fatal(err)
	}
	log := zerolog.New(zerolog.NewTestWriter(f.t)).Level(zerolog.WarnLevel).With().Str("replica", name).Logger()
	sealer := sign.Sealer{Secret: []byte(testSecret)}
	names := contract.DefaultNames()
	hooks := &payouts.Hooks{Names: names, Sealer: sealer, Keys: f.keys, Log: log, OnCommit: func() {}}
	keys := func(_ context.Context, from common.Address) (*ecdsa.PrivateKey, error) {
		if from == f.hot {
			return f.key, nil
		}
		return nil, nil
	}
	sender, err := txsender.New(f.t.Context(), f.db, node, keys, hooks, cfg, log)
	if err != nil {
		f.t.Fatal(err)
	}
	list, err := tokens.Parse(tokens.DevUSDT)
	if err != nil {
		f.t.Fatal(err)
	}
	return &Handler{DB: f.db, Sender: sender, Publisher: f.pub, Names: names, Chain: "ETH", Tokens: list,
		HotWallet: f.hot, Secrets: [][]byte{[]byte(testSecret)}, MaxClockSkew: 5 * time.Minute, Sealer: sealer,
		Keys: f.keys, Log: log, OnCommit: func() {}}
}

// track runs the tracker of h until the test ends.
func (f *fixture) track(h *Handler) {
	ctx, cancel := context.WithCancel(f.t.Context())
	done := make(chan struct{})
	f.t.Cleanup(func() { cancel(); <-done })
	go func() { defer close(done); _ = h.Sender.Run(ctx) }()
}

// delivery is a signed withdraw request of amount base units to a fresh address.
func (f *fixture) delivery(id string, units int64) (broker.Delivery, common.Address) {
	f.t.Helper()
	to := common.BytesToAddress(crypto.Keccak256([]byte(f.t.Name() + "/" + id))[12:])
	amount := new(big.Rat).SetFrac64(units, 1_000_000).FloatString(6)
	body, err := sign.Seal([]byte(testSecret), map[string]any{"request_id": id, "to_address": to.Hex(),
		"amount": amount, "timestamp": time.Now().Unix()}, time.Now())
	if err != nil {
		f.t.Fatal(err)
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

// sends returns the stored sends by request_id, checking that the hot
// wallet's nonces were handed out once each from 0 without a gap.
func (f *fixture) sends() map[string]txsender.Send {
	f.t.Helper()
	var rows []txsender.Send
	if err := f.db.Order("nonce").Find(&rows).Error; err != nil {
		f.t.Fatal(err)
	}
	out := map[string]txsender.Send{}
	for i, s := range rows {
		if s.Nonce != uint64(i) {
			f.t.Fatalf("send %d of %d has nonce %d: nonces are not contiguous", i, len(rows), s.Nonce)
		}
		if _, dup := out[s.Ref]; dup {
			f.t.Fatalf("withdrawal %s has two sends", s.Ref)
		}
		out[s.Ref] = s
	}
	return out
}

// waitFinal mines until every withdrawal stored is answered, then checks the
// chain: the hot wallet sent exactly n transactions, and every recipient in
// paid got its amount once.
func (f *fixture) waitFinal(n int, paid map[common.Address]int64) {
	f.t.Helper()
	deadline := time.Now().Add(2 * time.Minute)
	tick := time.NewTicker(50 * time.Millisecond) // a block every tick, as a node would
	defer tick.Stop()
	for {
		var open int64
		if err := f.db.Model(&store.Withdrawal{}).Where("final_body IS NULL").Count(&open).Error; err != nil {
			f.t.Fatal(err)
		}
		if open == 0 {
			break
		}
		if time.Now().After(deadline) {
			f.t.Fatalf("%d withdrawals without a final answer", open)
		}
		<-tick.C
		f.mine(1)
	}
	if got, err := f.node.NonceAt(f.t.Context(), f.hot, nil); err != nil || got != uint64(n) {
		f.t.Fatalf("the hot wallet sent %d transactions (%v), want %d", got, err, n)
	}
	for to, units := range paid {
		got, err := ethtx.TokenBalance(f.t.Context(), f.node.Client, f.token, to)
		if err != nil {
			f.t.Fatal(err)
		}
		if got.Cmp(big.NewInt(units)) != 0 {
			f.t.Fatalf("%s holds %s base units, want %d", to.Hex(), got, units)
		}
	}
}

// A batch signed and committed by a replica that dies before broadcasting or
// acking is delivered again, to another replica: nothing is signed twice,
// the repeats are answered like repeats, and the other replica's tracker
// sends what was stored.
func TestBatchRedeliveredAfterCrash(t *testing.T) {
	f := newFixture(t)
	dead := f.replica("dead", refusingNode{f.node})
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
	before := f.sends()
	if len(before) != len(ds) {
		t.Fatalf("%d sends stored, want %d", len(before), len(ds))
	}

	// Redelivered: every request is a repeat now, so the batch is refused and
	// each one is answered alone.
	if err := live.HandleBatch(t.Context(), ds); !errors.Is(err, errHandleAlone) {
		t.Fatalf("redelivered batch: %v, want it handled request by request", err)
	}
	consume(t, live, ds)
	after := f.sends()
	for id, s := range before {
		if after[id].TxHash != s.TxHash {
			t.Fatalf("%s signed again after its redelivery", id)
		}
	}
	if len(after) != len(before) {
		t.Fatalf("%d sends after the redelivery, %d before", len(after), len(before))
	}

	f.track(live)
	f.waitFinal(len(ds), paid)
}

// A batch holding one request_id twice, and two workers' batches sharing a
// request_id in one turn of the gate, sign it once; everything else in them
// is signed, with contiguous nonces.
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
	if err := h.HandleBatch(t.Context(), []broker.Delivery{a, b, a, c}); !errors.Is(err, errHandleAlone) {
		t.Fatalf("batch with a duplicate: %v", err)
	}
	consume(t, h, []broker.Delivery{a, b, a, c})
	if n := len(f.sends()); n != 3 {
		t.Fatalf("%d sends, want 3", n)
	}

	// Across the jobs of one turn (the same message delivered to two workers
	// after a consumer was lost): the turn's transaction fails, each job is
	// tried alone, and the second finds its request taken.
	x, y, z := d("dup-x"), d("dup-y"), d("dup-z")
	j1, j2 := f.job(h, x, y), f.job(h, y, z)
	h.signJobs(t.Context(), []*signJob{j1, j2})
	if j1.err != nil {
		t.Fatalf("first job: %v", j1.err)
	}
	if j2.err == nil {
		t.Fatal("the second job signed a request_id the first one took")
	}
	// The broker then hands j2's deliveries to Handle one by one.
	consume(t, h, []broker.Delivery{y, z})
	sends := f.sends()
	if len(sends) != 6 {
		t.Fatalf("%d sends, want 6", len(sends))
	}
	if sends["dup-y"].ID != j1.sendIDs[1] {
		t.Fatal("dup-y was signed again")
	}
	for _, m := range f.pub.messages() {
		if m.MessageID != "dup-a:"+contract.EventSubmitted && m.MessageID != "dup-y:"+contract.EventSubmitted {
			// A repeat is answered with what its request got so far; before
			// the tracker's broadcast that may be nothing.
			t.Fatalf("unexpected answer %s", m.MessageID)
		}
	}
	h.broadcastAll(t)
	f.track(h)
	f.waitFinal(6, paid)
}

// A batch, or a turn of the gate, that the hot wallet can pay only in part
// rolls back whole (no nonce consumed); taken apart, what can be paid is
// signed and the rest refused for the balance.
func TestBatchBeyondBalance(t *testing.T) {
	f := newFixture(t)
	h := f.replica("one", nil)
	paid := map[common.Address]int64{}
	d := func(id string, units int64) broker.Delivery {
		del, to := f.delivery(id, units)
		paid[to] = units
		return del
	}
	small, half1, half2 := d("small", 1_000_000), d("half-1", hotUSDT/2), d("half-2", hotUSDT/2)
	if err := h.HandleBatch(t.Context(), []broker.Delivery{small, half1, half2}); !errors.Is(err, errHandleAlone) {
		t.Fatalf("batch beyond the balance: %v", err)
	}
	if n := len(f.sends()); n != 0 {
		t.Fatalf("%d sends left by a batch that failed", n)
	}
	consume(t, h, []broker.Delivery{small, half1, half2})
	if n := len(f.sends()); n != 2 {
		t.Fatalf("%d sends, want 2", n)
	}
	if w, err := store.Find(f.db, "half-2"); err != nil || w == nil || w.Error == nil || *w.Error != contract.ErrInsufficientBalance {
		t.Fatalf("half-2: %+v %v, want it refused for the balance", w, err)
	}
	delete(paid, common.BytesToAddress(crypto.Keccak256([]byte(t.Name() + "/half-2"))[12:]))

	// The same across two workers' jobs in one turn: the first is signed, the
	// second fails and goes back to the broker's one-by-one path.
	rest := hotUSDT/2 - 1_000_000 // what is left unreserved
	j1 := f.job(h, d("rest-1", int64(rest)))
	j2 := f.job(h, d("rest-2", 1_000_000))
	h.signJobs(t.Context(), []*signJob{j1, j2})
	if j1.err != nil || !errors.Is(j2.err, errHandleAlone) {
		t.Fatalf("jobs beyond the balance: %v, %v", j1.err, j2.err)
	}
	if n := len(f.sends()); n != 3 {
		t.Fatalf("%d sends, want 3", n)
	}
	delete(paid, common.BytesToAddress(crypto.Keccak256([]byte(t.Name() + "/rest-2"))[12:]))
	h.broadcastAll(t)
	f.track(h)
	f.waitFinal(3, paid)
}

// job prepares the fresh deliveries ds for a turn of the gate, as signFresh does.
func (f *fixture) job(h *Handler, ds ...broker.Delivery) *signJob {
	f.t.Helper()
	var reqs []withdrawRequest
	for _, del := range ds {
		req, ok, err := h.fresh(f.t.Context(), del)
		if err != nil || !ok {
			f.t.Fatalf("fresh %s: %v %v", del.MessageID, ok, err)
		}
		reqs = append(reqs, req)
	}
	quotes := make([]txsender.Quote, len(reqs))
	for i, req := range reqs {
		q, err := h.Sender.Quote(f.t.Context(), h.HotWallet, req.Token.Address, new(big.Int), req.Call, 0)
		if err != nil {
			f.t.Fatal(err)
		}
		quotes[i] = q
	}
	return newSignJob(reqs, quotes)
}

// broadcastAll sends every stored send (the handler's own broadcast may have
// been skipped by the test's direct calls).
func (h *Handler) broadcastAll(t *testing.T) {
	t.Helper()
	var ids []uint64
	if err := h.DB.Model(&txsender.Send{}).Pluck("id", &ids).Error; err != nil {
		t.Fatal(err)
	}
	for _, id := range ids {
		if err := h.Sender.Broadcast(t.Context(), id); err != nil {
			t.Fatal(err)
		}
	}
}

// Three replicas with eight workers each sign a burst of withdrawals from one
// hot wallet, with batches of every size, repeats, and withdrawals the wallet
// cannot pay: every payable one is signed once, the nonces are contiguous, the
// refused ones hold no nonce, and the chain pays each recipient once.
func TestReplicasShareNonces(t *testing.T) {
	f := newFixture(t)
	replicas := []*Handler{f.replica("r1", nil), f.replica("r2", nil), f.replica("r3", nil)}
	for _, h := range replicas {
		f.track(h)
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
		d, _ := f.delivery(id, 2*hotUSDT)
		ds = append(ds, d)
	}
	// Each payable alone, not both with the rest: whichever comes second is
	// refused under the nonce lock, where its batch or turn fails as a whole.
	halves := map[string]common.Address{}
	for _, id := range []string{"half-1", "half-2"} {
		d, to := f.delivery(id, hotUSDT/2)
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

	sends := f.sends()
	if len(sends) != n+1 {
		t.Fatalf("%d sends, want %d", len(sends), n+1)
	}
	var refused []string
	for id, to := range halves {
		if _, ok := sends[id]; ok {
			paid[to] = hotUSDT / 2
		} else {
			refused = append(refused, id)
		}
	}
	if len(refused) != 1 {
		t.Fatalf("half-1 and half-2: %d refused, want exactly one", len(refused))
	}
	for _, id := range append(tooMuch, refused...) {
		w, err := store.Find(f.db, id)
		if err != nil || w == nil || w.Error == nil || *w.Error != contract.ErrInsufficientBalance {
			t.Fatalf("%s: %+v %v, want it refused for the balance", id, w, err)
		}
		if _, ok := sends[id]; ok {
			t.Fatalf("%s holds a nonce", id)
		}
	}
	f.waitFinal(n+1, paid)
}

// The gate signs, in one turn, every job queued when the turn begins, up to
// the limit, oldest first.
func TestSignGateGathers(t *testing.T) {
	job := func(n int) *signJob { return newSignJob(make([]withdrawRequest, n), nil) }
	var g signGate
	waiting := []*signJob{job(3), job(4), job(2)}
	g.queue = append(g.queue, waiting...) // queued by workers waiting for their turn
	mine := job(5)
	var turns [][]int
	err := g.do(mine, 10, func(jobs []*signJob) {
		var sizes []int
		for _, j := range jobs {
			sizes = append(sizes, len(j.reqs))
			close(j.done)
		}
		turns = append(turns, sizes)
	})
	if err != nil {
		t.Fatal(err)
	}
	// 3+4+2 fit in 10, 5 does not: it waits for the next turn.
	if want := [][]int{{3, 4, 2}, {5}}; !slices.EqualFunc(turns, want, slices.Equal) {
		t.Fatalf("turns %v, want %v", turns, want)
	}
	for _, j := range waiting {
		if !j.finished() {
			t.Fatal("a queued job was left unsigned")
		}
	}
	if len(g.queue) != 0 {
		t.Fatalf("%d jobs left queued", len(g.queue))
	}
}

// refusingNode is a node that loses every transaction sent to it.
type refusingNode struct{ txsender.Node }

func (refusingNode) SendTransaction(context.Context, *types.Transaction) error {
	return errors.New("connection reset by peer")
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

// A batch signed in one turn raises a low_balance alert for each withdrawal
// that leaves the hot wallet under the threshold, counting the ones before it
// in the batch, and for no other.
func TestBatchLowBalanceAlerts(t *testing.T) {
	f := newFixture(t)
	h := f.replica("one", nil)
	h.MinUSDT = big.NewInt(hotUSDT - 1_500_000) // crossed by the second withdrawal of 1 USDT
	alerted := false
	h.OnCommit = func() { alerted = true }
	var ds []broker.Delivery
	paid := map[common.Address]int64{}
	for i := range 3 {
		d, to := f.delivery(fmt.Sprintf("low-%d", i), 1_000_000)
		ds = append(ds, d)
		paid[to] = 1_000_000
	}
	if err := h.HandleBatch(t.Context(), ds); err != nil {
		t.Fatal(err)
	}
	if n := len(f.sends()); n != 3 {
		t.Fatalf("%d sends, want 3", n)
	}
	var rows []outbox.Message
	if err := f.db.Where("message_id LIKE 'alert:%'").Order("message_id").Find(&rows).Error; err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, r := range rows {
		ids = append(ids, r.MessageID)
		// Sealed for the other services: opened with the internal secret
		// under the key it is routed with, and by nothing else.
		data, err := f.keys.Open(broker.Delivery{Body: r.Body, RoutingKey: r.RoutingKey})
		var a events.Alert
		if err != nil || json.Unmarshal(data, &a) != nil || a.Kind != events.AlertLowBalance || a.Service != "withdraw" {
			t.Fatalf("alert %s is not a sealed low_balance alert: %v %s", r.MessageID, err, r.Body)
		}
		other, _ := events.NewKeys([]byte(testSecret))
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
	f.track(h)
	f.waitFinal(3, paid)
}

// The funds of a turn are read before the nonce is locked; what the sends
// stored since then take is counted once the lock is held, even when they
// are mined before it, and a send stored before and mined since is not
// counted twice: the free funds come out exact.
func TestTurnFundsCountSendsSinceTheRead(t *testing.T) {
	f := newFixture(t)
	h, other := f.replica("one", nil), f.replica("two", nil)
	f.track(other)
	paid := map[common.Address]int64{}
	pay := func(id string, units int64) {
		d, to := f.delivery(id, units)
		paid[to] = units
		consume(t, other, []broker.Delivery{d})
	}
	pay("before", 100_000_000) // stored before the read, mined after it

	tx := f.db.Begin(&sql.TxOptions{Isolation: sql.LevelReadCommitted})
	defer tx.Rollback()
	b, err := h.readFunds(t.Context(), tx, []common.Address{f.token})
	if err != nil {
		t.Fatal(err)
	}
	if b.mark != 1 || b.tokens[f.token].Cmp(big.NewInt(hotUSDT-100_000_000)) != 0 {
		t.Fatalf("read at mark %d: %s free, want mark 1 and %d", b.mark, b.tokens[f.token], hotUSDT-100_000_000)
	}

	pay("after", 300_000_000) // stored after the read, mined before the check
	f.waitFinal(2, paid)

	job := f.job(h, func() broker.Delivery { d, _ := f.delivery("next", 1_000_000); return d }())
	req, q := job.reqs[0], job.quotes[0]
	free := int64(hotUSDT - 400_000_000)
	req.Units = big.NewInt(free + 1)
	var ref request.Refusal
	if _, err := b.check(h, tx, req, q); !errors.As(err, &ref) || ref.Code != contract.ErrInsufficientBalance {
		t.Fatalf("check of %d with %d free: %v, want insufficient_balance", free+1, free, err)
	}
	req.Units = big.NewInt(free)
	if _, err := b.check(h, tx, req, q); err != nil {
		t.Fatalf("check of all %d free: %v", free, err)
	}
	if b.tokens[f.token].Sign() != 0 {
		t.Fatalf("%s left after taking all that was free", b.tokens[f.token])
	}
}
