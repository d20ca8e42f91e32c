package txsender_test

import (
	"context"
	"crypto/ecdsa"
	"errors"
	"fmt"
	"math/big"
	"sync"
	"testing"
	"testing/fstest"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/rs/zerolog"
	"gorm.io/gorm"

	"paysuite/pkg/db/dbtest"
	"paysuite/pkg/devchain/devchaintest"
	"paysuite/pkg/erc20"
	"paysuite/pkg/ethtx"
	"paysuite/pkg/txsender"
)

// hookDDL records hook calls in the same transaction as the change they report.
const hookDDL = `CREATE TABLE hook_calls (
  id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  send_key VARCHAR(128) NOT NULL,
  kind VARCHAR(16) NOT NULL,
  state VARCHAR(16) NOT NULL,
  tx_hash CHAR(66) NOT NULL
) ENGINE=InnoDB;
`

type hookCall struct {
	SendKey string `gorm:"column:send_key"`
	Kind    string `gorm:"column:kind"`
	State   string `gorm:"column:state"`
	TxHash  string `gorm:"column:tx_hash"`
}

func (hookCall) TableName() string { return "hook_calls" }

type recorder struct{}

func (recorder) Committed() {}

func (recorder) Broadcast(_ context.Context, tx *gorm.DB, s *txsender.Send) error {
	return tx.Create(&hookCall{SendKey: s.Key, Kind: "broadcast", State: s.State, TxHash: s.TxHash}).Error
}

func (recorder) Final(_ context.Context, tx *gorm.DB, s *txsender.Send) error {
	h := s.TxHash
	if s.MinedHash != nil {
		h = *s.MinedHash
	}
	return tx.Create(&hookCall{SendKey: s.Key, Kind: "final", State: s.State, TxHash: h}).Error
}

// env is one test's chain, schema and funded sending key.
type env struct {
	t     *testing.T
	chain *devchaintest.Chain
	node  *txsender.RPCNode
	db    *gorm.DB
	key   *ecdsa.PrivateKey
	from  common.Address
	token common.Address
}

func newEnv(t *testing.T) *env {
	t.Helper()
	chain := devchaintest.Start(t)
	node, err := txsender.Dial(t.Context(), chain.HTTPURL())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(node.Close)
	gdb := dbtest.Open(t, fstest.MapFS{
		"0001_txsender.sql": {Data: []byte(txsender.Schema())},
		"0002_hooks.sql":    {Data: []byte(hookDDL)},
	})
	key, err := crypto.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	e := &env{t: t, chain: chain, node: node, db: gdb, key: key, from: crypto.PubkeyToAddress(key.PublicKey),
		token: common.HexToAddress(erc20.DevTokenAddress)}
	e.fund(chain)
	return e
}

// fund gives the sending key 1 ether and 1,000 test USDT on chain.
func (e *env) fund(chain *devchaintest.Chain) {
	e.t.Helper()
	chain.Fund(e.from, big.NewInt(1e18), big.NewInt(1_000_000_000))
}

// mineInBackground mines a block every period until the test ends.
func (e *env) mineInBackground(period time.Duration) {
	e.chain.MineEvery(period)
}

func (e *env) mine(n int) {
	e.t.Helper()
	if err := e.chain.Mine(n); err != nil {
		e.t.Fatal(err)
	}
}

func testConfig() txsender.Config {
	c := txsender.Config{Confirmations: 3, MaxFeeGwei: "100", MaxTipGwei: "2", GasMarginPercent: 20,
		ReplaceAfter: time.Minute, MaxReplacements: 10, RebroadcastAfter: 300 * time.Millisecond, PollInterval: 50 * time.Millisecond}
	return c
}

func (e *env) sender(cfg txsender.Config) *txsender.Sender {
	e.t.Helper()
	return e.senderWith(cfg, e.node, recorder{})
}

// senderWith is sender with its own node and hooks.
func (e *env) senderWith(cfg txsender.Config, node txsender.Node, hooks txsender.Hooks) *txsender.Sender {
	e.t.Helper()
	if err := cfg.Validate(true); err != nil {
		e.t.Fatal(err)
	}
	keys := func(_ context.Context, from common.Address) (*ecdsa.PrivateKey, error) {
		if from == e.from {
			return e.key, nil
		}
		return nil, nil
	}
	s, err := txsender.New(e.t.Context(), e.db, node, keys, hooks, cfg, zerolog.New(zerolog.NewTestWriter(e.t)))
	if err != nil {
		e.t.Fatal(err)
	}
	return s
}

