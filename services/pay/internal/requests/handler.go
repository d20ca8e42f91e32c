// Package requests handles pay requests: it checks them and hands them to the
// payout engine, once per request_id whatever is repeated or crashes.
package requests

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"net/url"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/rs/zerolog"
	"github.com/shopspring/decimal"
	"gorm.io/gorm"

	"paysuite/pkg/broker"
	"paysuite/pkg/contract"
	"paysuite/pkg/db"
	"paysuite/pkg/money"
	"paysuite/pkg/sign"
	"paysuite/pkg/tokens"
	"paysuite/pkg/txsender"
	"paysuite/services/pay/internal/payouts"
	"paysuite/services/pay/internal/store"
)

// Publisher sends a message and waits for the broker's confirmation.
type Publisher interface {
	Publish(ctx context.Context, exchange, key string, msg broker.Message) error
}

// Handler processes the pay request queue.
type Handler struct {
	DB           *gorm.DB
	Engine       *payouts.Engine
	Sender       *txsender.Sender
	Publisher    Publisher
	Names        contract.Names
	Chain        string
	Tokens       tokens.List
	Secret       []byte
	MaxClockSkew time.Duration
	Sealer       sign.Sealer
	Log          zerolog.Logger
	// OnCommit wakes the outbox relay.
	OnCommit func()
	Now      func() time.Time
}

// request is a checked pay request.
type request struct {
	RequestID   string
	OrderID     string
	Chain       string
	Symbol      string
	Token       tokens.Token
	Amount      decimal.Decimal
	Units       *big.Int
	To          string
	User        string
	CallbackURL string
	amountOK    bool
}

// Handle is the broker handler for the pay request queue.
func (h *Handler) Handle(ctx context.Context, d broker.Delivery) error {
	fields, err := sign.ParseFields(d.Body)
	if err != nil {
		return broker.Poison("not a JSON object")
	}
	var id string
	rawID, ok := fields["request_id"]
	if !ok || json.Unmarshal(rawID, &id) != nil || !contract.ValidRequestID(id) {
		return broker.Poison("missing or invalid request_id")
	}
	log := h.Log.With().Str("request_id", id).Logger()
	req := request{RequestID: id, Chain: h.Chain, Symbol: "USDT"}

	// Unauthenticated requests are answered but leave no trace: they must not be
	// able to claim a request_id.
	if ref := h.authenticate(fields); ref != nil {
		h.defaults(fields, &req)
		log.Info().Str("error", ref.Code).Msg("pay request refused")
		body, err := h.Sealer.Seal(h.Engine.Failure(h.row(req), *ref))
		if err != nil {
			return err
		}
		return h.Publisher.Publish(ctx, h.Names.Exchange, h.Names.PayReturnKey,
			broker.Message{Body: body, MessageID: id + ":" + contract.EventPay + ":" + ref.Code})
	}
	existing, err := store.Find(h.DB.WithContext(ctx), id)
	if err != nil {
		return err
	}
	if existing != nil {
		return h.repeat(ctx, existing)
	}
	ref, err := h.check(ctx, fields, &req)
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
		return h.Engine.Start(ctx, tx, p)
	})
}

// handleTimeout bounds the handling of one request; the request is retried.
const handleTimeout = time.Minute

func (h *Handler) authenticate(fields sign.Fields) *payouts.Refusal {
	if err := sign.Verify(h.Secret, fields); err != nil {
		return &payouts.Refusal{Code: contract.ErrBadSignature, Message: "the sign field does not match the request"}
	}
	if err := sign.CheckTimestamp(fields, h.now(), h.MaxClockSkew); err != nil {
		return &payouts.Refusal{Code: contract.ErrStaleTimestamp, Message: "timestamp missing or too far from the suite's clock"}
	}
	return nil
}

// stringField reads an optional string field; null and "" are absent.
func stringField(fields sign.Fields, name string) (string, bool) {
	raw, ok := fields[name]
	if !ok || string(raw) == "null" {
		return "", true
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return "", false
	}
	return s, true
}

// defaults fills chain and symbol from the request where they are usable, for
// the answer to a request refused before its fields were checked.
func (h *Handler) defaults(fields sign.Fields, req *request) {
	if c, ok := stringField(fields, "chain"); ok && c != "" && len(c) <= 32 {
		req.Chain = c
	}
	if s, ok := stringField(fields, "symbol"); ok && s != "" && len(s) <= 32 {
		req.Symbol = s
		if t, ok := h.Tokens.BySymbol(s); ok {
			req.Symbol = t.Symbol
		}
	}
}

func refuse(code, message string) *payouts.Refusal {
	return &payouts.Refusal{Code: code, Message: message}
}

