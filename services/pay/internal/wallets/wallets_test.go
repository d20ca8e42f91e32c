package wallets

import (
	"testing"

	"github.com/ethereum/go-ethereum/crypto"

	"paysuite/pkg/hdwallet"
)

// Pay derives, from the seed, the very addresses topup derives from the
// extended public key at the same path.
func TestDeriveMatchesTopupsExtendedKey(t *testing.T) {
	xpub, err := hdwallet.XPubFromMnemonic(hdwallet.DevMnemonic, hdwallet.DevDepositPath)
	if err != nil {
		t.Fatal(err)
	}
	pub, err := hdwallet.ParseXPub(xpub)
	if err != nil {
		t.Fatal(err)
	}
	hot, err := crypto.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	w := New(hot, hdwallet.DevMnemonic, hdwallet.DevDepositPath, nil)
	for _, i := range []uint32{0, 1, 7, 1000} {
		key, addr, err := w.Derive(i)
		if err != nil {
			t.Fatal(err)
		}
		want, err := pub.Address(i)
		if err != nil {
			t.Fatal(err)
		}
		if addr != want || crypto.PubkeyToAddress(key.PublicKey) != want {
			t.Fatalf("index %d: derived %s, topup has %s", i, addr, want)
		}
	}
	if w.Hot() != crypto.PubkeyToAddress(hot.PublicKey) {
		t.Fatal("hot address")
	}
}
