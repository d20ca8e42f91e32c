package e2e

import (
	"bytes"
	"database/sql"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	_ "github.com/go-sql-driver/mysql"
	amqp "github.com/rabbitmq/amqp091-go"

	"paysuite/pkg/sign"
)

// benchSize is full in a benchmark run and short under -short.
func benchSize(full, short int) int {
	if testing.Short() {
		return short
	}
	return full
}

// benchLogLevel keeps the services' logs at the level a deployment runs with:
// the harness's debug level writes a line per message and would be measured too.
const benchLogLevel = "LOG_LEVEL=info"

// returnWatch records when each return of a queue first arrived, keyed by
// event, status and request_id, and counts the arrivals the benchmark waits for
// without scanning everything received on each message.
type returnWatch struct {
	mu       sync.Mutex
	at       map[string]time.Time
	bodies   map[string][]byte
	expected map[string]*expectation
	failures []string
	wake     chan struct{}
}

// expectation is a set of keys a benchmark waits for.
type expectation struct {
	keys []string
	left int
	done chan struct{}
}

// returnKey names a return: "registered/1/req-1", "deposit/2/req-1".
func returnKey(event string, status int, requestID string) string {
	return fmt.Sprintf("%s/%d/%s", event, status, requestID)
}

// watchReturns consumes queue in the suite's vhost until the benchmark ends.
// A return with status 0 is recorded as a failure: the benchmarks send only
// requests that must succeed.
func (s *Suite) watchReturns(queue string) *returnWatch {
	w := &returnWatch{at: map[string]time.Time{}, bodies: map[string][]byte{}, expected: map[string]*expectation{},
		wake: make(chan struct{}, 1)}
	ctx := s.t.Context()
	go func() {
		for ctx.Err() == nil {
			err := consumeQueue(ctx, s.AMQPURL, queue, 1000, func(d amqp.Delivery) { w.record(d.Body, time.Now()) })
			if err != nil && ctx.Err() == nil {
				time.Sleep(100 * time.Millisecond) // the queue is declared by the services as they start
			}
		}
	}()
	return w
}

func (w *returnWatch) record(body []byte, at time.Time) {
	var m struct {
		RequestID string `json:"request_id"`
		Event     string `json:"event"`
		Status    int    `json:"status"`
	}
	if err := json.Unmarshal(body, &m); err != nil {
		w.mu.Lock()
		w.failures = append(w.failures, "not JSON: "+string(body))
		w.mu.Unlock()
		return
	}
	key := returnKey(m.Event, m.Status, m.RequestID)
	w.mu.Lock()
	defer w.mu.Unlock()
	if m.Status == 0 {
		w.failures = append(w.failures, string(body))
	}
	if _, seen := w.at[key]; seen {
		return // a redelivery: the first arrival counts
	}
	w.at[key] = at
	w.bodies[key] = body
	if e := w.expected[key]; e != nil {
		delete(w.expected, key)
		if e.left--; e.left == 0 {
			close(e.done)
		}
	}
}

// expect registers keys to wait for; call it before publishing what causes them.
func (w *returnWatch) expect(keys []string) *expectation {
	e := &expectation{keys: keys, left: len(keys), done: make(chan struct{})}
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, k := range keys {
		if _, seen := w.at[k]; seen {
			e.left--
			continue
		}
		w.expected[k] = e
	}
	if e.left == 0 {
		close(e.done)
	}
	return e
}

// wait blocks until every key of e arrived and returns the arrival times in
// the order of the keys; it fails on a timeout or on any failed return.
func (w *returnWatch) wait(tb testing.TB, e *expectation, what string, timeout time.Duration) []time.Time {
	tb.Helper()
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	tick := time.NewTicker(200 * time.Millisecond)
	defer tick.Stop()
	for {
		w.mu.Lock()
		failures := slices.Clone(w.failures)
		left := e.left
		w.mu.Unlock()
		if len(failures) > 0 {
			tb.Fatalf("%s: %d failed return(s), the first: %s", what, len(failures), failures[0])
		}
		select {
		case <-e.done:
			w.mu.Lock()
			defer w.mu.Unlock()
			out := make([]time.Time, len(e.keys))
			for i, k := range e.keys {
				out[i] = w.at[k]
			}
			return out
		case <-tick.C:
		case <-deadline.C:
			tb.Fatalf("%s: %d of %d still missing after %s", what, left, len(e.keys), timeout)
		}
	}
}

