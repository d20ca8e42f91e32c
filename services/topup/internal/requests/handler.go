// Package requests handles topup requests: the gate admits them, then it
// checks them, allocates or records the address to watch, asks the
// chain-listener to watch it, and answers.
package requests

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"slices"
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
	"paysuite/pkg/request"
	"paysuite/pkg/returnhead"
	"paysuite/pkg/sign"
	"paysuite/pkg/tokens"
	"paysuite/services/topup/internal/returns"
	"paysuite/services/topup/internal/store"
)

// Publisher sends a message and waits for the broker's confirmation.
type Publisher interface {
	Publish(ctx context.Context, exchange, key string, msg broker.Message) error
}

// HeadReader reads the chain head.
type HeadReader interface {
	Number(ctx context.Context) (uint64, error)
}

// Chain is a chain requests may name.
type Chain struct {
	Name   string
	Tokens tokens.List
	// Head reads the chain's head (never later than the true one), sent with
	// each address to the listener as the block from which its transfers
	// must be found; optional.
	Head HeadReader
}

// AllChains is the chain of a request for one address on every configured
// chain that serves its token: the same derived (or given) address is
// registered, and watched, on each of them.
const AllChains = "*"

// defaultChain is the chain of a request that names none (contract section 2).
const defaultChain = "ETH"

// maxIndex is the last derivation index of a deposit address: the extended
// public key derives non-hardened children only, below 2^31.
const maxIndex = 1<<31 - 1

// AlertAddressesExhausted is raised when a registration's id, its derivation
// index, is beyond maxIndex: no address can be allocated until an operator
// acts (a new TOPUP_XPUB and a fresh schema).
const AlertAddressesExhausted = "addresses_exhausted"

// errAddressesExhausted fails the registration of an allocated address whose
// id is beyond maxIndex; the request is refused and an operator alerted.
var errAddressesExhausted = errors.New("no deposit address left to allocate: registration id beyond the last derivation index")

// Handler processes the topup request queue.
type Handler struct {
	Store     *store.Store
	Publisher Publisher
	// Gate admits requests: what is not a correctly signed, fresh request
	// never reaches the flow.
	Gate  *request.Gate
	Names contract.Names
	// Chains are the configured chains, in configuration order. A request
	// naming none is for ETH, or where ETH is not configured for the first
	// (a single-chain deployment keeps its CHAIN as the default).
	Chains []Chain
	Keys   *hdwallet.XPub
	// WatchHistory is how many blocks before the head transfers into a given
	// (watched, not allocated) address are looked for.
	WatchHistory uint64
	// Internal seals the address lists for the listener and pay, and the
	// webhooks of returns for the notifier.
	Internal events.Keys
	Sealer   sign.Sealer
	Log      zerolog.Logger
	// OnCommit wakes the outbox relay.
	OnCommit func()
	// Observe counts requests by outcome (registered, repeated, or an error code); optional.
	Observe func(outcome string)
}

// topupRequest is a checked topup request; unknown fields are ignored.
type topupRequest struct {
	RequestID   string `json:"request_id"`
	Chain       string `json:"chain"`
	Symbol      string `json:"symbol"`
	Address     string `json:"address"`
	UserID      string `json:"user_id"`
	CallbackURL string `json:"callback_url"`
	// Chains are the chains the request covers, in configuration order.
	Chains []string `json:"-"`
}

// Handle is the broker handler for pay.topup.queue.
func (h *Handler) Handle(ctx context.Context, d broker.Delivery) error {
	return h.Gate.Handle(ctx, d, h.accept)
}

