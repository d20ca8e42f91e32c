package watchconsumer

import (
	"fmt"
	"testing"

	"github.com/rs/zerolog"
	"gorm.io/gorm"

	"paysuite/pkg/broker"
	"paysuite/pkg/db/dbtest"
	"paysuite/pkg/events"
	"paysuite/pkg/service/servicetest"
	"paysuite/services/chain-listener/internal/store"
)

func setup(t *testing.T) (Consumer, *gorm.DB) {
	t.Helper()
	gdb := dbtest.Open(t, store.Migrations())
	schema := store.New(gdb)
	return Consumer{Recorders: map[string]Recorder{"eth": schema.Chain("eth"), "bsc": schema.Chain("bsc")}, Log: zerolog.Nop()}, gdb
}

func addr(i int) string { return fmt.Sprintf("0x%040x", i) }

// list is an AddressList of owner's addresses on chain eth.
func list(owner string, addrs ...string) events.AddressList {
	l := events.AddressList{Chain: "eth", Owner: owner}
	for i, a := range addrs {
		index := uint32(i)
		l.Addresses = append(l.Addresses, events.ListedAddress{Address: a, Index: &index})
	}
	return l
}

func owners(t *testing.T, gdb *gorm.DB) map[string]string {
	t.Helper()
	var rows []store.Watched
	if err := gdb.Find(&rows).Error; err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, r := range rows {
		if r.Chain == "eth" {
			got[r.Address] = r.Owner
		}
	}
	return got
}

// The requests of a batch are recorded for their own chain: an address
// watched on one chain is watched anew, for its own owner, on another.
func TestRecordsPerChain(t *testing.T) {
	c, gdb := setup(t)
	err := c.HandleBatch(t.Context(), []broker.Delivery{
		servicetest.Delivery(t, "", events.WatchAddress{Chain: "eth", Address: addr(31), Owner: events.OwnerTopup}),
		servicetest.Delivery(t, "", events.WatchAddress{Chain: "bsc", Address: addr(31), Owner: events.OwnerMatcher}),
		servicetest.Delivery(t, "", events.AddressList{Chain: "bsc", Owner: events.OwnerTopup,
			Addresses: []events.ListedAddress{{Address: addr(32)}}}),
	})
	if err != nil {
		t.Fatal(err)
	}
	var rows []store.Watched
	if err := gdb.Order("chain, address").Find(&rows).Error; err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range rows {
		got = append(got, r.Chain+" "+r.Address+" "+r.Owner)
	}
	want := []string{"bsc " + addr(31) + " matcher", "bsc " + addr(32) + " topup", "eth " + addr(31) + " topup"}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("watched %v, want %v", got, want)
	}
}

// A batch mixing both forms records every address once, keeps the first
// owner of an address, and a redelivery changes nothing.
func TestRecordsBothForms(t *testing.T) {
	c, gdb := setup(t)
	batch := []broker.Delivery{
		servicetest.Delivery(t, "", events.WatchAddress{Chain: "eth", Address: addr(1), Owner: events.OwnerMatcher}),
		servicetest.Delivery(t, "", list(events.OwnerTopup, addr(2), addr(3), addr(2))),
		// Mixed case is the same address; an address without an index is watched too.
		servicetest.Delivery(t, "", events.AddressList{Chain: "eth", Owner: events.OwnerTopup, Addresses: []events.ListedAddress{{Address: "0x00000000000000000000000000000000000000AB"}}}),
	}
	for range 2 {
		if err := c.HandleBatch(t.Context(), batch); err != nil {
			t.Fatal(err)
		}
	}
	if err := c.Handle(t.Context(), servicetest.Delivery(t, "", list(events.OwnerPay, addr(1), addr(4)))); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{addr(1): "matcher", addr(2): "topup", addr(3): "topup", addr(0xab): "topup", addr(4): "pay"}
	got := owners(t, gdb)
	if len(got) != len(want) {
		t.Fatalf("watched %v, want %v", got, want)
	}
	for a, o := range want {
		if got[a] != o {
			t.Errorf("%s: owner %q, want %q", a, got[a], o)
		}
	}
}

// A list with one bad address, or of another chain, is refused whole: none of
// its addresses is watched, and the message goes to the dead-letter queue.
func TestRefusesBadListWhole(t *testing.T) {
	c, gdb := setup(t)
	cases := map[string]broker.Delivery{
		"bad address":   servicetest.Delivery(t, "", list("topup", addr(1), "0x12")),
		"other chain":   servicetest.Delivery(t, "", events.AddressList{Chain: "tron", Owner: "topup", Addresses: list("topup", addr(1)).Addresses}),
		"bad owner":     servicetest.Delivery(t, "", list("Top Up", addr(1))),
		"no address":    servicetest.Delivery(t, "", list("topup")),
		"garbage":       {Body: []byte("[1,2")},
		"empty address": servicetest.Delivery(t, "", events.WatchAddress{Chain: "eth", Owner: "topup"}),
	}
	for name, d := range cases {
		err := c.HandleBatch(t.Context(), []broker.Delivery{servicetest.Delivery(t, "", list("topup", addr(9))), d})
		if _, ok := broker.IsPoison(err); !ok {
			t.Errorf("%s: %v, want a poison error", name, err)
		}
	}
	if got := owners(t, gdb); len(got) != 0 {
		t.Fatalf("watched %v from refused batches", got)
	}
}

// The block an address was handed out at is recorded from either form of
// registration; a registration of an older version, without it, records none.
func TestRecordsFromBlock(t *testing.T) {
	c, gdb := setup(t)
	at := uint64(1234)
	tests := []struct {
		name string
		msg  any
		addr string
		want *uint64
	}{
		{"list with from_block", events.AddressList{Chain: "eth", Owner: "topup",
			Addresses: []events.ListedAddress{{Address: addr(21), FromBlock: &at}}}, addr(21), &at},
		{"watch with from_block", events.WatchAddress{Chain: "eth", Owner: "matcher", Address: addr(22), FromBlock: &at}, addr(22), &at},
		{"list of an older version", list("topup", addr(23)), addr(23), nil},
		{"watch of an older version", events.WatchAddress{Chain: "eth", Owner: "matcher", Address: addr(24)}, addr(24), nil},
	}
	for _, tc := range tests {
		if err := c.Handle(t.Context(), servicetest.Delivery(t, "", tc.msg)); err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		var w store.Watched
		if err := gdb.Where("address = ?", tc.addr).First(&w).Error; err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if (w.FromBlock == nil) != (tc.want == nil) || (w.FromBlock != nil && *w.FromBlock != *tc.want) || !w.BackfillPending {
			t.Errorf("%s: from block %v, pending %v; want %v, pending", tc.name, w.FromBlock, w.BackfillPending, tc.want)
		}
	}
}
