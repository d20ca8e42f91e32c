package broker

import (
	"fmt"
	"io"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"
)

// node is a broker node the test can kill: a TCP proxy to the real broker
// whose death drops every connection through it and refuses new ones, as a
// crashed node's port does.
type node struct {
	ln    net.Listener
	mu    sync.Mutex
	conns []net.Conn
	dead  bool
}

func newNode(t *testing.T) *node {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	uri, err := amqp.ParseURI(testURL())
	if err != nil {
		t.Fatal(err)
	}
	target := net.JoinHostPort(uri.Host, fmt.Sprint(uri.Port))
	n := &node{ln: ln}
	go func() {
		for {
			client, err := ln.Accept()
			if err != nil {
				return
			}
			server, err := net.Dial("tcp", target)
			if err != nil {
				_ = client.Close()
				continue
			}
			if !n.track(client, server) {
				continue
			}
			go func() { _, _ = io.Copy(server, client); _ = server.Close() }()
			go func() { _, _ = io.Copy(client, server); _ = client.Close() }()
		}
	}()
	t.Cleanup(n.kill)
	return n
}

func (n *node) track(cs ...net.Conn) bool {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.dead {
		for _, c := range cs {
			_ = c.Close()
		}
		return false
	}
	n.conns = append(n.conns, cs...)
	return true
}

// url is the test broker's URL through this node.
func (n *node) url(t *testing.T) string {
	uri, err := amqp.ParseURI(testURL())
	if err != nil {
		t.Fatal(err)
	}
	addr := n.ln.Addr().(*net.TCPAddr)
	uri.Host, uri.Port = addr.IP.String(), addr.Port
	return uri.String()
}

func (n *node) kill() {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.dead = true
	_ = n.ln.Close()
	for _, c := range n.conns {
		_ = c.Close()
	}
}

// closedPortURL is the test broker's URL on a port nobody listens on.
func closedPortURL(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	_ = ln.Close()
	return fmt.Sprintf("amqp://guest:secret@127.0.0.1:%d/", port)
}

func TestDialSkipsDeadAddress(t *testing.T) {
	f := newFixture(t, QueueTypeClassic)
	f.cfg.URL = closedPortURL(t) + "," + testURL()
	c := f.dial(t)
	sess, err := c.session(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if want := redactedAddr(testURL()); sess.addr != want {
		t.Fatalf("connected to %s, want %s", sess.addr, want)
	}
	roundTrip(t, f, c, c, "one")

	// Every address down: one error naming each, without the password.
	f.cfg.URL = closedPortURL(t) + "," + closedPortURL(t)
	_, err = Dial(t.Context(), f.cfg, f.topo, testLogger(t))
	if err == nil {
		t.Fatal("Dial to two closed ports succeeded")
	}
	if strings.Count(err.Error(), "dial 127.0.0.1:") != 2 || strings.Contains(err.Error(), "secret") {
		t.Fatalf("Dial error = %v, want both addresses named and no password", err)
	}
}

func TestDialAny(t *testing.T) {
	conn, err := DialAny(closedPortURL(t)+", "+testURL(), amqp.Config{})
	if err != nil {
		t.Fatalf("DialAny: %v", err)
	}
	ch, err := conn.Channel()
	if err != nil {
		t.Fatalf("channel on the second address: %v", err)
	}
	_ = ch.Close()
	_ = conn.Close()

	if _, err := DialAny("amqp://guest:secret@127.0.0.1:5672/,mailto:secret", amqp.Config{}); err == nil ||
		!strings.Contains(err.Error(), "address 2 of 2") || strings.Contains(err.Error(), "secret") {
		t.Fatalf("DialAny of a bad list: %v", err)
	}
}

// TestFailoverWhenNodeDies kills the node a client is connected to while
// publishes wait for their confirms: the client moves to the next address,
// its consumer resumes there, and every publish ends confirmed and consumed.
func TestFailoverWhenNodeDies(t *testing.T) {
	f := newFixture(t, QueueTypeClassic)
	first := newNode(t)
	f.cfg.URL = first.url(t) + "," + testURL()
	c, ctx := f.dialWithin(t, 90*time.Second)
	sess, err := c.session(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if sess.addr != redactedAddr(first.url(t)) {
		t.Fatalf("first connection to %s, want the first address", sess.addr)
	}

	load := lossLoad{publishers: 6, after: 10, limit: 3000, threshold: 30, pace: 5 * time.Millisecond}
	ids, received := load.run(t, ctx, f, c, first.kill)
	if sess, err = c.session(ctx); err != nil {
		t.Fatal(err)
	}
	if want := redactedAddr(testURL()); sess.addr != want {
		t.Fatalf("reconnected to %s, want the surviving %s", sess.addr, want)
	}
	dups := 0
	for _, n := range received {
		dups += n - 1
	}
	t.Logf("%d messages confirmed across the failover, %d delivered more than once", len(ids), dups)
}
