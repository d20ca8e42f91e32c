// Package requests handles order requests: the gate admits them, then it
// checks them, opens the order with its payable address and amount, asks the
// chain-listener to watch the address, and answers with the created return.
package requests

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/rs/zerolog"
	"gorm.io/gorm"

	"paysuite/pkg/broker"
	"paysuite/pkg/config/onchain"
	"paysuite/pkg/contract"
	"paysuite/pkg/events"
	"paysuite/pkg/hdwallet"
	"paysuite/pkg/money"
	"paysuite/pkg/outbox"
	"paysuite/pkg/request"
	"paysuite/pkg/returnhead"
	"paysuite/pkg/sign"
	"paysuite/pkg/tokens"
	"paysuite/services/matcher/internal/returns"
	"paysuite/services/matcher/internal/store"
)

// Limits of the order request (proto/schemas/order.request.json).
const (
	DefaultExpiresIn = 900
	MaxExpiresIn     = 604800
	maxFieldChars    = 32
	maxOrderIDChars  = 64
	maxCallbackBytes = 2048
	// maxInsertAttempts bounds the retries of one order on concurrent inserts
	// (a payable amount taken meanwhile, a deadlock).
	maxInsertAttempts = 200
	// maxAddressIndex is the last non-hardened BIP-32 child index.
	maxAddressIndex = 1<<31 - 1
	// defaultChain is the chain of a request that names none (contract section 2).
	defaultChain = "ETH"
)

// Handler processes the order request queue.
type Handler struct {
	Store *store.Store
	// Gate admits requests: what is not a correctly signed, fresh request
	// never reaches the flow.
	Gate  *request.Gate
	Names contract.Names
	// Chains are the chains orders are payable on, in configuration order.
	Chains []onchain.Chain
	// Keys derives the fresh address of each address-mode order.
	Keys *hdwallet.XPub
	// SharedAddress receives the payments of amount-mode orders (lowercase).
	SharedAddress string
	// OffsetDecimals is the step of the amount-mode offset, 10^-OffsetDecimals
	// tokens, capped at the token's decimals.
	OffsetDecimals int32
	// MaxOffsetSteps bounds the offset search.
	MaxOffsetSteps int
	// Heads read each chain's head (never later than the true one), by
	// chain name, sent with each order address to the listener as the block
	// from which its transfers on that chain must be found; optional.
	Heads map[string]Head
	// Internal seals the watch requests for the listener and the webhooks of
	// returns for the notifier.
	Internal events.Keys
	Sealer   sign.Sealer
	Log      zerolog.Logger
	// OnCommit wakes the outbox relay.
	OnCommit func()
	// CheckoutBase is the public base URL of the checkout: the created
	// return of an open order carries its page there. Empty: no checkout_url.
	CheckoutBase string
}

// Outcome says how a request was answered.
type Outcome int

// Outcomes of a request.
const (
	// Opened: a new order, answered with its created return.
	Opened Outcome = iota + 1
	// Repeated: a known request_id, answered with its stored created return.
	Repeated
	// Refused: answered with a status-0 created return, nothing stored.
	Refused
	// Rejected: not a request (contract section 3), answered with a rejected
	// return.
	Rejected
)

// Answer is what a request was answered with: Body is the return, byte for
// byte as the return queue got it (a rejected answer over HTTP goes nowhere
// else).
type Answer struct {
	Outcome Outcome
	Body    []byte
	// Code is the error code of a refusal or rejection.
	Code string
}

// Unreadable is a body that cannot be answered with a return (not a JSON
// object, no usable request_id): the queue dead-letters it.
type Unreadable struct{ Reason string }

func (u Unreadable) Error() string { return "unreadable request: " + u.Reason }

// Head reads a chain's newest block number.
type Head interface {
	Number(ctx context.Context) (uint64, error)
}

// orderRequest is a checked order request.
type orderRequest struct {
	RequestID   string
	OrderID     string
	Chain       string // a chain's name, or store.AnyChain
	Symbol      string
	Amount      string // canonical decimal, set once valid
	Mode        string
	ExpiresIn   int64
	CallbackURL string
	// offers are the chains the order is payable on, with the token there.
	offers []offer
	// decimals are the fewest among the offered tokens: amountBase's.
	decimals   int32
	amountBase *big.Int
}

