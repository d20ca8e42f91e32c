package sweeps

import (
	"context"
	"errors"
	"fmt"
	"math/big"
	"strconv"
	"strings"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"gorm.io/gorm"

	"paysuite/pkg/events"
	"paysuite/pkg/money"
	"paysuite/pkg/payoutreturns"
	"paysuite/pkg/txsender"
	"paysuite/services/pay/internal/store"
)

// leg is one transfer of a sweep.
type leg struct {
	to    common.Address
	units *big.Int
	key   string
}

// legs are the transfers of row: to the collection wallet, to the cold one,
// each only when it moves something.
func (w *Sweeper) legs(row *store.Sweep) []leg {
	var out []leg
	if u := money.Units(row.CollectUnits); u.Sign() > 0 {
		out = append(out, leg{w.Settings.Collection, u, fmt.Sprintf("sweep:%d:collect", row.ID)})
	}
	if u := money.Units(row.ColdUnits); u.Sign() > 0 && w.Settings.Cold != nil {
		out = append(out, leg{*w.Settings.Cold, u, fmt.Sprintf("sweep:%d:cold", row.ID)})
	}
	return out
}

// hotShort is the hot wallet lacking the coin to fund a sweep's gas.
type hotShort struct{ free, need *big.Int }

func (e *hotShort) Error() string {
	return fmt.Sprintf("the hot wallet has %s wei free, the funding needs %s", e.free, e.need)
}

// errGasShort is the address's coin not covering its transfers once its
// nonce is locked (a send of it was signed meanwhile): the caller retries.
var errGasShort = errors.New("the deposit address lacks the coin for its sweep's gas")

// proceed takes row on from its funding state: it signs the transfers when
// the address holds the coin their gas may cost, or else sends it exactly the
// difference from the hot wallet. It returns what to broadcast after the
// commit.
func (w *Sweeper) proceed(ctx context.Context, tx *gorm.DB, row *store.Sweep) ([]*txsender.Send, error) {
	addr := common.HexToAddress(row.Address)
	token := common.HexToAddress(row.Token)
	legs := w.legs(row)
	if len(legs) == 0 {
		return nil, fmt.Errorf("sweep %d moves nothing", row.ID)
	}
	reqs := make([]txsender.Request, len(legs))
	need := new(big.Int)
	for i, l := range legs {
		data, err := txsender.TransferData(l.to, l.units)
		if err != nil {
			return nil, err
		}
		q, err := w.Sender.Quote(ctx, addr, token, nil, data, 0)
		if err != nil {
			return nil, err
		}
		need.Add(need, q.MaxCost)
		reqs[i] = txsender.Request{Key: l.key, Purpose: PurposeSweep, Ref: strconv.FormatUint(row.ID, 10),
			From: addr, To: token, Data: data, Quote: &q}
	}
	free, err := w.freeCoin(ctx, tx, row)
	if err != nil {
		return nil, err
	}
	if free.Cmp(need) >= 0 {
		return w.sign(ctx, tx, row, reqs, need)
	}
	if row.FundRounds >= maxFundingRounds {
		return nil, w.fail(tx, row, fmt.Sprintf("gas prices rose faster than the address could be funded in %d rounds", row.FundRounds))
	}
	send, err := w.fund(ctx, tx, row, need.Sub(need, money.NonNegative(free)))
	if err != nil {
		return nil, err
	}
	return []*txsender.Send{send}, nil
}

// freeCoin is the coin row's address holds for the sweep: what its unmined
// sends leave, less what fundings brought it for payments not signed yet.
func (w *Sweeper) freeCoin(ctx context.Context, tx *gorm.DB, row *store.Sweep) (*big.Int, error) {
	free, err := w.Sender.FreeCoin(ctx, tx, common.HexToAddress(row.Address))
	if err != nil {
		return nil, err
	}
	held, err := store.HeldFunding(tx, w.Sender.ChainID().Uint64(), row.Address, deref(row.FundKey))
	if err != nil {
		return nil, err
	}
	return free.Sub(free, held), nil
}

// sign stores the transfers of row, which together may cost need in gas.
func (w *Sweeper) sign(ctx context.Context, tx *gorm.DB, row *store.Sweep, reqs []txsender.Request, need *big.Int) ([]*txsender.Send, error) {
	reqs[0].Check = func(tx *gorm.DB, _ txsender.Quote) error {
		free, err := w.freeCoin(ctx, tx, row)
		if err != nil {
			return err
		}
		if free.Cmp(need) < 0 {
			return errGasShort
		}
		return nil
	}
	sends, err := w.Sender.SubmitBatch(ctx, tx, reqs)
	if err != nil {
		return nil, err
	}
	upd := map[string]any{"state": store.SweepSweeping}
	for _, r := range reqs {
		column := "collect_key"
		if strings.HasSuffix(r.Key, ":cold") {
			column = "cold_key"
		}
		upd[column] = r.Key
	}
	if err := tx.Model(row).Updates(upd).Error; err != nil {
		return nil, fmt.Errorf("store sweep %d: %w", row.ID, err)
	}
	w.Log.Info().Uint64("sweep", row.ID).Str("address", row.Address).Str("symbol", row.Symbol).
		Str("collect_units", row.CollectUnits).Str("cold_units", row.ColdUnits).Msg("sweep signed")
	return sends, nil
}

