// Package payouts carries out withdrawals: it checks the hot wallet can pay
// them, hands the transfers to the transaction sender (several under one lock
// of the hot wallet's nonce), stores refusals, and turns the sender's progress
// into returns and operator alerts. Every step is stored in the database
// transaction that causes it.
package payouts

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math/big"
	"slices"
	"strings"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"golang.org/x/sync/errgroup"
	"gorm.io/gorm"

	"paysuite/pkg/contract"
	"paysuite/pkg/events"
	"paysuite/pkg/money"
	"paysuite/pkg/outbox"
	"paysuite/pkg/payoutengine"
	"paysuite/pkg/payoutreturns"
	"paysuite/pkg/request"
	"paysuite/pkg/returnhead"
	"paysuite/pkg/txsender"
	"paysuite/services/withdraw/internal/returns"
	"paysuite/services/withdraw/internal/store"
)

// Purpose labels the sender's sends of withdrawals.
const Purpose = "withdraw"

// SendKey is the transaction sender's key of a withdrawal's transfer.
func SendKey(requestID string) string { return "withdraw:" + requestID }

// Withdrawal is a checked withdraw request: what the engine pays, or refuses.
// A request refused before all was checked leaves the later fields zero.
type Withdrawal struct {
	RequestID string
	// Payout is the request as far as it was checked (Units nil until the
	// amount was, To "" until the recipient was).
	request.Payout
	// Call is the token call that pays the request.
	Call []byte
}

// Engine carries out withdrawals from the hot wallet on one chain: it checks
// the hot wallet can pay them, has the chain's sender sign them (several under
// one lock of its nonce, see signGate), stores refusals as final answers, and
// broadcasts what it signed once that has committed. Each chain has an engine
// of its own, so that a chain whose node is down holds back no other.
type Engine struct {
	payoutengine.Base
	DB *gorm.DB
	// OnCommit wakes the outbox relay.
	OnCommit func()
	Now      func() time.Time

	gate signGate
}

// ErrHandleAlone fails a batch of several withdrawals that holds one to handle
// alone (a refusal): nothing of the batch is stored, and each of its requests
// is then paid as a batch of one.
var ErrHandleAlone = errors.New("batch holds a request to handle alone")

// handleTimeout bounds the paying of one batch; its requests are retried. The
// hot wallet's nonce lock is held while the node is asked for balances, and a
// node that stops answering must not hold it forever.
const handleTimeout = time.Minute

// Pay signs ws and stores them in one transaction, in a turn of the gate with
// what the other workers have ready, then broadcasts them together once that
// has committed (the tracker polls for their receipts on its own).
//
// A batch of several is signed whole or not at all: a refusal of any of its
// withdrawals fails it with ErrHandleAlone, as does any other error, leaving
// nothing stored. A batch of one is answered in full: its refusal is stored as
// its final answer. An error that is a duplicate key (db.IsDuplicateKey) means
// a request_id of ws is stored already, by another worker.
func (e *Engine) Pay(ctx context.Context, ws []Withdrawal) error {
	if len(ws) == 0 {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, handleTimeout)
	defer cancel()
	quotes, err := e.quote(ctx, ws)
	if errors.Is(err, txsender.ErrWouldRevert) && len(ws) == 1 {
		return e.wouldRevert(ctx, ws[0], err)
	}
	if err != nil {
		return err
	}
	job := newSignJob(ws, quotes)
	if err := e.gate.do(job, signGroupMax, func(jobs []*signJob) { e.signJobs(ctx, jobs) }); err != nil {
		return err
	}
	if job.refused != nil {
		e.Log.Info().Str("request_id", ws[0].RequestID).Str("error", job.refused.Code).Msg("withdraw refused")
		e.OnCommit()
		return nil
	}
	if job.alerted {
		e.OnCommit()
	}
	for _, w := range ws {
		e.Log.Info().Str("request_id", w.RequestID).Str("to", w.To).Str("amount", money.Format(w.Amount)).Msg("withdrawal signed")
	}
	// Sent and recorded together; whatever fails here is left to the tracker.
	if err := e.Sender.BroadcastBatch(ctx, job.sendIDs); err != nil {
		e.Log.Warn().Err(err).Int("withdrawals", len(ws)).Msg("broadcast after signing; the tracker will retry")
	}
	return nil
}

