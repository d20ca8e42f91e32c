package main

import (
	"encoding/base64"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	amqp "github.com/rabbitmq/amqp091-go"

	"paysuite/pkg/broker"
	pkgconfig "paysuite/pkg/config"
	"paysuite/pkg/db"
	"paysuite/pkg/erc20"
	"paysuite/pkg/hdwallet"
	"paysuite/pkg/tokens"
)

// The limits payctl init holds a new deployment's secrets to.
const (
	// minSecretLen is the shortest secret accepted, in bytes (for a webhook
	// secret, of its key).
	minSecretLen = 32
	// minPassphraseLen is the shortest passphrase of the key files, in
	// characters: a person may have to type it.
	minPassphraseLen = 12
)

// devWebhookSecret is the notifier's development webhook secret (its
// DevWebhookSecret, which lives in the notifier's own module).
const devWebhookSecret = "whsec_ZGV2LXdlYmhvb2stc2VjcmV0"

// devValues are the public values of the development set-up (pkg/config,
// deploy/compose.dev.env, deploy/mysql-init): refused as a secret or a
// passphrase whatever their length.
var devValues = []string{
	pkgconfig.DevSecret, pkgconfig.DevInternalSecret, devWebhookSecret, hdwallet.DevMnemonic,
	"root-dev-password", "listener-dev-password", "topup-dev-password", "matcher-dev-password",
	"notifier-dev-password", "withdraw-dev-password", "pay-dev-password",
}

func isDevValue(s string) bool { return slices.Contains(devValues, strings.TrimSpace(s)) }

// checkSecret refuses a weak SIGN_SECRET or INTERNAL_SECRET.
func checkSecret(name, s string) error {
	switch {
	case isDevValue(s):
		return fmt.Errorf("%s: refused: a development value, which is public", name)
	case len(s) < minSecretLen:
		return fmt.Errorf("%s: must be at least %d bytes (got %d)", name, minSecretLen, len(s))
	case strings.TrimSpace(s) != s:
		return fmt.Errorf("%s: must not begin or end with spaces", name)
	}
	return checkValue(name, s)
}

// checkWebhookSecret refuses a WEBHOOK_SECRET that is not whsec_ and the
// base64 of a key of at least minSecretLen bytes (Standard Webhooks allows
// 24 to 64; a new deployment takes no less than its other secrets).
func checkWebhookSecret(s string) error {
	if isDevValue(s) {
		return errors.New("WEBHOOK_SECRET: refused: the development value, which is public")
	}
	rest, ok := strings.CutPrefix(s, "whsec_")
	key, err := base64.StdEncoding.DecodeString(rest)
	if !ok || err != nil {
		return errors.New("WEBHOOK_SECRET: must be whsec_ followed by the base64 of the key")
	}
	if len(key) < minSecretLen || len(key) > 64 {
		return fmt.Errorf("WEBHOOK_SECRET: the key must be %d to 64 bytes (got %d)", minSecretLen, len(key))
	}
	return nil
}

// checkPassphrase refuses a weak passphrase of the key files.
func checkPassphrase(p string) error {
	switch {
	case isDevValue(p):
		return errors.New("passphrase refused: a development value, which is public")
	case utf8.RuneCountInString(p) < minPassphraseLen:
		return fmt.Errorf("passphrase refused: shorter than %d characters", minPassphraseLen)
	}
	return nil
}

// checkChain checks one chain's settings as the services will read them,
// and refuses the development token contract on any chain that is not a
// development chain: there it is somebody else's contract (as
// pkg/config/onchain refuses the development token list).
func checkChain(c chainSettings) error {
	prefix := chainPrefix(c.Name)
	if err := pkgconfig.CheckChain(c.Name); err != nil {
		return fmt.Errorf("chain %q: %w", c.Name, errors.Unwrap(err))
	}
	if c.ChainID == 0 {
		return fmt.Errorf("%sCHAIN_ID: required: the chain id its node must report", prefix)
	}
	if !hasPrefix(c.RPCURL, "http://", "https://", "ws://", "wss://") {
		return fmt.Errorf("%sRPC_URL: must be an http(s) or ws(s) URL", prefix)
	}
	if c.WSURL != "" && !hasPrefix(c.WSURL, "ws://", "wss://") {
		return fmt.Errorf("%sWS_URL: must be a ws(s) URL or empty", prefix)
	}
	if c.Confirmations == 0 {
		return fmt.Errorf("%sCONFIRMATIONS: must be at least 1", prefix)
	}
	if strings.TrimSpace(c.Tokens) == "" {
		return fmt.Errorf("%sTOKENS: required: the token contracts served (SYMBOL:address:decimals)", prefix)
	}
	list, err := tokens.Parse(c.Tokens)
	if err != nil {
		return fmt.Errorf("%sTOKENS: %v", prefix, err)
	}
	if !slices.Contains(pkgconfig.DevChainIDs, c.ChainID) {
		for _, tok := range list {
			if strings.EqualFold(tok.Address.Hex(), erc20.DevTokenAddress) {
				return fmt.Errorf("%sTOKENS: refused: %s is the development token, which exists only on the development chains (chain id %d is not one)",
					prefix, tok.Address.Hex(), c.ChainID)
			}
		}
	}
	for _, v := range []string{c.RPCURL, c.WSURL, c.Tokens} {
		if err := checkValue(prefix+"*", v); err != nil {
			return err
		}
	}
	return nil
}

// checkBroker checks every address of AMQP_URL (and AMQP_INTERNAL_URL when
// given) without showing any: they may hold a password.
func checkBroker(name, list string, required bool) error {
	addrs := broker.Addresses(list)
	if len(addrs) == 0 {
		if required {
			return fmt.Errorf("%s: required", name)
		}
		return nil
	}
	for i, a := range addrs {
		if _, err := amqp.ParseURI(a); err != nil {
			return fmt.Errorf("%s: address %d is not an amqp:// or amqps:// URL", name, i+1)
		}
	}
	return checkValue(name, list)
}

// checkMySQL checks MYSQL_DSN as every service reads it: a server, no schema.
func checkMySQL(dsn string) error {
	cfg := db.Config{DSN: dsn, Schema: "paysuite_topup", MaxOpenConns: 1}
	if err := cfg.Validate(); err != nil {
		return err
	}
	return checkValue("MYSQL_DSN", dsn)
}

// checkTelegram checks that the bot token and the chat come together.
func checkTelegram(token, chat string) error {
	if (token == "") != (chat == "") {
		return errors.New("TELEGRAM_BOT_TOKEN and TELEGRAM_CHAT_ID: give both or neither")
	}
	if err := checkValue("TELEGRAM_BOT_TOKEN", token); err != nil {
		return err
	}
	return checkValue("TELEGRAM_CHAT_ID", chat)
}

// checkQueueType accepts what AMQP_QUEUE_TYPE accepts.
func checkQueueType(t string) error {
	if t != broker.QueueTypeClassic && t != broker.QueueTypeQuorum {
		return fmt.Errorf("AMQP_QUEUE_TYPE: must be %s or %s", broker.QueueTypeClassic, broker.QueueTypeQuorum)
	}
	return nil
}

// parseUint reads a positive whole number of a setting.
func parseUint(name, s string) (uint64, error) {
	n, err := strconv.ParseUint(strings.TrimSpace(s), 10, 64)
	if err != nil {
		return 0, fmt.Errorf("%s: must be a whole number (got %q)", name, s)
	}
	return n, nil
}

func hasPrefix(s string, prefixes ...string) bool {
	return slices.ContainsFunc(prefixes, func(p string) bool { return strings.HasPrefix(s, p) })
}