// offer is a chain an order is payable on and the token requested there.
type offer struct {
	chain string
	token tokens.Token
}

// Handle is the broker handler for pay.order.queue.
func (h *Handler) Handle(ctx context.Context, d broker.Delivery) error {
	return h.Gate.Handle(ctx, d, func(ctx context.Context, env request.Envelope) error {
		_, err := h.accept(ctx, env)
		return err
	})
}

// Submit runs the flow for a request made over HTTP and returns its answer:
// the gate's checks, then the same accept path as a request from the queue,
// so that the two are one request when they share a request_id. The
// created and refusal returns go to the return queue (and webhooks) as
// for the queue; a rejected return only answers the caller, since what the
// suite did not authenticate puts nothing on a business system's queue.
// A body without a usable request_id is Unreadable.
func (h *Handler) Submit(ctx context.Context, body []byte) (Answer, error) {
	env, err := h.Gate.Admit(body)
	var rej request.Rejection
	switch {
	case errors.As(err, &rej):
		return h.reject(ctx, env.RequestID, rej)
	case err != nil:
		if reason, poison := broker.IsPoison(err); poison {
			return Answer{}, Unreadable{Reason: reason}
		}
		return Answer{}, err
	}
	return h.accept(ctx, env)
}

// reject answers a message that is not a request, as request.Gate does: a
// correctly signed stale repeat of a known request_id gets its stored return.
func (h *Handler) reject(ctx context.Context, requestID string, rej request.Rejection) (Answer, error) {
	if rej.Code == contract.ErrStaleTimestamp {
		existing, err := h.Store.ByRequestID(ctx, requestID)
		if err != nil {
			return Answer{}, err
		}
		if existing != nil {
			return h.resend(ctx, existing)
		}
	}
	h.Log.Info().Str("request_id", requestID).Str("error", rej.Code).Msg("message rejected")
	body, err := h.Sealer.Seal(returns.Rejected(requestID, rej.Code, rej.Message))
	if err != nil {
		return Answer{}, err
	}
	return Answer{Outcome: Rejected, Body: body, Code: rej.Code}, nil
}

// Replay answers a correctly signed repeat of requestID whatever its
// timestamp (request.Gate): a known order gets its created return again.
func (h *Handler) Replay(ctx context.Context, requestID string) (bool, error) {
	existing, err := h.Store.ByRequestID(ctx, requestID)
	if err != nil || existing == nil {
		return false, err
	}
	_, err = h.resend(ctx, existing)
	return true, err
}

// accept handles an admitted request: a new one opens its order, a repeated
// one gets the original answer, an invalid one is refused.
func (h *Handler) accept(ctx context.Context, env request.Envelope) (Answer, error) {
	req := orderRequest{RequestID: env.RequestID}
	log := h.Log.With().Str("request_id", req.RequestID).Logger()
	// A repeated request_id gets the original answer, whatever it carries now.
	if existing, err := h.Store.ByRequestID(ctx, req.RequestID); err != nil {
		return Answer{}, err
	} else if existing != nil {
		return h.resend(ctx, existing)
	}
	if ref := h.check(env.Fields, &req); ref != nil {
		log.Info().Str("error", ref.Code).Msg("order request refused")
		return h.refuse(ctx, req, *ref)
	}
	if other, err := h.Store.ByOrderID(ctx, req.OrderID); err != nil {
		return Answer{}, err
	} else if other != nil && other.RequestID == req.RequestID {
		// Opened by another worker or replica since the look-up above.
		return h.resend(ctx, other)
	} else if other != nil {
		log.Info().Str("order_id", req.OrderID).Str("other_request_id", other.RequestID).Msg("order_id already used")
		return h.refuse(ctx, req, request.Refusal{Code: contract.ErrConflict, Message: "order_id is already used by another request_id"})
	}

	o, opened, err := h.open(ctx, req)
	var ref request.Refusal
	switch {
	case errors.As(err, &ref):
		log.Info().Str("error", ref.Code).Msg("order request refused")
		return h.refuse(ctx, req, ref)
	case err != nil:
		return Answer{}, err
	case !opened:
		// The same request_id raced on another worker or replica: answer as it did.
		return h.resend(ctx, o)
	}
	log.Info().Str("order_id", o.OrderID).Str("chain", o.Chain).Str("mode", o.Mode).Str("pay_address", o.PayAddress).
		Str("pay_amount", o.PayAmount).Msg("order opened")
	return Answer{Outcome: Opened, Body: o.CreatedBody}, nil
}

