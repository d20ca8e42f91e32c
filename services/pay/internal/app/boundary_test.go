package app

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"math/big"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"

	"paysuite/pkg/broker"
	"paysuite/pkg/broker/brokertest"
	"paysuite/pkg/contract"
	"paysuite/pkg/ethtx"
	"paysuite/pkg/events"
	"paysuite/pkg/hdwallet"
	"paysuite/pkg/keystore"
	"paysuite/pkg/service/servicetest"
	"paysuite/services/pay/internal/store"
)

// Only a correctly signed request moves funds. After a payment is final, a
// message with its request_id and no sign, one with a bad sign, and a
// correctly signed repeat with a stale timestamp change nothing: the first
// two are rejected, the third gets exactly the stored return again. Every
// return of the flow (submitted, final with status 1 and 0, rejected),
// republished unchanged as a request, is rejected as invalid_request and
// changes nothing. A rotation of the signing secret is under way: a request
// signed with the previous secret is accepted, and every return is signed
// with the current one.
func TestOnlySignedRequestsMoveFunds(t *testing.T) {
	s := start(t)
	queue := s.cfg.Names.PayQueue
	user := s.learn(1)
	merchant, other := s.address("merchant"), s.address("other")
	payment := func(id, to, amount string) map[string]any {
		return map[string]any{"request_id": id, "order_id": "order-" + id, "from_address": user.Hex(), "to_address": to, "amount": amount}
	}

	s.publish(s.public, queue, s.request(previousSecret, payment("p-paid", merchant.Hex(), "2.5"), time.Now()))
	submitted := s.expect("p-paid", contract.EventSubmitted, contract.StatusPending)
	final := s.expect("p-paid", contract.EventPay, contract.StatusSuccess)
	if final.Str("paid_from") != store.PaidFromHot {
		t.Fatalf("paid from %s, want the hot wallet (the user's address is empty)", final.Str("paid_from"))
	}
	s.publish(s.public, queue, s.request(currentSecret, payment("p-refused", merchant.Hex(), "5000000"), time.Now()))
	refused := s.expect("p-refused", contract.EventPay, contract.StatusFailed)
	if refused.Str("error") != contract.ErrInsufficientBalance {
		t.Fatalf("refusal %s, want insufficient_balance", refused.Body)
	}
	s.expectSealedAlert(events.AlertLowBalance)
	before := s.state(user, merchant, other)

	forged := payment("p-paid", other.Hex(), "7")
	forged["timestamp"] = time.Now().Unix()
	unsigned, err := json.Marshal(forged)
	if err != nil {
		t.Fatal(err)
	}
	s.publish(s.public, queue, unsigned)
	s.publish(s.public, queue, s.request([]byte("not-the-signing-secret"), forged, time.Now()))
	forged["timestamp"] = time.Now().Add(-time.Hour).Unix()
	s.publish(s.public, queue, s.request(currentSecret, forged, time.Now()))
	rejected := s.expectRejected("p-paid", contract.ErrBadSignature)
	s.expectRejected("p-paid", contract.ErrBadSignature)
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
	s.publish(s.public, queue, []byte(`{"request_id":"p-last"}`))
	s.expectRejected("p-last", contract.ErrBadSignature)
	if after := s.state(user, merchant, other); !maps.Equal(before, after) {
		t.Fatalf("state changed:\nbefore %v\nafter  %v", before, after)
	}
}

