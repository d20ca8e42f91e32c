package hdwallet

import (
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
)

func TestDevAccounts(t *testing.T) {
	tests := []struct {
		index int
		want  common.Address
	}{
		{0, common.HexToAddress("0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266")},
		{1, common.HexToAddress("0x70997970C51812dc3A010C7d01b50e0d17dc79C8")},
		{9, common.HexToAddress("0xa0Ee7A142d267C1f36714E4a8F75612F20a79720")},
	}
	for _, tt := range tests {
		priv, addr, err := DevAccount(tt.index)
		if err != nil {
			t.Fatalf("DevAccount(%d): %v", tt.index, err)
		}
		if addr != tt.want {
			t.Errorf("DevAccount(%d) = %s, want %s", tt.index, addr, tt.want)
		}
		if got := crypto.PubkeyToAddress(priv.PublicKey); got != addr {
			t.Errorf("DevAccount(%d) key gives %s, address %s", tt.index, got, addr)
		}
	}
}

func TestXPubMatchesPrivateDerivation(t *testing.T) {
	s, err := XPubFromMnemonic(DevMnemonic, DevAccountPath)
	if err != nil {
		t.Fatalf("XPubFromMnemonic: %v", err)
	}
	x, err := ParseXPub(s)
	if err != nil {
		t.Fatalf("ParseXPub: %v", err)
	}
	if x.String() != s {
		t.Errorf("String() = %s, want %s", x.String(), s)
	}
	for i := range 3 {
		got, err := x.Address(uint32(i))
		if err != nil {
			t.Fatalf("Address(%d): %v", i, err)
		}
		_, want, err := DevAccount(i)
		if err != nil {
			t.Fatalf("DevAccount(%d): %v", i, err)
		}
		if got != want {
			t.Errorf("xpub address %d = %s, private derivation gives %s", i, got, want)
		}
	}
}

func TestDepositPathDiffersFromFundedAccounts(t *testing.T) {
	s, err := XPubFromMnemonic(DevMnemonic, DevDepositPath)
	if err != nil {
		t.Fatalf("XPubFromMnemonic: %v", err)
	}
	x, err := ParseXPub(s)
	if err != nil {
		t.Fatalf("ParseXPub: %v", err)
	}
	got, err := x.Address(0)
	if err != nil {
		t.Fatalf("Address(0): %v", err)
	}
	priv, err := PrivateKeyFromMnemonic(DevMnemonic, DevDepositPath+"/0")
	if err != nil {
		t.Fatalf("PrivateKeyFromMnemonic: %v", err)
	}
	if want := crypto.PubkeyToAddress(priv.PublicKey); got != want {
		t.Errorf("deposit address 0 = %s, private derivation gives %s", got, want)
	}
	_, funded, err := DevAccount(0)
	if err != nil {
		t.Fatalf("DevAccount(0): %v", err)
	}
	if got == funded {
		t.Errorf("deposit address 0 equals funded account 0")
	}
}

func TestErrors(t *testing.T) {
	if _, err := PrivateKeyFromMnemonic("not a mnemonic", DevAccountPath+"/0"); err == nil {
		t.Error("bad mnemonic accepted")
	}
	for _, p := range []string{"", "44'/60'", "m/x", "m/44'/-1", "m/4294967296"} {
		if _, err := ParsePath(p); err == nil {
			t.Errorf("ParsePath(%q) accepted", p)
		}
	}
	priv, err := hdkeyString(t)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ParseXPub(priv); err == nil {
		t.Error("ParseXPub accepted an extended private key")
	}
	if _, err := ParseXPub("xpub-garbage"); err == nil {
		t.Error("ParseXPub accepted garbage")
	}
	s, err := XPubFromMnemonic(DevMnemonic, DevDepositPath)
	if err != nil {
		t.Fatal(err)
	}
	x, err := ParseXPub(s)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := x.Address(1 << 31); err == nil {
		t.Error("hardened index accepted on an extended public key")
	}
}

func TestParsePath(t *testing.T) {
	got, err := ParsePath("m/44'/60h/0'/0/3")
	if err != nil {
		t.Fatal(err)
	}
	want := []uint32{44 + 1<<31, 60 + 1<<31, 1 << 31, 0, 3}
	if len(got) != len(want) {
		t.Fatalf("ParsePath = %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("ParsePath = %v, want %v", got, want)
		}
	}
}

// hdkeyString returns an extended private key string of the development mnemonic.
func hdkeyString(t *testing.T) (string, error) {
	t.Helper()
	key, err := deriveFromMnemonic(DevMnemonic, DevAccountPath)
	if err != nil {
		return "", err
	}
	return key.String(), nil
}

func BenchmarkXPubAddress(b *testing.B) {
	s, err := XPubFromMnemonic(DevMnemonic, DevDepositPath)
	if err != nil {
		b.Fatal(err)
	}
	x, err := ParseXPub(s)
	if err != nil {
		b.Fatal(err)
	}
	var i uint32
	for b.Loop() {
		if _, err := x.Address(i); err != nil {
			b.Fatal(err)
		}
		i++
	}
}