// defaults fills chain and symbol for an answer to a request whose fields were
// not read.
func (h *Handler) defaults(req *orderRequest) {
	if req.Chain == "" {
		req.Chain = h.defaultChain()
	}
	if req.Symbol == "" {
		req.Symbol = "USDT"
	}
}

// check validates the fields and fills req; values are set only once valid, so
// that a refusal echoes nothing invalid. A valid callback_url is read first:
// a refusal on another field is a return of the request too, and goes there.
func (h *Handler) check(fields sign.Fields, req *orderRequest) *request.Refusal {
	callback, callbackOK := stringField(fields, "callback_url", maxCallbackBytes)
	callbackOK = callbackOK && (callback == "" || validCallback(callback))
	if callbackOK {
		req.CallbackURL = callback
	}
	chain, chainOK := stringField(fields, "chain", maxFieldChars)
	symbol, symbolOK := stringField(fields, "symbol", maxFieldChars)
	if chainOK {
		req.Chain = chain
	}
	if symbolOK {
		req.Symbol = symbol
	}
	h.defaults(req)
	if !chainOK {
		return &request.Refusal{Code: contract.ErrInvalidRequest, Message: "chain must be a string of 1-32 characters"}
	}
	if !symbolOK {
		return &request.Refusal{Code: contract.ErrInvalidRequest, Message: "symbol must be a string of 1-32 characters"}
	}
	orderID, ok := stringField(fields, "order_id", maxOrderIDChars)
	if !ok || orderID == "" {
		return &request.Refusal{Code: contract.ErrInvalidRequest, Message: "order_id must be a string of 1-64 characters"}
	}
	req.OrderID = orderID

	offers, ref := h.offersOf(req.Chain, req.Symbol)
	if ref != nil {
		return ref
	}
	req.Symbol, req.offers, req.decimals = offers[0].token.Symbol, offers, offers[0].token.Decimals
	for _, o := range offers {
		req.decimals = min(req.decimals, o.token.Decimals)
	}
	// An amount payable on each offered chain fits the fewest decimals.
	amount, err := money.ParseJSON(fields["amount"], req.decimals)
	if err != nil {
		return &request.Refusal{Code: contract.ErrInvalidAmount, Message: err.Error()}
	}
	req.Amount, req.amountBase = money.Format(amount), money.ToBaseUnits(amount, req.decimals)

	mode, ok := stringField(fields, "mode", maxFieldChars)
	switch {
	case !ok:
		return &request.Refusal{Code: contract.ErrInvalidRequest, Message: "mode must be address or amount"}
	case mode == "":
		req.Mode = store.ModeAddress
	case mode == store.ModeAddress || mode == store.ModeAmount:
		req.Mode = mode
	default:
		return &request.Refusal{Code: contract.ErrInvalidRequest, Message: "mode must be address or amount"}
	}
	expiresIn, ok := integerField(fields, "expires_in")
	switch {
	case !ok || expiresIn > MaxExpiresIn || (expiresIn < 1 && expiresIn != 0):
		return &request.Refusal{Code: contract.ErrInvalidRequest, Message: fmt.Sprintf("expires_in must be an integer of 1-%d seconds", MaxExpiresIn)}
	case expiresIn == 0:
		req.ExpiresIn = DefaultExpiresIn
	default:
		req.ExpiresIn = expiresIn
	}
	if !callbackOK {
		return &request.Refusal{Code: contract.ErrInvalidRequest, Message: "callback_url must be an absolute http(s) URL"}
	}
	return nil
}

// defaultChain is the chain of a request that names none: ETH, or in a
// deployment without ETH (CHAIN=POLY) its first chain, as before lists.
func (h *Handler) defaultChain() string {
	if len(h.Chains) == 0 || slices.ContainsFunc(h.Chains, func(ch onchain.Chain) bool { return ch.Name == defaultChain }) {
		return defaultChain
	}
	return h.Chains[0].Name
}

