package app

import (
	"context"
	"flag"
	"fmt"
	"io"
	"math/big"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/ethereum/go-ethereum/common"

	"paysuite/pkg/config/onchain"
	"paysuite/pkg/money"
	"paysuite/pkg/payoutapp"
	"paysuite/services/pay/internal/store"
)

// coinDecimals are the decimals of every chain's coin, in which sweeps.gas_wei
// counts.
const coinDecimals = 18

// sweepStates are what --state selects: the states a listed sweep may be in
// (nil: any).
var sweepStates = map[string][]string{
	"open":   {store.SweepFunding, store.SweepSweeping},
	"done":   {store.SweepDone},
	"failed": {store.SweepFailed},
	"all":    nil,
}

// sweepsCommand is `pay sweeps`: the sweeps recorded in pay's schema, with
// their amounts in whole tokens (the decimals of chains' tokens) and a total
// per chain. It reads the schema only, so it needs no node.
func sweepsCommand(chains []onchain.Chain) payoutapp.Command {
	return payoutapp.Command{
		Name:  "sweeps",
		Usage: "sweeps [--state open|done|failed|all] [--chain NAME]",
		Help: "list the sweeps of deposit addresses (default the open ones): amount, what goes to the " +
			"collection and the cold wallet, state, gas fundings, gas spent, error and age; then a total per chain",
		Run: func(ctx context.Context, env payoutapp.CommandEnv, args []string, out io.Writer) error {
			state, chain, err := sweepsArgs(args)
			if err != nil {
				return err
			}
			if chain != "" && !hasChain(chains, chain) {
				return fmt.Errorf("--chain %s: not a configured chain (CHAINS)", chain)
			}
			q := env.DB.WithContext(ctx).Model(&store.Sweep{}).
				Select("*, TIMESTAMPDIFF(SECOND, created_at, NOW(6)) AS age_sec").Order("id")
			if states := sweepStates[state]; states != nil {
				q = q.Where("state IN ?", states)
			}
			if chain != "" {
				q = q.Where("chain = ?", chain)
			}
			var rows []listedSweep
			if err := q.Scan(&rows).Error; err != nil {
				return fmt.Errorf("list sweeps: %w", err)
			}
			return printSweeps(out, chains, state, rows)
		},
	}
}

// listedSweep is a sweep row with its age on the database's clock.
type listedSweep struct {
	store.Sweep `gorm:"embedded"`
	AgeSec      int64 `gorm:"column:age_sec"`
}

