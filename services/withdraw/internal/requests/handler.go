// Package requests handles withdraw requests: it checks them, checks the hot
// wallet can pay, and hands the transfer to the transaction sender, once per
// request_id whatever is repeated or crashes.
package requests

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math/big"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/rs/zerolog"
	"github.com/shopspring/decimal"
	"golang.org/x/sync/errgroup"
	"gorm.io/gorm"

	"paysuite/pkg/broker"
	"paysuite/pkg/contract"
	"paysuite/pkg/db"
	"paysuite/pkg/events"
	"paysuite/pkg/money"
	"paysuite/pkg/outbox"
	"paysuite/pkg/request"
	"paysuite/pkg/sign"
	"paysuite/pkg/tokens"
	"paysuite/pkg/txsender"
	"paysuite/services/withdraw/internal/payouts"
	"paysuite/services/withdraw/internal/returns"
	"paysuite/services/withdraw/internal/store"
)

// Publisher sends a message and waits for the broker's confirmation.
type Publisher interface {
	Publish(ctx context.Context, exchange, key string, msg broker.Message) error
}

// Purpose labels the sender's sends of withdrawals.
const Purpose = "withdraw"

// SendKey is the transaction sender's key of a withdrawal's transfer.
func SendKey(requestID string) string { return "withdraw:" + requestID }

// Handler processes the withdraw request queue.
type Handler struct {
	DB        *gorm.DB
	Sender    *txsender.Sender
	Publisher Publisher
	Names     contract.Names
	Chain     string
	Tokens    tokens.List
	HotWallet common.Address
	// Secrets verify requests, the current one first (config SignSecrets);
	// Sealer signs the returns with the current one.
	Secrets      [][]byte
	MaxClockSkew time.Duration
	Sealer       sign.Sealer
	// Keys seal the alerts sent to the other services and the webhooks of
	// returns for the notifier.
	Keys events.Keys
	// MinUSDT, when not nil, is the hot wallet balance under which a
	// low_balance alert is raised.
	MinUSDT *big.Int
	// SuiteAddresses are the suite's other own wallets (pay's hot wallet):
	// like the hot wallet, the token contracts and the zero address, they
	// are refused as recipients.
	SuiteAddresses []common.Address
	// Deposits reports whether an address is a deposit address of the
	// suite, refused as a recipient too; nil knows none.
	Deposits func(ctx context.Context, chain string, addr common.Address) (bool, error)
	Log      zerolog.Logger
	// OnCommit wakes the outbox relay.
	OnCommit func()
	Now      func() time.Time

	gate signGate
}

// withdrawRequest is a checked withdraw request.
type withdrawRequest struct {
	RequestID   string
	Chain       string
	Symbol      string
	Token       tokens.Token
	Amount      decimal.Decimal
	Units       *big.Int
	To          string // lowercase, "" until checked
	CallbackURL string
	// Call is the token call that pays the request.
	Call     []byte
	amountOK bool
}

// Handle is the broker handler for the withdraw request queue: the intake
// passes on what is a request and answers anything else itself.
func (h *Handler) Handle(ctx context.Context, d broker.Delivery) error {
	return h.intake().Handle(ctx, d, h.accept)
}

// accept handles an authenticated request: a repeat gets its stored returns,
// a new one is checked, then signed with what the other workers have ready.
func (h *Handler) accept(ctx context.Context, env request.Envelope) error {
	id := env.RequestID
	log := h.Log.With().Str("request_id", id).Logger()
	req := withdrawRequest{RequestID: id, Chain: h.Chain, Symbol: "USDT"}
	if known, err := h.replay(ctx, id); err != nil || known {
		return err
	}
	ref, err := h.check(ctx, env, &req)
	if err != nil {
		return err // the suite's fault, not the requester's: retried, not answered
	}
	if ref != nil {
		log.Info().Str("error", ref.Code).Msg("withdraw request refused")
		return h.storeRefusal(ctx, req, *ref)
	}
	// Bounded: the hot wallet's nonce lock is held while the node is asked for
	// balances, and a node that stops answering must not hold it forever.
	ctx, cancel := context.WithTimeout(ctx, handleTimeout)
	defer cancel()
	// Signed with what the other workers have ready, like a batch; anything
	// unusual (a refusal, a race on the request_id, a failure) is left to
	// submit, which stores refusals and answers repeats.
	err = h.signFresh(ctx, []withdrawRequest{req})
	if err == nil {
		return nil
	}
	log.Debug().Err(err).Msg("withdrawal not signed with the others; handling it alone")
	return h.submit(ctx, req, log)
}

