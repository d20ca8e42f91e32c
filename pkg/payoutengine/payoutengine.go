// Package payoutengine holds what the payout engines of withdraw and pay
// share: each works on one chain, so that a chain whose node is down holds
// back no other.
package payoutengine

import (
	"math/big"

	"github.com/ethereum/go-ethereum/common"
	"github.com/rs/zerolog"

	"paysuite/pkg/contract"
	"paysuite/pkg/events"
	"paysuite/pkg/sign"
	"paysuite/pkg/txsender"
)

// Base is a payout engine's chain and hot wallet, and what its answers and
// alerts are sealed with.
type Base struct {
	// Chain names the chain; Native is the symbol of its coin, which pays
	// the gas (onchain.Chain's NativeSymbol).
	Chain  string
	Native string
	// Sender signs and sends on the chain.
	Sender *txsender.Sender
	// HotWallet is the service's own hot wallet.
	HotWallet common.Address
	Names     contract.Names
	// Sealer signs the returns.
	Sealer sign.Sealer
	// Keys seal the alerts sent to the other services and the webhooks of
	// returns for the notifier.
	Keys events.Keys
	// MinUSDT, when not nil, is the hot wallet balance under which a
	// low_balance alert is raised (in base units of the chain's USDT).
	MinUSDT *big.Int
	Log     zerolog.Logger
}
