package txsender_test

import (
	"database/sql"
	"io/fs"
	"testing"
	"testing/fstest"

	"github.com/rs/zerolog"

	"paysuite/pkg/db"
	"paysuite/pkg/db/dbtest"
	"paysuite/pkg/txsender"
)

// The rows written before 0006_txsender_chains.sql belong to the chain
// tx_chain recorded, or, when it recorded none yet, to the chain of the
// address's sends.
func TestChainsMigrationKeepsRowsOnTheirChain(t *testing.T) {
	const addr = "0x7e57000000000000000000000000000000000001"
	send := `INSERT INTO tx_sends (send_key, purpose, ref, chain_id, from_address, to_address, value, data, nonce, gas_limit,
		confirmations, state, max_cost, tx_hash, first_hash, last_attempt_at)
		VALUES ('k', 'p', 'r', 1338, '` + addr + `', '` + addr + `', 0, '', 4, 21000, 1, 'pending', 0, '0x1', '0x1', NOW())`
	for _, tt := range []struct {
		name string
		rows []string
		want uint64
	}{
		{"recorded chain", []string{"INSERT INTO tx_chain (id, chain_id, genesis_hash) VALUES (1, 1337, '0xabc')"}, 1337},
		{"chain of the sends", []string{send}, 1338},
	} {
		t.Run(tt.name, func(t *testing.T) {
			released := readMigrations(t, "0002_txsender.sql", "0005_txsender_chain.sql")
			cfg := dbtest.Config(t)
			gdb := dbtest.OpenConfig(t, cfg, released)
			rows := append([]string{
				"INSERT INTO tx_nonces (address, next_nonce) VALUES ('" + addr + "', 5)",
				"INSERT INTO tx_halts (address, kind, stored_nonce, chain_nonce, pending_nonce, message) VALUES ('" + addr + "', 'behind', 5, 3, 3, 'm')",
			}, tt.rows...)
			for _, q := range rows {
				if err := gdb.Exec(q).Error; err != nil {
					t.Fatal(err)
				}
			}
			sqlDB, err := gdb.DB()
			if err != nil {
				t.Fatal(err)
			}
			if err := db.Migrate(t.Context(), sqlDB, cfg.Schema, txsender.Migrations(), zerolog.Nop()); err != nil {
				t.Fatal(err)
			}
			for _, table := range []string{"tx_nonces", "tx_halts"} {
				var got []uint64
				if err := gdb.Raw("SELECT chain_id FROM " + table).Scan(&got).Error; err != nil {
					t.Fatal(err)
				}
				if len(got) != 1 || got[0] != tt.want {
					t.Fatalf("%s chain ids %v, want [%d]", table, got, tt.want)
				}
			}
			checkPerChainKeys(t, sqlDB, addr)
		})
	}
}

// checkPerChainKeys checks that the same address has a nonce row on another chain too.
func checkPerChainKeys(t *testing.T, sqlDB *sql.DB, addr string) {
	t.Helper()
	if _, err := sqlDB.ExecContext(t.Context(), "INSERT INTO tx_nonces (chain_id, address, next_nonce) VALUES (1, ?, 0)", addr); err != nil {
		t.Fatalf("a nonce row of another chain: %v", err)
	}
}

// readMigrations is the released migrations of names, under their names.
func readMigrations(t *testing.T, names ...string) fstest.MapFS {
	t.Helper()
	out := fstest.MapFS{}
	for _, name := range names {
		b, err := fs.ReadFile(txsender.Migrations(), name)
		if err != nil {
			t.Fatal(err)
		}
		out[name] = &fstest.MapFile{Data: b}
	}
	return out
}
