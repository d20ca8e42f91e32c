// Package hdwallet derives Ethereum keys and addresses from BIP-39 mnemonics and BIP-32 extended keys.
package hdwallet

import (
	"crypto/ecdsa"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/btcsuite/btcd/btcutil/hdkeychain"
	"github.com/btcsuite/btcd/chaincfg"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/tyler-smith/go-bip39"
)

// DevMnemonic is the well-known development mnemonic whose first accounts the development chain funds.
const DevMnemonic = "test test test test test test test test test test test junk"

// DevAccountPath is the account-level path of the funded development accounts; account i is DevAccountPath/i.
const DevAccountPath = "m/44'/60'/0'/0"

// DevDepositPath is the account-level path whose extended public key the development topup service uses
// (distinct from the funded accounts m/44'/60'/0'/0/i).
const DevDepositPath = "m/44'/60'/1'/0"

// PrivateKeyFromMnemonic derives the private key at path (like m/44'/60'/0'/0/3) from a BIP-39 mnemonic
// without passphrase.
func PrivateKeyFromMnemonic(mnemonic, path string) (*ecdsa.PrivateKey, error) {
	key, err := deriveFromMnemonic(mnemonic, path)
	if err != nil {
		return nil, err
	}
	ecPriv, err := key.ECPrivKey()
	if err != nil {
		return nil, fmt.Errorf("private key at %s: %w", path, err)
	}
	priv, err := crypto.ToECDSA(ecPriv.Serialize())
	if err != nil {
		return nil, fmt.Errorf("convert private key at %s: %w", path, err)
	}
	return priv, nil
}

// DevAccount returns the private key and address of development account i (m/44'/60'/0'/0/i of DevMnemonic).
func DevAccount(i int) (*ecdsa.PrivateKey, common.Address, error) {
	if i < 0 || uint64(i) >= hdkeychain.HardenedKeyStart {
		return nil, common.Address{}, fmt.Errorf("development account index %d out of range", i)
	}
	priv, err := PrivateKeyFromMnemonic(DevMnemonic, DevAccountPath+"/"+strconv.Itoa(i))
	if err != nil {
		return nil, common.Address{}, fmt.Errorf("development account %d: %w", i, err)
	}
	return priv, crypto.PubkeyToAddress(priv.PublicKey), nil
}

// XPubFromMnemonic returns the extended public key (xpub string) at path, derived from a BIP-39 mnemonic
// without passphrase. Whoever holds it can derive the addresses below path but no private key.
func XPubFromMnemonic(mnemonic, path string) (string, error) {
	key, err := deriveFromMnemonic(mnemonic, path)
	if err != nil {
		return "", err
	}
	pub, err := key.Neuter()
	if err != nil {
		return "", fmt.Errorf("neuter key at %s: %w", path, err)
	}
	return pub.String(), nil
}

// XPub derives non-hardened child addresses from an extended public key: no private key involved.
type XPub struct {
	key *hdkeychain.ExtendedKey
}

// ParseXPub parses an extended public key string. Extended private keys are refused so that a
// service configured with one cannot hold spending keys by accident.
func ParseXPub(s string) (*XPub, error) {
	key, err := hdkeychain.NewKeyFromString(strings.TrimSpace(s))
	if err != nil {
		return nil, fmt.Errorf("parse extended public key: %w", err)
	}
	if key.IsPrivate() {
		return nil, errors.New("parse extended public key: got an extended private key")
	}
	return &XPub{key: key}, nil
}

// String returns the extended public key in its serialized form.
func (x *XPub) String() string {
	return x.key.String()
}

// Address returns the Ethereum address of the non-hardened child index of the extended public key.
func (x *XPub) Address(index uint32) (common.Address, error) {
	if index >= hdkeychain.HardenedKeyStart {
		return common.Address{}, fmt.Errorf("derive address %d: hardened index needs a private key", index)
	}
	child, err := x.key.Derive(index)
	if err != nil {
		return common.Address{}, fmt.Errorf("derive child %d: %w", index, err)
	}
	ecPub, err := child.ECPubKey()
	if err != nil {
		return common.Address{}, fmt.Errorf("public key of child %d: %w", index, err)
	}
	pub, err := crypto.UnmarshalPubkey(ecPub.SerializeUncompressed())
	if err != nil {
		return common.Address{}, fmt.Errorf("convert public key of child %d: %w", index, err)
	}
	return crypto.PubkeyToAddress(*pub), nil
}

// deriveFromMnemonic walks path from the master key of mnemonic.
func deriveFromMnemonic(mnemonic, path string) (*hdkeychain.ExtendedKey, error) {
	indexes, err := ParsePath(path)
	if err != nil {
		return nil, err
	}
	seed, err := bip39.NewSeedWithErrorChecking(mnemonic, "")
	if err != nil {
		return nil, fmt.Errorf("mnemonic: %w", err)
	}
	// The network parameters only choose the xprv/xpub version bytes; Ethereum wallets use the
	// Bitcoin main-net ones.
	key, err := hdkeychain.NewMaster(seed, &chaincfg.MainNetParams)
	if err != nil {
		return nil, fmt.Errorf("master key: %w", err)
	}
	for _, i := range indexes {
		if key, err = key.Derive(i); err != nil {
			return nil, fmt.Errorf("derive %s: %w", path, err)
		}
	}
	return key, nil
}

// ParsePath parses a BIP-32 path like m/44'/60'/0'/0/3 into child indexes; ' or h marks a hardened index.
func ParsePath(path string) ([]uint32, error) {
	parts := strings.Split(strings.TrimSpace(path), "/")
	if len(parts) == 0 || parts[0] != "m" {
		return nil, fmt.Errorf("derivation path %q: must start with m", path)
	}
	indexes := make([]uint32, 0, len(parts)-1)
	for _, p := range parts[1:] {
		hardened := strings.HasSuffix(p, "'") || strings.HasSuffix(p, "h") || strings.HasSuffix(p, "H")
		if hardened {
			p = p[:len(p)-1]
		}
		n, err := strconv.ParseUint(p, 10, 32)
		if err != nil || n >= hdkeychain.HardenedKeyStart {
			return nil, fmt.Errorf("derivation path %q: bad index %q", path, p)
		}
		idx := uint32(n)
		if hardened {
			idx += hdkeychain.HardenedKeyStart
		}
		indexes = append(indexes, idx)
	}
	return indexes, nil
}