// Pay learns a deposit address, which it would sign for, only from a message
// another service of the suite sealed for the queue it arrives on: a forged
// announcement (not sealed, sealed with another secret, or a genuine one
// sent to another queue) is dead-lettered with the reason, raises an alert,
// and teaches pay nothing.
func TestForgedAddressesAreNotLearned(t *testing.T) {
	s := start(t)
	keys, other := s.keys, s.newKeys([]byte("not-the-internal-secret"))
	one := func(i uint32) events.AddressAllocated {
		return events.AddressAllocated{Chain: s.cfg.Chain, Address: strings.ToLower(s.deposit(i).Hex()), Index: i}
	}
	list := func(i uint32) events.AddressList {
		return events.AddressList{Chain: s.cfg.Chain, Owner: events.OwnerTopup,
			Addresses: []events.ListedAddress{{Address: strings.ToLower(s.deposit(i).Hex()), Index: &i}}}
	}
	plain := func(v any) []byte {
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	seal := func(k events.Keys, key string, v any) []byte {
		b, err := k.Seal(key, v)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	forgeries := []struct {
		key  string // routing key on the internal exchange; "" sends straight to queue
		body []byte
	}{
		{events.AddressKey, plain(one(2))},
		{events.AddressKey, seal(other, events.AddressKey, one(3))},
		{events.AddressListKey, plain(list(4))},
		{events.AddressListKey, seal(other, events.AddressListKey, list(5))},
		// Genuine, but sealed for the other queue's routing key.
		{"", seal(keys, events.AddressKey, list(6))},
	}
	dead := brokertest.Follow(t, s.internal, s.cfg.Broker.DeadQueue)
	for _, f := range forgeries {
		if f.key == "" {
			s.publish(s.internal, events.AddressListQueue(events.OwnerPay), f.body)
			continue
		}
		if err := s.internal.Publish(t.Context(), events.Exchange, f.key, broker.Message{Body: f.body}); err != nil {
			t.Fatal(err)
		}
	}
	queues := []string{events.AddressQueue(events.OwnerPay), events.AddressListQueue(events.OwnerPay)}
	for range forgeries {
		d := brokertest.Next(t, dead, "a dead-lettered forgery")
		reason := brokertest.DeadReason(d)
		from, _ := d.Headers[broker.HeaderOriginalQueue].(string)
		if !strings.Contains(reason, "not authenticated") || !slices.Contains(queues, from) {
			t.Fatalf("dead letter from %q with reason %q, want an unauthenticated message of pay's address queues", from, reason)
		}
	}
	s.expectSealedAlert(events.AlertForgedMessage)
	// A genuine announcement after them is learned: the forgeries were handled
	// by consumers that work.
	s.learn(1)
	known := s.known()
	for i := uint32(2); i <= 6; i++ {
		if slices.Contains(known, strings.ToLower(s.deposit(i).Hex())) {
			t.Fatalf("pay learned deposit index %d from a forged message: %v", i, known)
		}
	}
}

// learn announces deposit index i of pay's seed as topup does, sealed, and
// waits until pay knows it.
func (s *suite) learn(i uint32) common.Address {
	s.t.Helper()
	addr := s.deposit(i)
	body, err := s.keys.Seal(events.AddressKey,
		events.AddressAllocated{Chain: s.cfg.Chain, Address: strings.ToLower(addr.Hex()), Index: i})
	if err != nil {
		s.t.Fatal(err)
	}
	if err := s.internal.Publish(s.t.Context(), events.Exchange, events.AddressKey, broker.Message{Body: body}); err != nil {
		s.t.Fatal(err)
	}
	servicetest.Eventually(s.t, fmt.Sprintf("pay learns deposit index %d", i), func() bool {
		return slices.Contains(s.known(), strings.ToLower(addr.Hex()))
	})
	return addr
}

// known lists the deposit addresses pay has learned.
func (s *suite) known() []string {
	s.t.Helper()
	var addrs []string
	if err := s.db.Model(&store.DepositAddress{}).Order("address").Pluck("address", &addrs).Error; err != nil {
		s.t.Fatal(err)
	}
	return addrs
}

// deposit is the deposit address of index i under pay's seed (the
// development mnemonic).
func (s *suite) deposit(i uint32) common.Address {
	s.t.Helper()
	key, err := hdwallet.PrivateKeyFromMnemonic(hdwallet.DevMnemonic, fmt.Sprintf("%s/%d", s.cfg.DepositPath, i))
	if err != nil {
		s.t.Fatal(err)
	}
	return crypto.PubkeyToAddress(key.PublicKey)
}

func (s *suite) newKeys(secret []byte) events.Keys {
	s.t.Helper()
	k, err := events.NewKeys(secret)
	if err != nil {
		s.t.Fatal(err)
	}
	return k
}

// address is an address of the test's own, by name.
func (s *suite) address(name string) common.Address {
	return common.BytesToAddress(crypto.Keccak256([]byte(s.t.Name() + "/" + name))[12:])
}

// expectSealedAlert reads the operator alerts until one of kind: every one
// is sealed with the internal secret, and comes from pay.
func (s *suite) expectSealedAlert(kind string) {
	s.t.Helper()
	servicetest.ExpectAlert(s.t, s.keys, s.alerts, "pay", kind)
}

// state is what a forged message must not change: the payments and the
// deposit addresses, the sends, the outbox (once it has been published), and
// on chain the balances and nonces of the hot wallet and of the user's
// address, and the tokens of holders.
func (s *suite) state(user common.Address, holders ...common.Address) map[string]string {
	s.t.Helper()
	servicetest.Eventually(s.t, "the outbox published", func() bool { return s.count("outbox") == 0 })
	var payments []store.Payment
	if err := s.db.Order("request_id").Find(&payments).Error; err != nil {
		s.t.Fatal(err)
	}
	stored, err := json.Marshal(payments)
	if err != nil {
		s.t.Fatal(err)
	}
	key, err := s.cfg.HotKey()
	if err != nil {
		s.t.Fatal(err)
	}
	hot := keystore.Address(key)
	out := map[string]string{
		"payments": string(stored), "deposit addresses": strings.Join(s.known(), ","),
		"tx_sends": fmt.Sprint(s.count("tx_sends")), "tx_attempts": fmt.Sprint(s.count("tx_attempts")),
	}
	ctx := s.t.Context()
	for _, a := range []common.Address{hot, user} {
		ether, err := s.eth.BalanceAt(ctx, a, nil)
		if err != nil {
			s.t.Fatal(err)
		}
		nonce, err := s.eth.PendingNonceAt(ctx, a)
		if err != nil {
			s.t.Fatal(err)
		}
		out["ether of "+a.Hex()], out["pending nonce of "+a.Hex()] = ether.String(), fmt.Sprint(nonce)
	}
	for _, a := range append([]common.Address{hot, user}, holders...) {
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
