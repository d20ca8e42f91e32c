// Package requests handles topup requests: it checks them, allocates or records
// the address to watch, asks the chain-listener to watch it, and answers.
package requests

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/rs/zerolog"
	"gorm.io/gorm"

	"paysuite/pkg/broker"
	"paysuite/pkg/contract"
	"paysuite/pkg/db"
	"paysuite/pkg/events"
	"paysuite/pkg/hdwallet"
	"paysuite/pkg/outbox"
	"paysuite/pkg/sign"
	"paysuite/pkg/tokens"
	"paysuite/services/topup/internal/returns"
	"paysuite/services/topup/internal/store"
)

// Publisher sends a message and waits for the broker's confirmation.
type Publisher interface {
	Publish(ctx context.Context, exchange, key string, msg broker.Message) error
}

// Handler processes the topup request queue.
type Handler struct {
	Store        *store.Store
	Publisher    Publisher
	Names        contract.Names
	Chain        string
	Tokens       tokens.List
	Keys         *hdwallet.XPub
	Secret       []byte
	MaxClockSkew time.Duration
	Sealer       returns.Sealer
	Log          zerolog.Logger
	// OnCommit wakes the outbox relay.
	OnCommit func()
	// Observe counts requests by outcome (registered, repeated, or an error code); optional.
	Observe func(outcome string)
	Now     func() time.Time
}

// request is a parsed topup request; unknown fields are ignored.
type request struct {
	RequestID   string `json:"request_id"`
	Chain       string `json:"chain"`
	Symbol      string `json:"symbol"`
	Address     string `json:"address"`
	UserID      string `json:"user_id"`
	CallbackURL string `json:"callback_url"`
}

// refusal is a request answered with status 0 and no other effect.
type refusal struct{ code, message string }

func (r refusal) Error() string { return r.code + ": " + r.message }

// Handle is the broker handler for pay.topup.queue.
func (h *Handler) Handle(ctx context.Context, d broker.Delivery) error {
	fields, err := sign.ParseFields(d.Body)
	if err != nil {
		return broker.Poison("not a JSON object")
	}
	var req request
	rawID, ok := fields["request_id"]
	if !ok || json.Unmarshal(rawID, &req.RequestID) != nil || !contract.ValidRequestID(req.RequestID) {
		return broker.Poison("missing or invalid request_id")
	}
	log := h.Log.With().Str("request_id", req.RequestID).Logger()

	if err := h.check(fields, &req); err != nil {
		var ref refusal
		if !errors.As(err, &ref) {
			return err
		}
		log.Info().Str("error", ref.code).Msg("topup request refused")
		h.observe(ref.code)
		return h.refuse(ctx, req, ref)
	}

	existing, err := h.Store.ByRequestID(ctx, req.RequestID)
	if err != nil {
		return err
	}
	if existing == nil {
		existing, err = h.register(ctx, req)
		var ref refusal
		if errors.As(err, &ref) {
			h.observe(ref.code)
			return h.refuse(ctx, req, ref)
		}
		if err != nil {
			return err
		}
		log.Info().Str("address", *existing.Address).Msg("address registered")
		h.observe("registered")
		return nil
	}
	// A repeated request_id gets the original answer, byte for byte.
	h.observe("repeated")
	return h.Publisher.Publish(ctx, h.Names.Exchange, h.Names.TopupReturnKey,
		broker.Message{Body: existing.ReturnBody, MessageID: req.RequestID + ":registered"})
}

