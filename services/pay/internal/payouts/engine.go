// Package payouts carries out payments: it decides who pays (the user's deposit
// address when it holds the tokens, else the hot wallet), funds the user's
// address with ether for gas when needed, hands the transfers to the
// transaction sender, and turns the sender's progress into returns. Every step
// is stored in the database transaction that causes it.
package payouts

import (
	"context"
	"errors"
	"fmt"
	"math/big"
	"strings"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"gorm.io/gorm"

	"paysuite/pkg/contract"
	"paysuite/pkg/events"
	"paysuite/pkg/money"
	"paysuite/pkg/outbox"
	"paysuite/pkg/payoutengine"
	"paysuite/pkg/payoutreturns"
	"paysuite/pkg/returnhead"
	"paysuite/pkg/txsender"
	"paysuite/services/pay/internal/returns"
	"paysuite/services/pay/internal/store"
)

// Purposes of the sender's sends.
const (
	PurposeFund = "fund" // ether from the hot wallet to a user's address, for gas
	PurposePay  = "pay"  // the token transfer to the merchant
)

// maxFundingRounds bounds how often one payment tops up a user's address (a
// second round is needed only if fees rose a lot while the first was mined).
const maxFundingRounds = 3

// Refusal is a payment answered with status 0: no funds moved.
type Refusal struct{ Code, Message string }

func (r Refusal) Error() string { return r.Code + ": " + r.Message }

// Engine carries out payments on one chain, with the chain's sender, whose
// hooks it is: each chain has an engine of its own, so that a chain whose
// node is down holds back no other.
type Engine struct {
	payoutengine.Base
	// FundingConfirmations is the depth the gas funding must reach first.
	FundingConfirmations uint64
	// Confirmations is the depth at which a user's tokens count as theirs.
	Confirmations uint64
	// OnCommit wakes the outbox relay (and the sender) after a commit.
	OnCommit func()
	// OnFinal, if set, is told the status of each final answer stored (for
	// metrics).
	OnFinal func(status int)
}

// Start decides who pays p (inserted in tx, with its request fields set) and
// submits the first transaction: the payment itself or the funding of the
// user's address. It returns the send to broadcast after the commit, or a
// Refusal.
func (e *Engine) Start(ctx context.Context, tx *gorm.DB, p *store.Payment) (*txsender.Send, error) {
	user := common.HexToAddress(*p.UserAddress)
	token := common.HexToAddress(*p.Token)
	units := money.Units(p.AmountUnits)
	if _, err := store.LockAddress(tx, p.Chain, user); err != nil {
		return nil, err
	}
	free, err := e.userTokens(ctx, tx, user, token, new(big.Int))
	if err != nil {
		return nil, err
	}
	if free.Cmp(units) >= 0 {
		return e.payFromUser(ctx, tx, p)
	}
	return e.payFromHot(ctx, tx, p)
}

// userTokens is what user can still pay of token: its balance (the lower of the
// latest and the confirmed one, so that an unconfirmed deposit is not spent),
// minus what its payments not yet mined will take, plus own (the payment being
// decided, already counted there).
func (e *Engine) userTokens(ctx context.Context, tx *gorm.DB, user, token common.Address, own *big.Int) (*big.Int, error) {
	reserved, err := store.ReservedTokens(tx, e.Chain, user, token)
	if err != nil {
		return nil, err
	}
	latest, settled, err := txsender.TokenBalances(ctx, e.Sender.Node(), token, user, e.Confirmations)
	if err != nil {
		return nil, err
	}
	bal := latest
	if settled.Cmp(bal) < 0 {
		bal = settled
	}
	free := new(big.Int).Sub(bal, reserved)
	return free.Add(free, own), nil
}

