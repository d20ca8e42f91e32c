package e2e

import (
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"
)

// clusterFault is one node killed and started again during the load.
type clusterFault struct {
	node      int
	killed    time.Time // just before the SIGKILL
	restarted time.Time // once the node had booted again
	err       error
}

// TestClusterFailover runs deposits and withdrawals on a three-node RabbitMQ
// cluster with quorum queues while nodes die: it SIGKILLs a node, keeps the
// load going, starts the node again, and (with CHAOS=full) does the same to
// the second node and then the third. The services list every node, each from another one, and
// must move to a survivor; at the end every request has its one final
// answer, funds moved once per payout, and no queue or outbox holds anything.
func TestClusterFailover(t *testing.T) {
	c := startCluster(t)
	s := NewSuite(t)
	s.useCluster(c)

	// Each service lists the nodes from another one, so that their
	// connections spread over the cluster. pay takes part as the learner
	// of the deposit addresses topup allocates.
	services := []string{"chain-listener", "topup", "withdraw", "pay"}
	s.Start("chain-listener", append(s.clusterEnv(c, 1), haltOnRace)...)
	s.Start("topup", append(s.clusterEnv(c, 2), haltOnRace)...)
	fund := s.startMiner(100 * time.Millisecond) // mines the development funding of withdraw and pay
	s.Start("withdraw", append(s.clusterEnv(c, 3), haltOnRace)...)
	s.Start("pay", append(s.clusterEnv(c, 1), haltOnRace)...)
	s.waitDepositConsumers(1)
	s.WaitConsumers(withdrawQueue, 1)
	s.WaitConsumers(payQueue, 1)
	fund()
	topups, withdraws, dead := s.Collect(topupReturn), s.Collect(withdrawReturn), s.Collect(deadQueue)
	brokerEvents := s.watchBrokerLogs(services)
	stopMiner := s.startMiner(300 * time.Millisecond)

	r := &chaosRun{s: s, deposits: map[string]string{}, funded: map[string]string{}, payouts: map[string][]string{},
		orders: map[string]string{}, injected: map[string]int{}, listQueues: c.ctlAny}
	kills, tick, down := []int{1}, 300*time.Millisecond, 5*time.Second
	if chaosFull {
		// Each node in turn, so that every service loses its node once.
		kills, tick, down = []int{1, 2, 3}, 150*time.Millisecond, 15*time.Second
	}

	// The faults: some load first, then each node is killed, stays down
	// while the load goes on, and is started again.
	began := time.Now()
	var faults []clusterFault
	var faultsMu sync.Mutex
	faultsDone := make(chan struct{})
	go func() {
		defer close(faultsDone)
		time.Sleep(5 * time.Second)
		for _, n := range kills {
			f := clusterFault{node: n, killed: time.Now()}
			if f.err = c.kill(n); f.err == nil {
				time.Sleep(down)
				f.err = c.restart(n)
				f.restarted = time.Now()
			}
			faultsMu.Lock()
			faults = append(faults, f)
			faultsMu.Unlock()
			if f.err != nil {
				return
			}
			time.Sleep(4 * time.Second)
		}
	}()

	// The load: a deposit and a withdrawal every tick, and a transfer to
	// every deposit address that was registered.
	sent := map[string]time.Time{}     // request_id -> when it was published
	fundedAt := map[string]time.Time{} // deposit request_id -> when its transfer was sent
	fundRegistered := func() {
		for _, m := range topups.All() {
			id := m.Str("request_id")
			if m.Str("event") == "registered" && m.Num("status") == 1 && r.deposits[id] == "" {
				r.deposits[id] = m.Str("address")
				r.funded[id] = s.SendUSDT(1, m.Str("address"), "5").Hex()
				fundedAt[id] = time.Now()
			}
		}
	}
	load := true
	for i := 0; load; i++ {
		select {
		case <-faultsDone:
			load = false
		default:
		}
		dep := fmt.Sprintf("cx-dep-%d", i)
		r.publish(topupKey, map[string]any{"request_id": dep})
		sent[dep] = time.Now()
		wd := fmt.Sprintf("cx-wd-%d", i)
		to := newAddress(t)
		r.payouts[wd] = []string{"withdraw", to, "0.5"}
		r.publish(withdrawKey, withdrawal(wd, to, "0.5"))
		sent[wd] = time.Now()
		fundRegistered()
		time.Sleep(tick)
	}
	loadEnd := time.Now()
	faultsMu.Lock()
	for _, f := range faults {
		if f.err != nil {
			t.Fatalf("node %d: %v", f.node, f.err)
		}
	}
	faultsMu.Unlock()

	settle := time.Now().Add(3 * time.Minute)
	for time.Now().Before(settle) {
		fundRegistered()
		if r.allFinal(topups, withdraws, nil, nil) {
			break
		}
		time.Sleep(500 * time.Millisecond)
	}
	stopMiner()
	s.Mine(confirmations + 1)
	// The last answers were received; their outbox rows go once the
	// broker's confirms are in.
	deadline := time.Now().Add(30 * time.Second)
	for _, svc := range services {
		for s.query(svc, "SELECT COUNT(*) FROM outbox") != "0" && time.Now().Before(deadline) {
			time.Sleep(200 * time.Millisecond)
		}
	}

	v := &invariants{t: t}
	r.checkDeposits(v, topups)
	r.checkPayouts(v, withdraws, nil)
	r.checkDrained(v, services, dead, 0)
	var errs []string
	for _, svc := range services {
		if !s.Running(svc) {
			errs = append(errs, svc+" exited")
		}
	}
	v.check("every service kept running", errs)

	// One row per fault: requests in flight when the node died, how long
	// each service took to reconnect to a survivor, how long until the test
	// received an answer again, and the repeats its consumers saw meanwhile.
	events := brokerEvents()
	errs = nil
	var b strings.Builder
	fmt.Fprintf(&b, "\n%-6s %-7s %-6s %-9s %-66s %-7s %s\n", "killed", "at", "down", "in flight",
		"reconnected to a survivor after (- = not connected to it)", "answer", "redelivered: to services; to the test (flagged / duplicates)")
	for i, f := range faults {
		next := loadEnd.Add(time.Minute)
		if i+1 < len(faults) {
			next = faults[i+1].killed
		}
		failover := reconnects(events, services, f.killed, next)
		var cells []string
		for _, svc := range services {
			switch d, lost := failover[svc]; {
			case !lost:
				cells = append(cells, svc+" -")
			case d < 0:
				cells = append(cells, svc+" never")
				errs = append(errs, fmt.Sprintf("%s lost its connection when node %d died and never reconnected", svc, f.node))
			default:
				cells = append(cells, fmt.Sprintf("%s %.1fs", svc, d.Seconds()))
			}
		}
		nextAnswer := "none"
		if at, ok := firstAfter(f.killed, topups, withdraws); ok {
			nextAnswer = fmt.Sprintf("%.1fs", at.Sub(f.killed).Seconds())
		}
		flagged, dups := 0, 0
		for _, col := range []*Collector{topups, withdraws} {
			fl, du := col.repeats(f.killed, next)
			flagged, dups = flagged+fl, dups+du
		}
		fmt.Fprintf(&b, "%-6s %-7s %-6s %-9d %-66s %-7s %s; %d / %d\n", fmt.Sprintf("pc%d", f.node),
			fmt.Sprintf("%.1fs", f.killed.Sub(began).Seconds()), fmt.Sprintf("%.1fs", f.restarted.Sub(f.killed).Seconds()),
			inFlight(f.killed, sent, fundedAt, topups, withdraws), strings.Join(cells, ", "), nextAnswer,
			redeliveries(events, services, f.killed, next), flagged, dups)
	}
	v.check("every service that lost its node reconnected to a survivor", errs)
	flagged, dups := 0, 0
	for _, col := range []*Collector{topups, withdraws} {
		fl, du := col.repeats(began, time.Now().Add(time.Hour))
		flagged, dups = flagged+fl, dups+du
	}
	fmt.Fprintf(&b, "\nrequests: %d deposits (%d funded), %d withdrawals; redelivered over the run: %d to the services, %d flagged and %d duplicate answers to the test\n",
		len(sent)/2, len(r.funded), len(r.payouts), countEvents(events, "redelivered", began, time.Now().Add(time.Hour)), flagged, dups)
	if c.StartTime > 0 {
		fmt.Fprintf(&b, "cluster start: %.1fs\n", c.StartTime.Seconds())
	}
	writeHeld(&b, v.held)
	t.Log(b.String())
}

