package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"golang.org/x/term"

	"paysuite/pkg/config/onchain"
)

// console asks questions on a terminal: answers are read a byte at a time,
// so that nothing typed ahead is taken from a later hidden read.
type console struct {
	in  *os.File
	out io.Writer
}

// line asks prompt, showing def, and returns the answer (def when empty).
func (c *console) line(prompt, def string) (string, error) {
	if def != "" {
		fmt.Fprintf(c.out, "%s [%s]: ", prompt, def)
	} else {
		fmt.Fprintf(c.out, "%s: ", prompt)
	}
	var b strings.Builder
	buf := make([]byte, 1)
	for {
		n, err := c.in.Read(buf)
		if n == 1 && buf[0] == '\n' {
			break
		}
		if n == 1 {
			b.WriteByte(buf[0])
		}
		if err != nil {
			if b.Len() == 0 {
				return "", fmt.Errorf("%s: no answer: %w", prompt, err)
			}
			break
		}
	}
	if s := strings.TrimSpace(b.String()); s != "" {
		return s, nil
	}
	return def, nil
}

// hidden asks prompt without echoing what is typed.
func (c *console) hidden(prompt string) (string, error) {
	fmt.Fprintf(c.out, "%s: ", prompt)
	b, err := term.ReadPassword(int(c.in.Fd()))
	fmt.Fprintln(c.out)
	if err != nil {
		return "", fmt.Errorf("%s: %w", prompt, err)
	}
	return strings.TrimRight(string(b), "\r"), nil
}

// until asks with read until check accepts the answer, telling why each
// refused one was refused.
func (c *console) until(read func() (string, error), check func(string) error) (string, error) {
	for {
		v, err := read()
		if err != nil {
			return "", err
		}
		if err := check(v); err != nil {
			fmt.Fprintf(c.out, "  refused: %v\n", err)
			continue
		}
		return v, nil
	}
}

// ask fills d from the operator's answers, d's values as defaults. Empty
// secrets are generated; with generate they are not asked for.
func ask(c *console, d *deployment, generate bool) error {
	fmt.Fprintln(c.out, "Settings of a new deployment; Enter takes the value in brackets.")
	steps := []func(*console, *deployment) error{askFiles, askChains, askServers}
	if !generate {
		steps = append(steps, askSecrets)
	}
	steps = append(steps, askPassphrase, askTelegram)
	for _, step := range steps {
		if err := step(c, d); err != nil {
			return err
		}
	}
	return nil
}

func askFiles(c *console, d *deployment) error {
	var err error
	if d.out, err = c.until(func() (string, error) { return c.line("Environment file to write", d.out) },
		func(p string) error { return refuseExisting(p, d.force) }); err != nil {
		return err
	}
	d.keystoreDir, err = c.until(func() (string, error) { return c.line("Folder of the encrypted key files", d.keystoreDir) },
		refuseExistingKeys)
	return err
}

func askChains(c *console, d *deployment) error {
	names, err := c.until(func() (string, error) { return c.line("Chains served, comma-separated", chainNames(d.chains)) },
		func(s string) error {
			if len(splitList(s)) == 0 {
				return errors.New("name at least one chain")
			}
			return nil
		})
	if err != nil {
		return err
	}
	known := map[string]chainSettings{}
	for _, ch := range d.chains {
		known[ch.Name] = ch
	}
	d.chains = nil
	for _, name := range splitList(names) {
		ch, ok := known[name]
		if !ok {
			dev := onchain.DevChains[name]
			ch = chainSettings{Name: name, ChainID: dev.ChainID, RPCURL: dev.RPCURL, WSURL: dev.WSURL, Tokens: dev.TokenList, Confirmations: 20}
		}
		if ch, err = askChain(c, ch); err != nil {
			return err
		}
		d.chains = append(d.chains, ch)
	}
	return nil
}

