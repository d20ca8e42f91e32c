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
	conn     *amqp.Connection
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
	}
	c.log = log.With().Str("component", "broker").Str("connection_name", c.name).Logger()

	sess, closes, err := c.connect(ctx)
	if err != nil {
		stop()
		return nil, err
	}
	c.setUp(sess)
	c.log.Info().Str("broker", redactedAddr(cfg.URL)).Msg("connected")
	c.wg.Add(1)
	go c.supervise(sess, closes)
	return c, nil
}

// connect dials once and declares the topology on the new connection.
func (c *Client) connect(ctx context.Context) (*session, chan *amqp.Error, error) {
	props := amqp.NewConnectionProperties()
	props.SetClientConnectionName(c.name)
	conn, err := amqp.DialConfig(c.cfg.URL, amqp.Config{
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
		return nil, nil, fmt.Errorf("dial %s: %w", redactedAddr(c.cfg.URL), err)
	}
	// Registered before declaring, so a loss during declaration is not missed.
	closes := conn.NotifyClose(make(chan *amqp.Error, 1))
	if err := declare(conn, c.cfg, c.topo, c.log); err != nil {
		_ = conn.Close()
		return nil, nil, err
	}
	return &session{conn: conn, lost: make(chan struct{})}, closes, nil
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
			c.log.Info().Int("attempt", attempt).Msg("reconnected")
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
