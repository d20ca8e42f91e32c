// Package requests handles withdraw requests: it opens and checks them and
// hands them to the payout engine, once per request_id whatever is repeated or
// crashes.
package requests

import (
	"context"
	"fmt"

	"github.com/ethereum/go-ethereum/common"
	"gorm.io/gorm"

	"paysuite/pkg/broker"
	"paysuite/pkg/db"
	"paysuite/pkg/request"
	"paysuite/services/withdraw/internal/payouts"
	"paysuite/services/withdraw/internal/store"
)

// Handler processes the withdraw request queue.
type Handler struct {
	// Intake opens, authenticates and checks the requests, and answers
	// repeats; its HotWallet is the Engine's.
	Intake request.Payouts
	DB     *gorm.DB
	// Engines pay out, one per chain served, the first the default chain's.
	Engines []*payouts.Engine
	// Deposits reports whether an address is a deposit address of the
	// suite, refused as a recipient too; nil knows none.
	Deposits func(ctx context.Context, chain string, addr common.Address) (bool, error)
}

// Handle is the broker handler for the withdraw request queue: the intake
// passes on what is a request and answers anything else itself.
func (h *Handler) Handle(ctx context.Context, d broker.Delivery) error {
	return h.Intake.Handle(ctx, d, h.stored, h.accept)
}

// stored reads what was stored of the returns of requestID: nil for a
// request never seen.
func (h *Handler) stored(ctx context.Context, requestID string) (*request.Stored, error) {
	w, err := store.Find(h.DB.WithContext(ctx), requestID)
	if err != nil || w == nil {
		return nil, err
	}
	return &request.Stored{RequestID: w.RequestID, Final: w.FinalBody, Submitted: w.SubmittedBody}, nil
}

// accept handles an authenticated request never seen before: it is checked,
// then paid by the engine as a batch of one (signed with what the other
// workers have ready), or refused.
func (h *Handler) accept(ctx context.Context, env request.Envelope) error {
	id := env.RequestID
	log := h.Intake.Log.With().Str("request_id", id).Logger()
	w := payouts.Withdrawal{RequestID: id}
	ref, err := h.check(ctx, env, &w)
	if err != nil {
		return err // the suite's fault, not the requester's: retried, not answered
	}
	if ref != nil {
		log.Info().Str("error", ref.Code).Msg("withdraw request refused")
		err = h.engine(w.Chain).Refuse(ctx, w, *ref)
	} else {
		err = h.engine(w.Chain).Pay(ctx, []payouts.Withdrawal{w})
	}
	if err != nil && db.IsDuplicateKey(err) {
		// The same request_id is being handled by another worker right now.
		existing, ferr := h.stored(ctx, id)
		if ferr != nil || existing == nil {
			return fmt.Errorf("withdraw %s: %w", id, err)
		}
		return h.Intake.Repeat(ctx, *existing)
	}
	return err
}

// HandleBatch has several new, valid withdrawals on one chain paid together,
// under one lock of the hot wallet's nonce on that chain and in one
// transaction: the withdrawals of one hot wallet queue behind that lock, so
// each one taken with the others saves a wait for it, a commit and the node's
// answers about balances. Anything else (a refusal, a repeat, a request_id
// twice, withdrawals on several chains, every failure) is left to Handle,
// request by request: the broker hands each delivery of a failed batch to it.
func (h *Handler) HandleBatch(ctx context.Context, ds []broker.Delivery) error {
	ws := make([]payouts.Withdrawal, 0, len(ds))
	seen := make(map[string]bool, len(ds))
	for _, d := range ds {
		w, ok, err := h.fresh(ctx, d)
		if err != nil {
			return err
		}
		if !ok || seen[w.RequestID] || (len(ws) > 0 && w.Chain != ws[0].Chain) {
			return payouts.ErrHandleAlone
		}
		seen[w.RequestID] = true
		ws = append(ws, w)
	}
	if len(ws) == 0 {
		return nil
	}
	return h.engine(ws[0].Chain).Pay(ctx, ws)
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

// fresh opens an authenticated, valid request never seen before; ok is false
// for anything else, which Handle answers.
func (h *Handler) fresh(ctx context.Context, d broker.Delivery) (w payouts.Withdrawal, ok bool, err error) {
	env, err := h.Intake.Gate(h.stored).Admit(d.Body)
	if err != nil {
		return w, false, nil
	}
	w = payouts.Withdrawal{RequestID: env.RequestID}
	existing, err := store.Find(h.DB.WithContext(ctx), w.RequestID)
	if err != nil || existing != nil {
		return w, false, err
	}
	ref, err := h.check(ctx, env, &w)
	if err != nil || ref != nil {
		return w, false, err
	}
	return w, true, nil
}