// errHandleAlone fails a batch that holds anything but new, valid requests:
// the broker then hands each of its requests to Handle.
var errHandleAlone = errors.New("batch holds a request to handle alone")

// HandleBatch signs several new, valid withdrawals under one lock of the hot
// wallet's nonce and stores them in one transaction: the withdrawals of one
// hot wallet queue behind that lock, so each one taken with the others saves
// a wait for it, a commit and the node's answers about balances (read once
// per batch, see batchFunds). Prices are asked for side by side before the
// lock, and the batch is signed with those of the other workers (signGate).
// Refusals, repeats and every failure are left to Handle, request by request.
func (h *Handler) HandleBatch(ctx context.Context, ds []broker.Delivery) error {
	reqs := make([]withdrawRequest, 0, len(ds))
	seen := make(map[string]bool, len(ds))
	for _, d := range ds {
		req, ok, err := h.fresh(ctx, d)
		if err != nil {
			return err
		}
		if !ok || seen[req.RequestID] {
			return errHandleAlone
		}
		seen[req.RequestID] = true
		reqs = append(reqs, req)
	}
	ctx, cancel := context.WithTimeout(ctx, handleTimeout)
	defer cancel()
	return h.signFresh(ctx, reqs)
}

// signFresh prices fresh, valid withdrawals side by side, has them signed and
// stored in a turn of the gate, and broadcasts them together once that has
// committed (the tracker polls for their receipts on its own).
// An error leaves nothing stored of reqs: each is then handled alone.
func (h *Handler) signFresh(ctx context.Context, reqs []withdrawRequest) error {
	quotes := make([]txsender.Quote, len(reqs))
	g, gctx := errgroup.WithContext(ctx)
	for i, req := range reqs {
		g.Go(func() (err error) {
			quotes[i], err = h.Sender.Quote(gctx, h.HotWallet, req.Token.Address, new(big.Int), req.Call, 0)
			return err
		})
	}
	if err := g.Wait(); err != nil {
		return err
	}
	job := newSignJob(reqs, quotes)
	if err := h.gate.do(job, signGroupMax, func(jobs []*signJob) { h.signJobs(ctx, jobs) }); err != nil {
		return err
	}
	if job.alerted {
		h.OnCommit()
	}
	for _, req := range reqs {
		h.Log.Info().Str("request_id", req.RequestID).Str("to", req.To).Str("amount", money.Format(req.Amount)).Msg("withdrawal signed")
	}
	// Sent and recorded together; whatever fails here is left to the tracker.
	if err := h.Sender.BroadcastBatch(ctx, job.sendIDs); err != nil {
		h.Log.Warn().Err(err).Int("withdrawals", len(reqs)).Msg("broadcast after signing; the tracker will retry")
	}
	return nil
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
func (h *Handler) signJobs(ctx context.Context, jobs []*signJob) {
	defer func() {
		for _, j := range jobs {
			if !j.finished() {
				j.err = errSignAbandoned
				close(j.done)
			}
		}
	}()
	err := h.signTogether(ctx, jobs)
	if err != nil && len(jobs) > 1 {
		for _, j := range jobs {
			j.err = h.signTogether(ctx, []*signJob{j})
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
// mostly before the lock (batchFunds). A refusal of any of them fails the
// whole turn with errHandleAlone.
func (h *Handler) signTogether(ctx context.Context, jobs []*signJob) error {
	var rows []*store.Withdrawal
	var sendReqs []txsender.Request
	var lows []string // low-balance alerts, by position in rows
	var tokens []common.Address
	var batch *batchFunds // read in the transaction, before the lock
	for _, j := range jobs {
		j.sendIDs, j.alerted = make([]uint64, len(j.reqs)), false
		for i, req := range j.reqs {
			key := SendKey(req.RequestID)
			w := h.row(req)
			w.State, w.SendKey = store.StateSending, &key
			k := len(rows)
			if !slices.Contains(tokens, req.Token.Address) {
				tokens = append(tokens, req.Token.Address)
			}
			rows = append(rows, w)
			lows = append(lows, "")
			sendReqs = append(sendReqs, txsender.Request{
				Key: key, Purpose: Purpose, Ref: req.RequestID, From: h.HotWallet, To: req.Token.Address,
				Data: req.Call, Quote: &j.quotes[i],
				Check: func(tx *gorm.DB, q txsender.Quote) (err error) {
					lows[k], err = batch.check(h, tx, req, q)
					return err
				},
			})
		}
	}
	return h.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := tx.Create(&rows).Error; err != nil {
			return err
		}
		var err error
		if batch, err = h.readFunds(ctx, tx, tokens); err != nil {
			return err
		}
		sends, err := h.Sender.SubmitBatch(ctx, tx, sendReqs)
		var ref request.Refusal
		if errors.As(err, &ref) {
			return errHandleAlone
		}
		if err != nil {
			return err
		}
		k := 0
		for _, j := range jobs {
			for i, req := range j.reqs {
				j.sendIDs[i] = sends[k].ID
				if lows[k] != "" {
					j.alerted = true
					if err := h.alert(tx, events.AlertLowBalance, h.hot(), req.RequestID, lows[k]); err != nil {
						return err
					}
				}
				k++
			}
		}
		return nil
	}, &sql.TxOptions{Isolation: sql.LevelReadCommitted})
}

// fresh opens an authenticated, valid request never seen before; ok is false
// for anything else, which Handle answers.
func (h *Handler) fresh(ctx context.Context, d broker.Delivery) (req withdrawRequest, ok bool, err error) {
	env, err := h.intake().Admit(d.Body)
	if err != nil {
		return req, false, nil
	}
	req = withdrawRequest{RequestID: env.RequestID, Chain: h.Chain, Symbol: "USDT"}
	existing, err := store.Find(h.DB.WithContext(ctx), req.RequestID)
	if err != nil || existing != nil {
		return req, false, err
	}
	ref, err := h.check(ctx, env, &req)
	if err != nil || ref != nil {
		return req, false, err
	}
	return req, true, nil
}

// handleTimeout bounds the handling of one request; the request is retried.
const handleTimeout = time.Minute

// Limits of the request's strings, in bytes as they have always been counted
// here (env.Bytes): a chain of 32 characters but more bytes
// stays an invalid_request rather than an unknown_chain.
const (
	maxNameBytes     = 32 // chain, symbol
	maxCallbackBytes = 2048
	addressBytes     = 42
)

func refuse(code, message string) *request.Refusal {
	return &request.Refusal{Code: code, Message: message}
}

// check validates the fields in the contract's order and fills req. A valid
// callback_url is read first: a refusal on another field is a return of the
// request too, and goes there. An error is the suite's own (a lookup
// failed), not a refusal.
func (h *Handler) check(ctx context.Context, env request.Envelope, req *withdrawRequest) (*request.Refusal, error) {
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
	if req.Call, err = txsender.TransferData(common.HexToAddress(req.To), req.Units); err != nil {
		return refuse(contract.ErrInvalidAmount, err.Error()), nil // money.Parse keeps amounts far within a uint256
	}
	from, ok := env.Bytes("from_address", addressBytes)
	if !ok || (from != "" && (!contract.ValidAddress(from) || common.HexToAddress(from) != h.HotWallet)) {
		return refuse(contract.ErrInvalidAddress, "from_address must be the suite's hot wallet "+h.hot()+" or absent"), nil
	}
	return h.recipients().Check(ctx, req.Chain, "to_address", common.HexToAddress(req.To))
}

// recipients is the rule of the addresses a withdrawal must not pay.
func (h *Handler) recipients() request.Recipients {
	return request.Recipients{Tokens: h.Tokens.Addresses(), Own: append([]common.Address{h.HotWallet}, h.SuiteAddresses...),
		Deposit: h.Deposits}
}

func validCallback(s string) bool {
	if s == "" {
		return true
	}
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != ""
}

// submit checks the hot wallet's balances and stores the signed transfer with
// the withdrawal in one transaction, then broadcasts it.
func (h *Handler) submit(ctx context.Context, req withdrawRequest, log zerolog.Logger) error {
	var signed signing
	err := h.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) (err error) {
		signed, err = h.signTx(ctx, tx, req)
		return err
	}, &sql.TxOptions{Isolation: sql.LevelReadCommitted})
	switch {
	case err != nil && db.IsDuplicateKey(err):
		// The same request_id is being handled by another worker right now.
		existing, ferr := store.Find(h.DB.WithContext(ctx), req.RequestID)
		if ferr != nil || existing == nil {
			return fmt.Errorf("withdraw %s: %w", req.RequestID, err)
		}
		return h.repeat(ctx, existing)
	case errors.Is(err, txsender.ErrWouldRevert):
		// The gas estimate of a transfer beyond the balance fails: tell that
		// apart from a token that refuses the transfer for another reason.
		reserved, rerr := store.ReservedTokens(h.DB.WithContext(ctx), h.HotWallet, req.Token.Address)
		if rerr != nil {
			return rerr
		}
		bal, berr := txsender.TokenBalance(ctx, h.Sender.Node(), req.Token.Address, h.HotWallet, nil)
		if berr != nil {
			return berr
		}
		if bal.Sub(bal, reserved).Cmp(req.Units) < 0 {
			return h.storeRefusal(ctx, req, request.Refusal{Code: contract.ErrInsufficientBalance, Message: "the hot wallet does not hold the amount"})
		}
		log.Error().Err(err).Msg("token transfer would revert")
		return h.storeRefusal(ctx, req, request.Refusal{Code: contract.ErrInternal, Message: "the token contract refuses this transfer"})
	case err != nil:
		return fmt.Errorf("withdraw %s: %w", req.RequestID, err)
	}
	if signed.refused != nil {
		log.Info().Str("error", signed.refused.Code).Msg("withdraw refused")
		h.OnCommit()
		return nil
	}
	if signed.alerted {
		h.OnCommit()
	}
	h.broadcast(ctx, req, signed.sendID, log)
	h.Sender.Kick()
	return nil
}