// offersOf resolves a request's chain and symbol into the chains the order is
// payable on: the chain named, or with store.AnyChain every configured chain
// where the token is configured, in configuration order.
func (h *Handler) offersOf(chain, symbol string) ([]offer, *request.Refusal) {
	var offers []offer
	known := chain == store.AnyChain
	for _, ch := range h.Chains {
		if chain != store.AnyChain && ch.Name != chain {
			continue
		}
		known = true
		if tok, ok := ch.Tokens.BySymbol(symbol); ok {
			offers = append(offers, offer{chain: ch.Name, token: tok})
		}
	}
	switch {
	case !known:
		return nil, &request.Refusal{Code: contract.ErrUnknownChain, Message: "chain " + chain + " is not configured"}
	case len(offers) == 0 && chain == store.AnyChain:
		return nil, &request.Refusal{Code: contract.ErrUnknownToken, Message: "token " + symbol + " is not configured on any chain"}
	case len(offers) == 0:
		return nil, &request.Refusal{Code: contract.ErrUnknownToken, Message: "token " + symbol + " is not configured on " + chain}
	}
	return offers, nil
}

// open records the order with its payable address and amount, the watch request
// for the listener and the created return, in one transaction per attempt.
// opened is false when another worker or replica recorded the same
// request_id first: o is then that order.
func (h *Handler) open(ctx context.Context, req orderRequest) (o *store.Order, opened bool, err error) {
	for attempt := 0; attempt < maxInsertAttempts; attempt++ {
		var payAmount *big.Int
		if req.Mode == store.ModeAmount {
			if payAmount, err = h.freePayAmount(ctx, req); err != nil {
				return nil, false, err
			}
		} else {
			payAmount = req.amountBase
		}
		o, err := h.insert(ctx, req, payAmount)
		switch conflict := store.Conflict(err); {
		case err == nil:
			h.OnCommit()
			return o, true, nil
		case conflict == store.ConflictRequestID, conflict == store.ConflictOrderID:
			// The same request_id recorded first by another worker or replica
			// collides on either key (the database names the first it checks):
			// it is a repeat. Only an order_id held by another request_id is a
			// conflict.
			existing, ferr := h.Store.ByRequestID(ctx, req.RequestID)
			if ferr != nil {
				return nil, false, fmt.Errorf("open order %s: %w", req.RequestID, ferr)
			}
			if existing != nil {
				return existing, false, nil
			}
			if conflict == store.ConflictOrderID {
				return nil, false, request.Refusal{Code: contract.ErrConflict, Message: "order_id is already used by another request_id"}
			}
			return nil, false, fmt.Errorf("open order %s: %w", req.RequestID, err)
		case conflict == store.ConflictSlot, store.Retryable(err):
			// Another order took this payable amount first, or the database chose
			// this transaction as a deadlock victim: look again.
			continue
		default:
			var ref request.Refusal
			if errors.As(err, &ref) {
				return nil, false, ref
			}
			return nil, false, fmt.Errorf("open order %s: %w", req.RequestID, err)
		}
	}
	return nil, false, fmt.Errorf("open order %s: gave up after %d conflicting attempts", req.RequestID, maxInsertAttempts)
}

// freePayAmount returns the smallest amount + k×step that no open order for
// the token on the shared address has, on any offered chain; the step fits the
// fewest decimals among the offered tokens. It is only a candidate: the unique
// index on the open payable amounts decides, and a lost race is retried.
func (h *Handler) freePayAmount(ctx context.Context, req orderRequest) (*big.Int, error) {
	offsetDecimals := min(h.OffsetDecimals, req.decimals)
	step := new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(req.decimals-offsetDecimals)), nil)
	hi := new(big.Int).Mul(step, big.NewInt(int64(h.MaxOffsetSteps)))
	hi.Add(hi, req.amountBase)
	taken := make([]map[string]bool, len(req.offers))
	for i, o := range req.offers {
		var err error
		taken[i], err = h.Store.OpenPayAmounts(ctx, o.chain, h.SharedAddress, req.Symbol,
			store.Rescale(req.amountBase, req.decimals, o.token.Decimals), store.Rescale(hi, req.decimals, o.token.Decimals))
		if err != nil {
			return nil, err
		}
	}
	free := func(cand *big.Int) bool {
		for i, o := range req.offers {
			if taken[i][store.Rescale(cand, req.decimals, o.token.Decimals).String()] {
				return false
			}
		}
		return true
	}
	cand := new(big.Int).Set(req.amountBase)
	for range h.MaxOffsetSteps + 1 {
		if free(cand) {
			return cand, nil
		}
		cand.Add(cand, step)
	}
	return nil, request.Refusal{Code: contract.ErrInternal, Message: "no unique payable amount is free for this amount on the shared address"}
}

