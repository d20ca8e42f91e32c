// Package txsender sends Ethereum transactions exactly once, whatever crashes:
// it hands out nonces from MySQL, stores every signed transaction in the same
// database transaction that consumes its nonce (before it is broadcast), then
// broadcasts, re-broadcasts, replaces underpriced transactions with the same
// nonce, and follows their receipts to a final outcome after enough
// confirmations, telling the owning service through hooks that run inside the
// database transaction recording each change.
package txsender

import (
	"context"
	"crypto/ecdsa"
	"database/sql"
	"errors"
	"fmt"
	"math/big"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/rs/zerolog"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"paysuite/pkg/config"
	"paysuite/pkg/money"
)

// Config is the sender's part of a service's configuration.
type Config struct {
	// Confirmations a send needs before it is final, unless its request says otherwise.
	Confirmations uint64 `env:"CONFIRMATIONS" envDefault:"20"`
	// MaxFeeGwei and MaxTipGwei bound the fee cap and the priority fee, in gwei
	// (decimals allowed), replacements included.
	MaxFeeGwei string `env:"MAX_FEE_GWEI" envDefault:"500"`
	MaxTipGwei string `env:"MAX_TIP_GWEI" envDefault:"10"`
	// GasMarginPercent is added to the node's gas estimate of contract calls.
	GasMarginPercent uint64 `env:"GAS_MARGIN_PERCENT" envDefault:"20"`
	// ReplaceAfter is how long an attempt may stay unmined before it is replaced
	// with higher fees (and the sending address's nonces are checked against
	// the chain's).
	ReplaceAfter time.Duration `env:"REPLACE_AFTER" envDefault:"30s"`
	// MaxReplacements bounds the replacements of one send: a send still
	// unmined after them, or whose fees reached MAX_FEE_GWEI/MAX_TIP_GWEI,
	// raises a stuck_transaction alert instead of being replaced again.
	MaxReplacements int `env:"MAX_REPLACEMENTS" envDefault:"10"`
	// RebroadcastAfter is how often an unmined attempt is sent to the node again,
	// in case the node dropped it.
	RebroadcastAfter time.Duration `env:"REBROADCAST_AFTER" envDefault:"5s"`
	// PollInterval is how often receipts are polled.
	PollInterval time.Duration `env:"POLL_INTERVAL" envDefault:"1s"`
	// CrashAt and CrashOnceFile drive the test-only crash hook (DEV_MODE only):
	// after_sign or after_broadcast.
	CrashAt       string `env:"PAYOUT_CRASH_AT"`
	CrashOnceFile string `env:"PAYOUT_CRASH_ONCE_FILE"`

	MaxFee *big.Int `env:"-"` // wei
	MaxTip *big.Int `env:"-"` // wei
	// DevMode, set by Validate, lets a new genesis reset the sender's chain
	// state (CheckChain); otherwise another chain is refused.
	DevMode bool `env:"-"`
}

// Validate checks the values and fills MaxFee and MaxTip; the crash hook is
// refused outside the development mode.
func (c *Config) Validate(devMode bool) error {
	if c.Confirmations == 0 {
		return config.VarError("CONFIRMATIONS", "must be at least 1")
	}
	var err error
	if c.MaxFee, err = gweiToWei(c.MaxFeeGwei); err != nil {
		return config.VarError("MAX_FEE_GWEI", "%w", err)
	}
	if c.MaxTip, err = gweiToWei(c.MaxTipGwei); err != nil {
		return config.VarError("MAX_TIP_GWEI", "%w", err)
	}
	if c.GasMarginPercent > 200 {
		return config.VarError("GAS_MARGIN_PERCENT", "must be 0..200")
	}
	if c.ReplaceAfter < 100*time.Millisecond {
		return config.VarError("REPLACE_AFTER", "must be at least 100ms")
	}
	if c.RebroadcastAfter < 100*time.Millisecond {
		return config.VarError("REBROADCAST_AFTER", "must be at least 100ms")
	}
	if c.PollInterval <= 0 {
		return config.VarError("POLL_INTERVAL", "must be positive")
	}
	if c.MaxReplacements < 0 || c.MaxReplacements > 1000 {
		return config.VarError("MAX_REPLACEMENTS", "must be 0..1000")
	}
	c.DevMode = devMode
	switch c.CrashAt {
	case "":
	case CrashAfterSign, CrashAfterBroadcast:
		if !devMode {
			return config.VarError("PAYOUT_CRASH_AT", "is a test hook, refused unless DEV_MODE=true")
		}
	default:
		return config.VarError("PAYOUT_CRASH_AT", "must be %s or %s", CrashAfterSign, CrashAfterBroadcast)
	}
	return nil
}