// broadcast sends a withdrawal's stored transfer once its transaction has
// committed; a failure is left to the tracker.
func (h *Handler) broadcast(ctx context.Context, req withdrawRequest, sendID uint64, log zerolog.Logger) {
	log.Info().Str("to", req.To).Str("amount", money.Format(req.Amount)).Msg("withdrawal signed")
	if err := h.Sender.Broadcast(ctx, sendID); err != nil {
		log.Warn().Err(err).Msg("broadcast after submit; the tracker will retry")
	}
}

// signing is what signTx did: signed a send, or stored a refusal.
type signing struct {
	sendID  uint64
	refused *request.Refusal
	alerted bool // a low_balance alert was queued
}

// signTx stores the withdrawal, checks the balances under the hot wallet's
// nonce lock and signs and stores the transfer, all inside tx; a refusal is
// stored final instead.
func (h *Handler) signTx(ctx context.Context, tx *gorm.DB, req withdrawRequest) (signing, error) {
	key := SendKey(req.RequestID)
	w := h.row(req)
	w.State, w.SendKey = store.StateSending, &key
	if err := tx.Create(w).Error; err != nil {
		return signing{}, err
	}
	var lowAlert string
	send, err := h.Sender.Submit(ctx, tx, txsender.Request{
		Key: key, Purpose: Purpose, Ref: req.RequestID, From: h.HotWallet, To: req.Token.Address,
		Data: req.Call,
		Check: func(tx *gorm.DB, q txsender.Quote) (err error) {
			lowAlert, err = h.checkFunds(ctx, tx, req, q)
			return err
		},
	})
	var ref request.Refusal
	if errors.As(err, &ref) {
		return signing{refused: &ref, alerted: isLowBalance(ref.Code)}, h.finishRefused(tx, w, req, ref)
	}
	if err != nil {
		return signing{}, err
	}
	if lowAlert != "" {
		return signing{sendID: send.ID, alerted: true}, h.alert(tx, events.AlertLowBalance, h.hot(), req.RequestID, lowAlert)
	}
	return signing{sendID: send.ID}, nil
}