// head is chain's head read before an order address is handed out (no
// transfer into it can be in an earlier block), or nil when it is not known:
// the listener then looks back its fixed window.
func (h *Handler) head(ctx context.Context, chain string) *uint64 {
	head, ok := h.Heads[chain]
	if !ok {
		return nil
	}
	n, err := head.Number(ctx)
	if err != nil {
		h.Log.Warn().Err(err).Str("chain", chain).Msg("chain head unknown: the order address is registered without its hand-out block")
		return nil
	}
	return &n
}

// insert runs one attempt at recording the order.
func (h *Handler) insert(ctx context.Context, req orderRequest, payAmount *big.Int) (*store.Order, error) {
	o := &store.Order{RequestID: req.RequestID, OrderID: req.OrderID, Chain: req.Chain, Symbol: req.Symbol,
		Decimals: req.decimals, Amount: req.amountBase.String(), PayAmount: payAmount.String(),
		Mode: req.Mode, State: store.StateOpen}
	offers := make([]store.Offer, len(req.offers))
	names := make([]string, len(req.offers))
	from := make([]*uint64, len(req.offers))
	for i, off := range req.offers {
		offers[i], names[i] = store.Offer{Chain: off.chain, Decimals: off.token.Decimals}, off.chain
		if req.Mode == store.ModeAddress {
			from[i] = h.head(ctx, off.chain)
		}
	}
	if req.Chain == store.AnyChain {
		o.Chains = strings.Join(names, ",")
	}
	token, err := NewCheckoutToken()
	if err != nil {
		return nil, err
	}
	err = h.Store.DB().WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var msgs []outbox.Message
		if req.Mode == store.ModeAddress {
			index, err := store.AllocateIndex(tx)
			if err != nil {
				return err
			}
			if index > maxAddressIndex {
				return request.Refusal{Code: contract.ErrInternal, Message: "the order address space is exhausted"}
			}
			addr, err := h.Keys.Address(uint32(index))
			if err != nil {
				return fmt.Errorf("derive order address %d: %w", index, err)
			}
			o.PayAddress, o.AddressIndex = strings.ToLower(addr.Hex()), &index
			// The derived address serves every offered chain: each chain's
			// listener watches it from that chain's head.
			for i, chain := range names {
				watch, err := WatchMessage(h.Internal, chain, o.PayAddress, from[i])
				if err != nil {
					return err
				}
				msgs = append(msgs, watch)
			}
		} else {
			o.PayAddress = h.SharedAddress
		}
		id, expiresAt, err := store.InsertOrder(tx, store.NewOrder{
			RequestID: req.RequestID, OrderID: req.OrderID, Chain: req.Chain, Offers: offers, Symbol: req.Symbol,
			Decimals: req.decimals, Amount: req.amountBase, PayAddress: o.PayAddress, PayAmount: payAmount,
			Mode: req.Mode, AddressIndex: o.AddressIndex, ExpiresIn: req.ExpiresIn, CallbackURL: req.CallbackURL,
		})
		if err != nil {
			return err
		}
		o.ID, o.ExpiresAt = id, expiresAt
		if err := store.SetCheckoutToken(tx, id, token); err != nil {
			return err
		}
		body, err := h.Sealer.Seal(returns.Created{
			Head:    returnhead.Head{RequestID: req.RequestID, Event: contract.EventCreated, Status: contract.StatusSuccess},
			OrderID: req.OrderID, Chain: req.Chain, Chains: o.Chains, Symbol: req.Symbol, Amount: req.Amount,
			PayAddress: o.PayAddress, PayAmount: money.Format(money.FromBaseUnits(payAmount, req.decimals)),
			ExpiresAt: &expiresAt, Mode: req.Mode, CheckoutURL: returns.CheckoutURL(h.CheckoutBase, token),
		})
		if err != nil {
			return err
		}
		if err := store.SetCreatedBody(tx, id, body); err != nil {
			return err
		}
		o.CreatedBody = body
		created, err := events.Return{RequestID: req.RequestID, CallbackURL: &req.CallbackURL,
			MessageID: req.RequestID + ":created", Body: body}.Messages(h.Internal, h.Names.Exchange, h.Names.Order())
		if err != nil {
			return err
		}
		return outbox.Add(tx, append(msgs, created...)...)
	})
	if err != nil {
		return nil, err
	}
	return o, nil
}

