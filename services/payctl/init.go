package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"golang.org/x/term"

	"paysuite/pkg/config/onchain"
	"paysuite/pkg/keystore"
)

// deployment is what payctl init asks for (or reads from its flags) before
// it writes anything. Empty secrets are generated.
type deployment struct {
	out         string // the environment file
	force       bool   // replace out if it exists
	keystoreDir string
	light       bool // cheap scrypt parameters: tests only
	// mnemonicToFile writes the seed's mnemonic to a file in keystoreDir
	// rather than to the output (a run without a terminal).
	mnemonicToFile bool

	chains                   []chainSettings
	amqpURL, amqpInternalURL string
	queueType                string
	mysqlDSN                 string

	signSecret, internalSecret, webhookSecret string
	// passphrase encrypts the key files; passphraseFile holds it for the
	// services (empty: init writes one in keystoreDir).
	passphrase, passphraseFile string

	telegramToken, telegramChat string
}

// chainSettings are one chain's CHAIN_<NAME>_* settings.
type chainSettings struct {
	Name          string
	ChainID       uint64
	RPCURL, WSURL string
	Tokens        string
	Confirmations uint64
}

func chainPrefix(name string) string { return onchain.Prefix(name) }

// initFlags are payctl init's command line.
type initFlags struct {
	nonInteractive, force, generate, light bool

	out, keystoreDir, passphraseFile                string
	chains, amqpURL, amqpInternal, queueType, mysql string
	signFile, internalFile, webhookFile             string
	telegramToken, telegramChat                     string
	chain                                           map[string]*chainFlags
	chainNames                                      []string
}

type chainFlags struct{ id, rpc, ws, tokens, confirmations string }

const initUsage = `usage: payctl init [--non-interactive] [--out FILE] [--force] [flags]

Writes the environment file of a new deployment (KEY=VALUE, mode 0600) for
docker compose (--env-file FILE) and for the binaries (set -a; . FILE; set +a),
and the encrypted key files it names. On a terminal it asks for each setting,
the flags' values as defaults; with --non-interactive it takes the flags alone.
`