// accept handles an admitted request: a new one registers its address, a
// repeated one gets the original answer, an invalid one is refused.
func (h *Handler) accept(ctx context.Context, env request.Envelope) error {
	req := topupRequest{RequestID: env.RequestID}
	log := h.Log.With().Str("request_id", req.RequestID).Logger()

	// A known request_id is the same request whatever its other fields (a
	// chain, a symbol, even an invalid one): the first answer stands, as for
	// a stale repeat (Replay).
	if known, err := h.Replay(ctx, req.RequestID); known || err != nil {
		return err
	}
	if err := h.check(env, &req); err != nil {
		var ref request.Refusal
		if !errors.As(err, &ref) {
			return err
		}
		log.Info().Str("error", ref.Code).Msg("topup request refused")
		h.observe(ref.Code)
		return h.refuse(ctx, req, ref)
	}
	existing, err := h.register(ctx, req)
	if errors.Is(err, errAddressesExhausted) {
		log.Error().Err(err).Msg("topup request refused")
		if err := h.alertExhausted(ctx, req); err != nil {
			return err
		}
		err = request.Refusal{Code: contract.ErrInternal, Message: "no deposit address can be allocated; an operator is alerted"}
	}
	var ref request.Refusal
	if errors.As(err, &ref) {
		h.observe(ref.Code)
		return h.refuse(ctx, req, ref)
	}
	if err != nil {
		return err
	}
	log.Info().Str("address", *existing.Address).Str("chain", existing.Chain).Msg("address registered")
	h.observe("registered")
	return nil
}

// Replay answers a correctly signed repeat of requestID whatever its
// timestamp (request.Gate): a known request gets its original answer.
func (h *Handler) Replay(ctx context.Context, requestID string) (bool, error) {
	existing, err := h.Store.ByRequestID(ctx, requestID)
	if err != nil || existing == nil {
		return false, err
	}
	h.observe("repeated")
	return true, h.resend(ctx, existing)
}

// resend publishes the answer of a registration again, byte for byte.
func (h *Handler) resend(ctx context.Context, reg *store.Registration) error {
	return h.Publisher.Publish(ctx, h.Names.Exchange, h.Names.TopupReturnKey,
		broker.Message{Body: reg.ReturnBody, MessageID: reg.RequestID + ":registered"})
}

// check validates the fields of an admitted request, filling req. A valid
// callback_url is read first: a refusal on another field is a return of the
// request too, and goes there.
func (h *Handler) check(env request.Envelope, req *topupRequest) error {
	callback, callbackErr := env.String("callback_url", 2048)
	callbackOK := callbackErr == nil && validCallback(callback)
	if callbackOK {
		req.CallbackURL = callback
	}
	var err error
	for _, f := range []struct {
		name string
		max  int
		dst  *string
	}{
		{"chain", 32, &req.Chain}, {"symbol", 32, &req.Symbol}, {"address", 42, &req.Address},
		{"user_id", 64, &req.UserID},
	} {
		if *f.dst, err = env.String(f.name, f.max); err != nil {
			if f.name == "address" {
				return request.Refusal{Code: contract.ErrInvalidAddress, Message: "address must be 0x followed by 40 hex digits"}
			}
			return err
		}
	}
	if callbackErr != nil {
		return callbackErr
	}
	if req.Chain == "" {
		req.Chain = h.defaultChain()
	}
	if req.Symbol == "" {
		req.Symbol = "USDT"
	}
	if err := h.cover(req); err != nil {
		return err
	}
	if req.Address != "" {
		if !contract.ValidAddress(req.Address) {
			return request.Refusal{Code: contract.ErrInvalidAddress, Message: "address must be 0x followed by 40 hex digits"}
		}
		req.Address = contract.NormalizeAddress(req.Address)
	}
	if !callbackOK {
		return request.Refusal{Code: contract.ErrInvalidRequest, Message: "callback_url must be an absolute http(s) URL"}
	}
	return nil
}