func gweiToWei(s string) (*big.Int, error) {
	d, err := money.Parse(strings.TrimSpace(s), 9)
	if err != nil {
		return nil, fmt.Errorf("a positive number of gwei with at most 9 decimals: %w", err)
	}
	return money.ToBaseUnits(d, 9), nil
}

// Keys returns the private key of a sending address.
type Keys func(ctx context.Context, from common.Address) (*ecdsa.PrivateKey, error)

// Hooks let the owning service act on a send's progress. Each runs inside the
// database transaction that records the change, so the service's own state and
// outgoing messages (outbox) commit together with it; an error rolls the change
// back and it is retried later.
type Hooks interface {
	// Broadcast is called once per send, when it is first known to have reached
	// the node (its first accepted broadcast, or its receipt if that comes first).
	Broadcast(ctx context.Context, tx *gorm.DB, s *Send) error
	// Final is called once per send, when it reaches StateConfirmed,
	// StateReverted, StateNotMoved or StateFailed.
	Final(ctx context.Context, tx *gorm.DB, s *Send) error
	// Committed is called after a transaction in which Broadcast or Final ran
	// has committed (to wake an outbox relay, for instance).
	Committed()
}

// Sender is the engine. Several replicas may run one each on the same schema.
type Sender struct {
	db      *gorm.DB
	node    Node
	keys    Keys
	hooks   Hooks
	alerter Alerter // nil: alerts are only logged
	cfg     Config
	chainID *big.Int
	signer  types.Signer
	log     zerolog.Logger
	kick    chan struct{}

	mu     sync.Mutex
	inited map[common.Address]bool // addresses whose nonce row is known to exist
	// The last fee quote, reused for feeTTL: a burst of sends needs no fresh
	// quote per transaction.
	feeAt          time.Time
	feeTip, feeCap *big.Int
	// checkedAt is when each address's nonces were last compared with the
	// chain's by this process (see checkIfDue).
	checkedAt map[common.Address]time.Time
}

// New builds a sender. cfg must have been validated.
func New(ctx context.Context, db *gorm.DB, node Node, keys Keys, hooks Hooks, cfg Config, log zerolog.Logger) (*Sender, error) {
	if cfg.MaxFee == nil || cfg.MaxTip == nil {
		return nil, errors.New("txsender: configuration not validated")
	}
	chainID, err := node.ChainID(ctx)
	if err != nil {
		return nil, fmt.Errorf("txsender: chain id: %w", err)
	}
	alerter, _ := hooks.(Alerter)
	return &Sender{db: db, node: node, keys: keys, hooks: ownHooks{hooks}, alerter: alerter, cfg: cfg, chainID: chainID,
		signer: types.LatestSignerForChainID(chainID), log: log, kick: make(chan struct{}, 1),
		inited: map[common.Address]bool{}, checkedAt: map[common.Address]time.Time{}}, nil
}

// ChainID returns the chain id of the node.
func (s *Sender) ChainID() *big.Int { return new(big.Int).Set(s.chainID) }

// Node returns the node the sender talks to.
func (s *Sender) Node() Node { return s.node }

// Kick makes the tracker run a step soon.
func (s *Sender) Kick() {
	select {
	case s.kick <- struct{}{}:
	default:
	}
}

// Request is a transaction to send.
type Request struct {
	// Key identifies the send, unique in the schema (e.g. "withdraw:<request_id>").
	Key string
	// Purpose and Ref are the service's own labels, handed back in hooks.
	Purpose string
	Ref     string
	From    common.Address
	To      common.Address
	Value   *big.Int // wei; nil is zero
	Data    []byte
	// GasLimit skips the estimate when not zero.
	GasLimit uint64
	// Confirmations overrides Config.Confirmations when not zero.
	Confirmations uint64
	// Quote, when set, is the price computed beforehand with Sender.Quote, so
	// that several sends taken under one lock of From's nonce are priced
	// before it, side by side.
	Quote *Quote
	// Check, when set, runs once From's nonce is locked and before anything is
	// signed, with the price of the transaction: the place for balance checks
	// that must not race with other sends from the same address. Its error is
	// returned by Submit as is.
	Check func(tx *gorm.DB, q Quote) error
}