// parseInitFlags reads the command line. The per-chain flags
// (--chain-<name>-rpc-url, ...) exist for the chains --chains names, so that
// list is read first.
func parseInitFlags(args []string, errOut io.Writer) (*initFlags, error) {
	f := &initFlags{chain: map[string]*chainFlags{}}
	fs := flag.NewFlagSet("init", flag.ContinueOnError)
	fs.SetOutput(errOut)
	fs.Usage = func() { fmt.Fprint(errOut, initUsage, "\nFlags:\n"); fs.PrintDefaults() }
	fs.BoolVar(&f.nonInteractive, "non-interactive", false, "ask nothing: take every setting from the flags")
	fs.StringVar(&f.out, "out", "paysuite.env", "the environment `file` to write")
	fs.BoolVar(&f.force, "force", false, "replace the environment file if it exists (key files are never replaced)")
	fs.StringVar(&f.chains, "chains", "ETH,BSC", "the chains served, comma-separated (CHAINS)")
	fs.StringVar(&f.amqpURL, "amqp-url", "amqp://guest:guest@127.0.0.1:5672/", "the broker (AMQP_URL)")
	fs.StringVar(&f.amqpInternal, "amqp-internal-url", "", "the broker's internal virtual host (AMQP_INTERNAL_URL; empty: AMQP_URL on paysuite.internal)")
	fs.StringVar(&f.queueType, "amqp-queue-type", "classic", "classic, or quorum on a cluster (AMQP_QUEUE_TYPE)")
	fs.StringVar(&f.mysql, "mysql-dsn", "root:@tcp(127.0.0.1:3306)/", "the database server, without a schema (MYSQL_DSN)")
	fs.BoolVar(&f.generate, "generate-secrets", false, "generate SIGN_SECRET, INTERNAL_SECRET and WEBHOOK_SECRET unless read from a file")
	fs.StringVar(&f.signFile, "sign-secret-file", "", "`file` holding SIGN_SECRET (32 bytes or more)")
	fs.StringVar(&f.internalFile, "internal-secret-file", "", "`file` holding INTERNAL_SECRET (32 bytes or more)")
	fs.StringVar(&f.webhookFile, "webhook-secret-file", "", "`file` holding WEBHOOK_SECRET (whsec_ and the base64 of a 32 to 64 byte key)")
	fs.StringVar(&f.keystoreDir, "keystore-dir", "paysuite-keys", "`folder` of the encrypted key files (created, mode 0700)")
	fs.StringVar(&f.passphraseFile, "passphrase-file", "", "`file` holding the key files' passphrase (12 characters or more); the services read it there")
	fs.BoolVar(&f.light, "light-kdf", false, "cheap scrypt parameters for the key files: tests only")
	fs.StringVar(&f.telegramToken, "telegram-token", "", "bot token of the operator alerts (TELEGRAM_BOT_TOKEN; optional)")
	fs.StringVar(&f.telegramChat, "telegram-chat", "", "chat of the operator alerts (TELEGRAM_CHAT_ID; with the token)")

	f.chainNames = splitList(flagValue(args, "chains", f.chains))
	for _, name := range f.chainNames {
		dev := onchain.DevChains[name]
		c := &chainFlags{}
		if dev.ChainID != 0 {
			c.id = strconv.FormatUint(dev.ChainID, 10)
			c.confirmations = strconv.FormatUint(dev.Confirmations, 10)
		} else {
			c.confirmations = "20"
		}
		c.rpc, c.ws, c.tokens = dev.RPCURL, dev.WSURL, dev.TokenList
		p := "chain-" + strings.ToLower(strings.NewReplacer("_", "-", ".", "-").Replace(name)) + "-"
		fs.StringVar(&c.id, p+"chain-id", c.id, name+": the chain id its node must report ("+chainPrefix(name)+"CHAIN_ID)")
		fs.StringVar(&c.rpc, p+"rpc-url", c.rpc, name+": the node's JSON-RPC URL ("+chainPrefix(name)+"RPC_URL)")
		fs.StringVar(&c.ws, p+"ws-url", c.ws, name+": the node's WebSocket URL, or empty ("+chainPrefix(name)+"WS_URL)")
		fs.StringVar(&c.tokens, p+"tokens", c.tokens, name+": the tokens, SYMBOL:address:decimals,... ("+chainPrefix(name)+"TOKENS)")
		fs.StringVar(&c.confirmations, p+"confirmations", c.confirmations, name+": blocks before a transfer counts ("+chainPrefix(name)+"CONFIRMATIONS)")
		f.chain[name] = c
	}
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("init: unexpected argument %q", fs.Arg(0))
	}
	return f, nil
}

// flagValue finds the value of --name in args before they are parsed: the
// last one given, as the flag package takes.
func flagValue(args []string, name, def string) string {
	value := def
	for i, a := range args {
		key, v, hasValue := strings.Cut(strings.TrimLeft(a, "-"), "=")
		if !strings.HasPrefix(a, "-") || key != name {
			continue
		}
		switch {
		case hasValue:
			value = v
		case i+1 < len(args):
			value = args[i+1]
		}
	}
	return value
}

func splitList(s string) []string {
	var out []string
	for _, part := range strings.Split(s, ",") {
		if part = strings.TrimSpace(part); part != "" {
			out = append(out, part)
		}
	}
	return out
}

// deployment is the flags' deployment: secrets and the passphrase read from
// their files and checked.
func (f *initFlags) deployment() (*deployment, error) {
	d := &deployment{
		out: f.out, force: f.force, keystoreDir: f.keystoreDir, light: f.light,
		amqpURL: f.amqpURL, amqpInternalURL: f.amqpInternal, queueType: f.queueType, mysqlDSN: f.mysql,
		telegramToken: f.telegramToken, telegramChat: f.telegramChat,
	}
	if len(f.chainNames) == 0 {
		return nil, errors.New("--chains: name at least one chain")
	}
	for _, name := range f.chainNames {
		c, err := f.chain[name].settings(name)
		if err != nil {
			return nil, err
		}
		d.chains = append(d.chains, c)
	}
	for _, s := range []struct {
		flag, path string
		dst        *string
	}{
		{"--sign-secret-file", f.signFile, &d.signSecret},
		{"--internal-secret-file", f.internalFile, &d.internalSecret},
		{"--webhook-secret-file", f.webhookFile, &d.webhookSecret},
	} {
		if s.path == "" {
			continue
		}
		v, err := readSecretFile(s.path)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", s.flag, err)
		}
		*s.dst = v
	}
	if f.passphraseFile != "" {
		p, err := readSecretFile(f.passphraseFile)
		if err != nil {
			return nil, fmt.Errorf("--passphrase-file: %w", err)
		}
		if err := checkPassphrase(p); err != nil {
			return nil, fmt.Errorf("--passphrase-file: %w", err)
		}
		d.passphrase, d.passphraseFile = p, f.passphraseFile
	}
	return d, nil
}

