package payoutapptest

import (
	"bytes"
	"strings"
	"testing"

	"paysuite/pkg/db/dbtest"
	"paysuite/pkg/payoutapp"
)

// Pending is op's pending list, as lines, in a fresh schema of the service
// once the statements inserts ran; before them, the list must say that
// nothing is pending.
func Pending(t *testing.T, op payoutapp.Operator, inserts ...string) []string {
	t.Helper()
	gdb := dbtest.Open(t, op.Migrations)
	var out bytes.Buffer
	if err := op.PrintPending(t.Context(), gdb, &out); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "no pending "+op.Noun) {
		t.Fatalf("empty schema: %q", out.String())
	}
	for _, q := range inserts {
		if err := gdb.Exec(q).Error; err != nil {
			t.Fatal(err)
		}
	}
	out.Reset()
	if err := op.PrintPending(t.Context(), gdb, &out); err != nil {
		t.Fatal(err)
	}
	return strings.Split(strings.TrimSpace(out.String()), "\n")
}
