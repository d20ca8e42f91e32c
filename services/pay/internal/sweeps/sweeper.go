// Package sweeps collects the tokens of the deposit addresses into the
// collection wallet of each chain (and what would lift it above its ceiling
// into the cold wallet): it picks the addresses whose settled balance reaches
// a threshold, funds their gas from the hot wallet when they lack it, and
// hands the transfers to the transaction sender, every step stored in the
// database transaction that causes it.
package sweeps

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math/big"
	"slices"

	"github.com/ethereum/go-ethereum/common"
	"golang.org/x/sync/errgroup"
	"gorm.io/gorm"

	"paysuite/pkg/db"
	"paysuite/pkg/payoutengine"
	"paysuite/pkg/service"
	"paysuite/pkg/txsender"
	"paysuite/services/pay/internal/config"
	"paysuite/services/pay/internal/store"
)

// Purposes of the sweeps' sends.
const (
	PurposeFund  = "sweep_fund" // coin from the hot wallet to a deposit address, for its sweep's gas
	PurposeSweep = "sweep"      // a token transfer out of a deposit address
)

// Owns reports whether a send of purpose is a sweep's.
func Owns(purpose string) bool { return purpose == PurposeFund || purpose == PurposeSweep }

// maxFundingRounds bounds how often one sweep funds its address (another
// round is needed only when fees rose beyond the first funding).
const maxFundingRounds = 3

// balanceReaders bounds the balance reads of a round that run at once.
const balanceReaders = 8

// Sweeper sweeps one chain. Several replicas may run one each: a round takes
// the chain's server lock, and an address has at most one open sweep of a
// token (sweeps.open_key), decided under the same row lock as payments.
type Sweeper struct {
	payoutengine.Base
	DB       *gorm.DB
	Settings config.Sweeping
	// Confirmations is the depth at which deposited tokens count as settled;
	// FundingConfirmations the depth a gas funding must reach first.
	Confirmations        uint64
	FundingConfirmations uint64
	Metrics              *Metrics
	// Service names the service in alerts.
	Service string
}

// Run sweeps every Settings.Interval until ctx ends.
func (w *Sweeper) Run(ctx context.Context) error {
	return service.Every(ctx, w.Settings.Interval, w.Log, "sweep round", w.Round)
}

// candidate is an address due for sweeping of one token.
type candidate struct {
	addr    common.Address
	rule    config.SweepRule
	settled *big.Int
}

// Round looks at every deposit address once: it raises collection_low for
// the collection wallet's tokens under their floor, and starts the sweeps
// that are due, as many as the in-flight bound allows, unless gas costs more
// than the chain's maximum.
func (w *Sweeper) Round(ctx context.Context) error {
	release, ok, err := db.TryLock(ctx, w.DB, "paysuite:sweep:"+w.Chain, w.Log)
	if err != nil || !ok {
		// Another replica is sweeping the chain and tells what waits.
		w.Metrics.setWaiting(w.Chain, nil)
		return err
	}
	defer release()
	if err := w.checkFloors(ctx); err != nil {
		w.Log.Warn().Err(err).Msg("collection wallet balance")
	}
	due, waiting, err := w.due(ctx)
	if err != nil {
		return err
	}
	defer func() { w.Metrics.setWaiting(w.Chain, waiting) }()
	if len(due) == 0 {
		return nil
	}
	price, err := w.gasPrice(ctx)
	if err != nil {
		return err
	}
	if price.Cmp(w.Settings.MaxGasPrice) > 0 {
		waiting[WaitGasPrice] = len(due)
		w.Log.Info().Int("due", len(due)).Str("gas_price_wei", price.String()).Str("max_wei", w.Settings.MaxGasPrice.String()).
			Msg("gas costs more than the sweep maximum; sweeps wait")
		return nil
	}
	open, err := store.OpenSweeps(w.DB.WithContext(ctx), w.Chain)
	if err != nil {
		return err
	}
	slots := max(w.Settings.MaxInFlight-int(open), 0)
	if len(due) > slots {
		waiting[WaitInFlight] = len(due) - slots
		due = due[:slots]
	}
	for _, c := range due {
		if err := w.start(ctx, c); err != nil {
			w.Log.Warn().Err(err).Str("address", store.Lower(c.addr)).Str("token", c.rule.Token.Symbol).Msg("sweep not started; the next round retries")
		}
	}
	return nil
}