// reconnects returns, for each service that lost a broker connection in
// [from, to), how long after from it had reconnected all of them (-1 if it
// did not).
func reconnects(events []brokerEvent, services []string, from, to time.Time) map[string]time.Duration {
	out := map[string]time.Duration{}
	for _, svc := range services {
		lost, back := 0, 0
		var last time.Time
		for _, e := range events {
			if e.svc != svc || e.at.Before(from) || !e.at.Before(to) {
				continue
			}
			switch e.msg {
			case "connection lost; reconnecting":
				lost++
			case "reconnected":
				back++
				last = e.at
			}
		}
		switch {
		case lost == 0:
		case back < lost:
			out[svc] = -1
		default:
			out[svc] = last.Sub(from)
		}
	}
	return out
}

// redeliveries lists, per service, the deliveries it got again in [from, to).
func redeliveries(events []brokerEvent, services []string, from, to time.Time) string {
	var out []string
	for _, svc := range services {
		n := 0
		for _, e := range events {
			if e.svc == svc && e.msg == "redelivered" && !e.at.Before(from) && e.at.Before(to) {
				n++
			}
		}
		if n > 0 {
			out = append(out, fmt.Sprintf("%s %d", svc, n))
		}
	}
	if len(out) == 0 {
		return "none"
	}
	return strings.Join(out, ", ")
}

