package app_test

import (
	"strings"
	"testing"

	"github.com/ethereum/go-ethereum/common"

	"paysuite/pkg/events"
	"paysuite/pkg/service/servicetest"
)

// TestLateRegistrationFindsEarlierDeposits pays into addresses right after
// they were handed out, then mines 310 blocks before their registrations
// reach the listener (as when the registering service's outbox or the
// broker was held up): an address registered with the block it was handed
// out at, in either form of registration, gets the deposit reported, seen
// and at once confirmed. One registered without it (an owner of an older
// version) is looked for only WATCH_BACKFILL_BLOCKS back, and the deposit
// is out of reach.
func TestLateRegistrationFindsEarlierDeposits(t *testing.T) {
	l := startListener(t)
	allocated := common.HexToAddress("0x00000000000000000000000000000000000b0001")
	order := common.HexToAddress("0x00000000000000000000000000000000000b0002")
	legacy := common.HexToAddress("0x00000000000000000000000000000000000b0003")
	handedOut := l.head()
	block := l.sendUSDT(allocated, order, legacy)
	if err := l.chain.Mine(310); err != nil {
		t.Fatal(err)
	}
	l.caughtUp()

	index := uint32(7)
	l.internal.Publish(events.Exchange, events.AddressListKey, "late-list", servicetest.Seal(t, l.keys, events.AddressListKey, events.AddressList{
		Chain: "ETH", Owner: events.OwnerTopup,
		Addresses: []events.ListedAddress{{Address: strings.ToLower(allocated.Hex()), Index: &index, FromBlock: &handedOut}},
	}))
	l.internal.Publish(events.Exchange, events.WatchKey, "late-watch", servicetest.Seal(t, l.keys, events.WatchKey, events.WatchAddress{
		Chain: "ETH", Address: strings.ToLower(order.Hex()), Owner: events.OwnerMatcher, FromBlock: &handedOut,
	}))
	l.internal.Publish(events.Exchange, events.WatchKey, "late-legacy", servicetest.Seal(t, l.keys, events.WatchKey, events.WatchAddress{
		Chain: "ETH", Address: strings.ToLower(legacy.Hex()), Owner: events.OwnerPay,
	}))

	for owner, addr := range map[string]common.Address{events.OwnerTopup: allocated, events.OwnerMatcher: order} {
		queue := events.TransferQueue(owner)
		servicetest.Eventually(t, "the deposit into the "+owner+" address reported", func() bool { return l.depth(queue) >= 2 })
		evs := l.transfers(owner)
		if len(evs) != 2 {
			t.Fatalf("%d transfer events for %s, want seen and confirmed: %+v", len(evs), owner, evs)
		}
		for i, kind := range []string{events.KindSeen, events.KindConfirmed} {
			if ev := evs[i]; ev.Kind != kind || ev.To != strings.ToLower(addr.Hex()) || ev.BlockNumber != block || ev.Amount != "1" {
				t.Errorf("event %d for %s: %+v, want %s of block %d", i, owner, ev, kind, block)
			}
		}
	}
	servicetest.Eventually(t, "every backfill done", func() bool {
		return l.count("SELECT COUNT(*) FROM watched WHERE backfill_pending = 1") == 0 &&
			l.count("SELECT COUNT(*) FROM watched") == 3
	})
	if n := l.count("SELECT COUNT(*) FROM transfers WHERE to_address = ?", strings.ToLower(legacy.Hex())); n != 0 {
		t.Errorf("%d transfers found for a registration without its hand-out block, %d blocks late", n, 310)
	}
}

// TestZeroValueTransfersIgnored sends Transfer(x, watched, 0), which anyone
// can emit to any address, before a watched address is registered (found by
// the backfill) and after (found by the scan of new blocks): neither is
// recorded or reported; a real transfer after them is.
func TestZeroValueTransfersIgnored(t *testing.T) {
	l := startListener(t)
	addr := common.HexToAddress("0x00000000000000000000000000000000000c0001")
	handedOut := l.head()
	l.send(0, addr)
	l.internal.Publish(events.Exchange, events.WatchKey, "watch-zero", servicetest.Seal(t, l.keys, events.WatchKey, events.WatchAddress{
		Chain: "ETH", Address: strings.ToLower(addr.Hex()), Owner: events.OwnerTopup, FromBlock: &handedOut,
	}))
	servicetest.Eventually(t, "the address backfilled", func() bool {
		return l.count("SELECT COUNT(*) FROM watched WHERE backfill_pending = 0") == 1
	})
	l.send(0, addr)
	block := l.send(1, addr)
	queue := events.TransferQueue(events.OwnerTopup)
	servicetest.Eventually(t, "the real transfer reported", func() bool { return l.depth(queue) >= 1 })
	l.caughtUp()
	for _, ev := range l.transfers(events.OwnerTopup) {
		if ev.Amount == "0" || ev.BlockNumber != block {
			t.Errorf("reported %+v, want only the transfer of block %d", ev, block)
		}
	}
	if n := l.count("SELECT COUNT(*) FROM transfers WHERE amount = '0'"); n != 0 {
		t.Errorf("%d zero-value transfers recorded", n)
	}
}
