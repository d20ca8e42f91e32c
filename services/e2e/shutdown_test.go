package e2e

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"

	"paysuite/pkg/broker/brokertest"
	"paysuite/pkg/sign"
)

// exitLimit bounds how long a service may take to stop after SIGTERM: what it
// holds is finished and flushed well within an orchestrator's grace period
// (docker-compose.yml gives 30 s).
const exitLimit = 15 * time.Second

// ownedProcess is a service process a test starts itself, instead of through
// Suite.Start, to see how it exits.
type ownedProcess struct {
	name string
	cmd  *exec.Cmd
	done chan struct{}
	// signalled is when the test sent SIGTERM.
	signalled time.Time
}

// startOwned runs svc with the suite's environment, its log in logDir. The log
// is added to the suite's, so it is dumped when the test fails and the
// service's schema is dropped at the end. logDir must come from a t.TempDir
// made before NewSuite, so that it outlives the suite's log dump.
func startOwned(t *testing.T, s *Suite, logDir, svc string) *ownedProcess {
	t.Helper()
	logPath := filepath.Join(logDir, fmt.Sprintf("%s-owned-%d.log", svc, time.Now().UnixNano()))
	f, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(filepath.Join(binDir, svc))
	cmd.Env = s.env(svc)
	cmd.Stdout, cmd.Stderr = f, f
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", svc, err)
	}
	s.logs[svc] += logPath + "\n"
	p := &ownedProcess{name: svc, cmd: cmd, done: make(chan struct{})}
	go func() {
		_ = cmd.Wait() // the exit status is read from cmd.ProcessState
		_ = f.Close()
		close(p.done)
	}()
	t.Cleanup(func() {
		select {
		case <-p.done:
		default:
			_ = cmd.Process.Kill()
			<-p.done
		}
	})
	return p
}

// terminate sends SIGTERM without waiting.
func (p *ownedProcess) terminate(t *testing.T) {
	t.Helper()
	p.signalled = time.Now()
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatalf("SIGTERM %s: %v", p.name, err)
	}
}

// waitExit waits for the process to exit by itself after terminate and fails
// the test unless it does so within exitLimit with status 0 (a data race seen
// by a -race binary exits 66).
func (p *ownedProcess) waitExit(t *testing.T) time.Duration {
	t.Helper()
	deadline := time.NewTimer(exitLimit - time.Since(p.signalled))
	defer deadline.Stop()
	select {
	case <-p.done:
	case <-deadline.C:
		_ = p.cmd.Process.Kill()
		<-p.done
		t.Fatalf("%s still running %s after SIGTERM; killed", p.name, exitLimit)
	}
	took := time.Since(p.signalled)
	if code := p.cmd.ProcessState.ExitCode(); code != 0 {
		t.Errorf("%s exited with %s after SIGTERM, want status 0", p.name, p.cmd.ProcessState)
	}
	return took
}

// requestPublisher publishes signed requests on one connection, waiting for
// the broker's confirms in bulk, to load a service faster than
// Suite.Publish's connection per message would.
type requestPublisher struct {
	conn    *amqp.Connection
	ch      *amqp.Channel
	secret  []byte
	pending []*amqp.DeferredConfirmation
}

func newRequestPublisher(t *testing.T, s *Suite) *requestPublisher {
	t.Helper()
	conn, ch := brokertest.RawChannel(t, s.AMQPURL, true)
	return &requestPublisher{conn: conn, ch: ch, secret: s.secret}
}

