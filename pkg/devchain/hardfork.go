package devchain

import (
	"fmt"
	"math/big"
	"slices"
	"strings"

	"github.com/ethereum/go-ethereum/params"
)

// Hardfork names accepted in Config.Hardfork, as Anvil's --hardfork: the
// forks of mainnet's schedule, newest last, and "all".
const (
	HardforkMainnet = "mainnet" // mainnet's schedule as go-ethereum defines it, every fork it has scheduled
	HardforkAll     = "all"     // every fork go-ethereum knows, including unreleased ones
)

// scheduledFork is a post-merge fork and the switch-time field of
// params.ChainConfig that sets it.
type scheduledFork struct {
	name string
	time func(*params.ChainConfig) **uint64
}

// mainnetForks are mainnet's post-merge forks in order; a named fork switches
// on itself and every fork before it.
var mainnetForks = []scheduledFork{
	{"shanghai", func(c *params.ChainConfig) **uint64 { return &c.ShanghaiTime }},
	{"cancun", func(c *params.ChainConfig) **uint64 { return &c.CancunTime }},
	{"prague", func(c *params.ChainConfig) **uint64 { return &c.PragueTime }},
	{"osaka", func(c *params.ChainConfig) **uint64 { return &c.OsakaTime }},
	{"bpo1", func(c *params.ChainConfig) **uint64 { return &c.BPO1Time }},
	{"bpo2", func(c *params.ChainConfig) **uint64 { return &c.BPO2Time }},
}

// Hardforks lists the names Config.Hardfork accepts.
func Hardforks() []string {
	names := []string{HardforkMainnet, HardforkAll}
	for _, f := range mainnetForks {
		names = append(names, f.name)
	}
	return names
}

// chainConfig is the chain configuration of the development chain for the
// named hardfork, with chain id chainID. Mainnet's schedule is taken from
// go-ethereum's params.MainnetChainConfig, so it follows the library: every
// fork mainnet has scheduled (up to the named one) is active from genesis, the
// ones it has not are off. The development chain starts after the merge, so
// the proof-of-work forks are active from block 0 and the terminal total
// difficulty is 0.
func chainConfig(hardfork string, chainID uint64) (*params.ChainConfig, error) {
	name := hardforkName(hardfork)
	if name == HardforkAll {
		c := *params.AllDevChainProtocolChanges
		c.ChainID = new(big.Int).SetUint64(chainID)
		return &c, nil
	}
	last := len(mainnetForks) - 1
	if name != HardforkMainnet {
		last = slices.IndexFunc(mainnetForks, func(f scheduledFork) bool { return f.name == name })
		if last < 0 {
			return nil, fmt.Errorf("unknown hardfork %q (one of %s)", hardfork, strings.Join(Hardforks(), ", "))
		}
	}
	mainnet := params.MainnetChainConfig
	c := &params.ChainConfig{
		ChainID:                 new(big.Int).SetUint64(chainID),
		HomesteadBlock:          big.NewInt(0),
		EIP150Block:             big.NewInt(0),
		EIP155Block:             big.NewInt(0),
		EIP158Block:             big.NewInt(0),
		ByzantiumBlock:          big.NewInt(0),
		ConstantinopleBlock:     big.NewInt(0),
		PetersburgBlock:         big.NewInt(0),
		IstanbulBlock:           big.NewInt(0),
		MuirGlacierBlock:        big.NewInt(0),
		BerlinBlock:             big.NewInt(0),
		LondonBlock:             big.NewInt(0),
		ArrowGlacierBlock:       big.NewInt(0),
		GrayGlacierBlock:        big.NewInt(0),
		TerminalTotalDifficulty: big.NewInt(0),
		DepositContractAddress:  mainnet.DepositContractAddress,
		BlobScheduleConfig:      mainnet.BlobScheduleConfig,
	}
	for i, f := range mainnetForks {
		if i > last || *f.time(mainnet) == nil {
			break
		}
		zero := uint64(0)
		*f.time(c) = &zero
	}
	return c, nil
}

// hardforkName is hardfork as chainConfig reads it: lowercase, empty meaning
// mainnet.
func hardforkName(hardfork string) string {
	if name := strings.ToLower(strings.TrimSpace(hardfork)); name != "" {
		return name
	}
	return HardforkMainnet
}
