package txsender

import (
	"context"
	"errors"
	"fmt"
	"math/big"
	"slices"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

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
	if err := s.haltOf(tx.WithContext(ctx), from); err != nil {
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
	res := tx.WithContext(ctx).Model(&nonceRow{}).Where("chain_id = ? AND address = ?", s.chain, row.Address).
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

// lockNonce locks from's nonce row of the sender's chain inside tx and returns it, creating it first
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
		err := tx.WithContext(ctx).Clauses(clause.Locking{Strength: "UPDATE"}).Where("chain_id = ? AND address = ?", s.chain, addr).Find(&rows).Error
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
	err = tx.WithContext(ctx).Exec("INSERT INTO tx_nonces (chain_id, address, next_nonce) VALUES (?, ?, ?) ON DUPLICATE KEY UPDATE address = address",
		s.chain, addr, pending).Error
	if err != nil {
		return nonceRow{}, fmt.Errorf("create nonce row of %s: %w", from.Hex(), err)
	}
	err = tx.WithContext(ctx).Clauses(clause.Locking{Strength: "UPDATE"}).Where("chain_id = ? AND address = ?", s.chain, addr).Find(&rows).Error
	if err != nil || len(rows) != 1 {
		return nonceRow{}, fmt.Errorf("lock nonce of %s: %w (%d rows)", from.Hex(), err, len(rows))
	}
	s.mu.Lock()
	s.inited[from] = true
	s.mu.Unlock()
	return rows[0], nil
}
