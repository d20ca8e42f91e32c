package payouts

import (
	"context"
	"errors"
	"fmt"

	"github.com/ethereum/go-ethereum/common"
	"gorm.io/gorm"

	"paysuite/pkg/contract"
	"paysuite/pkg/events"
	"paysuite/pkg/outbox"
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
	p, err := store.Lock(tx, s.Ref)
	if err != nil {
		return err
	}
	if p == nil {
		return fmt.Errorf("send %s: no payment %s", s.Key, s.Ref)
	}
	if p.SubmittedBody != nil || p.FinalBody != nil || p.SendKey == nil || *p.SendKey != s.Key {
		return nil
	}
	body, err := e.Sealer.Seal(returns.Submitted{
		RequestID: p.RequestID, Event: contract.EventSubmitted, Status: contract.StatusPending,
		OrderID: deref(p.OrderID), Chain: p.Chain, Symbol: p.Symbol, Amount: deref(p.Amount),
		ToAddress: deref(p.ToAddress), FromAddress: deref(p.Payer), PaidFrom: deref(p.PaidFrom), TxHash: s.TxHash,
	})
	if err != nil {
		return err
	}
	if err := tx.Model(p).Update("submitted_body", body).Error; err != nil {
		return fmt.Errorf("store submitted notice of %s: %w", p.RequestID, err)
	}
	msgs, err := events.Return{RequestID: p.RequestID, CallbackURL: p.CallbackURL,
		MessageID: p.RequestID + ":" + contract.EventSubmitted, Body: body}.Messages(e.Keys, e.Names.Exchange, e.Names.Pay())
	if err != nil {
		return err
	}
	return outbox.Add(tx, msgs...)
}

// Final moves a payment on when one of its sends is final: after the gas
// funding, the transfer is signed; after the transfer, the final answer is
// stored and queued.
func (e *Engine) Final(ctx context.Context, tx *gorm.DB, s *txsender.Send) error {
	p, err := store.Lock(tx, s.Ref)
	if err != nil {
		return err
	}
	if p == nil {
		return fmt.Errorf("send %s: no payment %s", s.Key, s.Ref)
	}
	if p.FinalBody != nil {
		return nil
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
	out := returns.Pay{RequestID: p.RequestID, Event: contract.EventPay, OrderID: deref(p.OrderID), Chain: p.Chain,
		Symbol: p.Symbol, Amount: deref(p.Amount), ToAddress: deref(p.ToAddress), FromAddress: deref(p.Payer),
		PaidFrom: deref(p.PaidFrom)}
	alert := ""
	switch s.State {
	case txsender.StateConfirmed:
		out.Status = contract.StatusSuccess
	case txsender.StateReverted:
		out.Status, out.Error, out.Message = contract.StatusFailed, contract.ErrReverted, "the transfer was mined but reverted: no tokens moved"
	case txsender.StateNotMoved:
		// Mined with status 1, but the token returned false instead of
		// reverting: no Transfer event, nothing moved.
		out.Status, out.Error, out.Message = contract.StatusFailed, contract.ErrReverted, notMovedMessage
	default:
		out.Status, out.Error, out.Message = contract.StatusFailed, contract.ErrInternal, "the transaction could not be mined: no tokens moved"
	}
	if s.MinedHash != nil {
		out.TxHash, out.BlockNumber, out.Fee = *s.MinedHash, s.BlockNumber, s.FeeETH()
	}
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

// notMovedMessage is the message of the final answer of a payment whose
// transfer was mined without moving the tokens.
const notMovedMessage = "the transfer was mined but the token moved nothing (no Transfer event: it returned false instead of reverting): no tokens moved"

// afterFunding signs the transfer once the user's address has its gas: from the
// user if it still holds the tokens, else from the hot wallet; or funds again
// if fees rose beyond what was sent.
func (e *Engine) afterFunding(ctx context.Context, tx *gorm.DB, p *store.Payment) error {
	user := common.HexToAddress(*p.UserAddress)
	token := common.HexToAddress(*p.Token)
	units := bigOf(p.AmountUnits)
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
			if fe, err := e.freeETH(ctx, tx, user); err != nil || fe.Cmp(q.MaxCost) < 0 {
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
