package txsender_test

import (
	"context"
	"crypto/ecdsa"
	"errors"
	"math/big"
	"strings"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/rs/zerolog"
	"gorm.io/gorm"

	"paysuite/pkg/devchain"
	"paysuite/pkg/devchain/devchaintest"
	"paysuite/pkg/ethtx"
	"paysuite/pkg/events"
	"paysuite/pkg/txsender"
)

// alertRecorder records the sender's alerts with the hook calls, in the
// transaction that raises them.
type alertRecorder struct{ recorder }

func (alertRecorder) Alert(_ context.Context, tx *gorm.DB, a txsender.Alert) error {
	return tx.Create(&hookCall{SendKey: a.Key, Kind: "alert", TxHash: a.Kind}).Error
}

// alerting is a sender whose hooks record alerts too.
func (e *env) alerting(cfg txsender.Config) *txsender.Sender {
	e.t.Helper()
	return e.senderWith(cfg, e.node, alertRecorder{})
}

// alerts counts the alerts of kind raised about key.
func (e *env) alerts(kind, key string) int64 {
	e.t.Helper()
	var n int64
	if err := e.db.Model(&hookCall{}).Where("kind = 'alert' AND tx_hash = ? AND send_key = ?", kind, key).Count(&n).Error; err != nil {
		e.t.Fatal(err)
	}
	return n
}

