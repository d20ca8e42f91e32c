// Package broker is the suite's RabbitMQ client: it declares the topology,
// publishes with confirms, consumes with manual acks and dead-lettering, and
// survives connection loss by reconnecting and resuming on its own.
package broker

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"sync"
	"sync/atomic"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"
	"github.com/rs/zerolog"
)

// ErrClosed is returned by operations on a Client after Close.
var ErrClosed = errors.New("broker client closed")

const (
	dialTimeout      = 10 * time.Second
	heartbeat        = 10 * time.Second
	reconnectMin     = 100 * time.Millisecond
	reconnectMax     = 10 * time.Second
	defaultRequeueIn = time.Second
)

// session is one live AMQP connection. lost is closed once the connection is
// gone, so everything built on it knows to start over on the next session.
type session struct {
	conn *amqp.Connection
	// addr is the node it is connected to, without the password.
	addr     string
	lost     chan struct{}
	lostOnce sync.Once
}

func (s *session) markLost() { s.lostOnce.Do(func() { close(s.lost) }) }

// Client is a RabbitMQ connection that keeps itself alive. It is safe for
// concurrent use.
type Client struct {
	cfg  Config
	topo Topology
	log  zerolog.Logger
	name string

	// addrs are the broker addresses of cfg.URL; next indexes the one to
	// try first, the last that worked. Only Dial and then the supervisor use
	// next, one after the other.
	addrs []string
	next  int

	// life is cancelled by Close; it bounds reconnecting and waiting.
	life context.Context
	stop context.CancelFunc

	mu   sync.Mutex
	sess *session      // nil while reconnecting
	up   chan struct{} // closed when sess becomes non-nil

	// pubSlot guards pub; a channel rather than a mutex so waiting honours ctx.
	pubSlot chan struct{}
	pub     *publisher

	// reconnects counts successful redials, for tests and logs.
	reconnects atomic.Int64

	// metrics is nil until RegisterMetrics.
	metrics atomic.Pointer[metrics]

	// onDeadLetter is nil until OnDeadLetter.
	onDeadLetter atomic.Pointer[func(DeadLetter)]

	closeOnce sync.Once
	wg        sync.WaitGroup
}

// Dial connects, declares the topology and starts keeping the connection
// alive: on loss it redials with capped exponential backoff, redeclares the
// topology, and publishers and consumers continue on the new connection.
// It returns an error if the first connection or declaration fails.
//
// When cfg.URL lists several addresses (the nodes of a cluster), each
// attempt tries them in turn until one connects: the first connection in
// the listed order, so replicas that list the nodes in different orders
// spread over the cluster, and every reconnect from the node that worked
// last, going round the list, so a lost connection to a node that is still
// up returns there and one to a dead node moves on to a survivor.
func Dial(ctx context.Context, cfg Config, topo Topology, log zerolog.Logger) (*Client, error) {
	cfg.setDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("broker config: %w", err)
	}
	life, stop := context.WithCancel(context.WithoutCancel(ctx))
	c := &Client{
		cfg:     cfg,
		topo:    topo,
		name:    cfg.connectionName(),
		life:    life,
		stop:    stop,
		up:      make(chan struct{}),
		pubSlot: make(chan struct{}, 1),
		addrs:   Addresses(cfg.URL),
	}
	c.log = log.With().Str("component", "broker").Str("connection_name", c.name).Logger()

	sess, closes, err := c.connect(ctx)
	if err != nil {
		stop()
		return nil, err
	}
	c.setUp(sess)
	c.log.Info().Str("broker", sess.addr).Int("brokers", len(c.addrs)).Msg("connected")
	c.wg.Add(1)
	go c.supervise(sess, closes)
	return c, nil
}