// cover sets the chains req covers and its symbol as configured: the chain
// it names, or for AllChains every configured chain serving its token.
func (h *Handler) cover(req *topupRequest) error {
	named := false
	for _, ch := range h.Chains {
		if req.Chain != AllChains && ch.Name != req.Chain {
			continue
		}
		named = true
		if tok, ok := ch.Tokens.BySymbol(req.Symbol); ok {
			req.Chains = append(req.Chains, ch.Name)
			req.Symbol = tok.Symbol
		}
	}
	switch {
	case !named:
		return request.Refusal{Code: contract.ErrUnknownChain, Message: "chain " + req.Chain + " is not configured"}
	case len(req.Chains) == 0 && req.Chain == AllChains:
		return request.Refusal{Code: contract.ErrUnknownToken, Message: "token " + req.Symbol + " is not configured on any chain"}
	case len(req.Chains) == 0:
		return request.Refusal{Code: contract.ErrUnknownToken, Message: "token " + req.Symbol + " is not configured on " + req.Chain}
	}
	return nil
}

// defaultChain is the chain of a request that names none.
func (h *Handler) defaultChain() string {
	for _, ch := range h.Chains {
		if ch.Name == defaultChain {
			return defaultChain
		}
	}
	if len(h.Chains) == 0 {
		return defaultChain
	}
	return h.Chains[0].Name
}

// validCallback tells an absent callback_url or an absolute http(s) URL.
func validCallback(s string) bool {
	if s == "" {
		return true
	}
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != ""
}

// errHandleAlone fails a batch that holds anything but new, admitted, valid
// requests for distinct addresses: the broker then hands each of its requests
// to Handle.
var errHandleAlone = errors.New("batch holds a request to handle alone")

// HandleBatch registers several new, valid requests in one transaction with a
// fixed number of statements: under load it saves a commit and several round
// trips per request. Anything else (a message the gate does not admit, a
// refusal, a repeat, an address taken) fails the batch, whose requests Handle
// then takes one by one.
func (h *Handler) HandleBatch(ctx context.Context, ds []broker.Delivery) error {
	regs := make([]*store.Registration, 0, len(ds))
	requestIDs := make([]string, 0, len(ds))
	seen := map[string]bool{}
	for _, d := range ds {
		env, err := h.Gate.Admit(d.Body)
		if err != nil {
			return errHandleAlone
		}
		req := topupRequest{RequestID: env.RequestID}
		if err := h.check(env, &req); err != nil {
			return errHandleAlone
		}
		if seen["request:"+req.RequestID] || (req.Address != "" && seen["address:"+req.Address]) {
			return errHandleAlone
		}
		seen["request:"+req.RequestID], seen["address:"+req.Address] = true, true
		regs = append(regs, newRegistration(req))
		requestIDs = append(requestIDs, req.RequestID)
	}
	known, err := h.Store.AnyRequestID(ctx, requestIDs)
	if err != nil {
		return err
	}
	if known {
		return errHandleAlone
	}
	err = h.insert(ctx, regs)
	if db.IsDuplicateKey(err) || errors.Is(err, errAddressesExhausted) {
		// A request raced on another worker, an address is taken, or no
		// address is left: Handle tells which, request by request.
		return errHandleAlone
	}
	if err != nil {
		return fmt.Errorf("register %d requests: %w", len(regs), err)
	}
	h.OnCommit()
	for _, reg := range regs {
		h.Log.Info().Str("request_id", reg.RequestID).Str("address", *reg.Address).Msg("address registered")
		h.observe("registered")
	}
	return nil
}

func newRegistration(req topupRequest) *store.Registration {
	reg := &store.Registration{
		RequestID: req.RequestID, Chain: req.Chain, Chains: req.Chains, Symbol: req.Symbol,
		Allocated: req.Address == "", UserID: optional(req.UserID), CallbackURL: optional(req.CallbackURL),
		ReturnBody: []byte{},
	}
	if req.Address != "" {
		reg.Address = &req.Address
	}
	return reg
}