// ErrNoKey is returned by Submit when Keys has no key for the sending address.
var ErrNoKey = errors.New("no key for the sending address")

// Submit prices, signs and stores a transaction inside tx, the caller's database
// transaction: the nonce is taken from From's row (locked until tx ends), and
// the signed transaction is stored with it, so that after the commit it will be
// sent, and only it, whatever happens. Nothing is broadcast: call Broadcast
// after the commit (the tracker also sends whatever was left unsent).
// It is SubmitBatch of one.
func (s *Sender) Submit(ctx context.Context, tx *gorm.DB, req Request) (*Send, error) {
	sends, err := s.SubmitBatch(ctx, tx, []Request{req})
	if err != nil {
		return nil, err
	}
	return sends[0], nil
}

// ErrMixedSenders is returned by SubmitBatch when the requests of a batch do
// not all send from the same address.
var ErrMixedSenders = errors.New("a batch must send from one address")

// SubmitBatch is Submit for several transactions from one address, under one
// lock of its nonce: they get consecutive nonces in the order of reqs, and
// are stored with a few multi-row statements, so that the lock, which every
// send from the address waits for, is held for little more than one send's
// time. Each request's Check runs in order once the nonce is locked, before
// anything is signed; the first error (of a Check as is, or of any step) is
// returned and nothing of the batch may be committed: the caller rolls tx
// back. The sends are returned in the order of reqs.
func (s *Sender) SubmitBatch(ctx context.Context, tx *gorm.DB, reqs []Request) ([]*Send, error) {
	if len(reqs) == 0 {
		return nil, nil
	}
	reqs = slices.Clone(reqs) // defaults are filled in below
	from := reqs[0].From
	for _, req := range reqs[1:] {
		if req.From != from {
			return nil, fmt.Errorf("submit %s: %w", req.Key, ErrMixedSenders)
		}
	}
	key, err := s.keys(ctx, from)
	if err != nil {
		return nil, fmt.Errorf("submit %s: %w", reqs[0].Key, err)
	}
	if key == nil {
		return nil, fmt.Errorf("submit %s: %w", reqs[0].Key, ErrNoKey)
	}
	// Pricing talks to the node: do it before taking the lock.
	quotes := make([]Quote, len(reqs))
	for i := range reqs {
		req := &reqs[i]
		if req.Value == nil {
			req.Value = new(big.Int)
		}
		if req.Data == nil {
			req.Data = []byte{}
		}
		if req.Quote != nil {
			quotes[i] = *req.Quote
		} else if quotes[i], err = s.Quote(ctx, req.From, req.To, req.Value, req.Data, req.GasLimit); err != nil {
			return nil, fmt.Errorf("submit %s: %w", req.Key, err)
		}
	}
	row, err := s.lockNonce(ctx, tx, from)
	if err != nil {
		return nil, fmt.Errorf("submit %s: %w", reqs[0].Key, err)
	}
	// An address whose nonces disagree with the chain's (CheckNonces) is
	// signed for no more, whichever replica found it.
	if err := haltOf(tx.WithContext(ctx), from); err != nil {
		return nil, fmt.Errorf("submit %s: %w", reqs[0].Key, err)
	}
	for i, req := range reqs {
		if req.Check != nil {
			if err := req.Check(tx, quotes[i]); err != nil {
				return nil, err
			}
		}
	}
	now := time.Now().UTC()
	sends := make([]*Send, len(reqs))
	raws := make([][]byte, len(reqs))
	for i, req := range reqs {
		q, nonce := quotes[i], row.NextNonce+uint64(i)
		signed, err := types.SignNewTx(key, s.signer, &types.DynamicFeeTx{
			ChainID: s.chainID, Nonce: nonce, GasTipCap: q.TipCap, GasFeeCap: q.FeeCap,
			Gas: q.GasLimit, To: &req.To, Value: req.Value, Data: req.Data,
		})
		if err != nil {
			return nil, fmt.Errorf("submit %s: sign: %w", req.Key, err)
		}
		if raws[i], err = signed.MarshalBinary(); err != nil {
			return nil, fmt.Errorf("submit %s: encode: %w", req.Key, err)
		}
		confs := req.Confirmations
		if confs == 0 {
			confs = s.cfg.Confirmations
		}
		hash := hashString(signed.Hash())
		sends[i] = &Send{
			Key: req.Key, Purpose: req.Purpose, Ref: req.Ref, ChainID: s.chainID.Uint64(),
			From: addrString(req.From), To: addrString(req.To), Value: req.Value.String(), Data: req.Data,
			Nonce: nonce, GasLimit: q.GasLimit, Confirmations: confs, State: StateSigned,
			MaxCost: q.MaxCost.String(), Attempts: 1, TxHash: hash, FirstHash: hash, LastAttemptAt: now,
		}
	}
	// One statement per table. The ids of a multi-row insert are read back
	// by key rather than trusted from the driver: without RETURNING it would
	// assume them consecutive, which a cluster's auto-increment settings or
	// lock mode need not give, and an attempt must never point at another
	// send.
	if err := tx.WithContext(ctx).Create(&sends).Error; err != nil {
		return nil, fmt.Errorf("submit %s: store %d sends: %w", reqs[0].Key, len(sends), err)
	}
	if len(sends) > 1 {
		if err := readSendIDs(tx.WithContext(ctx), sends); err != nil {
			return nil, fmt.Errorf("submit %s: %w", reqs[0].Key, err)
		}
	}
	atts := make([]*Attempt, len(sends))
	for i, send := range sends {
		if send.ID == 0 {
			return nil, fmt.Errorf("submit %s: store send: no id", send.Key)
		}
		q := quotes[i]
		atts[i] = &Attempt{SendID: send.ID, TxHash: send.TxHash, TipCap: q.TipCap.String(), FeeCap: q.FeeCap.String(), Raw: raws[i]}
	}
	if err := tx.WithContext(ctx).Create(&atts).Error; err != nil {
		return nil, fmt.Errorf("submit %s: store %d attempts: %w", reqs[0].Key, len(atts), err)
	}
	res := tx.WithContext(ctx).Model(&nonceRow{}).Where("address = ?", row.Address).
		Update("next_nonce", gorm.Expr("next_nonce + ?", len(sends)))
	if res.Error != nil {
		return nil, fmt.Errorf("submit %s: advance nonce: %w", reqs[0].Key, res.Error)
	}
	for i, send := range sends {
		q := quotes[i]
		s.log.Info().Str("send", send.Key).Str("tx_hash", send.TxHash).Str("from", send.From).Uint64("nonce", send.Nonce).
			Str("fee_cap", q.FeeCap.String()).Str("tip_cap", q.TipCap.String()).Uint64("gas", q.GasLimit).Msg("transaction signed and stored")
	}
	return sends, nil
}

