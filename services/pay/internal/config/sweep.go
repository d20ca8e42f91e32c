package config

import (
	"fmt"
	"math/big"
	"strings"
	"time"

	"github.com/caarlos0/env/v11"
	"github.com/ethereum/go-ethereum/common"

	"paysuite/pkg/config"
	"paysuite/pkg/config/onchain"
	"paysuite/pkg/contract"
	"paysuite/pkg/money"
	"paysuite/pkg/tokens"
)

// Sweeping is how pay collects the tokens of the deposit addresses on one
// chain, read from the chain's CHAIN_<NAME>_* variables (see sweepVars). A
// chain without a collection wallet and thresholds is not swept.
type Sweeping struct {
	// Collection receives the sweeps: the withdraw hot wallet of the chain.
	Collection common.Address
	// Cold, when set, receives what would lift the collection wallet above a
	// token's ceiling. The suite holds no key for it.
	Cold *common.Address
	// Rules are the tokens swept, with their thresholds.
	Rules []SweepRule
	// Interval is how often the deposit addresses are looked at.
	Interval time.Duration
	// MaxGasPrice is the base fee plus tip (wei) above which sweeps wait.
	MaxGasPrice *big.Int
	// MaxInFlight bounds the sweeps open at once on the chain.
	MaxInFlight int
}

// On reports whether the chain is swept.
func (s Sweeping) On() bool { return len(s.Rules) > 0 }

// SweepRule is what is swept of one token (base units).
type SweepRule struct {
	Token tokens.Token
	// Threshold is the least balance an address must hold to be swept.
	Threshold *big.Int
	// Ceiling, when not nil (and Cold is set), is the most the collection
	// wallet should hold: a sweep's part above it goes to Cold.
	Ceiling *big.Int
	// Floor, when not nil, is the balance of the collection wallet under
	// which a collection_low alert is raised.
	Floor *big.Int
}

// sweepVars are the variables of a chain's Sweeping, under CHAIN_<NAME>_.
type sweepVars struct {
	Collection  string        `env:"COLLECTION_WALLET"`
	Cold        string        `env:"COLD_WALLET"`
	Thresholds  string        `env:"SWEEP_THRESHOLDS"`
	Ceilings    string        `env:"COLLECTION_CEILINGS"`
	Floors      string        `env:"COLLECTION_FLOORS"`
	Interval    time.Duration `env:"SWEEP_INTERVAL" envDefault:"5m"`
	MaxGasGwei  string        `env:"SWEEP_MAX_GAS_GWEI" envDefault:"50"`
	MaxInFlight int           `env:"SWEEP_MAX_IN_FLIGHT" envDefault:"20"`
}

// readSweeping reads and checks the sweep settings of ch.
func readSweeping(ch onchain.Chain) (Sweeping, error) {
	prefix := onchain.Prefix(ch.Name)
	var v sweepVars
	if err := env.ParseWithOptions(&v, env.Options{Prefix: prefix}); err != nil {
		return Sweeping{}, fmt.Errorf("chain %s: %w", ch.Name, err)
	}
	s := Sweeping{Interval: v.Interval, MaxInFlight: v.MaxInFlight}
	if v.Thresholds == "" && v.Collection == "" {
		return s, nil
	}
	if !contract.ValidAddress(v.Collection) {
		return s, config.VarError(prefix+"COLLECTION_WALLET", "required with %sSWEEP_THRESHOLDS: 0x followed by 40 hex digits (the withdraw hot wallet of the chain)", prefix)
	}
	s.Collection = common.HexToAddress(v.Collection)
	if v.Cold != "" {
		if !contract.ValidAddress(v.Cold) {
			return s, config.VarError(prefix+"COLD_WALLET", "0x followed by 40 hex digits, or empty")
		}
		cold := common.HexToAddress(v.Cold)
		if cold == s.Collection {
			return s, config.VarError(prefix+"COLD_WALLET", "must not be the collection wallet")
		}
		s.Cold = &cold
	}
	thresholds, err := perToken(ch.Tokens, v.Thresholds, prefix+"SWEEP_THRESHOLDS")
	if err != nil {
		return s, err
	}
	if len(thresholds) == 0 {
		return s, config.VarError(prefix+"SWEEP_THRESHOLDS", "required with %sCOLLECTION_WALLET: SYMBOL=amount for each token swept (USDT=100)", prefix)
	}
	ceilings, err := perToken(ch.Tokens, v.Ceilings, prefix+"COLLECTION_CEILINGS")
	if err != nil {
		return s, err
	}
	if len(ceilings) > 0 && s.Cold == nil {
		return s, config.VarError(prefix+"COLLECTION_CEILINGS", "needs %sCOLD_WALLET: what is above a ceiling goes there", prefix)
	}
	floors, err := perToken(ch.Tokens, v.Floors, prefix+"COLLECTION_FLOORS")
	if err != nil {
		return s, err
	}
	for _, t := range ch.Tokens {
		if th, ok := thresholds[t.Symbol]; ok {
			s.Rules = append(s.Rules, SweepRule{Token: t, Threshold: th, Ceiling: ceilings[t.Symbol], Floor: floors[t.Symbol]})
		}
	}
	for sym := range ceilings {
		if _, ok := thresholds[sym]; !ok {
			return s, config.VarError(prefix+"COLLECTION_CEILINGS", "%s has no threshold in %sSWEEP_THRESHOLDS", sym, prefix)
		}
	}
	if s.Interval < 100*time.Millisecond {
		return s, config.VarError(prefix+"SWEEP_INTERVAL", "must be at least 100ms")
	}
	gwei, err := money.Parse(strings.TrimSpace(v.MaxGasGwei), 9)
	if err != nil {
		return s, config.VarError(prefix+"SWEEP_MAX_GAS_GWEI", "a positive number of gwei with at most 9 decimals: %w", err)
	}
	s.MaxGasPrice = money.ToBaseUnits(gwei, 9)
	if s.MaxInFlight < 1 || s.MaxInFlight > 10000 {
		return s, config.VarError(prefix+"SWEEP_MAX_IN_FLIGHT", "must be 1..10000")
	}
	return s, nil
}

// perToken reads "USDT=100,DAI=5": amounts by symbol, in base units of each
// token of list.
func perToken(list tokens.List, value, name string) (map[string]*big.Int, error) {
	out := map[string]*big.Int{}
	for _, part := range strings.Split(value, ",") {
		if part = strings.TrimSpace(part); part == "" {
			continue
		}
		sym, amount, ok := strings.Cut(part, "=")
		if !ok {
			return nil, config.VarError(name, "%q is not SYMBOL=amount", part)
		}
		sym = strings.TrimSpace(sym)
		t, ok := list.BySymbol(sym)
		if !ok {
			return nil, config.VarError(name, "%s is not a token of the chain", sym)
		}
		if _, dup := out[t.Symbol]; dup {
			return nil, config.VarError(name, "%s is listed twice", sym)
		}
		d, err := money.Parse(strings.TrimSpace(amount), t.Decimals)
		if err != nil {
			return nil, config.VarError(name, "%s: %w", sym, err)
		}
		out[t.Symbol] = money.ToBaseUnits(d, t.Decimals)
	}
	return out, nil
}
