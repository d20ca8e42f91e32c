package store_test

import (
	"io/fs"
	"testing"
	"testing/fstest"

	"paysuite/pkg/db/dbtest"
	"paysuite/services/topup/internal/store"
)

// TestUpgradeToChains migrates a schema of one chain's registrations and
// deposits: each registration covers the chain in its chain column, and is
// found by (chain, address); each deposit is on the chain its id names; and
// an address is then unique per chain only.
func TestUpgradeToChains(t *testing.T) {
	cfg := dbtest.Config(t)
	before := fstest.MapFS{}
	for _, name := range []string{"0001_init.sql", "0003_binary_request_ids.sql"} {
		data, err := fs.ReadFile(store.Migrations(), name)
		if err != nil {
			t.Fatal(err)
		}
		before[name] = &fstest.MapFile{Data: data}
	}
	const addr = "0x00000000000000000000000000000000000000aa"
	old := dbtest.OpenConfig(t, cfg, before)
	for _, stmt := range []string{
		`INSERT INTO registrations (id, request_id, chain, symbol, address, allocated, return_body)
			VALUES (1, 'r-1', 'ETH', 'USDT', '` + addr + `', 0, '{}'), (2, 'r-2', 'ETH', 'USDT', NULL, 1, '')`,
		`INSERT INTO deposits (deposit_id, request_id, address, symbol, amount, status, seq, tx_hash, block_number)
			VALUES ('ETH:0x01:0', 'r-1', '` + addr + `', 'USDT', '1', 1, 2, '0x01', 7)`,
	} {
		if err := old.Exec(stmt).Error; err != nil {
			t.Fatal(err)
		}
	}

	gdb := dbtest.OpenConfig(t, cfg, store.Migrations())
	st := store.New(gdb)
	eth := store.ChainAddress{Chain: "ETH", Address: addr}
	found, err := st.ByChainAddresses(t.Context(), []store.ChainAddress{eth, {Chain: "BSC", Address: addr}})
	if err != nil {
		t.Fatal(err)
	}
	if len(found) != 1 || found[eth] == nil || found[eth].RequestID != "r-1" {
		t.Fatalf("found %v, want r-1 on ETH only", found)
	}
	var chain string
	if err := gdb.Raw("SELECT chain FROM deposits WHERE deposit_id = 'ETH:0x01:0'").Scan(&chain).Error; err != nil || chain != "ETH" {
		t.Fatalf("deposit on %q (%v), want ETH", chain, err)
	}
	address := addr
	reg := &store.Registration{RequestID: "r-3", Chain: "BSC", Chains: []string{"BSC"}, Symbol: "USDT", Address: &address, ReturnBody: []byte("{}")}
	regs := []*store.Registration{reg}
	if err := store.InsertRegistrations(gdb, regs); err != nil {
		t.Fatal(err)
	}
	if err := store.CoverChains(gdb, regs); err != nil {
		t.Fatalf("the address on another chain: %v", err)
	}
	reg.ID, reg.RequestID, reg.Chains = 0, "r-4", []string{"ETH"}
	if err := store.InsertRegistrations(gdb, regs); err != nil {
		t.Fatal(err)
	}
	if err := store.CoverChains(gdb, regs); err == nil {
		t.Fatal("the address registered twice on ETH")
	}
}