// checkFunds runs under the hot wallet's nonce lock: the tokens and the ether
// for gas must be there, minus what earlier withdrawals not yet mined will
// take. Reservations are read before balances, so a withdrawal mined between
// the two reads is counted twice (safe) rather than not at all. It returns the
// text of a low-balance alert to raise, if any.
func (h *Handler) checkFunds(ctx context.Context, tx *gorm.DB, req withdrawRequest, q txsender.Quote) (string, error) {
	f, err := h.freeFunds(ctx, tx, req.Token.Address)
	if err != nil {
		return "", err
	}
	return h.judge(req, q, f)
}

// funds is what the hot wallet holds beyond what unmined withdrawals will take.
type funds struct {
	tokens, ether *big.Int
}

// freeFunds reads the reservations, then the balances: a withdrawal mined
// between the two reads is counted twice (safe) rather than not at all.
func (h *Handler) freeFunds(ctx context.Context, tx *gorm.DB, token common.Address) (funds, error) {
	reservedTok, err := store.ReservedTokens(tx, h.HotWallet, token)
	if err != nil {
		return funds{}, err
	}
	reservedETH, err := txsender.ReservedCost(tx, h.HotWallet)
	if err != nil {
		return funds{}, err
	}
	// Both balances at once: this runs under the lock every withdrawal of the hot
	// wallet waits for.
	toks, eth, err := h.balances(ctx, []common.Address{token})
	if err != nil {
		return funds{}, err
	}
	tok := toks[0]
	return funds{tokens: tok.Sub(tok, reservedTok), ether: eth.Sub(eth, reservedETH)}, nil
}

