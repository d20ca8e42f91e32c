// Package store persists the matcher's orders, the transfers matched to them and
// the transfers that matched nothing, in the matcher's own schema.
package store

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"math/big"
	"slices"
	"strings"
	"time"

	"github.com/go-sql-driver/mysql"
	"gorm.io/gorm"

	"paysuite/pkg/db"
	"paysuite/pkg/outbox"
)

//go:embed migrations/*.sql
var migrations embed.FS

// Migrations are the schema's versioned migrations, with the outbox table's
// (0000) taken from pkg/outbox.
func Migrations() fs.FS { return db.Migrations(migrations, "migrations", outbox.Migrations()) }

// AnyChain is the chain of an order payable on each of its offered chains:
// the payer picks.
const AnyChain = "*"

// Order modes.
const (
	ModeAddress = "address"
	ModeAmount  = "amount"
)

// Order states. An order is open until it is fully paid by confirmed, timely
// transfers (paid) or its expiry passes without full payment (expired).
const (
	StateOpen    = "open"
	StatePaid    = "paid"
	StateExpired = "expired"
)

// Payment states follow the chain-listener's transfer kinds.
const (
	PaymentSeen      = "seen"
	PaymentConfirmed = "confirmed"
	PaymentRemoved   = "removed"
)

// Order is one accepted order. Amounts are integer base units, in decimal.
type Order struct {
	ID        uint64 `gorm:"column:id"`
	RequestID string `gorm:"column:request_id"`
	OrderID   string `gorm:"column:order_id"`
	Chain     string `gorm:"column:chain"`
	// Chains are the chains an AnyChain order is payable on, comma-separated
	// in configuration order; empty for an order on one chain.
	Chains string `gorm:"column:chains"`
	Symbol string `gorm:"column:symbol"`
	// Decimals are those of Amount and PayAmount: the token's, or for an
	// AnyChain order the fewest among its offered tokens.
	Decimals     int32   `gorm:"column:decimals"`
	Amount       string  `gorm:"column:amount"`
	PayAddress   string  `gorm:"column:pay_address"`
	PayAmount    string  `gorm:"column:pay_amount"`
	Mode         string  `gorm:"column:mode"`
	AddressIndex *uint64 `gorm:"column:address_index"`
	ExpiresAt    int64   `gorm:"column:expires_unix"`
	State        string  `gorm:"column:state"`
	Covered      bool    `gorm:"column:covered"`
	CallbackURL  *string `gorm:"column:callback_url"`
	// CreatedBody is the created return, re-sent byte for byte on repeats.
	CreatedBody []byte `gorm:"column:created_body"`
	// PastDue is true when the database clock is past ExpiresAt; only set by
	// the locking reads.
	PastDue bool `gorm:"column:past_due"`
}

// Offers tells whether the order is payable on chain.
func (o *Order) Offers(chain string) bool {
	return slices.Contains(o.OfferedChains(), chain)
}

// OfferedChains are the chains the order is payable on.
func (o *Order) OfferedChains() []string {
	if o.Chain == AnyChain {
		return strings.Split(o.Chains, ",")
	}
	return []string{o.Chain}
}

// Payment is a transfer matched to an order, at the last event applied.
type Payment struct {
	TransferID  string `gorm:"column:transfer_id"`
	OrderPK     uint64 `gorm:"column:order_pk"`
	Chain       string `gorm:"column:chain"`
	TxHash      string `gorm:"column:tx_hash"`
	LogIndex    uint   `gorm:"column:log_index"`
	FromAddress string `gorm:"column:from_address"`
	// Amount is in base units of the token on Chain, of Decimals.
	Amount      string `gorm:"column:amount"`
	Decimals    int32  `gorm:"column:decimals"`
	BlockNumber uint64 `gorm:"column:block_number"`
	State       string `gorm:"column:state"`
	Seq         uint64 `gorm:"column:seq"`
	Late        bool   `gorm:"column:late"`
}

