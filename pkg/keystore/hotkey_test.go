package keystore

import (
	"strings"
	"testing"
)

func TestHotKey(t *testing.T) {
	src := Files{}.Source("WITHDRAW_KEY_")
	if src.FileVar != "WITHDRAW_KEY_FILE" || src.PassphraseVar != "WITHDRAW_KEY_PASSPHRASE" || src.PassphraseFileVar != "WITHDRAW_KEY_PASSPHRASE_FILE" {
		t.Fatalf("variables %+v", src)
	}
	if _, err := HotKey(src, false, "m/44'/60'/2'/0/0"); err == nil || !strings.Contains(err.Error(), "WITHDRAW_KEY_FILE: required unless DEV_MODE=true") {
		t.Fatalf("without a file outside DEV_MODE: %v", err)
	}
	key, err := HotKey(src, true, "m/44'/60'/2'/0/0")
	if err != nil || key == nil {
		t.Fatalf("the development key: %v", err)
	}
	if got := Only(key); got == nil {
		t.Fatal("no keys")
	} else if k, err := got(t.Context(), Address(key)); err != nil || k != key {
		t.Fatalf("Only(key) for its address = %v, %v", k, err)
	}
	if _, err := HotKey(Files{File: "/nonexistent"}.Source("PAY_KEY_"), true, "m/0"); err == nil || !strings.Contains(err.Error(), "PAY_KEY_") {
		t.Fatalf("a missing file: %v", err)
	}
}