// body returns the first body received under key.
func (w *returnWatch) body(key string) []byte {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.bodies[key]
}

// publisher publishes signed messages on one channel in confirm mode without
// waiting for each confirm, so that it can keep a fixed pace; the confirms are
// checked in the background and by flush.
type publisher struct {
	tb       testing.TB
	s        *Suite
	conn     *amqp.Connection
	ch       *amqp.Channel
	confirms chan *amqp.DeferredConfirmation
	failed   chan error
	done     chan struct{}
}

func (s *Suite) newPublisher() *publisher {
	s.t.Helper()
	return s.newPublisherAt(s.AMQPURL)
}

// newPublisherAt is newPublisher on the virtual host at url.
func (s *Suite) newPublisherAt(url string) *publisher {
	s.t.Helper()
	conn, err := amqp.Dial(url)
	if err != nil {
		s.t.Fatal(err)
	}
	ch, err := conn.Channel()
	if err != nil {
		s.t.Fatal(err)
	}
	if err := ch.Confirm(false); err != nil {
		s.t.Fatal(err)
	}
	p := &publisher{tb: s.t, s: s, conn: conn, ch: ch, confirms: make(chan *amqp.DeferredConfirmation, 100_000),
		failed: make(chan error, 1), done: make(chan struct{})}
	go func() {
		defer close(p.done)
		for dc := range p.confirms {
			if ok, err := dc.WaitContext(s.t.Context()); err != nil || !ok {
				select {
				case p.failed <- fmt.Errorf("publish %d not confirmed: %v", dc.DeliveryTag, err):
				default:
				}
			}
		}
	}()
	s.t.Cleanup(func() { _ = conn.Close() })
	return p
}

// send signs fields (adding the timestamp) and publishes them on the public
// exchange with key.
func (p *publisher) send(key string, fields map[string]any) {
	p.tb.Helper()
	now := time.Now()
	fields["timestamp"] = now.Unix()
	body, err := sign.Seal(p.s.secret, fields, now)
	if err != nil {
		p.tb.Fatal(err)
	}
	p.publish("pay.exchange", key, "", body)
}

// publish sends body as it is to exchange with key.
func (p *publisher) publish(exchange, key, messageID string, body []byte) {
	p.tb.Helper()
	dc, err := p.ch.PublishWithDeferredConfirmWithContext(p.tb.Context(), exchange, key, true, false,
		amqp.Publishing{ContentType: "application/json", DeliveryMode: amqp.Persistent, MessageId: messageID, Body: body})
	if err != nil {
		p.tb.Fatalf("publish: %v", err)
	}
	p.confirms <- dc
}

// flush waits for every confirm and closes the publisher.
func (p *publisher) flush() {
	p.tb.Helper()
	close(p.confirms)
	<-p.done
	select {
	case err := <-p.failed:
		p.tb.Fatal(err)
	default:
	}
	_ = p.conn.Close()
}

// paced publishes n messages made by build(i) (routing key and fields) at
// rate per second on a fixed schedule (open loop: a late message is sent at
// once and its latency counts from its scheduled time), and returns the
// scheduled times. rate 0 means as fast as possible, each message's time being
// its publish time.
func (s *Suite) paced(n int, rate float64, build func(i int) (string, map[string]any)) []time.Time {
	p := s.newPublisher()
	times := make([]time.Time, n)
	start := time.Now()
	for i := range n {
		at := time.Now()
		if rate > 0 {
			at = start.Add(time.Duration(float64(i) / rate * float64(time.Second)))
			if d := time.Until(at); d > 0 {
				time.Sleep(d)
			}
		}
		times[i] = at
		p.send(build(i))
	}
	p.flush()
	return times
}

// latencyStats summarises latencies.
type latencyStats struct {
	p50, p99, max time.Duration
}

func percentiles(lat []time.Duration) latencyStats {
	sorted := slices.Clone(lat)
	sort.Slice(sorted, func(i, j int) bool { return sorted[i] < sorted[j] })
	at := func(q float64) time.Duration {
		i := int(q*float64(len(sorted)) + 0.5)
		return sorted[min(max(i-1, 0), len(sorted)-1)]
	}
	return latencyStats{p50: at(0.50), p99: at(0.99), max: sorted[len(sorted)-1]}
}

