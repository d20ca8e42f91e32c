package deploy

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"
)

// testServerDSN is the database server of the tests (root, no schema).
func testServerDSN() string {
	if dsn := os.Getenv("TEST_MYSQL_DSN"); dsn != "" {
		return dsn
	}
	return "root:@tcp(127.0.0.1:3306)/"
}

var userPassword = regexp.MustCompile(`(?is)^CREATE\s+USER\s+(?:IF\s+NOT\s+EXISTS\s+)?'([^']+)'@'[^']+'\s+IDENTIFIED\s+BY\s+'([^']*)'`)

// escapeGrantDB writes a schema name as a GRANT must, with its wildcards escaped.
func escapeGrantDB(name string) string {
	return strings.NewReplacer(`_`, `\_`, `%`, `\%`).Replace(name)
}

// TestInitSQLGrantsOnServer runs deploy/mysql-init on the real database server,
// with every schema and user renamed with a random suffix so that it neither
// touches nor depends on anything else there, and checks what each user can do:
// create its schema (as db.Open does at start), create and use tables in it,
// and neither read another service's schema nor create a schema of its own
// choosing.
func TestInitSQLGrantsOnServer(t *testing.T) {
	text, err := os.ReadFile(initSQLFile)
	if err != nil {
		t.Fatal(err)
	}
	schemas, users, grants, err := parseInitSQL(string(text))
	if err != nil {
		t.Fatal(err)
	}
	var b [4]byte
	_, _ = rand.Read(b[:])
	suffix := "_g" + hex.EncodeToString(b[:])

	// Rename in every statement: `schema`, `escaped\_schema` and 'user'@.
	var pairs []string
	for s := range schemas {
		pairs = append(pairs, "`"+s+"`", "`"+s+suffix+"`", "`"+escapeGrantDB(s)+"`", "`"+escapeGrantDB(s+suffix)+"`")
	}
	for u := range users {
		pairs = append(pairs, "'"+u+"'@", "'"+u+suffix+"'@")
	}
	rename := strings.NewReplacer(pairs...)

	root := openDB(t, testServerDSN())
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	t.Cleanup(func() {
		// The test's context is over by now.
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		for u := range users {
			if _, err := root.ExecContext(ctx, "DROP USER IF EXISTS '"+u+suffix+"'@'%'"); err != nil {
				t.Errorf("drop user %s: %v", u+suffix, err)
			}
		}
		for s := range schemas {
			if _, err := root.ExecContext(ctx, "DROP DATABASE IF EXISTS `"+s+suffix+"`"); err != nil {
				t.Errorf("drop schema %s: %v", s+suffix, err)
			}
		}
	})

	passwords := map[string]string{}
	for _, stmt := range splitSQL(string(text)) {
		if m := userPassword.FindStringSubmatch(stmt); m != nil {
			passwords[m[1]] = m[2]
		}
		renamed := rename.Replace(stmt)
		if renamed == stmt && !flushPrivs.MatchString(stmt) {
			t.Fatalf("statement names no schema or user of the script, so it would run unchanged on the shared server: %q", stmt)
		}
		if _, err := root.ExecContext(ctx, renamed); err != nil {
			t.Fatalf("%s: %v", renamed, err)
		}
	}

	own := map[string]string{} // user -> schema
	for _, g := range grants {
		if prev, ok := own[g.user]; ok && prev != g.schema {
			t.Errorf("user %s is granted %s besides %s", g.user, g.schema, prev)
			continue
		}
		own[g.user] = g.schema
	}
	if len(own) == 0 {
		t.Fatal("the script grants nothing")
	}
	conns := map[string]*sql.DB{}
	for user, schema := range own {
		pass, ok := passwords[user]
		if !ok {
			t.Fatalf("user %s has no password in the script", user)
		}
		cfg, err := mysql.ParseDSN(testServerDSN())
		if err != nil {
			t.Fatal(err)
		}
		cfg.User, cfg.Passwd, cfg.DBName = user+suffix, pass, ""
		db := openDB(t, cfg.FormatDSN())
		conns[user] = db
		s := schema + suffix
		for _, q := range []string{
			"CREATE DATABASE IF NOT EXISTS `" + s + "` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci",
			"CREATE TABLE `" + s + "`.probe (id INT PRIMARY KEY)",
			"INSERT INTO `" + s + "`.probe VALUES (1)",
			"SELECT id FROM `" + s + "`.probe FOR UPDATE SKIP LOCKED",
		} {
			if _, err := db.ExecContext(ctx, q); err != nil {
				t.Errorf("user %s on its own schema: %s: %v", user, q, err)
			}
		}
	}
	for user, db := range conns {
		for other, schema := range own {
			if other == user {
				continue
			}
			q := "SELECT id FROM `" + schema + suffix + "`.probe"
			if _, err := db.ExecContext(ctx, q); !accessDenied(err) {
				t.Errorf("user %s reads %s's schema: %s: %v", user, other, q, err)
			}
		}
		q := "CREATE DATABASE `" + own[user] + suffix + "_extra`"
		if _, err := db.ExecContext(ctx, q); !accessDenied(err) {
			t.Errorf("user %s creates a schema that is not its own: %v", user, err)
			_, _ = root.ExecContext(ctx, "DROP DATABASE IF EXISTS `"+own[user]+suffix+"_extra`")
		}
	}
}

// accessDenied tells whether err is the server refusing a privilege.
func accessDenied(err error) bool {
	var me *mysql.MySQLError
	if !errors.As(err, &me) {
		return false
	}
	switch me.Number {
	case 1044, 1142, 1143: // database, table, column access denied
		return true
	}
	return false
}

func openDB(t *testing.T, dsn string) *sql.DB {
	t.Helper()
	db, err := sql.Open("mysql", dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	if err := db.PingContext(ctx); err != nil {
		t.Fatalf("connect to the database server (%s): %v", redact(dsn), err)
	}
	return db
}

// redact hides a DSN's password in messages.
func redact(dsn string) string {
	cfg, err := mysql.ParseDSN(dsn)
	if err != nil {
		return "unparsable DSN"
	}
	if cfg.Passwd != "" {
		cfg.Passwd = "***"
	}
	return cfg.FormatDSN()
}
