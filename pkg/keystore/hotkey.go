package keystore

import (
	"context"
	"crypto/ecdsa"

	"github.com/ethereum/go-ethereum/common"

	"paysuite/pkg/config"
	"paysuite/pkg/hdwallet"
)

// Files is an encrypted secret configured by three variables sharing a
// prefix: <prefix>FILE, <prefix>PASSPHRASE and <prefix>PASSPHRASE_FILE. A
// service's configuration embeds it with that prefix as envPrefix.
type Files struct {
	File           string `env:"FILE"`
	Passphrase     string `env:"PASSPHRASE"`
	PassphraseFile string `env:"PASSPHRASE_FILE"`
}

// Source is f as read from the variables of prefix, which errors name.
func (f Files) Source(prefix string) Source {
	return Source{
		File: f.File, Passphrase: f.Passphrase, PassphraseFile: f.PassphraseFile,
		FileVar: prefix + "FILE", PassphraseVar: prefix + "PASSPHRASE", PassphraseFileVar: prefix + "PASSPHRASE_FILE",
	}
}

// RequireUnlessDev refuses a missing file outside the development mode.
func (s Source) RequireUnlessDev(devMode bool) error {
	if !s.Configured() && !devMode {
		return config.VarError(s.FileVar, "required unless DEV_MODE=true")
	}
	return nil
}

// HotKey decrypts the hot wallet's key of s, or derives the development one
// at devPath of the development mnemonic in devMode when no file is
// configured. Errors name the variable to fix.
func HotKey(s Source, devMode bool, devPath string) (*ecdsa.PrivateKey, error) {
	if s.Configured() {
		return LoadKey(s)
	}
	if err := s.RequireUnlessDev(devMode); err != nil {
		return nil, err
	}
	key, err := hdwallet.PrivateKeyFromMnemonic(hdwallet.DevMnemonic, devPath)
	if err != nil {
		return nil, config.VarError(s.FileVar, "derive the development key: %w", err)
	}
	return key, nil
}

// Only is the signing keys of a service that signs for one address only:
// key's, and none for any other address. It has the txsender.Keys signature.
func Only(key *ecdsa.PrivateKey) func(ctx context.Context, from common.Address) (*ecdsa.PrivateKey, error) {
	addr := Address(key)
	return func(_ context.Context, from common.Address) (*ecdsa.PrivateKey, error) {
		if from == addr {
			return key, nil
		}
		return nil, nil
	}
}
