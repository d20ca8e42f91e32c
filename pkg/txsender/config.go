package txsender

import (
	"fmt"
	"math/big"
	"strings"
	"time"

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
	// CrashAt, CrashPurpose and CrashOnceFile drive the test-only crash hook
	// (DEV_MODE only): after_sign or after_broadcast, of any send or of the
	// sends of one purpose.
	CrashAt       string `env:"PAYOUT_CRASH_AT"`
	CrashPurpose  string `env:"PAYOUT_CRASH_PURPOSE"`
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
	if c.CrashPurpose != "" && c.CrashAt == "" {
		return config.VarError("PAYOUT_CRASH_PURPOSE", "goes with PAYOUT_CRASH_AT")
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