// readSendIDs sets the id of each of sends from its stored row.
func readSendIDs(tx *gorm.DB, sends []*Send) error {
	keys := make([]string, len(sends))
	for i, send := range sends {
		keys[i] = send.Key
	}
	var rows []struct {
		ID  uint64 `gorm:"column:id"`
		Key string `gorm:"column:send_key"`
	}
	if err := tx.Table("tx_sends").Select("id", "send_key").Where("send_key IN ?", keys).Scan(&rows).Error; err != nil {
		return fmt.Errorf("read back the ids of %d sends: %w", len(sends), err)
	}
	ids := make(map[string]uint64, len(rows))
	for _, r := range rows {
		ids[r.Key] = r.ID
	}
	for _, send := range sends {
		if send.ID = ids[send.Key]; send.ID == 0 {
			return fmt.Errorf("send %s not found after storing it", send.Key)
		}
	}
	return nil
}

// lockNonce locks from's nonce row inside tx and returns it, creating it first
// (at the node's pending nonce) when it does not exist. The creation takes the
// row's exclusive lock at once (INSERT ... ON DUPLICATE KEY UPDATE), so replicas
// racing to create it queue up instead of deadlocking, and everything happens
// on tx's connection.
func (s *Sender) lockNonce(ctx context.Context, tx *gorm.DB, from common.Address) (nonceRow, error) {
	addr := addrString(from)
	var rows []nonceRow
	s.mu.Lock()
	known := s.inited[from]
	s.mu.Unlock()
	if known {
		err := tx.WithContext(ctx).Clauses(clause.Locking{Strength: "UPDATE"}).Where("address = ?", addr).Find(&rows).Error
		if err != nil {
			return nonceRow{}, fmt.Errorf("lock nonce of %s: %w", from.Hex(), err)
		}
		if len(rows) == 1 {
			return rows[0], nil
		}
	}
	pending, err := s.node.PendingNonceAt(ctx, from)
	if err != nil {
		return nonceRow{}, fmt.Errorf("pending nonce of %s: %w", from.Hex(), err)
	}
	err = tx.WithContext(ctx).Exec("INSERT INTO tx_nonces (address, next_nonce) VALUES (?, ?) ON DUPLICATE KEY UPDATE address = address",
		addr, pending).Error
	if err != nil {
		return nonceRow{}, fmt.Errorf("create nonce row of %s: %w", from.Hex(), err)
	}
	err = tx.WithContext(ctx).Clauses(clause.Locking{Strength: "UPDATE"}).Where("address = ?", addr).Find(&rows).Error
	if err != nil || len(rows) != 1 {
		return nonceRow{}, fmt.Errorf("lock nonce of %s: %w (%d rows)", from.Hex(), err, len(rows))
	}
	s.mu.Lock()
	s.inited[from] = true
	s.mu.Unlock()
	return rows[0], nil
}