// judge refuses req when f cannot pay it and its gas, and returns the text of
// a low-balance alert to raise, if any.
func (h *Handler) judge(req withdrawRequest, q txsender.Quote, f funds) (string, error) {
	if f.tokens.Cmp(req.Units) < 0 {
		return "", request.Refusal{Code: contract.ErrInsufficientBalance, Message: fmt.Sprintf("the hot wallet has %s %s available",
			money.Format(money.FromBaseUnits(maxZero(f.tokens), req.Token.Decimals)), req.Symbol)}
	}
	if f.ether.Cmp(q.MaxCost) < 0 {
		return "", request.Refusal{Code: contract.ErrInsufficientGas, Message: fmt.Sprintf("the hot wallet has %s ETH available for gas, %s needed",
			money.Format(money.FromBaseUnits(maxZero(f.ether), 18)), money.Format(money.FromBaseUnits(q.MaxCost, 18)))}
	}
	if h.MinUSDT != nil && strings.EqualFold(req.Symbol, "USDT") {
		left := new(big.Int).Sub(f.tokens, req.Units)
		if left.Cmp(h.MinUSDT) < 0 {
			return fmt.Sprintf("hot wallet %s has %s USDT left after withdrawal %s, below %s", h.hot(),
				money.Format(money.FromBaseUnits(left, req.Token.Decimals)), req.RequestID,
				money.Format(money.FromBaseUnits(h.MinUSDT, req.Token.Decimals))), nil
		}
	}
	return "", nil
}

// batchFunds keeps the free funds of one turn of the gate, lowered by each
// withdrawal the turn signs, which the chain's balances cannot show yet.
//
// What is slow to read (the node's balances, and the reservations of every
// unmined send) is read before the hot wallet's nonce is locked, so that the
// lock every withdrawal waits for is not held meanwhile: first a mark, the
// nonce to be handed out next (every send below it is committed), then the
// reservations of the unmined sends below the mark, then the balances. Once
// the nonce is locked, settle takes off what every send from the mark on
// takes, whatever its state: those are the sends stored since, by this
// replica or another, and a send mined after the balances were read is
// counted there. A send is thus counted once or (mined between two reads)
// twice, never zero times, as in freeFunds.
type batchFunds struct {
	mark    uint64
	ether   *big.Int
	tokens  map[common.Address]*big.Int
	settled bool
}