// insert stores registrations, their answers and the list of their
// addresses (for the listener and pay) in one transaction; the outbox
// publishes the messages after the commit.
func (h *Handler) insert(ctx context.Context, regs []*store.Registration) error {
	// Read before the answers exist: no one can pay into an address before
	// it is handed out, so no transfer into it is in a block before this one.
	heads := h.heads(ctx, regs)
	return h.Store.DB().WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := store.InsertRegistrations(tx, regs); err != nil {
			return err
		}
		msgs := make([]outbox.Message, 0, len(regs)+1)
		for _, reg := range regs {
			m, err := h.answer(reg)
			if err != nil {
				return err
			}
			msgs = append(msgs, m...)
		}
		if err := store.SetAnswers(tx, regs); err != nil {
			return err
		}
		if err := store.CoverChains(tx, regs); err != nil {
			return err
		}
		lists, err := h.announcements(regs, heads)
		if err != nil {
			return err
		}
		return outbox.Add(tx, append(lists, msgs...)...)
	})
}

// register stores one registration as insert does.
func (h *Handler) register(ctx context.Context, req topupRequest) (*store.Registration, error) {
	reg := newRegistration(req)
	if err := h.insert(ctx, []*store.Registration{reg}); err != nil {
		if db.IsDuplicateKey(err) {
			// Either the same request_id raced on another worker, or the address is
			// registered already: tell which.
			if again, ferr := h.Store.ByRequestID(ctx, req.RequestID); ferr == nil && again != nil {
				return again, h.resend(ctx, again)
			}
			if req.Address != "" {
				return nil, request.Refusal{Code: contract.ErrAddressInUse, Message: "the address is registered under another request_id"}
			}
		}
		return nil, fmt.Errorf("register %s: %w", req.RequestID, err)
	}
	h.OnCommit()
	return reg, nil
}

// answer completes an inserted registration: it derives the address of an
// allocated one from its id (unique and never reused, across replicas), seals
// the registered answer into reg.ReturnBody, and returns the answer's outbox
// messages.
func (h *Handler) answer(reg *store.Registration) ([]outbox.Message, error) {
	if reg.Allocated {
		if reg.ID > maxIndex {
			return nil, fmt.Errorf("register %s (id %d): %w", reg.RequestID, reg.ID, errAddressesExhausted)
		}
		addr, err := h.Keys.Address(uint32(reg.ID))
		if err != nil {
			return nil, fmt.Errorf("derive address %d: %w", reg.ID, err)
		}
		a := strings.ToLower(addr.Hex())
		reg.Address = &a
	}
	userID := ""
	if reg.UserID != nil {
		userID = *reg.UserID
	}
	chains := ""
	if reg.Chain == AllChains {
		chains = strings.Join(reg.Chains, ",")
	}
	body, err := h.Sealer.Seal(returns.Registered{
		Head:  returnhead.Head{RequestID: reg.RequestID, Event: contract.EventRegistered, Status: contract.StatusSuccess},
		Chain: reg.Chain, Chains: chains, Symbol: reg.Symbol, Address: *reg.Address, UserID: userID,
	})
	if err != nil {
		return nil, err
	}
	reg.ReturnBody = body
	return events.Return{RequestID: reg.RequestID, CallbackURL: reg.CallbackURL,
		MessageID: reg.RequestID + ":registered", Body: body}.Messages(h.Internal, h.Names.Exchange, h.Names.Topup())
}

// heads are the heads, by chain, to send with the addresses of regs; a
// chain whose head is not known is missing (the listener then looks back its
// fixed window).
func (h *Handler) heads(ctx context.Context, regs []*store.Registration) map[string]uint64 {
	heads := map[string]uint64{}
	for _, ch := range h.Chains {
		if ch.Head == nil || !slices.ContainsFunc(regs, func(r *store.Registration) bool { return slices.Contains(r.Chains, ch.Name) }) {
			continue
		}
		n, err := ch.Head.Number(ctx)
		if err != nil {
			h.Log.Warn().Err(err).Str("chain", ch.Name).Msg("chain head unknown: new addresses are registered without their hand-out block")
			continue
		}
		heads[ch.Name] = n
	}
	return heads
}