// run runs the tracker of s until the test ends.
func (e *env) run(s *txsender.Sender) {
	ctx, cancel := context.WithCancel(e.t.Context())
	done := make(chan struct{})
	e.t.Cleanup(func() { cancel(); <-done })
	go func() { defer close(done); _ = s.Run(ctx) }()
}

// submit stores a token transfer in its own transaction and returns the send.
func (e *env) submit(s *txsender.Sender, key string, to common.Address, amount int64, gas uint64) *txsender.Send {
	e.t.Helper()
	var send *txsender.Send
	err := e.db.WithContext(e.t.Context()).Transaction(func(tx *gorm.DB) error {
		var err error
		send, err = s.Submit(e.t.Context(), tx, txsender.Request{
			Key: key, Purpose: "test", Ref: key, From: e.from, To: e.token,
			Data: e.transferData(to, amount), GasLimit: gas,
		})
		return err
	})
	if err != nil {
		e.t.Fatal(err)
	}
	return send
}

// waitFinal waits until the send stored under key is final.
func (e *env) waitFinal(key string, timeout time.Duration) *txsender.Send {
	e.t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		s, err := txsender.SendByKey(e.db.WithContext(e.t.Context()), key)
		if err != nil {
			e.t.Fatal(err)
		}
		if s != nil && s.Final() {
			return s
		}
		if time.Now().After(deadline) {
			e.t.Fatalf("send %s not final after %s: %+v", key, timeout, s)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// runReplicas starts n senders, each running its tracker, and mines a block every 100 ms, until
// the test ends.
func (e *env) runReplicas(n int) []*txsender.Sender {
	e.t.Helper()
	senders := make([]*txsender.Sender, n)
	for i := range senders {
		senders[i] = e.sender(testConfig())
		e.run(senders[i])
	}
	e.mineInBackground(100 * time.Millisecond)
	return senders
}

// concurrently runs fn(0), ..., fn(n-1) at the same time and fails the test on any error.
func concurrently(t *testing.T, n int, fn func(i int) error) {
	t.Helper()
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		wg.Go(func() { errs <- fn(i) })
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
}

// recipient returns a fresh address that holds nothing.
func (e *env) recipient() common.Address {
	e.t.Helper()
	k, err := crypto.GenerateKey()
	if err != nil {
		e.t.Fatal(err)
	}
	return crypto.PubkeyToAddress(k.PublicKey)
}

// runMining runs the tracker of s, and mines a block every 100 ms, until the test ends.
func (e *env) runMining(s *txsender.Sender) {
	e.run(s)
	e.mineInBackground(100 * time.Millisecond)
}

// submitBroadcast stores a token transfer like submit, then broadcasts it.
func (e *env) submitBroadcast(s *txsender.Sender, key string, to common.Address, amount int64, gas uint64) *txsender.Send {
	e.t.Helper()
	send := e.submit(s, key, to, amount, gas)
	if err := s.Broadcast(e.t.Context(), send.ID); err != nil {
		e.t.Fatal(err)
	}
	return send
}

// checkHooksOnce fails the test unless the send under key had one Broadcast and one Final hook.
func (e *env) checkHooksOnce(key string) {
	e.t.Helper()
	if c := e.hookCalls(key); c["broadcast"] != 1 || c["final"] != 1 {
		e.t.Fatalf("send %s hooks: %v", key, c)
	}
}

// checkPaidOnce fails the test unless to holds units of the token, received in one transfer.
func (e *env) checkPaidOnce(to common.Address, units int64) {
	e.t.Helper()
	if got, n := e.tokenBalance(to), e.transferLogsTo(to); got != units || n != 1 {
		e.t.Fatalf("%s holds %d in %d transfers, want %d in one", to.Hex(), got, n, units)
	}
}

// waitMinedAsStored waits until send is final and fails the test unless it is confirmed with the
// transaction stored first mined.
func (e *env) waitMinedAsStored(send *txsender.Send) *txsender.Send {
	e.t.Helper()
	got := e.waitFinal(send.Key, 30*time.Second)
	if got.State != txsender.StateConfirmed || *got.MinedHash != send.FirstHash {
		e.t.Fatalf("send %s final: %+v, want its stored transaction %s mined", send.Key, got, send.FirstHash)
	}
	return got
}

func (e *env) hookCalls(key string) map[string]int {
	var calls []hookCall
	if err := e.db.Where("send_key = ?", key).Find(&calls).Error; err != nil {
		e.t.Fatal(err)
	}
	out := map[string]int{}
	for _, c := range calls {
		out[c.Kind]++
	}
	return out
}

func (e *env) tokenBalance(a common.Address) int64 {
	e.t.Helper()
	b, err := txsender.TokenBalance(e.t.Context(), e.node, e.token, a, nil)
	if err != nil {
		e.t.Fatal(err)
	}
	return b.Int64()
}

func (e *env) transferLogsTo(a common.Address) int {
	e.t.Helper()
	logs, err := e.node.FilterLogs(e.t.Context(), filterTransfersTo(e.token, a))
	if err != nil {
		e.t.Fatal(err)
	}
	return len(logs)
}

func TestReplicasUseContiguousNonces(t *testing.T) {
	e := newEnv(t)
	const replicas, each = 3, 10
	senders := e.runReplicas(replicas)
	recipients := make([]common.Address, replicas*each)
	for i := range recipients {
		recipients[i] = e.recipient()
	}
	concurrently(t, len(recipients), func(i int) error {
		s := senders[i%replicas]
		var send *txsender.Send
		err := e.db.Transaction(func(tx *gorm.DB) error {
			var err error
			send, err = s.Submit(t.Context(), tx, txsender.Request{
				Key: fmt.Sprintf("c-%d", i), From: e.from, To: e.token,
				Data: e.transferData(recipients[i], int64(1000+i)),
			})
			return err
		})
		if err != nil {
			return err
		}
		return s.Broadcast(t.Context(), send.ID)
	})
	nonces := map[uint64]bool{}
	for i := range recipients {
		s := e.waitFinal(fmt.Sprintf("c-%d", i), time.Minute)
		if s.State != txsender.StateConfirmed {
			t.Fatalf("send %s: %s", s.Key, s.State)
		}
		tx, _, err := e.node.TransactionByHash(t.Context(), common.HexToHash(*s.MinedHash))
		if err != nil {
			t.Fatal(err)
		}
		if nonces[tx.Nonce()] {
			t.Fatalf("nonce %d used twice", tx.Nonce())
		}
		nonces[tx.Nonce()] = true
		if got := e.tokenBalance(recipients[i]); got != int64(1000+i) {
			t.Errorf("recipient %d holds %d", i, got)
		}
		e.checkHooksOnce(s.Key)
	}
	for n := range uint64(len(recipients)) {
		if !nonces[n] {
			t.Errorf("nonce %d skipped", n)
		}
	}
	if n, _ := e.node.NonceAt(t.Context(), e.from, nil); n != uint64(len(recipients)) {
		t.Errorf("account nonce %d, want %d", n, len(recipients))
	}
}

func TestUnsentTransactionIsSentOnceAfterCrash(t *testing.T) {
	e := newEnv(t)
	to := e.recipient()
	// Signed and stored, then the process "died" before broadcasting.
	send := e.submit(e.sender(testConfig()), "crash-1", to, 777, 0)
	if send.State != txsender.StateSigned {
		t.Fatalf("state %s", send.State)
	}
	e.runMining(e.sender(testConfig()))
	if got := e.waitMinedAsStored(send); got.FeeETH() == "" {
		t.Fatalf("final without a fee: %+v", got)
	}
	e.checkPaidOnce(to, 777)
	e.checkHooksOnce("crash-1")
}

func TestDroppedTransactionIsSentAgain(t *testing.T) {
	e := newEnv(t)
	to := e.recipient()
	s := e.sender(testConfig())
	send := e.submitBroadcast(s, "drop-1", to, 5, 0)
	dropped, err := e.chain.DropTransaction(common.HexToHash(send.TxHash))
	if err != nil || !dropped {
		t.Fatalf("drop: %v %v", dropped, err)
	}
	e.mine(2)
	if r, _ := e.node.Receipts(t.Context(), []common.Hash{common.HexToHash(send.TxHash)}); r[0] != nil {
		t.Fatal("dropped transaction was mined")
	}
	e.runMining(s)
	if got := e.waitFinal("drop-1", 30*time.Second); got.State != txsender.StateConfirmed {
		t.Fatalf("final %+v", got)
	}
	e.checkPaidOnce(to, 5)
}

func TestUnderpricedTransactionIsReplaced(t *testing.T) {
	e := newEnv(t)
	to := e.recipient()
	// A tip of 100 wei is below what the development miner takes (0.001 gwei):
	// the transaction is accepted by the pool but never mined.
	cheap := testConfig()
	cheap.MaxTipGwei = "0.0000001"
	s := e.sender(cheap)
	send := e.submitBroadcast(s, "cheap-1", to, 9, 0)
	e.mine(3)
	if r, _ := e.node.Receipts(t.Context(), []common.Hash{common.HexToHash(send.TxHash)}); r[0] != nil {
		t.Fatal("underpriced transaction was mined")
	}
	// The operator raises the limit and restarts: the tracker replaces the
	// transaction with the same nonce and higher fees.
	fixed := testConfig()
	fixed.ReplaceAfter = 500 * time.Millisecond
	e.runMining(e.sender(fixed))
	got := e.waitFinal("cheap-1", 30*time.Second)
	if got.State != txsender.StateConfirmed || got.Attempts < 2 || *got.MinedHash == got.FirstHash {
		t.Fatalf("final: %+v", got)
	}
	atts, err := txsender.AttemptsOf(e.db, got.ID)
	if err != nil || len(atts) != got.Attempts {
		t.Fatalf("attempts %d (%v), send says %d", len(atts), err, got.Attempts)
	}
	e.checkPaidOnce(to, 9)
	if n, _ := e.node.NonceAt(t.Context(), e.from, nil); n != 1 {
		t.Fatalf("nonce %d", n)
	}
}

func TestReorgedTransactionIsSentAgain(t *testing.T) {
	e := newEnv(t)
	to := e.recipient()
	s := e.sender(testConfig())
	e.submitBroadcast(s, "reorg-1", to, 11, 0)
	e.mine(1)
	if err := s.Step(t.Context()); err != nil {
		t.Fatal(err)
	}
	first, _ := txsender.SendByKey(e.db, "reorg-1")
	if first.State != txsender.StateIncluded {
		t.Fatalf("state after one block: %s", first.State)
	}
	if err := e.chain.Reorg(1); err != nil {
		t.Fatal(err)
	}
	if err := s.Step(t.Context()); err != nil {
		t.Fatal(err)
	}
	back, _ := txsender.SendByKey(e.db, "reorg-1")
	if back.State != txsender.StatePending {
		t.Fatalf("state after reorg: %s", back.State)
	}
	e.runMining(s)
	got := e.waitFinal("reorg-1", 30*time.Second)
	if got.State != txsender.StateConfirmed || *got.BlockHash == *first.BlockHash {
		t.Fatalf("final: %+v", got)
	}
	e.checkPaidOnce(to, 11)
	e.checkHooksOnce("reorg-1")
}

func TestRevertedTransactionIsFinal(t *testing.T) {
	e := newEnv(t)
	to := e.recipient()
	s := e.sender(testConfig())
	e.runMining(s)
	// More than the sender holds, with a fixed gas limit (an estimate would fail).
	e.submitBroadcast(s, "revert-1", to, 2_000_000_000, 100_000)
	got := e.waitFinal("revert-1", 30*time.Second)
	if got.State != txsender.StateReverted || got.FeeETH() == "" || got.FeeETH() == "0" || *got.ReceiptStatus != 0 {
		t.Fatalf("final: %+v", got)
	}
	if c := e.hookCalls("revert-1"); c["final"] != 1 {
		t.Fatalf("hooks: %v", c)
	}
}

func TestNonceUsedElsewhereFails(t *testing.T) {
	e := newEnv(t)
	to := e.recipient()
	s := e.sender(testConfig())
	send := e.submit(s, "lost-1", to, 3, 0)
	// The same key spends nonce 0 outside the suite before the send goes out.
	if _, err := ethtx.Send(t.Context(), e.node.Client, e.key, to, nil, big.NewInt(1)); err != nil {
		t.Fatal(err)
	}
	e.runMining(s)
	got := e.waitFinal("lost-1", 30*time.Second)
	if got.State != txsender.StateFailed || got.Nonce != send.Nonce {
		t.Fatalf("final: %+v", got)
	}
	if e.tokenBalance(to) != 0 {
		t.Fatal("tokens moved")
	}
}

func TestSubmitCheckAbortsWithoutConsumingNonce(t *testing.T) {
	e := newEnv(t)
	s := e.sender(testConfig())
	refused := errors.New("not enough")
	err := e.db.Transaction(func(tx *gorm.DB) error {
		_, err := s.Submit(t.Context(), tx, txsender.Request{Key: "chk-1", From: e.from, To: e.token,
			Data:  e.transferData(e.from, 1),
			Check: func(*gorm.DB, txsender.Quote) error { return refused }})
		return err
	})
	if !errors.Is(err, refused) {
		t.Fatalf("Submit: %v", err)
	}
	send := e.submit(s, "chk-2", e.from, 1, 0)
	if send.Nonce != 0 {
		t.Fatalf("nonce %d after an aborted submit", send.Nonce)
	}
}
