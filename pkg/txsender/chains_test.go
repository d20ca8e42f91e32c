package txsender_test

import (
	"errors"
	"math/big"
	"strings"
	"testing"
	"time"

	"paysuite/pkg/devchain"
	"paysuite/pkg/devchain/devchaintest"
	"paysuite/pkg/txsender"
)

// Two senders for one address on two chains (the ETH and BSC development
// chains) share a schema: each hands out its own nonces from 0, and with the
// BSC node stopped, the ETH sends are still mined and answered while the
// BSC send waits.
func TestSendersOfTwoChainsKeepTheirOwnNonces(t *testing.T) {
	e := newEnv(t)
	bsc := devchaintest.StartWith(t, devchain.Config{ChainID: devchain.BSCChainID})
	bscNode, err := txsender.Dial(t.Context(), bsc.HTTPURL())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(bscNode.Close)
	bsc.Fund(e.from, big.NewInt(1e18), big.NewInt(1e18))

	eth, bscSender := e.sender(testConfig()), e.senderWith(testConfig(), bscNode, recorder{})
	for _, s := range []*txsender.Sender{eth, bscSender} {
		if err := s.CheckChain(t.Context(), e.from); err != nil {
			t.Fatal(err)
		}
	}
	if bscSender.ChainID().Uint64() != devchain.BSCChainID || eth.ChainID().Cmp(bscSender.ChainID()) == 0 {
		t.Fatalf("chain ids %s and %s", eth.ChainID(), bscSender.ChainID())
	}
	to := newRecipient()
	sends := []*txsender.Send{
		e.submit(eth, "eth-0", to, 1, 0), e.submit(bscSender, "bsc-0", to, 2, 0),
		e.submit(eth, "eth-1", to, 3, 0), e.submit(bscSender, "bsc-1", to, 4, 0),
	}
	for i, want := range []struct {
		chain uint64
		nonce uint64
	}{{eth.ChainID().Uint64(), 0}, {devchain.BSCChainID, 0}, {eth.ChainID().Uint64(), 1}, {devchain.BSCChainID, 1}} {
		if sends[i].ChainID != want.chain || sends[i].Nonce != want.nonce {
			t.Fatalf("send %s: chain %d nonce %d, want chain %d nonce %d", sends[i].Key, sends[i].ChainID, sends[i].Nonce, want.chain, want.nonce)
		}
	}
	e.run(eth)
	e.run(bscSender)
	e.mineInBackground(100 * time.Millisecond)
	bsc.MineEvery(100 * time.Millisecond)
	for _, s := range sends {
		e.waitMinedAsStored(s)
	}
	if got, err := txsender.TokenBalance(t.Context(), bscNode, e.token, to, nil); err != nil || got.Int64() != 6 {
		t.Fatalf("recipient holds %v on BSC (%v), want 6", got, err)
	}
	if got := e.tokenBalance(to); got != 4 {
		t.Fatalf("recipient holds %d on ETH, want 4", got)
	}

	// One more send on BSC, stored before its node stops: it waits, the
	// ETH sends are not held back.
	waiting := e.submit(bscSender, "bsc-2", to, 5, 0)
	if err := bsc.Close(); err != nil {
		t.Fatal(err)
	}
	e.submit(eth, "eth-2", to, 6, 0)
	if got := e.waitFinal("eth-2", 30*time.Second); got.State != txsender.StateConfirmed || got.Nonce != 2 {
		t.Fatalf("eth-2 final: %+v", got)
	}
	if err := eth.Ready(t.Context()); err != nil {
		t.Fatal(err)
	}
	report, err := eth.CompareNonces(t.Context(), e.from)
	if err != nil || report.Stored != 3 || report.Kind != "" {
		t.Fatalf("ETH nonces: %+v (%v)", report, err)
	}
	if got, _ := txsender.SendByKey(e.db, "bsc-2"); got.Final() || got.Nonce != waiting.Nonce || waiting.Nonce != 2 {
		t.Fatalf("bsc-2 with its node stopped: %+v", got)
	}
}

// A sender configured without a chain list refuses a node of another chain id
// than the stored sends (CheckOnlyChain); the sender of the stored chain is
// accepted.
func TestCheckOnlyChainRefusesAnotherChainID(t *testing.T) {
	e := newEnv(t)
	eth := e.sender(testConfig())
	if err := eth.CheckChain(t.Context(), e.from); err != nil {
		t.Fatal(err)
	}
	if err := eth.CheckOnlyChain(t.Context()); err != nil {
		t.Fatalf("the stored chain's sender: %v", err)
	}
	bsc := devchaintest.StartWith(t, devchain.Config{ChainID: devchain.BSCChainID})
	bscNode, err := txsender.Dial(t.Context(), bsc.HTTPURL())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(bscNode.Close)
	other := e.senderWith(testConfig(), bscNode, recorder{})
	if err := other.CheckOnlyChain(t.Context()); !errors.Is(err, txsender.ErrOtherChain) || !strings.Contains(err.Error(), "chain id 1338") {
		t.Fatalf("CheckOnlyChain on BSC's node = %v, want ErrOtherChain", err)
	}
}
