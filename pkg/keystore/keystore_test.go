package keystore_test

import (
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ethereum/go-ethereum/crypto"

	"paysuite/pkg/config"
	"paysuite/pkg/hdwallet"
	"paysuite/pkg/keystore"
)

func TestKeyRoundTrip(t *testing.T) {
	key, err := crypto.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	data, err := keystore.EncryptKey(key, "correct horse", keystore.Light())
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(data), hex.EncodeToString(crypto.FromECDSA(key))) {
		t.Fatal("the encrypted file contains the key in plain text")
	}
	got, err := keystore.DecryptKey(data, "correct horse")
	if err != nil {
		t.Fatal(err)
	}
	if !got.Equal(key) {
		t.Fatal("decrypted key differs")
	}
	if _, err := keystore.DecryptKey(data, "wrong horse"); !errors.Is(err, keystore.ErrWrongPassphrase) {
		t.Fatalf("wrong passphrase: got %v", err)
	}
}

func TestSeedRoundTrip(t *testing.T) {
	data, err := keystore.EncryptSeed("  "+hdwallet.DevMnemonic+"\n", "pass phrase", keystore.Light())
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(data), "junk") {
		t.Fatal("the encrypted file contains the mnemonic in plain text")
	}
	m, err := keystore.DecryptSeed(data, "pass phrase")
	if err != nil {
		t.Fatal(err)
	}
	if m != hdwallet.DevMnemonic {
		t.Fatalf("decrypted %q", m)
	}
	if _, err := keystore.DecryptSeed(data, "pass phrasE"); !errors.Is(err, keystore.ErrWrongPassphrase) {
		t.Fatalf("wrong passphrase: got %v", err)
	}
	// A header altered to weaken the file is detected, not silently accepted.
	tampered := strings.Replace(string(data), `"n": 4096`, `"n": 2048`, 1)
	if tampered == string(data) {
		t.Fatal("test did not alter the file")
	}
	if _, err := keystore.DecryptSeed([]byte(tampered), "pass phrase"); !errors.Is(err, keystore.ErrWrongPassphrase) {
		t.Fatalf("tampered header: got %v", err)
	}
	if _, err := keystore.EncryptSeed("not a mnemonic at all", "p", keystore.Light()); err == nil {
		t.Fatal("an invalid mnemonic was encrypted")
	}
}

func TestLoadNamesTheVariable(t *testing.T) {
	dir := t.TempDir()
	key, _ := crypto.GenerateKey()
	data, err := keystore.EncryptKey(key, "secret", keystore.Light())
	if err != nil {
		t.Fatal(err)
	}
	keyPath := filepath.Join(dir, "hot.json")
	if err := os.WriteFile(keyPath, data, 0o600); err != nil {
		t.Fatal(err)
	}
	passPath := filepath.Join(dir, "pass")
	if err := os.WriteFile(passPath, []byte("secret\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	src := keystore.Source{FileVar: "X_KEY_FILE", PassphraseVar: "X_KEY_PASSPHRASE", PassphraseFileVar: "X_KEY_PASSPHRASE_FILE"}

	tests := []struct {
		name    string
		mod     func(s *keystore.Source)
		wantVar string
	}{
		{"ok with passphrase", func(s *keystore.Source) { s.File, s.Passphrase = keyPath, "secret" }, ""},
		{"ok with passphrase file", func(s *keystore.Source) { s.File, s.PassphraseFile = keyPath, passPath }, ""},
		{"missing file", func(s *keystore.Source) { s.File, s.Passphrase = filepath.Join(dir, "nope"), "secret" }, "X_KEY_FILE"},
		{"wrong passphrase", func(s *keystore.Source) { s.File, s.Passphrase = keyPath, "Secret" }, "X_KEY_PASSPHRASE"},
		{"no passphrase", func(s *keystore.Source) { s.File = keyPath }, "X_KEY_PASSPHRASE"},
		{"missing passphrase file", func(s *keystore.Source) { s.File, s.PassphraseFile = keyPath, filepath.Join(dir, "x") }, "X_KEY_PASSPHRASE_FILE"},
		{"not a key file", func(s *keystore.Source) { s.File, s.Passphrase = passPath, "secret" }, "X_KEY_FILE"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := src
			tc.mod(&s)
			got, err := keystore.LoadKey(s)
			if tc.wantVar == "" {
				if err != nil || !got.Equal(key) {
					t.Fatalf("LoadKey: %v", err)
				}
				return
			}
			var ve *config.Error
			if !errors.As(err, &ve) || ve.Var != tc.wantVar {
				t.Fatalf("error %v does not name %s", err, tc.wantVar)
			}
			if strings.Contains(err.Error(), "secret") {
				t.Fatalf("error leaks the passphrase: %v", err)
			}
		})
	}
}