// payFromUser sends the transfer from the user's address, after funding its gas
// if it lacks ether.
func (e *Engine) payFromUser(ctx context.Context, tx *gorm.DB, p *store.Payment) (*txsender.Send, error) {
	user := common.HexToAddress(*p.UserAddress)
	token := common.HexToAddress(*p.Token)
	data, err := txsender.TransferData(common.HexToAddress(*p.ToAddress), money.Units(p.AmountUnits))
	if err != nil {
		return nil, err
	}
	q, err := e.Sender.Quote(ctx, user, token, nil, data, 0)
	if errors.Is(err, txsender.ErrWouldRevert) {
		// The token refuses a transfer from the user's address after all: the hot
		// wallet pays.
		e.Log.Warn().Err(err).Str("request_id", p.RequestID).Msg("transfer from the user's address would revert; paying from the hot wallet")
		return e.payFromHot(ctx, tx, p)
	}
	if err != nil {
		return nil, err
	}
	freeETH, err := e.freeETH(ctx, tx, user, p)
	if err != nil {
		return nil, err
	}
	u, payer := store.PaidFromUser, store.Lower(user)
	p.Payer, p.PaidFrom = &payer, &u
	if freeETH.Cmp(q.MaxCost) >= 0 {
		return e.submitTransfer(ctx, tx, p, user, nil)
	}
	// Twice the current price leaves room for the base fee to rise, and for a
	// few replacements, before the transfer is signed.
	want := new(big.Int).Mul(q.MaxCost, big.NewInt(2))
	value := want.Sub(want, money.NonNegative(freeETH))
	p.FundRounds++
	fundKey := fmt.Sprintf("fund:%s:%d", p.RequestID, p.FundRounds)
	send, err := e.Sender.Submit(ctx, tx, txsender.Request{
		Key: fundKey, Purpose: PurposeFund, Ref: p.RequestID, From: e.HotWallet, To: user, Value: value,
		Confirmations: e.FundingConfirmations,
		Check: func(tx *gorm.DB, fq txsender.Quote) error {
			free, err := e.freeETH(ctx, tx, e.HotWallet, nil)
			if err != nil {
				return err
			}
			if free.Cmp(fq.MaxCost) < 0 {
				return Refusal{contract.ErrInsufficientGas, fmt.Sprintf("the user's address has no %s for gas and the hot wallet cannot fund it (%s %s available)",
					e.Native, money.Format(money.FromBaseUnits(money.NonNegative(free), 18)), e.Native)}
			}
			return nil
		},
	})
	if err != nil {
		return nil, err
	}
	p.State, p.FundKey = store.StateFunding, &fundKey
	err = tx.Model(p).Updates(map[string]any{"state": p.State, "fund_key": fundKey, "fund_rounds": p.FundRounds,
		"payer": payer, "paid_from": u}).Error
	if err != nil {
		return nil, fmt.Errorf("store funding of %s: %w", p.RequestID, err)
	}
	e.Log.Info().Str("request_id", p.RequestID).Str("user", payer).Str("value_wei", value.String()).Msg("funding gas of the user's address")
	return send, nil
}

// payFromHot sends the transfer from the hot wallet.
func (e *Engine) payFromHot(ctx context.Context, tx *gorm.DB, p *store.Payment) (*txsender.Send, error) {
	token := common.HexToAddress(*p.Token)
	units := money.Units(p.AmountUnits)
	h, hw := store.Lower(e.HotWallet), store.PaidFromHot
	p.Payer, p.PaidFrom = &h, &hw
	short := Refusal{contract.ErrInsufficientBalance, "neither the user's address nor the hot wallet holds the amount"}
	var low string
	send, err := e.submitTransfer(ctx, tx, p, e.HotWallet, func(tx *gorm.DB, q txsender.Quote) error {
		reserved, err := store.ReservedTokens(tx, e.Chain, e.HotWallet, token)
		if err != nil {
			return err
		}
		freeETH, err := e.freeETH(ctx, tx, e.HotWallet, nil)
		if err != nil {
			return err
		}
		bal, err := txsender.TokenBalance(ctx, e.Sender.Node(), token, e.HotWallet, nil)
		if err != nil {
			return err
		}
		free := bal.Sub(bal, reserved)
		if free.Cmp(units) < 0 {
			return short
		}
		if freeETH.Cmp(q.MaxCost) < 0 {
			return Refusal{contract.ErrInsufficientGas, fmt.Sprintf("the hot wallet has %s %s available for gas",
				money.Format(money.FromBaseUnits(money.NonNegative(freeETH), 18)), e.Native)}
		}
		if e.MinUSDT != nil && strings.EqualFold(p.Symbol, "USDT") {
			if left := new(big.Int).Sub(free, units); left.Cmp(e.MinUSDT) < 0 {
				low = fmt.Sprintf("pay hot wallet %s has %s USDT base units left on %s after payment %s", h, left.String(), p.Chain, p.RequestID)
			}
		}
		return nil
	})
	if errors.Is(err, txsender.ErrWouldRevert) {
		// The gas estimate of a transfer beyond the balance fails: tell that apart
		// from a token that refuses the transfer for another reason.
		reserved, rerr := store.ReservedTokens(tx, e.Chain, e.HotWallet, token)
		if rerr != nil {
			return nil, rerr
		}
		bal, berr := txsender.TokenBalance(ctx, e.Sender.Node(), token, e.HotWallet, nil)
		if berr != nil {
			return nil, berr
		}
		if bal.Sub(bal, reserved).Cmp(units) < 0 {
			return nil, short
		}
		e.Log.Error().Err(err).Str("request_id", p.RequestID).Msg("token transfer would revert")
		return nil, Refusal{contract.ErrInternal, "the token contract refuses this transfer"}
	}
	if err != nil {
		return nil, err
	}
	if low != "" {
		if err := e.alert(tx, events.AlertLowBalance, h, p.RequestID, low); err != nil {
			return nil, err
		}
	}
	return send, nil
}

