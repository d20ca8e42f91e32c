package broker

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"
)

// Queue types accepted in Config.QueueType.
const (
	QueueTypeClassic = "classic"
	QueueTypeQuorum  = "quorum"
)

// Config is the broker configuration a service reads from its environment.
type Config struct {
	// URL is the broker address, amqp:// or amqps://, or the comma-separated
	// addresses of the nodes of a cluster, tried in turn (see Dial); it may
	// hold a password and is never logged.
	URL string `env:"AMQP_URL" envDefault:"amqp://guest:guest@127.0.0.1:5672/"`
	// InternalURL is the broker address (or addresses) of the messages
	// between the suite's services, in a virtual host of their own that
	// business systems have no permissions on; empty means the addresses of
	// URL with the virtual host InternalVhost.
	InternalURL string `env:"AMQP_INTERNAL_URL"`
	// QueueType is the one switch for every queue the suite declares:
	// classic or quorum.
	QueueType string `env:"AMQP_QUEUE_TYPE" envDefault:"classic"`
	// Prefetch is the number of unacked deliveries a consumer may hold; a
	// batching consumer holds at least workers × its batch size.
	Prefetch int `env:"AMQP_PREFETCH" envDefault:"64"`
	// DeadQueue receives poison messages; it is always declared.
	DeadQueue string `env:"AMQP_DEAD_QUEUE" envDefault:"pay.dead.queue"`
	// Name is shown to operators as the connection name in the management UI;
	// empty means "<program>@<hostname>".
	Name string `env:"AMQP_CONNECTION_NAME"`
	// MaxMessageBytes bounds the body of a message a consumer hands to its
	// handler; a larger one is dead-lettered unread (contract section 1:
	// 64 KiB), so a few huge messages cannot exhaust a service's memory.
	MaxMessageBytes int `env:"AMQP_MAX_MESSAGE_BYTES" envDefault:"65536"`
	// RequeueDelay is how long a consumer waits before it retries a message
	// whose handler failed for the first time; the wait doubles with every
	// further failure up to RetryBackoffMax, so a failing dependency does not
	// cause a hot loop.
	RequeueDelay time.Duration `env:"AMQP_REQUEUE_DELAY" envDefault:"1s"`
	// RetryBackoffMax caps the wait between two attempts at a message.
	RetryBackoffMax time.Duration `env:"AMQP_RETRY_BACKOFF_MAX" envDefault:"30s"`
	// MaxAttempts is how many times a handler may fail on one message before
	// it is dead-lettered (contract section 1: no message is retried
	// forever). With the default backoff, 10 attempts span about two and a
	// half minutes: enough to ride out a database or broker restart.
	MaxAttempts int `env:"AMQP_MAX_ATTEMPTS" envDefault:"10"`
}

// QuorumDeliveryLimit is the x-delivery-limit of every quorum queue the suite
// declares (and of the policy of scripts/broker-users.sh). It is one fixed
// number because every service declares every queue and the broker refuses a
// redeclaration with another value. The consumer counts its own attempts in a
// header and republishes a fresh copy for each, so the broker's count only
// grows when a consumer dies holding a message or a republish fails; the
// limit is the backstop that dead-letters instead of looping, and stays above
// MaxAttempts.
const QuorumDeliveryLimit = 100

// Defaults of the retry policy.
const (
	defaultMaxAttempts     = 10
	defaultRetryBackoffMax = 30 * time.Second
)

// defaultMaxMessageBytes is the contract's bound on a message (section 1).
const defaultMaxMessageBytes = 64 << 10

// InternalVhost is the virtual host of the internal messages when
// AMQP_INTERNAL_URL is not set.
const InternalVhost = "paysuite.internal"

// Internal is the configuration of the connection that carries the internal
// messages: the same settings at InternalURL, or at every address of URL with
// the virtual host InternalVhost.
func (c Config) Internal() (Config, error) {
	c.setDefaults()
	if c.InternalURL == "" {
		uris, err := parseAddresses("AMQP_URL", c.URL)
		if err != nil {
			return Config{}, err
		}
		internal := make([]string, len(uris))
		for i, uri := range uris {
			uri.Vhost = InternalVhost
			// String leaves a comma of the password as it is, which would
			// split the address.
			internal[i] = strings.ReplaceAll(uri.String(), ",", "%2C")
		}
		c.InternalURL = strings.Join(internal, ",")
	}
	c.URL = c.InternalURL
	return c, nil
}

