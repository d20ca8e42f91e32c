package main

import (
	"bytes"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ethereum/go-ethereum/crypto"

	"paysuite/pkg/hdwallet"
	"paysuite/pkg/keystore"
)

func TestKeygen(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("KEYGEN_PASSPHRASE", "pw")
	var out bytes.Buffer
	hot := filepath.Join(dir, "hot.json")
	key, _, _ := hdwallet.DevAccount(3)
	hexKey := "0x" + hex.EncodeToString(crypto.FromECDSA(key))
	if err := run([]string{"key", "-import", "-light", "-out", hot}, strings.NewReader(hexKey+"\n"), &out); err != nil {
		t.Fatal(err)
	}
	data, _ := os.ReadFile(hot)
	got, err := keystore.DecryptKey(data, "pw")
	if err != nil || !got.Equal(key) {
		t.Fatalf("decrypt written key: %v", err)
	}
	if strings.Contains(out.String(), hexKey[2:]) || !strings.Contains(out.String(), "address: 0x") {
		t.Fatalf("output: %s", out.String())
	}
	out.Reset()
	seed := filepath.Join(dir, "seed.json")
	if err := run([]string{"seed", "-light", "-out", seed}, strings.NewReader(hdwallet.DevMnemonic+"\n"), &out); err != nil {
		t.Fatal(err)
	}
	data, _ = os.ReadFile(seed)
	if m, err := keystore.DecryptSeed(data, "pw"); err != nil || m != hdwallet.DevMnemonic {
		t.Fatalf("decrypt written seed: %v", err)
	}
	xpub, _ := hdwallet.XPubFromMnemonic(hdwallet.DevMnemonic, hdwallet.DevDepositPath)
	if !strings.Contains(out.String(), xpub) || strings.Contains(out.String(), "junk") {
		t.Fatalf("output: %s", out.String())
	}
	if err := run([]string{"seed", "-light", "-out", seed}, strings.NewReader(hdwallet.DevMnemonic), &out); err == nil {
		t.Fatal("overwrote an existing file")
	}
}
