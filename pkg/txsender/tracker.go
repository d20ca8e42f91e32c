package txsender

import (
	"context"
	"errors"
	"fmt"
	"math/big"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"gorm.io/gorm"

	"paysuite/pkg/money"
)

// trackBatch bounds the sends followed in one step.
const trackBatch = 1000

// Run follows every unfinished send of the sender's chain until ctx ends: it polls
// receipts every PollInterval (and when kicked), broadcasts what is unsent,
// re-broadcasts and replaces what stays unmined, and finalises what has its
// confirmations. Replicas may all run it: each change is applied by one of them.
func (s *Sender) Run(ctx context.Context) error {
	ticker := time.NewTicker(s.cfg.PollInterval)
	defer ticker.Stop()
	for {
		if err := s.Step(ctx); err != nil && ctx.Err() == nil {
			s.log.Warn().Err(err).Msg("transaction tracker step")
		}
		select {
		case <-ctx.Done():
			return nil
		case <-ticker.C:
		case <-s.kick:
		}
	}
}

// stepTimeout bounds one step, so that a node that stops answering cannot
// hold the tracker forever.
const stepTimeout = 2 * time.Minute

// Step runs one round of the tracker over every unfinished send of the chain.
func (s *Sender) Step(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, stepTimeout)
	defer cancel()
	var sends []Send
	err := s.db.WithContext(ctx).Where("chain_id = ? AND state IN ?", s.chain, activeStates()).Order("id").Limit(trackBatch).Find(&sends).Error
	if err != nil {
		return fmt.Errorf("load unfinished sends: %w", err)
	}
	if len(sends) == 0 {
		return nil
	}
	ids := make([]uint64, len(sends))
	for i := range sends {
		ids[i] = sends[i].ID
	}
	var atts []Attempt
	if err := s.db.WithContext(ctx).Where("send_id IN ?", ids).Order("id").Find(&atts).Error; err != nil {
		return fmt.Errorf("load attempts: %w", err)
	}
	bySend := map[uint64][]Attempt{}
	hashes := make([]common.Hash, len(atts))
	for i, a := range atts {
		bySend[a.SendID] = append(bySend[a.SendID], a)
		hashes[i] = common.HexToHash(a.TxHash)
	}
	// The head is read before the receipts, so a receipt is never newer than the
	// head its confirmations are counted against.
	head, err := s.node.HeaderByNumber(ctx, nil)
	if err != nil {
		return fmt.Errorf("read head: %w", err)
	}
	receipts, err := s.node.Receipts(ctx, hashes)
	if err != nil {
		return err
	}
	byHash := map[string]*types.Receipt{}
	for i, r := range receipts {
		if r != nil && r.BlockNumber != nil {
			byHash[atts[i].TxHash] = r
		}
	}
	for i := range sends {
		send := &sends[i]
		list := bySend[send.ID]
		if len(list) == 0 {
			continue
		}
		var rcpt *types.Receipt
		for _, a := range list {
			if r := byHash[a.TxHash]; r != nil {
				rcpt = r
			}
		}
		if err := s.advance(ctx, send, list, rcpt, head); err != nil && !errors.Is(err, errSkip) {
			if ctx.Err() != nil {
				return nil
			}
			s.log.Warn().Err(err).Str("send", send.Key).Msg("advance send")
		}
	}
	return nil
}

// advance moves one send on, given the receipt of its mined attempt (if any).
func (s *Sender) advance(ctx context.Context, send *Send, atts []Attempt, rcpt *types.Receipt, head *types.Header) error {
	latest := &atts[len(atts)-1]
	now := time.Now().UTC()
	if rcpt != nil {
		block := rcpt.BlockNumber.Uint64()
		var confs uint64
		if h := head.Number.Uint64(); h >= block {
			confs = h - block + 1
		}
		if confs >= send.Confirmations {
			return s.finalize(ctx, send, rcpt)
		}
		if send.State == StateIncluded && send.BlockHash != nil && *send.BlockHash == hashString(rcpt.BlockHash) {
			return nil
		}
		return s.transition(ctx, send, func(tx *gorm.DB, cur *Send) error {
			if cur.Final() {
				return errSkip
			}
			cur.State = StateIncluded
			setMined(cur, rcpt)
			s.log.Info().Str("send", cur.Key).Str("tx_hash", *cur.MinedHash).Uint64("block", block).Msg("transaction mined")
			return s.markBroadcast(ctx, tx, cur, now)
		})
	}
	if send.State != StateIncluded && send.LastError != nil && classify(errors.New(*send.LastError)) == sentNonceUsed {
		lost, err := s.nonceLost(ctx, send, atts, head)
		if err != nil || lost {
			return err
		}
	}
	switch send.State {
	case StateIncluded:
		// Mined before, no receipt now: its block left the canonical chain. The
		// node may have dropped it with the block, so it is sent again at once.
		err := s.transition(ctx, send, func(tx *gorm.DB, cur *Send) error {
			if cur.State != StateIncluded {
				return errSkip
			}
			s.log.Warn().Str("send", cur.Key).Str("tx_hash", deref(cur.MinedHash)).Msg("mined transaction reorganised out; sending it again")
			cur.State = StatePending
			clearMined(cur)
			return nil
		})
		if err != nil {
			return err
		}
		s.broadcast(ctx, send, latest)
		return nil
	case StateSigned:
		if send.LastBroadcastAt == nil || now.Sub(*send.LastBroadcastAt) >= s.cfg.RebroadcastAfter {
			s.broadcast(ctx, send, latest)
		}
		return nil
	}
	// Pending without a receipt.
	if now.Sub(latest.CreatedAt) >= s.cfg.ReplaceAfter {
		replaced, err := s.replace(ctx, send, latest)
		if err != nil || replaced {
			return err
		}
	}
	if send.LastBroadcastAt == nil || now.Sub(*send.LastBroadcastAt) >= s.cfg.RebroadcastAfter {
		s.broadcast(ctx, send, latest)
	}
	return nil
}

