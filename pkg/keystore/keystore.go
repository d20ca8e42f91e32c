// Package keystore keeps the suite's signing secrets encrypted at rest: the hot
// wallet keys in go-ethereum's keystore format (scrypt + AES-128-CTR, as geth
// writes them) and the HD seed of the deposit wallets in an AES-256-GCM envelope
// under a key derived with scrypt from a passphrase.
package keystore

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/ecdsa"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"

	ethkeystore "github.com/ethereum/go-ethereum/accounts/keystore"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/google/uuid"
	"github.com/tyler-smith/go-bip39"
	"golang.org/x/crypto/scrypt"

	"paysuite/pkg/config"
)

// ErrWrongPassphrase is returned when a file does not decrypt with the passphrase
// given (or was altered).
var ErrWrongPassphrase = errors.New("wrong passphrase or corrupted file")

// Params are the scrypt cost parameters used when encrypting. Decryption reads them
// from the file.
type Params struct {
	N int // CPU/memory cost, a power of two
	P int // parallelism
}

// Standard costs about a second and 256 MB per decryption: use it for real files.
func Standard() Params {
	return Params{N: ethkeystore.StandardScryptN, P: ethkeystore.StandardScryptP}
}

// Light is cheap (a few MB, tens of milliseconds): for tests and development only.
func Light() Params { return Params{N: ethkeystore.LightScryptN, P: ethkeystore.LightScryptP} }

// EncryptKey encrypts a private key into go-ethereum's keystore JSON (version 3).
func EncryptKey(key *ecdsa.PrivateKey, passphrase string, p Params) ([]byte, error) {
	if passphrase == "" {
		return nil, errors.New("encrypt key: empty passphrase")
	}
	id, err := uuid.NewRandom()
	if err != nil {
		return nil, fmt.Errorf("encrypt key: key id: %w", err)
	}
	k := &ethkeystore.Key{Id: id, Address: crypto.PubkeyToAddress(key.PublicKey), PrivateKey: key}
	out, err := ethkeystore.EncryptKey(k, passphrase, p.N, p.P)
	if err != nil {
		return nil, fmt.Errorf("encrypt key: %w", err)
	}
	return out, nil
}

// DecryptKey decrypts go-ethereum keystore JSON. It checks that the address the
// file claims is the key's own.
func DecryptKey(data []byte, passphrase string) (*ecdsa.PrivateKey, error) {
	k, err := ethkeystore.DecryptKey(data, passphrase)
	if errors.Is(err, ethkeystore.ErrDecrypt) {
		return nil, ErrWrongPassphrase
	}
	if err != nil {
		return nil, fmt.Errorf("decrypt key: %w", err)
	}
	if got := crypto.PubkeyToAddress(k.PrivateKey.PublicKey); got != k.Address {
		return nil, fmt.Errorf("decrypt key: file names address %s but holds the key of %s", k.Address, got)
	}
	return k.PrivateKey, nil
}

// seedFile is the on-disk form of an encrypted seed. Every parameter needed to
// decrypt is stored next to the ciphertext; the header fields are authenticated
// as GCM additional data, so none can be altered unnoticed.
type seedFile struct {
	Version    int    `json:"version"`
	Kind       string `json:"kind"`
	KDF        string `json:"kdf"`
	N          int    `json:"n"`
	R          int    `json:"r"`
	P          int    `json:"p"`
	Salt       string `json:"salt"`
	Nonce      string `json:"nonce"`
	Ciphertext string `json:"ciphertext"`
}

const (
	seedVersion = 1
	seedKind    = "bip39-mnemonic"
	seedKDF     = "scrypt"
	scryptR     = 8
	keyLen      = 32 // AES-256
	saltLen     = 32
)

// aad binds the header to the ciphertext.
func (f seedFile) aad() []byte {
	return fmt.Appendf(nil, "paysuite-seed|v%d|%s|%s|n=%d|r=%d|p=%d|salt=%s", f.Version, f.Kind, f.KDF, f.N, f.R, f.P, f.Salt)
}

// EncryptSeed encrypts a BIP-39 mnemonic with AES-256-GCM under a key derived from
// passphrase with scrypt. The mnemonic is checked first so that a typo is caught
// when the file is made, not when money has to move.
func EncryptSeed(mnemonic, passphrase string, p Params) ([]byte, error) {
	mnemonic = normalizeMnemonic(mnemonic)
	if !bip39.IsMnemonicValid(mnemonic) {
		return nil, errors.New("encrypt seed: not a valid BIP-39 mnemonic")
	}
	if passphrase == "" {
		return nil, errors.New("encrypt seed: empty passphrase")
	}
	f := seedFile{Version: seedVersion, Kind: seedKind, KDF: seedKDF, N: p.N, R: scryptR, P: p.P}
	salt := make([]byte, saltLen)
	if _, err := rand.Read(salt); err != nil {
		return nil, fmt.Errorf("encrypt seed: salt: %w", err)
	}
	f.Salt = hex.EncodeToString(salt)
	gcm, err := seedCipher(f, salt, passphrase)
	if err != nil {
		return nil, fmt.Errorf("encrypt seed: %w", err)
	}
	nonce := make([]byte, gcm.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return nil, fmt.Errorf("encrypt seed: nonce: %w", err)
	}
	f.Nonce = hex.EncodeToString(nonce)
	f.Ciphertext = hex.EncodeToString(gcm.Seal(nil, nonce, []byte(mnemonic), f.aad()))
	out, err := json.MarshalIndent(f, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("encrypt seed: %w", err)
	}
	return out, nil
}

