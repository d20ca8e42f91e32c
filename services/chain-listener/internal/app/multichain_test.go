package app_test

import (
	"fmt"
	"io/fs"
	"math/big"
	"slices"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/ethereum/go-ethereum/common"

	"paysuite/pkg/contract"
	"paysuite/pkg/db"
	"paysuite/pkg/db/dbtest"
	"paysuite/pkg/devchain/devchaintest"
	"paysuite/pkg/events"
	"paysuite/pkg/service/servicetest"
	"paysuite/services/chain-listener/internal/store"
)

// reported is what a test checks of a transfer event.
type reported struct {
	kind, chain, to, amount string
	decimals                int32
}

// waitReported waits until owner has been sent every event of want, and
// returns all the events taken meanwhile.
func (l *listener) waitReported(owner string, want ...reported) []reported {
	l.t.Helper()
	var got []reported
	servicetest.Eventually(l.t, fmt.Sprintf("transfer events %+v for %s", want, owner), func() bool {
		for _, ev := range l.transfers(owner) {
			got = append(got, reported{ev.Kind, ev.Chain, ev.To, ev.Amount, ev.Decimals})
		}
		return !slices.ContainsFunc(want, func(w reported) bool { return !slices.Contains(got, w) })
	})
	return got
}

// TestTwoChainsAtOnce follows ETH and BSC: one address watched on both and
// one on BSC only get transfers on both chains at once, each reported with
// its chain, the token's decimals there (6 on ETH, 18 on BSC, the smallest
// and a large exact amount) and a deposit id of its chain. Then BSC
// reorganises while ETH's transfers flow: only BSC's transfer is removed.
func TestTwoChainsAtOnce(t *testing.T) {
	l := startTwoChains(t)
	both := common.HexToAddress("0x00000000000000000000000000000000000e0001")
	bscOnly := common.HexToAddress("0x00000000000000000000000000000000000e0002")
	l.watch("ETH", both, events.OwnerTopup)
	l.watch("BSC", both, events.OwnerTopup)
	l.watch("BSC", bscOnly, events.OwnerTopup)
	servicetest.Eventually(t, "three addresses watched and taken up", func() bool {
		return l.count("SELECT COUNT(*) FROM watched WHERE backfill_pending = 0 AND chain IN ('ETH', 'BSC')") == 3
	})

	ethBlock, ethTxs := l.sendOn(l.chain, big.NewInt(1_500_000), both)
	_, tiny := l.sendOn(l.bsc, big.NewInt(1), both)
	large, _ := new(big.Int).SetString("123456789123456789012345678", 10) // 123456789.123456789012345678
	_, largeTx := l.sendOn(l.bsc, large, bscOnly)
	addrOf := func(a common.Address) string { return strings.ToLower(a.Hex()) }
	l.waitReported(events.OwnerTopup,
		reported{events.KindSeen, "ETH", addrOf(both), "1500000", 6},
		reported{events.KindSeen, "BSC", addrOf(both), "1", 18},
		reported{events.KindSeen, "BSC", addrOf(bscOnly), "123456789123456789012345678", 18},
	)
	for _, d := range []struct {
		chain string
		tx    common.Hash
	}{{"ETH", ethTxs[0]}, {"BSC", tiny[0]}, {"BSC", largeTx[0]}} {
		id := contract.DepositID(d.chain, d.tx.Hex(), 0)
		if n := l.count("SELECT COUNT(*) FROM transfers WHERE id = ? AND chain = ?", id, d.chain); n != 1 {
			t.Errorf("no transfer %s of %s recorded", id, d.chain)
		}
	}

	// BSC's last transfer leaves its chain; ETH's keep coming.
	if err := l.bsc.Reorg(1); err != nil {
		t.Fatal(err)
	}
	l.sendOn(l.chain, big.NewInt(2), both)
	if err := l.bsc.Mine(1); err != nil {
		t.Fatal(err)
	}
	got := l.waitReported(events.OwnerTopup,
		reported{events.KindRemoved, "BSC", addrOf(bscOnly), "123456789123456789012345678", 18},
		reported{events.KindSeen, "ETH", addrOf(both), "2", 6},
	)
	l.caughtUp()
	for _, r := range append(got, l.waitReported(events.OwnerTopup)...) {
		if r.kind == events.KindRemoved && r.chain != "BSC" {
			t.Errorf("%+v removed by BSC's reorganisation", r)
		}
	}
	if n := l.count("SELECT COUNT(*) FROM transfers WHERE status = 'removed' AND chain <> 'BSC'"); n != 0 {
		t.Errorf("%d transfers off BSC removed", n)
	}
	if n := l.count("SELECT COUNT(*) FROM transfers WHERE chain = 'ETH' AND block_number = ?", ethBlock); n != 1 {
		t.Errorf("ETH's transfer of block %d not kept", ethBlock)
	}

	// A rescan is of the chain it names; one of a chain not followed is dead-lettered.
	from, to := uint64(1), uint64(2)
	for id, chain := range map[string]string{"rescan-bsc": "BSC", "rescan-tron": "TRON"} {
		l.internal.Publish(events.Exchange, events.RescanKey, id, servicetest.Seal(t, l.keys, events.RescanKey,
			events.RescanRequest{Chain: chain, From: &from, To: &to}))
	}
	servicetest.Eventually(t, "BSC's rescan done", func() bool {
		return l.count("SELECT COUNT(*) FROM rescans WHERE chain = 'BSC' AND done = 1") == 1
	})
	servicetest.Eventually(t, "the rescan of TRON dead-lettered", func() bool { return l.depth(deadQueue) == 1 })
	if n := l.count("SELECT COUNT(*) FROM rescans"); n != 1 {
		t.Errorf("%d rescans recorded, want BSC's", n)
	}
}

