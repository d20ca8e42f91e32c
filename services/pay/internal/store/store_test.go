package store

import (
	"strings"
	"testing"

	"github.com/ethereum/go-ethereum/common"

	"paysuite/pkg/db/dbtest"
	"paysuite/pkg/events"
	"paysuite/pkg/txsender/txsendertest"
)

// The sender's tables must end exactly as the sender creates them: 0002 and
// 0005 are the sender's released migrations, and this schema's own 0003 makes
// the keys binary.
func TestSenderTablesMatchTheSender(t *testing.T) {
	txsendertest.CheckMigrations(t, "pay", Migrations())
}

// Before deposit_addresses was shared, pay's own 0001 created it: a schema
// that already has the table upgrades cleanly, keyed by chain and address.
func TestUpgradeKeepsTheDepositAddressesOf0001(t *testing.T) {
	cfg := dbtest.Config(t)
	gdb := dbtest.OpenConfig(t, cfg, nil)
	if err := gdb.Exec(`CREATE TABLE deposit_addresses (
		address CHAR(42) NOT NULL PRIMARY KEY,
		chain VARCHAR(32) NOT NULL,
		hd_index INT UNSIGNED NOT NULL,
		created_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6)
	) ENGINE=InnoDB`).Error; err != nil {
		t.Fatal(err)
	}
	if err := gdb.Exec(`INSERT INTO deposit_addresses (address, chain, hd_index) VALUES ('0x00000000000000000000000000000000000000aa', 'ETH', 7)`).Error; err != nil {
		t.Fatal(err)
	}
	upgraded := dbtest.OpenConfig(t, cfg, Migrations())
	var key []string
	if err := upgraded.Raw(`SELECT column_name FROM information_schema.key_column_usage
		WHERE table_schema = ? AND table_name = 'deposit_addresses' AND constraint_name = 'PRIMARY'
		ORDER BY ordinal_position`, cfg.Schema).Scan(&key).Error; err != nil {
		t.Fatal(err)
	}
	if strings.Join(key, ",") != "chain,address" {
		t.Fatalf("primary key %v, want chain,address", key)
	}
	row, err := FindAddress(upgraded, "ETH", common.HexToAddress("0xaa"))
	if err != nil || row == nil || row.Index != 7 {
		t.Fatalf("kept row %+v, %v", row, err)
	}
}

// A transfer's events are kept at their latest stage: a redelivered older
// event changes nothing.
func TestCreditsKeepTheLatestStage(t *testing.T) {
	gdb := dbtest.Open(t, Migrations())
	ev := events.Transfer{Kind: events.KindConfirmed, Chain: "ETH", Token: "0x00000000000000000000000000000000000000aa",
		TxHash: "0x01", LogIndex: 3, BlockNumber: 10, To: "0x00000000000000000000000000000000000000bb", Amount: "5", Sequence: 2}
	removed := ev
	removed.Kind, removed.Sequence = events.KindRemoved, 3
	for _, e := range []events.Transfer{ev, removed, ev} {
		if err := RecordCredit(gdb, e); err != nil {
			t.Fatal(err)
		}
	}
	var rows []Credit
	if err := gdb.Find(&rows).Error; err != nil {
		t.Fatal(err)
	}
	if len(rows) != 1 || rows[0].Kind != events.KindRemoved || rows[0].Sequence != 3 || rows[0].AmountUnits != "5" {
		t.Fatalf("credits %+v: want the one transfer, removed at sequence 3", rows)
	}
}
