package txsender

import (
	"context"
	"errors"
	"fmt"
	"math/big"
	"strings"
	"time"

	"github.com/ethereum/go-ethereum"
	"github.com/ethereum/go-ethereum/common"
)

// Quote is the price of a transaction about to be signed.
type Quote struct {
	GasLimit uint64
	TipCap   *big.Int // max priority fee per gas, wei
	FeeCap   *big.Int // max fee per gas, wei
	// GasCost is GasLimit × FeeCap: the most the gas can cost.
	GasCost *big.Int
	// MaxCost is value + GasCost: what the sender must hold.
	MaxCost *big.Int
}

// ErrWouldRevert is returned when the node's gas estimate says the call would
// revert (a token transfer beyond the balance, for instance).
var ErrWouldRevert = errors.New("the transaction would revert")

// fees returns the tip and fee cap to use now: the node's suggested tip and
// twice the base fee plus the tip (room for the base fee to rise for a few
// blocks), both bounded by the configured maxima.
func (s *Sender) fees(ctx context.Context) (tip, feeCap *big.Int, err error) {
	s.mu.Lock()
	if time.Since(s.feeAt) < feeTTL {
		tip, feeCap = new(big.Int).Set(s.feeTip), new(big.Int).Set(s.feeCap)
	}
	s.mu.Unlock()
	if tip != nil {
		return tip, feeCap, nil
	}
	head, err := s.node.HeaderByNumber(ctx, nil)
	if err != nil {
		return nil, nil, fmt.Errorf("read head for base fee: %w", err)
	}
	tip, err = s.node.SuggestGasTipCap(ctx)
	if err != nil {
		return nil, nil, fmt.Errorf("suggest tip: %w", err)
	}
	base := head.BaseFee
	if base == nil {
		base = new(big.Int)
	}
	tip, feeCap = capFees(tip, new(big.Int).Add(new(big.Int).Mul(base, big.NewInt(2)), tip), s.cfg.MaxTip, s.cfg.MaxFee)
	s.mu.Lock()
	s.feeAt, s.feeTip, s.feeCap = time.Now(), new(big.Int).Set(tip), new(big.Int).Set(feeCap)
	s.mu.Unlock()
	return tip, feeCap, nil
}

// feeTTL is how long a fee quote is reused: well under a block time, and the
// fee cap's headroom (twice the base fee) covers the base fee's moves meanwhile.
const feeTTL = time.Second

// capFees bounds tip and fee cap by the maxima and keeps tip <= fee cap.
func capFees(tip, feeCap, maxTip, maxFee *big.Int) (*big.Int, *big.Int) {
	tip, feeCap = new(big.Int).Set(tip), new(big.Int).Set(feeCap)
	if tip.Cmp(maxTip) > 0 {
		tip.Set(maxTip)
	}
	if feeCap.Cmp(maxFee) > 0 {
		feeCap.Set(maxFee)
	}
	if tip.Cmp(feeCap) > 0 {
		tip.Set(feeCap)
	}
	return tip, feeCap
}

// bumpPermille is the raise of both fees on a replacement: 12.5%, above the 10%
// go-ethereum's pool (and most others) requires to accept a replacement.
const bumpPermille = 1125

// bump returns v raised by 12.5%, rounded up, and by at least 1 wei.
func bump(v *big.Int) *big.Int {
	out := new(big.Int).Mul(v, big.NewInt(bumpPermille))
	out.Add(out, big.NewInt(999))
	out.Div(out, big.NewInt(1000))
	if out.Cmp(v) <= 0 {
		out.Add(v, big.NewInt(1))
	}
	return out
}

// replacementFees returns the fees of a replacement of an attempt priced
// (oldTip, oldCap), given the current market (tip, feeCap) and the maxima; ok is
// false when the maxima leave no room for a raise the node would accept.
func replacementFees(oldTip, oldCap, tip, feeCap, maxTip, maxFee *big.Int) (newTip, newCap *big.Int, ok bool) {
	minTip, minCap := bump(oldTip), bump(oldCap)
	newTip = maxBig(minTip, tip)
	newCap = maxBig(minCap, feeCap)
	if c := new(big.Int).Add(newTip, new(big.Int).Sub(feeCap, tip)); c.Cmp(newCap) > 0 {
		// Keep the market's base-fee headroom above the raised tip.
		newCap = c
	}
	newTip, newCap = capFees(newTip, newCap, maxTip, maxFee)
	return newTip, newCap, newTip.Cmp(minTip) >= 0 && newCap.Cmp(minCap) >= 0
}

func maxBig(a, b *big.Int) *big.Int {
	if a.Cmp(b) >= 0 {
		return new(big.Int).Set(a)
	}
	return new(big.Int).Set(b)
}

// Quote prices a transaction from `from` to `to` now: gas from the node's
// estimate plus the configured margin (or gasLimit when not zero), and fees.
func (s *Sender) Quote(ctx context.Context, from, to common.Address, value *big.Int, data []byte, gasLimit uint64) (Quote, error) {
	if value == nil {
		value = new(big.Int)
	}
	if gasLimit == 0 {
		est, err := s.node.EstimateGas(ctx, ethereum.CallMsg{From: from, To: &to, Value: value, Data: data})
		if err != nil {
			if strings.Contains(strings.ToLower(err.Error()), "revert") {
				return Quote{}, fmt.Errorf("estimate gas: %w: %w", ErrWouldRevert, err)
			}
			return Quote{}, fmt.Errorf("estimate gas: %w", err)
		}
		gasLimit = est
		if len(data) > 0 {
			// A plain ether transfer costs exactly its estimate; a contract call may
			// cost more when state changes between estimate and inclusion.
			gasLimit = est + est*s.cfg.GasMarginPercent/100
		}
	}
	tip, feeCap, err := s.fees(ctx)
	if err != nil {
		return Quote{}, err
	}
	gasCost := new(big.Int).Mul(new(big.Int).SetUint64(gasLimit), feeCap)
	return Quote{GasLimit: gasLimit, TipCap: tip, FeeCap: feeCap, GasCost: gasCost,
		MaxCost: new(big.Int).Add(gasCost, value)}, nil
}
