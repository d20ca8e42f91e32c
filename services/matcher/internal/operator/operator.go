// Package operator is the matcher's operator command line: list the
// transfers that matched no order, and assign one to an order. It runs beside
// the running service, in its schema: what an assignment writes to the outbox
// the service's relay publishes.
package operator

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/rs/zerolog"

	pkgconfig "paysuite/pkg/config"
	"paysuite/pkg/db"
	"paysuite/pkg/events"
	"paysuite/pkg/logging"
	"paysuite/pkg/sign"
	"paysuite/pkg/tokens"
	"paysuite/services/matcher/internal/config"
	"paysuite/services/matcher/internal/matching"
	"paysuite/services/matcher/internal/store"
)

// Usage describes the commands.
const Usage = `usage:
  matcher                                    run the service
  matcher unmatched [--chain NAME] [--all] [--limit N]
                                             list the transfers that matched no order and are
                                             not assigned yet, oldest first (--all: the assigned
                                             ones too, with their order)
  matcher assign <transfer_id> <order> --by NAME --reason TEXT [--force]
                                             assign a confirmed unmatched transfer
                                             (<chain>:<tx_hash>:<log_index>) to an open or expired
                                             order (its request_id or order_id): the order gets
                                             the paid returns and webhooks of a matched transfer,
                                             late when its expiry has passed; once per transfer;
                                             --force: to an order already paid (an excess payment)
`

// ErrUsage is returned for a command line the commands do not accept.
var ErrUsage = errors.New("invalid command line")

// Main runs the operator command of args with the matcher's configuration
// from the environment, writes its output to out and its errors to errOut,
// and returns the exit status: 0, 1 when the command failed or was refused,
// 2 for a usage or configuration error.
func Main(ctx context.Context, args []string, out, errOut io.Writer) int {
	cfg, err := pkgconfig.Load[config.Config]()
	if err != nil {
		fmt.Fprintln(errOut, "matcher: configuration:", err)
		return 2
	}
	err = Run(ctx, cfg, args, out, logging.NewWriter(errOut, "matcher", cfg.Log))
	switch {
	case err == nil:
		return 0
	case errors.Is(err, ErrUsage):
		fmt.Fprintln(errOut, "matcher:", err)
		fmt.Fprint(errOut, Usage)
		return 2
	}
	fmt.Fprintln(errOut, "matcher:", err)
	return 1
}

// Run runs one command against the matcher's schema.
func Run(ctx context.Context, cfg config.Config, args []string, out io.Writer, log zerolog.Logger) error {
	if len(args) == 0 {
		return ErrUsage
	}
	var run func(context.Context, *matching.Handler, []string, io.Writer) error
	switch args[0] {
	case "unmatched":
		run = unmatched
	case "assign":
		run = assign
	case "help", "-h", "--help":
		_, err := io.WriteString(out, Usage)
		return err
	default:
		return fmt.Errorf("%w: unknown command %q", ErrUsage, args[0])
	}
	gdb, err := db.Open(ctx, cfg.DB, store.Migrations(), log)
	if err != nil {
		return err
	}
	if sqlDB, err := gdb.DB(); err == nil {
		defer sqlDB.Close()
	}
	keys, err := events.NewKeys(cfg.InternalSecrets()...)
	if err != nil {
		return err
	}
	chainTokens := make(map[string]tokens.List, len(cfg.List))
	for _, ch := range cfg.List {
		chainTokens[ch.Name] = ch.Tokens
	}
	// The handler without witnesses: an assignment applies a transfer the
	// service witnessed when it recorded it confirmed.
	h := &matching.Handler{Store: store.New(gdb), Names: cfg.Names, SharedAddress: cfg.SharedAddress,
		Tokens: chainTokens, Internal: keys, Sealer: sign.Sealer{Secret: []byte(cfg.SignSecret)}, Log: log}
	return run(ctx, h, args[1:], out)
}

