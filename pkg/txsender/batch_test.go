package txsender_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"
	"gorm.io/gorm"

	"paysuite/pkg/db"
	"paysuite/pkg/txsender"
)

// transfers returns n token transfers from e's key to fresh recipients, keyed
// prefix-0, prefix-1, ...
func (e *env) transfers(prefix string, n int) ([]txsender.Request, []common.Address) {
	e.t.Helper()
	reqs := make([]txsender.Request, n)
	to := make([]common.Address, n)
	for i := range reqs {
		k, err := crypto.GenerateKey()
		if err != nil {
			e.t.Fatal(err)
		}
		to[i] = crypto.PubkeyToAddress(k.PublicKey)
		key := fmt.Sprintf("%s-%d", prefix, i)
		reqs[i] = txsender.Request{Key: key, Purpose: "test", Ref: key, From: e.from, To: e.token,
			Data: e.transferData(to[i], int64(100+i))}
	}
	return reqs, to
}

// submitBatch stores reqs in one transaction and returns the sends.
func (e *env) submitBatch(s *txsender.Sender, reqs []txsender.Request) ([]*txsender.Send, error) {
	var sends []*txsender.Send
	err := e.db.WithContext(e.t.Context()).Transaction(func(tx *gorm.DB) (err error) {
		sends, err = s.SubmitBatch(e.t.Context(), tx, reqs)
		return err
	})
	return sends, err
}

// mustSubmitBatch is submitBatch failing the test on an error.
func (e *env) mustSubmitBatch(s *txsender.Sender, reqs []txsender.Request) []*txsender.Send {
	e.t.Helper()
	sends, err := e.submitBatch(s, reqs)
	if err != nil {
		e.t.Fatal(err)
	}
	return sends
}

// broadcastBatch broadcasts sends with one BroadcastBatch and returns each as stored after it.
func (e *env) broadcastBatch(s *txsender.Sender, sends []*txsender.Send) []*txsender.Send {
	e.t.Helper()
	if err := s.BroadcastBatch(e.t.Context(), sendIDs(sends)); err != nil {
		e.t.Fatal(err)
	}
	stored := make([]*txsender.Send, len(sends))
	for i, send := range sends {
		got, err := txsender.SendByKey(e.db, send.Key)
		if err != nil {
			e.t.Fatal(err)
		}
		stored[i] = got
	}
	return stored
}

// storedSends returns every stored send by nonce, checking that the nonces
// run from 0 without a gap and that each send's one attempt is its own
// signed transaction (the right send id, hash, nonce and recipient data).
func (e *env) storedSends() []txsender.Send {
	e.t.Helper()
	var sends []txsender.Send
	if err := e.db.Order("nonce").Find(&sends).Error; err != nil {
		e.t.Fatal(err)
	}
	for i, s := range sends {
		if s.Nonce != uint64(i) {
			e.t.Fatalf("send %d of %d (%s) has nonce %d: nonces are not contiguous", i, len(sends), s.Key, s.Nonce)
		}
		atts, err := txsender.AttemptsOf(e.db, s.ID)
		if err != nil {
			e.t.Fatal(err)
		}
		if len(atts) != 1 || atts[0].TxHash != s.FirstHash {
			e.t.Fatalf("send %s: attempts %+v, want its own one", s.Key, atts)
		}
		var tx types.Transaction
		if err := tx.UnmarshalBinary(atts[0].Raw); err != nil {
			e.t.Fatal(err)
		}
		if tx.Nonce() != s.Nonce || tx.Hash().Hex() != common.HexToHash(s.TxHash).Hex() || string(tx.Data()) != string(s.Data) {
			e.t.Fatalf("send %s: its attempt is transaction nonce %d hash %s", s.Key, tx.Nonce(), tx.Hash().Hex())
		}
	}
	return sends
}

func (e *env) nextNonce() uint64 {
	e.t.Helper()
	var n uint64
	if err := e.db.Raw("SELECT next_nonce FROM tx_nonces WHERE address = ?", lowerHex(e.from)).Scan(&n).Error; err != nil {
		e.t.Fatal(err)
	}
	return n
}

func lowerHex(a common.Address) string { return strings.ToLower(a.Hex()) }

