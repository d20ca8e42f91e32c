package main

import (
	"bytes"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/compose-spec/compose-go/v2/dotenv"
	"github.com/creack/pty"
	"github.com/ethereum/go-ethereum/common"

	"paysuite/pkg/broker/brokertest"
	"paysuite/pkg/db/dbtest"
	"paysuite/pkg/devchain"
	"paysuite/pkg/devchain/devchaintest"
	"paysuite/pkg/hdwallet"
	"paysuite/pkg/keystore"
	"paysuite/pkg/service/servicetest"
)

const testPassphrase = "correct horse battery staple"

// TestInitNonInteractiveStartsTheServices: payctl init with flags alone
// writes an environment file that a shell and docker compose read alike, and
// withdraw (its encrypted hot wallet key) and topup (the deposit xpub) start
// with it outside the development mode, against the development chains, the
// broker and the database, and become ready.
func TestInitNonInteractiveStartsTheServices(t *testing.T) {
	eth := devchaintest.Start(t)
	bsc := devchaintest.StartWith(t, devchain.Config{ChainID: 1338})
	vhosts := brokertest.NewVhosts(t, "payctl-init")
	dir := t.TempDir()
	passFile := writeFile(t, dir, "pass", testPassphrase+"\n")
	envFile := filepath.Join(dir, "paysuite.env")
	args := []string{"--non-interactive", "--out", envFile, "--generate-secrets", "--light-kdf",
		"--keystore-dir", filepath.Join(dir, "keys"), "--passphrase-file", passFile,
		"--chains", "ETH,BSC",
		"--chain-eth-rpc-url", eth.HTTPURL(), "--chain-eth-ws-url", eth.WSURL(),
		"--chain-bsc-rpc-url", bsc.HTTPURL(), "--chain-bsc-ws-url", bsc.WSURL(),
		"--amqp-url", vhosts.Public, "--amqp-internal-url", vhosts.Internal,
		"--mysql-dsn", dbtest.DSN(),
		"--telegram-token", "123456:test-token", "--telegram-chat", "-10042"}
	var out bytes.Buffer
	if err := runInit(args, nil, &out); err != nil {
		t.Fatalf("payctl init: %v\n%s", err, out.String())
	}
	if info, err := os.Stat(envFile); err != nil || info.Mode().Perm() != 0o600 {
		t.Fatalf("the environment file: %v, mode %v", err, info.Mode())
	}
	written, _ := os.ReadFile(envFile)
	if err := runInit(args, nil, io.Discard); err == nil || !strings.Contains(err.Error(), "--force") {
		t.Fatalf("a second run over the file = %v, want a refusal", err)
	}
	if again, _ := os.ReadFile(envFile); !bytes.Equal(again, written) {
		t.Fatal("a refused run changed the file")
	}

	env := readEnvFile(t, envFile)
	for k, want := range map[string]string{"DEV_MODE": "false", "CHAINS": "ETH,BSC", "CHAIN_BSC_CHAIN_ID": "1338",
		"CHAIN_ETH_RPC_URL": eth.HTTPURL(), "MYSQL_DSN": dbtest.DSN(), "TELEGRAM_CHAT_ID": "-10042",
		"WITHDRAW_KEY_PASSPHRASE_FILE": passFile} {
		if env[k] != want {
			t.Errorf("%s = %q, want %q", k, env[k], want)
		}
	}
	for _, k := range []string{"SIGN_SECRET", "INTERNAL_SECRET", "WEBHOOK_SECRET", "TOPUP_XPUB", "MATCHER_XPUB", "PAY_SEED_FILE", "TOPUP_AMQP_PASSWORD"} {
		if env[k] == "" {
			t.Errorf("%s is empty", k)
		}
	}
	// Without a terminal the mnemonic goes to a file of its own, not to the
	// output an automation logs.
	backup, err := os.ReadFile(filepath.Join(filepath.Dir(env["PAY_SEED_FILE"]), mnemonicName))
	if err != nil {
		t.Fatal(err)
	}
	mnemonic, err := keystore.LoadSeed(keystore.Files{File: env["PAY_SEED_FILE"], PassphraseFile: env["PAY_SEED_PASSPHRASE_FILE"]}.Source("PAY_SEED_"))
	if err != nil || strings.TrimSpace(string(backup)) != mnemonic || strings.Contains(out.String(), mnemonic) {
		t.Fatalf("mnemonic backup %q (%v): want the seed's, and not in the output:\n%s", backup, err, out.String())
	}

	bin := t.TempDir()
	for _, svc := range []string{"withdraw", "topup"} {
		build(t, bin, svc)
	}
	withdraw := startWithEnvFile(t, filepath.Join(bin, "withdraw"), envFile)
	topup := startWithEnvFile(t, filepath.Join(bin, "topup"), envFile)
	withdraw.waitReady(t)
	topup.waitReady(t)
	// withdraw signs with the key init made, not a development one.
	hot := strings.Split(env["SUITE_ADDRESSES"], ",")[0]
	if !strings.Contains(strings.ToLower(withdraw.log.String()), hot) {
		t.Errorf("withdraw's log never names its hot wallet %s:\n%s", hot, withdraw.log.String())
	}
}