// waitFor waits until cond holds.
func (e *env) waitFor(what string, timeout time.Duration, cond func() bool) {
	e.t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			e.t.Fatalf("%s: not after %s", what, timeout)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// submitErr is submit that returns Submit's error.
func (e *env) submitErr(s *txsender.Sender, key string, to common.Address, amount int64) error {
	return e.db.WithContext(e.t.Context()).Transaction(func(tx *gorm.DB) error {
		_, err := s.Submit(e.t.Context(), tx, txsender.Request{Key: key, Purpose: "test", Ref: key, From: e.from, To: e.token,
			Data: e.transferData(to, amount)})
		return err
	})
}

func (e *env) setStoredNonce(n uint64) {
	e.t.Helper()
	if err := e.db.Exec("UPDATE tx_nonces SET next_nonce = ? WHERE address = ?", n, strings.ToLower(e.from.Hex())).Error; err != nil {
		e.t.Fatal(err)
	}
}

func newRecipient() common.Address {
	k, _ := crypto.GenerateKey()
	return crypto.PubkeyToAddress(k.PublicKey)
}

// A nonce gap made behind the sender's back (the stored nonce moved) while a
// send was signed above it: the unmined send makes the tracker compare the
// nonces, which stops signing, alerts and fails Ready; the repair fills the
// gap, and every send is mined once at its own nonce.
func TestNonceGapStopsSigningUntilRepaired(t *testing.T) {
	e := newEnv(t)
	cfg := testConfig()
	cfg.ReplaceAfter = 300 * time.Millisecond
	s := e.alerting(cfg)
	e.runMining(s)
	to := newRecipient()
	e.submit(s, "gap-0", to, 1, 0)
	e.waitFinal("gap-0", 30*time.Second)

	e.setStoredNonce(4) // nonces 1..3 are now held by nothing
	gapped := e.submit(s, "gap-4", to, 10, 0)
	if gapped.Nonce != 4 {
		t.Fatalf("signed at nonce %d", gapped.Nonce)
	}
	from := strings.ToLower(e.from.Hex())
	e.waitFor("nonce_mismatch alert", 30*time.Second, func() bool { return e.alerts(events.AlertNonceMismatch, from) == 1 })
	err := s.Ready(t.Context())
	if err == nil || !strings.Contains(err.Error(), "3 nonces from 1 up") {
		t.Fatalf("Ready: %v", err)
	}
	if err := e.submitErr(s, "gap-5", to, 100); !errors.Is(err, txsender.ErrHalted) {
		t.Fatalf("Submit while stopped: %v", err)
	}
	got, _ := txsender.SendByKey(e.db, "gap-4")
	if got.Attempts != 1 {
		t.Fatalf("a send above a gap was replaced %d times", got.Attempts-1)
	}

	plan, err := s.RepairNonces(t.Context(), false)
	if err != nil || len(plan) != 1 || plan[0].Applied || len(plan[0].Fillers) != 3 || plan[0].Fillers[0] != 1 {
		t.Fatalf("dry run: %+v, %v", plan, err)
	}
	if err := s.Ready(t.Context()); err == nil {
		t.Fatal("a dry run resumed signing")
	}
	done, err := s.RepairNonces(t.Context(), true)
	if err != nil || len(done) != 1 || !done[0].Applied {
		t.Fatalf("repair: %+v, %v", done, err)
	}
	t.Log(done[0])
	if err := s.Ready(t.Context()); err != nil {
		t.Fatalf("Ready after the repair: %v", err)
	}
	final := e.waitFinal("gap-4", 60*time.Second)
	// Mined at its own nonce (perhaps as a replacement, with the same nonce).
	if final.State != txsender.StateConfirmed || final.Nonce != 4 {
		t.Fatalf("gap-4: %+v", final)
	}
	e.submit(s, "gap-5", to, 100, 0)
	if e.waitFinal("gap-5", 30*time.Second).State != txsender.StateConfirmed {
		t.Fatal("gap-5 not confirmed")
	}
	if b := e.tokenBalance(to); b != 111 || e.transferLogsTo(to) != 3 {
		t.Fatalf("recipient holds %d in %d transfers", b, e.transferLogsTo(to))
	}
	if n, _ := e.node.NonceAt(t.Context(), e.from, nil); n != 6 {
		t.Fatalf("chain nonce %d, want 6", n)
	}
	for _, key := range []string{"gap-0", "gap-4", "gap-5"} {
		e.checkHooksOnce(key)
	}
	var fillerHooks int64
	e.db.Model(&hookCall{}).Where("send_key LIKE ?", txsender.PurposeFiller+"%").Count(&fillerHooks)
	if fillerHooks != 0 {
		t.Errorf("the service's hooks saw %d calls about fillers", fillerHooks)
	}
}

// The key used outside the suite: the chain is ahead of the store. Signing
// stops when a restarted replica compares the nonces; the repair moves the
// next nonce.
func TestKeyUsedElsewhereStopsSigningUntilRepaired(t *testing.T) {
	e := newEnv(t)
	e.mineInBackground(100 * time.Millisecond)
	first := e.alerting(testConfig())
	e.run(first)
	to := newRecipient()
	e.submit(first, "out-0", to, 1, 0)
	e.waitFinal("out-0", 30*time.Second)
	for range 2 {
		tx, err := ethtx.Send(t.Context(), e.node.Client, e.key, to, nil, big.NewInt(1))
		if err != nil {
			t.Fatal(err)
		}
		e.waitFor("outside transaction mined", 30*time.Second, func() bool {
			r, _ := e.node.Receipts(t.Context(), []common.Hash{tx.Hash()})
			return r[0] != nil
		})
	}
	// A restarted replica compares the nonces at start.
	s := e.alerting(testConfig())
	if err := s.CheckChain(t.Context(), e.from); err != nil {
		t.Fatal(err)
	}
	if err := e.submitErr(s, "out-1", to, 10); !errors.Is(err, txsender.ErrHalted) || !strings.Contains(err.Error(), "signed elsewhere") {
		t.Fatalf("Submit: %v", err)
	}
	if e.alerts(events.AlertNonceMismatch, strings.ToLower(e.from.Hex())) != 1 {
		t.Fatal("no nonce_mismatch alert")
	}
	done, err := s.RepairNonces(t.Context(), true)
	if err != nil || len(done) != 1 || done[0].NextNonce != 3 || done[0].Report.Kind != txsender.MismatchAhead {
		t.Fatalf("repair: %+v, %v", done, err)
	}
	send := e.submit(s, "out-1", to, 10, 0)
	if send.Nonce != 3 || e.waitFinal("out-1", 30*time.Second).State != txsender.StateConfirmed {
		t.Fatalf("out-1 at nonce %d", send.Nonce)
	}
	if e.tokenBalance(to) != 11 {
		t.Fatalf("recipient holds %d", e.tokenBalance(to))
	}
}

// A send that cannot be mined (its tip stays under what the miner takes) is
// replaced a bounded number of times, or until the fee limit, then raises one
// stuck_transaction alert and is not replaced again.
func TestUnminableSendEndsInStuckAlert(t *testing.T) {
	tests := []struct {
		name            string
		maxTipGwei      string
		maxReplacements int
		wantAttempts    int
	}{
		// Tips of at most 0.0005 gwei stay under the 0.001 gwei the
		// development miner takes.
		{name: "replacements bounded", maxTipGwei: "0.0005", maxReplacements: 1, wantAttempts: 2},
		{name: "fees at their limit", maxTipGwei: "0.0000001", maxReplacements: 10, wantAttempts: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			cfg := testConfig()
			cfg.MaxTipGwei, cfg.MaxReplacements, cfg.ReplaceAfter = tt.maxTipGwei, tt.maxReplacements, 200*time.Millisecond
			s := e.alerting(cfg)
			// The first attempt is priced at 100 wei of tip.
			low := cfg
			low.MaxTipGwei = "0.0000001"
			send := e.submit(e.alerting(low), "stuck-1", newRecipient(), 5, 0)
			e.runMining(s)
			e.waitFor("stuck_transaction alert", 30*time.Second, func() bool {
				return e.alerts(events.AlertStuckTransaction, send.From) == 1
			})
			got, _ := txsender.SendByKey(e.db, "stuck-1")
			if got.Final() || got.Attempts != tt.wantAttempts {
				t.Fatalf("send: state %s, %d attempts, want %d", got.State, got.Attempts, tt.wantAttempts)
			}
			// Still followed (rebroadcast), never replaced again, alerted once.
			e.mine(5)
			if err := s.Step(t.Context()); err != nil {
				t.Fatal(err)
			}
			again, _ := txsender.SendByKey(e.db, "stuck-1")
			if again.Attempts != tt.wantAttempts || e.alerts(events.AlertStuckTransaction, send.From) != 1 {
				t.Fatalf("after more steps: %d attempts, %d alerts", again.Attempts, e.alerts(events.AlertStuckTransaction, send.From))
			}
		})
	}
}

