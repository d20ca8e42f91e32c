package txsender

import (
	"embed"
	"io/fs"

	"paysuite/pkg/db"
	"paysuite/pkg/outbox"
)

// The sender's tables live in the schema of each service that sends. Their DDL
// is written once, here, as the migrations the services apply.

//go:embed migrations/*.sql
var migrations embed.FS

var (
	//go:embed migrations/0002_txsender.sql
	sendTablesSQL string
	//go:embed binary_keys.sql
	binaryKeysSQL string
	//go:embed migrations/0005_txsender_chain.sql
	chainTablesSQL string
	//go:embed migrations/0006_txsender_chains.sql
	perChainSQL string
)

// Migrations create the sender's tables, under the versions and names withdraw
// and pay released them with: 0002_txsender.sql (tx_nonces, tx_sends,
// tx_attempts), 0005_txsender_chain.sql (tx_chain, tx_halts, tx_alerts) and
// 0006_txsender_chains.sql (nonces, halts and chain state per chain id). A
// service that sends lists them next to its own (see db.Migrations), and its
// own 0003 makes the keys of tx_sends binary (see Schema). They are released:
// a change to the tables comes as a new migration, never as an edit.
func Migrations() fs.FS { return db.Migrations(migrations, "migrations") }

// ServiceMigrations are the migrations of a sending service's schema: its
// store's folder "migrations" in own, the outbox's, the sender's, and those of
// any other shared tables it keeps.
func ServiceMigrations(own fs.FS, shared ...fs.FS) fs.FS {
	return db.Migrations(own, "migrations", append([]fs.FS{outbox.Migrations(), Migrations()}, shared...)...)
}

// Schema returns the DDL of the sender's tables as they are now, in the order
// a service applies it: 0002_txsender.sql, binary keys (the service's 0003),
// 0005_txsender_chain.sql, 0006_txsender_chains.sql. A service's migrations
// must build the same tables (txsendertest compares them on the database).
func Schema() string {
	return sendTablesSQL + "\n" + binaryKeysSQL + "\n" + chainTablesSQL + "\n" + perChainSQL
}