func (p *requestPublisher) publish(t *testing.T, key string, fields map[string]any) {
	t.Helper()
	body, err := sign.Seal(p.secret, fields, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	conf, err := p.ch.PublishWithDeferredConfirmWithContext(t.Context(), "pay.exchange", key, true, false, amqp.Publishing{
		ContentType: "application/json", DeliveryMode: amqp.Persistent, Body: body,
	})
	if err != nil {
		t.Fatalf("publish: %v", err)
	}
	p.pending = append(p.pending, conf)
}

// confirmed waits until the broker has confirmed everything published so far.
func (p *requestPublisher) confirmed(t *testing.T) {
	t.Helper()
	for _, c := range p.pending {
		if ok, err := c.WaitContext(t.Context()); err != nil || !ok {
			t.Fatalf("publish not confirmed: %v", err)
		}
	}
	p.pending = nil
}

// countRegistered counts the request_ids of ids that got a registered answer.
func countRegistered(msgs []Message, ids map[string]bool) int {
	seen := map[string]bool{}
	for _, m := range msgs {
		if m.Str("event") == "registered" && ids[m.Str("request_id")] {
			seen[m.Str("request_id")] = true
		}
	}
	return len(seen)
}

// TestShutdownTopupUnderLoad sends SIGTERM to topup while it works through a
// burst of requests and more keep coming: it must stop by itself, in time and
// cleanly, and once restarted every request has exactly one answer (repeated
// deliveries byte-identical), every address is distinct, and every address
// reached the listener (a deposit to each is reported).
func TestShutdownTopupUnderLoad(t *testing.T) {
	logDir := t.TempDir()
	s := NewSuite(t)
	s.Start("chain-listener")
	topup := startOwned(t, s, logDir, "topup")
	s.waitDepositConsumers(1)
	c := s.Collect(topupReturn)
	dead := s.Collect(deadQueue)

	const before, after = 200, 100
	ids := make([]string, before+after)
	want := map[string]bool{}
	for i := range ids {
		ids[i] = fmt.Sprintf("stop-%03d", i)
		want[ids[i]] = true
	}
	pub := newRequestPublisher(t, s)
	for _, id := range ids[:before] {
		pub.publish(t, topupKey, map[string]any{"request_id": id, "user_id": "u-" + id})
	}
	pub.confirmed(t)

	// Stop topup in the middle of the burst, and keep publishing while it
	// drains and while it is down.
	c.WaitFor(t, "the first answers", wait, func(ms []Message) bool { return countRegistered(ms, want) >= 10 })
	topup.terminate(t)
	atSignal := countRegistered(c.All(), want)
	for _, id := range ids[before:] {
		pub.publish(t, topupKey, map[string]any{"request_id": id, "user_id": "u-" + id})
	}
	pub.confirmed(t)
	took := topup.waitExit(t)
	atExit := countRegistered(c.All(), want)
	t.Logf("SIGTERM with %d of %d requests answered; exited after %s with %d answered", atSignal, before, took.Round(time.Millisecond), atExit)
	if atSignal >= before {
		t.Fatalf("all %d requests were answered before SIGTERM: the shutdown was not under load", before)
	}

	s.Start("topup")
	msgs := c.WaitFor(t, "an answer to every request", 2*wait, func(ms []Message) bool {
		return countRegistered(ms, want) == len(ids)
	})

	bodies := map[string]string{} // request_id -> its answer
	owner := map[string]string{}  // address -> request_id
	registered := Find(msgs, func(m Message) bool { return m.Str("event") == "registered" })
	for _, m := range registered {
		id := m.Str("request_id")
		if !want[id] {
			t.Errorf("answer to a request never sent: %s", m.Body)
			continue
		}
		if prev, ok := bodies[id]; ok {
			if prev != string(m.Body) {
				t.Errorf("two different answers to %s:\n%s\n%s", id, prev, m.Body)
			}
			continue
		}
		bodies[id] = string(m.Body)
		s.CheckReturn("topup.return.registered", m)
		addr := m.Str("address")
		if m.Num("status") != 1 || addr == "" {
			t.Errorf("%s not registered: %s", id, m.Body)
			continue
		}
		if other, dup := owner[addr]; dup {
			t.Errorf("%s and %s were given the same address %s", id, other, addr)
		}
		owner[addr] = id
	}
	if n := len(registered) - len(bodies); n > 0 {
		t.Logf("%d repeated deliveries of identical answers", n)
	}

	// Every allocated address was handed to the listener, even those allocated
	// while topup was stopping: a deposit to each is reported, once.
	addrs := make([]string, 0, len(owner))
	for addr := range owner {
		addrs = append(addrs, addr)
	}
	const batch = 100
	for i := 0; i < len(addrs); i += batch {
		part := addrs[i:min(i+batch, len(addrs))]
		amounts := make([]string, len(part))
		for j := range amounts {
			amounts[j] = "0.5"
		}
		s.SendUSDTBatch(1+i/batch, part, amounts)
	}
	s.Mine(1)
	s.Mine(confirmations)
	isDeposit := func(status int64) func(Message) bool {
		return func(m Message) bool { return m.Str("event") == "deposit" && m.Num("status") == status }
	}
	msgs = c.WaitFor(t, "a confirmed deposit to every address", 2*wait, func(ms []Message) bool {
		return len(distinct(Find(ms, isDeposit(1)))) >= len(addrs)
	})
	assertConsistent(t, msgs)
	for status, name := range map[int64]string{2: "pending", 1: "confirmed"} {
		got := distinct(Find(msgs, isDeposit(status)))
		perAddr := map[string]int{}
		for _, m := range got {
			perAddr[m.Str("address")]++
			if owner[m.Str("address")] != m.Str("request_id") {
				t.Errorf("deposit reported to the wrong request: %s", m.Body)
			}
		}
		if len(got) != len(addrs) || len(perAddr) != len(addrs) {
			t.Errorf("%d %s deposit reports over %d addresses, want one for each of %d", len(got), name, len(perAddr), len(addrs))
		}
	}
	if len(Find(msgs, isDeposit(0))) > 0 {
		t.Error("a deposit was reported failed")
	}
	if d := dead.All(); len(d) > 0 {
		t.Errorf("%d messages dead-lettered, first: %s", len(d), d[0].Body)
	}
}

// TestShutdownListenerWhileMining sends SIGTERM to the chain-listener while
// blocks with deposits keep coming: it must stop by itself, in time and
// cleanly, and after a restart every deposit is reported pending once and
// confirmed once, each always with the same content.
func TestShutdownListenerWhileMining(t *testing.T) {
	logDir := t.TempDir()
	s := NewSuite(t)
	listener := startOwned(t, s, logDir, "chain-listener")
	s.Start("topup")
	s.waitDepositConsumers(1)
	c := s.Collect(topupReturn)

	addrs := make([]string, 4)
	for i := range addrs {
		addrs[i] = register(t, s, c, fmt.Sprintf("term-%d", i))
	}
	const n = 12
	for i := 0; i < n; i++ {
		s.SendUSDT(1+i%3, addrs[i%len(addrs)], fmt.Sprintf("%d.%06d", i+1, i+1))
		s.Mine(1)
		switch i {
		case 4:
			// Right after a block with a deposit: the listener is reading it.
			listener.terminate(t)
		case 8:
			took := listener.waitExit(t)
			t.Logf("chain-listener exited %s after SIGTERM", took.Round(time.Millisecond))
			s.Start("chain-listener")
		}
	}
	s.Mine(confirmations)

	isDeposit := func(status int64) func(Message) bool {
		return func(m Message) bool { return m.Str("event") == "deposit" && m.Num("status") == status }
	}
	msgs := c.WaitFor(t, "every deposit confirmed", 2*wait, func(ms []Message) bool {
		return len(distinct(Find(ms, isDeposit(1)))) >= n
	})
	assertConsistent(t, msgs)
	for status, name := range map[int64]string{2: "pending", 1: "confirmed"} {
		// distinct keeps one report per deposit and status; assertConsistent
		// has checked that its repetitions are identical.
		perDeposit := map[string]bool{}
		for _, m := range distinct(Find(msgs, isDeposit(status))) {
			perDeposit[m.Str("deposit_id")] = true
			s.CheckReturn("topup.return.deposit", m)
		}
		if len(perDeposit) != n {
			t.Errorf("%d deposits reported %s, want %d", len(perDeposit), name, n)
		}
	}
	if failed := Find(msgs, isDeposit(0)); len(failed) > 0 {
		t.Errorf("a deposit was reported failed: %s", failed[0].Body)
	}
}
