// Package txsendertest checks a service's migrations against the tables
// pkg/txsender creates.
package txsendertest

import (
	"io/fs"
	"testing"
	"testing/fstest"

	"gorm.io/gorm"

	"paysuite/pkg/db/dbtest"
	"paysuite/pkg/txsender"
)

// CheckMigrations fails t unless service's migrations end with the sender's
// tables (txsender.Schema) exactly as the sender
// creates them. They are compared as the database builds them rather than as
// text: a service takes the sender's released migrations (txsender.Migrations)
// and makes later changes, such as binary keys, in migrations of its own.
func CheckMigrations(t *testing.T, service string, migrations fs.FS) {
	t.Helper()
	got := dbtest.Open(t, migrations)
	want := dbtest.Open(t, fstest.MapFS{
		"0001_txsender.sql": {Data: []byte(txsender.Schema())},
	})
	tables := senderTables(t, want)
	if len(tables) == 0 {
		t.Fatal("pkg/txsender's schema creates no table")
	}
	for _, table := range tables {
		if g, w := createTable(t, got, table), createTable(t, want, table); g != w {
			t.Errorf("%s's migrations make\n%s\nthe sender makes\n%s", service, g, w)
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