// submitTransfer signs the token transfer of p from payer and marks p sending.
func (e *Engine) submitTransfer(ctx context.Context, tx *gorm.DB, p *store.Payment, payer common.Address, check func(*gorm.DB, txsender.Quote) error) (*txsender.Send, error) {
	key := "pay:" + p.RequestID
	if check == nil {
		check = func(tx *gorm.DB, q txsender.Quote) error {
			free, err := e.freeETH(ctx, tx, payer, p)
			if err != nil {
				return err
			}
			if free.Cmp(q.MaxCost) < 0 {
				return errors.New("the user's address lacks ether for gas (it was checked a moment ago); retrying")
			}
			return nil
		}
	}
	data, err := txsender.TransferData(common.HexToAddress(*p.ToAddress), money.Units(p.AmountUnits))
	if err != nil {
		return nil, err
	}
	send, err := e.Sender.Submit(ctx, tx, txsender.Request{
		Key: key, Purpose: PurposePay, Ref: p.RequestID, From: payer, To: common.HexToAddress(*p.Token),
		Data: data, Check: check,
	})
	if err != nil {
		return nil, err
	}
	p.State, p.SendKey = store.StateSending, &key
	err = tx.Model(p).Updates(map[string]any{"state": p.State, "send_key": key, "payer": *p.Payer, "paid_from": *p.PaidFrom}).Error
	if err != nil {
		return nil, fmt.Errorf("store payment %s: %w", p.RequestID, err)
	}
	return send, nil
}

// freeETH is addr's coin on the chain that its unmined sends leave free, less
// what fundings brought it for the gas of other work (a sweep, another
// payment) not signed yet; p, when not nil, is the payment asking, whose own
// funding counts.
func (e *Engine) freeETH(ctx context.Context, tx *gorm.DB, addr common.Address, p *store.Payment) (*big.Int, error) {
	free, err := e.Sender.FreeCoin(ctx, tx, addr)
	if err != nil || addr == e.HotWallet {
		return free, err
	}
	own := ""
	if p != nil && p.FundKey != nil {
		own = *p.FundKey
	}
	held, err := store.HeldFunding(tx, e.Sender.ChainID().Uint64(), store.Lower(addr), own)
	if err != nil {
		return nil, err
	}
	return free.Sub(free, held), nil
}

// Failure is the status-0 answer to p.
func (e *Engine) Failure(p *store.Payment, ref Refusal) returns.Pay {
	out := returns.Pay{Head: returnhead.Head{RequestID: p.RequestID, Event: contract.EventPay,
		Status: contract.StatusFailed, Error: ref.Code, Message: ref.Message}, OrderID: deref(p.OrderID), Chain: p.Chain, Symbol: p.Symbol,
		Amount: deref(p.Amount), ToAddress: deref(p.ToAddress)}
	if p.Payer != nil && p.PaidFrom != nil {
		out.FromAddress, out.PaidFrom = *p.Payer, *p.PaidFrom
	}
	return out
}

// FinishRefused stores the final refusal of p inside tx and queues it, with a
// low_balance alert when a wallet of the suite is short. p.Payer is the address
// that would have paid, when the refusal came that far.
func (e *Engine) FinishRefused(tx *gorm.DB, p *store.Payment, ref Refusal) error {
	if ref.Code == contract.ErrInsufficientBalance || ref.Code == contract.ErrInsufficientGas {
		if err := e.alert(tx, events.AlertLowBalance, store.Lower(e.HotWallet), p.RequestID,
			fmt.Sprintf("payment %s on %s refused (%s): %s", p.RequestID, p.Chain, ref.Code, ref.Message)); err != nil {
			return err
		}
	}
	return e.finish(tx, p, e.Failure(p, ref), "")
}

// finish stores the final answer out of p and queues it.
func (e *Engine) finish(tx *gorm.DB, p *store.Payment, out returns.Pay, alertMsg string) error {
	upd := map[string]any{"state": store.StateDone, "status": out.Status, "payer": p.Payer, "paid_from": p.PaidFrom}
	if out.Error != "" {
		upd["error"] = out.Error
	}
	if p.SendKey == nil {
		upd["send_key"] = nil
	}
	body, msgs, err := e.queue().Final(tx, p, p.RequestID, p.CallbackURL, contract.EventPay, out, upd)
	if err != nil {
		return err
	}
	if e.OnFinal != nil {
		e.OnFinal(out.Status)
	}
	p.FinalBody = body
	if err := outbox.Add(tx, msgs...); err != nil {
		return err
	}
	if alertMsg != "" {
		return e.alert(tx, events.AlertPayoutFailed, p.RequestID, p.RequestID, alertMsg)
	}
	return nil
}

// alert queues an operator alert in tx, sealed: the other services act only
// on what the suite sent.
func (e *Engine) alert(tx *gorm.DB, kind, key, requestID, message string) error {
	return e.queue().AddAlert(tx, kind, key, requestID, message, time.Now())
}

// queue queues pay's returns and alerts.
func (e *Engine) queue() payoutreturns.Queue {
	return payoutreturns.Queue{Service: "pay", Sealer: e.Sealer, Keys: e.Keys, Exchange: e.Names.Exchange, Flow: e.Names.Pay()}
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