// check validates the fields in the contract's order and fills req.
func (h *Handler) check(ctx context.Context, fields sign.Fields, req *request) (*payouts.Refusal, error) {
	chain, ok1 := stringField(fields, "chain")
	symbol, ok2 := stringField(fields, "symbol")
	if !ok1 || len(chain) > 32 {
		return refuse(contract.ErrInvalidRequest, "chain must be a string of 1-32 characters"), nil
	}
	if chain != "" {
		req.Chain = chain
	}
	if !ok2 || len(symbol) > 32 {
		return refuse(contract.ErrInvalidRequest, "symbol must be a string of 1-32 characters"), nil
	}
	if symbol != "" {
		req.Symbol = symbol
	}
	orderID, ok := stringField(fields, "order_id")
	if !ok || orderID == "" || len(orderID) > 64 {
		return refuse(contract.ErrInvalidRequest, "order_id must be a string of 1-64 characters"), nil
	}
	req.OrderID = orderID
	if req.Chain != h.Chain {
		return refuse(contract.ErrUnknownChain, "chain "+req.Chain+" is not configured"), nil
	}
	tok, ok := h.Tokens.BySymbol(req.Symbol)
	if !ok {
		return refuse(contract.ErrUnknownToken, "token "+req.Symbol+" is not configured on "+req.Chain), nil
	}
	req.Token, req.Symbol = tok, tok.Symbol
	cb, ok := stringField(fields, "callback_url")
	if !ok || !validCallback(cb) {
		return refuse(contract.ErrInvalidRequest, "callback_url must be an absolute http(s) URL"), nil
	}
	req.CallbackURL = cb
	to, ok := stringField(fields, "to_address")
	if !ok || !contract.ValidAddress(to) {
		return refuse(contract.ErrInvalidAddress, "to_address must be 0x followed by 40 hex digits"), nil
	}
	req.To = contract.NormalizeAddress(to)
	amount, err := money.ParseJSON(fields["amount"], tok.Decimals)
	if err != nil {
		return refuse(contract.ErrInvalidAmount, fmt.Sprintf("amount must be a decimal > 0 with at most %d decimals", tok.Decimals)), nil
	}
	req.Amount, req.Units, req.amountOK = amount, money.ToBaseUnits(amount, tok.Decimals), true
	from, ok := stringField(fields, "from_address")
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
	return nil, nil
}

func validCallback(s string) bool {
	if s == "" {
		return true
	}
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != "" && len(s) <= 2048
}

// row is the stored form of req.
func (h *Handler) row(req request) *store.Payment {
	p := &store.Payment{RequestID: req.RequestID, Chain: req.Chain, Symbol: req.Symbol, AmountUnits: "0",
		State: store.StateSending}
	if req.OrderID != "" {
		p.OrderID = &req.OrderID
	}
	if req.Token.Address != (common.Address{}) {
		t := store.Lower(req.Token.Address)
		p.Token = &t
	}
	if req.amountOK {
		a := money.Format(req.Amount)
		p.Amount, p.AmountUnits = &a, req.Units.String()
	}
	if req.To != "" {
		p.ToAddress = &req.To
	}
	if req.User != "" {
		p.UserAddress = &req.User
	}
	if req.CallbackURL != "" {
		p.CallbackURL = &req.CallbackURL
	}
	return p
}

// store inserts the payment and runs start in one transaction: either a
// transaction is signed and stored (and broadcast after the commit), or the
// refusal is stored as the final answer. A concurrent duplicate of the same
// request_id is answered like any repeat.
func (h *Handler) store(ctx context.Context, req request, log zerolog.Logger,
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
			return h.Engine.FinishRefused(tx, p, ref)
		}
		if err != nil {
			return err
		}
		sent = send
		return nil
	}, &sql.TxOptions{Isolation: sql.LevelReadCommitted})
	if err != nil && db.IsDuplicateKey(err) {
		existing, ferr := store.Find(h.DB.WithContext(ctx), req.RequestID)
		if ferr != nil || existing == nil {
			return fmt.Errorf("pay %s: %w", req.RequestID, err)
		}
		return h.repeat(ctx, existing)
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
	if err := h.Sender.Broadcast(ctx, sent.ID); err != nil {
		log.Warn().Err(err).Msg("broadcast after submit; the tracker will retry")
	}
	h.Sender.Kick()
	return nil
}

// repeat answers a request_id seen before with what it was answered: the final
// return if there is one, else the submitted notice if there is one. Nothing
// else happens: funds never move twice.
func (h *Handler) repeat(ctx context.Context, p *store.Payment) error {
	switch {
	case p.FinalBody != nil:
		return h.Publisher.Publish(ctx, h.Names.Exchange, h.Names.PayReturnKey,
			broker.Message{Body: p.FinalBody, MessageID: p.RequestID + ":" + contract.EventPay})
	case p.SubmittedBody != nil:
		return h.Publisher.Publish(ctx, h.Names.Exchange, h.Names.PayReturnKey,
			broker.Message{Body: p.SubmittedBody, MessageID: p.RequestID + ":" + contract.EventSubmitted})
	}
	return nil
}

func (h *Handler) now() time.Time {
	if h.Now != nil {
		return h.Now()
	}
	return time.Now()
}
