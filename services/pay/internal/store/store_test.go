package store

import (
	"testing"
	"testing/fstest"

	"gorm.io/gorm"

	"paysuite/pkg/db/dbtest"
	"paysuite/pkg/txsender"
)

// The sender's tables must end exactly as the sender creates them. They are
// compared as the database builds them rather than as text: 0002_txsender.sql
// is the copy of pkg/txsender/schema.sql as it was released, already applied
// where pay runs, and later changes to the schema (0003, binary keys)
// come as migrations of their own.
func TestSenderTablesMatchTheSender(t *testing.T) {
	service := dbtest.Open(t, Migrations())
	sender := dbtest.Open(t, fstest.MapFS{"0001_txsender.sql": {Data: []byte(txsender.Schema())}})
	tables := senderTables(t, sender)
	if len(tables) == 0 {
		t.Fatal("pkg/txsender/schema.sql creates no table")
	}
	for _, table := range tables {
		if got, want := createTable(t, service, table), createTable(t, sender, table); got != want {
			t.Errorf("pay's migrations make\n%s\nthe sender makes\n%s", got, want)
		}
	}
}

// senderTables lists the tables of gdb but the migrations' own.
func senderTables(t *testing.T, gdb *gorm.DB) []string {
	t.Helper()
	var tables []string
	if err := gdb.Raw(`SELECT table_name FROM information_schema.tables
		WHERE table_schema = DATABASE() AND table_name <> 'schema_migrations' ORDER BY table_name`).
		Scan(&tables).Error; err != nil {
		t.Fatal(err)
	}
	return tables
}

// createTable is the server's own statement for table.
func createTable(t *testing.T, gdb *gorm.DB, table string) string {
	t.Helper()
	var row struct {
		Table  string `gorm:"column:Table"`
		Create string `gorm:"column:Create Table"`
	}
	if err := gdb.Raw("SHOW CREATE TABLE `" + table + "`").Scan(&row).Error; err != nil {
		t.Fatal(err)
	}
	if row.Create == "" {
		t.Fatalf("no table %s", table)
	}
	return row.Create
}
