// Package tokens parses the token list a service is configured with.
package tokens

import (
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/ethereum/go-ethereum/common"
)

// MaxSymbolLen is the longest symbol: the narrowest symbol columns of the
// suite's schemas (topup's and the chain-listener's) are VARCHAR(16).
const MaxSymbolLen = 16

// Token is one ERC-20 contract the suite handles on a chain.
type Token struct {
	Symbol   string
	Address  common.Address
	Decimals int32
}

// List is the set of tokens configured for one chain.
type List []Token

// DevUSDT and DevBSCUSDT are the token lists of the development chains ETH
// and BSC: the same deployment, so the same address, with 6 and 18 decimals.
const (
	DevUSDT    = "USDT:0x5FbDB2315678afecb367f032d93F642f64180aa3:6"
	DevBSCUSDT = "USDT:0x5FbDB2315678afecb367f032d93F642f64180aa3:18"
)

// Parse reads "SYMBOL:0xaddress:decimals" entries separated by commas.
func Parse(s string) (List, error) {
	var list List
	seen := map[string]bool{}
	for _, entry := range strings.Split(s, ",") {
		entry = strings.TrimSpace(entry)
		if entry == "" {
			continue
		}
		parts := strings.Split(entry, ":")
		if len(parts) != 3 {
			return nil, fmt.Errorf("token %q: want SYMBOL:ADDRESS:DECIMALS", entry)
		}
		symbol := strings.ToUpper(strings.TrimSpace(parts[0]))
		if symbol == "" || seen[symbol] {
			return nil, fmt.Errorf("token %q: empty or repeated symbol", entry)
		}
		if utf8.RuneCountInString(symbol) > MaxSymbolLen {
			return nil, fmt.Errorf("token %q: symbol longer than %d characters", entry, MaxSymbolLen)
		}
		if !common.IsHexAddress(parts[1]) {
			return nil, fmt.Errorf("token %q: invalid contract address", entry)
		}
		decimals, err := strconv.ParseInt(parts[2], 10, 32)
		if err != nil || decimals < 0 || decimals > 36 {
			return nil, fmt.Errorf("token %q: decimals must be 0..36", entry)
		}
		seen[symbol] = true
		list = append(list, Token{Symbol: symbol, Address: common.HexToAddress(parts[1]), Decimals: int32(decimals)})
	}
	if len(list) == 0 {
		return nil, fmt.Errorf("no token configured")
	}
	return list, nil
}

// BySymbol finds a token by its symbol, case-insensitively.
func (l List) BySymbol(symbol string) (Token, bool) {
	for _, t := range l {
		if strings.EqualFold(t.Symbol, symbol) {
			return t, true
		}
	}
	return Token{}, false
}

// ByAddress finds a token by its contract address.
func (l List) ByAddress(addr common.Address) (Token, bool) {
	for _, t := range l {
		if t.Address == addr {
			return t, true
		}
	}
	return Token{}, false
}

// Addresses lists the contract addresses, for log filters.
func (l List) Addresses() []common.Address {
	out := make([]common.Address, len(l))
	for i, t := range l {
		out[i] = t.Address
	}
	return out
}
