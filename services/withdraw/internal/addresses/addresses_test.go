package addresses

import (
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/rs/zerolog"

	"paysuite/pkg/broker"
	"paysuite/pkg/db/dbtest"
	"paysuite/pkg/events"
	"paysuite/pkg/service/servicetest"
	"paysuite/services/withdraw/internal/store"
)

func idx(i uint32) *uint32 { return &i }

func addr(last byte) common.Address { return common.BytesToAddress([]byte{0xd0, last}) }

// Both forms of announcement teach withdraw the allocated addresses of its
// chain, and nothing else: not an address only given to topup to watch, not
// one of another chain or owner. A redelivery changes nothing; a malformed
// announcement is a poison message and teaches nothing.
func TestBook(t *testing.T) {
	b := &Book{DB: dbtest.Open(t, store.Migrations()), Chains: []string{"ETH"}, Log: zerolog.Nop()}
	learned := []broker.Delivery{
		servicetest.Delivery(t, "", events.AddressAllocated{Chain: "ETH", Address: addr(1).Hex(), Index: 1}),
		servicetest.Delivery(t, "", events.AddressList{Chain: "ETH", Owner: events.OwnerTopup, Addresses: []events.ListedAddress{
			{Address: addr(2).Hex(), Index: idx(2)}, {Address: addr(3).Hex()},
		}}),
		servicetest.Delivery(t, "", events.AddressList{Chain: "BSC", Owner: events.OwnerTopup, Addresses: []events.ListedAddress{{Address: addr(4).Hex(), Index: idx(4)}}}),
		servicetest.Delivery(t, "", events.AddressList{Chain: "ETH", Owner: events.OwnerMatcher, Addresses: []events.ListedAddress{{Address: addr(5).Hex(), Index: idx(5)}}}),
	}
	for range 2 {
		for _, d := range learned {
			if err := b.Handle(t.Context(), d); err != nil {
				t.Fatal(err)
			}
		}
	}
	poison := []broker.Delivery{
		{Body: []byte("not json")},
		servicetest.Delivery(t, "", events.AddressList{Chain: "ETH", Owner: events.OwnerTopup}),
		servicetest.Delivery(t, "", events.AddressList{Chain: "ETH", Owner: events.OwnerTopup, Addresses: []events.ListedAddress{
			{Address: addr(6).Hex(), Index: idx(6)}, {Address: "0x12", Index: idx(7)},
		}}),
	}
	for _, d := range poison {
		if _, ok := broker.IsPoison(b.Handle(t.Context(), d)); !ok {
			t.Errorf("%s: not a poison message", d.Body)
		}
	}
	for _, tt := range []struct {
		chain string
		addr  common.Address
		known bool
	}{
		{"ETH", addr(1), true}, {"ETH", addr(2), true}, {"ETH", addr(3), false}, {"ETH", addr(4), false},
		{"BSC", addr(4), false}, {"ETH", addr(5), false}, {"ETH", addr(6), false}, {"BSC", addr(1), false},
	} {
		known, err := b.Contains(t.Context(), tt.chain, tt.addr)
		if err != nil || known != tt.known {
			t.Errorf("Contains(%s, %s) = %v, %v; want %v", tt.chain, tt.addr.Hex(), known, err, tt.known)
		}
	}
}

// A book of several chains learns the allocated addresses of each, the same
// address on two chains included.
func TestBookOfTwoChains(t *testing.T) {
	b := &Book{DB: dbtest.Open(t, store.Migrations()), Chains: []string{"ETH", "BSC"}, Log: zerolog.Nop()}
	for _, chain := range []string{"ETH", "BSC", "TRON"} {
		if err := b.Handle(t.Context(), servicetest.Delivery(t, "", events.AddressAllocated{Chain: chain, Address: addr(1).Hex(), Index: 1})); err != nil {
			t.Fatal(err)
		}
	}
	for chain, want := range map[string]bool{"ETH": true, "BSC": true, "TRON": false} {
		if known, err := b.Contains(t.Context(), chain, addr(1)); err != nil || known != want {
			t.Errorf("Contains(%s) = %v, %v; want %v", chain, known, err, want)
		}
	}
}