// TestChainNodeDown loses BSC's node, stopped while the listener runs or
// not answering from the start: ETH's transfers are reported all the same,
// and /readyz fails naming BSC and only BSC.
func TestChainNodeDown(t *testing.T) {
	for _, tc := range []struct {
		name  string
		extra map[string]string
		stop  bool
	}{
		{name: "stopped", stop: true, extra: map[string]string{}},
		{name: "down at start", extra: map[string]string{"CHAIN_BSC_RPC_URL": "http://" + servicetest.FreeAddr(t), "CHAIN_BSC_WS_URL": ""}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.extra["MAX_LAG_ALERT_AFTER"] = "100ms"
			l := start(t, setup{bsc: true, extra: tc.extra})
			addr := common.HexToAddress("0x00000000000000000000000000000000000e0003")
			l.watch("ETH", addr, events.OwnerMatcher)
			if tc.stop {
				l.caughtUpOn("BSC", l.bsc)
				l.waitReady()
				if err := l.bsc.Close(); err != nil {
					t.Fatal(err)
				}
			}
			servicetest.Eventually(t, "the address taken up", func() bool {
				return l.count("SELECT COUNT(*) FROM watched WHERE chain = 'ETH' AND backfill_pending = 0") == 1
			})
			l.sendOn(l.chain, big.NewInt(5), addr)
			l.waitReported(events.OwnerMatcher, reported{events.KindSeen, "ETH", strings.ToLower(addr.Hex()), "5", 6})
			if body := l.waitNotReady("chain: BSC: its node does not answer"); strings.Contains(body, "ETH") {
				t.Errorf("/readyz names ETH: %q", body)
			}
			var down []events.Alert
			servicetest.Eventually(t, "a node_unreachable alert", func() bool {
				down = slices.DeleteFunc(l.alerts(), func(a events.Alert) bool { return a.Kind != events.AlertNodeUnreachable })
				return len(down) > 0
			})
			for _, a := range down {
				if a.Chain != "BSC" || a.Key != "BSC" || !strings.Contains(a.Message, "the node of BSC has not answered") {
					t.Errorf("alert %+v, want one about BSC's node only", a)
				}
			}
		})
	}
}

// TestLegacyRowsAdopted starts a listener of ETH and BSC on a schema its
// single-chain version wrote (no chain column; a cursor on ETH's genesis
// and a watched address): the rows become ETH's, BSC starts its own, and a
// transfer into the address on ETH is reported.
func TestLegacyRowsAdopted(t *testing.T) {
	addr := common.HexToAddress("0x00000000000000000000000000000000000e0004")
	l := start(t, setup{bsc: true, before: func(eth *devchaintest.Chain, dbc db.Config) {
		legacy := dbtest.OpenConfig(t, dbc, migrationsBefore(t, "0004"))
		genesis := eth.Genesis().Hex()
		for _, q := range []struct {
			sql  string
			args []any
		}{
			{"INSERT INTO cursor_state (id, genesis_hash, block_number, block_hash) VALUES (1, ?, 0, ?)", []any{genesis, genesis}},
			{"INSERT INTO blocks (number, hash, parent_hash) VALUES (0, ?, ?)", []any{genesis, common.Hash{}.Hex()}},
			{"INSERT INTO watched (address, owner, backfill_pending) VALUES (?, 'topup', 0)", []any{strings.ToLower(addr.Hex())}},
		} {
			if err := legacy.Exec(q.sql, q.args...).Error; err != nil {
				t.Fatal(err)
			}
		}
	}})
	l.caughtUpOn("BSC", l.bsc)
	l.caughtUp()
	for _, table := range []string{"cursor_state", "blocks", "watched"} {
		if n := l.count("SELECT COUNT(*) FROM " + table + " WHERE chain = ''"); n != 0 {
			t.Errorf("%d rows of %s left without a chain", n, table)
		}
	}
	if n := l.count("SELECT COUNT(*) FROM watched WHERE chain = 'ETH'"); n != 1 {
		t.Errorf("the legacy address not ETH's")
	}
	l.sendOn(l.chain, big.NewInt(9), addr)
	l.waitReported(events.OwnerTopup, reported{events.KindSeen, "ETH", strings.ToLower(addr.Hex()), "9", 6})
}

// migrationsBefore is the listener's migrations older than version.
func migrationsBefore(t *testing.T, version string) fs.FS {
	t.Helper()
	all := store.Migrations()
	entries, err := fs.ReadDir(all, ".")
	if err != nil {
		t.Fatal(err)
	}
	out := fstest.MapFS{}
	for _, e := range entries {
		if e.Name() >= version {
			continue
		}
		data, err := fs.ReadFile(all, e.Name())
		if err != nil {
			t.Fatal(err)
		}
		out[e.Name()] = &fstest.MapFile{Data: data}
	}
	return out
}
