package reconcile

import (
	"fmt"
	"io"
	"math/big"
	"slices"
	"strings"
	"text/tabwriter"

	"paysuite/pkg/money"
)

func sortDiffs(diffs []Difference) {
	slices.SortFunc(diffs, func(a, b Difference) int {
		if c := strings.Compare(a.Address, b.Address); c != 0 {
			return c
		}
		return strings.Compare(a.Asset, b.Asset)
	})
}

// Write prints the outcome of one chain's reconciliation of n addresses at
// block h: a line, and each difference in whole units of its asset.
func Write(out io.Writer, chain string, h uint64, n int, diffs []Difference) error {
	if len(diffs) == 0 {
		_, err := fmt.Fprintf(out, "%s at block %d: %d deposit addresses, no difference\n", chain, h, n)
		return err
	}
	fmt.Fprintf(out, "%s at block %d: %d deposit addresses, %d differences\n", chain, h, n, len(diffs))
	w := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
	fmt.Fprintln(w, "ADDRESS\tASSET\tRECORDS\tON CHAIN\tDIFFERENCE")
	for _, d := range diffs {
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\n", d.Address, d.Asset, whole(d.Records, d.Decimals), whole(d.OnChain, d.Decimals),
			signed(d.Delta(), d.Decimals))
	}
	return w.Flush()
}

// Summary is a short account of diffs for an alert: the first few.
func Summary(diffs []Difference) string {
	var parts []string
	for i, d := range diffs {
		if i == 5 {
			parts = append(parts, fmt.Sprintf("and %d more", len(diffs)-i))
			break
		}
		parts = append(parts, fmt.Sprintf("%s %s %s at block %d", d.Address, signed(d.Delta(), d.Decimals), d.Asset, d.Block))
	}
	return strings.Join(parts, "; ")
}

func whole(v *big.Int, decimals int32) string {
	return money.Format(money.FromBaseUnits(v, decimals))
}

func signed(v *big.Int, decimals int32) string {
	if v.Sign() > 0 {
		return "+" + whole(v, decimals)
	}
	return whole(v, decimals)
}