// quote prices the transfers of ws side by side, before the nonce is locked.
func (e *Engine) quote(ctx context.Context, ws []Withdrawal) ([]txsender.Quote, error) {
	quotes := make([]txsender.Quote, len(ws))
	g, gctx := errgroup.WithContext(ctx)
	for i, w := range ws {
		g.Go(func() (err error) {
			quotes[i], err = e.Sender.Quote(gctx, e.HotWallet, w.Token.Address, new(big.Int), w.Call, 0)
			return err
		})
	}
	return quotes, g.Wait()
}

// wouldRevert answers w, whose gas estimate failed: a transfer beyond the
// balance fails so, which is told apart from a token that refuses the
// transfer for another reason.
func (e *Engine) wouldRevert(ctx context.Context, w Withdrawal, err error) error {
	reserved, rerr := store.ReservedTokens(e.DB.WithContext(ctx), e.chainID(), e.HotWallet, w.Token.Address)
	if rerr != nil {
		return rerr
	}
	bal, berr := txsender.TokenBalance(ctx, e.Sender.Node(), w.Token.Address, e.HotWallet, nil)
	if berr != nil {
		return berr
	}
	if bal.Sub(bal, reserved).Cmp(w.Units) < 0 {
		return e.Refuse(ctx, w, request.Refusal{Code: contract.ErrInsufficientBalance, Message: "the hot wallet does not hold the amount"})
	}
	e.Log.Error().Err(err).Str("request_id", w.RequestID).Msg("token transfer would revert")
	return e.Refuse(ctx, w, request.Refusal{Code: contract.ErrInternal, Message: "the token contract refuses this transfer"})
}

// signGroupMax bounds the withdrawals signed in one turn of the gate, in one
// database transaction.
const signGroupMax = 100

// errSignAbandoned fails the jobs of a turn that ended without an outcome for
// them (a panic): they are then handled alone.
var errSignAbandoned = errors.New("signing turn ended without signing the batch")

// signJobs signs the jobs of one turn of the gate in one transaction. When
// that fails and there were several, each job is tried again in a transaction
// of its own, so that one batch that must be handled alone (a refusal, a
// request_id another replica is storing right now) does not send the others
// one by one too. Every job is finished when it returns.
func (e *Engine) signJobs(ctx context.Context, jobs []*signJob) {
	defer func() {
		for _, j := range jobs {
			if !j.finished() {
				j.err = errSignAbandoned
				close(j.done)
			}
		}
	}()
	err := e.signTogether(ctx, jobs)
	if err != nil && len(jobs) > 1 {
		for _, j := range jobs {
			j.err = e.signTogether(ctx, []*signJob{j})
			close(j.done)
		}
		return
	}
	for _, j := range jobs {
		j.err = err
		close(j.done)
	}
}

// signTogether signs and stores the withdrawals of jobs under one lock of the
// hot wallet's nonce, in one transaction, all or none of them: their rows, the
// sends and their attempts are written with one statement each, the nonce is
// advanced once (txsender.SubmitBatch), and balances are read once for all,
// mostly before the lock (batchFunds). A refusal fails the whole turn with
// ErrHandleAlone, unless the turn holds a single withdrawal: a batch of one,
// whose refusal is stored instead, in the same transaction.
func (e *Engine) signTogether(ctx context.Context, jobs []*signJob) error {
	var rows []*store.Withdrawal
	var sendReqs []txsender.Request
	var lows []string // low-balance alerts, by position in rows
	var tokens []common.Address
	var batch *batchFunds // read before the transaction and the lock
	for _, j := range jobs {
		j.sendIDs, j.alerted, j.refused = make([]uint64, len(j.ws)), false, nil
		for i, w := range j.ws {
			key := SendKey(w.RequestID)
			row := e.row(w)
			row.State, row.SendKey = store.StateSending, &key
			k := len(rows)
			if !slices.Contains(tokens, w.Token.Address) {
				tokens = append(tokens, w.Token.Address)
			}
			rows = append(rows, row)
			lows = append(lows, "")
			sendReqs = append(sendReqs, txsender.Request{
				Key: key, Purpose: Purpose, Ref: w.RequestID, From: e.HotWallet, To: w.Token.Address,
				Data: w.Call, Quote: &j.quotes[i],
				Check: func(tx *gorm.DB, q txsender.Quote) (err error) {
					lows[k], err = batch.check(e, tx, w, q)
					return err
				},
			})
		}
	}
	// The funds are read from the node alone, before the transaction, so that
	// it holds its rows for no node call (see batchFunds).
	var err error
	if batch, err = e.readFunds(ctx, tokens); err != nil {
		return err
	}
	return e.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := tx.Create(&rows).Error; err != nil {
			return err
		}
		sends, err := e.Sender.SubmitBatch(ctx, tx, sendReqs)
		var ref request.Refusal
		if errors.As(err, &ref) {
			if len(rows) > 1 {
				return ErrHandleAlone
			}
			j := jobs[0]
			j.refused, j.alerted = &ref, isLowBalance(ref.Code)
			return e.finishRefused(tx, rows[0], j.ws[0], ref)
		}
		if err != nil {
			return err
		}
		k := 0
		for _, j := range jobs {
			for i, w := range j.ws {
				j.sendIDs[i] = sends[k].ID
				if lows[k] != "" {
					j.alerted = true
					if err := e.alert(tx, events.AlertLowBalance, e.hot(), w.RequestID, lows[k]); err != nil {
						return err
					}
				}
				k++
			}
		}
		return nil
	}, &sql.TxOptions{Isolation: sql.LevelReadCommitted})
}