// Three replicas submit batches of 1 to 7 transfers, and single ones, at the
// same time: every send gets its own nonce, contiguous from 0, its own
// attempt, and is mined once.
func TestSubmitBatchReplicasUseContiguousNonces(t *testing.T) {
	e := newEnv(t)
	senders := e.runReplicas(3)
	type job struct {
		s    *txsender.Sender
		reqs []txsender.Request
	}
	var jobs []job
	paid := map[common.Address]int64{}
	total := 0
	for i := range 12 {
		size := i%7 + 1
		reqs, to := e.transfers(fmt.Sprintf("b%d", i), size)
		for k, a := range to {
			paid[a] = int64(100 + k)
		}
		jobs = append(jobs, job{senders[i%len(senders)], reqs})
		total += size
	}
	concurrently(t, len(jobs), func(i int) error {
		j := jobs[i]
		var sends []*txsender.Send
		var err error
		if len(j.reqs) == 1 {
			var one *txsender.Send
			err = e.db.Transaction(func(tx *gorm.DB) (err error) {
				one, err = j.s.Submit(t.Context(), tx, j.reqs[0])
				return err
			})
			sends = []*txsender.Send{one}
		} else {
			sends, err = e.submitBatch(j.s, j.reqs)
		}
		if err == nil && len(sends) != len(j.reqs) {
			err = fmt.Errorf("%d sends for %d requests", len(sends), len(j.reqs))
		}
		for k := 0; err == nil && k < len(sends); k++ {
			if sends[k].Key != j.reqs[k].Key || (k > 0 && sends[k].Nonce != sends[k-1].Nonce+1) {
				err = fmt.Errorf("send %d of batch %s: key %s nonce %d", k, j.reqs[0].Key, sends[k].Key, sends[k].Nonce)
			}
			if err == nil {
				err = j.s.Broadcast(t.Context(), sends[k].ID)
			}
		}
		return err
	})
	if n := len(e.storedSends()); n != total {
		t.Fatalf("%d sends stored, want %d", n, total)
	}
	for _, j := range jobs {
		for _, r := range j.reqs {
			if got := e.waitFinal(r.Key, time.Minute); got.State != txsender.StateConfirmed {
				t.Fatalf("send %s: %s", r.Key, got.State)
			}
			e.checkHooksOnce(r.Key)
		}
	}
	for a, units := range paid {
		e.checkPaidOnce(a, units)
	}
	if n, _ := e.node.NonceAt(t.Context(), e.from, nil); n != uint64(total) {
		t.Fatalf("account nonce %d, want %d", n, total)
	}
}

// The checks of a batch run in order under the lock; one refusal fails the
// batch whole: nothing is stored, no nonce is consumed, and the next batch
// starts where the refused one would have.
func TestSubmitBatchCheckRefusalStoresNothing(t *testing.T) {
	e := newEnv(t)
	s := e.sender(testConfig())
	first, _ := e.transfers("first", 2)
	e.mustSubmitBatch(s, first)
	refused := errors.New("not enough")
	reqs, _ := e.transfers("refused", 3)
	var checked []string
	for i := range reqs {
		reqs[i].Check = func(_ *gorm.DB, q txsender.Quote) error {
			if q.MaxCost == nil || q.MaxCost.Sign() <= 0 {
				return fmt.Errorf("check of %s without a price", reqs[i].Key)
			}
			checked = append(checked, reqs[i].Key)
			if i == 1 {
				return refused
			}
			return nil
		}
	}
	if _, err := e.submitBatch(s, reqs); !errors.Is(err, refused) {
		t.Fatalf("SubmitBatch: %v, want the check's error", err)
	}
	if fmt.Sprint(checked) != "[refused-0 refused-1]" {
		t.Fatalf("checks ran for %v, want refused-0 then refused-1 and no more", checked)
	}
	if n := len(e.storedSends()); n != 2 {
		t.Fatalf("%d sends stored, want the first batch's 2", n)
	}
	if n := e.nextNonce(); n != 2 {
		t.Fatalf("next nonce %d after a refused batch, want 2", n)
	}
	next, _ := e.transfers("next", 2)
	sends := e.mustSubmitBatch(s, next)
	if sends[0].Nonce != 2 || sends[1].Nonce != 3 {
		t.Fatalf("nonces %d, %d after a refused batch, want 2, 3", sends[0].Nonce, sends[1].Nonce)
	}
}

// A key twice in a batch, or a key stored by an earlier batch, fails the
// batch whole with a duplicate-key error, leaving the nonce where it was.
func TestSubmitBatchDuplicateKeys(t *testing.T) {
	e := newEnv(t)
	s := e.sender(testConfig())
	first, _ := e.transfers("dup", 2)
	e.mustSubmitBatch(s, first)
	within, _ := e.transfers("within", 3)
	within[2].Key = within[0].Key
	across, _ := e.transfers("across", 3)
	across[1].Key = first[1].Key
	for name, reqs := range map[string][]txsender.Request{"within": within, "across": across} {
		if _, err := e.submitBatch(s, reqs); !db.IsDuplicateKey(err) {
			t.Fatalf("%s: %v, want a duplicate key", name, err)
		}
		if n := len(e.storedSends()); n != 2 {
			t.Fatalf("%s: %d sends stored, want 2", name, n)
		}
		if n := e.nextNonce(); n != 2 {
			t.Fatalf("%s: next nonce %d, want 2", name, n)
		}
	}
}

