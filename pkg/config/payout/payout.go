// Package payout holds the configuration block the services that pay out from
// a hot wallet of their own (withdraw, pay) share, beside the settings that
// name the service.
package payout

import (
	"paysuite/pkg/broker"
	"paysuite/pkg/config"
	"paysuite/pkg/config/onchain"
	"paysuite/pkg/config/sending"
	"paysuite/pkg/contract"
	"paysuite/pkg/db"
	"paysuite/pkg/tokens"
	"paysuite/pkg/txsender"
)

// Service is the settings of a payout service whose variables do not name it.
type Service struct {
	config.Common
	DB     db.Config
	Broker broker.Config
	Names  contract.Names
	Sender txsender.Config

	// The chains paid out on (CHAINS, or the one chain of CHAIN and
	// ETH_RPC_URL); the single chain's CONFIRMATIONS is the one Sender reads
	// too, and each chain of CHAINS has its own (see SenderOn).
	onchain.Chains
	sending.HotWallet
}

// Validate checks the shared blocks in the service's schema, and the number
// of workers read from workersVar; the hot wallet's block is left to the
// service, which checks its key first.
func (s *Service) Validate(schema, workersVar string, workers int) error {
	s.DB.Schema = schema
	if err := config.Validate(s.Common.Validate, s.DB.Validate, s.Broker.Validate, s.Names.Validate,
		s.validateSender, s.Chains.Validate); err != nil {
		return err
	}
	if workers < 1 {
		return config.VarError(workersVar, "must be at least 1")
	}
	return nil
}

// validateSender checks the sender's settings, which depend on the mode.
func (s *Service) validateSender() error { return s.Sender.Validate(s.DevMode) }

// SenderOn is the sender's settings on ch: its confirmations are the
// chain's own when CHAINS lists it.
func (s *Service) SenderOn(ch onchain.Chain) txsender.Config {
	c := s.Sender
	if ch.ChainID != 0 && ch.Confirmations > 0 {
		c.Confirmations = ch.Confirmations
	}
	return c
}

// TokenLists are the tokens of every chain, in the order of List.
func (s *Service) TokenLists() []tokens.List {
	lists := make([]tokens.List, len(s.List))
	for i, ch := range s.List {
		lists[i] = ch.Tokens
	}
	return lists
}

// PayoutSettings is the block itself, for code shared by the services that
// embed it.
func (s *Service) PayoutSettings() *Service { return s }
