// Command keygen writes the encrypted key files withdraw and pay read: a hot
// wallet key (go-ethereum keystore JSON) or the deposit wallets' seed
// (AES-256-GCM under scrypt). Secrets come in on stdin, passphrases from a file
// or the environment; only public data (address, extended public key) is
// printed, except the mnemonic of a seed generated with -generate, printed once
// for its paper backup.
//
//	KEYGEN_PASSPHRASE_FILE=pass go run ./services/withdraw/cmd/keygen key -out hot.json            # new key
//	echo $HEX | KEYGEN_PASSPHRASE_FILE=pass go run ./services/withdraw/cmd/keygen key -import -out hot.json
//	KEYGEN_PASSPHRASE_FILE=pass go run ./services/withdraw/cmd/keygen seed -generate -out seed.json
//	KEYGEN_PASSPHRASE_FILE=pass go run ./services/withdraw/cmd/keygen seed -out seed.json < mnemonic.txt
package main

import (
	"bufio"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/ethereum/go-ethereum/crypto"
	"github.com/tyler-smith/go-bip39"

	"paysuite/pkg/hdwallet"
	"paysuite/pkg/keystore"
)

func main() {
	if err := run(os.Args[1:], os.Stdin, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "keygen:", err)
		os.Exit(1)
	}
}

func run(args []string, stdin io.Reader, stdout io.Writer) error {
	if len(args) == 0 || (args[0] != "key" && args[0] != "seed") {
		return errors.New("usage: keygen key|seed -out FILE [-import] [-generate] [-light] [-path PATH]")
	}
	kind := args[0]
	fs := flag.NewFlagSet(kind, flag.ContinueOnError)
	out := fs.String("out", "", "file to write (must not exist)")
	imp := fs.Bool("import", false, "key: read a hex private key from stdin instead of generating one")
	gen := fs.Bool("generate", false, "seed: generate a new 24-word mnemonic (printed once) instead of reading one from stdin")
	light := fs.Bool("light", false, "cheap scrypt parameters: development and tests only")
	path := fs.String("path", hdwallet.DevDepositPath, "seed: account path of the deposit addresses (TOPUP_XPUB is printed for it)")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	if *out == "" {
		return errors.New("-out is required")
	}
	pass, err := passphrase()
	if err != nil {
		return err
	}
	params := keystore.Standard()
	if *light {
		params = keystore.Light()
	}
	var data []byte
	switch kind {
	case "key":
		key, err := crypto.GenerateKey()
		if *imp {
			line, rerr := readLine(stdin)
			if rerr != nil {
				return rerr
			}
			key, err = crypto.HexToECDSA(strings.TrimPrefix(line, "0x"))
		}
		if err != nil {
			return fmt.Errorf("private key: %w", err)
		}
		if data, err = keystore.EncryptKey(key, pass, params); err != nil {
			return err
		}
		defer fmt.Fprintf(stdout, "address: %s\n", crypto.PubkeyToAddress(key.PublicKey).Hex())
	case "seed":
		var mnemonic string
		if *gen {
			entropy, err := bip39.NewEntropy(256)
			if err != nil {
				return err
			}
			if mnemonic, err = bip39.NewMnemonic(entropy); err != nil {
				return err
			}
			fmt.Fprintf(stdout, "mnemonic (write it down now, it is not shown again): %s\n", mnemonic)
		} else if mnemonic, err = readLine(stdin); err != nil {
			return err
		}
		if data, err = keystore.EncryptSeed(mnemonic, pass, params); err != nil {
			return err
		}
		xpub, err := hdwallet.XPubFromMnemonic(strings.Join(strings.Fields(mnemonic), " "), *path)
		if err != nil {
			return err
		}
		defer fmt.Fprintf(stdout, "TOPUP_XPUB (path %s): %s\n", *path, xpub)
	}
	return keystore.WriteNew(*out, data)
}

// passphrase reads KEYGEN_PASSPHRASE_FILE, or KEYGEN_PASSPHRASE.
func passphrase() (string, error) {
	if p := os.Getenv("KEYGEN_PASSPHRASE_FILE"); p != "" {
		b, err := os.ReadFile(p)
		if err != nil {
			return "", fmt.Errorf("KEYGEN_PASSPHRASE_FILE: %w", err)
		}
		if s := strings.TrimRight(string(b), "\r\n"); s != "" {
			return s, nil
		}
		return "", errors.New("KEYGEN_PASSPHRASE_FILE: empty")
	}
	if p := os.Getenv("KEYGEN_PASSPHRASE"); p != "" {
		return p, nil
	}
	return "", errors.New("set KEYGEN_PASSPHRASE_FILE (or KEYGEN_PASSPHRASE)")
}

func readLine(r io.Reader) (string, error) {
	s := bufio.NewScanner(r)
	if !s.Scan() {
		return "", errors.New("nothing on stdin")
	}
	return strings.TrimSpace(s.Text()), nil
}