func msOf(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// queueDepth is the number of ready messages in queue.
func (s *Suite) queueDepth(queue string) int { return s.depthAt(s.urlOf(queue), queue) }

// depthAt is the number of ready messages in queue of the virtual host at url
// (each virtual host has its own dead-letter queue).
func (s *Suite) depthAt(url, queue string) int {
	q, err := inspectQueue(url, queue)
	if err != nil {
		return -1
	}
	return q.Messages
}

// waitDrained waits until queue holds no ready message.
func (s *Suite) waitDrained(queue string, timeout time.Duration) {
	s.t.Helper()
	deadline := time.Now().Add(timeout)
	for s.queueDepth(queue) != 0 {
		if time.Now().After(deadline) {
			s.t.Fatalf("queue %s still holds %d messages after %s", queue, s.queueDepth(queue), timeout)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// sqlCount runs a COUNT query in a service's schema with the mariadb client.
func (s *Suite) sqlCount(svc, query string) int {
	s.t.Helper()
	out, err := exec.CommandContext(s.t.Context(), "mariadb", "-h127.0.0.1", "-uroot", "-N", "-B",
		s.dbSchema(svc), "-e", query).CombinedOutput()
	if err != nil {
		s.t.Fatalf("%s: %v %s", query, err, out)
	}
	n, err := strconv.Atoi(strings.TrimSpace(string(out)))
	if err != nil {
		s.t.Fatalf("%s: %q", query, out)
	}
	return n
}

// logCount counts the lines containing substr in the logs of every process
// started for svc.
func (s *Suite) logCount(svc, substr string) int {
	n := 0
	for _, p := range strings.Fields(s.logs[svc]) {
		data, _ := os.ReadFile(p)
		n += strings.Count(string(data), substr)
	}
	return n
}

// loadAverage is the first field of /proc/loadavg, the one-minute load.
func loadAverage() string {
	data, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	return strings.Fields(string(data))[0]
}

// cpuWindow measures how much CPU the suite's processes, the broker, the
// database server and the rest of the machine used over a measurement: on a
// shared two-core machine this tells what bounded a figure.
type cpuWindow struct {
	start  time.Time
	busy0  uint64
	procs  map[string]int
	ticks0 map[string]uint64
	clkTck float64
	cores  int
}

// clockTicks is USER_HZ, 100 on every Linux platform Go supports here.
const clockTicks = 100

// cpuWindow starts measuring the suite's processes and the shared servers.
func (s *Suite) cpuWindow() *cpuWindow {
	procs := map[string]int{}
	for name, cmd := range s.procs {
		if cmd.Process != nil {
			procs[name] = cmd.Process.Pid
		}
	}
	return newCPUWindow(procs)
}

// newCPUWindow starts measuring procs (name to pid), this test process, the
// broker and the database server.
func newCPUWindow(procs map[string]int) *cpuWindow {
	w := &cpuWindow{start: time.Now(), procs: procs, ticks0: map[string]uint64{}, clkTck: clockTicks}
	w.procs["bench"] = os.Getpid()
	for name, comm := range map[string]string{"mariadb": "mariadbd", "rabbitmq": "beam.smp"} {
		if pid := findProcess(comm); pid > 0 {
			w.procs[name] = pid
		}
	}
	w.busy0, w.cores = machineBusy()
	for name, pid := range w.procs {
		w.ticks0[name] = procTicks(pid)
	}
	return w
}

// summary returns the CPU used since the window started, in percent of one
// core per process: "topup 85%, mariadb 60%, …, others 20%; machine 190% of 200%".
func (w *cpuWindow) summary() string {
	secs := time.Since(w.start).Seconds()
	busy, _ := machineBusy()
	pct := func(ticks uint64) float64 { return float64(ticks) / w.clkTck / secs * 100 }
	var names []string
	for name := range w.procs {
		names = append(names, name)
	}
	sort.Strings(names)
	var parts []string
	var known float64
	for _, name := range names {
		end := procTicks(w.procs[name])
		if end < w.ticks0[name] {
			parts = append(parts, name+" ?") // the process ended meanwhile
			continue
		}
		p := pct(end - w.ticks0[name])
		known += p
		parts = append(parts, fmt.Sprintf("%s %.0f%%", name, p))
	}
	machine := pct(busy - w.busy0)
	parts = append(parts, fmt.Sprintf("others %.0f%%", max(machine-known, 0)))
	return fmt.Sprintf("%s; machine %.0f%% of %d%%", strings.Join(parts, ", "), machine, 100*w.cores)
}

// findProcess returns the pid of the longest-running process whose command
// name is comm: the server, not a command-line tool that runs the same VM for
// a moment (rabbitmqctl is an Erlang VM too).
func findProcess(comm string) int {
	entries, _ := os.ReadDir("/proc")
	best, bestStart := 0, uint64(0)
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		data, err := os.ReadFile(filepath.Join("/proc", e.Name(), "comm"))
		if err != nil || strings.TrimSpace(string(data)) != comm {
			continue
		}
		if start, ok := procStat(pid, 19); ok && (best == 0 || start < bestStart) {
			best, bestStart = pid, start
		}
	}
	return best
}

// procStat returns field i of /proc/pid/stat counted from the field after the
// command name (0 is the state; 11 utime, 12 stime, 19 starttime).
func procStat(pid, i int) (uint64, bool) {
	data, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "stat"))
	if err != nil {
		return 0, false
	}
	// The command name may hold spaces: the fields start after its ')'.
	fields := strings.Fields(string(data[bytes.LastIndexByte(data, ')')+1:]))
	if len(fields) <= i {
		return 0, false
	}
	v, err := strconv.ParseUint(fields[i], 10, 64)
	return v, err == nil
}

// procTicks is the user plus system time of a process, all threads, in ticks.
func procTicks(pid int) uint64 {
	utime, _ := procStat(pid, 11)
	stime, _ := procStat(pid, 12)
	return utime + stime
}

// machineBusy is the machine's non-idle time over all cores, in ticks, and the
// number of cores.
func machineBusy() (uint64, int) {
	data, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0, 0
	}
	var busy uint64
	cores := 0
	for _, line := range strings.Split(string(data), "\n") {
		f := strings.Fields(line)
		if len(f) == 0 {
			continue
		}
		if f[0] == "cpu" {
			for i, v := range f[1:] {
				n, _ := strconv.ParseUint(v, 10, 64)
				if i != 3 && i != 4 && i < 8 { // idle and iowait are not busy; guest time is counted in user
					busy += n
				}
			}
		} else if strings.HasPrefix(f[0], "cpu") {
			cores++
		}
	}
	return busy, cores
}