// due lists the addresses whose settled balance of a swept token reaches its
// threshold, largest first, leaving out those with an open sweep of it and
// those with a deposit not settled yet (counted as waiting).
func (w *Sweeper) due(ctx context.Context) ([]candidate, map[string]int, error) {
	addrs, err := store.AddressesOn(w.DB.WithContext(ctx), w.Chain)
	if err != nil {
		return nil, nil, err
	}
	var open []string
	if err := w.DB.WithContext(ctx).Model(&store.Sweep{}).Where("chain = ? AND open_key IS NOT NULL", w.Chain).
		Pluck("open_key", &open).Error; err != nil {
		return nil, nil, fmt.Errorf("open sweeps on %s: %w", w.Chain, err)
	}
	type job struct {
		addr common.Address
		rule config.SweepRule
	}
	var jobs []job
	for _, rule := range w.Settings.Rules {
		for _, a := range addrs {
			if !slices.Contains(open, store.SweepOpenKey(w.Chain, a.Address, store.Lower(rule.Token.Address))) {
				jobs = append(jobs, job{common.HexToAddress(a.Address), rule})
			}
		}
	}
	found := make([]*candidate, len(jobs))
	pending := make([]bool, len(jobs))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(balanceReaders)
	for i, j := range jobs {
		g.Go(func() error {
			latest, settled, err := txsender.TokenBalances(gctx, w.Sender.Node(), j.rule.Token.Address, j.addr, w.Confirmations)
			if err != nil {
				return err
			}
			if latest.Cmp(settled) > 0 {
				pending[i] = latest.Cmp(j.rule.Threshold) >= 0
				return nil
			}
			if latest.Cmp(j.rule.Threshold) >= 0 {
				found[i] = &candidate{addr: j.addr, rule: j.rule, settled: latest}
			}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, nil, err
	}
	waiting := map[string]int{}
	var due []candidate
	for i := range jobs {
		if pending[i] {
			waiting[WaitPendingDeposit]++
		}
		if found[i] != nil {
			due = append(due, *found[i])
		}
	}
	slices.SortStableFunc(due, func(a, b candidate) int { return b.settled.Cmp(a.settled) })
	return due, waiting, nil
}

// gasPrice is what gas costs now: the head's base fee and the tip the node
// suggests.
func (w *Sweeper) gasPrice(ctx context.Context) (*big.Int, error) {
	node := w.Sender.Node()
	head, err := node.HeaderByNumber(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("read head: %w", err)
	}
	tip, err := node.SuggestGasTipCap(ctx)
	if err != nil {
		return nil, fmt.Errorf("suggest tip: %w", err)
	}
	if head.BaseFee != nil {
		tip.Add(tip, head.BaseFee)
	}
	return tip, nil
}

// start opens the sweep of c, if it is still due once the address is locked,
// and stores its first send: the funding of its gas, or its transfers.
func (w *Sweeper) start(ctx context.Context, c candidate) error {
	var sends []*txsender.Send
	var short *hotShort
	token := store.Lower(c.rule.Token.Address)
	addr := store.Lower(c.addr)
	err := w.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		known, err := store.LockAddress(tx, w.Chain, c.addr)
		if err != nil || known == nil {
			return err
		}
		if open, err := store.OpenSweep(tx, w.Chain, addr, token); err != nil || open != nil {
			return err
		}
		amount, err := w.free(ctx, tx, c)
		if err != nil || amount.Cmp(c.rule.Threshold) < 0 {
			return err
		}
		collect, cold, err := w.split(ctx, tx, c.rule, amount)
		if err != nil {
			return err
		}
		openKey := store.SweepOpenKey(w.Chain, addr, token)
		row := &store.Sweep{Chain: w.Chain, Address: addr, Token: token, Symbol: c.rule.Token.Symbol,
			AmountUnits: amount.String(), CollectUnits: collect.String(), ColdUnits: cold.String(),
			State: store.SweepFunding, OpenKey: &openKey, FundedWei: "0", GasWei: "0"}
		if err := tx.Create(row).Error; err != nil {
			return fmt.Errorf("store sweep of %s: %w", addr, err)
		}
		sends, err = w.proceed(ctx, tx, row)
		return err
	}, &sql.TxOptions{Isolation: sql.LevelReadCommitted})
	if errors.As(err, &short) {
		return w.raiseShort(ctx, short)
	}
	if err != nil {
		if db.IsDuplicateKey(err) {
			return nil // another replica opened it meanwhile
		}
		return err
	}
	w.broadcast(ctx, sends)
	return nil
}

// free is what the sweep of c may take: the address's settled balance, read
// again under its lock, less what pay's open payments and sweeps will still
// take from it; zero while a deposit is not settled.
func (w *Sweeper) free(ctx context.Context, tx *gorm.DB, c candidate) (*big.Int, error) {
	latest, settled, err := txsender.TokenBalances(ctx, w.Sender.Node(), c.rule.Token.Address, c.addr, w.Confirmations)
	if err != nil {
		return nil, err
	}
	if latest.Cmp(settled) > 0 {
		return new(big.Int), nil
	}
	reserved, err := store.ReservedTokens(tx, w.Chain, c.addr, c.rule.Token.Address)
	if err != nil {
		return nil, err
	}
	return latest.Sub(latest, reserved), nil
}

// split divides amount between the collection wallet and, above the token's
// ceiling (counting what open sweeps still bring), the cold wallet.
func (w *Sweeper) split(ctx context.Context, tx *gorm.DB, rule config.SweepRule, amount *big.Int) (collect, cold *big.Int, err error) {
	if rule.Ceiling == nil || w.Settings.Cold == nil {
		return amount, new(big.Int), nil
	}
	held, err := txsender.TokenBalance(ctx, w.Sender.Node(), rule.Token.Address, w.Settings.Collection, nil)
	if err != nil {
		return nil, nil, err
	}
	coming, err := store.InFlightToCollection(tx, w.Chain, store.Lower(rule.Token.Address), txsender.UnminedStates())
	if err != nil {
		return nil, nil, err
	}
	room := new(big.Int).Sub(rule.Ceiling, held)
	room.Sub(room, coming)
	if room.Sign() < 0 {
		room.SetInt64(0)
	}
	if amount.Cmp(room) <= 0 {
		return amount, new(big.Int), nil
	}
	return room, new(big.Int).Sub(amount, room), nil
}

// broadcast sends what a committed transaction signed; the tracker retries
// what fails here.
func (w *Sweeper) broadcast(ctx context.Context, sends []*txsender.Send) {
	for _, s := range sends {
		if err := w.Sender.Broadcast(ctx, s.ID); err != nil {
			w.Log.Warn().Err(err).Str("send", s.Key).Msg("broadcast after submit; the tracker will retry")
		}
	}
	w.Sender.Kick()
}
