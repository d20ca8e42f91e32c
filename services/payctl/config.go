package main

import (
	"fmt"

	pkgconfig "paysuite/pkg/config"
	"paysuite/pkg/contract"
	"paysuite/pkg/tokens"
)

type config struct {
	AMQPURL    string `env:"AMQP_URL" envDefault:"amqp://guest:guest@127.0.0.1:5672/"`
	SignSecret string `env:"SIGN_SECRET" envDefault:"dev-secret"`
	RPCURL     string `env:"ETH_RPC_URL" envDefault:"http://127.0.0.1:8545"`
	TokenList  string `env:"TOKENS" envDefault:"USDT:0x5FbDB2315678afecb367f032d93F642f64180aa3:6"`
	Names      contract.Names

	tokens tokens.List
}

func loadConfig() (config, error) {
	cfg, err := pkgconfig.Load[config]()
	if err != nil {
		return cfg, err
	}
	if cfg.tokens, err = tokens.Parse(cfg.TokenList); err != nil {
		return cfg, fmt.Errorf("TOKENS: %w", err)
	}
	return cfg, nil
}

func (c config) flow(name string) (contract.Flow, bool) {
	for _, f := range c.Names.All() {
		if f.Name == name {
			return f, true
		}
	}
	return contract.Flow{}, false
}