// askChain asks for one chain's settings until checkChain accepts them all.
func askChain(c *console, ch chainSettings) (chainSettings, error) {
	for {
		p := chainPrefix(ch.Name)
		id, err := c.until(func() (string, error) { return c.line(ch.Name+": chain id", uintText(ch.ChainID)) },
			func(s string) error { _, err := parseUint(p+"CHAIN_ID", s); return err })
		if err != nil {
			return ch, err
		}
		ch.ChainID, _ = parseUint(p+"CHAIN_ID", id)
		if ch.RPCURL, err = c.line(ch.Name+": node's JSON-RPC URL", ch.RPCURL); err != nil {
			return ch, err
		}
		if ch.WSURL, err = c.line(ch.Name+": node's WebSocket URL (- for none)", ch.WSURL); err != nil {
			return ch, err
		}
		if ch.WSURL == "-" {
			ch.WSURL = ""
		}
		if ch.Tokens, err = c.line(ch.Name+": tokens, SYMBOL:address:decimals,...", ch.Tokens); err != nil {
			return ch, err
		}
		conf, err := c.until(func() (string, error) { return c.line(ch.Name+": confirmations", uintText(ch.Confirmations)) },
			func(s string) error { _, err := parseUint(p+"CONFIRMATIONS", s); return err })
		if err != nil {
			return ch, err
		}
		ch.Confirmations, _ = parseUint(p+"CONFIRMATIONS", conf)
		if err := checkChain(ch); err != nil {
			fmt.Fprintf(c.out, "  refused: %v\n", err)
			continue
		}
		return ch, nil
	}
}

func askServers(c *console, d *deployment) error {
	var err error
	if d.amqpURL, err = c.until(func() (string, error) { return c.line("RabbitMQ URL (AMQP_URL)", d.amqpURL) },
		func(s string) error { return checkBroker("AMQP_URL", s, true) }); err != nil {
		return err
	}
	if d.amqpInternalURL, err = c.until(func() (string, error) {
		return c.line("RabbitMQ URL of the internal virtual host (empty: AMQP_URL on paysuite.internal)", d.amqpInternalURL)
	}, func(s string) error { return checkBroker("AMQP_INTERNAL_URL", s, false) }); err != nil {
		return err
	}
	d.mysqlDSN, err = c.until(func() (string, error) { return c.line("MySQL server (MYSQL_DSN, no schema)", d.mysqlDSN) }, checkMySQL)
	return err
}

// askSecrets asks for the secrets a deployment may bring along (business
// systems may already hold a SIGN_SECRET); an empty answer generates one.
func askSecrets(c *console, d *deployment) error {
	var err error
	if d.signSecret, err = c.until(func() (string, error) { return c.hidden("SIGN_SECRET (Enter: generate one)") },
		func(s string) error { return unlessEmpty(s, checkSecret("SIGN_SECRET", s)) }); err != nil {
		return err
	}
	if d.internalSecret, err = c.until(func() (string, error) { return c.hidden("INTERNAL_SECRET (Enter: generate one)") },
		func(s string) error {
			if s != "" && s == d.signSecret {
				return errors.New("INTERNAL_SECRET: must differ from SIGN_SECRET")
			}
			return unlessEmpty(s, checkSecret("INTERNAL_SECRET", s))
		}); err != nil {
		return err
	}
	d.webhookSecret, err = c.until(func() (string, error) { return c.hidden("WEBHOOK_SECRET, whsec_... (Enter: generate one)") },
		func(s string) error { return unlessEmpty(s, checkWebhookSecret(s)) })
	return err
}

// askPassphrase asks for the key files' passphrase twice, unless
// --passphrase-file gave it.
func askPassphrase(c *console, d *deployment) error {
	if d.passphrase != "" {
		return nil
	}
	for {
		p, err := c.until(func() (string, error) {
			return c.hidden(fmt.Sprintf("Passphrase of the key files (%d characters or more)", minPassphraseLen))
		}, checkPassphrase)
		if err != nil {
			return err
		}
		again, err := c.hidden("The passphrase again")
		if err != nil {
			return err
		}
		if again == p {
			d.passphrase = p
			return nil
		}
		fmt.Fprintln(c.out, "  refused: the two differ")
	}
}

func askTelegram(c *console, d *deployment) error {
	var err error
	if d.telegramToken, err = c.line("Telegram bot token of the operator alerts (- for none)", orNone(d.telegramToken)); err != nil {
		return err
	}
	if d.telegramToken == "-" {
		d.telegramToken, d.telegramChat = "", ""
		return nil
	}
	d.telegramChat, err = c.until(func() (string, error) { return c.line("Telegram chat id", d.telegramChat) },
		func(s string) error { return checkTelegram(d.telegramToken, s) })
	return err
}

func unlessEmpty(s string, err error) error {
	if s == "" {
		return nil
	}
	return err
}

func orNone(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func uintText(n uint64) string {
	if n == 0 {
		return ""
	}
	return strconv.FormatUint(n, 10)
}

func chainNames(chains []chainSettings) string {
	names := make([]string, len(chains))
	for i, c := range chains {
		names[i] = c.Name
	}
	return strings.Join(names, ",")
}
