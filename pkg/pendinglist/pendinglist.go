// Package pendinglist prints, for operators, the payout requests of a service
// that have no final answer yet, with their current transaction.
package pendinglist

import (
	"context"
	"fmt"
	"io"
	"strconv"
	"text/tabwriter"
	"time"

	"gorm.io/gorm"
)

// Row is one payout request without a final answer, with its current
// transaction, as operators list them.
type Row struct {
	RequestID string
	State     string
	SendState *string
	TxHash    *string
	Nonce     *uint64
	AgeSec    int64
}

// Print runs query (which selects the columns of Row) and prints
// the rows as a table; noun names the requests in the empty-list message.
func Print(ctx context.Context, gdb *gorm.DB, out io.Writer, query, noun string, args ...any) error {
	var rows []Row
	if err := gdb.WithContext(ctx).Raw(query, args...).Scan(&rows).Error; err != nil {
		return fmt.Errorf("list pending %s: %w", noun, err)
	}
	tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "REQUEST_ID\tSTATE\tTX_STATE\tTX_HASH\tNONCE\tAGE")
	for _, r := range rows {
		nonce := "-"
		if r.Nonce != nil {
			nonce = strconv.FormatUint(*r.Nonce, 10)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", r.RequestID, r.State, orDash(r.SendState), orDash(r.TxHash),
			nonce, (time.Duration(r.AgeSec) * time.Second).String())
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if len(rows) == 0 {
		fmt.Fprintln(out, "no pending "+noun)
	}
	return nil
}

func orDash(s *string) string {
	if s == nil || *s == "" {
		return "-"
	}
	return *s
}
