package onchain

import (
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"

	"github.com/caarlos0/env/v11"

	"paysuite/pkg/config"
	"paysuite/pkg/tokens"
)

// Finality modes: when a transfer counts as final on a chain.
const (
	// FinalityConfirmations: once its block is Confirmations deep.
	FinalityConfirmations = "confirmations"
	// FinalityFinalized: once the node's "finalized" block has reached it
	// (chains with a finality gadget, as Ethereum since the merge).
	FinalityFinalized = "finalized"
)

// Chain is one chain of a deployment: what requests name it by, which chain
// its node must be, how to reach that node, the tokens served there, and when
// a transfer on it is final.
type Chain struct {
	Name          string      `env:"-"`
	ChainID       uint64      `env:"CHAIN_ID"`
	RPCURL        string      `env:"RPC_URL"`
	WSURL         string      `env:"WS_URL"`
	TokenList     string      `env:"TOKENS"`
	Confirmations uint64      `env:"CONFIRMATIONS"`
	Finality      string      `env:"FINALITY"`
	Tokens        tokens.List `env:"-"`
	// NativeSymbol names the coin gas is paid in (ETH, BNB), in balances and
	// alerts; the chain's name when not set.
	NativeSymbol string `env:"NATIVE_SYMBOL"`
}

// DevChains are the development chains of the contract (section 5), by name:
// a chain of CHAINS with one of these names takes their settings for any
// CHAIN_<NAME>_* variable left unset.
var DevChains = map[string]Chain{
	"ETH": {Name: "ETH", ChainID: 1337, RPCURL: "http://127.0.0.1:8545", WSURL: "ws://127.0.0.1:8546",
		TokenList: tokens.DevUSDT, Confirmations: 20, Finality: FinalityConfirmations, NativeSymbol: "ETH"},
	"BSC": {Name: "BSC", ChainID: 1338, RPCURL: "http://127.0.0.1:8547", WSURL: "ws://127.0.0.1:8548",
		TokenList: tokens.DevBSCUSDT, Confirmations: 20, Finality: FinalityConfirmations, NativeSymbol: "BNB"},
}

// Chains is the list of chains a service serves. CHAINS names them
// ("ETH,BSC"), and each is configured by variables prefixed CHAIN_<NAME>_
// (CHAIN_BSC_RPC_URL, …; see Chain). Without CHAINS the service serves the
// one chain that Network's variables (CHAIN, ETH_RPC_URL, …) describe, as
// before lists existed.
type Chains struct {
	Names []string `env:"CHAINS" envSeparator:","`
	Network
	List []Chain `env:"-"`
}

// Validate builds List, from CHAINS or else from Network, and checks every
// chain in it.
func (c *Chains) Validate() error {
	if err := c.Network.Validate(); err != nil {
		return err
	}
	names := slices.DeleteFunc(slices.Clone(c.Names), func(n string) bool { return strings.TrimSpace(n) == "" })
	if len(names) == 0 {
		c.List = []Chain{{Name: c.Chain, RPCURL: c.RPCURL, TokenList: c.TokenList, Tokens: c.Tokens,
			Confirmations: c.Confirmations, Finality: FinalityConfirmations, NativeSymbol: c.Chain}}
		return nil
	}
	for _, v := range []string{"CHAIN", "ETH_RPC_URL", "ETH_WS_URL", "CONFIRMATIONS", "TOKENS"} {
		if value, set := os.LookupEnv(v); set && value != "" {
			return config.VarError(v, "not used with CHAINS: set %sRPC_URL and the like for each chain", Prefix(names[0]))
		}
	}
	c.List = nil
	for _, name := range names {
		name = strings.TrimSpace(name)
		if err := config.CheckChain(name); err != nil {
			return config.VarError("CHAINS", "%q %v", name, errors.Unwrap(err))
		}
		if _, dup := c.ByName(name); dup {
			return config.VarError("CHAINS", "%s is listed twice", name)
		}
		chain, err := readChain(name)
		if err != nil {
			return err
		}
		c.List = append(c.List, chain)
	}
	return nil
}