// Refuse stores the final refusal of w, so that a repeat gets the same answer,
// and publishes it through the outbox. An error that is a duplicate key means
// w's request_id is stored already.
func (e *Engine) Refuse(ctx context.Context, w Withdrawal, ref request.Refusal) error {
	err := e.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		row := e.row(w)
		row.State = store.StateDone
		if err := tx.Create(row).Error; err != nil {
			return err
		}
		return e.finishRefused(tx, row, w, ref)
	})
	if err != nil {
		return fmt.Errorf("withdraw %s: store refusal: %w", w.RequestID, err)
	}
	e.OnCommit()
	return nil
}

// row is the stored form of w.
func (e *Engine) row(w Withdrawal) *store.Withdrawal {
	hot := e.hot()
	return &store.Withdrawal{Row: w.Row(w.RequestID, ""), FromAddress: &hot}
}

// failure is the status-0 answer to w.
func (e *Engine) failure(w Withdrawal, ref request.Refusal) returns.Withdraw {
	out := returns.Withdraw{Head: returnhead.Head{RequestID: w.RequestID, Event: contract.EventWithdraw,
		Status: contract.StatusFailed, Error: ref.Code, Message: ref.Message}, Chain: w.Chain, Symbol: w.Symbol, ToAddress: w.To}
	if w.Units != nil {
		out.Amount = money.Format(w.Amount)
	}
	switch ref.Code {
	case contract.ErrInsufficientBalance, contract.ErrInsufficientGas, contract.ErrInternal:
		out.FromAddress = e.hot()
	}
	return out
}

// finishRefused stores the final refusal on row inside tx and queues it, with
// a low_balance alert when the hot wallet is short.
func (e *Engine) finishRefused(tx *gorm.DB, row *store.Withdrawal, w Withdrawal, ref request.Refusal) error {
	body, err := e.Sealer.Seal(e.failure(w, ref))
	if err != nil {
		return err
	}
	status := contract.StatusFailed
	err = tx.Model(row).Updates(map[string]any{"state": store.StateDone, "status": status, "error": ref.Code,
		"final_body": body, "send_key": nil}).Error
	if err != nil {
		return fmt.Errorf("store refusal: %w", err)
	}
	msgs, err := e.queue().Messages(w.RequestID, row.CallbackURL, contract.EventWithdraw, body)
	if err != nil {
		return err
	}
	if err := outbox.Add(tx, msgs...); err != nil {
		return err
	}
	if isLowBalance(ref.Code) {
		return e.alert(tx, events.AlertLowBalance, e.hot(), w.RequestID,
			fmt.Sprintf("withdrawal %s on %s refused (%s): %s", w.RequestID, w.Chain, ref.Code, ref.Message))
	}
	return nil
}

// isLowBalance tells the refusals that raise a low_balance alert.
func isLowBalance(code string) bool {
	return code == contract.ErrInsufficientBalance || code == contract.ErrInsufficientGas
}

// alert queues an operator alert in tx.
func (e *Engine) alert(tx *gorm.DB, kind, key, requestID, message string) error {
	return e.queue().AddAlert(tx, kind, key, requestID, message, e.now())
}

// queue queues withdraw's returns and alerts.
func (e *Engine) queue() payoutreturns.Queue { return Queue(e.Keys, e.Sealer, e.Names) }

func (e *Engine) hot() string { return strings.ToLower(e.HotWallet.Hex()) }

func (e *Engine) chainID() uint64 { return e.Sender.ChainID().Uint64() }

func (e *Engine) now() time.Time {
	if e.Now != nil {
		return e.Now()
	}
	return time.Now()
}