// sweepsArgs reads `sweeps`' arguments; anything else is ErrUsage.
func sweepsArgs(args []string) (state, chain string, err error) {
	fs := flag.NewFlagSet("sweeps", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.StringVar(&state, "state", "open", "open, done, failed or all")
	fs.StringVar(&chain, "chain", "", "only this chain's sweeps")
	if err := fs.Parse(args); err != nil {
		return "", "", fmt.Errorf("%w: sweeps: %v", payoutapp.ErrUsage, err)
	}
	if fs.NArg() > 0 {
		return "", "", fmt.Errorf("%w: sweeps: unexpected %q", payoutapp.ErrUsage, fs.Arg(0))
	}
	if _, ok := sweepStates[state]; !ok {
		return "", "", fmt.Errorf("%w: sweeps: --state %q is not open, done, failed or all", payoutapp.ErrUsage, state)
	}
	return state, chain, nil
}

func hasChain(chains []onchain.Chain, name string) bool {
	return slices.ContainsFunc(chains, func(ch onchain.Chain) bool { return ch.Name == name })
}

// printSweeps writes rows as a table, then one total line per chain.
func printSweeps(out io.Writer, chains []onchain.Chain, state string, rows []listedSweep) error {
	if len(rows) == 0 {
		what := state + " sweeps"
		if state == "all" {
			what = "sweeps"
		}
		_, err := fmt.Fprintln(out, "no "+what)
		return err
	}
	f := formats{chains}
	var totals []*chainTotal
	tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tCHAIN\tADDRESS\tSYMBOL\tAMOUNT\tTO_COLLECTION\tTO_COLD\tSTATE\tFUNDINGS\tGAS\tAGE\tERROR")
	for _, r := range rows {
		u := sweptUnits{money.Units(r.AmountUnits), money.Units(r.CollectUnits), money.Units(r.ColdUnits)}
		gas := money.Units(r.GasWei)
		totals = addSweep(totals, r.Sweep, u, gas)
		tokens := f.token(r.Chain, r.Token)
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%d\t%s\t%s\t%s\n", r.ID, r.Chain, r.Address, r.Symbol,
			tokens(u.amount), tokens(u.collect), tokens(u.cold), r.State, r.FundRounds, f.coin(r.Chain, gas),
			(time.Duration(r.AgeSec) * time.Second).String(), orDash(r.Error))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, t := range totals {
		var parts []string
		for _, tt := range t.tokens {
			tokens := f.token(t.chain, tt.address)
			parts = append(parts, fmt.Sprintf("%s %s (%s to collection, %s to cold)", tokens(tt.sum.amount), tt.symbol,
				tokens(tt.sum.collect), tokens(tt.sum.cold)))
		}
		noun := "sweeps"
		if t.count == 1 {
			noun = "sweep"
		}
		if _, err := fmt.Fprintf(out, "%s: %d %s, %s, gas %s\n", t.chain, t.count, noun, strings.Join(parts, ", "),
			f.coin(t.chain, t.gas)); err != nil {
			return err
		}
	}
	return nil
}

// sweptUnits are the base units a sweep takes, and sends to the collection
// and the cold wallet; or a sum of them.
type sweptUnits struct{ amount, collect, cold *big.Int }

func (s sweptUnits) add(o sweptUnits) {
	s.amount.Add(s.amount, o.amount)
	s.collect.Add(s.collect, o.collect)
	s.cold.Add(s.cold, o.cold)
}

// chainTotal adds up the listed sweeps of one chain, by token in the order
// they first appear.
type chainTotal struct {
	chain  string
	count  int
	gas    *big.Int
	tokens []*tokenTotal
}

type tokenTotal struct {
	address, symbol string
	sum             sweptUnits
}

// addSweep counts w, which takes u and spent gas, in its chain's total.
func addSweep(totals []*chainTotal, w store.Sweep, u sweptUnits, gas *big.Int) []*chainTotal {
	i := slices.IndexFunc(totals, func(t *chainTotal) bool { return t.chain == w.Chain })
	if i < 0 {
		totals = append(totals, &chainTotal{chain: w.Chain, gas: new(big.Int)})
		i = len(totals) - 1
	}
	t := totals[i]
	t.count++
	t.gas.Add(t.gas, gas)
	j := slices.IndexFunc(t.tokens, func(tt *tokenTotal) bool { return tt.address == w.Token })
	if j < 0 {
		t.tokens = append(t.tokens, &tokenTotal{address: w.Token, symbol: w.Symbol,
			sum: sweptUnits{new(big.Int), new(big.Int), new(big.Int)}})
		j = len(t.tokens) - 1
	}
	t.tokens[j].sum.add(u)
	return totals
}

// formats writes base units for people, with the decimals of the chains'
// tokens and coins.
type formats struct{ chains []onchain.Chain }

// token formats base units of the token at address on chain in whole tokens;
// those of a token no longer configured stay in base units, and say so.
func (f formats) token(chain, address string) func(*big.Int) string {
	for _, ch := range f.chains {
		if ch.Name != chain {
			continue
		}
		if t, ok := ch.Tokens.ByAddress(common.HexToAddress(address)); ok {
			return func(v *big.Int) string { return money.Format(money.FromBaseUnits(v, t.Decimals)) }
		}
	}
	return func(v *big.Int) string { return v.String() + "(base-units)" }
}

// coin formats wei in whole coins of chain, with the coin's symbol.
func (f formats) coin(chain string, wei *big.Int) string {
	symbol := chain
	for _, ch := range f.chains {
		if ch.Name == chain && ch.NativeSymbol != "" {
			symbol = ch.NativeSymbol
		}
	}
	return money.Format(money.FromBaseUnits(wei, coinDecimals)) + " " + symbol
}

func orDash(s *string) string {
	if s == nil || *s == "" {
		return "-"
	}
	return *s
}
