package db

import (
	"cmp"
	"context"
	"database/sql"
	"database/sql/driver"
	"fmt"
	"io/fs"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/rs/zerolog"
)

// Migration is one SQL file of a service's migrations.
type Migration struct {
	Version uint64
	Name    string // file name, e.g. 0001_init.sql
	SQL     string
}

// lockWait is how long one GET_LOCK call waits before checking ctx again.
const lockWait = 2 * time.Second

// Migrate applies, in version order, the migrations of fsys not yet recorded in
// the table schema_migrations. It holds a server lock named after the schema on
// one connection throughout, so replicas starting together migrate once; all
// statements run on that connection, so a pool of one connection cannot deadlock.
// DDL is not transactional in MySQL: a file that fails half-way stays half-applied
// and is retried whole on the next start, so statements should be safe to repeat.
func Migrate(ctx context.Context, sqlDB *sql.DB, schema string, fsys fs.FS, log zerolog.Logger) error {
	migrations, err := ReadMigrations(fsys)
	if err != nil {
		return err
	}
	conn, err := sqlDB.Conn(ctx)
	if err != nil {
		return fmt.Errorf("migrate %s: get connection: %w", schema, err)
	}
	defer conn.Close()

	lock := "migrate:" + schema
	if err := getLock(ctx, conn, lock); err != nil {
		return fmt.Errorf("migrate %s: %w", schema, err)
	}
	defer releaseLock(ctx, conn, lock, log)

	if _, err := conn.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version BIGINT UNSIGNED NOT NULL PRIMARY KEY,
		name VARCHAR(255) NOT NULL,
		applied_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6)
	) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4`); err != nil {
		return fmt.Errorf("migrate %s: create schema_migrations: %w", schema, err)
	}
	applied, err := appliedVersions(ctx, conn)
	if err != nil {
		return fmt.Errorf("migrate %s: %w", schema, err)
	}
	for _, m := range migrations {
		if applied[m.Version] {
			continue
		}
		start := time.Now()
		for i, stmt := range SplitStatements(m.SQL) {
			if _, err := conn.ExecContext(ctx, stmt); err != nil {
				return fmt.Errorf("migrate %s: %s: statement %d: %w", schema, m.Name, i+1, err)
			}
		}
		if _, err := conn.ExecContext(ctx,
			"INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)",
			m.Version, m.Name, time.Now().UTC()); err != nil {
			return fmt.Errorf("migrate %s: record %s: %w", schema, m.Name, err)
		}
		log.Info().Str("schema", schema).Str("migration", m.Name).Dur("took", time.Since(start)).Msg("migration applied")
	}
	return nil
}

// getLock waits for the named server lock until ctx ends.
func getLock(ctx context.Context, conn *sql.Conn, name string) error {
	for {
		var got sql.NullInt64
		err := conn.QueryRowContext(ctx, "SELECT GET_LOCK(?, ?)", name, int(lockWait/time.Second)).Scan(&got)
		if err != nil {
			return fmt.Errorf("get lock %s: %w", name, err)
		}
		if got.Valid && got.Int64 == 1 {
			return nil
		}
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("get lock %s: %w", name, err)
		}
	}
}

// releaseLock frees the lock. If that fails the connection is discarded rather than
// returned to the pool, since closing the session is what frees the lock then.
func releaseLock(ctx context.Context, conn *sql.Conn, name string, log zerolog.Logger) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	if _, err := conn.ExecContext(ctx, "DO RELEASE_LOCK(?)", name); err != nil {
		log.Warn().Err(err).Str("lock", name).Msg("release lock failed; dropping the connection")
		_ = conn.Raw(func(any) error { return driver.ErrBadConn })
	}
}

func appliedVersions(ctx context.Context, conn *sql.Conn) (map[uint64]bool, error) {
	rows, err := conn.QueryContext(ctx, "SELECT version FROM schema_migrations")
	if err != nil {
		return nil, fmt.Errorf("read schema_migrations: %w", err)
	}
	defer rows.Close()
	applied := map[uint64]bool{}
	for rows.Next() {
		var v uint64
		if err := rows.Scan(&v); err != nil {
			return nil, fmt.Errorf("read schema_migrations: %w", err)
		}
		applied[v] = true
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read schema_migrations: %w", err)
	}
	return applied, nil
}

// ReadMigrations lists the files NNNN_description.sql at the root of fsys in
// version order. Other files are ignored, but a .sql file without a version, or
// two files with the same version, is an error rather than silently skipped.
func ReadMigrations(fsys fs.FS) ([]Migration, error) {
	entries, err := fs.ReadDir(fsys, ".")
	if err != nil {
		return nil, fmt.Errorf("read migrations: %w", err)
	}
	var list []Migration
	seen := map[uint64]string{}
	for _, e := range entries {
		name := e.Name()
		if e.IsDir() || !strings.HasSuffix(name, ".sql") {
			continue
		}
		prefix, desc, ok := strings.Cut(strings.TrimSuffix(name, ".sql"), "_")
		version, err := strconv.ParseUint(prefix, 10, 64)
		if !ok || desc == "" || err != nil {
			return nil, fmt.Errorf("read migrations: %s: name must be NNNN_description.sql", name)
		}
		if other, dup := seen[version]; dup {
			return nil, fmt.Errorf("read migrations: %s and %s have the same version", other, name)
		}
		seen[version] = name
		body, err := fs.ReadFile(fsys, name)
		if err != nil {
			return nil, fmt.Errorf("read migrations: %w", err)
		}
		list = append(list, Migration{Version: version, Name: name, SQL: string(body)})
	}
	slices.SortFunc(list, func(a, b Migration) int { return cmp.Compare(a.Version, b.Version) })
	return list, nil
}

// SplitStatements splits a migration into statements at each ';' that ends a
// line. Lines that are only a comment ("--" or "#") are dropped, so a comment
// ending in ';' does not split a statement.
func SplitStatements(sqlText string) []string {
	var stmts []string
	var cur strings.Builder
	flush := func() {
		if s := strings.TrimSpace(cur.String()); s != "" {
			stmts = append(stmts, s)
		}
		cur.Reset()
	}
	for _, line := range strings.Split(sqlText, "\n") {
		line = strings.TrimRight(line, " \t\r")
		trimmed := strings.TrimSpace(line)
		if strings.HasPrefix(trimmed, "--") || strings.HasPrefix(trimmed, "#") {
			continue
		}
		if strings.HasSuffix(line, ";") {
			cur.WriteString(strings.TrimSuffix(line, ";"))
			flush()
			continue
		}
		cur.WriteString(line)
		cur.WriteByte('\n')
	}
	flush()
	return stmts
}