// settings reads one chain's flags.
func (c *chainFlags) settings(name string) (chainSettings, error) {
	s := chainSettings{Name: name, RPCURL: strings.TrimSpace(c.rpc), WSURL: strings.TrimSpace(c.ws), Tokens: strings.TrimSpace(c.tokens)}
	var err error
	if c.id != "" {
		if s.ChainID, err = parseUint(chainPrefix(name)+"CHAIN_ID", c.id); err != nil {
			return s, err
		}
	}
	if s.Confirmations, err = parseUint(chainPrefix(name)+"CONFIRMATIONS", c.confirmations); err != nil {
		return s, err
	}
	return s, nil
}

// check refuses a deployment the services would refuse, or that would be
// weak: every setting, before anything is written.
func (d *deployment) check() error {
	for _, c := range d.chains {
		if err := checkChain(c); err != nil {
			return err
		}
	}
	checks := []error{
		checkBroker("AMQP_URL", d.amqpURL, true),
		checkBroker("AMQP_INTERNAL_URL", d.amqpInternalURL, false),
		checkQueueType(d.queueType),
		checkMySQL(d.mysqlDSN),
		checkTelegram(d.telegramToken, d.telegramChat),
		checkPassphrase(d.passphrase),
	}
	if d.signSecret != "" {
		checks = append(checks, checkSecret("SIGN_SECRET", d.signSecret))
	}
	if d.internalSecret != "" {
		checks = append(checks, checkSecret("INTERNAL_SECRET", d.internalSecret))
	}
	if d.webhookSecret != "" {
		checks = append(checks, checkWebhookSecret(d.webhookSecret))
	}
	if err := errors.Join(checks...); err != nil {
		return err
	}
	if d.signSecret != "" && d.signSecret == d.internalSecret {
		return errors.New("INTERNAL_SECRET: must differ from SIGN_SECRET: business systems hold SIGN_SECRET")
	}
	return nil
}

// initDeployment is payctl init.
func initDeployment(_ context.Context, _ config, args []string) error {
	return runInit(args, os.Stdin, os.Stdout)
}

// runInit runs payctl init with args, asking on the terminal in when not
// --non-interactive, and reporting on out.
func runInit(args []string, in *os.File, out io.Writer) error {
	f, err := parseInitFlags(args, out)
	if errors.Is(err, flag.ErrHelp) {
		return nil
	}
	if err != nil {
		return err
	}
	d, err := f.deployment()
	if err != nil {
		return err
	}
	if f.nonInteractive {
		if !f.generate {
			for _, s := range []struct{ name, value string }{
				{"SIGN_SECRET", d.signSecret}, {"INTERNAL_SECRET", d.internalSecret}, {"WEBHOOK_SECRET", d.webhookSecret},
			} {
				if s.value == "" {
					return fmt.Errorf("%s: give --%s-secret-file FILE, or --generate-secrets", s.name, strings.ToLower(strings.TrimSuffix(s.name, "_SECRET")))
				}
			}
		}
		if d.passphrase == "" {
			return errors.New("--passphrase-file: required with --non-interactive: the passphrase of the key files")
		}
	} else {
		if in == nil || !term.IsTerminal(int(in.Fd())) {
			return errors.New("init: not a terminal to ask on: run it on one, or give --non-interactive and the flags")
		}
		if err := ask(&console{in: in, out: out}, d, f.generate); err != nil {
			return err
		}
	}
	if err := d.check(); err != nil {
		return err
	}
	d.mnemonicToFile = f.nonInteractive
	return d.write(out)
}

