package app

import (
	"bytes"
	"context"
	"io"
	"math/big"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/rs/zerolog"

	"paysuite/pkg/broker/brokertest"
	pkgconfig "paysuite/pkg/config"
	"paysuite/pkg/contract"
	"paysuite/pkg/db/dbtest"
	"paysuite/pkg/devchain"
	"paysuite/pkg/devchain/devchaintest"
	"paysuite/pkg/ethtx"
	"paysuite/pkg/events"
	"paysuite/pkg/payoutapp/payoutapptest"
	"paysuite/pkg/service/servicetest"
	"paysuite/services/withdraw/internal/config"
)

// A nonce gap made behind withdraw's back (the stored nonce moved) while a
// withdrawal is signed above it: once that withdrawal is not mined in time,
// signing stops, an alert and /readyz say why, and new withdrawals wait;
// the operator's repair fills the gap, and every withdrawal ends with one
// final answer, its tokens moved once.
func TestNonceGapStopsWithdrawalsUntilRepaired(t *testing.T) {
	httpAddr := servicetest.FreeAddr(t)
	s := start(t, map[string]string{"REPLACE_AFTER": "1s", "HTTP_ADDR": httpAddr})
	queue, to := s.Cfg.Names.WithdrawQueue, s.Address("to")
	withdraw := func(id, amount string) {
		s.Publish(s.Public, queue, s.Request(payoutapptest.CurrentSecret, map[string]any{"request_id": id, "to_address": to.Hex(), "amount": amount}, time.Now()))
	}
	withdraw("w-1", "1")
	s.Expect("w-1", contract.EventSubmitted, contract.StatusPending)
	s.Expect("w-1", contract.EventWithdraw, contract.StatusSuccess)

	if err := s.DB.Exec("UPDATE tx_nonces SET next_nonce = next_nonce + 3").Error; err != nil {
		t.Fatal(err)
	}
	withdraw("w-2", "2")
	s.Expect("w-2", contract.EventSubmitted, contract.StatusPending)
	s.ExpectSealedAlert(events.AlertNonceMismatch)
	servicetest.Eventually(t, "/readyz failing", func() bool {
		code, body := readyz(t, httpAddr)
		return code == http.StatusServiceUnavailable && strings.Contains(body, "3 nonces from 1 up")
	})
	withdraw("w-3", "3")

	var out bytes.Buffer
	if err := Operator(s.Cfg).Run(t.Context(), []string{"repair-nonces"}, &out, zerolog.Nop()); err != nil {
		t.Fatalf("dry run: %v\n%s", err, out.String())
	}
	if !strings.Contains(out.String(), "would sign an empty transaction") || !strings.Contains(out.String(), "nonces 1..3") {
		t.Fatalf("dry run says:\n%s", out.String())
	}
	if n := s.countWhere("tx_sends", "send_key = 'withdraw:w-3'"); n != 0 {
		t.Fatalf("w-3 signed while signing is stopped")
	}
	out.Reset()
	if err := Operator(s.Cfg).Run(t.Context(), []string{"repair-nonces", "--apply"}, &out, zerolog.Nop()); err != nil {
		t.Fatalf("repair: %v\n%s", err, out.String())
	}
	t.Log(out.String())

	finals := map[string]int{}
	for finals["w-2"] == 0 || finals["w-3"] == 0 {
		r := s.Next("the final answers of w-2 and w-3")
		if r.Str("event") == contract.EventWithdraw {
			if r.Int("status") != contract.StatusSuccess {
				t.Fatalf("final answer %s", r.Body)
			}
			finals[r.Str("request_id")]++
		}
	}
	servicetest.Eventually(t, "/readyz ready", func() bool {
		code, _ := readyz(t, httpAddr)
		return code == http.StatusOK
	})
	if got := s.TokensOf(to); got.Cmp(big.NewInt(6_000_000)) != 0 {
		t.Fatalf("recipient holds %s base units, want 6 USDT: one transfer each", got)
	}
	if n := s.countWhere("withdrawals", "state = 'done' AND status = 1"); n != 3 {
		t.Fatalf("%d withdrawals confirmed", n)
	}
}

