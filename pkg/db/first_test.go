package db_test

import (
	"testing"
	"testing/fstest"

	"gorm.io/gorm"

	"paysuite/pkg/db"
	"paysuite/pkg/db/dbtest"
)

func TestFirstOrNil(t *testing.T) {
	gdb := dbtest.Open(t, fstest.MapFS{"0001_items.sql": {Data: []byte(
		"CREATE TABLE items (id INT NOT NULL PRIMARY KEY, note VARCHAR(8) NOT NULL);\n" +
			"INSERT INTO items VALUES (1, 'one'), (2, 'two');\n")}})
	type item struct {
		ID   int    `gorm:"column:id"`
		Note string `gorm:"column:note"`
	}
	items := func() *gorm.DB { return gdb.WithContext(t.Context()).Table("items") }

	got, err := db.FirstOrNil[item](items().Where("id > ?", 0))
	if err != nil || got == nil || *got != (item{1, "one"}) {
		t.Fatalf("first = %+v, %v; want item 1", got, err)
	}
	if got, err := db.FirstOrNil[item](items().Where("id = ?", 3)); got != nil || err != nil {
		t.Fatalf("missing row = %+v, %v; want nil, nil", got, err)
	}
	if _, err := db.FirstOrNil[item](items().Where("nope = 1")); err == nil {
		t.Fatal("a bad query gave no error")
	}
}
