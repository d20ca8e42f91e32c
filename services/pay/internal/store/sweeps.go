package store

import (
	"fmt"
	"math/big"
	"time"

	"gorm.io/gorm"

	"paysuite/pkg/db"
)

// Sweep states. A sweep is open (open_key set) until it is done or failed.
const (
	SweepFunding  = "funding"  // the deposit address is being sent coin for the sweep's gas
	SweepSweeping = "sweeping" // the transfers are signed; not all final yet
	SweepDone     = "done"     // every transfer confirmed
	SweepFailed   = "failed"   // a funding or transfer ended without moving the tokens
)

// Sweep is the collection of one token from one deposit address on one chain.
type Sweep struct {
	ID      uint64 `gorm:"column:id;primaryKey;autoIncrement"`
	Chain   string `gorm:"column:chain"`
	Address string `gorm:"column:address"` // the deposit address, lowercase 0x-hex
	Token   string `gorm:"column:token"`
	Symbol  string `gorm:"column:symbol"`
	// AmountUnits is what the sweep takes, CollectUnits of it to the
	// collection wallet and ColdUnits to the cold wallet (base units).
	AmountUnits  string  `gorm:"column:amount_units"`
	CollectUnits string  `gorm:"column:collect_units"`
	ColdUnits    string  `gorm:"column:cold_units"`
	State        string  `gorm:"column:state"`
	OpenKey      *string `gorm:"column:open_key"`
	FundRounds   int     `gorm:"column:fund_rounds"`
	FundKey      *string `gorm:"column:fund_key"`
	CollectKey   *string `gorm:"column:collect_key"`
	ColdKey      *string `gorm:"column:cold_key"`
	// FundedWei is the coin sent to the address for gas; GasWei the fees of
	// the fundings and the transfers, once mined.
	FundedWei string    `gorm:"column:funded_wei"`
	GasWei    string    `gorm:"column:gas_wei"`
	Error     *string   `gorm:"column:error"`
	CreatedAt time.Time `gorm:"column:created_at"`
	UpdatedAt time.Time `gorm:"column:updated_at"`
}

// TableName maps Sweep to its table.
func (Sweep) TableName() string { return "sweeps" }

// SweepOpenKey is the open_key of the open sweep of token from address on chain.
func SweepOpenKey(chain, address, token string) string {
	return chain + ":" + address + ":" + token
}

// LockSweep returns the sweep id locked for update, or nil.
func LockSweep(tx *gorm.DB, id uint64) (*Sweep, error) {
	w, err := db.FindOrNil[Sweep](tx, true, "id = ?", id)
	if err != nil {
		return nil, fmt.Errorf("find sweep %d: %w", id, err)
	}
	return w, nil
}

// OpenSweep returns the open sweep of token from address on chain, or nil.
func OpenSweep(tx *gorm.DB, chain, address, token string) (*Sweep, error) {
	w, err := db.FindOrNil[Sweep](tx, false, "open_key = ?", SweepOpenKey(chain, address, token))
	if err != nil {
		return nil, fmt.Errorf("find open sweep of %s: %w", address, err)
	}
	return w, nil
}

// OpenSweeps counts the open sweeps on chain.
func OpenSweeps(tx *gorm.DB, chain string) (int64, error) {
	var n int64
	if err := tx.Model(&Sweep{}).Where("chain = ? AND open_key IS NOT NULL", chain).Count(&n).Error; err != nil {
		return 0, fmt.Errorf("count open sweeps on %s: %w", chain, err)
	}
	return n, nil
}

// InFlightToCollection sums what the open sweeps of token on chain still
// bring to the collection wallet: what its balance does not show yet.
func InFlightToCollection(tx *gorm.DB, chain, token string, unmined []string) (*big.Int, error) {
	v, err := db.SumUnits(tx, `SELECT CAST(COALESCE(SUM(w.collect_units), 0) AS CHAR) FROM sweeps w
		LEFT JOIN tx_sends c ON c.send_key = w.collect_key
		WHERE w.chain = ? AND w.token = ? AND w.open_key IS NOT NULL AND (c.state IS NULL OR c.state IN ?)`,
		chain, token, unmined)
	if err != nil {
		return nil, fmt.Errorf("sweeps in flight on %s: %w", chain, err)
	}
	return v, nil
}

// AddressesOn lists the deposit addresses known on chain.
func AddressesOn(tx *gorm.DB, chain string) ([]DepositAddress, error) {
	var rows []DepositAddress
	if err := tx.Where("chain = ?", chain).Order("hd_index").Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("deposit addresses on %s: %w", chain, err)
	}
	return rows, nil
}

// HeldFunding sums the coin that mined fundings brought to addr on the chain
// chainID for payments and sweeps that have not signed their transfers yet,
// other than the funding keyed own: it is in the address's balance, but is
// the gas of that other work, which its own check will look for.
func HeldFunding(tx *gorm.DB, chainID uint64, addr, own string) (*big.Int, error) {
	v, err := db.SumUnits(tx, `SELECT CAST(COALESCE(SUM(CAST(s.value AS DECIMAL(65,0))), 0) AS CHAR) FROM tx_sends s
		WHERE s.chain_id = ? AND s.to_address = ? AND s.send_key <> ? AND s.state IN ? AND s.receipt_status = 1
		AND (s.send_key IN (SELECT fund_key FROM payments WHERE state = ? AND fund_key IS NOT NULL)
			OR s.send_key IN (SELECT fund_key FROM sweeps WHERE state = ? AND fund_key IS NOT NULL))`,
		chainID, addr, own, []string{"included", "confirmed"}, StateFunding, SweepFunding)
	if err != nil {
		return nil, fmt.Errorf("held fundings of %s: %w", addr, err)
	}
	return v, nil
}
