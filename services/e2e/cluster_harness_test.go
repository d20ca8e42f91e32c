package e2e

import (
	"bufio"
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// clusterNodes are the nodes of scripts/rabbitmq-cluster.sh, by number; node
// n listens for AMQP on 127.0.0.1:5680+n.
const clusterNodes = 3

// cluster is the three-node RabbitMQ cluster of scripts/rabbitmq-cluster.sh.
type cluster struct {
	t      *testing.T
	script string
	// StartTime is how long starting it took; zero when it was running.
	StartTime time.Duration
}

// startCluster starts the cluster, or reuses it when all its nodes run; a
// cluster it started is stopped (and its data removed) when the test ends.
func startCluster(t *testing.T) *cluster {
	t.Helper()
	if _, err := os.Stat("/usr/lib/rabbitmq/bin/rabbitmq-server"); err != nil {
		t.Fatalf("rabbitmq-server is not installed (scripts/ensure-infra.sh installs it): %v", err)
	}
	c := &cluster{t: t, script: filepath.Join("..", "..", "scripts", "rabbitmq-cluster.sh")}
	out, err := exec.Command(c.script, "status").CombinedOutput()
	if err == nil && strings.Count(string(out), " running (pid") == clusterNodes {
		t.Log("reusing the running RabbitMQ cluster")
		return c
	}
	began := time.Now()
	if out, err := exec.Command(c.script, "start").CombinedOutput(); err != nil {
		t.Fatalf("start the RabbitMQ cluster: %v\n%s", err, out)
	}
	c.StartTime = time.Since(began)
	t.Cleanup(func() {
		if out, err := exec.Command(c.script, "stop").CombinedOutput(); err != nil {
			t.Errorf("stop the RabbitMQ cluster: %v\n%s", err, out)
		}
	})
	t.Logf("RabbitMQ cluster started in %s", c.StartTime.Round(100*time.Millisecond))
	return c
}

// ctl runs rabbitmqctl against node n.
func (c *cluster) ctl(n int, args ...string) ([]byte, error) {
	return exec.Command(c.script, append([]string{"ctl", fmt.Sprint(n)}, args...)...).CombinedOutput()
}

// ctlAny runs rabbitmqctl against the first node that answers.
func (c *cluster) ctlAny(args ...string) ([]byte, error) {
	var out []byte
	var err error
	for n := 1; n <= clusterNodes; n++ {
		if out, err = c.ctl(n, args...); err == nil {
			return out, nil
		}
	}
	return out, err
}

// kill SIGKILLs node n's Erlang VM and returns when it is gone.
func (c *cluster) kill(n int) error { return c.run("kill", fmt.Sprint(n)) }

// restart starts node n again and returns once it has booted.
func (c *cluster) restart(n int) error { return c.run("restart", fmt.Sprint(n)) }

func (c *cluster) run(args ...string) error {
	if out, err := exec.Command(c.script, args...).CombinedOutput(); err != nil {
		return fmt.Errorf("rabbitmq-cluster.sh %v: %v\n%s", args, err, out)
	}
	return nil
}

// urls lists the nodes' addresses of vhost starting at node first, so that
// clients given different first nodes spread over the cluster.
func (c *cluster) urls(vhost string, first int) string {
	var out []string
	for k := range clusterNodes {
		n := (first-1+k)%clusterNodes + 1
		out = append(out, fmt.Sprintf("amqp://guest:guest@127.0.0.1:%d/%s", 5680+n, url.PathEscape(vhost)))
	}
	return strings.Join(out, ",")
}

// addVhost creates vhost on the cluster for guest; it is deleted when the
// test ends.
func (c *cluster) addVhost(vhost string) {
	c.t.Helper()
	for _, args := range [][]string{{"add_vhost", vhost}, {"set_permissions", "-p", vhost, "guest", ".*", ".*", ".*"}} {
		if out, err := c.ctlAny(args...); err != nil {
			c.t.Fatalf("rabbitmqctl %v on the cluster: %v\n%s", args, err, out)
		}
	}
	c.t.Cleanup(func() {
		if out, err := c.ctlAny("delete_vhost", vhost); err != nil {
			c.t.Logf("delete vhost %s on the cluster: %v %s", vhost, err, out)
		}
	})
}

// useCluster points the suite at the cluster: its virtual hosts are created
// there, and AMQPURL and InternalURL list every node.
func (s *Suite) useCluster(c *cluster) {
	c.addVhost(s.vhost)
	c.addVhost(s.internalVhost())
	// Cleanups run last-registered first: the services stop before their
	// virtual hosts go.
	s.t.Cleanup(s.stopAll)
	s.AMQPURL = c.urls(s.vhost, 1)
	s.InternalURL = c.urls(s.internalVhost(), 1)
}

// clusterEnv are the settings of a service on the cluster: quorum queues and
// the nodes listed from node first.
func (s *Suite) clusterEnv(c *cluster, first int) []string {
	return []string{"AMQP_QUEUE_TYPE=quorum", "AMQP_URL=" + c.urls(s.vhost, first),
		"AMQP_INTERNAL_URL=" + c.urls(s.internalVhost(), first)}
}

// repeats counts, between from and to, the deliveries flagged redelivered and
// the messages received again with a body already received.
func (c *Collector) repeats(from, to time.Time) (flagged, duplicates int) {
	c.mu.Lock()
	for _, at := range c.redelivered {
		if !at.Before(from) && at.Before(to) {
			flagged++
		}
	}
	c.mu.Unlock()
	seen := map[string]bool{}
	for _, m := range c.All() {
		if seen[string(m.Body)] && !m.At.Before(from) && m.At.Before(to) {
			duplicates++
		}
		seen[string(m.Body)] = true
	}
	return flagged, duplicates
}

// brokerEvent is a connection event a service logged, with when the test
// saw it.
type brokerEvent struct {
	svc, msg string
	at       time.Time
}

// watchBrokerLogs follows the logs of services and records their connection
// losses, reconnects and the deliveries they got again, until the test ends,
// at the time the test reads them (within 50 ms; the logs' own timestamps
// have whole seconds).
func (s *Suite) watchBrokerLogs(services []string) func() []brokerEvent {
	paths := map[string][]string{}
	for _, svc := range services {
		paths[svc] = strings.Fields(s.logs[svc])
	}
	var mu sync.Mutex
	var events []brokerEvent
	offsets := map[string]int64{}
	s.every(50*time.Millisecond, func() {
		for svc, ps := range paths {
			for _, p := range ps {
				for _, msg := range readNewLines(p, offsets) {
					mu.Lock()
					events = append(events, brokerEvent{svc: svc, msg: msg, at: time.Now()})
					mu.Unlock()
				}
			}
		}
	})
	return func() []brokerEvent {
		mu.Lock()
		defer mu.Unlock()
		return append([]brokerEvent(nil), events...)
	}
}

// readNewLines returns the broker's connection and redelivery messages
// appended to the log at path since the offset recorded for it, and moves the
// offset on.
func readNewLines(path string, offsets map[string]int64) []string {
	f, err := os.Open(path)
	if err != nil {
		return nil
	}
	defer f.Close()
	if _, err := f.Seek(offsets[path], 0); err != nil {
		return nil
	}
	var out []string
	r := bufio.NewReader(f)
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return out // a partial line is read again next time
		}
		offsets[path] += int64(len(line))
		var entry struct {
			Component string `json:"component"`
			Message   string `json:"message"`
		}
		if json.Unmarshal([]byte(line), &entry) != nil || entry.Component != "broker" {
			continue
		}
		switch entry.Message {
		case "connection lost; reconnecting", "reconnected", "redelivered":
			out = append(out, entry.Message)
		}
	}
}