// backlogs samples, four times a second, the depth of queues and the rows
// waiting in services' outbox tables during a measurement: a queue that grows
// shows consumers that cannot keep up, an outbox that grows a relay that
// cannot.
type backlogs struct {
	stop  chan struct{}
	done  chan struct{}
	names []string
	max   map[string]int
	sum   map[string]int
	n     int
}

// backlogQuery counts rows waiting in a service's schema.
type backlogQuery struct{ name, svc, query string }

// outboxOf counts the messages waiting in svc's outbox.
func outboxOf(svc string) backlogQuery {
	return backlogQuery{name: svc + " outbox", svc: svc, query: "SELECT COUNT(*) FROM outbox"}
}

// sampleBacklogs starts sampling the ready messages of queues and the counts
// of queries.
func (s *Suite) sampleBacklogs(queues []string, queries ...backlogQuery) *backlogs {
	b := &backlogs{stop: make(chan struct{}), done: make(chan struct{}), max: map[string]int{}, sum: map[string]int{}}
	probes := map[string]func() int{}
	conns := map[string]*amqp.Connection{}
	for _, q := range queues {
		b.names = append(b.names, q)
		conn := conns[s.urlOf(q)]
		if conn == nil {
			var err error
			if conn, err = amqp.Dial(s.urlOf(q)); err != nil {
				s.t.Fatal(err)
			}
			conns[s.urlOf(q)] = conn
		}
		probes[q] = func() int {
			ch, err := conn.Channel()
			if err != nil {
				return -1
			}
			defer ch.Close()
			st, err := ch.QueueDeclarePassive(q, true, false, false, false, nil)
			if err != nil {
				return -1
			}
			return st.Messages
		}
	}
	for _, q := range queries {
		b.names = append(b.names, q.name)
		db := s.samplerDB(q.svc)
		probes[q.name] = func() int {
			var n int
			if err := db.QueryRow(q.query).Scan(&n); err != nil {
				return -1
			}
			return n
		}
	}
	go func() {
		defer close(b.done)
		defer func() {
			for _, conn := range conns {
				conn.Close()
			}
		}()
		tick := time.NewTicker(250 * time.Millisecond)
		defer tick.Stop()
		for {
			for name, probe := range probes {
				v := probe()
				b.max[name] = max(b.max[name], v)
				b.sum[name] += max(v, 0)
			}
			b.n++
			select {
			case <-b.stop:
				return
			case <-tick.C:
			}
		}
	}()
	return b
}