// connect dials the broker addresses in turn from the last good one and
// declares the topology on the new connection.
func (c *Client) connect(ctx context.Context) (*session, chan *amqp.Error, error) {
	props := amqp.NewConnectionProperties()
	props.SetClientConnectionName(c.name)
	conn, i, err := dialAny(ctx, c.addrs, c.next, amqp.Config{
		Heartbeat:  heartbeat,
		Locale:     "en_US",
		Properties: props,
		Dial: func(network, addr string) (net.Conn, error) {
			d := net.Dialer{Timeout: dialTimeout}
			nc, err := d.DialContext(ctx, network, addr)
			if err != nil {
				return nil, err
			}
			// The handshake has no heartbeat yet: bound it so a silent server
			// cannot stall the reconnect loop. The library clears it afterwards.
			if err := nc.SetDeadline(time.Now().Add(dialTimeout)); err != nil {
				_ = nc.Close()
				return nil, err
			}
			return nc, nil
		},
	})
	if err != nil {
		return nil, nil, err
	}
	// Registered before declaring, so a loss during declaration is not missed.
	closes := conn.NotifyClose(make(chan *amqp.Error, 1))
	if err := declare(conn, c.cfg, c.topo, c.log); err != nil {
		_ = conn.Close()
		// A node that cannot declare (cut off from its cluster, say) is
		// tried last next time.
		c.next = (i + 1) % len(c.addrs)
		return nil, nil, fmt.Errorf("%s: %w", redactedAddr(c.addrs[i]), err)
	}
	c.next = i
	return &session{conn: conn, addr: redactedAddr(c.addrs[i]), lost: make(chan struct{})}, closes, nil
}

// DialAny connects to the first address of a broker address list (AMQP_URL,
// say) that accepts, in the listed order: for tools and checks that need a
// plain connection rather than a Client. Zero fields of cfg get amqp.Dial's
// defaults. Its errors never hold a password.
func DialAny(list string, cfg amqp.Config) (*amqp.Connection, error) {
	if _, err := parseAddresses("broker address", list); err != nil {
		return nil, err
	}
	if cfg.Dial == nil {
		cfg.Dial = amqp.DefaultDial(dialTimeout)
	}
	if cfg.Heartbeat == 0 {
		cfg.Heartbeat = heartbeat
	}
	if cfg.Locale == "" {
		cfg.Locale = "en_US"
	}
	conn, _, err := dialAny(context.Background(), Addresses(list), 0, cfg)
	return conn, err
}

// dialAny dials addrs in turn from index start until one connects, and
// returns that connection with its index; the error tells why each failed.
func dialAny(ctx context.Context, addrs []string, start int, cfg amqp.Config) (*amqp.Connection, int, error) {
	var errs []error
	for k := range addrs {
		i := (start + k) % len(addrs)
		conn, err := amqp.DialConfig(addrs[i], cfg)
		if err == nil {
			return conn, i, nil
		}
		errs = append(errs, fmt.Errorf("dial %s: %w", redactedAddr(addrs[i]), err))
		if ctx.Err() != nil {
			break
		}
	}
	return nil, -1, errors.Join(errs...)
}

// supervise waits for the current connection to close and replaces it until
// the client is closed.
func (c *Client) supervise(sess *session, closes chan *amqp.Error) {
	defer c.wg.Done()
	for {
		select {
		case <-c.life.Done():
			return
		case amqpErr := <-closes:
			c.setDown(sess)
			if c.life.Err() != nil {
				return
			}
			ev := c.log.Warn()
			if amqpErr != nil {
				ev = ev.Err(amqpErr)
			}
			ev.Msg("connection lost; reconnecting")
		}
		var ok bool
		sess, closes, ok = c.redial()
		if !ok {
			return
		}
	}
}

