package addresses

import (
	"strings"
	"testing"

	"github.com/rs/zerolog"
	"gorm.io/gorm"

	"paysuite/pkg/broker"
	"paysuite/pkg/db"
	"paysuite/pkg/db/dbtest"
	"paysuite/pkg/events"
	"paysuite/pkg/hdwallet"
	"paysuite/pkg/service/servicetest"
	"paysuite/services/pay/internal/store"
)

func setup(t *testing.T) (*Handler, *gorm.DB) {
	t.Helper()
	gdb, err := db.Open(t.Context(), dbtest.Config(t), store.Migrations(), zerolog.Nop())
	if err != nil {
		t.Fatal(err)
	}
	pub := servicetest.DevXPub(t, hdwallet.DevDepositPath)
	return &Handler{DB: gdb, Chains: []string{"eth"}, Derive: pub.Address, Log: zerolog.Nop()}, gdb
}

func address(t *testing.T, h *Handler, i uint32) string {
	t.Helper()
	a, err := h.Derive(i)
	if err != nil {
		t.Fatal(err)
	}
	return strings.ToLower(a.Hex())
}

func idx(i uint32) *uint32 { return &i }

func known(t *testing.T, gdb *gorm.DB) map[string]uint32 {
	t.Helper()
	var rows []store.DepositAddress
	if err := gdb.Find(&rows).Error; err != nil {
		t.Fatal(err)
	}
	got := map[string]uint32{}
	for _, r := range rows {
		got[r.Address] = r.Index
	}
	return got
}

// Both forms of announcement are recorded with their index, a listed address
// without an index (given to topup to watch) is not pay's, and a redelivery
// changes nothing.
func TestRecordsBothForms(t *testing.T) {
	h, gdb := setup(t)
	one := servicetest.Delivery(t, "", events.AddressAllocated{Chain: "eth", Address: address(t, h, 1), Index: 1})
	list := servicetest.Delivery(t, "", events.AddressList{Chain: "eth", Owner: "topup", Addresses: []events.ListedAddress{
		{Address: address(t, h, 2), Index: idx(2)}, {Address: "0x00000000000000000000000000000000000000aa"},
		{Address: address(t, h, 3), Index: idx(3)},
	}})
	for range 2 {
		for _, d := range []broker.Delivery{one, list} {
			if err := h.Handle(t.Context(), d); err != nil {
				t.Fatal(err)
			}
		}
	}
	got := known(t, gdb)
	if len(got) != 3 {
		t.Fatalf("known addresses %v, want 3", got)
	}
	for i := uint32(1); i <= 3; i++ {
		if idx, ok := got[address(t, h, i)]; !ok || idx != i {
			t.Errorf("index %d: recorded %v (%d)", i, ok, idx)
		}
	}
}

// An announcement pay's seed does not derive is refused whole: none of its
// addresses is recorded, and the message goes to the dead-letter queue.
func TestRefusesWholeListOnMismatch(t *testing.T) {
	h, gdb := setup(t)
	cases := map[string]broker.Delivery{
		"wrong index": servicetest.Delivery(t, "", events.AddressList{Chain: "eth", Owner: "topup", Addresses: []events.ListedAddress{
			{Address: address(t, h, 4), Index: idx(4)}, {Address: address(t, h, 5), Index: idx(6)},
		}}),
		"bad address": servicetest.Delivery(t, "", events.AddressList{Chain: "eth", Owner: "topup", Addresses: []events.ListedAddress{
			{Address: address(t, h, 4), Index: idx(4)}, {Address: "0x12"},
		}}),
		"no address": servicetest.Delivery(t, "", events.AddressList{Chain: "eth", Owner: "topup"}),
		"garbage":    {Body: []byte("not json")},
	}
	for name, d := range cases {
		err := h.Handle(t.Context(), d)
		if _, ok := broker.IsPoison(err); !ok {
			t.Errorf("%s: %v, want a poison error", name, err)
		}
	}
	if got := known(t, gdb); len(got) != 0 {
		t.Fatalf("recorded %v from refused announcements", got)
	}
}

// Addresses of another chain, or of another owner than topup, are not pay's
// to sign for here.
func TestIgnoresOtherChainOrOwner(t *testing.T) {
	h, gdb := setup(t)
	for _, l := range []events.AddressList{
		{Chain: "tron", Owner: "topup", Addresses: []events.ListedAddress{{Address: address(t, h, 1), Index: idx(1)}}},
		{Chain: "eth", Owner: "matcher", Addresses: []events.ListedAddress{{Address: address(t, h, 1), Index: idx(7)}}},
	} {
		if err := h.Handle(t.Context(), servicetest.Delivery(t, "", l)); err != nil {
			t.Fatal(err)
		}
	}
	if got := known(t, gdb); len(got) != 0 {
		t.Fatalf("recorded %v of another chain", got)
	}
}
