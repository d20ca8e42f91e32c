// Package db opens a service's MariaDB/MySQL schema with gorm and applies its
// SQL migrations.
package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"time"

	"github.com/go-sql-driver/mysql"
	"github.com/rs/zerolog"
	gormmysql "gorm.io/driver/mysql"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"

	"paysuite/pkg/config"
)

// Config is the database part of a service's configuration.
type Config struct {
	// DSN is the server DSN without a schema; Open adds the schema.
	DSN string `env:"MYSQL_DSN" envDefault:"root:@tcp(127.0.0.1:3306)/"`
	// Schema is the service's own database; each service sets its default.
	Schema          string        `env:"MYSQL_SCHEMA"`
	MaxOpenConns    int           `env:"MYSQL_MAX_OPEN_CONNS" envDefault:"20"`
	MaxIdleConns    int           `env:"MYSQL_MAX_IDLE_CONNS" envDefault:"10"`
	ConnMaxLifetime time.Duration `env:"MYSQL_CONN_MAX_LIFETIME" envDefault:"5m"`
}

// maxSchemaLen keeps the migration lock name ("migrate:" + schema) within the
// server's 64-character limit on lock names.
const maxSchemaLen = 56

// Validate checks the settings, naming the offending variable.
func (c Config) Validate() error {
	mc, err := mysql.ParseDSN(c.DSN)
	if err != nil {
		// The driver's message does not echo the DSN, which holds the password.
		return config.VarError("MYSQL_DSN", "%w", err)
	}
	if mc.DBName != "" {
		return config.VarError("MYSQL_DSN", "must not name a schema (got %q); set MYSQL_SCHEMA", mc.DBName)
	}
	if c.Schema == "" || len(c.Schema) > maxSchemaLen || !identifier(c.Schema) {
		return config.VarError("MYSQL_SCHEMA", "must be 1-%d characters of [A-Za-z0-9_], got %q", maxSchemaLen, c.Schema)
	}
	if c.MaxOpenConns < 1 {
		return config.VarError("MYSQL_MAX_OPEN_CONNS", "must be at least 1")
	}
	if c.MaxIdleConns < 0 || c.MaxIdleConns > c.MaxOpenConns {
		return config.VarError("MYSQL_MAX_IDLE_CONNS", "must be 0..MYSQL_MAX_OPEN_CONNS (%d)", c.MaxOpenConns)
	}
	if c.ConnMaxLifetime < 0 {
		return config.VarError("MYSQL_CONN_MAX_LIFETIME", "must not be negative")
	}
	return nil
}

// defaultConnectWait bounds the wait for the server when ctx has no deadline.
const defaultConnectWait = time.Minute

// Open creates the schema if missing, opens it with gorm (UTC times), applies the
// pool settings and applies the pending migrations of migrations (see Migrate;
// nil means none).
// The server may still be starting: the first connection is retried until ctx's
// deadline (a minute when ctx has none).
func Open(ctx context.Context, cfg Config, migrations fs.FS, log zerolog.Logger) (*gorm.DB, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("open database: %w", err)
	}
	mc, err := mysql.ParseDSN(cfg.DSN)
	if err != nil {
		return nil, fmt.Errorf("open database: %w", err)
	}
	mc.ParseTime = true
	mc.Loc = time.UTC
	if mc.Params == nil {
		mc.Params = map[string]string{}
	}
	// Sessions run in UTC so that NOW() and TIMESTAMP columns agree with Go's times.
	mc.Params["time_zone"] = "'+00:00'"
	// Arguments are escaped by the driver and sent with the statement: one
	// round trip per query instead of prepare, execute and close.
	mc.InterpolateParams = true

	if err := createSchema(ctx, mc, cfg.Schema, log); err != nil {
		return nil, err
	}

	mc.DBName = cfg.Schema
	gdb, err := gorm.Open(gormmysql.New(gormmysql.Config{DSNConfig: mc, DSN: mc.FormatDSN()}), &gorm.Config{
		// A single statement outside a transaction is atomic on its own; gorm
		// would otherwise wrap each one in BEGIN and COMMIT. Every multi-statement
		// write runs in an explicit transaction.
		SkipDefaultTransaction: true,
		Logger:                 logger.Discard,
		NowFunc:                func() time.Time { return time.Now().UTC().Truncate(time.Microsecond) },
	})
	if err != nil {
		return nil, fmt.Errorf("open schema %s: %w", cfg.Schema, err)
	}
	sqlDB, err := gdb.DB()
	if err != nil {
		return nil, fmt.Errorf("open schema %s: %w", cfg.Schema, err)
	}
	sqlDB.SetMaxOpenConns(cfg.MaxOpenConns)
	sqlDB.SetMaxIdleConns(cfg.MaxIdleConns)
	sqlDB.SetConnMaxLifetime(cfg.ConnMaxLifetime)

	if migrations != nil {
		if err := Migrate(ctx, sqlDB, cfg.Schema, migrations, log); err != nil {
			_ = sqlDB.Close()
			return nil, err
		}
	}
	return gdb, nil
}

