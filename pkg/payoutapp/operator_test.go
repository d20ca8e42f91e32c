package payoutapp

import (
	"bytes"
	"errors"
	"testing"

	"github.com/rs/zerolog"
)

// TestRunUsage: a command line that is not understood is ErrUsage, before
// anything is opened or read.
func TestRunUsage(t *testing.T) {
	for _, args := range [][]string{nil, {"help"}, {"pending", "x"}, {"repair-nonces", "x"}, {"repair-nonces", "--apply", "x"}} {
		if err := (Operator{}).Run(t.Context(), args, &bytes.Buffer{}, zerolog.Nop()); !errors.Is(err, ErrUsage) {
			t.Errorf("Run(%q) = %v, want ErrUsage", args, err)
		}
	}
}
