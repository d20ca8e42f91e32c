// Package admin is the notifier's operator command line: list deliveries and
// their attempts, and redeliver failed ones.
package admin

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"strconv"
	"text/tabwriter"
	"time"

	"paysuite/services/notifier/internal/store"
)

// Usage describes the commands.
const Usage = `usage:
  notifier                                   run the service
  notifier deliveries [--failed] [--request-id ID] [--limit N] [--json]
                                             list webhook deliveries, newest first
                                             (--failed: failed or gone, i.e. no more attempts)
  notifier attempts [--json] <delivery-id>   list the attempts of one delivery
  notifier redeliver <delivery-id>...        queue failed or gone deliveries again, with a
                                             fresh retry schedule (re-enables a gone endpoint)
`

// ErrUsage is returned for a command line that names no known command.
var ErrUsage = errors.New("invalid command line")

// Run executes one command against the store and writes its output to out.
func Run(ctx context.Context, st *store.Store, args []string, out io.Writer) error {
	if len(args) == 0 {
		return ErrUsage
	}
	switch args[0] {
	case "deliveries":
		return deliveries(ctx, st, args[1:], out)
	case "attempts":
		return attempts(ctx, st, args[1:], out)
	case "redeliver":
		return redeliver(ctx, st, args[1:], out)
	case "help", "-h", "--help":
		_, err := io.WriteString(out, Usage)
		return err
	}
	return fmt.Errorf("%w: unknown command %q", ErrUsage, args[0])
}

func deliveries(ctx context.Context, st *store.Store, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("deliveries", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	failed := fs.Bool("failed", false, "only failed or gone deliveries")
	requestID := fs.String("request-id", "", "only the deliveries of this request_id")
	limit := fs.Int("limit", 100, "at most this many")
	asJSON := fs.Bool("json", false, "one JSON object per line")
	if err := fs.Parse(args); err != nil || fs.NArg() > 0 {
		return fmt.Errorf("%w: deliveries [--failed] [--request-id ID] [--limit N] [--json]", ErrUsage)
	}
	list, err := st.List(ctx, store.Filter{Failed: *failed, RequestID: *requestID, Limit: *limit})
	if err != nil {
		return err
	}
	if *asJSON {
		enc := json.NewEncoder(out)
		for _, d := range list {
			if err := enc.Encode(d); err != nil {
				return err
			}
		}
		return nil
	}
	tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tSTATE\tATTEMPTS\tLAST\tFLOW\tREQUEST_ID\tEVENT\tSTATUS\tCREATED\tURL\tLAST_ERROR")
	for _, d := range list {
		last := "-"
		if d.LastStatus != nil {
			last = strconv.Itoa(*d.LastStatus)
		}
		lastErr := ""
		if d.LastError != nil {
			lastErr = *d.LastError
		}
		fmt.Fprintf(tw, "%d\t%s\t%d\t%s\t%s\t%s\t%s\t%d\t%s\t%s\t%s\n", d.ID, d.State, d.Attempts, last, d.Flow,
			d.RequestID, d.Event, d.Status, d.CreatedAt.Format(time.RFC3339), d.URL, lastErr)
	}
	return tw.Flush()
}

func attempts(ctx context.Context, st *store.Store, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("attempts", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	asJSON := fs.Bool("json", false, "one JSON object per line")
	if err := fs.Parse(args); err != nil || fs.NArg() != 1 {
		return fmt.Errorf("%w: attempts [--json] <delivery-id>", ErrUsage)
	}
	id, err := strconv.ParseUint(fs.Arg(0), 10, 64)
	if err != nil {
		return fmt.Errorf("%w: delivery id %q is not a number", ErrUsage, fs.Arg(0))
	}
	list, err := st.Attempts(ctx, id)
	if err != nil {
		return err
	}
	if *asJSON {
		enc := json.NewEncoder(out)
		for _, a := range list {
			if err := enc.Encode(a); err != nil {
				return err
			}
		}
		return nil
	}
	tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ATTEMPT\tSTARTED\tDURATION_MS\tSTATUS_CODE\tERROR\tWORKER")
	for _, a := range list {
		code, msg := "-", ""
		if a.StatusCode != nil {
			code = strconv.Itoa(*a.StatusCode)
		}
		if a.Error != nil {
			msg = *a.Error
		}
		fmt.Fprintf(tw, "%d\t%s\t%d\t%s\t%s\t%s\n", a.Attempt, a.StartedAt.Format(time.RFC3339Nano), a.DurationMS,
			code, msg, a.Worker)
	}
	return tw.Flush()
}

func redeliver(ctx context.Context, st *store.Store, args []string, out io.Writer) error {
	if len(args) == 0 {
		return fmt.Errorf("%w: redeliver needs one or more delivery ids", ErrUsage)
	}
	var missing []string
	for _, arg := range args {
		id, err := strconv.ParseUint(arg, 10, 64)
		if err != nil {
			return fmt.Errorf("%w: delivery id %q is not a number", ErrUsage, arg)
		}
		ok, err := st.Redeliver(ctx, id)
		if err != nil {
			return err
		}
		if !ok {
			missing = append(missing, arg)
			continue
		}
		fmt.Fprintf(out, "delivery %d queued again\n", id)
	}
	if len(missing) > 0 {
		return fmt.Errorf("not failed or gone deliveries: %v", missing)
	}
	return nil
}
