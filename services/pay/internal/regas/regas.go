// Package regas funds again the gas of signed sends from deposit addresses
// that the node refuses for lack of coin: a reorganisation took their funding
// away, or a replacement at a higher fee costs more than was funded. Without
// it such a payment or sweep would wait for ever.
package regas

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/rs/zerolog"
	"gorm.io/gorm"

	"paysuite/pkg/db"
	"paysuite/pkg/service"
	"paysuite/pkg/txsender"
)

// Purpose is the purpose of the keeper's fundings.
const Purpose = "regas"

// maxRounds bounds the fundings of one refused send; the stuck-transaction
// alert tells an operator about a send that still does not go.
const maxRounds = 3

// Keeper watches one chain's sends.
type Keeper struct {
	Sender    *txsender.Sender
	DB        *gorm.DB
	HotWallet common.Address
	// FundingPurposes are the purposes of sends that bring coin to a deposit
	// address for gas: while one is not final, the keeper waits for it.
	FundingPurposes []string
	// Confirmations is the depth a funding must reach to be final.
	Confirmations uint64
	Interval      time.Duration
	Log           zerolog.Logger
}

// Run looks every Interval until ctx ends.
func (k *Keeper) Run(ctx context.Context) error {
	return service.Every(ctx, k.Interval, k.Log, "gas funding of refused sends", k.Round)
}

// Round funds each address whose oldest refused send waits for coin with
// what its unmined sends may cost beyond its balance, unless coin is already
// on its way to it.
func (k *Keeper) Round(ctx context.Context) error {
	refused, err := k.Sender.RefusedForFunds(k.DB.WithContext(ctx))
	if err != nil {
		return err
	}
	seen := map[string]bool{}
	for i := range refused {
		s := &refused[i]
		if seen[s.From] || common.HexToAddress(s.From) == k.HotWallet {
			continue // the hot wallet is the operator's to fill (low_balance)
		}
		seen[s.From] = true
		if err := k.fund(ctx, s); err != nil {
			k.Log.Warn().Err(err).Str("send", s.Key).Msg("gas funding of a refused send")
		}
	}
	return nil
}

// fund sends the address of s what its unmined sends lack.
func (k *Keeper) fund(ctx context.Context, s *txsender.Send) error {
	addr := common.HexToAddress(s.From)
	var sent *txsender.Send
	err := k.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		incoming, err := k.Sender.Incoming(tx, addr, append([]string{Purpose}, k.FundingPurposes...)...)
		if err != nil || incoming > 0 {
			return err
		}
		var rounds int64
		if err := tx.Model(&txsender.Send{}).Where("purpose = ? AND ref = ?", Purpose, s.Key).Count(&rounds).Error; err != nil {
			return fmt.Errorf("fundings of %s: %w", s.Key, err)
		}
		if rounds >= maxRounds {
			return nil
		}
		reserved, err := k.Sender.ReservedCost(tx, addr)
		if err != nil {
			return err
		}
		bal, err := k.Sender.Node().BalanceAt(ctx, addr, nil)
		if err != nil {
			return fmt.Errorf("coin balance of %s: %w", addr.Hex(), err)
		}
		need := reserved.Sub(reserved, bal)
		if need.Sign() <= 0 {
			return nil // it holds enough now: the next broadcast goes through
		}
		sent, err = k.Sender.Submit(ctx, tx, txsender.Request{
			Key: fmt.Sprintf("regas:%d:%d", s.ID, rounds+1), Purpose: Purpose, Ref: s.Key,
			From: k.HotWallet, To: addr, Value: need, Confirmations: k.Confirmations,
			Check: func(tx *gorm.DB, q txsender.Quote) error {
				free, err := k.Sender.FreeCoin(ctx, tx, k.HotWallet)
				if err != nil {
					return err
				}
				if free.Cmp(q.MaxCost) < 0 {
					return fmt.Errorf("the hot wallet has %s wei free, the funding needs %s", free, q.MaxCost)
				}
				return nil
			},
		})
		return err
	}, &sql.TxOptions{Isolation: sql.LevelReadCommitted})
	if err != nil {
		if db.IsDuplicateKey(err) {
			return nil // another replica funded it
		}
		return err
	}
	if sent == nil {
		return nil
	}
	k.Log.Warn().Str("send", s.Key).Str("address", s.From).Str("value_wei", sent.Value).
		Str("last_error", deref(s.LastError)).Msg("the node refuses a signed send for lack of coin; funding its gas again")
	if err := k.Sender.Broadcast(ctx, sent.ID); err != nil {
		k.Log.Warn().Err(err).Str("send", sent.Key).Msg("broadcast after submit; the tracker will retry")
	}
	k.Sender.Kick()
	return nil
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
