// Package payoutstest sets up a funded hot wallet on a fresh development chain
// and schema for the tests of withdraw's payouts and requests, and checks
// what the chain and the schema hold afterwards.
package payoutstest

import (
	"context"
	"crypto/ecdsa"
	"errors"
	"math/big"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/rs/zerolog"
	"gorm.io/gorm"

	"paysuite/pkg/db/dbtest"
	"paysuite/pkg/devchain"
	"paysuite/pkg/erc20"
	"paysuite/pkg/ethtx"
	"paysuite/pkg/events"
	"paysuite/pkg/hdwallet"
	"paysuite/pkg/txsender"
	"paysuite/services/withdraw/internal/store"
)

// Secrets of the fixtures: requests and returns are signed with Secret,
// alerts and webhooks sealed with InternalSecret.
const (
	Secret         = "handler-test-secret"
	InternalSecret = "handler-test-internal-secret"
)

// HotUSDT is what the hot wallet of a fixture holds, in base units (1,000 USDT).
const HotUSDT = 1_000_000_000

// Fixture is one hot wallet on a fresh chain and schema, shared by the
// replicas a test starts.
type Fixture struct {
	T     *testing.T
	Chain *devchain.Chain
	Node  *txsender.RPCNode
	DB    *gorm.DB
	Key   *ecdsa.PrivateKey
	Hot   common.Address
	Token common.Address
	Keys  events.Keys
}

// New starts a chain, opens a schema and funds a fresh hot wallet with ether
// and HotUSDT.
func New(t *testing.T) *Fixture {
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
	keys, err := events.NewKeys([]byte(InternalSecret))
	if err != nil {
		t.Fatal(err)
	}
	f := &Fixture{T: t, Chain: chain, Node: node, DB: dbtest.Open(t, store.Migrations()), Key: key,
		Hot: crypto.PubkeyToAddress(key.PublicKey), Token: common.HexToAddress(erc20.DevTokenAddress), Keys: keys}
	funder, _, err := hdwallet.DevAccount(1)
	if err != nil {
		t.Fatal(err)
	}
	var nonces ethtx.Nonces
	if _, err := ethtx.SendWith(t.Context(), node.Client, &nonces, funder, f.Hot, nil, big.NewInt(1e18)); err != nil {
		t.Fatal(err)
	}
	if _, err := ethtx.TransferTokenWith(t.Context(), node.Client, &nonces, funder, f.Token, f.Hot, big.NewInt(HotUSDT)); err != nil {
		t.Fatal(err)
	}
	// The pool takes the funding in the background: mine until it shows.
	deadline := time.Now().Add(30 * time.Second)
	for {
		f.Mine(1)
		bal, err := ethtx.TokenBalance(t.Context(), node.Client, f.Token, f.Hot)
		if err != nil {
			t.Fatal(err)
		}
		if bal.Cmp(big.NewInt(HotUSDT)) == 0 {
			return f
		}
		if time.Now().After(deadline) {
			t.Fatalf("the hot wallet holds %s base units after funding, want %d", bal, HotUSDT)
		}
	}
}

// Mine mines n blocks.
func (f *Fixture) Mine(n int) {
	f.T.Helper()
	if err := f.Chain.Mine(n); err != nil {
		f.T.Fatal(err)
	}
}

// Log is the log of the replica called name, warnings and up.
func (f *Fixture) Log(name string) zerolog.Logger {
	return zerolog.New(zerolog.NewTestWriter(f.T)).Level(zerolog.WarnLevel).With().Str("replica", name).Logger()
}

// Sender is the transaction sender of one withdraw process on the shared
// schema and key, talking to node (the fixture's when nil). With a node that
// refuses every broadcast (RefusingNode) it stands for a process that dies
// after its commit and before anything reached the chain.
func (f *Fixture) Sender(node txsender.Node, hooks txsender.Hooks, log zerolog.Logger) *txsender.Sender {
	f.T.Helper()
	if node == nil {
		node = f.Node
	}
	cfg := txsender.Config{Confirmations: 2, MaxFeeGwei: "100", MaxTipGwei: "2", GasMarginPercent: 20,
		ReplaceAfter: time.Minute, RebroadcastAfter: 200 * time.Millisecond, PollInterval: 50 * time.Millisecond}
	if err := cfg.Validate(true); err != nil {
		f.T.Fatal(err)
	}
	keys := func(_ context.Context, from common.Address) (*ecdsa.PrivateKey, error) {
		if from == f.Hot {
			return f.Key, nil
		}
		return nil, nil
	}
	sender, err := txsender.New(f.T.Context(), f.DB, node, keys, hooks, cfg, log)
	if err != nil {
		f.T.Fatal(err)
	}
	return sender
}