// ReservedCost is the most the node may still debit from `from` for sends that
// are not mined yet (their MaxCost): what a balance check must set aside.
func ReservedCost(tx *gorm.DB, from common.Address) (*big.Int, error) {
	var sum string
	err := tx.Raw("SELECT CAST(COALESCE(SUM(max_cost), 0) AS CHAR) FROM tx_sends WHERE from_address = ? AND state IN ?",
		addrString(from), UnminedStates()).Scan(&sum).Error
	if err != nil {
		return nil, fmt.Errorf("reserved cost of %s: %w", from.Hex(), err)
	}
	return bigString(sum), nil
}

// NextNonce reads, without locking it, the nonce the sender will hand out next
// for from: every send from `from` with a lower nonce was committed before it.
// It is 0 when from has no nonce row yet.
func NextNonce(tx *gorm.DB, from common.Address) (uint64, error) {
	var rows []nonceRow
	if err := tx.Where("address = ?", addrString(from)).Find(&rows).Error; err != nil {
		return 0, fmt.Errorf("next nonce of %s: %w", from.Hex(), err)
	}
	if len(rows) == 0 {
		return 0, nil
	}
	return rows[0].NextNonce, nil
}

// ReservedCostBelow is ReservedCost counting only the sends with a nonce
// lower than nonce.
func ReservedCostBelow(tx *gorm.DB, from common.Address, nonce uint64) (*big.Int, error) {
	var sum string
	err := tx.Raw("SELECT CAST(COALESCE(SUM(max_cost), 0) AS CHAR) FROM tx_sends WHERE from_address = ? AND nonce < ? AND state IN ?",
		addrString(from), nonce, UnminedStates()).Scan(&sum).Error
	if err != nil {
		return nil, fmt.Errorf("reserved cost of %s: %w", from.Hex(), err)
	}
	return bigString(sum), nil
}

// Broadcast sends the latest attempt of a stored send to the node and records
// it. Errors from the node are not returned: the tracker retries.
func (s *Sender) Broadcast(ctx context.Context, id uint64) error {
	send, att, err := s.load(ctx, id)
	if err != nil {
		return err
	}
	if send.Final() || send.State == StateIncluded {
		return nil
	}
	s.broadcast(ctx, send, att)
	return nil
}

// broadcast sends att and records the outcome on send.
func (s *Sender) broadcast(ctx context.Context, send *Send, att *Attempt) {
	sent, ok := s.send(ctx, att)
	if !ok {
		return
	}
	err := s.transition(ctx, send, s.recordBroadcast(ctx, sent))
	s.logBroadcast(send, att, sent, err)
}