// ByName returns the chain requests call name (names compare exactly, as
// request fields do).
func (c *Chains) ByName(name string) (Chain, bool) {
	i := slices.IndexFunc(c.List, func(ch Chain) bool { return ch.Name == name })
	if i < 0 {
		return Chain{}, false
	}
	return c.List[i], true
}

// Prefix is the prefix of the variables that configure the chain called
// name: CHAIN_ and the name in capitals with '-' and '.' as '_'.
func Prefix(name string) string {
	return "CHAIN_" + strings.NewReplacer("-", "_", ".", "_").Replace(strings.ToUpper(name)) + "_"
}

// readChain reads one chain's CHAIN_<NAME>_* variables over the development
// chain of that name, if there is one, and checks them.
func readChain(name string) (Chain, error) {
	prefix := Prefix(name)
	chain := DevChains[name]
	chain.Name = name
	opts := env.Options{Prefix: prefix, Environment: setUnder(prefix)}
	if err := env.ParseWithOptions(&chain, opts); err != nil {
		return Chain{}, fmt.Errorf("chain %s: %w", name, err)
	}
	if chain.Finality == "" {
		chain.Finality = FinalityConfirmations
	}
	if chain.Confirmations == 0 {
		chain.Confirmations = 20
	}
	if chain.NativeSymbol == "" {
		chain.NativeSymbol = name
	}
	return chain, chain.check(prefix)
}

// setUnder returns the chain variables set (not empty) under prefix, so that
// ParseWithOptions keeps the development chain's value for the others.
func setUnder(prefix string) map[string]string {
	vars := map[string]string{}
	for _, field := range []string{"CHAIN_ID", "RPC_URL", "WS_URL", "TOKENS", "CONFIRMATIONS", "FINALITY", "NATIVE_SYMBOL"} {
		if v, ok := os.LookupEnv(prefix + field); ok && v != "" {
			vars[prefix+field] = v
		}
	}
	return vars
}

// check validates a chain read under prefix and fills Tokens.
func (ch *Chain) check(prefix string) error {
	if ch.ChainID == 0 {
		return config.VarError(prefix+"CHAIN_ID", "required: the chain id its node must report")
	}
	if !hasScheme(ch.RPCURL, "http://", "https://", "ws://", "wss://") {
		return config.VarError(prefix+"RPC_URL", "must be an http(s) or ws(s) URL")
	}
	if ch.WSURL != "" && !hasScheme(ch.WSURL, "ws://", "wss://") {
		return config.VarError(prefix+"WS_URL", "must be a ws(s) URL or empty")
	}
	if ch.Finality != FinalityConfirmations && ch.Finality != FinalityFinalized {
		return config.VarError(prefix+"FINALITY", "must be %s or %s (got %q)", FinalityConfirmations, FinalityFinalized, ch.Finality)
	}
	if dev, ok := DevChains[ch.Name]; (!ok || dev.ChainID != ch.ChainID) && ch.TokenList == dev.TokenList {
		// A development token address on another chain is somebody else's contract.
		return config.VarError(prefix+"TOKENS", "required for chain id %d: the development tokens exist only on the development chains", ch.ChainID)
	}
	list, err := tokens.Parse(ch.TokenList)
	if err != nil {
		return config.VarError(prefix+"TOKENS", "%v", err)
	}
	ch.Tokens = list
	return nil
}

// CheckNode checks the chain id the chain's node reports against ChainID;
// a chain of the single-chain form (ChainID 0) takes any.
func (ch Chain) CheckNode(id uint64) error {
	if ch.ChainID != 0 && id != ch.ChainID {
		return fmt.Errorf("chain %s: the node reports chain id %d, but %sCHAIN_ID is %d: wrong node", ch.Name, id, Prefix(ch.Name), ch.ChainID)
	}
	return nil
}