// Unmatched is a transfer into a matcher address that no order claims.
type Unmatched struct {
	TransferID  string    `gorm:"column:transfer_id"`
	Chain       string    `gorm:"column:chain"`
	Symbol      string    `gorm:"column:symbol"`
	Token       string    `gorm:"column:token"`
	ToAddress   string    `gorm:"column:to_address"`
	FromAddress string    `gorm:"column:from_address"`
	TxHash      string    `gorm:"column:tx_hash"`
	LogIndex    uint      `gorm:"column:log_index"`
	Amount      string    `gorm:"column:amount"`
	BlockNumber uint64    `gorm:"column:block_number"`
	State       string    `gorm:"column:state"`
	Seq         uint64    `gorm:"column:seq"`
	Reason      string    `gorm:"column:reason"`
	CreatedAt   time.Time `gorm:"column:created_at"`
}

// Store reads and writes the matcher's schema.
type Store struct{ db *gorm.DB }

// New wraps an open database.
func New(gdb *gorm.DB) *Store { return &Store{db: gdb} }

// DB returns the handle for transactions.
func (s *Store) DB() *gorm.DB { return s.db }

// orderColumns is the select list of Order from orders o; expires_at is read
// as unix seconds.
const orderColumns = `o.id, o.request_id, o.order_id, o.chain, COALESCE(o.chains, '') AS chains, o.symbol, o.decimals,
	CAST(o.amount AS CHAR) AS amount, o.pay_address, CAST(o.pay_amount AS CHAR) AS pay_amount, o.mode, o.address_index,
	UNIX_TIMESTAMP(o.expires_at) DIV 1 AS expires_unix, o.state, o.covered, o.callback_url, o.created_body,
	(o.expires_at < NOW(6)) AS past_due`

// ByRequestID finds an order by its request_id, or nil.
func (s *Store) ByRequestID(ctx context.Context, requestID string) (*Order, error) {
	return firstOrder(s.db.WithContext(ctx), "SELECT "+orderColumns+" FROM orders o WHERE request_id = ?", requestID)
}

// ByOrderID finds an order by the business system's order_id, or nil.
func (s *Store) ByOrderID(ctx context.Context, orderID string) (*Order, error) {
	return firstOrder(s.db.WithContext(ctx), "SELECT "+orderColumns+" FROM orders o WHERE order_id = ?", orderID)
}

func firstOrder(tx *gorm.DB, query string, args ...any) (*Order, error) {
	var rows []Order
	if err := tx.Raw(query, args...).Scan(&rows).Error; err != nil {
		return nil, fmt.Errorf("find order: %w", err)
	}
	if len(rows) == 0 {
		return nil, nil
	}
	return &rows[0], nil
}

// OpenPayAmounts returns the payable amounts of the open orders for symbol
// on address on chain between lo and hi inclusive, as decimal strings of the
// chain's base units.
func (s *Store) OpenPayAmounts(ctx context.Context, chain, address, symbol string, lo, hi *big.Int) (map[string]bool, error) {
	var amounts []string
	err := s.db.WithContext(ctx).Raw(`SELECT CAST(pay_amount AS CHAR) FROM order_slots
		WHERE chain = ? AND pay_address = ? AND symbol = ? AND open_slot = 1 AND pay_amount BETWEEN ? AND ?`,
		chain, address, symbol, lo.String(), hi.String()).Scan(&amounts).Error
	if err != nil {
		return nil, fmt.Errorf("list open payable amounts on %s %s: %w", chain, address, err)
	}
	out := make(map[string]bool, len(amounts))
	for _, a := range amounts {
		out[a] = true
	}
	return out, nil
}

// NewOrder is what InsertOrder records.
type NewOrder struct {
	RequestID string
	OrderID   string
	Chain     string
	// Offers are the chains an AnyChain order is payable on, with the
	// decimals of the token there; empty means Chain with Decimals.
	Offers       []Offer
	Symbol       string
	Decimals     int32
	Amount       *big.Int
	PayAddress   string
	PayAmount    *big.Int
	Mode         string
	AddressIndex *uint64
	ExpiresIn    int64
	CallbackURL  string
}