// Track runs the tracker of s until the test ends.
func (f *Fixture) Track(s *txsender.Sender) {
	ctx, cancel := context.WithCancel(f.T.Context())
	done := make(chan struct{})
	f.T.Cleanup(func() { cancel(); <-done })
	go func() { defer close(done); _ = s.Run(ctx) }()
}

// To is the fresh recipient of the withdrawal id in this test.
func (f *Fixture) To(id string) common.Address {
	return common.BytesToAddress(crypto.Keccak256([]byte(f.T.Name() + "/" + id))[12:])
}

// Sends returns the stored sends by request_id, checking that the hot
// wallet's nonces were handed out once each from 0 without a gap.
func (f *Fixture) Sends() map[string]txsender.Send {
	f.T.Helper()
	var rows []txsender.Send
	if err := f.DB.Order("nonce").Find(&rows).Error; err != nil {
		f.T.Fatal(err)
	}
	out := map[string]txsender.Send{}
	for i, s := range rows {
		if s.Nonce != uint64(i) {
			f.T.Fatalf("send %d of %d has nonce %d: nonces are not contiguous", i, len(rows), s.Nonce)
		}
		if _, dup := out[s.Ref]; dup {
			f.T.Fatalf("withdrawal %s has two sends", s.Ref)
		}
		out[s.Ref] = s
	}
	return out
}

// BroadcastAll sends every stored send with s (a test's direct calls may
// have skipped the engine's own broadcast).
func (f *Fixture) BroadcastAll(s *txsender.Sender) {
	f.T.Helper()
	var ids []uint64
	if err := f.DB.Model(&txsender.Send{}).Pluck("id", &ids).Error; err != nil {
		f.T.Fatal(err)
	}
	for _, id := range ids {
		if err := s.Broadcast(f.T.Context(), id); err != nil {
			f.T.Fatal(err)
		}
	}
}

// WaitFinal mines until every withdrawal stored is answered, then checks the
// chain: the hot wallet sent exactly n transactions, and every recipient in
// paid got its amount once.
func (f *Fixture) WaitFinal(n int, paid map[common.Address]int64) {
	f.T.Helper()
	deadline := time.Now().Add(2 * time.Minute)
	tick := time.NewTicker(50 * time.Millisecond) // a block every tick, as a node would
	defer tick.Stop()
	for {
		var open int64
		if err := f.DB.Model(&store.Withdrawal{}).Where("final_body IS NULL").Count(&open).Error; err != nil {
			f.T.Fatal(err)
		}
		if open == 0 {
			break
		}
		if time.Now().After(deadline) {
			f.T.Fatalf("%d withdrawals without a final answer", open)
		}
		<-tick.C
		f.Mine(1)
	}
	if got, err := f.Node.NonceAt(f.T.Context(), f.Hot, nil); err != nil || got != uint64(n) {
		f.T.Fatalf("the hot wallet sent %d transactions (%v), want %d", got, err, n)
	}
	for to, units := range paid {
		got, err := ethtx.TokenBalance(f.T.Context(), f.Node.Client, f.Token, to)
		if err != nil {
			f.T.Fatal(err)
		}
		if got.Cmp(big.NewInt(units)) != 0 {
			f.T.Fatalf("%s holds %s base units, want %d", to.Hex(), got, units)
		}
	}
}

// RefusingNode is a node that loses every transaction sent to it.
type RefusingNode struct{ txsender.Node }

// SendTransaction fails as a lost connection does.
func (RefusingNode) SendTransaction(context.Context, *types.Transaction) error {
	return errors.New("connection reset by peer")
}
