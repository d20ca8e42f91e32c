package db_test

import (
	"errors"
	"fmt"
	"io/fs"
	"strings"
	"testing"
	"testing/fstest"

	"paysuite/pkg/db"
)

func TestMigrationsJoinsFolders(t *testing.T) {
	embedded := fstest.MapFS{
		"migrations/0001_init.sql":  {Data: []byte("SELECT 1")},
		"migrations/0003_more.sql":  {Data: []byte("SELECT 3")},
		"migrations/notes/old.txt":  {Data: []byte("kept as it was")},
		"elsewhere/0009_hidden.sql": {Data: []byte("SELECT 9")},
	}
	shared := fstest.MapFS{"0002_shared.sql": {Data: []byte("SELECT 2")}}
	joined := db.Migrations(embedded, "migrations", shared)

	if err := fstest.TestFS(joined, "0001_init.sql", "0002_shared.sql", "0003_more.sql", "notes/old.txt"); err != nil {
		t.Fatal(err)
	}
	list, err := db.ReadMigrations(joined)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, m := range list {
		got = append(got, m.Name+":"+m.SQL)
	}
	want := []string{"0001_init.sql:SELECT 1", "0002_shared.sql:SELECT 2", "0003_more.sql:SELECT 3"}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("got %v, want %v", got, want)
	}
}

func TestMigrationsRefusesAVersionTwice(t *testing.T) {
	embedded := fstest.MapFS{"migrations/0002_txsender.sql": {Data: []byte("SELECT 1")}}
	shared := fstest.MapFS{"0002_txsender.sql": {Data: []byte("SELECT 2")}}
	_, err := db.ReadMigrations(db.Migrations(embedded, "migrations", shared))
	if err == nil || !strings.Contains(err.Error(), "same version") {
		t.Fatalf("err = %v, want a refusal of version 2 twice", err)
	}
}

func TestMigrationsBadFolder(t *testing.T) {
	for _, dir := range []string{"missing", "../migrations"} {
		if _, err := db.ReadMigrations(db.Migrations(fstest.MapFS{}, dir)); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("folder %q: err = %v, want not exist", dir, err)
		}
	}
}
