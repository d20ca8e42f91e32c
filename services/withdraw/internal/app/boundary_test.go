package app

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"math/big"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"

	"paysuite/pkg/contract"
	"paysuite/pkg/ethtx"
	"paysuite/pkg/events"
	"paysuite/pkg/keystore"
	"paysuite/pkg/service/servicetest"
	"paysuite/services/withdraw/internal/store"
)

// Only a correctly signed request moves funds. After a withdrawal is final,
// a message with its request_id and no sign, one with a bad sign, and a
// correctly signed repeat with a stale timestamp change nothing: the first two
// are rejected, the third gets exactly the stored return again. Every return
// of the flow (submitted, final with status 1 and 0, rejected), republished
// unchanged as a request, is rejected as invalid_request and changes nothing.
// A rotation of the signing secret is under way: a request signed with the
// previous secret is accepted, and every return is signed with the current
// one.
func TestOnlySignedRequestsMoveFunds(t *testing.T) {
	s := start(t)
	queue := s.cfg.Names.WithdrawQueue
	paid, other := s.address("paid"), s.address("other")

	s.publish(s.public, queue, s.request(previousSecret, map[string]any{
		"request_id": "w-paid", "to_address": paid.Hex(), "amount": "1.5"}, time.Now()))
	submitted := s.expect("w-paid", contract.EventSubmitted, contract.StatusPending)
	final := s.expect("w-paid", contract.EventWithdraw, contract.StatusSuccess)
	s.publish(s.public, queue, s.request(currentSecret, map[string]any{
		"request_id": "w-refused", "to_address": paid.Hex(), "amount": "5000000"}, time.Now()))
	refused := s.expect("w-refused", contract.EventWithdraw, contract.StatusFailed)
	if refused.Str("error") != contract.ErrInsufficientBalance {
		t.Fatalf("refusal %s, want insufficient_balance", refused.Body)
	}
	s.expectSealedAlert(events.AlertLowBalance)
	before := s.state(paid, other)

	forged := map[string]any{"request_id": "w-paid", "to_address": other.Hex(), "amount": "7", "timestamp": time.Now().Unix()}
	unsigned, err := json.Marshal(forged)
	if err != nil {
		t.Fatal(err)
	}
	s.publish(s.public, queue, unsigned)
	s.publish(s.public, queue, s.request([]byte("not-the-signing-secret"), forged, time.Now()))
	forged["timestamp"] = time.Now().Add(-time.Hour).Unix()
	s.publish(s.public, queue, s.request(currentSecret, forged, time.Now()))
	rejected := s.expectRejected("w-paid", contract.ErrBadSignature)
	s.expectRejected("w-paid", contract.ErrBadSignature)
	again := s.next("the stale signed repeat")
	if !bytes.Equal(again.Body, final.Body) || again.MessageID != final.MessageID {
		t.Fatalf("stale signed repeat answered %s (%s), want the stored %s (%s)", again.Body, again.MessageID, final.Body, final.MessageID)
	}

	returns := []servicetest.Return{submitted, final, refused, rejected}
	for _, r := range returns {
		s.publish(s.public, queue, r.Body)
	}
	for _, r := range returns {
		s.expectRejected(r.Str("request_id"), contract.ErrInvalidRequest)
	}
	// Every answer before this one's has been read: there was none but those.
	s.publish(s.public, queue, []byte(`{"request_id":"w-last"}`))
	s.expectRejected("w-last", contract.ErrBadSignature)
	if after := s.state(paid, other); !maps.Equal(before, after) {
		t.Fatalf("state changed:\nbefore %v\nafter  %v", before, after)
	}
}

// address is an address of the test's own, by name.
func (s *suite) address(name string) common.Address {
	return common.BytesToAddress(crypto.Keccak256([]byte(s.t.Name() + "/" + name))[12:])
}

// expectSealedAlert reads the operator alerts until one of kind: every one
// is sealed with the internal secret, and comes from withdraw.
func (s *suite) expectSealedAlert(kind string) {
	s.t.Helper()
	servicetest.ExpectAlert(s.t, s.keys, s.alerts, "withdraw", kind)
}

// state is what a forged message must not change: the withdrawals, the
// sends, the outbox (once it has been published), and on chain the hot
// wallet's balances and nonce and the tokens of holders.
func (s *suite) state(holders ...common.Address) map[string]string {
	s.t.Helper()
	servicetest.Eventually(s.t, "the outbox published", func() bool { return s.count("outbox") == 0 })
	var rows []store.Withdrawal
	if err := s.db.Order("request_id").Find(&rows).Error; err != nil {
		s.t.Fatal(err)
	}
	stored, err := json.Marshal(rows)
	if err != nil {
		s.t.Fatal(err)
	}
	key, err := s.cfg.HotKey()
	if err != nil {
		s.t.Fatal(err)
	}
	hot := keystore.Address(key)
	ctx := s.t.Context()
	ether, err := s.eth.BalanceAt(ctx, hot, nil)
	if err != nil {
		s.t.Fatal(err)
	}
	nonce, err := s.eth.PendingNonceAt(ctx, hot)
	if err != nil {
		s.t.Fatal(err)
	}
	out := map[string]string{
		"withdrawals": string(stored), "tx_sends": fmt.Sprint(s.count("tx_sends")), "tx_attempts": fmt.Sprint(s.count("tx_attempts")),
		"hot ether": ether.String(), "hot pending nonce": fmt.Sprint(nonce),
	}
	for _, a := range append([]common.Address{hot}, holders...) {
		out["tokens of "+a.Hex()] = s.tokens(a).String()
	}
	return out
}

func (s *suite) tokens(holder common.Address) *big.Int {
	s.t.Helper()
	bal, err := ethtx.TokenBalance(s.t.Context(), s.eth, s.cfg.Tokens[0].Address, holder)
	if err != nil {
		s.t.Fatal(err)
	}
	return bal
}

func (s *suite) count(table string) int64 {
	s.t.Helper()
	var n int64
	if err := s.db.Table(table).Count(&n).Error; err != nil {
		s.t.Fatal(err)
	}
	return n
}
