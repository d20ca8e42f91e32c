package txsender

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"paysuite/pkg/events"
)

// Kinds of disagreement between an address's stored nonce and the chain's.
const (
	// MismatchBehind: the chain has not used nonces the sender handed out, and
	// no unmined send holds some of them (a reset or rolled-back chain, a
	// stored nonce moved by hand): the sends above them can never be mined.
	MismatchBehind = "behind"
	// MismatchAhead: the chain, or the node's pool, has used nonces the sender
	// never handed out (the key signed elsewhere, or the database was restored
	// from an older backup).
	MismatchAhead = "ahead"
)

// NonceReport is what comparing one address's stored next nonce with the
// chain's found.
type NonceReport struct {
	ChainID uint64
	Address common.Address
	Stored  uint64 // the next nonce the sender hands out
	Latest  uint64 // the chain's nonce at its head
	Pending uint64 // the node's nonce counting its pool
	// Holes counts the nonces in [Latest, Stored) that no unmined send
	// holds, FirstHole the lowest of them; Lost counts those held by a send
	// recorded as mined (or failed) that the chain does not show.
	Holes     uint64
	FirstHole uint64
	Lost      int64
	// Kind is MismatchBehind, MismatchAhead, or "" when they agree.
	Kind string

	// What the store held when it was read: halt stops signing only if it
	// still does (a repair, or a send, in between makes the report stale).
	readNext   uint64
	readActive int
}

// String tells the operator what was found.
func (r NonceReport) String() string {
	addr := addrString(r.Address)
	switch r.Kind {
	case MismatchAhead:
		return fmt.Sprintf("nonces of %s on chain %d: the chain has used nonces up to %d (%d counting the node's pool) but the suite handed out only up to %d: "+
			"the key signed elsewhere, or the database was restored from an older backup; signing from %s is stopped",
			addr, r.ChainID, r.Latest, r.Pending, r.Stored, addr)
	case MismatchBehind:
		lost := ""
		if r.Lost > 0 {
			lost = fmt.Sprintf(", %d of them held by sends recorded as mined that the chain does not show", r.Lost)
		}
		return fmt.Sprintf("nonces of %s on chain %d: the chain's next nonce is %d (%d counting the node's pool) but the suite's is %d, and %d nonces from %d up "+
			"are held by no unmined send%s (a reset or rolled-back chain, or a stored nonce moved): the sends above them cannot be mined; signing from %s is stopped",
			addr, r.ChainID, r.Latest, r.Pending, r.Stored, r.Holes, r.FirstHole, lost, addr)
	default:
		return fmt.Sprintf("nonces of %s on chain %d agree with the chain: next %d, chain %d, pending %d", addr, r.ChainID, r.Stored, r.Latest, r.Pending)
	}
}

// CompareNonces compares from's stored next nonce with the node's, latest and
// pending; it returns nil when the sender has never sent from it. The store is
// read before the chain (sends mined in between only make the chain agree
// more), and the stored nonce once more after it, so that a send signed in
// between is not taken for someone else's.
func (s *Sender) CompareNonces(ctx context.Context, from common.Address) (*NonceReport, error) {
	addr := addrString(from)
	var rows []nonceRow
	var active []uint64
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := tx.Where("chain_id = ? AND address = ?", s.chain, addr).Find(&rows).Error; err != nil {
			return err
		}
		if len(rows) == 0 {
			return nil
		}
		return tx.Model(&Send{}).Where("chain_id = ? AND from_address = ? AND state IN ?", s.chain, addr, activeStates()).Pluck("nonce", &active).Error
	}, &sql.TxOptions{Isolation: sql.LevelRepeatableRead, ReadOnly: true})
	if err != nil {
		return nil, fmt.Errorf("read nonces of %s: %w", addr, err)
	}
	if len(rows) == 0 {
		return nil, nil
	}
	latest, err := s.node.NonceAt(ctx, from, nil)
	if err != nil {
		return nil, fmt.Errorf("chain nonce of %s: %w", addr, err)
	}
	pending, err := s.node.PendingNonceAt(ctx, from)
	if err != nil {
		return nil, fmt.Errorf("pending nonce of %s: %w", addr, err)
	}
	stored, err := s.NextNonce(s.db.WithContext(ctx), from)
	if err != nil {
		return nil, err
	}
	r := &NonceReport{ChainID: s.chain, Address: from, Stored: stored, Latest: latest, Pending: pending, readNext: rows[0].NextNonce, readActive: len(active)}
	if latest > stored || pending > stored {
		r.Kind = MismatchAhead
		return r, nil
	}
	r.Holes, r.FirstHole = holes(latest, rows[0].NextNonce, active)
	if r.Holes == 0 {
		return r, nil
	}
	r.Kind = MismatchBehind
	err = s.db.WithContext(ctx).Model(&Send{}).Where("chain_id = ? AND from_address = ? AND nonce >= ? AND nonce < ? AND state NOT IN ?",
		s.chain, addr, latest, rows[0].NextNonce, activeStates()).Count(&r.Lost).Error
	if err != nil {
		return nil, fmt.Errorf("sends of %s the chain lost: %w", addr, err)
	}
	return r, nil
}