// NewCheckoutToken is a random, unguessable token naming an order's checkout
// page: 16 bytes from crypto/rand, base64url without padding.
func NewCheckoutToken() (string, error) {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("checkout token: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// WatchMessage asks chain's listener to watch address for the matcher,
// from block from when it is known.
func WatchMessage(keys events.Keys, chain, address string, from *uint64) (outbox.Message, error) {
	return keys.Message(events.WatchKey, "watch:"+chain+":"+address,
		events.WatchAddress{Chain: chain, Address: address, Owner: events.OwnerMatcher, FromBlock: from})
}

// resend publishes the stored created return again, byte for byte; its
// webhook went with it the first time.
func (h *Handler) resend(ctx context.Context, o *store.Order) (Answer, error) {
	err := h.Store.DB().WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		return outbox.Add(tx, outbox.Message{Exchange: h.Names.Exchange, RoutingKey: h.Names.OrderReturnKey,
			MessageID: o.RequestID + ":created", Body: o.CreatedBody})
	})
	if err != nil {
		return Answer{}, fmt.Errorf("resend created return of %s: %w", o.RequestID, err)
	}
	h.OnCommit()
	return Answer{Outcome: Repeated, Body: o.CreatedBody}, nil
}

// refuse answers a request with status 0 (and so to its callback_url); it
// has no other effect.
func (h *Handler) refuse(ctx context.Context, req orderRequest, ref request.Refusal) (Answer, error) {
	h.defaults(&req)
	body, err := h.Sealer.Seal(returns.Refusal(req.RequestID, req.OrderID, req.Chain, req.Symbol, req.Amount,
		ref.Code, ref.Message))
	if err != nil {
		return Answer{}, err
	}
	msgs, err := events.Return{RequestID: req.RequestID, CallbackURL: &req.CallbackURL,
		MessageID: req.RequestID + ":created:" + ref.Code, Body: body}.Messages(h.Internal, h.Names.Exchange, h.Names.Order())
	if err != nil {
		return Answer{}, err
	}
	err = h.Store.DB().WithContext(ctx).Transaction(func(tx *gorm.DB) error { return outbox.Add(tx, msgs...) })
	if err != nil {
		return Answer{}, fmt.Errorf("refuse %s: %w", req.RequestID, err)
	}
	h.OnCommit()
	return Answer{Outcome: Refused, Body: body, Code: ref.Code}, nil
}

// stringField reads an optional string field of at most maxChars characters;
// null and "" read as "". ok is false for any other type or a longer string.
func stringField(fields sign.Fields, name string, maxChars int) (string, bool) {
	raw := bytes.TrimSpace(fields[name])
	if len(raw) == 0 || string(raw) == "null" {
		return "", true
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return "", false
	}
	if utf8.RuneCountInString(s) > maxChars {
		return "", false
	}
	return s, true
}

// integerField reads an optional integer field written as a plain JSON integer;
// absent, null and "" read as 0.
func integerField(fields sign.Fields, name string) (int64, bool) {
	raw := bytes.TrimSpace(fields[name])
	if len(raw) == 0 || string(raw) == "null" || string(raw) == `""` {
		return 0, true
	}
	n, err := strconv.ParseInt(string(raw), 10, 64)
	if err != nil {
		return 0, false
	}
	if n == 0 {
		return -1, true // an explicit 0 is out of range, not "absent"
	}
	return n, true
}

func validCallback(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != ""
}