// The development chain started afresh under a database that outlives it
// (make down, make up): withdraw resets its chain state at start, and the
// next withdrawal is confirmed on the new chain.
func TestWithdrawalOnAFreshDevChainWithTheSameDatabase(t *testing.T) {
	dbCfg := dbtest.Config(t)
	vhosts := brokertest.NewVhosts(t, "withdraw-genesis")
	mining := devchain.Config{BlockPeriod: 200 * time.Millisecond}
	first := devchaintest.StartWith(t, mining)
	env := map[string]string{
		"DEV_MODE": "true", "SIGN_SECRET": string(payoutapptest.CurrentSecret), "INTERNAL_SECRET": string(payoutapptest.InternalSecret),
		"AMQP_URL": vhosts.Public, "AMQP_INTERNAL_URL": vhosts.Internal, "AMQP_REQUEUE_DELAY": "50ms",
		"MYSQL_DSN": dbCfg.DSN, "MYSQL_SCHEMA": dbCfg.Schema, "ETH_RPC_URL": first.HTTPURL(),
		"CONFIRMATIONS": "2", "POLL_INTERVAL": "100ms", "HTTP_ADDR": "127.0.0.1:0", "WITHDRAW_WORKERS": "1",
	}
	cfg, stop := runUntilStopped(t, env)
	public, _ := servicetest.Connect(t, vhosts, cfg.Names)
	returns := brokertest.Follow(t, public, cfg.Names.WithdrawReturnQueue)
	to := common.HexToAddress("0x00000000000000000000000000000000000a11ce")
	withdraw := func(id string) {
		servicetest.Publish(t, public, cfg.Names.WithdrawQueue,
			servicetest.Sign(t, payoutapptest.CurrentSecret, map[string]any{"request_id": id, "to_address": to.Hex(), "amount": "1"}, time.Now()))
		for _, want := range []struct {
			event  string
			status int
		}{{contract.EventSubmitted, contract.StatusPending}, {contract.EventWithdraw, contract.StatusSuccess}} {
			if r := servicetest.Next(t, returns, id+" "+want.event); !r.Is(id, want.event, want.status) {
				t.Fatalf("got %s, want %s %s with status %d", r.Body, id, want.event, want.status)
			}
		}
	}
	withdraw("w-1")
	genesis := first.Genesis()
	stop()
	_ = first.Close()

	second := devchaintest.StartOtherThan(t, genesis, mining)
	env["ETH_RPC_URL"] = second.HTTPURL()
	runUntilStopped(t, env)
	withdraw("w-2")
	if bal, err := ethtx.TokenBalance(t.Context(), second.Eth, cfg.Tokens[0].Address, to); err != nil || bal.Cmp(big.NewInt(1_000_000)) != 0 {
		t.Fatalf("recipient holds %v on the new chain (%v)", bal, err)
	}
}

// runUntilStopped runs withdraw with env until stop is called or the test ends.
func runUntilStopped(t *testing.T, env map[string]string) (config.Config, func()) {
	t.Helper()
	for k, v := range env {
		t.Setenv(k, v)
	}
	cfg, err := pkgconfig.Load[config.Config]()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- Run(ctx, cfg, zerolog.New(zerolog.NewTestWriter(t)).Level(zerolog.WarnLevel)) }()
	var once sync.Once
	stop := func() {
		once.Do(func() {
			cancel()
			if err := <-done; err != nil {
				t.Errorf("withdraw stopped: %v", err)
			}
		})
	}
	t.Cleanup(stop)
	return cfg, stop
}

// readyz returns the status code and body of withdraw's /readyz (0 while it
// does not answer yet).
func readyz(t *testing.T, addr string) (int, string) {
	t.Helper()
	resp, err := http.Get("http://" + addr + "/readyz")
	if err != nil {
		return 0, ""
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(body)
}

func (s *suite) countWhere(table, where string) int64 {
	s.T.Helper()
	var n int64
	if err := s.DB.Table(table).Where(where).Count(&n).Error; err != nil {
		s.T.Fatal(err)
	}
	return n
}
