// Package wallets gives pay the keys it signs with: its hot wallet's, and those
// of the deposit addresses, derived from the decrypted seed at the index topup
// announced. Keys stay in memory only.
package wallets

import (
	"context"
	"crypto/ecdsa"
	"fmt"
	"strconv"
	"sync"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
	"gorm.io/gorm"

	"paysuite/pkg/hdwallet"
	"paysuite/services/pay/internal/store"
)

// Wallets holds the hot wallet key and derives deposit keys on demand.
type Wallets struct {
	hot      *ecdsa.PrivateKey
	hotAddr  common.Address
	mnemonic string
	path     string
	db       *gorm.DB

	mu    sync.Mutex
	cache map[common.Address]*ecdsa.PrivateKey
}

// New builds the wallets, the same on every chain; path is the
// account-level path the deposit addresses are children of.
func New(hot *ecdsa.PrivateKey, mnemonic, path string, db *gorm.DB) *Wallets {
	return &Wallets{hot: hot, hotAddr: crypto.PubkeyToAddress(hot.PublicKey), mnemonic: mnemonic, path: path,
		db: db, cache: map[common.Address]*ecdsa.PrivateKey{}}
}

// Hot returns the hot wallet's address.
func (w *Wallets) Hot() common.Address { return w.hotAddr }

// Derive returns the key and address of deposit index i.
func (w *Wallets) Derive(i uint32) (*ecdsa.PrivateKey, common.Address, error) {
	key, err := hdwallet.PrivateKeyFromMnemonic(w.mnemonic, w.path+"/"+strconv.FormatUint(uint64(i), 10))
	if err != nil {
		return nil, common.Address{}, fmt.Errorf("derive deposit key %d: %w", i, err)
	}
	return key, crypto.PubkeyToAddress(key.PublicKey), nil
}

// Key returns the private key of from: the hot wallet, or a deposit address
// known on any chain (its key is that of its index on every chain); nil when
// pay cannot sign for it. It has the txsender.Keys signature.
func (w *Wallets) Key(ctx context.Context, from common.Address) (*ecdsa.PrivateKey, error) {
	if from == w.hotAddr {
		return w.hot, nil
	}
	w.mu.Lock()
	key := w.cache[from]
	w.mu.Unlock()
	if key != nil {
		return key, nil
	}
	row, err := store.FindAddressOnAnyChain(w.db.WithContext(ctx), from)
	if err != nil || row == nil {
		return nil, err
	}
	key, addr, err := w.Derive(row.Index)
	if err != nil {
		return nil, err
	}
	if addr != from {
		return nil, fmt.Errorf("deposit index %d derives %s, not %s", row.Index, addr.Hex(), from.Hex())
	}
	w.mu.Lock()
	w.cache[from] = key
	w.mu.Unlock()
	return key, nil
}