// A development chain started afresh (another genesis) with the same
// database: in the development mode the sender forgets the old chain,
// answering its unfinished sends failed, and the next send is mined at the
// new chain's nonce; outside it, the sender refuses to start.
func TestNewDevelopmentChainResetsSenderState(t *testing.T) {
	e := newEnv(t)
	s := e.sender(testConfig())
	if err := s.CheckChain(t.Context(), e.from); err != nil {
		t.Fatal(err)
	}
	to := newRecipient()
	stop := runUntilStopped(t, s)
	e.mineInBackground(100 * time.Millisecond)
	e.submit(s, "old-0", to, 1, 0)
	e.waitFinal("old-0", 30*time.Second)
	// Mined on the old chain, never final there.
	err := e.db.Transaction(func(tx *gorm.DB) error {
		_, err := s.Submit(t.Context(), tx, txsender.Request{Key: "old-1", Ref: "old-1", From: e.from, To: e.token,
			Data: e.transferData(to, 2), Confirmations: 1000})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	e.waitFor("old-1 mined", 30*time.Second, func() bool {
		send, _ := txsender.SendByKey(e.db, "old-1")
		return send.State == txsender.StateIncluded
	})
	stop() // the old chain's replicas are gone

	// Another genesis: the development chain started afresh.
	chain := devchaintest.StartOtherThan(t, e.chain.Genesis(), devchain.Config{})
	node, err := txsender.Dial(t.Context(), chain.HTTPURL())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(node.Close)
	e.fund(chain)

	prod := testConfig()
	if err := prod.Validate(false); err != nil {
		t.Fatal(err)
	}
	keys := func(context.Context, common.Address) (*ecdsa.PrivateKey, error) { return e.key, nil }
	refusing, err := txsender.New(t.Context(), e.db, node, keys, recorder{}, prod, zerolog.Nop())
	if err != nil {
		t.Fatal(err)
	}
	if err := refusing.CheckChain(t.Context(), e.from); !errors.Is(err, txsender.ErrOtherChain) {
		t.Fatalf("CheckChain outside the development mode: %v", err)
	}

	dev := e.senderWith(testConfig(), node, recorder{})
	if err := dev.CheckChain(t.Context(), e.from); err != nil {
		t.Fatal(err)
	}
	var answers []hookCall
	if err := e.db.Where("send_key = 'old-1' AND kind = 'final'").Find(&answers).Error; err != nil {
		t.Fatal(err)
	}
	if len(answers) != 1 || answers[0].State != txsender.StateFailed {
		t.Fatalf("old-1 answers: %+v", answers)
	}
	if err := dev.Ready(t.Context()); err != nil {
		t.Fatal(err)
	}
	send := e.submit(dev, "new-0", to, 7, 0)
	if send.Nonce != 0 {
		t.Fatalf("first send on the new chain at nonce %d", send.Nonce)
	}
	e.run(dev)
	chain.MineEvery(100 * time.Millisecond)
	if e.waitFinal("new-0", 30*time.Second).State != txsender.StateConfirmed {
		t.Fatal("new-0 not confirmed")
	}
	if b, _ := txsender.TokenBalance(t.Context(), node, e.token, to, nil); b.Int64() != 7 {
		t.Fatalf("recipient holds %s on the new chain", b)
	}
}

// runUntilStopped runs the tracker of s until stop is called (or the test ends).
func runUntilStopped(t *testing.T, s *txsender.Sender) (stop func()) {
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan struct{})
	go func() { defer close(done); _ = s.Run(ctx) }()
	stop = func() { cancel(); <-done }
	t.Cleanup(stop)
	return stop
}
