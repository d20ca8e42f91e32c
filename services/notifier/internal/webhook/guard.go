package webhook

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"syscall"
	"time"
)

// ErrDestinationRefused is returned, wrapped, for a connection to an address
// the configuration does not allow.
var ErrDestinationRefused = errors.New("destination address not allowed")

// Policy says which destination addresses webhooks may connect to. Public
// unicast addresses are always allowed.
type Policy struct {
	// AllowPrivate allows private, loopback, link-local and other non-public
	// addresses (for deployments whose receivers sit in the same network).
	AllowPrivate bool
	// AllowLoopback allows loopback only (development).
	AllowLoopback bool
}

// sharedAddressSpace is RFC 6598 carrier-grade NAT space, not reachable from
// the internet either.
var sharedAddressSpace = netip.MustParsePrefix("100.64.0.0/10")

// Check returns nil when ip may be dialled.
func (p Policy) Check(ip netip.Addr) error {
	ip = ip.Unmap()
	if p.AllowPrivate {
		return nil
	}
	if ip.IsLoopback() {
		if p.AllowLoopback {
			return nil
		}
		return fmt.Errorf("%w: %s is loopback", ErrDestinationRefused, ip)
	}
	switch {
	case ip.IsPrivate(), sharedAddressSpace.Contains(ip):
		return fmt.Errorf("%w: %s is private", ErrDestinationRefused, ip)
	case ip.IsLinkLocalUnicast(), ip.IsLinkLocalMulticast():
		return fmt.Errorf("%w: %s is link-local", ErrDestinationRefused, ip)
	case ip.IsUnspecified(), ip.IsMulticast(), ip.IsInterfaceLocalMulticast():
		return fmt.Errorf("%w: %s is not a unicast address", ErrDestinationRefused, ip)
	case !ip.IsGlobalUnicast():
		return fmt.Errorf("%w: %s is not a global unicast address", ErrDestinationRefused, ip)
	}
	return nil
}

// control runs after name resolution, on the address actually dialled, so a
// hostname that resolves to a forbidden address is refused too.
func (p Policy) control(_, address string, _ syscall.RawConn) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return fmt.Errorf("%w: cannot parse %q", ErrDestinationRefused, address)
	}
	return p.Check(ap.Addr())
}

// NewClient returns the HTTP client webhooks are sent with: every connection is
// checked against p, no proxy from the environment, no redirects followed (a
// redirect is an answer like any other non-2xx one).
func NewClient(p Policy, timeout time.Duration) *http.Client {
	dialer := &net.Dialer{Timeout: min(timeout, 10*time.Second), KeepAlive: 30 * time.Second, Control: p.control}
	transport := &http.Transport{
		Proxy:                 nil,
		DialContext:           dialer.DialContext,
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          100,
		MaxIdleConnsPerHost:   4,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   min(timeout, 10*time.Second),
		ResponseHeaderTimeout: timeout,
	}
	return &http.Client{
		Transport:     transport,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}