// Addresses splits a broker address list (AMQP_URL, AMQP_INTERNAL_URL) into
// its URLs: one per node of a cluster, separated by commas. A comma in a
// user name or password is written %2C, as no other part of a URL holds one.
func Addresses(list string) []string {
	var out []string
	for _, a := range strings.Split(list, ",") {
		if a = strings.TrimSpace(a); a != "" {
			out = append(out, a)
		}
	}
	return out
}

// parseAddresses parses every address of list. Its errors name the variable
// and the position in the list, never the URL, which may hold a password.
func parseAddresses(name, list string) ([]amqp.URI, error) {
	addrs := Addresses(list)
	if len(addrs) == 0 {
		return nil, fmt.Errorf("%s: must not be empty", name)
	}
	uris := make([]amqp.URI, len(addrs))
	for i, a := range addrs {
		uri, err := amqp.ParseURI(a)
		if err != nil {
			if len(addrs) == 1 {
				return nil, fmt.Errorf("%s: not a valid amqp:// or amqps:// URL", name)
			}
			return nil, fmt.Errorf("%s: address %d of %d is not a valid amqp:// or amqps:// URL", name, i+1, len(addrs))
		}
		uris[i] = uri
	}
	return uris, nil
}

// setDefaults fills zero values with the same defaults the env tags give, so
// a Config built in code needs only what differs.
func (c *Config) setDefaults() {
	if c.URL == "" {
		c.URL = "amqp://guest:guest@127.0.0.1:5672/"
	}
	if c.QueueType == "" {
		c.QueueType = QueueTypeClassic
	}
	if c.Prefetch == 0 {
		c.Prefetch = 64
	}
	if c.DeadQueue == "" {
		c.DeadQueue = "pay.dead.queue"
	}
	if c.RequeueDelay == 0 {
		c.RequeueDelay = defaultRequeueIn
	}
	if c.MaxMessageBytes == 0 {
		c.MaxMessageBytes = defaultMaxMessageBytes
	}
	if c.MaxAttempts == 0 {
		c.MaxAttempts = defaultMaxAttempts
	}
	if c.RetryBackoffMax == 0 {
		c.RetryBackoffMax = max(defaultRetryBackoffMax, c.RequeueDelay)
	}
}

// Validate reports every invalid setting; each error names its environment variable.
func (c Config) Validate() error {
	var errs []error
	if _, err := parseAddresses("AMQP_URL", c.URL); err != nil {
		errs = append(errs, err)
	}
	if c.InternalURL != "" {
		if _, err := parseAddresses("AMQP_INTERNAL_URL", c.InternalURL); err != nil {
			errs = append(errs, err)
		}
	}
	switch c.QueueType {
	case QueueTypeClassic, QueueTypeQuorum:
	default:
		errs = append(errs, errors.New("AMQP_QUEUE_TYPE: must be classic or quorum"))
	}
	if c.Prefetch < 1 || c.Prefetch > 65535 {
		errs = append(errs, fmt.Errorf("AMQP_PREFETCH: must be between 1 and 65535, got %d", c.Prefetch))
	}
	if strings.TrimSpace(c.DeadQueue) == "" {
		errs = append(errs, errors.New("AMQP_DEAD_QUEUE: must not be empty"))
	}
	if c.MaxMessageBytes < 1 {
		errs = append(errs, fmt.Errorf("AMQP_MAX_MESSAGE_BYTES: must be positive, got %d", c.MaxMessageBytes))
	}
	if c.RequeueDelay < 0 {
		errs = append(errs, fmt.Errorf("AMQP_REQUEUE_DELAY: must not be negative, got %s", c.RequeueDelay))
	}
	if c.RetryBackoffMax < c.RequeueDelay {
		errs = append(errs, fmt.Errorf("AMQP_RETRY_BACKOFF_MAX: must be at least AMQP_REQUEUE_DELAY (%s), got %s", c.RequeueDelay, c.RetryBackoffMax))
	}
	if c.MaxAttempts < 1 || c.MaxAttempts >= QuorumDeliveryLimit {
		errs = append(errs, fmt.Errorf("AMQP_MAX_ATTEMPTS: must be between 1 and %d, got %d", QuorumDeliveryLimit-1, c.MaxAttempts))
	}
	return errors.Join(errs...)
}

// connectionName is the name operators see for this client's connection.
func (c Config) connectionName() string {
	if c.Name != "" {
		return c.Name
	}
	host, err := os.Hostname()
	if err != nil || host == "" {
		host = "unknown-host"
	}
	return filepath.Base(os.Args[0]) + "@" + host
}