// Offer is a chain an order is payable on, and the decimals of its token there.
type Offer struct {
	Chain    string
	Decimals int32
}

func (o NewOrder) offers() []Offer {
	if len(o.Offers) == 0 {
		return []Offer{{Chain: o.Chain, Decimals: o.Decimals}}
	}
	return o.Offers
}

// chains is the chains column: the offered chains of an AnyChain order.
func (o NewOrder) chains() *string {
	if o.Chain != AnyChain {
		return nil
	}
	names := make([]string, 0, len(o.Offers))
	for _, off := range o.Offers {
		names = append(names, off.Chain)
	}
	joined := strings.Join(names, ",")
	return &joined
}

// AllocateIndex reserves a fresh derivation index inside tx: the database hands
// out each index once, across replicas and restarts.
func AllocateIndex(tx *gorm.DB) (uint64, error) {
	if err := tx.Exec("INSERT INTO address_allocations () VALUES ()").Error; err != nil {
		return 0, fmt.Errorf("allocate address index: %w", err)
	}
	var id uint64
	if err := tx.Raw("SELECT LAST_INSERT_ID()").Scan(&id).Error; err != nil {
		return 0, fmt.Errorf("read allocated address index: %w", err)
	}
	return id, nil
}

// InsertOrder records an open order inside tx, in amount mode with its slot
// on each offered chain; its expiry is set on the database clock, in whole
// seconds, and returned as unix seconds. A duplicate request_id, order_id or
// open payable amount on one of its chains fails with a duplicate-key error
// (see Conflict).
func InsertOrder(tx *gorm.DB, o NewOrder) (id uint64, expiresAt int64, err error) {
	var callback *string
	if o.CallbackURL != "" {
		callback = &o.CallbackURL
	}
	err = tx.Exec(`INSERT INTO orders (request_id, order_id, chain, chains, symbol, decimals, amount, pay_address,
		pay_amount, mode, address_index, expires_at, state, covered, callback_url, created_body)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, TIMESTAMPADD(SECOND, ?, NOW()), ?, 0, ?, '')`,
		o.RequestID, o.OrderID, o.Chain, o.chains(), o.Symbol, o.Decimals, o.Amount.String(), o.PayAddress,
		o.PayAmount.String(), o.Mode, o.AddressIndex, o.ExpiresIn, StateOpen, callback).Error
	if err != nil {
		return 0, 0, fmt.Errorf("insert order %s: %w", o.RequestID, err)
	}
	var row struct {
		ID        uint64 `gorm:"column:id"`
		ExpiresAt int64  `gorm:"column:expires_unix"`
	}
	if err := tx.Raw(`SELECT id, UNIX_TIMESTAMP(expires_at) DIV 1 AS expires_unix FROM orders
		WHERE id = LAST_INSERT_ID()`).Scan(&row).Error; err != nil {
		return 0, 0, fmt.Errorf("read inserted order %s: %w", o.RequestID, err)
	}
	if o.Mode == ModeAmount {
		for _, off := range o.offers() {
			err := tx.Exec(`INSERT INTO order_slots (order_pk, chain, pay_address, symbol, pay_amount, open_slot)
				VALUES (?, ?, ?, ?, ?, 1)`, row.ID, off.Chain, o.PayAddress, o.Symbol,
				Rescale(o.PayAmount, o.Decimals, off.Decimals).String()).Error
			if err != nil {
				return 0, 0, fmt.Errorf("insert order %s: payable amount on %s: %w", o.RequestID, off.Chain, err)
			}
		}
	}
	return row.ID, row.ExpiresAt, nil
}

// Rescale converts base units of a token of from decimals into base units of
// one of to decimals, to >= from: the same amount, exactly.
func Rescale(v *big.Int, from, to int32) *big.Int {
	return new(big.Int).Mul(v, new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(to-from)), nil))
}