// finalize records the final outcome of a mined send once it has its
// confirmations, after checking its block is still the canonical one.
func (s *Sender) finalize(ctx context.Context, send *Send, rcpt *types.Receipt) error {
	hdr, err := s.node.HeaderByNumber(ctx, rcpt.BlockNumber)
	if err != nil {
		return fmt.Errorf("read block %s: %w", rcpt.BlockNumber, err)
	}
	if hdr.Hash() != rcpt.BlockHash {
		return nil // reorganised meanwhile: the next step sees it
	}
	now := time.Now().UTC()
	return s.transition(ctx, send, func(tx *gorm.DB, cur *Send) error {
		if cur.Final() {
			return errSkip
		}
		setMined(cur, rcpt)
		s.settleMined(cur, rcpt)
		if err := s.markBroadcast(ctx, tx, cur, now); err != nil {
			return err
		}
		s.log.Info().Str("send", cur.Key).Str("tx_hash", *cur.MinedHash).Uint64("block", *cur.BlockNumber).
			Str("state", cur.State).Str("fee_eth", cur.FeeETH()).Msg("transaction final")
		return s.hooks.Final(ctx, tx, cur)
	})
}

// nonceLost reports (and records as StateFailed) a send whose nonce was used, at
// the required depth, by a transaction that is none of its attempts: then none
// of them can ever be mined. This only happens when the key is used outside
// the suite.
func (s *Sender) nonceLost(ctx context.Context, send *Send, atts []Attempt, head *types.Header) (bool, error) {
	h := head.Number.Uint64()
	if h+1 < send.Confirmations {
		return false, nil
	}
	deep := new(big.Int).SetUint64(h + 1 - send.Confirmations)
	used, err := s.node.NonceAt(ctx, common.HexToAddress(send.From), deep)
	if err != nil {
		return false, fmt.Errorf("nonce of %s at block %s: %w", send.From, deep, err)
	}
	if used <= send.Nonce {
		return false, nil
	}
	// Look once more for a receipt of our own: the nonce read is newer than the
	// receipts of this step.
	hashes := make([]common.Hash, len(atts))
	for i, a := range atts {
		hashes[i] = common.HexToHash(a.TxHash)
	}
	rs, err := s.node.Receipts(ctx, hashes)
	if err != nil {
		return false, err
	}
	for _, r := range rs {
		if r != nil {
			return false, nil
		}
	}
	err = s.transition(ctx, send, func(tx *gorm.DB, cur *Send) error {
		if cur.Final() || cur.State == StateIncluded {
			return errSkip
		}
		cur.State = StateFailed
		msg := fmt.Sprintf("nonce %d of %s was used by a transaction that is not one of this send's attempts", cur.Nonce, cur.From)
		cur.LastError = &msg
		s.log.Error().Str("send", cur.Key).Uint64("nonce", cur.Nonce).Str("from", cur.From).Msg("send failed: nonce used elsewhere")
		return s.hooks.Final(ctx, tx, cur)
	})
	return err == nil, err
}

