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
	outsider, err := events.NewKeys([]byte("guessed-internal-secret"))
	if err != nil {
		t.Fatal(err)
	}
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
	raw := func(v any) []byte {
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}

	forged := []struct {
		id, exchange, key string
		body              []byte
		queue, reason     string
	}{
		{"watch-unsealed", events.Exchange, events.WatchKey, raw(watch(forgedAddr)),
			events.WatchQueue, "not an internal envelope"},
		{"watch-wrong-key", events.Exchange, events.WatchKey, seal(t, outsider, events.WatchKey, watch(forgedAddr)),
			events.WatchQueue, "bad mac"},
		{"watch-rekeyed", events.Exchange, events.WatchKey, seal(t, l.keys, events.AddressListKey, list(forgedAddr)),
			events.WatchQueue, "sealed for another routing key"},
		{"watch-straight-to-queue", "", events.WatchQueue, seal(t, l.keys, events.WatchKey, watch(forgedAddr)),
			events.WatchQueue, "sealed for another routing key"},
		{"list-unsealed", events.Exchange, events.AddressListKey, raw(list(forgedAddr)),
			events.WatchListQueue, "not an internal envelope"},
		{"list-wrong-key", events.Exchange, events.AddressListKey, seal(t, outsider, events.AddressListKey, list(forgedAddr)),
			events.WatchListQueue, "bad mac"},
		{"list-rekeyed", events.Exchange, events.AddressListKey, seal(t, l.keys, events.WatchKey, watch(forgedAddr)),
			events.WatchListQueue, "sealed for another routing key"},
		{"rescan-unsealed", events.Exchange, events.RescanKey, raw(rescan),
			events.RescanQueue, "not an internal envelope"},
		{"rescan-wrong-key", events.Exchange, events.RescanKey, seal(t, outsider, events.RescanKey, rescan),
			events.RescanQueue, "bad mac"},
		{"rescan-rekeyed", events.Exchange, events.RescanKey, seal(t, l.keys, events.WatchKey, rescan),
			events.RescanQueue, "sealed for another routing key"},
	}
	for _, f := range forged {
		l.publish(f.exchange, f.key, f.id, f.body)
	}
	servicetest.Eventually(t, "every forged message dead-lettered", func() bool { return l.depth(deadQueue) >= len(forged) })
	dead := map[string]string{}
	for _, d := range l.take(deadQueue) {
		dead[d.MessageId] = header(d, broker.HeaderOriginalQueue) + ": " + header(d, broker.HeaderDeadReason)
	}
	for _, f := range forged {
		if got := dead[f.id]; !strings.HasPrefix(got, f.queue+": ") || !strings.Contains(got, f.reason) {
			t.Errorf("%s dead-lettered as %q, want from %s with %q", f.id, got, f.queue, f.reason)
		}
	}
	if len(dead) != len(forged) {
		t.Errorf("%d dead letters, want %d: %v", len(dead), len(forged), dead)
	}
	if n := l.count("SELECT COUNT(*) FROM watched"); n != 0 {
		t.Errorf("%d addresses watched from forged requests", n)
	}
	if n := l.count("SELECT COUNT(*) FROM rescans"); n != 0 {
		t.Errorf("%d rescans recorded from forged requests", n)
	}
	servicetest.Eventually(t, "an alert per forged message", func() bool { return l.depth(events.AlertQueue) >= len(forged) })
	for _, d := range l.take(events.AlertQueue) {
		data, err := l.keys.Open(broker.Delivery{Body: d.Body, RoutingKey: d.RoutingKey})
		var a events.Alert
		if err != nil || json.Unmarshal(data, &a) != nil || a.Kind != events.AlertForgedMessage || a.Service != "chain-listener" {
			t.Errorf("alert %s: %s, %v", d.RoutingKey, data, err)
		}
	}

	// Sealed, the same requests are acted upon.
	l.publish(events.Exchange, events.WatchKey, "watch-sealed", seal(t, l.keys, events.WatchKey, watch(a1)))
	l.publish(events.Exchange, events.AddressListKey, "list-sealed", seal(t, l.keys, events.AddressListKey, list(a2)))
	l.publish(events.Exchange, events.RescanKey, "rescan-sealed", seal(t, l.keys, events.RescanKey, rescan))
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
		got := l.take(queue)
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