// SetCreatedBody stores the created return of order id.
func SetCreatedBody(tx *gorm.DB, id uint64, body []byte) error {
	if err := tx.Exec("UPDATE orders SET created_body = ? WHERE id = ?", body, id).Error; err != nil {
		return fmt.Errorf("store created return of order %d: %w", id, err)
	}
	return nil
}

// Conflicts InsertOrder can run into.
const (
	ConflictNone      = ""
	ConflictRequestID = "request_id"
	ConflictOrderID   = "order_id"
	ConflictSlot      = "slot"
	ConflictOther     = "other"
)

// Conflict tells which unique key a failed InsertOrder collided with.
func Conflict(err error) string {
	if !db.IsDuplicateKey(err) {
		return ConflictNone
	}
	var me *mysql.MySQLError
	if !errors.As(err, &me) {
		return ConflictOther
	}
	switch {
	case strings.Contains(me.Message, "uq_orders_request"):
		return ConflictRequestID
	case strings.Contains(me.Message, "uq_orders_order"):
		return ConflictOrderID
	case strings.Contains(me.Message, "uq_order_slots_open"):
		return ConflictSlot
	}
	return ConflictOther
}

// Retryable reports whether err is a deadlock or lock wait timeout: the
// transaction was rolled back and may simply be run again.
func Retryable(err error) bool {
	var me *mysql.MySQLError
	return errors.As(err, &me) && (me.Number == 1213 || me.Number == 1205)
}

// LockOrder loads order id for update inside tx, or nil.
func LockOrder(tx *gorm.DB, id uint64) (*Order, error) {
	return firstOrder(tx, "SELECT "+orderColumns+" FROM orders o WHERE id = ? FOR UPDATE", id)
}

// LockAddressOrder loads for update the address-mode order that owns address, or nil.
func LockAddressOrder(tx *gorm.DB, address string) (*Order, error) {
	return firstOrder(tx, "SELECT "+orderColumns+` FROM orders o WHERE pay_address = ? AND mode = ?
		ORDER BY id LIMIT 1 FOR UPDATE`, address, ModeAddress)
}

// LockAmountOrder loads for update the order payable on chain in symbol on
// the shared address whose payable amount there is amount (base units of the
// chain's token): the open one if there is one (there is at most one), else
// the most recent closed one, so that a late or repeated payment is still
// attributed. nil when no order ever had that payable amount there.
func LockAmountOrder(tx *gorm.DB, chain, address, symbol, amount string) (*Order, error) {
	const slot = ` FROM order_slots s JOIN orders o ON o.id = s.order_pk
		WHERE s.chain = ? AND s.pay_address = ? AND s.symbol = ? AND s.pay_amount = ?`
	o, err := firstOrder(tx, "SELECT "+orderColumns+slot+" AND s.open_slot = 1 FOR UPDATE",
		chain, address, symbol, amount)
	if err != nil || o != nil {
		return o, err
	}
	return firstOrder(tx, "SELECT "+orderColumns+slot+" ORDER BY s.order_pk DESC LIMIT 1 FOR UPDATE",
		chain, address, symbol, amount)
}

// PaymentOrder returns the order a transfer was matched to, without locking.
func PaymentOrder(tx *gorm.DB, transferID string) (uint64, bool, error) {
	var ids []uint64
	if err := tx.Raw("SELECT order_pk FROM payments WHERE transfer_id = ?", transferID).Scan(&ids).Error; err != nil {
		return 0, false, fmt.Errorf("find payment %s: %w", transferID, err)
	}
	if len(ids) == 0 {
		return 0, false, nil
	}
	return ids[0], true, nil
}

const paymentColumns = `transfer_id, order_pk, chain, tx_hash, log_index, from_address, CAST(amount AS CHAR) AS amount,
	decimals, block_number, state, seq, late`