// TestInitRefusesWeakChoices: what a deployment must not start with is
// refused before anything is written.
func TestInitRefusesWeakChoices(t *testing.T) {
	dir := t.TempDir()
	strong := strings.Repeat("k", 40)
	file := func(name, content string) string { return writeFile(t, dir, name, content) }
	base := []string{"--non-interactive", "--light-kdf", "--keystore-dir", filepath.Join(dir, "keys"), "--chains", "ETH"}
	existing := file("existing.env", "KEEP=1\n")
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"short sign secret", []string{"--generate-secrets", "--sign-secret-file", file("s1", "too-short"), "--passphrase-file", file("p", testPassphrase)}, "SIGN_SECRET: must be at least 32 bytes"},
		{"development internal secret", []string{"--generate-secrets", "--internal-secret-file", file("s2", "dev-internal-secret"), "--passphrase-file", file("p", testPassphrase)}, "INTERNAL_SECRET: refused: a development value"},
		{"development webhook secret", []string{"--generate-secrets", "--webhook-secret-file", file("s3", devWebhookSecret), "--passphrase-file", file("p", testPassphrase)}, "WEBHOOK_SECRET: refused"},
		{"same sign and internal secret", []string{"--sign-secret-file", file("s4", strong), "--internal-secret-file", file("s5", strong), "--generate-secrets", "--passphrase-file", file("p", testPassphrase)}, "must differ from SIGN_SECRET"},
		{"no secrets", []string{"--passphrase-file", file("p", testPassphrase)}, "--sign-secret-file FILE, or --generate-secrets"},
		{"short passphrase", []string{"--generate-secrets", "--passphrase-file", file("p2", "eleven-char")}, "shorter than 12 characters"},
		{"development passphrase", []string{"--generate-secrets", "--passphrase-file", file("p3", hdwallet.DevMnemonic)}, "a development value"},
		{"no passphrase", []string{"--generate-secrets"}, "--passphrase-file: required"},
		{"development token on chain id 1", []string{"--generate-secrets", "--passphrase-file", file("p", testPassphrase), "--chain-eth-chain-id", "1"}, "CHAIN_ETH_TOKENS: refused"},
		{"another chain without its id", []string{"--generate-secrets", "--passphrase-file", file("p", testPassphrase), "--chains", "POLYGON", "--chain-polygon-rpc-url", "https://polygon.example"}, "CHAIN_POLYGON_CHAIN_ID: required"},
		{"telegram token without chat", []string{"--generate-secrets", "--passphrase-file", file("p", testPassphrase), "--telegram-token", "1:x"}, "give both or neither"},
		{"existing file", []string{"--generate-secrets", "--passphrase-file", file("p", testPassphrase), "--out", existing}, "exists: give --force"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "paysuite.env")
			args := append(append(append([]string{}, base...), "--out", out), tt.args...)
			err := runInit(args, nil, io.Discard)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("payctl init %q = %v, want %q", tt.args, err, tt.want)
			}
			if _, err := os.Stat(out); err == nil {
				t.Fatal("a refused run wrote the file")
			}
			if _, err := os.Stat(filepath.Join(dir, "keys")); err == nil {
				t.Fatal("a refused run wrote keys")
			}
		})
	}
	if got, _ := os.ReadFile(existing); string(got) != "KEEP=1\n" {
		t.Fatalf("the existing file became %q", got)
	}
}

