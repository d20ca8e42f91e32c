package txsender

import (
	"context"
	"errors"
	"fmt"
	"math/big"

	"github.com/ethereum/go-ethereum/common"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// ErrOtherChain is returned by CheckChain when the node serves another chain
// (another genesis under the same chain id) than the one the stored sends of
// that chain id belong to, outside the development mode.
var ErrOtherChain = errors.New("the node serves another chain than the stored sends")

// chainRow records the genesis of a chain the stored sends belong to.
type chainRow struct {
	ChainID     uint64 `gorm:"column:chain_id;primaryKey"`
	GenesisHash string `gorm:"column:genesis_hash"`
}

func (chainRow) TableName() string { return "tx_chain" }

// CheckChain is run at start, before anything is signed. It makes sure the
// node serves the chain the stored sends of its chain id belong to: on another
// genesis it refuses (ErrOtherChain), except in the development mode, where a
// development chain started afresh resets the sender's state of that chain id
// (as the listener resets its own): every unfinished send is answered failed
// through the Final hook (its transaction exists on no chain the node knows),
// and the sends, nonces and halts of the old chain are forgotten; the other
// chains' are left alone. Then it compares
// with the chain the nonces of every address with unfinished sends and of
// addrs (the service's hot wallets), stopping signing from any that disagree
// (see CheckNonces).
func (s *Sender) CheckChain(ctx context.Context, addrs ...common.Address) error {
	hdr, err := s.node.HeaderByNumber(ctx, big.NewInt(0))
	if err != nil {
		return fmt.Errorf("txsender: read genesis: %w", err)
	}
	genesis := hashString(hdr.Hash())
	var reset []*Send
	err = s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		// The row is taken under its lock (created first when missing), so that
		// replicas starting together reset once.
		err := tx.Exec("INSERT INTO tx_chain (chain_id, genesis_hash) VALUES (?, ?) ON DUPLICATE KEY UPDATE chain_id = chain_id",
			s.chain, genesis).Error
		if err != nil {
			return fmt.Errorf("record chain: %w", err)
		}
		var row chainRow
		if err := tx.Clauses(clause.Locking{Strength: "UPDATE"}).Where("chain_id = ?", s.chain).First(&row).Error; err != nil {
			return fmt.Errorf("lock chain: %w", err)
		}
		if row.GenesisHash == genesis {
			return nil
		}
		if !s.cfg.DevMode {
			return fmt.Errorf("%w: the node of chain %d has genesis %s, the stored sends of chain %d were made on genesis %s; "+
				"point the chain's RPC URL at that chain (or use a schema of its own for this one)",
				ErrOtherChain, s.chain, genesis, row.ChainID, row.GenesisHash)
		}
		if reset, err = s.resetChainState(ctx, tx); err != nil {
			return err
		}
		return tx.Model(&row).Update("genesis_hash", genesis).Error
	})
	if err != nil {
		return fmt.Errorf("txsender: %w", err)
	}
	if len(reset) > 0 {
		s.hooks.Committed()
	}
	for _, send := range reset {
		s.log.Warn().Str("send", send.Key).Str("tx_hash", send.TxHash).Msg("development chain started afresh: unfinished send answered failed")
	}
	return s.checkAddresses(ctx, addrs)
}

// resetChainState forgets, inside tx, what the sender knows of the previous
// development chain of its chain id; the unfinished sends are answered failed
// first. It returns them. The alerts raised are kept, since most are other
// chains' (the table does not say whose): a nonce filler of the new chain
// signed at the very nonce of a forgotten one raises its stuck alert from
// the next attempt on.
func (s *Sender) resetChainState(ctx context.Context, tx *gorm.DB) ([]*Send, error) {
	s.log.Warn().Uint64("chain_id", s.chain).Msg("development chain started afresh (another genesis): resetting the sender's chain state")
	var open []*Send
	err := tx.Clauses(clause.Locking{Strength: "UPDATE"}).Where("chain_id = ? AND state IN ?", s.chain, activeStates()).Order("id").Find(&open).Error
	if err != nil {
		return nil, fmt.Errorf("lock unfinished sends: %w", err)
	}
	for _, send := range open {
		send.State = StateFailed
		clearMined(send)
		msg := "the development chain was started afresh: this transaction exists on no chain the node knows"
		send.LastError = &msg
		send.Version++
		if err := tx.Save(send).Error; err != nil {
			return nil, fmt.Errorf("fail send %s: %w", send.Key, err)
		}
		if err := s.hooks.Final(ctx, tx, send); err != nil {
			return nil, fmt.Errorf("answer send %s: %w", send.Key, err)
		}
	}
	// Their nonces are free again on the new chain: the sends (which hold
	// them under a unique key) go with the nonce rows.
	for _, q := range []string{
		"DELETE a FROM tx_attempts a JOIN tx_sends s ON s.id = a.send_id WHERE s.chain_id = ?",
		"DELETE FROM tx_sends WHERE chain_id = ?", "DELETE FROM tx_nonces WHERE chain_id = ?", "DELETE FROM tx_halts WHERE chain_id = ?",
	} {
		if err := tx.Exec(q, s.chain).Error; err != nil {
			return nil, fmt.Errorf("reset chain state: %w", err)
		}
	}
	s.mu.Lock()
	clear(s.inited)
	clear(s.checkedAt)
	s.mu.Unlock()
	return open, nil
}

// checkAddresses runs CheckNonces for addrs and every address with
// unfinished sends on the sender's chain.
func (s *Sender) checkAddresses(ctx context.Context, addrs []common.Address) error {
	var active []string
	if err := s.db.WithContext(ctx).Model(&Send{}).Distinct("from_address").Where("chain_id = ? AND state IN ?", s.chain, activeStates()).
		Pluck("from_address", &active).Error; err != nil {
		return fmt.Errorf("txsender: addresses with unfinished sends: %w", err)
	}
	seen := map[common.Address]bool{}
	for _, a := range active {
		addrs = append(addrs, common.HexToAddress(a))
	}
	for _, a := range addrs {
		if seen[a] {
			continue
		}
		seen[a] = true
		halted, err := s.CheckNonces(ctx, a)
		if err != nil {
			return fmt.Errorf("txsender: %w", err)
		}
		if halted {
			s.log.Error().Str("from", addrString(a)).Msg("signing from this address is stopped until its nonces are repaired (payctl repair-nonces)")
		}
	}
	return nil
}

// CheckOnlyChain refuses a node of another chain id than the sends already
// stored (ErrOtherChain): a service configured with one chain and no chain id
// (the single-chain form, without CHAINS) must not start signing on whatever
// chain a changed RPC URL leads to. With a chain list each node's id is
// checked against its configuration instead.
func (s *Sender) CheckOnlyChain(ctx context.Context) error {
	var others []uint64
	if err := s.db.WithContext(ctx).Model(&chainRow{}).Where("chain_id <> ?", s.chain).Pluck("chain_id", &others).Error; err != nil {
		return fmt.Errorf("txsender: read the chains of the stored sends: %w", err)
	}
	if len(others) > 0 {
		return fmt.Errorf("txsender: %w: the node serves chain id %d, the stored sends were made on chain id %d; "+
			"point the RPC URL at that chain, or list both chains in CHAINS", ErrOtherChain, s.chain, others[0])
	}
	return nil
}
