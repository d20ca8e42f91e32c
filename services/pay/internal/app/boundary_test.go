package app

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"

	"paysuite/pkg/broker"
	"paysuite/pkg/broker/brokertest"
	"paysuite/pkg/events"
	"paysuite/pkg/hdwallet"
	"paysuite/pkg/service/servicetest"
	"paysuite/services/pay/internal/store"
)

// TestOnlySignedRequestsMoveFunds: see
// payoutapptest.Suite.OnlySignedRequestsMoveFunds. The user's address is
// empty, so the hot wallet pays; its balances and nonce count in the state
// too.
func TestOnlySignedRequestsMoveFunds(t *testing.T) {
	s := start(t, nil)
	user := s.learn(1)
	s.OnlySignedRequestsMoveFunds("p", func(id string, to common.Address, amount string) map[string]any {
		return map[string]any{"request_id": id, "order_id": "order-" + id, "from_address": user.Hex(), "to_address": to.Hex(), "amount": amount}
	}, func(r servicetest.Return) {
		if r.Str("paid_from") != store.PaidFromHot {
			t.Fatalf("paid from %s, want the hot wallet (the user's address is empty)", r.Str("paid_from"))
		}
	}, func(holders ...common.Address) map[string]string {
		return s.state(user, holders...)
	})
}

// Pay learns a deposit address, which it would sign for, only from a message
// another service of the suite sealed for the queue it arrives on: a forged
// announcement (not sealed, sealed with another secret, or a genuine one
// sent to another queue) is dead-lettered with the reason, raises an alert,
// and teaches pay nothing.
func TestForgedAddressesAreNotLearned(t *testing.T) {
	s := start(t, nil)
	keys, other := s.Keys, servicetest.MustKeys("not-the-internal-secret")
	one := func(i uint32) events.AddressAllocated {
		return events.AddressAllocated{Chain: s.Cfg.Chain, Address: strings.ToLower(s.deposit(i).Hex()), Index: i}
	}
	list := func(i uint32) events.AddressList {
		return events.AddressList{Chain: s.Cfg.Chain, Owner: events.OwnerTopup,
			Addresses: []events.ListedAddress{{Address: strings.ToLower(s.deposit(i).Hex()), Index: &i}}}
	}
	plain := func(v any) []byte {
		b, err := json.Marshal(v)
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
		{events.AddressKey, servicetest.Seal(t, other, events.AddressKey, one(3))},
		{events.AddressListKey, plain(list(4))},
		{events.AddressListKey, servicetest.Seal(t, other, events.AddressListKey, list(5))},
		// Genuine, but sealed for the other queue's routing key.
		{"", servicetest.Seal(t, keys, events.AddressKey, list(6))},
	}
	dead := brokertest.Follow(t, s.Internal, s.Cfg.Broker.DeadQueue)
	for _, f := range forgeries {
		if f.key == "" {
			s.Publish(s.Internal, events.AddressListQueue(events.OwnerPay), f.body)
			continue
		}
		if err := s.Internal.Publish(t.Context(), events.Exchange, f.key, broker.Message{Body: f.body}); err != nil {
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
	s.ExpectSealedAlert(events.AlertForgedMessage)
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
	s.T.Helper()
	return s.learnOn(s.Cfg.Chain, i)
}

// learnOn is learn on chain.
func (s *suite) learnOn(chain string, i uint32) common.Address {
	s.T.Helper()
	addr := s.deposit(i)
	body, err := s.Keys.Seal(events.AddressKey,
		events.AddressAllocated{Chain: chain, Address: strings.ToLower(addr.Hex()), Index: i})
	if err != nil {
		s.T.Fatal(err)
	}
	if err := s.Internal.Publish(s.T.Context(), events.Exchange, events.AddressKey, broker.Message{Body: body}); err != nil {
		s.T.Fatal(err)
	}
	servicetest.Eventually(s.T, fmt.Sprintf("pay learns deposit index %d on %s", i, chain), func() bool {
		var n int64
		err := s.DB.Model(&store.DepositAddress{}).Where("chain = ? AND address = ?", chain, strings.ToLower(addr.Hex())).Count(&n).Error
		return err == nil && n == 1
	})
	return addr
}

// known lists the deposit addresses pay has learned.
func (s *suite) known() []string {
	s.T.Helper()
	var addrs []string
	if err := s.DB.Model(&store.DepositAddress{}).Order("address").Pluck("address", &addrs).Error; err != nil {
		s.T.Fatal(err)
	}
	return addrs
}

// deposit is the deposit address of index i under pay's seed (the
// development mnemonic).
func (s *suite) deposit(i uint32) common.Address {
	s.T.Helper()
	key, err := hdwallet.PrivateKeyFromMnemonic(hdwallet.DevMnemonic, fmt.Sprintf("%s/%d", s.Cfg.DepositPath, i))
	if err != nil {
		s.T.Fatal(err)
	}
	return crypto.PubkeyToAddress(key.PublicKey)
}

// state is what a forged message must not change (payoutapptest.Suite.State),
// with the user's address a wallet whose balances and nonce count too, and
// the deposit addresses pay knows.
func (s *suite) state(user common.Address, holders ...common.Address) map[string]string {
	out := s.State(&[]store.Payment{}, []common.Address{s.Hot(), user}, holders...)
	out["deposit addresses"] = strings.Join(s.known(), ",")
	return out
}