// countEvents is the number of events msg in [from, to).
func countEvents(events []brokerEvent, msg string, from, to time.Time) int {
	n := 0
	for _, e := range events {
		if e.msg == msg && !e.at.Before(from) && e.at.Before(to) {
			n++
		}
	}
	return n
}

// firstAfter is when the first message received after t arrived.
func firstAfter(t time.Time, cs ...*Collector) (time.Time, bool) {
	var first time.Time
	for _, c := range cs {
		for _, m := range c.All() {
			if m.At.After(t) && (first.IsZero() || m.At.Before(first)) {
				first = m.At
			}
		}
	}
	return first, !first.IsZero()
}

// inFlight counts what was under way at t: requests sent before t and
// answered after it, and deposits funded before t and confirmed after it.
func inFlight(t time.Time, sent, fundedAt map[string]time.Time, topups, withdraws *Collector) int {
	answered := map[string]time.Time{}
	note := func(key string, at time.Time) {
		if prev, ok := answered[key]; !ok || at.Before(prev) {
			answered[key] = at
		}
	}
	for _, m := range topups.All() {
		switch {
		case m.Str("event") == "registered":
			note(m.Str("request_id"), m.At)
		case m.Str("event") == "deposit" && m.Num("status") == 1:
			note("funded:"+m.Str("request_id"), m.At)
		}
	}
	for _, m := range withdraws.All() {
		if m.Str("event") == "withdraw" {
			note(m.Str("request_id"), m.At)
		}
	}
	n := 0
	count := func(key string, at time.Time) {
		if at.Before(t) {
			if done, ok := answered[key]; !ok || done.After(t) {
				n++
			}
		}
	}
	for id, at := range sent {
		count(id, at)
	}
	for id, at := range fundedAt {
		count("funded:"+id, at)
	}
	return n
}