// readFunds reads the funds of a turn holding withdrawals of tokens, before
// the nonce is locked.
func (h *Handler) readFunds(ctx context.Context, tx *gorm.DB, tokens []common.Address) (*batchFunds, error) {
	mark, err := txsender.NextNonce(tx, h.HotWallet)
	if err != nil {
		return nil, err
	}
	b := &batchFunds{mark: mark, tokens: make(map[common.Address]*big.Int, len(tokens))}
	reservedTok := make([]*big.Int, len(tokens))
	for i, token := range tokens {
		if reservedTok[i], err = store.ReservedTokensBelow(tx, h.HotWallet, token, mark); err != nil {
			return nil, err
		}
	}
	reservedETH, err := txsender.ReservedCostBelow(tx, h.HotWallet, mark)
	if err != nil {
		return nil, err
	}
	balances, eth, err := h.balances(ctx, tokens)
	if err != nil {
		return nil, err
	}
	for i, token := range tokens {
		b.tokens[token] = balances[i].Sub(balances[i], reservedTok[i])
	}
	b.ether = eth.Sub(eth, reservedETH)
	return b, nil
}

// balances reads the hot wallet's balance of each of tokens and of ether from
// the node, all at once.
func (h *Handler) balances(ctx context.Context, tokens []common.Address) ([]*big.Int, *big.Int, error) {
	node := h.Sender.Node()
	toks := make([]*big.Int, len(tokens))
	var eth *big.Int
	g, gctx := errgroup.WithContext(ctx)
	for i, token := range tokens {
		g.Go(func() (err error) {
			toks[i], err = txsender.TokenBalance(gctx, node, token, h.HotWallet, nil)
			return err
		})
	}
	g.Go(func() (err error) {
		if eth, err = node.BalanceAt(gctx, h.HotWallet, nil); err != nil {
			return fmt.Errorf("ether balance of the hot wallet: %w", err)
		}
		return nil
	})
	if err := g.Wait(); err != nil {
		return nil, nil, err
	}
	return toks, eth, nil
}

// settle takes off what the sends from the mark on take; it runs once, with
// the nonce locked.
func (b *batchFunds) settle(h *Handler, tx *gorm.DB) error {
	if b.settled {
		return nil
	}
	spent, err := store.SpentSince(tx, h.HotWallet, b.mark)
	if err != nil {
		return err
	}
	b.ether.Sub(b.ether, spent.Ether)
	for token, units := range spent.Tokens {
		if free, ok := b.tokens[token]; ok {
			free.Sub(free, units)
		}
	}
	b.settled = true
	return nil
}

// check is checkFunds for a withdrawal of the turn; it runs with the nonce
// locked.
func (b *batchFunds) check(h *Handler, tx *gorm.DB, req withdrawRequest, q txsender.Quote) (string, error) {
	if err := b.settle(h, tx); err != nil {
		return "", err
	}
	tok, ok := b.tokens[req.Token.Address]
	if !ok {
		return "", fmt.Errorf("withdraw %s: funds of token %s not read", req.RequestID, req.Token.Address.Hex())
	}
	low, err := h.judge(req, q, funds{tokens: tok, ether: b.ether})
	if err != nil {
		return "", err
	}
	tok.Sub(tok, req.Units)
	b.ether.Sub(b.ether, q.MaxCost)
	return low, nil
}

func maxZero(v *big.Int) *big.Int {
	if v.Sign() < 0 {
		return new(big.Int)
	}
	return v
}

