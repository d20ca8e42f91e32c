package leader

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/rs/zerolog"
	"gorm.io/gorm"

	"paysuite/pkg/db/dbtest"
	"paysuite/services/chain-listener/internal/store"
)

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestOneLeaderAndTakeover(t *testing.T) {
	gdb := dbtest.Open(t, store.Migrations())
	a := New(gdb, "test", "a", time.Second, zerolog.Nop())
	b := New(gdb, "test", "b", time.Second, zerolog.Nop())

	ctxA, stopA := context.WithCancel(t.Context())
	doneA := make(chan struct{})
	go func() { _ = a.Run(ctxA); close(doneA) }()
	waitFor(t, "a to lead", a.IsLeader)

	ctxB, stopB := context.WithCancel(t.Context())
	defer stopB()
	go func() { _ = b.Run(ctxB) }()
	time.Sleep(700 * time.Millisecond) // two renewal rounds of b
	if b.IsLeader() {
		t.Fatal("b leads while a holds an unexpired lease")
	}
	fence := func(l *Lease) error {
		return gdb.Transaction(func(tx *gorm.DB) error { return l.Fence(tx) })
	}
	if err := fence(a); err != nil {
		t.Fatalf("fence of the leader: %v", err)
	}
	if err := fence(b); !errors.Is(err, ErrNotLeader) {
		t.Fatalf("fence of the follower = %v, want ErrNotLeader", err)
	}

	stopA() // a releases its lease on the way out
	<-doneA
	waitFor(t, "b to take over", b.IsLeader)
	if err := fence(a); !errors.Is(err, ErrNotLeader) {
		t.Fatalf("fence of the old leader = %v, want ErrNotLeader", err)
	}
}

func TestExpiredLeaseIsTakenOver(t *testing.T) {
	gdb := dbtest.Open(t, store.Migrations())
	// A leader that died without releasing: its lease simply runs out.
	if err := gdb.Exec(`INSERT INTO leader_lease (name, holder, expires_at) VALUES ('test', 'dead', NOW(6) + INTERVAL 3 SECOND)`).Error; err != nil {
		t.Fatal(err)
	}
	b := New(gdb, "test", "b", time.Second, zerolog.Nop())
	go func() { _ = b.Run(t.Context()) }()
	time.Sleep(time.Second) // three renewal rounds of b
	var stillValid bool
	if err := gdb.Raw(`SELECT expires_at > NOW(6) FROM leader_lease WHERE name = 'test'`).Scan(&stillValid).Error; err != nil {
		t.Fatal(err)
	}
	if stillValid && b.IsLeader() {
		t.Fatal("took over a lease before it expired")
	}
	waitFor(t, "b to take over the expired lease", b.IsLeader)
}