// fund sends value of the chain's coin from the hot wallet to row's address
// for its gas; the transfers are signed once it is final.
func (w *Sweeper) fund(ctx context.Context, tx *gorm.DB, row *store.Sweep, value *big.Int) (*txsender.Send, error) {
	row.FundRounds++
	key := fmt.Sprintf("sweepfund:%d:%d", row.ID, row.FundRounds)
	send, err := w.Sender.Submit(ctx, tx, txsender.Request{
		Key: key, Purpose: PurposeFund, Ref: strconv.FormatUint(row.ID, 10), From: w.HotWallet,
		To: common.HexToAddress(row.Address), Value: value, Confirmations: w.FundingConfirmations,
		Check: func(tx *gorm.DB, q txsender.Quote) error {
			free, err := w.Sender.FreeCoin(ctx, tx, w.HotWallet)
			if err != nil {
				return err
			}
			if free.Cmp(q.MaxCost) < 0 {
				return &hotShort{free: free, need: q.MaxCost}
			}
			return nil
		},
	})
	if err != nil {
		return nil, err
	}
	funded := new(big.Int).Add(money.Units(row.FundedWei), value)
	err = tx.Model(row).Updates(map[string]any{"state": store.SweepFunding, "fund_key": key,
		"fund_rounds": row.FundRounds, "funded_wei": funded.String()}).Error
	if err != nil {
		return nil, fmt.Errorf("store funding of sweep %d: %w", row.ID, err)
	}
	w.Log.Info().Uint64("sweep", row.ID).Str("address", row.Address).Str("value_wei", value.String()).Msg("funding the gas of a sweep")
	return send, nil
}

// fail ends row without (all of) its tokens moved and raises sweep_failed;
// the address is swept again by a later round if it still holds enough.
func (w *Sweeper) fail(tx *gorm.DB, row *store.Sweep, why string) error {
	if len(why) > 250 {
		why = why[:250]
	}
	err := tx.Model(row).Updates(map[string]any{"state": store.SweepFailed, "open_key": nil, "error": why}).Error
	if err != nil {
		return fmt.Errorf("store failure of sweep %d: %w", row.ID, err)
	}
	w.Metrics.sweeps.WithLabelValues(w.Chain, store.SweepFailed).Inc()
	w.Log.Error().Uint64("sweep", row.ID).Str("address", row.Address).Str("error", why).Msg("sweep failed")
	return w.alert(tx, events.AlertSweepFailed, row.Address, fmt.Sprintf("sweep-%d", row.ID),
		fmt.Sprintf("sweep %d of %s %s from %s on %s failed: %s", row.ID,
			row.AmountUnits, row.Symbol, row.Address, w.Chain, why))
}

// Final is the sender's hook for the sweeps' sends (see Owns).
func (w *Sweeper) Final(ctx context.Context, tx *gorm.DB, s *txsender.Send) error {
	id, err := strconv.ParseUint(s.Ref, 10, 64)
	if err != nil {
		return fmt.Errorf("send %s: sweep ref %q: %w", s.Key, s.Ref, err)
	}
	row, err := store.LockSweep(tx, id)
	if err != nil || row == nil {
		return err
	}
	if fee := feeOf(s); fee.Sign() > 0 {
		kind := "transfer"
		if s.Purpose == PurposeFund {
			kind = "funding"
		}
		w.Metrics.addGas(w.Chain, kind, fee)
		gas := new(big.Int).Add(money.Units(row.GasWei), fee)
		if err := tx.Model(row).Update("gas_wei", gas.String()).Error; err != nil {
			return fmt.Errorf("store gas of sweep %d: %w", row.ID, err)
		}
	}
	if row.OpenKey == nil {
		return nil // ended already (a leg failed before this one was final)
	}
	if s.Purpose == PurposeFund {
		return w.funded(ctx, tx, row, s)
	}
	return w.transferred(tx, row, s)
}

