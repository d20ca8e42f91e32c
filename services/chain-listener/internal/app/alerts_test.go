package app_test

import (
	"strings"
	"testing"

	"paysuite/pkg/events"
	"paysuite/pkg/service/servicetest"
)

// TestReorgDeeperThanKeptBlocks replaces 90 blocks of the chain, deeper
// than the 70 the listener keeps (2 x CONFIRMATIONS + 64): it raises
// reorg_too_deep, /readyz fails saying why, and the listener keeps running
// (it retries, reporting nothing from the unknown branch) rather than stop.
func TestReorgDeeperThanKeptBlocks(t *testing.T) {
	l := startListenerEnv(t, map[string]string{"WATCH_BACKFILL_BLOCKS": "1"})
	if err := l.chain.Mine(100); err != nil {
		t.Fatal(err)
	}
	l.caughtUp()
	l.waitReady()
	held := l.head()
	if err := l.chain.Reorg(90); err != nil {
		t.Fatal(err)
	}
	if err := l.chain.Mine(1); err != nil {
		t.Fatal(err)
	}
	a := l.waitAlert(events.AlertReorgTooDeep)
	if a.Key != "ETH" || !strings.Contains(a.Message, "deeper than the kept blocks") {
		t.Errorf("alert %+v", a)
	}
	body := l.waitNotReady("reorg: ETH: scanning held at block")
	if !strings.Contains(body, "deeper than the kept blocks") {
		t.Errorf("/readyz says %q, want the reason", body)
	}
	if n := l.count("SELECT COUNT(*) FROM cursor_state WHERE block_number = ?", held); n != 1 {
		t.Errorf("the cursor moved from block %d onto a branch it cannot check", held)
	}
}

// TestStalledListenerAlerts stalls the scanning replica (its cursor row held
// locked, as by a database that stopped answering) while blocks are mined
// and an address is registered: more than MAX_LAG_BLOCKS behind for longer
// than MAX_LAG_ALERT_AFTER, it raises listener_behind and /readyz fails; the
// address waiting for its backfill longer than WATCH_BACKFILL_ALERT_AFTER
// raises backfill_waiting. Released, it catches up and backfills.
func TestStalledListenerAlerts(t *testing.T) {
	l := startListenerEnv(t, map[string]string{
		"MAX_LAG_BLOCKS": "2", "MAX_LAG_ALERT_AFTER": "100ms", "WATCH_BACKFILL_ALERT_AFTER": "100ms",
	})
	l.caughtUp()
	stall := l.db.Begin()
	t.Cleanup(func() { stall.Rollback() })
	if err := stall.Exec("SELECT chain FROM cursor_state WHERE chain = 'ETH' FOR UPDATE").Error; err != nil {
		t.Fatal(err)
	}
	if err := l.chain.Mine(5); err != nil {
		t.Fatal(err)
	}
	from := l.head()
	l.internal.Publish(events.Exchange, events.WatchKey, "watch-stalled", servicetest.Seal(t, l.keys, events.WatchKey, events.WatchAddress{
		Chain: "ETH", Address: "0x00000000000000000000000000000000000d0001", Owner: events.OwnerTopup, FromBlock: &from,
	}))
	raised := map[string]events.Alert{}
	servicetest.Eventually(t, "listener_behind and backfill_waiting alerts", func() bool {
		for _, a := range l.alerts() {
			raised[a.Kind] = a
		}
		_, behind := raised[events.AlertListenerBehind]
		_, waiting := raised[events.AlertBackfillWaiting]
		return behind && waiting
	})
	if a := raised[events.AlertListenerBehind]; a.Key != "ETH" || !strings.Contains(a.Message, "blocks behind the head") {
		t.Errorf("alert %+v", a)
	}
	if a := raised[events.AlertBackfillWaiting]; a.Key != "ETH" || !strings.Contains(a.Message, "1 address(es)") {
		t.Errorf("alert %+v", a)
	}
	if body := l.waitNotReady("blocks behind the head"); !strings.Contains(body, "chain: ETH: ") {
		t.Errorf("/readyz says %q, want the chain named", body)
	}
	if err := stall.Rollback().Error; err != nil {
		t.Fatal(err)
	}
	l.caughtUp()
	servicetest.Eventually(t, "the address backfilled", func() bool {
		return l.count("SELECT COUNT(*) FROM watched WHERE backfill_pending = 0") == 1
	})
}
