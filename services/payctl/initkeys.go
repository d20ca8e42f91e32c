package main

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/tyler-smith/go-bip39"

	"paysuite/pkg/hdwallet"
	"paysuite/pkg/keystore"
)

// orderPath is the account path of the matcher's order addresses in the
// deposit seed: beside topup's deposit addresses (hdwallet.DevDepositPath,
// pay's default PAY_DEPOSIT_PATH), as the development matcher does.
const orderPath = "m/44'/60'/3'/0"

// The files payctl init writes in the keystore folder.
const (
	withdrawKeyName = "withdraw-key.json"
	payKeyName      = "pay-key.json"
	paySeedName     = "pay-seed.json"
	passphraseName  = "passphrase"
	mnemonicName    = "seed-mnemonic.txt"
)

// deploymentKeys are the keys made for a deployment: where their encrypted
// files are and what may be shown of them.
type deploymentKeys struct {
	WithdrawFile, PayFile, SeedFile string
	WithdrawAddress, PayAddress     common.Address
	// Mnemonic is the deposit seed, shown once for its paper backup.
	Mnemonic               string
	TopupXPub, MatcherXPub string
}

// keyFiles are the paths of the files makeKeys writes in dir.
func keyFiles(dir string) []string {
	return []string{filepath.Join(dir, withdrawKeyName), filepath.Join(dir, payKeyName), filepath.Join(dir, paySeedName)}
}

// refuseExistingKeys fails when a key file is already in dir: keys are never
// replaced, whatever --force says.
func refuseExistingKeys(dir string) error {
	for _, f := range keyFiles(dir) {
		if _, err := os.Lstat(f); err == nil {
			return fmt.Errorf("%s exists: keys are never replaced; choose another --keystore-dir", f)
		}
	}
	return nil
}

// makeKeys generates withdraw's and pay's hot wallet keys and the deposit
// seed, and writes them to dir encrypted under passphrase (pkg/keystore, as
// keygen does).
func makeKeys(dir, passphrase string, params keystore.Params) (deploymentKeys, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return deploymentKeys{}, err
	}
	files := keyFiles(dir)
	k := deploymentKeys{WithdrawFile: files[0], PayFile: files[1], SeedFile: files[2]}
	var err error
	if k.WithdrawAddress, err = writeHotKey(k.WithdrawFile, passphrase, params); err != nil {
		return deploymentKeys{}, fmt.Errorf("withdraw's hot wallet: %w", err)
	}
	if k.PayAddress, err = writeHotKey(k.PayFile, passphrase, params); err != nil {
		return deploymentKeys{}, fmt.Errorf("pay's hot wallet: %w", err)
	}
	entropy, err := bip39.NewEntropy(256)
	if err != nil {
		return deploymentKeys{}, err
	}
	if k.Mnemonic, err = bip39.NewMnemonic(entropy); err != nil {
		return deploymentKeys{}, err
	}
	if k.TopupXPub, err = hdwallet.XPubFromMnemonic(k.Mnemonic, hdwallet.DevDepositPath); err != nil {
		return deploymentKeys{}, err
	}
	if k.MatcherXPub, err = hdwallet.XPubFromMnemonic(k.Mnemonic, orderPath); err != nil {
		return deploymentKeys{}, err
	}
	seed, err := keystore.EncryptSeed(k.Mnemonic, passphrase, params)
	if err != nil {
		return deploymentKeys{}, err
	}
	if err := keystore.WriteNew(k.SeedFile, seed); err != nil {
		return deploymentKeys{}, fmt.Errorf("deposit seed: %w", err)
	}
	return k, nil
}

func writeHotKey(path, passphrase string, params keystore.Params) (common.Address, error) {
	key, err := crypto.GenerateKey()
	if err != nil {
		return common.Address{}, err
	}
	data, err := keystore.EncryptKey(key, passphrase, params)
	if err != nil {
		return common.Address{}, err
	}
	return keystore.Address(key), keystore.WriteNew(path, data)
}

// randomHex is n random bytes in hex: secrets that go into URLs and
// environment files unquoted.
func randomHex(n int) (string, error) {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return hex.EncodeToString(b), nil
}

// randomWebhookSecret is a new webhook secret as Standard Webhooks writes it.
func randomWebhookSecret() (string, error) {
	b := make([]byte, minSecretLen)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return "whsec_" + base64.StdEncoding.EncodeToString(b), nil
}

// readSecretFile reads a secret or passphrase from a file; a trailing line
// break is not part of it (as the services read *_PASSPHRASE_FILE).
func readSecretFile(path string) (string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return "", err
	}
	s := string(b)
	for len(s) > 0 && (s[len(s)-1] == '\n' || s[len(s)-1] == '\r') {
		s = s[:len(s)-1]
	}
	if s == "" {
		return "", errors.New("empty")
	}
	return s, nil
}