// BroadcastBatch is Broadcast for several stored sends: each one's latest
// attempt is sent to the node, in the order of ids, and what became of them
// all is recorded in one database transaction (hooks included) rather than
// one each. Errors from the node are not returned: the tracker retries.
func (s *Sender) BroadcastBatch(ctx context.Context, ids []uint64) error {
	if len(ids) == 0 {
		return nil
	}
	var loaded []Send
	if err := s.db.WithContext(ctx).Where("id IN ?", ids).Find(&loaded).Error; err != nil {
		return fmt.Errorf("load %d sends: %w", len(ids), err)
	}
	var atts []Attempt
	if err := s.db.WithContext(ctx).Where("send_id IN ?", ids).Order("id").Find(&atts).Error; err != nil {
		return fmt.Errorf("load attempts of %d sends: %w", len(ids), err)
	}
	latest := make(map[uint64]*Attempt, len(ids))
	for i := range atts {
		latest[atts[i].SendID] = &atts[i] // ordered by id: the last one wins
	}
	byID := make(map[uint64]*Send, len(loaded))
	for i := range loaded {
		byID[loaded[i].ID] = &loaded[i]
	}
	var sends []*Send
	var fns []func(*gorm.DB, *Send) error
	var done []sendResult
	var used []*Attempt
	for _, id := range ids {
		send, att := byID[id], latest[id]
		if send == nil || att == nil {
			s.log.Warn().Uint64("send_id", id).Msg("broadcast: no such send or attempt")
			continue
		}
		if send.Final() || send.State == StateIncluded {
			continue
		}
		sent, ok := s.send(ctx, att)
		if !ok {
			continue
		}
		sends, fns, done, used = append(sends, send), append(fns, s.recordBroadcast(ctx, sent)), append(done, sent), append(used, att)
	}
	errs := s.transitionAll(ctx, sends, fns)
	for i, send := range sends {
		s.logBroadcast(send, used[i], done[i], errs[i])
	}
	return nil
}

// sendResult is the node's answer to one broadcast.
type sendResult struct {
	at     time.Time
	result broadcastResult
	err    error
}

// send sends att to the node; ok is false when the stored transaction does
// not decode (logged).
func (s *Sender) send(ctx context.Context, att *Attempt) (sendResult, bool) {
	s.crashPoint(CrashAfterSign)
	var tx types.Transaction
	if err := tx.UnmarshalBinary(att.Raw); err != nil {
		s.log.Error().Err(err).Str("tx_hash", att.TxHash).Msg("stored transaction does not decode")
		return sendResult{}, false
	}
	sendErr := s.node.SendTransaction(ctx, &tx)
	result := classify(sendErr)
	if result == sentOK {
		s.crashPoint(CrashAfterBroadcast)
	}
	return sendResult{at: time.Now().UTC(), result: result, err: sendErr}, true
}

// recordBroadcast is the transition that records a broadcast's outcome.
func (s *Sender) recordBroadcast(ctx context.Context, sent sendResult) func(*gorm.DB, *Send) error {
	return func(tx *gorm.DB, cur *Send) error {
		if cur.Final() || cur.State == StateIncluded {
			return errSkip
		}
		now := sent.at
		cur.LastBroadcastAt = &now
		switch sent.result {
		case sentOK:
			cur.LastError = nil
			if cur.State == StateSigned {
				cur.State = StatePending
				return s.markBroadcast(ctx, tx, cur, now)
			}
		default:
			msg := truncate(sent.err.Error(), 250)
			cur.LastError = &msg
		}
		return nil
	}
}

// logBroadcast logs a broadcast and the error recording it, if any.
func (s *Sender) logBroadcast(send *Send, att *Attempt, sent sendResult, err error) {
	log := s.log.With().Str("send", send.Key).Str("tx_hash", att.TxHash).Uint64("nonce", send.Nonce).Logger()
	switch {
	case err != nil && !errors.Is(err, errSkip):
		log.Warn().Err(err).Msg("record broadcast")
	case sent.result == sentOK:
		log.Debug().Msg("transaction broadcast")
	case sent.result == sentNonceUsed:
		log.Debug().Err(sent.err).Msg("nonce already used on chain; waiting for the receipt")
	default:
		log.Warn().Err(sent.err).Msg("node refused the transaction; will retry")
	}
}

// markBroadcast sets the first-broadcast time and calls the Broadcast hook.
func (s *Sender) markBroadcast(ctx context.Context, tx *gorm.DB, cur *Send, now time.Time) error {
	if cur.BroadcastAt != nil {
		return nil
	}
	cur.BroadcastAt = &now
	return s.hooks.Broadcast(ctx, tx, cur)
}