// funded signs row's transfers, or funds again, once its current funding is
// final.
func (w *Sweeper) funded(ctx context.Context, tx *gorm.DB, row *store.Sweep, s *txsender.Send) error {
	if row.State != store.SweepFunding || row.FundKey == nil || *row.FundKey != s.Key {
		return nil
	}
	if s.State != txsender.StateConfirmed {
		return w.fail(tx, row, fmt.Sprintf("its gas funding %s ended %s", s.TxHash, s.State))
	}
	_, err := w.proceed(ctx, tx, row)
	var short *hotShort
	switch {
	case errors.As(err, &short):
		return w.fail(tx, row, "the hot wallet cannot fund its gas: "+short.Error())
	case errors.Is(err, txsender.ErrWouldRevert):
		return w.fail(tx, row, "the token refuses the transfer (the tokens left the address?)")
	}
	// What proceed signed is broadcast by the sender's next step.
	return err
}

// transferred records one final transfer of row: the sweep is done when every
// transfer is confirmed, failed as soon as one is not.
func (w *Sweeper) transferred(tx *gorm.DB, row *store.Sweep, s *txsender.Send) error {
	if s.State != txsender.StateConfirmed {
		return w.fail(tx, row, fmt.Sprintf("its transfer %s ended %s: %s", s.TxHash, s.State, deref(s.LastError)))
	}
	for _, key := range []*string{row.CollectKey, row.ColdKey} {
		if key == nil || *key == s.Key {
			continue
		}
		var other txsender.Send
		if err := tx.Where("send_key = ?", *key).First(&other).Error; err != nil {
			return fmt.Errorf("sweep %d: read %s: %w", row.ID, *key, err)
		}
		if other.State != txsender.StateConfirmed {
			return nil // its own Final ends the sweep
		}
	}
	if err := tx.Model(row).Updates(map[string]any{"state": store.SweepDone, "open_key": nil}).Error; err != nil {
		return fmt.Errorf("store sweep %d done: %w", row.ID, err)
	}
	w.Metrics.sweeps.WithLabelValues(w.Chain, store.SweepDone).Inc()
	decimals := int32(0)
	for _, r := range w.Settings.Rules {
		if store.Lower(r.Token.Address) == row.Token {
			decimals = r.Token.Decimals
		}
	}
	w.Metrics.addSwept(w.Chain, row.Symbol, "collection", money.Units(row.CollectUnits), decimals)
	w.Metrics.addSwept(w.Chain, row.Symbol, "cold", money.Units(row.ColdUnits), decimals)
	w.Log.Info().Uint64("sweep", row.ID).Str("address", row.Address).Str("symbol", row.Symbol).
		Str("amount_units", row.AmountUnits).Msg("sweep done")
	return nil
}

// raiseShort raises low_balance for a sweep the hot wallet could not fund.
func (w *Sweeper) raiseShort(ctx context.Context, short *hotShort) error {
	msg := fmt.Sprintf("pay hot wallet %s on %s cannot fund the gas of sweeps: %s %s free, %s needed",
		store.Lower(w.HotWallet), w.Chain, money.Format(money.FromBaseUnits(money.NonNegative(short.free), 18)), w.Native,
		money.Format(money.FromBaseUnits(short.need, 18)))
	return w.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		return w.alert(tx, events.AlertLowBalance, store.Lower(w.HotWallet), hourly("sweep-funding-"+w.Chain), msg)
	})
}

// checkFloors raises collection_low for each swept token the collection
// wallet holds less of than its floor.
func (w *Sweeper) checkFloors(ctx context.Context) error {
	for _, r := range w.Settings.Rules {
		if r.Floor == nil {
			continue
		}
		held, err := txsender.TokenBalance(ctx, w.Sender.Node(), r.Token.Address, w.Settings.Collection, nil)
		if err != nil {
			return err
		}
		if held.Cmp(r.Floor) >= 0 {
			continue
		}
		msg := fmt.Sprintf("collection wallet %s on %s holds %s %s, under its floor of %s", store.Lower(w.Settings.Collection), w.Chain,
			money.Format(money.FromBaseUnits(held, r.Token.Decimals)), r.Token.Symbol, money.Format(money.FromBaseUnits(r.Floor, r.Token.Decimals)))
		err = w.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
			return w.alert(tx, events.AlertCollectionLow, w.Chain+":"+r.Token.Symbol, hourly("collection-"+w.Chain+"-"+r.Token.Symbol), msg)
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// alert queues an operator alert in tx.
func (w *Sweeper) alert(tx *gorm.DB, kind, key, ref, message string) error {
	q := payoutreturns.Queue{Service: w.Service, Sealer: w.Sealer, Keys: w.Keys}
	return q.AddAlert(tx, kind, key, ref, message, time.Now())
}

// hourly is the reference of a condition's alert in the current hour: the
// notifier takes one alert per reference, so a lasting condition is told
// again each hour (and rate-limited by its key meanwhile).
func hourly(ref string) string { return fmt.Sprintf("%s-%d", ref, time.Now().Unix()/3600) }

// feeOf is the fee s paid, in wei (zero when not mined).
func feeOf(s *txsender.Send) *big.Int {
	if s.Fee == nil {
		return new(big.Int)
	}
	return money.Units(*s.Fee)
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
