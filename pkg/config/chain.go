package config

// MaxChainLen is the longest CHAIN: the narrowest chain column of the suite's
// schemas (topup's registrations.chain) is VARCHAR(16).
const MaxChainLen = 16

// CheckChain checks the chain a service serves (CHAIN): 1 to MaxChainLen
// letters, digits, '-', '_' or '.'. It goes into columns of that width, and
// into ids that ':' separates ("<chain>:<tx_hash>:<log_index>").
func CheckChain(name string) error {
	if name == "" || len(name) > MaxChainLen {
		return VarError("CHAIN", "must be 1 to %d characters (got %d)", MaxChainLen, len(name))
	}
	for _, r := range name {
		if !('a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9' || r == '-' || r == '_' || r == '.') {
			return VarError("CHAIN", "must be letters, digits, '-', '_' or '.' (got %q)", name)
		}
	}
	return nil
}