// holes counts the nonces in [from, to) not in held, and returns the lowest.
func holes(from, to uint64, held []uint64) (count, first uint64) {
	if from >= to {
		return 0, 0
	}
	held = slices.Clone(held)
	slices.Sort(held)
	held = slices.Compact(held)
	first = from
	var in uint64
	for _, n := range held {
		if n < from || n >= to {
			continue
		}
		in++
		if n == first {
			first++
		}
	}
	return to - from - in, first
}

// ErrHalted is returned by Submit for an address whose signing is stopped
// because its stored nonces and the chain's disagree, until an operator
// repairs them (Repair).
var ErrHalted = errors.New("signing stopped: the address's nonces and the chain's disagree")

// haltRow is an address whose signing on a chain is stopped, and why.
type haltRow struct {
	ChainID      uint64    `gorm:"column:chain_id;primaryKey"`
	Address      string    `gorm:"column:address;primaryKey"`
	Kind         string    `gorm:"column:kind"`
	StoredNonce  uint64    `gorm:"column:stored_nonce"`
	ChainNonce   uint64    `gorm:"column:chain_nonce"`
	PendingNonce uint64    `gorm:"column:pending_nonce"`
	Message      string    `gorm:"column:message"`
	CreatedAt    time.Time `gorm:"column:created_at"`
}

func (haltRow) TableName() string { return "tx_halts" }

// haltOf returns ErrHalted, with what was found, when from's signing on the
// sender's chain is stopped.
func (s *Sender) haltOf(tx *gorm.DB, from common.Address) error {
	var rows []haltRow
	if err := tx.Where("chain_id = ? AND address = ?", s.chain, addrString(from)).Find(&rows).Error; err != nil {
		return fmt.Errorf("read halt of %s: %w", from.Hex(), err)
	}
	if len(rows) == 0 {
		return nil
	}
	return fmt.Errorf("%w: %s", ErrHalted, rows[0].Message)
}