// row is the stored form of req.
func (h *Handler) row(req withdrawRequest) *store.Withdrawal {
	w := &store.Withdrawal{RequestID: req.RequestID, Chain: req.Chain, Symbol: req.Symbol, AmountUnits: "0"}
	if req.Token.Address != (common.Address{}) {
		t := strings.ToLower(req.Token.Address.Hex())
		w.Token = &t
	}
	if req.amountOK {
		a := money.Format(req.Amount)
		w.Amount, w.AmountUnits = &a, req.Units.String()
	}
	if req.To != "" {
		w.ToAddress = &req.To
	}
	hot := h.hot()
	w.FromAddress = &hot
	if req.CallbackURL != "" {
		w.CallbackURL = &req.CallbackURL
	}
	return w
}

// failure is the status-0 answer to req.
func (h *Handler) failure(req withdrawRequest, ref request.Refusal) returns.Withdraw {
	out := returns.Withdraw{RequestID: req.RequestID, Event: contract.EventWithdraw, Status: contract.StatusFailed,
		Error: ref.Code, Message: ref.Message, Chain: req.Chain, Symbol: req.Symbol, ToAddress: req.To}
	if req.amountOK {
		out.Amount = money.Format(req.Amount)
	}
	switch ref.Code {
	case contract.ErrInsufficientBalance, contract.ErrInsufficientGas, contract.ErrInternal:
		out.FromAddress = h.hot()
	}
	return out
}

// storeRefusal records the final refusal of an authenticated request, so that a
// repeat gets the same answer, and publishes it through the outbox.
func (h *Handler) storeRefusal(ctx context.Context, req withdrawRequest, ref request.Refusal) error {
	err := h.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		w := h.row(req)
		w.State = store.StateDone
		if err := tx.Create(w).Error; err != nil {
			return err
		}
		return h.finishRefused(tx, w, req, ref)
	})
	if db.IsDuplicateKey(err) {
		existing, ferr := store.Find(h.DB.WithContext(ctx), req.RequestID)
		if ferr != nil || existing == nil {
			return fmt.Errorf("withdraw %s: %w", req.RequestID, err)
		}
		return h.repeat(ctx, existing)
	}
	if err != nil {
		return fmt.Errorf("withdraw %s: store refusal: %w", req.RequestID, err)
	}
	h.OnCommit()
	return nil
}

// finishRefused stores the final refusal on w inside tx and queues it, with a
// low_balance alert when the hot wallet is short.
func (h *Handler) finishRefused(tx *gorm.DB, w *store.Withdrawal, req withdrawRequest, ref request.Refusal) error {
	body, err := h.Sealer.Seal(h.failure(req, ref))
	if err != nil {
		return err
	}
	status := contract.StatusFailed
	err = tx.Model(w).Updates(map[string]any{"state": store.StateDone, "status": status, "error": ref.Code,
		"final_body": body, "send_key": nil}).Error
	if err != nil {
		return fmt.Errorf("store refusal: %w", err)
	}
	msgs, err := events.Return{RequestID: req.RequestID, CallbackURL: w.CallbackURL,
		MessageID: req.RequestID + ":" + contract.EventWithdraw, Body: body}.Messages(h.Keys, h.Names.Exchange, h.Names.Withdraw())
	if err != nil {
		return err
	}
	if err := outbox.Add(tx, msgs...); err != nil {
		return err
	}
	if isLowBalance(ref.Code) {
		return h.alert(tx, events.AlertLowBalance, h.hot(), req.RequestID,
			fmt.Sprintf("withdrawal %s refused (%s): %s", req.RequestID, ref.Code, ref.Message))
	}
	return nil
}

// isLowBalance tells the refusals that raise a low_balance alert.
func isLowBalance(code string) bool {
	return code == contract.ErrInsufficientBalance || code == contract.ErrInsufficientGas
}

// alert queues an operator alert in tx.
func (h *Handler) alert(tx *gorm.DB, kind, key, requestID, message string) error {
	msg, err := payouts.Alert(h.Keys, kind, key, requestID, message, h.now())
	if err != nil {
		return err
	}
	return outbox.Add(tx, msg)
}

func (h *Handler) hot() string { return strings.ToLower(h.HotWallet.Hex()) }

func (h *Handler) now() time.Time {
	if h.Now != nil {
		return h.Now()
	}
	return time.Now()
}
