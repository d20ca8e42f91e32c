package payoutapp

import (
	"github.com/ethereum/go-ethereum/common"
	"github.com/rs/zerolog"

	"paysuite/pkg/config/payout"
	"paysuite/pkg/request"
	"paysuite/pkg/sign"
	"paysuite/pkg/tokens"
)

// Intake is the request intake of a payout service from its settings: its
// returns go to returnKey, the final one with finalEvent, sealed by sealer;
// hot is the service's own hot wallet (the same address on every chain).
func Intake(cfg *payout.Service, pub request.Publisher, sealer sign.Sealer, returnKey, finalEvent string,
	hot common.Address, log zerolog.Logger) request.Payouts {
	chains := make(map[string]tokens.List, len(cfg.List))
	for _, ch := range cfg.List {
		chains[ch.Name] = ch.Tokens
	}
	return request.Payouts{
		Publisher: pub, Exchange: cfg.Names.Exchange, ReturnKey: returnKey, FinalEvent: finalEvent,
		Chain: cfg.Chain, Chains: chains, Secrets: cfg.SignSecrets(), MaxClockSkew: cfg.MaxClockSkew, Sealer: sealer,
		HotWallet: hot, SuiteAddresses: cfg.SuiteAddresses, Log: log,
	}
}
