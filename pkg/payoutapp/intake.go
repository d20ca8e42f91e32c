package payoutapp

import (
	"github.com/ethereum/go-ethereum/common"
	"github.com/rs/zerolog"

	"paysuite/pkg/config/payout"
	"paysuite/pkg/request"
	"paysuite/pkg/sign"
)

// Intake is the request intake of a payout service from its settings: its
// returns go to returnKey, the final one with finalEvent, sealed by sealer;
// hot is the service's own hot wallet.
func Intake(cfg *payout.Service, pub request.Publisher, sealer sign.Sealer, returnKey, finalEvent string,
	hot common.Address, log zerolog.Logger) request.Payouts {
	return request.Payouts{
		Publisher: pub, Exchange: cfg.Names.Exchange, ReturnKey: returnKey, FinalEvent: finalEvent,
		Chain: cfg.Chain, Tokens: cfg.Tokens, Secrets: cfg.SignSecrets(), MaxClockSkew: cfg.MaxClockSkew, Sealer: sealer,
		HotWallet: hot, SuiteAddresses: cfg.SuiteAddresses, Log: log,
	}
}