// write makes the keys and secrets and writes the key files and the
// environment file, then tells what to do next.
func (d *deployment) write(out io.Writer) error {
	if err := refuseExisting(d.out, d.force); err != nil {
		return err
	}
	if err := refuseExistingKeys(d.keystoreDir); err != nil {
		return err
	}
	writePassphrase := d.passphraseFile == ""
	if writePassphrase {
		d.passphraseFile = filepath.Join(d.keystoreDir, passphraseName)
		if _, err := os.Lstat(d.passphraseFile); err == nil {
			return fmt.Errorf("%s exists: give --passphrase-file to use it, or choose another --keystore-dir", d.passphraseFile)
		}
	}
	secrets, err := d.generateSecrets()
	if err != nil {
		return err
	}
	params := keystore.Standard()
	if d.light {
		params = keystore.Light()
	}
	keys, err := makeKeys(d.keystoreDir, d.passphrase, params)
	if err != nil {
		return err
	}
	if writePassphrase {
		if err := keystore.WriteNew(d.passphraseFile, []byte(d.passphrase+"\n")); err != nil {
			return err
		}
	}
	data, err := renderEnv(fmt.Sprintf(envHeader, time.Now().UTC().Format(time.DateOnly)), d.sections(secrets, keys))
	if err != nil {
		return err
	}
	if err := writeEnvFile(d.out, data, d.force); err != nil {
		return err
	}
	fmt.Fprintf(out, "\nwrote %s (mode 0600) and the key files in %s\n", d.out, d.keystoreDir)
	fmt.Fprintf(out, "withdraw's hot wallet: %s\npay's hot wallet:      %s\n  (fund both with the chains' coin for gas, and withdraw's with the tokens it pays out)\n",
		keys.WithdrawAddress.Hex(), keys.PayAddress.Hex())
	fmt.Fprintf(out, "TOPUP_XPUB:  %s\nMATCHER_XPUB: %s\n", keys.TopupXPub, keys.MatcherXPub)
	if d.mnemonicToFile {
		// An automation's output ends up in logs: the mnemonic goes to a file
		// of its own, for the operator to copy to paper and delete.
		backup := filepath.Join(d.keystoreDir, mnemonicName)
		if err := keystore.WriteNew(backup, []byte(keys.Mnemonic+"\n")); err != nil {
			return err
		}
		fmt.Fprintf(out, "deposit seed mnemonic: in %s (copy it to paper, then delete the file; %s holds it encrypted)\n", backup, keys.SeedFile)
	} else {
		fmt.Fprintf(out, "deposit seed mnemonic (write it down now, it is not shown again; %s holds it encrypted):\n  %s\n", keys.SeedFile, keys.Mnemonic)
	}
	fmt.Fprintf(out, "next: create the broker users with the file's *_AMQP_PASSWORD (set -a; . %s; set +a; scripts/broker-users.sh)\n", d.out)
	return nil
}

// generated are the secrets init always makes: nobody types them.
type generated struct {
	brokerPasswords   []envVar // <SERVICE>_AMQP_PASSWORD, BUSINESS_AMQP_PASSWORD
	mysqlRootPassword string
}

// brokerUsers are the prefixes of the broker users' password variables, as
// docker-compose.yml and scripts/broker-users.sh read them.
var brokerUsers = []string{"BUSINESS", "LISTENER", "TOPUP", "MATCHER", "NOTIFIER", "WITHDRAW", "PAY"}

// generateSecrets fills the secrets left empty and makes the passwords.
func (d *deployment) generateSecrets() (generated, error) {
	var g generated
	var err error
	for _, s := range []*string{&d.signSecret, &d.internalSecret} {
		if *s == "" {
			if *s, err = randomHex(minSecretLen); err != nil {
				return g, err
			}
		}
	}
	if d.webhookSecret == "" {
		if d.webhookSecret, err = randomWebhookSecret(); err != nil {
			return g, err
		}
	}
	for _, user := range brokerUsers {
		pw, err := randomHex(24)
		if err != nil {
			return g, err
		}
		g.brokerPasswords = append(g.brokerPasswords, envVar{user + "_AMQP_PASSWORD", pw})
	}
	g.mysqlRootPassword, err = randomHex(24)
	return g, err
}