// TestInitInteractiveOnATerminal: on a terminal payctl init asks each
// setting with its default, takes passphrases and secrets without echoing
// them, asks again after a weak one, and writes the file and the keys.
func TestInitInteractiveOnATerminal(t *testing.T) {
	ptmx, tty, err := pty.Open()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = ptmx.Close(); _ = tty.Close() })
	term := &screen{}
	go func() { _, _ = io.Copy(term, ptmx) }()

	dir := t.TempDir()
	envFile := filepath.Join(dir, "paysuite.env")
	keys := filepath.Join(dir, "keys")
	done := make(chan error, 1)
	go func() {
		done <- runInit([]string{"--out", envFile, "--keystore-dir", keys, "--light-kdf", "--chains", "ETH"}, tty, tty)
	}()
	signSecret := strings.Repeat("s3cr3t", 8)
	dialog := []struct{ prompt, answer string }{
		{"Environment file to write [" + envFile + "]: ", ""},
		{"Folder of the encrypted key files [" + keys + "]: ", ""},
		{"Chains served, comma-separated [ETH]: ", ""},
		{"ETH: chain id [1337]: ", ""},
		{"ETH: node's JSON-RPC URL [http://127.0.0.1:8545]: ", "http://127.0.0.1:18545"},
		{"ETH: node's WebSocket URL (- for none) [ws://127.0.0.1:8546]: ", "-"},
		{"ETH: tokens, SYMBOL:address:decimals,... [USDT:0x5FbDB2315678afecb367f032d93F642f64180aa3:6]: ", ""},
		{"ETH: confirmations [20]: ", "12"},
		{"RabbitMQ URL (AMQP_URL) [amqp://guest:guest@127.0.0.1:5672/]: ", ""},
		{"internal virtual host (empty: AMQP_URL on paysuite.internal): ", ""},
		{"MySQL server (MYSQL_DSN, no schema) [root:@tcp(127.0.0.1:3306)/]: ", ""},
		{"SIGN_SECRET (Enter: generate one): ", "dev-secret"},
		{"refused: SIGN_SECRET: refused: a development value", ""},
		{"SIGN_SECRET (Enter: generate one): ", signSecret},
		{"INTERNAL_SECRET (Enter: generate one): ", ""},
		{"WEBHOOK_SECRET, whsec_... (Enter: generate one): ", ""},
		{"Passphrase of the key files (12 characters or more): ", "short"},
		{"refused: passphrase refused: shorter than 12 characters", ""},
		{"Passphrase of the key files (12 characters or more): ", "dev-internal-secret"},
		{"refused: passphrase refused: a development value", ""},
		{"Passphrase of the key files (12 characters or more): ", testPassphrase},
		{"The passphrase again: ", testPassphrase},
		{"Telegram bot token of the operator alerts (- for none) [-]: ", "123456:test-token"},
		{"Telegram chat id: ", "-10042"},
	}
	var result error
	finished := false
	for _, step := range dialog {
		servicetest.Eventually(t, "the prompt "+step.prompt, func() bool {
			if !finished {
				select {
				case result = <-done:
					finished = true
				default:
				}
			}
			if finished && !term.has(step.prompt) {
				t.Fatalf("init ended (%v) before %q:\n%s", result, step.prompt, term.String())
			}
			return term.next(step.prompt)
		})
		if strings.HasPrefix(step.prompt, "refused") {
			continue
		}
		if _, err := ptmx.Write([]byte(step.answer + "\n")); err != nil {
			t.Fatal(err)
		}
	}
	if !finished {
		select {
		case result = <-done:
		case <-time.After(brokertest.Wait):
			t.Fatalf("init never ended:\n%s", term.String())
		}
	}
	if result != nil {
		t.Fatalf("payctl init: %v\n%s", result, term.String())
	}

	if info, err := os.Stat(envFile); err != nil || info.Mode().Perm() != 0o600 {
		t.Fatalf("the environment file: %v", err)
	}
	env := readEnvFile(t, envFile)
	for k, want := range map[string]string{"SIGN_SECRET": signSecret, "CHAINS": "ETH", "CHAIN_ETH_RPC_URL": "http://127.0.0.1:18545",
		"CHAIN_ETH_WS_URL": "", "CHAIN_ETH_CONFIRMATIONS": "12", "TELEGRAM_BOT_TOKEN": "123456:test-token", "TELEGRAM_CHAT_ID": "-10042",
		"WITHDRAW_KEY_PASSPHRASE_FILE": filepath.Join(keys, "passphrase")} {
		if env[k] != want {
			t.Errorf("%s = %q, want %q", k, env[k], want)
		}
	}
	// The files decrypt as the services decrypt them, with the passphrase
	// file init wrote, and hold what the file says.
	key, err := keystore.LoadKey(keystore.Files{File: env["WITHDRAW_KEY_FILE"], PassphraseFile: env["WITHDRAW_KEY_PASSPHRASE_FILE"]}.Source("WITHDRAW_KEY_"))
	if err != nil {
		t.Fatal(err)
	}
	suite := strings.Split(env["SUITE_ADDRESSES"], ",")
	if keystore.Address(key) != common.HexToAddress(suite[0]) || len(suite) != 2 {
		t.Fatalf("withdraw's key is %s, SUITE_ADDRESSES %v", keystore.Address(key), suite)
	}
	mnemonic, err := keystore.LoadSeed(keystore.Files{File: env["PAY_SEED_FILE"], PassphraseFile: env["PAY_SEED_PASSPHRASE_FILE"]}.Source("PAY_SEED_"))
	if err != nil {
		t.Fatal(err)
	}
	if xpub, _ := hdwallet.XPubFromMnemonic(mnemonic, hdwallet.DevDepositPath); xpub != env["TOPUP_XPUB"] {
		t.Fatalf("TOPUP_XPUB %s is not the seed's %s", env["TOPUP_XPUB"], xpub)
	}
	if xpub, _ := hdwallet.XPubFromMnemonic(mnemonic, orderPath); xpub != env["MATCHER_XPUB"] {
		t.Fatalf("MATCHER_XPUB %s is not the seed's %s", env["MATCHER_XPUB"], xpub)
	}
	// Once the mnemonic is shown for its backup, all init wrote has arrived.
	servicetest.Eventually(t, "the mnemonic shown", func() bool { return term.has(mnemonic) })
	if shown := term.String(); strings.Contains(shown, testPassphrase) || strings.Contains(shown, signSecret) {
		t.Fatalf("a passphrase or secret was echoed:\n%s", shown)
	}
}