// createSchema waits for the server and creates the schema if it is missing.
func createSchema(ctx context.Context, mc *mysql.Config, schema string, log zerolog.Logger) error {
	server := mc.Clone()
	server.DBName = ""
	connector, err := mysql.NewConnector(server)
	if err != nil {
		return fmt.Errorf("open database server: %w", err)
	}
	sqlDB := sql.OpenDB(connector)
	defer sqlDB.Close()

	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, defaultConnectWait)
		defer cancel()
	}
	if err := waitReady(ctx, sqlDB, server.Addr, log); err != nil {
		return err
	}
	q := "CREATE DATABASE IF NOT EXISTS `" + schema + "` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"
	if _, err := sqlDB.ExecContext(ctx, q); err != nil {
		return fmt.Errorf("create schema %s: %w", schema, err)
	}
	return nil
}

// waitReady pings until the server answers. An error reply from the server (bad
// credentials, for instance) will not go away by waiting, so it ends the wait.
func waitReady(ctx context.Context, sqlDB *sql.DB, addr string, log zerolog.Logger) error {
	delay := 200 * time.Millisecond
	for attempt := 1; ; attempt++ {
		err := sqlDB.PingContext(ctx)
		if err == nil {
			return nil
		}
		var serverErr *mysql.MySQLError
		if errors.As(err, &serverErr) {
			return fmt.Errorf("connect to database %s: %w", addr, err)
		}
		log.Warn().Err(err).Str("addr", addr).Int("attempt", attempt).Msg("database not reachable yet, retrying")
		timer := time.NewTimer(delay)
		select {
		case <-ctx.Done():
			timer.Stop()
			return fmt.Errorf("connect to database %s: %w (gave up: %w)", addr, err, context.Cause(ctx))
		case <-timer.C:
		}
		delay = min(delay*2, 2*time.Second)
	}
}

// Ping checks the database is reachable, for readiness probes.
func Ping(ctx context.Context, db *gorm.DB) error {
	sqlDB, err := db.DB()
	if err != nil {
		return fmt.Errorf("ping database: %w", err)
	}
	if err := sqlDB.PingContext(ctx); err != nil {
		return fmt.Errorf("ping database: %w", err)
	}
	return nil
}

// IsDuplicateKey reports whether err, or an error it wraps, is a duplicate-key
// error (MySQL error 1062).
func IsDuplicateKey(err error) bool {
	var me *mysql.MySQLError
	if errors.As(err, &me) {
		return me.Number == 1062
	}
	return errors.Is(err, gorm.ErrDuplicatedKey)
}

// IsConflict reports whether err, or an error it wraps, means the transaction
// lost a race for a lock (deadlock, MySQL 1213, or lock wait timeout, 1205):
// running it again is the remedy.
func IsConflict(err error) bool {
	var me *mysql.MySQLError
	return errors.As(err, &me) && (me.Number == 1213 || me.Number == 1205)
}

func identifier(s string) bool {
	for i := range len(s) {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_') {
			return false
		}
	}
	return true
}