// DecryptSeed decrypts a file written by EncryptSeed and returns the mnemonic.
func DecryptSeed(data []byte, passphrase string) (string, error) {
	var f seedFile
	if err := json.Unmarshal(data, &f); err != nil {
		return "", fmt.Errorf("decrypt seed: not an encrypted seed file: %w", err)
	}
	if f.Version != seedVersion || f.Kind != seedKind || f.KDF != seedKDF || f.R != scryptR {
		return "", fmt.Errorf("decrypt seed: unsupported file (version %d, kind %q, kdf %q)", f.Version, f.Kind, f.KDF)
	}
	// Bounds keep a hostile file from asking for absurd amounts of memory.
	if f.N < 2 || f.N&(f.N-1) != 0 || f.N > 1<<22 || f.P < 1 || f.P > 16 {
		return "", errors.New("decrypt seed: scrypt parameters out of range")
	}
	salt, err1 := hex.DecodeString(f.Salt)
	nonce, err2 := hex.DecodeString(f.Nonce)
	ct, err3 := hex.DecodeString(f.Ciphertext)
	if err := errors.Join(err1, err2, err3); err != nil || len(salt) == 0 {
		return "", errors.New("decrypt seed: malformed salt, nonce or ciphertext")
	}
	gcm, err := seedCipher(f, salt, passphrase)
	if err != nil {
		return "", fmt.Errorf("decrypt seed: %w", err)
	}
	if len(nonce) != gcm.NonceSize() {
		return "", errors.New("decrypt seed: malformed nonce")
	}
	plain, err := gcm.Open(nil, nonce, ct, f.aad())
	if err != nil {
		return "", ErrWrongPassphrase
	}
	mnemonic := string(plain)
	if !bip39.IsMnemonicValid(mnemonic) {
		return "", errors.New("decrypt seed: decrypted data is not a valid mnemonic")
	}
	return mnemonic, nil
}

func seedCipher(f seedFile, salt []byte, passphrase string) (cipher.AEAD, error) {
	key, err := scrypt.Key([]byte(passphrase), salt, f.N, f.R, f.P, keyLen)
	if err != nil {
		return nil, fmt.Errorf("derive key: %w", err)
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("aes: %w", err)
	}
	gcm, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("gcm: %w", err)
	}
	return gcm, nil
}

func normalizeMnemonic(m string) string {
	return strings.Join(strings.Fields(m), " ")
}

// Source says where one encrypted secret and its passphrase come from, and which
// environment variables configured them, so that errors can name them.
type Source struct {
	File           string // path of the encrypted file
	Passphrase     string // the passphrase itself, or
	PassphraseFile string // a file holding it (a trailing newline is ignored)

	FileVar           string // e.g. WITHDRAW_KEY_FILE
	PassphraseVar     string // e.g. WITHDRAW_KEY_PASSPHRASE
	PassphraseFileVar string // e.g. WITHDRAW_KEY_PASSPHRASE_FILE
}

// Configured reports whether a file was configured at all.
func (s Source) Configured() bool { return s.File != "" }

// passphrase reads the passphrase from the variable or its file.
func (s Source) passphrase() (string, error) {
	switch {
	case s.Passphrase != "" && s.PassphraseFile != "":
		return "", config.VarError(s.PassphraseVar, "set either %s or %s, not both", s.PassphraseVar, s.PassphraseFileVar)
	case s.Passphrase != "":
		return s.Passphrase, nil
	case s.PassphraseFile != "":
		b, err := os.ReadFile(s.PassphraseFile)
		if err != nil {
			return "", config.VarError(s.PassphraseFileVar, "read passphrase file: %w", err)
		}
		p := strings.TrimRight(string(b), "\r\n")
		if p == "" {
			return "", config.VarError(s.PassphraseFileVar, "passphrase file is empty")
		}
		return p, nil
	default:
		return "", config.VarError(s.PassphraseVar, "required with %s (or set %s)", s.FileVar, s.PassphraseFileVar)
	}
}

func (s Source) read() ([]byte, string, error) {
	if s.File == "" {
		return nil, "", config.VarError(s.FileVar, "not set")
	}
	data, err := os.ReadFile(s.File)
	if err != nil {
		return nil, "", config.VarError(s.FileVar, "read key file: %w", err)
	}
	pass, err := s.passphrase()
	if err != nil {
		return nil, "", err
	}
	return data, pass, nil
}

// wrongPassphrase names the variable that most likely holds the wrong value.
func (s Source) wrongPassphrase(err error) error {
	name := s.PassphraseVar
	if s.PassphraseFile != "" {
		name = s.PassphraseFileVar
	}
	if errors.Is(err, ErrWrongPassphrase) {
		return config.VarError(name, "cannot decrypt %s: %w", s.FileVar, err)
	}
	return config.VarError(s.FileVar, "%w", err)
}

// LoadKey reads and decrypts the private key file of s.
func LoadKey(s Source) (*ecdsa.PrivateKey, error) {
	data, pass, err := s.read()
	if err != nil {
		return nil, err
	}
	key, err := DecryptKey(data, pass)
	if err != nil {
		return nil, s.wrongPassphrase(err)
	}
	return key, nil
}

// LoadSeed reads and decrypts the seed file of s and returns the mnemonic.
func LoadSeed(s Source) (string, error) {
	data, pass, err := s.read()
	if err != nil {
		return "", err
	}
	m, err := DecryptSeed(data, pass)
	if err != nil {
		return "", s.wrongPassphrase(err)
	}
	return m, nil
}

// Address returns the address of a private key, for logs and checks.
func Address(key *ecdsa.PrivateKey) common.Address {
	return crypto.PubkeyToAddress(key.PublicKey)
}

// WriteNew writes data to a new file at path that only its owner may read,
// and refuses to replace an existing one (os.ErrExist): key files, seeds and
// secrets are never overwritten.
func WriteNew(path string, data []byte) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		_ = f.Close()
		return err
	}
	return f.Close()
}