// finish stops sampling and describes what was seen: "pay.topup.queue max 1900
// mean 850, topup outbox max 12 mean 3".
func (b *backlogs) finish() string {
	close(b.stop)
	<-b.done
	var parts []string
	for _, name := range b.names {
		parts = append(parts, fmt.Sprintf("%s max %d mean %d", name, b.max[name], b.sum[name]/max(b.n, 1)))
	}
	return strings.Join(parts, ", ")
}

// dbActivity samples, four times a second, what the database connections of
// services are doing: running a statement, waiting for a row lock, or idle
// inside an open transaction (the service is busy elsewhere, say waiting for
// the broker, while it holds its locks). Averaged over the samples, it says how
// many connections spent the measurement in each state: a poor man's profile
// of the database side.
type dbActivity struct {
	stop   chan struct{}
	done   chan struct{}
	svcs   []string
	counts map[string]map[string]int
	n      int
}

// activityQuery lists the connections of one schema as "state<TAB>statement".
const activityQuery = `SELECT CASE WHEN t.trx_state = 'LOCK WAIT' THEN 'lock wait'
  WHEN p.COMMAND = 'Sleep' THEN 'idle in transaction' ELSE 'running' END,
  LEFT(REGEXP_REPLACE(IFNULL(IFNULL(p.INFO, t.trx_query), ''), '[[:space:]]+', ' '), 48)
FROM information_schema.PROCESSLIST p LEFT JOIN information_schema.INNODB_TRX t ON t.trx_mysql_thread_id = p.ID
WHERE p.DB = DATABASE() AND p.ID <> CONNECTION_ID() AND (p.COMMAND = 'Query' OR t.trx_id IS NOT NULL)`

// sampleDB starts sampling the connections of svcs' schemas.
func (s *Suite) sampleDB(svcs ...string) *dbActivity {
	a := &dbActivity{stop: make(chan struct{}), done: make(chan struct{}), svcs: svcs, counts: map[string]map[string]int{}}
	for _, svc := range svcs {
		a.counts[svc] = map[string]int{}
	}
	dbs := map[string]*sql.DB{}
	for _, svc := range svcs {
		dbs[svc] = s.samplerDB(svc)
	}
	go func() {
		defer close(a.done)
		tick := time.NewTicker(250 * time.Millisecond)
		defer tick.Stop()
		for {
			for _, svc := range svcs {
				a.sample(svc, dbs[svc])
			}
			a.n++
			select {
			case <-a.stop:
				return
			case <-tick.C:
			}
		}
	}()
	return a
}

// sample counts the states of svc's connections once.
func (a *dbActivity) sample(svc string, db *sql.DB) {
	rows, err := db.Query(activityQuery)
	if err != nil {
		return
	}
	defer rows.Close()
	for rows.Next() {
		var state, stmt string
		if rows.Scan(&state, &stmt) != nil {
			return
		}
		if stmt = strings.TrimSpace(stmt); stmt != "" {
			state += ": " + stmt
		}
		a.counts[svc][state]++
	}
}

// samplerDB is one connection to svc's schema for the samplers, closed when
// the test ends: starting the mariadb client four times a second would cost
// more CPU than some of the work being measured.
func (s *Suite) samplerDB(svc string) *sql.DB {
	db, err := sql.Open("mysql", mysqlDSN()+s.dbSchema(svc))
	if err != nil {
		s.t.Fatal(err)
	}
	db.SetMaxOpenConns(1)
	s.t.Cleanup(func() { _ = db.Close() })
	return db
}

// finish stops sampling and lists, per service, the five most frequent
// states with the average number of connections in each.
func (a *dbActivity) finish() string {
	close(a.stop)
	<-a.done
	var parts []string
	for _, svc := range a.svcs {
		type entry struct {
			what string
			n    int
		}
		var es []entry
		for what, n := range a.counts[svc] {
			es = append(es, entry{what, n})
		}
		sort.Slice(es, func(i, j int) bool { return es[i].n > es[j].n || es[i].n == es[j].n && es[i].what < es[j].what })
		var top []string
		for _, e := range es[:min(5, len(es))] {
			top = append(top, fmt.Sprintf("%.1f %s", float64(e.n)/float64(max(a.n, 1)), e.what))
		}
		if len(top) == 0 {
			top = append(top, "idle")
		}
		parts = append(parts, svc+" ["+strings.Join(top, "; ")+"]")
	}
	return strings.Join(parts, " ")
}
