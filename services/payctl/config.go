package main

import (
	"errors"
	"fmt"
	"strings"

	"paysuite/pkg/broker"
	pkgconfig "paysuite/pkg/config"
	"paysuite/pkg/config/onchain"
	"paysuite/pkg/contract"
	"paysuite/pkg/events"
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
	// The chains as the services see them (CHAINS, CHAIN_<NAME>_*, or the one
	// chain of ETH_RPC_URL and TOKENS).
	onchain.Chains
	Names contract.Names

	// chain is the one --chain names, the first configured by default: its
	// node and tokens serve send-usdt, balance, mine and reorg.
	chain onchain.Chain
	// chainGiven tells that --chain was given: publish and rescan then name
	// the chain in what they send.
	chainGiven bool
}

func loadConfig() (config, error) {
	return pkgconfig.Load[config]()
}

// useChain selects the chain called name, or the first one when name is
// empty.
func (c *config) useChain(name string) error {
	if name == "" {
		c.chain = c.List[0]
		return nil
	}
	ch, ok := c.ByName(name)
	if !ok {
		names := make([]string, len(c.List))
		for i, ch := range c.List {
			names[i] = ch.Name
		}
		return fmt.Errorf("--chain %s: not a configured chain (%s)", name, strings.Join(names, ", "))
	}
	c.chain, c.chainGiven = ch, true
	return nil
}

// chainFlag takes --chain NAME (or --chain=NAME) out of args, wherever it
// stands, and returns the name and the other arguments.
func chainFlag(args []string) (name string, rest []string, err error) {
	for i := 0; i < len(args); i++ {
		switch a := args[i]; {
		case a == "--chain" || a == "-chain":
			if i+1 == len(args) {
				return "", nil, errors.New("--chain needs a chain name")
			}
			name = args[i+1]
			i++
		case strings.HasPrefix(a, "--chain="):
			name = strings.TrimPrefix(a, "--chain=")
		default:
			rest = append(rest, a)
		}
	}
	return name, rest, nil
}

// nodeURLs are the node addresses of every configured chain, which errors
// must not show (they may carry a provider's API key).
func (c config) nodeURLs() []string {
	urls := []string{c.RPCURL}
	for _, ch := range c.List {
		urls = append(urls, ch.RPCURL, ch.WSURL)
	}
	return urls
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
