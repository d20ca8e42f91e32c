package store

import (
	"embed"
	"io/fs"

	"paysuite/pkg/depositaddr"
	"paysuite/pkg/txsender"
)

//go:embed migrations/*.sql
var migrations embed.FS

// Migrations are the schema's versioned migrations: its own, the outbox's,
// the transaction sender's and the deposit addresses' (see
// txsender.ServiceMigrations).
func Migrations() fs.FS { return txsender.ServiceMigrations(migrations, depositaddr.Migrations()) }