func unmatched(ctx context.Context, h *matching.Handler, args []string, out io.Writer) error {
	fs := newFlags("unmatched")
	chain := fs.String("chain", "", "only the transfers on this chain")
	all := fs.Bool("all", false, "the assigned transfers too")
	limit := fs.Int("limit", 100, "at most this many")
	if err := fs.Parse(args); err != nil || fs.NArg() > 0 || *limit < 1 {
		return fmt.Errorf("%w: unmatched [--chain NAME] [--all] [--limit N]", ErrUsage)
	}
	list, err := h.Store.ListUnmatched(ctx, store.UnmatchedFilter{Chain: *chain, Assigned: *all, Limit: *limit + 1})
	if err != nil {
		return err
	}
	more := len(list) > *limit
	if more {
		list = list[:*limit]
	}
	tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	header := "ID\tCHAIN\tTOKEN\tAMOUNT\tTO\tFROM\tBLOCK\tSTATE\tAGE"
	if *all {
		header += "\tASSIGNED"
	}
	fmt.Fprintln(tw, header+"\tREASON")
	for _, u := range list {
		amount := u.Amount + " base units"
		if d, ok := tokenDecimals(h, u.Chain, u.Symbol); ok {
			amount = matching.FormatBase(u.Amount, d)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%d\t%s\t%s", u.TransferID, u.Chain, u.Symbol, amount, u.ToAddress,
			u.FromAddress, u.BlockNumber, u.State, age(u.AgeSeconds))
		if *all {
			assigned := "-"
			if u.AssignedTo != "" {
				assigned = u.AssignedTo + " by " + u.AssignedBy
				if u.AssignedAt != nil {
					assigned += " at " + u.AssignedAt.UTC().Format("2006-01-02 15:04 UTC")
				}
			}
			fmt.Fprintf(tw, "\t%s", assigned)
		}
		fmt.Fprintf(tw, "\t%s\n", u.Reason)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if more {
		fmt.Fprintf(out, "(more than %d; --limit shows more)\n", *limit)
	}
	return nil
}

func assign(ctx context.Context, h *matching.Handler, args []string, out io.Writer) error {
	fs := newFlags("assign")
	by := fs.String("by", "", "who assigns")
	reason := fs.String("reason", "", "why")
	force := fs.Bool("force", false, "assign to an order already paid")
	pos, err := parseInterleaved(fs, args)
	if err != nil || len(pos) != 2 {
		return fmt.Errorf("%w: assign <transfer_id> <order> --by NAME --reason TEXT [--force]", ErrUsage)
	}
	done, err := h.Assign(ctx, matching.Assignment{TransferID: pos[0], Order: pos[1], By: *by, Reason: *reason, Force: *force})
	if err != nil {
		return err
	}
	statuses := make([]string, len(done.Statuses))
	for i, s := range done.Statuses {
		statuses[i] = fmt.Sprint(s)
	}
	late := ""
	if done.Late {
		late = " (late: true)"
	}
	_, err = fmt.Fprintf(out, "assigned %s to order %s (request %s); paid returns with status %s%s; the order is %s\n",
		pos[0], done.OrderID, done.RequestID, strings.Join(statuses, ", "), late, done.State)
	return err
}

func newFlags(name string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	return fs
}

// parseInterleaved parses args whose flags may come before, between or after
// the positional arguments, which it returns.
func parseInterleaved(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		if fs.NArg() == 0 {
			return pos, nil
		}
		pos = append(pos, fs.Arg(0))
		args = fs.Args()[1:]
	}
}

// tokenDecimals are the decimals of symbol on chain as configured.
func tokenDecimals(h *matching.Handler, chain, symbol string) (int32, bool) {
	tok, ok := h.Tokens[chain].BySymbol(symbol)
	return tok.Decimals, ok
}

// age renders seconds as the largest two units that matter.
func age(seconds int64) string {
	d := time.Duration(max(seconds, 0)) * time.Second
	switch {
	case d < time.Minute:
		return d.String()
	case d < time.Hour:
		return fmt.Sprintf("%dm", int(d.Minutes()))
	case d < 48*time.Hour:
		return fmt.Sprintf("%dh%02dm", int(d.Hours()), int(d.Minutes())%60)
	}
	return fmt.Sprintf("%dd%02dh", int(d.Hours())/24, int(d.Hours())%24)
}