// A batch committed by a process that dies before broadcasting any of it is
// sent by another replica's tracker, each transaction once, as stored.
func TestSubmitBatchUnsentIsSentOnceAfterCrash(t *testing.T) {
	e := newEnv(t)
	reqs, to := e.transfers("crash", 5)
	sends := e.mustSubmitBatch(e.sender(testConfig()), reqs)
	e.runMining(e.sender(testConfig()))
	for i, send := range sends {
		e.waitMinedAsStored(send)
		e.checkPaidOnce(to[i], int64(100+i))
		e.checkHooksOnce(send.Key)
	}
	if n := len(e.storedSends()); n != len(reqs) {
		t.Fatalf("%d sends, want %d", n, len(reqs))
	}
}

// A batch sends from one address.
func TestSubmitBatchRefusesMixedSenders(t *testing.T) {
	e := newEnv(t)
	reqs, _ := e.transfers("mixed", 2)
	reqs[1].From = common.HexToAddress("0x0000000000000000000000000000000000000001")
	if _, err := e.submitBatch(e.sender(testConfig()), reqs); !errors.Is(err, txsender.ErrMixedSenders) {
		t.Fatalf("SubmitBatch: %v, want ErrMixedSenders", err)
	}
}

// failingHooks fails the Broadcast hook of one send while fail is set.
type failingHooks struct {
	recorder
	key  string
	fail atomic.Bool
}

func (h *failingHooks) Broadcast(ctx context.Context, tx *gorm.DB, s *txsender.Send) error {
	if s.Key == h.key && h.fail.Load() {
		return errors.New("hook unavailable")
	}
	return h.recorder.Broadcast(ctx, tx, s)
}

// lossyNode loses every transaction sent to it.
type lossyNode struct{ txsender.Node }

func (lossyNode) SendTransaction(context.Context, *types.Transaction) error {
	return errors.New("connection reset by peer")
}

func sendIDs(sends []*txsender.Send) []uint64 {
	ids := make([]uint64, len(sends))
	for i, s := range sends {
		ids[i] = s.ID
	}
	return ids
}

// A batch broadcast records every send as broadcast once, with one Broadcast
// hook each, however often it is repeated; the transactions are then mined
// once each.
func TestBroadcastBatch(t *testing.T) {
	e := newEnv(t)
	s := e.sender(testConfig())
	reqs, to := e.transfers("bb", 4)
	sends := e.mustSubmitBatch(s, reqs)
	for range 2 {
		for _, got := range e.broadcastBatch(s, sends) {
			if got.State != txsender.StatePending || got.BroadcastAt == nil || got.LastError != nil {
				t.Fatalf("send %s after a batch broadcast: %+v", got.Key, got)
			}
			if c := e.hookCalls(got.Key); c["broadcast"] != 1 {
				t.Fatalf("send %s hooks: %v", got.Key, c)
			}
		}
	}
	e.runMining(s)
	for i, send := range sends {
		e.waitMinedAsStored(send)
		e.checkPaidOnce(to[i], int64(100+i))
		e.checkHooksOnce(send.Key)
	}
}

// A send whose Broadcast hook fails is not recorded as broadcast, and does
// not hold back the others of its batch; the tracker records it once the
// hook works again.
func TestBroadcastBatchHookFailureHoldsBackOnlyItsSend(t *testing.T) {
	e := newEnv(t)
	hooks := &failingHooks{key: "hf-1"}
	hooks.fail.Store(true)
	s := e.senderWith(testConfig(), e.node, hooks)
	reqs, _ := e.transfers("hf", 3)
	sends := e.mustSubmitBatch(s, reqs)
	for _, got := range e.broadcastBatch(s, sends) {
		want, calls := txsender.StatePending, 1
		if got.Key == hooks.key {
			want, calls = txsender.StateSigned, 0
		}
		if got.State != want || e.hookCalls(got.Key)["broadcast"] != calls {
			t.Fatalf("send %s: state %s, %d broadcast hooks; want %s, %d", got.Key, got.State, e.hookCalls(got.Key)["broadcast"], want, calls)
		}
	}
	hooks.fail.Store(false)
	e.runMining(s)
	for _, send := range sends {
		if got := e.waitFinal(send.Key, 30*time.Second); got.State != txsender.StateConfirmed {
			t.Fatalf("send %s final: %+v", send.Key, got)
		}
		e.checkHooksOnce(send.Key)
	}
}

// A batch the node loses is recorded as refused, not broadcast; another
// replica's tracker sends each of its transactions, once.
func TestBroadcastBatchLostByTheNode(t *testing.T) {
	e := newEnv(t)
	lossy := e.senderWith(testConfig(), lossyNode{e.node}, recorder{})
	reqs, to := e.transfers("lost", 3)
	sends := e.mustSubmitBatch(lossy, reqs)
	for _, got := range e.broadcastBatch(lossy, sends) {
		if got.State != txsender.StateSigned || got.LastError == nil || got.LastBroadcastAt == nil || got.BroadcastAt != nil {
			t.Fatalf("send %s after a lost broadcast: %+v", got.Key, got)
		}
	}
	e.runMining(e.sender(testConfig()))
	for i, send := range sends {
		e.waitMinedAsStored(send)
		e.checkPaidOnce(to[i], int64(100+i))
	}
}
