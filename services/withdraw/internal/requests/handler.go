// Package requests handles withdraw requests: it opens and checks them and
// hands them to the payout engine, once per request_id whatever is repeated or
// crashes.
package requests

import (
	"context"
	"fmt"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/rs/zerolog"
	"gorm.io/gorm"

	"paysuite/pkg/broker"
	"paysuite/pkg/contract"
	"paysuite/pkg/db"
	"paysuite/pkg/request"
	"paysuite/pkg/sign"
	"paysuite/pkg/tokens"
	"paysuite/services/withdraw/internal/payouts"
	"paysuite/services/withdraw/internal/store"
)

// Publisher sends a message and waits for the broker's confirmation.
type Publisher interface {
	Publish(ctx context.Context, exchange, key string, msg broker.Message) error
}

// Handler processes the withdraw request queue.
type Handler struct {
	DB        *gorm.DB
	Engine    *payouts.Engine
	Publisher Publisher
	Names     contract.Names
	Chain     string
	Tokens    tokens.List
	// Secrets verify requests, the current one first (config SignSecrets);
	// Sealer signs the returns with the current one.
	Secrets      [][]byte
	MaxClockSkew time.Duration
	Sealer       sign.Sealer
	// SuiteAddresses are the suite's other own wallets (pay's hot wallet):
	// like the hot wallet, the token contracts and the zero address, they
	// are refused as recipients.
	SuiteAddresses []common.Address
	// Deposits reports whether an address is a deposit address of the
	// suite, refused as a recipient too; nil knows none.
	Deposits func(ctx context.Context, chain string, addr common.Address) (bool, error)
	Log      zerolog.Logger
	Now      func() time.Time
}

// Handle is the broker handler for the withdraw request queue: the intake
// passes on what is a request and answers anything else itself.
func (h *Handler) Handle(ctx context.Context, d broker.Delivery) error {
	return h.intake().Handle(ctx, d, h.accept)
}

// accept handles an authenticated request: a repeat gets its stored returns,
// a new one is checked, then paid by the engine as a batch of one (signed
// with what the other workers have ready), or refused.
func (h *Handler) accept(ctx context.Context, env request.Envelope) error {
	id := env.RequestID
	log := h.Log.With().Str("request_id", id).Logger()
	if known, err := h.replay(ctx, id); err != nil || known {
		return err
	}
	w := payouts.Withdrawal{RequestID: id, Chain: h.Chain, Symbol: "USDT"}
	ref, err := h.check(ctx, env, &w)
	if err != nil {
		return err // the suite's fault, not the requester's: retried, not answered
	}
	if ref != nil {
		log.Info().Str("error", ref.Code).Msg("withdraw request refused")
		err = h.Engine.Refuse(ctx, w, *ref)
	} else {
		err = h.Engine.Pay(ctx, []payouts.Withdrawal{w})
	}
	if err != nil && db.IsDuplicateKey(err) {
		// The same request_id is being handled by another worker right now.
		existing, ferr := store.Find(h.DB.WithContext(ctx), id)
		if ferr != nil || existing == nil {
			return fmt.Errorf("withdraw %s: %w", id, err)
		}
		return h.repeat(ctx, existing)
	}
	return err
}

// HandleBatch has several new, valid withdrawals paid together, under one
// lock of the hot wallet's nonce and in one transaction: the withdrawals of
// one hot wallet queue behind that lock, so each one taken with the others
// saves a wait for it, a commit and the node's answers about balances.
// Anything else (a refusal, a repeat, a request_id twice, every failure) is
// left to Handle, request by request: the broker hands each delivery of a
// failed batch to it.
func (h *Handler) HandleBatch(ctx context.Context, ds []broker.Delivery) error {
	ws := make([]payouts.Withdrawal, 0, len(ds))
	seen := make(map[string]bool, len(ds))
	for _, d := range ds {
		w, ok, err := h.fresh(ctx, d)
		if err != nil {
			return err
		}
		if !ok || seen[w.RequestID] {
			return payouts.ErrHandleAlone
		}
		seen[w.RequestID] = true
		ws = append(ws, w)
	}
	return h.Engine.Pay(ctx, ws)
}

// fresh opens an authenticated, valid request never seen before; ok is false
// for anything else, which Handle answers.
func (h *Handler) fresh(ctx context.Context, d broker.Delivery) (w payouts.Withdrawal, ok bool, err error) {
	env, err := h.intake().Admit(d.Body)
	if err != nil {
		return w, false, nil
	}
	w = payouts.Withdrawal{RequestID: env.RequestID, Chain: h.Chain, Symbol: "USDT"}
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