const envHeader = `The settings of a paysuite deployment, written by payctl init on %s.
docker compose: docker compose --env-file THIS_FILE up -d
binaries:       set -a; . ./THIS_FILE; set +a; bin/topup   (each service with its
                own MYSQL_SCHEMA and HTTP_ADDR when they share a host)
It holds secrets: keep it readable by the operator only (mode 0600).`

// sections are the environment file's contents.
func (d *deployment) sections(g generated, k deploymentKeys) []envSection {
	abs := func(p string) string {
		if a, err := filepath.Abs(p); err == nil {
			return a
		}
		return p
	}
	pass := abs(d.passphraseFile)
	var chains []envVar
	names := make([]string, len(d.chains))
	for i, c := range d.chains {
		names[i] = c.Name
		p := chainPrefix(c.Name)
		chains = append(chains,
			envVar{p + "CHAIN_ID", strconv.FormatUint(c.ChainID, 10)},
			envVar{p + "RPC_URL", c.RPCURL},
			envVar{p + "WS_URL", c.WSURL},
			envVar{p + "TOKENS", c.Tokens},
			envVar{p + "CONFIRMATIONS", strconv.FormatUint(c.Confirmations, 10)})
	}
	broker := []envVar{{"AMQP_URL", d.amqpURL}}
	if d.amqpInternalURL != "" {
		broker = append(broker, envVar{"AMQP_INTERNAL_URL", d.amqpInternalURL})
	}
	broker = append(broker, envVar{"AMQP_QUEUE_TYPE", d.queueType})
	return []envSection{
		{comment: "Outside the development mode: the secrets below are this deployment's own.\n" +
			"Business systems hold SIGN_SECRET; INTERNAL_SECRET never leaves the suite.",
			vars: []envVar{{"DEV_MODE", "false"}, {"SIGN_SECRET", d.signSecret}, {"INTERNAL_SECRET", d.internalSecret},
				{"WEBHOOK_SECRET", d.webhookSecret}, {"LOG_LEVEL", "info"}}},
		{comment: "The broker, as the binaries reach it. docker compose builds each service's own\n" +
			"URL from its *_AMQP_PASSWORD; scripts/broker-users.sh creates the users with them.",
			vars: append(broker, g.brokerPasswords...)},
		{comment: "The database server, as the binaries reach it (each service makes its own\n" +
			"MYSQL_SCHEMA); MYSQL_ROOT_PASSWORD is the root password of compose's mysql.",
			vars: []envVar{{"MYSQL_DSN", d.mysqlDSN}, {"MYSQL_ROOT_PASSWORD", g.mysqlRootPassword}}},
		{comment: "The chains served (docker-compose.yml passes those of ETH and BSC).",
			vars: append([]envVar{{"CHAINS", strings.Join(names, ",")}}, chains...)},
		{comment: "Keys. topup and the matcher derive addresses from the deposit seed's extended\n" +
			"public keys; pay holds the seed, encrypted. The key files are paths on this\n" +
			"host: with docker compose, mount " + abs(d.keystoreDir) + " at the same path.",
			vars: []envVar{
				{"TOPUP_XPUB", k.TopupXPub}, {"MATCHER_XPUB", k.MatcherXPub},
				{"WITHDRAW_KEY_FILE", abs(k.WithdrawFile)}, {"WITHDRAW_KEY_PASSPHRASE_FILE", pass},
				{"PAY_KEY_FILE", abs(k.PayFile)}, {"PAY_KEY_PASSPHRASE_FILE", pass},
				{"PAY_SEED_FILE", abs(k.SeedFile)}, {"PAY_SEED_PASSPHRASE_FILE", pass},
				{"SUITE_ADDRESSES", strings.ToLower(k.WithdrawAddress.Hex() + "," + k.PayAddress.Hex())},
			}},
		{comment: "Operator alerts through Telegram (both or neither).",
			vars: []envVar{{"TELEGRAM_BOT_TOKEN", d.telegramToken}, {"TELEGRAM_CHAT_ID", d.telegramChat}}},
	}
}
