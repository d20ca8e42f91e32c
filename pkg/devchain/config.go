package devchain

import (
	"errors"
	"net"
	"slices"
	"strconv"
	"time"

	"paysuite/pkg/config"
)

// Config is the development chain's configuration, read from the environment.
type Config struct {
	// HTTPAddr is the JSON-RPC over HTTP listen address; port 0 picks a free port.
	HTTPAddr string `env:"DEVCHAIN_HTTP_ADDR" envDefault:"127.0.0.1:8545"`
	// WSAddr is the JSON-RPC over WebSocket listen address; port 0 picks a free port (shared with
	// HTTP when both ask for port 0 on the same host).
	WSAddr string `env:"DEVCHAIN_WS_ADDR" envDefault:"127.0.0.1:8546"`
	// BlockPeriod is the time between two blocks; 0 mines only on demand (evm_mine, anvil_mine).
	BlockPeriod time.Duration `env:"DEVCHAIN_BLOCK_PERIOD" envDefault:"1s"`
	// Hardfork chooses the rules, as Anvil's --hardfork: "mainnet" (mainnet's
	// schedule as go-ethereum defines it), one of mainnet's forks by name
	// ("prague": that fork and the ones before it), or "all" (every fork
	// go-ethereum knows, unreleased ones included).
	Hardfork string `env:"DEVCHAIN_HARDFORK" envDefault:"mainnet"`
	// DataDir is the folder that keeps the chain between runs, as geth's --datadir: the first start
	// creates the chain there, later ones continue it. Empty keeps the chain in memory, new on every
	// start.
	DataDir string `env:"DEVCHAIN_DATA_DIR"`
	// ChainID is the chain's id: one of the development chains' (contract
	// section 5), so that the development mode's public keys never sign for
	// a real chain. 0 (a Config written in Go) means ChainID.
	ChainID uint64 `env:"DEVCHAIN_CHAIN_ID" envDefault:"1337"`
}

// Validate reports the first invalid setting, naming its environment variable.
func (c Config) Validate() error {
	if _, _, err := splitHostPort(c.HTTPAddr); err != nil {
		return config.VarError("DEVCHAIN_HTTP_ADDR", "%q must be host:port: %w", c.HTTPAddr, err)
	}
	if _, _, err := splitHostPort(c.WSAddr); err != nil {
		return config.VarError("DEVCHAIN_WS_ADDR", "%q must be host:port: %w", c.WSAddr, err)
	}
	if c.ChainID != 0 && !slices.Contains(config.DevChainIDs, c.ChainID) {
		return config.VarError("DEVCHAIN_CHAIN_ID", "%d is not a development chain's id (%v)", c.ChainID, config.DevChainIDs)
	}
	if _, err := chainConfig(c.Hardfork, c.ChainID); err != nil {
		return config.VarError("DEVCHAIN_HARDFORK", "%w", err)
	}
	if c.BlockPeriod < 0 {
		return config.VarError("DEVCHAIN_BLOCK_PERIOD", "%s must not be negative", c.BlockPeriod)
	}
	return nil
}

// splitHostPort splits a listen address into the host and port that node.Config wants.
func splitHostPort(addr string) (string, int, error) {
	host, portStr, err := net.SplitHostPort(addr)
	if err != nil {
		return "", 0, err
	}
	if host == "" {
		// node.Node treats an empty host as "server disabled"; an empty host means all interfaces.
		host = "0.0.0.0"
	}
	port, err := strconv.ParseUint(portStr, 10, 16)
	if err != nil {
		return "", 0, errors.New("bad port")
	}
	return host, int(port), nil
}
