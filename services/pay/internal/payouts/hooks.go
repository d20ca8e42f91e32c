package payouts

import (
	"context"
	"errors"
	"fmt"

	"github.com/ethereum/go-ethereum/common"
	"gorm.io/gorm"

	"paysuite/pkg/contract"
	"paysuite/pkg/events"
	"paysuite/pkg/money"
	"paysuite/pkg/payoutreturns"
	"paysuite/pkg/returnhead"
	"paysuite/pkg/txsender"
	"paysuite/services/pay/internal/returns"
	"paysuite/services/pay/internal/store"
)

// The Engine is the sender's Hooks.
var _ txsender.Hooks = (*Engine)(nil)

// Broadcast stores and queues the submitted notice of a payment's transfer, once.
func (e *Engine) Broadcast(_ context.Context, tx *gorm.DB, s *txsender.Send) error {
	if s.Purpose != PurposePay {
		return nil
	}
	p, err := payoutreturns.Lock(tx, s, "payment", store.Lock, func(p *store.Payment) bool {
		return p.SubmittedBody != nil || p.FinalBody != nil || p.SendKey == nil || *p.SendKey != s.Key
	})
	if err != nil || p == nil {
		return err
	}
	return e.queue().Submitted(tx, p, p.RequestID, p.CallbackURL, returns.Submitted{
		Head:    returnhead.Head{RequestID: p.RequestID, Event: contract.EventSubmitted, Status: contract.StatusPending},
		OrderID: deref(p.OrderID), Chain: p.Chain, Symbol: p.Symbol, Amount: deref(p.Amount),
		ToAddress: deref(p.ToAddress), FromAddress: deref(p.Payer), PaidFrom: deref(p.PaidFrom), TxHash: s.TxHash,
	})
}

// Final moves a payment on when one of its sends is final: after the gas
// funding, the transfer is signed; after the transfer, the final answer is
// stored and queued.
func (e *Engine) Final(ctx context.Context, tx *gorm.DB, s *txsender.Send) error {
	p, err := payoutreturns.Lock(tx, s, "payment", store.Lock, func(p *store.Payment) bool { return p.FinalBody != nil })
	if err != nil || p == nil {
		return err
	}
	if s.Purpose == PurposeFund {
		if p.State != store.StateFunding || p.FundKey == nil || *p.FundKey != s.Key {
			return nil
		}
		if s.State != txsender.StateConfirmed {
			out := e.Failure(p, Refusal{contract.ErrInternal, "the gas funding of the user's address failed: no tokens moved"})
			return e.finish(tx, p, out, fmt.Sprintf("payment %s: gas funding %s ended %s", p.RequestID, s.TxHash, s.State))
		}
		return e.afterFunding(ctx, tx, p)
	}
	if p.SendKey == nil || *p.SendKey != s.Key {
		return nil
	}
	o := payoutreturns.Final(s)
	out := returns.Pay{Head: o.Head(p.RequestID, contract.EventPay),
		OrderID: deref(p.OrderID), Chain: p.Chain, Symbol: p.Symbol, Amount: deref(p.Amount), ToAddress: deref(p.ToAddress),
		FromAddress: deref(p.Payer), PaidFrom: deref(p.PaidFrom), TxHash: o.TxHash, BlockNumber: o.BlockNumber, Fee: o.Fee}
	alert := ""
	log := e.Log.With().Str("request_id", p.RequestID).Str("tx_hash", out.TxHash).Logger()
	if s.State == txsender.StateNotMoved {
		log.Error().Str("error", out.Error).Str("token", s.To).Msg("payment failed: the token moved nothing")
		if err := e.finish(tx, p, out, ""); err != nil {
			return err
		}
		return e.alert(tx, events.AlertTokensNotMoved, p.RequestID, p.RequestID,
			fmt.Sprintf("payment %s failed: its transaction %s was mined but the token %s moved nothing (%s)",
				p.RequestID, out.TxHash, s.To, deref(s.LastError)))
	}
	if out.Status == contract.StatusFailed {
		alert = fmt.Sprintf("payment %s failed (%s) after its transaction %s was sent", p.RequestID, out.Error, s.TxHash)
		log.Error().Str("error", out.Error).Msg("payment failed")
	} else {
		log.Info().Str("paid_from", out.PaidFrom).Str("fee", out.Fee).Msg("payment confirmed")
	}
	return e.finish(tx, p, out, alert)
}

// afterFunding signs the transfer once the user's address has its gas: from the
// user if it still holds the tokens, else from the hot wallet; or funds again
// if fees rose beyond what was sent.
func (e *Engine) afterFunding(ctx context.Context, tx *gorm.DB, p *store.Payment) error {
	user := common.HexToAddress(*p.UserAddress)
	token := common.HexToAddress(*p.Token)
	units := money.Units(p.AmountUnits)
	free, err := e.userTokens(ctx, tx, user, token, units)
	if err != nil {
		return err
	}
	var send *txsender.Send
	if free.Cmp(units) >= 0 {
		if p.FundRounds >= maxFundingRounds {
			data, err := txsender.TransferData(common.HexToAddress(*p.ToAddress), units)
			if err != nil {
				return err
			}
			q, err := e.Sender.Quote(ctx, user, token, nil, data, 0)
			if err != nil {
				return err
			}
			if fe, err := e.freeETH(ctx, tx, user, p); err != nil || fe.Cmp(q.MaxCost) < 0 {
				if err != nil {
					return err
				}
				return e.finish(tx, p, e.Failure(p, Refusal{contract.ErrInsufficientGas, "gas prices rose faster than the user's address could be funded"}),
					fmt.Sprintf("payment %s: user address could not be funded in %d rounds", p.RequestID, p.FundRounds))
			}
		}
		send, err = e.payFromUser(ctx, tx, p)
	} else {
		send, err = e.payFromHot(ctx, tx, p)
	}
	var ref Refusal
	if errors.As(err, &ref) {
		return e.FinishRefused(tx, p, ref)
	}
	if err != nil {
		return err
	}
	e.Log.Info().Str("request_id", p.RequestID).Str("send", send.Key).Str("tx_hash", send.TxHash).Msg("gas funded; transfer signed")
	return nil
}

// Committed wakes the outbox relay and the sender (a transfer signed in a hook
// is broadcast by the sender's next step).
func (e *Engine) Committed() {
	e.OnCommit()
	e.Sender.Kick()
}
