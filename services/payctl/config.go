package main

import (
	"fmt"

	"paysuite/pkg/broker"
	pkgconfig "paysuite/pkg/config"
	"paysuite/pkg/contract"
	"paysuite/pkg/events"
	"paysuite/pkg/tokens"
)

type config struct {
	AMQPURL string `env:"AMQP_URL" envDefault:"amqp://guest:guest@127.0.0.1:5672/"`
	// AMQPInternalURL reaches the internal virtual host (broker.Config.Internal).
	AMQPInternalURL string `env:"AMQP_INTERNAL_URL"`
	SignSecret      string `env:"SIGN_SECRET" envDefault:"dev-secret"`
	// InternalSecret seals what payctl sends to the suite's services (rescan);
	// in DevMode it defaults to the development one.
	InternalSecret string `env:"INTERNAL_SECRET"`
	DevMode        bool   `env:"DEV_MODE" envDefault:"false"`
	RPCURL         string `env:"ETH_RPC_URL" envDefault:"http://127.0.0.1:8545"`
	TokenList      string `env:"TOKENS" envDefault:"USDT:0x5FbDB2315678afecb367f032d93F642f64180aa3:6"`
	Names          contract.Names

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

// internalKeys seal internal messages with INTERNAL_SECRET. payctl never
// reads any, so the previous secret of a rotation plays no part.
func (c config) internalKeys() (events.Keys, error) {
	secret := c.InternalSecret
	if secret == "" {
		if !c.DevMode {
			return events.Keys{}, pkgconfig.VarError("INTERNAL_SECRET", "required unless DEV_MODE=true")
		}
		secret = pkgconfig.DevInternalSecret
	}
	return events.NewKeys([]byte(secret))
}

// internalURL is the broker address of the internal virtual host.
func (c config) internalURL() (string, error) {
	internal, err := broker.Config{URL: c.AMQPURL, InternalURL: c.AMQPInternalURL}.Internal()
	if err != nil {
		return "", err
	}
	return internal.URL, nil
}

func (c config) flow(name string) (contract.Flow, bool) {
	for _, f := range c.Names.All() {
		if f.Name == name {
			return f, true
		}
	}
	return contract.Flow{}, false
}