// announcements returns, per chain, one list of the addresses of regs, with
// the index of each allocated one: the listener watches them all and pay
// learns the allocated ones, from one message for a batch instead of two per
// registration: a registration is in the list of each chain it covers.
// regs have their addresses (answer ran). With its chain's head, each
// address carries the block from which its transfers must be found: the
// head for an allocated one, WatchHistory blocks earlier for a given one.
func (h *Handler) announcements(regs []*store.Registration, heads map[string]uint64) ([]outbox.Message, error) {
	lists := map[string]*events.AddressList{}
	var chains []string
	for _, reg := range regs {
		for _, chain := range reg.Chains {
			l := lists[chain]
			if l == nil {
				l = &events.AddressList{Chain: chain, Owner: events.OwnerTopup}
				lists[chain] = l
				chains = append(chains, chain)
			}
			e := events.ListedAddress{Address: *reg.Address}
			if reg.Allocated {
				index := uint32(reg.ID)
				e.Index = &index
			}
			if head, ok := heads[chain]; ok {
				from := head
				if !reg.Allocated {
					from -= min(from, h.WatchHistory)
				}
				e.FromBlock = &from
			}
			l.Addresses = append(l.Addresses, e)
		}
	}
	msgs := make([]outbox.Message, 0, len(chains))
	for _, chain := range chains {
		l := lists[chain]
		// Named after its chain and first address: one registration's lists
		// for several chains are several messages.
		m, err := h.Internal.Message(events.AddressListKey, "addresses:"+chain+":"+l.Addresses[0].Address, l)
		if err != nil {
			return nil, err
		}
		msgs = append(msgs, m)
	}
	return msgs, nil
}

// refuse answers a request with status 0, through the outbox like every
// return (and so to its callback_url); it has no other effect.
func (h *Handler) refuse(ctx context.Context, req topupRequest, ref request.Refusal) error {
	chain, symbol := req.Chain, req.Symbol
	if chain == "" {
		chain = h.defaultChain()
	}
	if symbol == "" {
		symbol = "USDT"
	}
	body, err := h.Sealer.Seal(returns.Failure(req.RequestID, chain, symbol, ref.Code, ref.Message))
	if err != nil {
		return err
	}
	msgs, err := events.Return{RequestID: req.RequestID, CallbackURL: &req.CallbackURL,
		MessageID: req.RequestID + ":registered:" + ref.Code, Body: body}.Messages(h.Internal, h.Names.Exchange, h.Names.Topup())
	if err != nil {
		return err
	}
	if err := h.Store.DB().WithContext(ctx).Transaction(func(tx *gorm.DB) error { return outbox.Add(tx, msgs...) }); err != nil {
		return fmt.Errorf("refuse %s: %w", req.RequestID, err)
	}
	h.OnCommit()
	return nil
}

// alertExhausted tells an operator that no deposit address can be allocated.
func (h *Handler) alertExhausted(ctx context.Context, req topupRequest) error {
	msg, err := h.Internal.Alert("alert:"+AlertAddressesExhausted+":"+req.RequestID, events.Alert{
		Kind: AlertAddressesExhausted, Key: req.Chain, Service: "topup", At: time.Now().Unix(),
		Message: fmt.Sprintf("request %s refused: the registration ids passed %d, the last derivation index of TOPUP_XPUB", req.RequestID, maxIndex)})
	if err != nil {
		return fmt.Errorf("seal alert: %w", err)
	}
	if err := h.Store.DB().WithContext(ctx).Transaction(func(tx *gorm.DB) error { return outbox.Add(tx, msg) }); err != nil {
		return fmt.Errorf("alert %s: %w", AlertAddressesExhausted, err)
	}
	h.OnCommit()
	return nil
}

func (h *Handler) observe(outcome string) {
	if h.Observe != nil {
		h.Observe(outcome)
	}
}

func optional(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}
