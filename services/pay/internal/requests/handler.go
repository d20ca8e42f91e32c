// Package requests handles pay requests: it checks them and hands them to the
// payout engine, once per request_id whatever is repeated or crashes.
package requests

import (
	"context"
	"database/sql"
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
	"paysuite/pkg/request"
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
	DB        *gorm.DB
	Engine    *payouts.Engine
	Sender    *txsender.Sender
	Publisher Publisher
	Names     contract.Names
	Chain     string
	Tokens    tokens.List
	// Secrets verify requests, the current one first (config SignSecrets);
	// Sealer signs the returns with the current one.
	Secrets      [][]byte
	MaxClockSkew time.Duration
	Sealer       sign.Sealer
	// SuiteAddresses are the suite's other own wallets (withdraw's hot
	// wallet): like pay's hot wallet, the token contracts, the suite's
	// deposit addresses and the zero address, they are refused as recipients.
	SuiteAddresses []common.Address
	Log            zerolog.Logger
	// OnCommit wakes the outbox relay.
	OnCommit func()
	Now      func() time.Time
}

// payRequest is a checked pay request.
type payRequest struct {
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

// Handle is the broker handler for the pay request queue: the intake passes
// on what is a request and answers anything else itself.
func (h *Handler) Handle(ctx context.Context, d broker.Delivery) error {
	return h.intake().Handle(ctx, d, h.accept)
}

// accept handles an authenticated request: a repeat gets its stored returns,
// a new one is checked, then handed to the payout engine.
func (h *Handler) accept(ctx context.Context, env request.Envelope) error {
	id := env.RequestID
	log := h.Log.With().Str("request_id", id).Logger()
	req := payRequest{RequestID: id, Chain: h.Chain, Symbol: "USDT"}
	if known, err := h.replay(ctx, id); err != nil || known {
		return err
	}
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
		return h.Engine.Start(ctx, tx, p)
	})
}

// handleTimeout bounds the handling of one request; the request is retried.
const handleTimeout = time.Minute

// Limits of the request's strings, in bytes as they have always been counted
// here (env.Bytes): a chain of 32 characters but more bytes
// stays an invalid_request rather than an unknown_chain.
const (
	maxNameBytes     = 32 // chain, symbol
	maxOrderIDBytes  = 64
	maxCallbackBytes = 2048
	addressBytes     = 42
)

func refuse(code, message string) *payouts.Refusal {
	return &payouts.Refusal{Code: code, Message: message}
}

// check validates the fields in the contract's order and fills req. A valid
// callback_url is read first: a refusal on another field is a return of the
// request too, and goes there.
func (h *Handler) check(ctx context.Context, env request.Envelope, req *payRequest) (*payouts.Refusal, error) {
	cb, cbOK := env.Bytes("callback_url", maxCallbackBytes)
	cbOK = cbOK && validCallback(cb)
	if cbOK {
		req.CallbackURL = cb
	}
	chain, chainOK := env.Bytes("chain", maxNameBytes)
	symbol, symbolOK := env.Bytes("symbol", maxNameBytes)
	if !chainOK {
		return refuse(contract.ErrInvalidRequest, "chain must be a string of 1-32 characters"), nil
	}
	if chain != "" {
		req.Chain = chain
	}
	if !symbolOK {
		return refuse(contract.ErrInvalidRequest, "symbol must be a string of 1-32 characters"), nil
	}
	if symbol != "" {
		req.Symbol = symbol
	}
	orderID, ok := env.Bytes("order_id", maxOrderIDBytes)
	if !ok || orderID == "" {
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
	if !cbOK {
		return refuse(contract.ErrInvalidRequest, "callback_url must be an absolute http(s) URL"), nil
	}
	to, ok := env.Bytes("to_address", addressBytes)
	if !ok || !contract.ValidAddress(to) {
		return refuse(contract.ErrInvalidAddress, "to_address must be 0x followed by 40 hex digits"), nil
	}
	req.To = contract.NormalizeAddress(to)
	amount, err := money.ParseJSON(env.Fields["amount"], tok.Decimals)
	if err != nil {
		return refuse(contract.ErrInvalidAmount, fmt.Sprintf("amount must be a decimal > 0 with at most %d decimals, below 10^%d base units",
			tok.Decimals, money.MaxBaseUnitDigits)), nil
	}
	req.Amount, req.Units, req.amountOK = amount, money.ToBaseUnits(amount, tok.Decimals), true
	from, ok := env.Bytes("from_address", addressBytes)
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
	ref, err := h.recipients().Check(ctx, req.Chain, "to_address", common.HexToAddress(req.To))
	if err != nil || ref == nil {
		return nil, err
	}
	return refuse(ref.Code, ref.Message), nil
}

// recipients is the rule of the addresses a payment must not pay.
func (h *Handler) recipients() request.Recipients {
	return request.Recipients{Tokens: h.Tokens.Addresses(), Own: append([]common.Address{h.Engine.HotWallet}, h.SuiteAddresses...),
		Deposit: func(ctx context.Context, chain string, addr common.Address) (bool, error) {
			known, err := store.FindAddress(h.DB.WithContext(ctx), chain, addr)
			return known != nil, err
		}}
}

func validCallback(s string) bool {
	if s == "" {
		return true
	}
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != ""
}

// row is the stored form of req.
func (h *Handler) row(req payRequest) *store.Payment {
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