// OrderPayments loads for update every payment of order id, oldest first.
func OrderPayments(tx *gorm.DB, orderPK uint64) ([]Payment, error) {
	var rows []Payment
	err := tx.Raw("SELECT "+paymentColumns+" FROM payments WHERE order_pk = ? ORDER BY created_at, transfer_id FOR UPDATE",
		orderPK).Scan(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("load payments of order %d: %w", orderPK, err)
	}
	return rows, nil
}

// SavePayment inserts or updates a payment inside tx.
func SavePayment(tx *gorm.DB, p Payment) error {
	err := tx.Exec(`INSERT INTO payments (transfer_id, order_pk, chain, tx_hash, log_index, from_address, amount,
		decimals, block_number, state, seq, late) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON DUPLICATE KEY UPDATE block_number = VALUES(block_number), state = VALUES(state),
		seq = VALUES(seq), late = VALUES(late)`,
		p.TransferID, p.OrderPK, p.Chain, p.TxHash, p.LogIndex, p.FromAddress, p.Amount, p.Decimals,
		p.BlockNumber, p.State, p.Seq, p.Late).Error
	if err != nil {
		return fmt.Errorf("save payment %s: %w", p.TransferID, err)
	}
	return nil
}

// UpdateOrder stores the order's state and coverage; closing an order releases
// its payable amount on every chain.
func UpdateOrder(tx *gorm.DB, id uint64, state string, covered bool) error {
	var err error
	if state == StateOpen {
		err = tx.Exec("UPDATE orders SET state = ?, covered = ? WHERE id = ?", state, covered, id).Error
	} else {
		err = tx.Exec(`UPDATE orders SET state = ?, covered = ?, closed_at = COALESCE(closed_at, NOW(6))
			WHERE id = ?`, state, covered, id).Error
		if err == nil {
			err = tx.Exec("UPDATE order_slots SET open_slot = NULL WHERE order_pk = ?", id).Error
		}
	}
	if err != nil {
		return fmt.Errorf("update order %d: %w", id, err)
	}
	return nil
}

// LockUnmatched loads an unmatched transfer for update inside tx, or nil.
func LockUnmatched(tx *gorm.DB, transferID string) (*Unmatched, error) {
	var rows []Unmatched
	if err := tx.Raw("SELECT * FROM unmatched_transfers WHERE transfer_id = ? FOR UPDATE", transferID).
		Scan(&rows).Error; err != nil {
		return nil, fmt.Errorf("find unmatched transfer %s: %w", transferID, err)
	}
	if len(rows) == 0 {
		return nil, nil
	}
	return &rows[0], nil
}

// SaveUnmatched inserts or updates an unmatched transfer inside tx.
func SaveUnmatched(tx *gorm.DB, u Unmatched) error {
	err := tx.Exec(`INSERT INTO unmatched_transfers (transfer_id, chain, symbol, token, to_address, from_address,
		tx_hash, log_index, amount, block_number, state, seq, reason) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON DUPLICATE KEY UPDATE block_number = VALUES(block_number), state = VALUES(state), seq = VALUES(seq)`,
		u.TransferID, u.Chain, u.Symbol, u.Token, u.ToAddress, u.FromAddress, u.TxHash, u.LogIndex, u.Amount,
		u.BlockNumber, u.State, u.Seq, u.Reason).Error
	if err != nil {
		return fmt.Errorf("save unmatched transfer %s: %w", u.TransferID, err)
	}
	return nil
}

// ClaimExpired locks, skipping rows other replicas hold, up to limit open orders
// whose expiry has passed on the database clock without timely full payment.
func ClaimExpired(tx *gorm.DB, limit int) ([]Order, error) {
	var rows []Order
	err := tx.Raw("SELECT "+orderColumns+` FROM orders o
		WHERE state = ? AND covered = 0 AND expires_at < NOW(6)
		ORDER BY expires_at LIMIT ? FOR UPDATE SKIP LOCKED`, StateOpen, limit).Scan(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("claim expired orders: %w", err)
	}
	return rows, nil
}