// readEnvFile reads an environment file as a POSIX shell loads it for the
// binaries (set -a; . FILE) and as docker compose reads --env-file, and
// fails unless both read the same.
func readEnvFile(t *testing.T, path string) map[string]string {
	t.Helper()
	compose, err := dotenv.GetEnvFromFile(map[string]string{}, []string{path})
	if err != nil {
		t.Fatalf("docker compose's reading of %s: %v", path, err)
	}
	out, err := exec.Command("env", "-i", "/bin/sh", "-c", `set -a; . "$1"; exec env`, "sh", path).Output()
	if err != nil {
		t.Fatalf("a shell's reading of %s: %v", path, err)
	}
	shell := map[string]string{}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		k, v, _ := strings.Cut(line, "=")
		shell[k] = v
	}
	for k, v := range compose {
		if shell[k] != v {
			t.Errorf("%s: docker compose reads %q, a shell %q", k, v, shell[k])
		}
	}
	if len(compose) < 30 {
		t.Fatalf("docker compose reads only %d variables", len(compose))
	}
	return compose
}

func writeFile(t *testing.T, dir, name, content string) string {
	t.Helper()
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// build builds a service's binary into dir.
func build(t *testing.T, dir, svc string) {
	t.Helper()
	if out, err := exec.Command("go", "build", "-o", filepath.Join(dir, svc), "paysuite/services/"+svc).CombinedOutput(); err != nil {
		t.Fatalf("build %s: %v\n%s", svc, err, out)
	}
}

// process is a service binary started by a test.
type process struct {
	name   string
	log    *screen
	exited chan struct{}
}

// startWithEnvFile runs bin as an operator does, with the environment file
// loaded by the shell; the test gives it only its own schema and a free
// operational port. It is stopped when the test ends.
func startWithEnvFile(t *testing.T, bin, envFile string) *process {
	t.Helper()
	cmd := exec.Command("/bin/sh", "-c", `set -a; . "$1"; set +a; exec "$2"`, "sh", envFile, bin)
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME"),
		"MYSQL_SCHEMA=" + dbtest.Config(t).Schema, "HTTP_ADDR=127.0.0.1:0"}
	p := &process{name: filepath.Base(bin), log: &screen{}, exited: make(chan struct{})}
	cmd.Stdout, cmd.Stderr = p.log, p.log
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { _ = cmd.Wait(); close(p.exited) }()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-p.exited:
		case <-time.After(30 * time.Second):
			_ = cmd.Process.Kill()
			<-p.exited
		}
		if t.Failed() {
			t.Logf("%s's log:\n%s", p.name, p.log.String())
		}
	})
	return p
}

var listening = regexp.MustCompile(`"addr":"([0-9.]+:[0-9]+)"[^\n]*operational endpoints listening`)

// waitReady waits until the service answers /readyz with 200, and fails
// the test if it exits first.
func (p *process) waitReady(t *testing.T) {
	t.Helper()
	servicetest.Eventually(t, p.name+" ready", func() bool {
		select {
		case <-p.exited:
			t.Fatalf("%s exited:\n%s", p.name, p.log.String())
		default:
		}
		m := listening.FindStringSubmatch(p.log.String())
		if m == nil {
			return false
		}
		resp, err := http.Get("http://" + m[1] + "/readyz")
		if err != nil {
			return false
		}
		defer resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	})
}

// screen collects what a terminal or a process shows, for a test to wait on.
type screen struct {
	mu  sync.Mutex
	buf bytes.Buffer
	pos int // next reads from here on
}

func (s *screen) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.buf.Write(p)
}

func (s *screen) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.buf.String()
}

// next reports whether text was shown since the last text next found, and
// moves past it.
func (s *screen) next(text string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	i := strings.Index(s.buf.String()[s.pos:], text)
	if i < 0 {
		return false
	}
	s.pos += i + len(text)
	return true
}

// has reports whether text was shown since the last text next found.
func (s *screen) has(text string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return strings.Contains(s.buf.String()[s.pos:], text)
}