// halt stops signing from r.Address and raises a nonce_mismatch alert, once
// per halt; it reports whether the address was not stopped already. Under
// the address's nonce lock it first makes sure the store still holds what r
// was made from: otherwise a send or a repair came in between, and the next
// check decides.
func (s *Sender) halt(ctx context.Context, r NonceReport) (bool, error) {
	addr, msg := addrString(r.Address), r.String()
	var stopped bool
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var rows []nonceRow
		if err := tx.Clauses(clause.Locking{Strength: "UPDATE"}).Where("chain_id = ? AND address = ?", s.chain, addr).Find(&rows).Error; err != nil {
			return fmt.Errorf("lock nonce of %s: %w", addr, err)
		}
		var active int64
		if err := tx.Model(&Send{}).Where("chain_id = ? AND from_address = ? AND state IN ?", s.chain, addr, activeStates()).Count(&active).Error; err != nil {
			return fmt.Errorf("unfinished sends of %s: %w", addr, err)
		}
		if len(rows) != 1 || rows[0].NextNonce != r.readNext || active != int64(r.readActive) {
			s.log.Debug().Str("from", addr).Msg("nonces changed while they were compared; left to the next check")
			return nil
		}
		res := tx.Exec("INSERT IGNORE INTO tx_halts (chain_id, address, kind, stored_nonce, chain_nonce, pending_nonce, message) VALUES (?, ?, ?, ?, ?, ?, ?)",
			s.chain, addr, r.Kind, r.Stored, r.Latest, r.Pending, truncate(msg, 1024))
		if res.Error != nil {
			return fmt.Errorf("stop signing from %s: %w", addr, res.Error)
		}
		if stopped = res.RowsAffected == 1; !stopped {
			return nil
		}
		_, err := s.raiseOnce(ctx, tx, Alert{Kind: events.AlertNonceMismatch, Key: addr,
			ID:      fmt.Sprintf("%s:%s:%d", events.AlertNonceMismatch, addr, time.Now().UnixNano()),
			Message: msg + "; see what the repair would do with: payctl repair-nonces <service>"})
		return err
	})
	if err != nil {
		return false, err
	}
	if stopped {
		s.hooks.Committed()
	}
	return stopped, nil
}

// CheckNonces compares from's nonces with the chain's and stops signing from
// it when they disagree; it reports whether signing from it is stopped (now
// or before).
func (s *Sender) CheckNonces(ctx context.Context, from common.Address) (bool, error) {
	r, err := s.CompareNonces(ctx, from)
	if err != nil {
		return false, err
	}
	s.mu.Lock()
	s.checkedAt[from] = time.Now()
	s.mu.Unlock()
	if r != nil && r.Kind != "" {
		if _, err := s.halt(ctx, *r); err != nil {
			return false, err
		}
	}
	err = s.haltOf(s.db.WithContext(ctx), from)
	if errors.Is(err, ErrHalted) {
		return true, nil
	}
	return false, err
}

// checkIfDue runs CheckNonces for from when this process has not done so
// since signedAt (a check before a transaction was signed does not vouch for
// it) or for ReplaceAfter; otherwise it only reads whether from is stopped.
func (s *Sender) checkIfDue(ctx context.Context, from common.Address, signedAt time.Time) (bool, error) {
	s.mu.Lock()
	last, ok := s.checkedAt[from]
	s.mu.Unlock()
	if !ok || last.Before(signedAt) || time.Since(last) >= s.cfg.ReplaceAfter {
		return s.CheckNonces(ctx, from)
	}
	err := s.haltOf(s.db.WithContext(ctx), from)
	if errors.Is(err, ErrHalted) {
		return true, nil
	}
	return false, err
}

// Ready fails while signing from any address on the sender's chain is
// stopped, saying what was found: for a service's /readyz.
func (s *Sender) Ready(ctx context.Context) error {
	var rows []haltRow
	if err := s.db.WithContext(ctx).Where("chain_id = ?", s.chain).Order("address").Limit(10).Find(&rows).Error; err != nil {
		return fmt.Errorf("read halted addresses: %w", err)
	}
	if len(rows) == 0 {
		return nil
	}
	msgs := make([]string, len(rows))
	for i, r := range rows {
		msgs[i] = r.Message
	}
	return errors.New(strings.Join(msgs, "; "))
}

// stuck raises a stuck_transaction alert about send, once.
func (s *Sender) stuck(ctx context.Context, send *Send, why string) error {
	var raised bool
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) (err error) {
		raised, err = s.raiseOnce(ctx, tx, Alert{Kind: events.AlertStuckTransaction, Key: send.From,
			ID: fmt.Sprintf("%s:%s:%d", events.AlertStuckTransaction, send.Key, send.Attempts),
			Message: fmt.Sprintf("transaction %s of %s (nonce %d from %s on chain %d) is still unmined after %d attempts and %s: it is no longer replaced; "+
				"raise MAX_FEE_GWEI/MAX_REPLACEMENTS and restart, or look at the node", send.TxHash, send.Key, send.Nonce, send.From, send.ChainID, send.Attempts, why)})
		return err
	})
	if err != nil {
		return err
	}
	if raised {
		s.hooks.Committed()
	}
	return nil
}
