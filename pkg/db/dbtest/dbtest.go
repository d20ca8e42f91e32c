// Package dbtest gives tests their own throw-away schema on the real database server.
package dbtest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"io/fs"
	"os"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"
	"github.com/rs/zerolog"
	"gorm.io/gorm"

	"paysuite/pkg/db"
)

// DefaultDSN is the server used when TEST_MYSQL_DSN is not set.
const DefaultDSN = "root:@tcp(127.0.0.1:3306)/"

// DSN returns the test server's DSN, without a schema.
func DSN() string {
	if dsn := os.Getenv("TEST_MYSQL_DSN"); dsn != "" {
		return dsn
	}
	return DefaultDSN
}

// Config returns a configuration on a fresh, uniquely named schema ("t_" and random
// hex), which is dropped when the test ends. The schema itself is created by db.Open.
func Config(t testing.TB) db.Config {
	t.Helper()
	var b [8]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails
	cfg := db.Config{
		DSN:             DSN(),
		Schema:          "t_" + hex.EncodeToString(b[:]),
		MaxOpenConns:    5,
		MaxIdleConns:    2,
		ConnMaxLifetime: 5 * time.Minute,
	}
	t.Cleanup(func() { drop(t, cfg) })
	return cfg
}

// Open opens a fresh schema with the given migrations (nil for none) and closes it
// when the test ends.
func Open(t testing.TB, migrations fs.FS) *gorm.DB {
	t.Helper()
	return OpenConfig(t, Config(t), migrations)
}

// OpenConfig opens the schema of cfg with the given migrations (nil for none), as a
// service does, and closes it when the test ends: the test's own handle on the schema
// of a service it runs.
func OpenConfig(t testing.TB, cfg db.Config, migrations fs.FS) *gorm.DB {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	gdb, err := db.Open(ctx, cfg, migrations, zerolog.Nop())
	if err != nil {
		t.Fatalf("open test database: %v", err)
	}
	t.Cleanup(func() {
		if sqlDB, err := gdb.DB(); err == nil {
			_ = sqlDB.Close()
		}
	})
	return gdb
}

// drop removes the test schema. It runs after the test's context is cancelled,
// so it has its own.
func drop(t testing.TB, cfg db.Config) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	mc, err := mysql.ParseDSN(cfg.DSN)
	if err != nil {
		t.Errorf("drop schema %s: %v", cfg.Schema, err)
		return
	}
	mc.DBName = ""
	connector, err := mysql.NewConnector(mc)
	if err != nil {
		t.Errorf("drop schema %s: %v", cfg.Schema, err)
		return
	}
	sqlDB := sql.OpenDB(connector)
	defer sqlDB.Close()
	if _, err := sqlDB.ExecContext(ctx, "DROP DATABASE IF EXISTS `"+cfg.Schema+"`"); err != nil {
		t.Errorf("drop schema %s: %v", cfg.Schema, err)
	}
}