// replace signs a new attempt with the same nonce and both fees raised by at
// least 12.5%, stores it, then broadcasts it. It reports false, without
// replacing, when the sending address's nonces disagree with the chain's
// (compared at most once per ReplaceAfter: see CheckNonces), and raises a
// stuck_transaction alert instead when the send had its MaxReplacements or
// the fee limits (or the sender's balance) leave no room for a raise.
func (s *Sender) replace(ctx context.Context, send *Send, latest *Attempt) (bool, error) {
	from := common.HexToAddress(send.From)
	// Unmined in time: first make sure the chain can mine it at all.
	if halted, err := s.checkIfDue(ctx, from, send.LastAttemptAt); err != nil || halted {
		return false, err
	}
	if send.Attempts > s.cfg.MaxReplacements {
		return false, s.stuck(ctx, send, fmt.Sprintf("%d replacements (MAX_REPLACEMENTS)", s.cfg.MaxReplacements))
	}
	tip, feeCap, err := s.fees(ctx)
	if err != nil {
		return false, err
	}
	maxFee := new(big.Int).Set(s.cfg.MaxFee)
	// The node refuses a transaction its sender cannot pay for: a sender with
	// little ether (a funded deposit address) gets the highest fee it can afford.
	bal, err := s.node.BalanceAt(ctx, from, nil)
	if err != nil {
		return false, fmt.Errorf("balance of %s: %w", send.From, err)
	}
	value := money.Units(send.Value)
	if afford := new(big.Int).Sub(bal, value); afford.Sign() > 0 {
		afford.Div(afford, new(big.Int).SetUint64(send.GasLimit))
		if afford.Cmp(maxFee) < 0 {
			maxFee = afford
		}
	}
	newTip, newCap, ok := replacementFees(money.Units(latest.TipCap), money.Units(latest.FeeCap), tip, feeCap, s.cfg.MaxTip, maxFee)
	if !ok {
		s.log.Warn().Str("send", send.Key).Str("tx_hash", latest.TxHash).Str("fee_cap", latest.FeeCap).
			Msg("transaction unmined but its fees cannot be raised further (MAX_FEE_GWEI/MAX_TIP_GWEI or balance)")
		return false, s.stuck(ctx, send, "fees that cannot be raised further (MAX_FEE_GWEI/MAX_TIP_GWEI or balance)")
	}
	key, err := s.keys(ctx, from)
	if err != nil || key == nil {
		return false, fmt.Errorf("key of %s: %w", send.From, errors.Join(err, ErrNoKey))
	}
	to := common.HexToAddress(send.To)
	signed, err := types.SignNewTx(key, s.signer, &types.DynamicFeeTx{
		ChainID: s.chainID, Nonce: send.Nonce, GasTipCap: newTip, GasFeeCap: newCap,
		Gas: send.GasLimit, To: &to, Value: value, Data: send.Data,
	})
	if err != nil {
		return false, fmt.Errorf("sign replacement: %w", err)
	}
	raw, err := signed.MarshalBinary()
	if err != nil {
		return false, fmt.Errorf("encode replacement: %w", err)
	}
	att := &Attempt{SendID: send.ID, TxHash: hashString(signed.Hash()), TipCap: newTip.String(), FeeCap: newCap.String(), Raw: raw}
	now := time.Now().UTC()
	err = s.transition(ctx, send, func(tx *gorm.DB, cur *Send) error {
		if cur.State != StatePending {
			return errSkip
		}
		if err := tx.Create(att).Error; err != nil {
			return fmt.Errorf("store replacement: %w", err)
		}
		cur.TxHash = att.TxHash
		cur.Attempts++
		cur.LastAttemptAt = now
		cur.MaxCost = new(big.Int).Add(value, new(big.Int).Mul(newCap, new(big.Int).SetUint64(cur.GasLimit))).String()
		return nil
	})
	if err != nil {
		return false, err
	}
	s.log.Info().Str("send", send.Key).Str("old_tx_hash", latest.TxHash).Str("tx_hash", att.TxHash).
		Str("fee_cap", att.FeeCap).Str("tip_cap", att.TipCap).Int("attempt", send.Attempts).Msg("transaction replaced with higher fees")
	s.broadcast(ctx, send, att)
	return true, nil
}

func setMined(cur *Send, rcpt *types.Receipt) {
	h, bh := hashString(rcpt.TxHash), hashString(rcpt.BlockHash)
	n, st, used := rcpt.BlockNumber.Uint64(), uint8(rcpt.Status), rcpt.GasUsed
	price := rcpt.EffectiveGasPrice
	if price == nil {
		price = new(big.Int)
	}
	fee := new(big.Int).Mul(new(big.Int).SetUint64(used), price).String()
	cur.MinedHash, cur.BlockHash, cur.BlockNumber, cur.ReceiptStatus, cur.GasUsed, cur.Fee = &h, &bh, &n, &st, &used, &fee
}

func clearMined(cur *Send) {
	cur.MinedHash, cur.BlockHash, cur.BlockNumber, cur.ReceiptStatus, cur.GasUsed, cur.Fee = nil, nil, nil, nil, nil, nil
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