// errSkip abandons a transition: another replica moved the send first.
var errSkip = errors.New("send changed concurrently")

// transition applies fn to the current row of send under a row lock, then saves
// it with a new version: transitionAll of one.
func (s *Sender) transition(ctx context.Context, send *Send, fn func(tx *gorm.DB, cur *Send) error) error {
	return s.transitionAll(ctx, []*Send{send}, []func(*gorm.DB, *Send) error{fn})[0]
}

// transitionAll applies fns[i] to the current row of sends[i] under a row
// lock and saves it with a new version, all in one database transaction. A
// send another replica holds or changed since it was read is skipped (its
// error is errSkip), as is one whose fn returns errSkip (before writing
// anything). When the transaction fails as a whole, each send is tried again
// in a transaction of its own, so that one failing hook does not hold back
// the others. It returns the outcome of each send; a saved send is updated in
// place.
func (s *Sender) transitionAll(ctx context.Context, sends []*Send, fns []func(*gorm.DB, *Send) error) []error {
	errs := make([]error, len(sends))
	if len(sends) == 0 {
		return errs
	}
	ids := make([]uint64, len(sends))
	for i, send := range sends {
		ids[i] = send.ID
	}
	saved := make([]*Send, len(sends))
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var rows []Send
		err := tx.Clauses(clause.Locking{Strength: "UPDATE", Options: "SKIP LOCKED"}).Where("id IN ?", ids).Find(&rows).Error
		if err != nil {
			return fmt.Errorf("lock %d sends: %w", len(ids), err)
		}
		cur := make(map[uint64]*Send, len(rows))
		for i := range rows {
			cur[rows[i].ID] = &rows[i]
		}
		for i, send := range sends {
			c := cur[send.ID]
			if c == nil || c.Version != send.Version {
				errs[i] = errSkip
				continue
			}
			if err := fns[i](tx, c); errors.Is(err, errSkip) {
				errs[i] = errSkip
				continue
			} else if err != nil {
				return err
			}
			c.Version++
			if err := tx.Save(c).Error; err != nil {
				return fmt.Errorf("save send %s: %w", send.Key, err)
			}
			saved[i] = c
		}
		return nil
	}, &sql.TxOptions{Isolation: sql.LevelReadCommitted})
	if err != nil {
		if len(sends) == 1 {
			errs[0] = err
			return errs
		}
		for i, send := range sends {
			errs[i] = s.transition(ctx, send, fns[i])
		}
		return errs
	}
	wake := false
	for i, send := range sends {
		if saved[i] == nil {
			continue
		}
		wake = wake || (send.BroadcastAt == nil && saved[i].BroadcastAt != nil) || saved[i].Final()
		*send = *saved[i]
	}
	if wake {
		s.hooks.Committed()
	}
	return errs
}

// load reads a send and its latest attempt.
func (s *Sender) load(ctx context.Context, id uint64) (*Send, *Attempt, error) {
	var send Send
	if err := s.db.WithContext(ctx).Where("id = ?", id).First(&send).Error; err != nil {
		return nil, nil, fmt.Errorf("load send %d: %w", id, err)
	}
	var att Attempt
	if err := s.db.WithContext(ctx).Where("send_id = ?", id).Order("id DESC").First(&att).Error; err != nil {
		return nil, nil, fmt.Errorf("load attempt of send %d: %w", id, err)
	}
	return &send, &att, nil
}

// SendByKey returns the send stored under key, or nil.
func SendByKey(tx *gorm.DB, key string) (*Send, error) {
	var send Send
	err := tx.Where("send_key = ?", key).First(&send).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("find send %s: %w", key, err)
	}
	return &send, nil
}

// AttemptsOf returns every attempt of a send, oldest first.
func AttemptsOf(tx *gorm.DB, sendID uint64) ([]Attempt, error) {
	var out []Attempt
	if err := tx.Where("send_id = ?", sendID).Order("id").Find(&out).Error; err != nil {
		return nil, fmt.Errorf("attempts of send %d: %w", sendID, err)
	}
	return out, nil
}

func addrString(a common.Address) string { return strings.ToLower(a.Hex()) }

func hashString(h common.Hash) string { return strings.ToLower(h.Hex()) }

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n]
}