// redial retries connect with capped exponential backoff until it succeeds
// or the client is closed.
func (c *Client) redial() (*session, chan *amqp.Error, bool) {
	backoff := reconnectMin
	for attempt := 1; ; attempt++ {
		sess, closes, err := c.connect(c.life)
		if err == nil {
			if !c.setUp(sess) {
				return nil, nil, false
			}
			c.reconnects.Add(1)
			c.log.Info().Int("attempt", attempt).Str("broker", sess.addr).Msg("reconnected")
			return sess, closes, true
		}
		if c.life.Err() != nil {
			return nil, nil, false
		}
		c.log.Error().Err(err).Int("attempt", attempt).Dur("retry_in", backoff).Msg("reconnect failed")
		if !sleep(c.life, jitter(backoff)) {
			return nil, nil, false
		}
		backoff = min(backoff*2, reconnectMax)
	}
}

// setUp publishes sess as the current session. It reports false, and closes
// the connection, if the client was closed meanwhile.
func (c *Client) setUp(sess *session) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.life.Err() != nil {
		_ = sess.conn.Close()
		return false
	}
	c.sess = sess
	close(c.up)
	return true
}

// setDown withdraws sess if it is still the current session.
func (c *Client) setDown(sess *session) {
	c.mu.Lock()
	if c.sess == sess {
		c.sess = nil
		c.up = make(chan struct{})
	}
	c.mu.Unlock()
	sess.markLost()
}

// session returns the live session, waiting for a reconnect if needed.
func (c *Client) session(ctx context.Context) (*session, error) {
	for {
		if c.life.Err() != nil {
			return nil, ErrClosed
		}
		c.mu.Lock()
		sess, up := c.sess, c.up
		c.mu.Unlock()
		if sess != nil {
			return sess, nil
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-c.life.Done():
			return nil, ErrClosed
		case <-up:
		}
	}
}

// forceReconnect drops a connection that is open but unusable (for example it
// can no longer open channels); the supervisor then dials a fresh one.
func (c *Client) forceReconnect(sess *session, reason error) {
	if sess.conn.IsClosed() {
		return
	}
	c.log.Warn().Err(reason).Msg("connection unusable; forcing reconnect")
	_ = sess.conn.Close()
}

// OnDeadLetter makes the client's consumers call fn after each message they
// dead-letter, once the dead letter is confirmed and the original acked (an
// operator alert, say). fn runs on the consumer's worker: it must return
// quickly and must not wait for the broker.
func (c *Client) OnDeadLetter(fn func(DeadLetter)) { c.onDeadLetter.Store(&fn) }

// Ready reports whether the connection is currently up.
func (c *Client) Ready() bool {
	c.mu.Lock()
	sess := c.sess
	c.mu.Unlock()
	return sess != nil && !sess.conn.IsClosed()
}

// Close stops reconnecting and closes the connection with its channels.
// Running consumers return ErrClosed; in-flight acks fail and the broker
// redelivers those messages.
func (c *Client) Close() error {
	var err error
	c.closeOnce.Do(func() {
		c.stop()
		c.mu.Lock()
		sess := c.sess
		c.sess = nil
		c.mu.Unlock()
		if sess != nil {
			sess.markLost()
			if cerr := sess.conn.Close(); cerr != nil && !errors.Is(cerr, amqp.ErrClosed) {
				err = fmt.Errorf("close connection: %w", cerr)
			}
		}
		c.wg.Wait()
		c.log.Info().Msg("closed")
	})
	return err
}

// redactedAddr names the broker for logs and errors without the password.
func redactedAddr(url string) string {
	uri, err := amqp.ParseURI(url)
	if err != nil {
		return "(invalid url)"
	}
	return fmt.Sprintf("%s:%d/%s", uri.Host, uri.Port, uri.Vhost)
}

// jitter spreads d by ±20% so many clients do not retry in lockstep.
func jitter(d time.Duration) time.Duration {
	spread := int64(d) / 5
	if spread <= 0 {
		return d
	}
	return d - time.Duration(spread) + time.Duration(rand.Int64N(2*spread))
}

// sleep waits for d; it reports false if ctx ended first.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}
