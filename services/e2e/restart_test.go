package e2e

import (
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/ethclient"

	"paysuite/pkg/devchain"
)

// TestSuiteContinuesOnARestartedChain is `make up`, deposits and withdrawals,
// `make down`, `make up`: the development chain keeps its data folder, every
// service and the chain stop, and everything starts again on the same folder
// and schemas. The chain continues from its head, the deposit and the hot
// wallet's nonce carry on, and a request made before the restart still gets
// its original answer without a second payment.
func TestSuiteContinuesOnARestartedChain(t *testing.T) {
	cfg := devchain.Config{HTTPAddr: "127.0.0.1:0", WSAddr: "127.0.0.1:0", DataDir: t.TempDir()}
	s := NewSuiteOn(t, startChain(t, cfg))
	deposits := s.runDeposits()
	payouts := s.runWithdraw()
	first := depositThenWithdraw(t, s, deposits, payouts, "before")
	head := s.Head()

	s.stopAll()
	if err := s.Chain.Close(); err != nil {
		t.Fatalf("stop the chain: %v", err)
	}
	s.Eth.Close()
	s.Chain = startChain(t, cfg)
	var err error
	if s.Eth, err = ethclient.Dial(s.Chain.HTTPURL()); err != nil {
		t.Fatal(err)
	}
	if got := s.Head(); got < head {
		t.Fatalf("the restarted chain is at block %d, before the restart it was at %d", got, head)
	}
	// The collectors still follow the return queues; only the services start again.
	s.Start("chain-listener")
	s.Start("topup")
	s.WaitConsumers("pay.topup.queue", 1)
	s.startPayout("withdraw", "withdraw", withdrawQueue, 1)

	second := depositThenWithdraw(t, s, deposits, payouts, "after")
	if n := s.nonceOf(devAddress(t, withdrawHotPath)); n != 2 {
		t.Fatalf("the hot wallet sent %d transactions for two withdrawals", n)
	}
	if first == second {
		t.Fatalf("both withdrawals went to %s", first)
	}

	// The withdrawal made before the restart, asked again: the same answer, no new transfer.
	s.Publish(withdrawKey, withdrawal("restart-w-before", first, "1.25"))
	msgs := payouts.WaitFor(t, "the first withdrawal's answer again", wait, func(ms []Message) bool {
		return len(Find(ms, eventOf("restart-w-before", "withdraw"))) >= 2
	})
	sameBodies(t, "final of restart-w-before", Find(msgs, eventOf("restart-w-before", "withdraw")))
	if got := s.tokenBalance(first); got.Cmp(USDT("1.25")) != 0 || s.transfersTo(first) != 1 {
		t.Fatalf("the first recipient holds %s after %d transfers", got, s.transfersTo(first))
	}
	assertConsistent(t, deposits.All())
}

// depositThenWithdraw registers an address, deposits to it until confirmed,
// then withdraws 1.25 USDT to a new address until final; it returns that
// address.
func depositThenWithdraw(t *testing.T, s *Suite, deposits, payouts *Collector, tag string) string {
	t.Helper()
	depositID := "restart-dep-" + tag
	addr := register(t, s, deposits, depositID)
	s.SendUSDT(1, addr, "5.5")
	s.Mine(1)
	waitDeposit(t, deposits, depositID, 2, 1)
	s.Mine(confirmations)
	confirmed := waitDeposit(t, deposits, depositID, 1, 1)[0]
	if confirmed.Str("amount") != "5.5" {
		t.Fatalf("deposit %s: %s", tag, confirmed.Body)
	}

	to := newAddress(t)
	withdrawID := "restart-w-" + tag
	s.Publish(withdrawKey, withdrawal(withdrawID, to, "1.25"))
	stop := s.startMiner(100 * time.Millisecond)
	final := waitEvent(t, payouts, withdrawID, "withdraw")
	stop()
	if final.Num("status") != 1 {
		t.Fatalf("withdrawal %s: %s", tag, final.Body)
	}
	return to
}