// check validates signature, timestamp and fields, filling req.
func (h *Handler) check(fields sign.Fields, req *request) error {
	switch err := sign.Verify(h.Secret, fields); {
	case errors.Is(err, sign.ErrMissingSign), errors.Is(err, sign.ErrBadSign):
		return refusal{contract.ErrBadSignature, "the sign field does not match the request"}
	case err != nil:
		return refusal{contract.ErrBadSignature, err.Error()}
	}
	if err := sign.CheckTimestamp(fields, h.now(), h.MaxClockSkew); err != nil {
		return refusal{contract.ErrStaleTimestamp, "timestamp missing or too far from the suite's clock"}
	}
	for name, dst := range map[string]*string{"chain": &req.Chain, "symbol": &req.Symbol, "address": &req.Address,
		"user_id": &req.UserID, "callback_url": &req.CallbackURL} {
		raw, ok := fields[name]
		if !ok || string(raw) == "null" {
			continue
		}
		if err := json.Unmarshal(raw, dst); err != nil {
			*dst = ""
			return refusal{contract.ErrInvalidRequest, name + " must be a string"}
		}
	}
	for name, v := range map[string]*string{"chain": &req.Chain, "symbol": &req.Symbol} {
		if len(*v) > 32 {
			*v = "" // answered with the default: a return carries only valid values
			return refusal{contract.ErrInvalidRequest, name + " must be 1-32 characters"}
		}
	}
	if req.Chain == "" {
		req.Chain = h.Chain
	}
	if req.Chain != h.Chain {
		return refusal{contract.ErrUnknownChain, "chain " + req.Chain + " is not configured"}
	}
	if req.Symbol == "" {
		req.Symbol = "USDT"
	}
	tok, ok := h.Tokens.BySymbol(req.Symbol)
	if !ok {
		return refusal{contract.ErrUnknownToken, "token " + req.Symbol + " is not configured on " + req.Chain}
	}
	req.Symbol = tok.Symbol
	if req.Address != "" {
		if !contract.ValidAddress(req.Address) {
			return refusal{contract.ErrInvalidAddress, "address must be 0x followed by 40 hex digits"}
		}
		req.Address = contract.NormalizeAddress(req.Address)
	}
	if len(req.UserID) > 64 {
		return refusal{contract.ErrInvalidRequest, "user_id is longer than 64 characters"}
	}
	if req.CallbackURL != "" {
		u, err := url.Parse(req.CallbackURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || len(req.CallbackURL) > 2048 {
			return refusal{contract.ErrInvalidRequest, "callback_url must be an absolute http(s) URL"}
		}
	}
	return nil
}

// register stores the registration, the watch request for the listener and the
// answer in one transaction; the outbox publishes both after the commit.
func (h *Handler) register(ctx context.Context, req request) (*store.Registration, error) {
	reg := &store.Registration{
		RequestID: req.RequestID, Chain: req.Chain, Symbol: req.Symbol,
		Allocated: req.Address == "", UserID: optional(req.UserID), CallbackURL: optional(req.CallbackURL),
		ReturnBody: []byte{},
	}
	if req.Address != "" {
		reg.Address = &req.Address
	}
	err := h.Store.DB().WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := tx.Create(reg).Error; err != nil {
			return err
		}
		if reg.Allocated {
			// The row id is the derivation index: unique and never reused, across replicas.
			addr, err := h.Keys.Address(uint32(reg.ID))
			if err != nil {
				return fmt.Errorf("derive address %d: %w", reg.ID, err)
			}
			a := strings.ToLower(addr.Hex())
			reg.Address = &a
		}
		body, err := h.Sealer.Seal(returns.Registered{
			RequestID: req.RequestID, Event: contract.EventRegistered, Status: contract.StatusSuccess,
			Chain: req.Chain, Symbol: req.Symbol, Address: *reg.Address, UserID: req.UserID,
		})
		if err != nil {
			return err
		}
		reg.ReturnBody = body
		if err := tx.Model(reg).Updates(map[string]any{"address": *reg.Address, "return_body": body}).Error; err != nil {
			return err
		}
		watch, err := json.Marshal(events.WatchAddress{Chain: req.Chain, Address: *reg.Address, Owner: events.OwnerTopup})
		if err != nil {
			return err
		}
		msgs := []outbox.Message{
			{Exchange: events.Exchange, RoutingKey: events.WatchKey, MessageID: "watch:" + *reg.Address, Body: watch},
			{Exchange: h.Names.Exchange, RoutingKey: h.Names.TopupReturnKey, MessageID: req.RequestID + ":registered", Body: body},
		}
		if reg.Allocated {
			announce, err := json.Marshal(events.AddressAllocated{Chain: req.Chain, Address: *reg.Address, Index: uint32(reg.ID)})
			if err != nil {
				return err
			}
			msgs = append(msgs, outbox.Message{Exchange: events.Exchange, RoutingKey: events.AddressKey,
				MessageID: "address:" + *reg.Address, Body: announce})
		}
		return outbox.Add(tx, msgs...)
	})
	if err != nil {
		if db.IsDuplicateKey(err) {
			// Either the same request_id raced on another worker, or the address is
			// registered already: tell which.
			if again, ferr := h.Store.ByRequestID(ctx, req.RequestID); ferr == nil && again != nil {
				return again, h.Publisher.Publish(ctx, h.Names.Exchange, h.Names.TopupReturnKey,
					broker.Message{Body: again.ReturnBody, MessageID: req.RequestID + ":registered"})
			}
			if req.Address != "" {
				return nil, refusal{contract.ErrAddressInUse, "the address is registered under another request_id"}
			}
		}
		return nil, fmt.Errorf("register %s: %w", req.RequestID, err)
	}
	h.OnCommit()
	return reg, nil
}

// refuse answers a request with status 0; it has no other effect.
func (h *Handler) refuse(ctx context.Context, req request, ref refusal) error {
	chain, symbol := req.Chain, req.Symbol
	if chain == "" {
		chain = h.Chain
	}
	if symbol == "" {
		symbol = "USDT"
	}
	body, err := h.Sealer.Seal(returns.Failure(req.RequestID, chain, symbol, ref.code, ref.message))
	if err != nil {
		return err
	}
	return h.Publisher.Publish(ctx, h.Names.Exchange, h.Names.TopupReturnKey,
		broker.Message{Body: body, MessageID: req.RequestID + ":registered:" + ref.code})
}

func (h *Handler) observe(outcome string) {
	if h.Observe != nil {
		h.Observe(outcome)
	}
}

func (h *Handler) now() time.Time {
	if h.Now != nil {
		return h.Now()
	}
	return time.Now()
}

func optional(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}
