// Package requests handles pay requests: it checks them and hands them to the
// payout engine, once per request_id whatever is repeated or crashes.
package requests

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/rs/zerolog"
	"gorm.io/gorm"

	"paysuite/pkg/broker"
	"paysuite/pkg/contract"
	"paysuite/pkg/db"
	"paysuite/pkg/money"
	"paysuite/pkg/request"
	"paysuite/pkg/txsender"
	"paysuite/services/pay/internal/payouts"
	"paysuite/services/pay/internal/store"
)

// Handler processes the pay request queue.
type Handler struct {
	// Intake opens, authenticates and checks the requests, and answers
	// repeats; its HotWallet is the engines'.
	Intake request.Payouts
	DB     *gorm.DB
	// Engines pay, one per chain served, the first the default chain's.
	Engines []*payouts.Engine
	// OnCommit wakes the outbox relay.
	OnCommit func()
}

// payRequest is a checked pay request.
type payRequest struct {
	RequestID string
	request.Payout
	User string
}

// Handle is the broker handler for the pay request queue: the intake passes
// on what is a request and answers anything else itself.
func (h *Handler) Handle(ctx context.Context, d broker.Delivery) error {
	return h.Intake.Handle(ctx, d, h.stored, h.accept)
}

// accept handles an authenticated request never seen before: it is checked,
// then handed to the payout engine.
func (h *Handler) accept(ctx context.Context, env request.Envelope) error {
	id := env.RequestID
	log := h.Intake.Log.With().Str("request_id", id).Logger()
	req := payRequest{RequestID: id}
	ref, err := h.check(ctx, env, &req)
	if err != nil {
		return err
	}
	if ref != nil {
		log.Info().Str("error", ref.Code).Msg("pay request refused")
		return h.store(ctx, req, log, func(tx *gorm.DB, p *store.Payment) (*txsender.Send, error) { return nil, *ref })
	}
	// Bounded: nonce and address locks are held while the node is asked for
	// balances, and a node that stops answering must not hold them forever.
	ctx, cancel := context.WithTimeout(ctx, handleTimeout)
	defer cancel()
	return h.store(ctx, req, log, func(tx *gorm.DB, p *store.Payment) (*txsender.Send, error) {
		return h.engine(req.Chain).Start(ctx, tx, p)
	})
}

// handleTimeout bounds the handling of one request; the request is retried.
const handleTimeout = time.Minute

func refuse(code, message string) *payouts.Refusal {
	return &payouts.Refusal{Code: code, Message: message}
}

// check validates the fields in the contract's order and fills req: the
// fields every payout request shares (request.Payouts.Check), then
// from_address, which must be a deposit address of the suite, then the
// recipient. An error is the suite's own (a lookup failed), not a refusal.
func (h *Handler) check(ctx context.Context, env request.Envelope, req *payRequest) (*payouts.Refusal, error) {
	if ref := h.Intake.Check(env, &req.Payout); ref != nil {
		return refuse(ref.Code, ref.Message), nil
	}
	from, ok := h.Intake.From(env)
	if !ok || !contract.ValidAddress(from) {
		return refuse(contract.ErrInvalidAddress, "from_address must be a deposit address of the suite"), nil
	}
	known, err := store.FindAddress(h.DB.WithContext(ctx), req.Chain, common.HexToAddress(from))
	if err != nil {
		return nil, err // not the requester's fault: retried, not answered
	}
	if known == nil {
		return refuse(contract.ErrInvalidAddress, "from_address is not a deposit address of the suite"), nil
	}
	req.User = contract.NormalizeAddress(from)
	ref, err := h.Intake.CheckRecipient(ctx, req.Payout, h.isDeposit)
	if err != nil || ref == nil {
		return nil, err
	}
	return refuse(ref.Code, ref.Message), nil
}

// stored reads what was stored of the returns of requestID: nil for a
// request never seen.
func (h *Handler) stored(ctx context.Context, requestID string) (*request.Stored, error) {
	p, err := store.Find(h.DB.WithContext(ctx), requestID)
	if err != nil || p == nil {
		return nil, err
	}
	return &request.Stored{RequestID: p.RequestID, Final: p.FinalBody, Submitted: p.SubmittedBody}, nil
}

// isDeposit reports whether addr is a deposit address of the suite on chain.
func (h *Handler) isDeposit(ctx context.Context, chain string, addr common.Address) (bool, error) {
	known, err := store.FindAddress(h.DB.WithContext(ctx), chain, addr)
	return known != nil, err
}

// row is the stored form of req.
func (h *Handler) row(req payRequest) *store.Payment {
	p := &store.Payment{Row: req.Row(req.RequestID, store.StateSending)}
	if req.OrderID != "" {
		p.OrderID = &req.OrderID
	}
	if req.User != "" {
		p.UserAddress = &req.User
	}
	return p
}

// store inserts the payment and runs start in one transaction: either a
// transaction is signed and stored (and broadcast after the commit), or the
// refusal is stored as the final answer. A concurrent duplicate of the same
// request_id is answered like any repeat.
func (h *Handler) store(ctx context.Context, req payRequest, log zerolog.Logger,
	start func(tx *gorm.DB, p *store.Payment) (*txsender.Send, error)) error {
	var sent *txsender.Send
	var refused *payouts.Refusal
	err := h.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		p := h.row(req)
		if err := tx.Create(p).Error; err != nil {
			return err
		}
		send, err := start(tx, p)
		var ref payouts.Refusal
		if errors.As(err, &ref) {
			refused = &ref
			return h.engine(req.Chain).FinishRefused(tx, p, ref)
		}
		if err != nil {
			return err
		}
		sent = send
		return nil
	}, &sql.TxOptions{Isolation: sql.LevelReadCommitted})
	if err != nil && db.IsDuplicateKey(err) {
		existing, ferr := h.stored(ctx, req.RequestID)
		if ferr != nil || existing == nil {
			return fmt.Errorf("pay %s: %w", req.RequestID, err)
		}
		return h.Intake.Repeat(ctx, *existing)
	}
	if err != nil {
		return fmt.Errorf("pay %s: %w", req.RequestID, err)
	}
	h.OnCommit()
	if refused != nil {
		log.Info().Str("error", refused.Code).Msg("payment refused")
		return nil
	}
	log.Info().Str("send", sent.Key).Str("tx_hash", sent.TxHash).Str("amount", money.Format(req.Amount)).Msg("payment started")
	sender := h.engine(req.Chain).Sender
	if err := sender.Broadcast(ctx, sent.ID); err != nil {
		log.Warn().Err(err).Msg("broadcast after submit; the tracker will retry")
	}
	sender.Kick()
	return nil
}

// engine is the engine of chain; a refusal of a request on a chain not
// served is stored by the first, which any engine can do.
func (h *Handler) engine(chain string) *payouts.Engine {
	for _, e := range h.Engines {
		if e.Chain == chain {
			return e
		}
	}
	return h.Engines[0]
}
