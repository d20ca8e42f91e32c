package app_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/ethereum/go-ethereum/common"

	"paysuite/pkg/broker"
	"paysuite/pkg/events"
	"paysuite/pkg/service/servicetest"
)

// TestOnlySealedMessagesCount publishes forged watch requests, address lists
// and rescan requests to a running listener (unsealed, sealed without the
// internal secret, and genuine ones re-sent under another routing key): each
// is dead-lettered with its reason and raises a forged_message alert, and
// none is acted upon. Then sealed ones are, and the transfer events the
// listener reports open with the suite's keys.
func TestOnlySealedMessagesCount(t *testing.T) {
	l := startListener(t)
	forgedAddr := common.HexToAddress("0x00000000000000000000000000000000000f0001")
	a1 := common.HexToAddress("0x00000000000000000000000000000000000a0001")
	a2 := common.HexToAddress("0x00000000000000000000000000000000000a0002")
	watch := func(a common.Address) events.WatchAddress {
		return events.WatchAddress{Chain: "ETH", Address: strings.ToLower(a.Hex()), Owner: events.OwnerTopup}
	}
	list := func(a common.Address) events.AddressList {
		return events.AddressList{Chain: "ETH", Owner: events.OwnerMatcher,
			Addresses: []events.ListedAddress{{Address: strings.ToLower(a.Hex())}}}
	}
	from, to := uint64(1), uint64(2)
	rescan := events.RescanRequest{From: &from, To: &to}
	// The forgeries by the queue they reach.
	forged := map[string][]servicetest.Forgery{
		events.WatchQueue: servicetest.Forgeries(t, l.keys, "watch", events.WatchKey, watch(forgedAddr),
			events.AddressListKey, list(forgedAddr), events.WatchQueue),
		events.WatchListQueue: servicetest.Forgeries(t, l.keys, "list", events.AddressListKey, list(forgedAddr),
			events.WatchKey, watch(forgedAddr), ""),
		events.RescanQueue: servicetest.Forgeries(t, l.keys, "rescan", events.RescanKey, rescan, events.WatchKey, rescan, ""),
	}
	total := 0
	for _, fs := range forged {
		for _, f := range fs {
			l.internal.Publish(f.Exchange, f.Key, f.ID, f.Body)
			total++
		}
	}
	servicetest.Eventually(t, "every forged message dead-lettered", func() bool { return l.depth(deadQueue) >= total })
	dead := map[string]string{}
	for _, d := range l.internal.Take(deadQueue) {
		dead[d.MessageId] = header(d, broker.HeaderOriginalQueue) + ": " + header(d, broker.HeaderDeadReason)
	}
	for queue, fs := range forged {
		for _, f := range fs {
			if got := dead[f.ID]; !strings.HasPrefix(got, queue+": ") || !strings.Contains(got, f.Reason) {
				t.Errorf("%s dead-lettered as %q, want from %s with %q", f.ID, got, queue, f.Reason)
			}
		}
	}
	if len(dead) != total {
		t.Errorf("%d dead letters, want %d: %v", len(dead), total, dead)
	}
	if n := l.count("SELECT COUNT(*) FROM watched"); n != 0 {
		t.Errorf("%d addresses watched from forged requests", n)
	}
	if n := l.count("SELECT COUNT(*) FROM rescans"); n != 0 {
		t.Errorf("%d rescans recorded from forged requests", n)
	}
	servicetest.Eventually(t, "an alert per forged message", func() bool { return l.depth(events.AlertQueue) >= total })
	for _, d := range l.internal.Take(events.AlertQueue) {
		data, err := l.keys.Open(broker.Delivery{Body: d.Body, RoutingKey: d.RoutingKey})
		var a events.Alert
		if err != nil || json.Unmarshal(data, &a) != nil || a.Kind != events.AlertForgedMessage || a.Service != "chain-listener" {
			t.Errorf("alert %s: %s, %v", d.RoutingKey, data, err)
		}
	}

	// Sealed, the same requests are acted upon.
	l.internal.Publish(events.Exchange, events.WatchKey, "watch-sealed", servicetest.Seal(t, l.keys, events.WatchKey, watch(a1)))
	l.internal.Publish(events.Exchange, events.AddressListKey, "list-sealed", servicetest.Seal(t, l.keys, events.AddressListKey, list(a2)))
	l.internal.Publish(events.Exchange, events.RescanKey, "rescan-sealed", servicetest.Seal(t, l.keys, events.RescanKey, rescan))
	servicetest.Eventually(t, "both addresses watched", func() bool { return l.count("SELECT COUNT(*) FROM watched") == 2 })
	servicetest.Eventually(t, "the rescan done", func() bool {
		return l.count("SELECT COUNT(*) FROM rescans WHERE from_block = 1 AND to_block = 2 AND done = 1") == 1
	})

	block := l.sendUSDT(a1, forgedAddr, a2)
	servicetest.Eventually(t, "the block scanned", func() bool {
		return l.count("SELECT COUNT(*) FROM cursor_state WHERE block_number >= ?", block) == 1
	})
	if n := l.count("SELECT COUNT(*) FROM transfers WHERE to_address = ?", strings.ToLower(forgedAddr.Hex())); n != 0 {
		t.Errorf("%d transfers recorded for an address only forged requests asked to watch", n)
	}
	for owner, addr := range map[string]common.Address{events.OwnerTopup: a1, events.OwnerMatcher: a2} {
		queue := events.TransferQueue(owner)
		servicetest.Eventually(t, "the transfer event for "+owner, func() bool { return l.depth(queue) >= 1 })
		got := l.internal.Take(queue)
		if len(got) != 1 {
			t.Fatalf("%d transfer events for %s, want 1", len(got), owner)
		}
		data, err := l.keys.Open(broker.Delivery{Body: got[0].Body, RoutingKey: got[0].RoutingKey})
		var ev events.Transfer
		if err != nil || json.Unmarshal(data, &ev) != nil {
			t.Fatalf("transfer event for %s does not open with the suite's keys: %v", owner, err)
		}
		if ev.Kind != events.KindSeen || ev.To != strings.ToLower(addr.Hex()) || ev.Amount != "1" || ev.BlockNumber != block {
			t.Errorf("transfer event for %s: %+v", owner, ev)
		}
	}
	if n := l.depth(deadQueue); n != 0 {
		t.Errorf("%d sealed messages dead-lettered", n)
	}
}
