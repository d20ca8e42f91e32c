// Package checkout serves the matcher's orders over HTTP (contract section
// 8): the order API (POST and GET /v1/orders) and the payer's view of an
// order that the hosted checkout page is built on. It keeps no state of its
// own beyond a rate limit: every replica serves every order of the schema.
package checkout

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"time"

	"github.com/rs/zerolog"

	"paysuite/pkg/config/onchain"
	"paysuite/pkg/sign"
	"paysuite/services/matcher/internal/config"
	"paysuite/services/matcher/internal/requests"
	"paysuite/services/matcher/internal/store"
)

// Timeouts of the HTTP server. There is no write timeout: the page's event
// streams stay open.
const (
	readHeaderTimeout = 10 * time.Second
	readTimeout       = 30 * time.Second
	idleTimeout       = 2 * time.Minute
	maxHeaderBytes    = 16 << 10
	// shutdownGrace is how long requests in flight may finish on the way out.
	shutdownGrace = 5 * time.Second
)

// Options are what a Server needs.
type Options struct {
	// Requests runs the order flow: the same handler as the request queue's.
	Requests *requests.Handler
	Store    *store.Store
	// Chains are the chains orders are payable on, for each order's networks.
	Chains []onchain.Chain
	// Sealer signs the order states GET /v1/orders answers.
	Sealer sign.Sealer
	Config config.Checkout
	Log    zerolog.Logger
	// Now is the clock of seconds_left; nil means time.Now.
	Now func() time.Time
}

// Server is the checkout's HTTP server.
type Server struct {
	requests  *requests.Handler
	store     *store.Store
	chains    map[string]onchain.Chain
	sealer    sign.Sealer
	publicURL string
	maxBody   int64
	addr      string
	listening func(string)
	limit     *limiter
	log       zerolog.Logger
	now       func() time.Time
	mux       *http.ServeMux
	// stopping is closed when the server starts shutting down: long-lived
	// responses (event streams) end then.
	stopping chan struct{}
}

// New builds a Server; Run serves it.
func New(o Options) *Server {
	chains := make(map[string]onchain.Chain, len(o.Chains))
	for _, ch := range o.Chains {
		chains[ch.Name] = ch
	}
	now := o.Now
	if now == nil {
		now = time.Now
	}
	s := &Server{
		requests: o.Requests, store: o.Store, chains: chains, sealer: o.Sealer, publicURL: o.Config.PublicURL,
		maxBody: o.Config.MaxBodyBytes, addr: o.Config.Addr, listening: o.Config.Listening,
		limit: newLimiter(o.Config.RatePerMinute, now), log: o.Log.With().Str("part", "checkout").Logger(),
		now: now, mux: http.NewServeMux(), stopping: make(chan struct{}),
	}
	s.routes()
	return s
}

// routes registers every route of the checkout. Methods are checked by the
// handlers, so that a wrong one is answered with a JSON error too.
func (s *Server) routes() {
	s.mux.HandleFunc("/v1/orders", s.orders)
	s.mux.HandleFunc("/v1/orders/{request_id}", s.order)
	s.routePage(s.mux)
	s.mux.HandleFunc("/", func(w http.ResponseWriter, _ *http.Request) {
		writeAPIError(w, errNotFound, "no such route")
	})
}

// ServeHTTP applies the per-client rate limit, then routes.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if wait, ok := s.limit.allow(clientIP(r)); !ok {
		w.Header().Set("Retry-After", strconv.Itoa(int((wait+time.Second-1)/time.Second)))
		writeAPIError(w, errRateLimited, "too many requests from this address; retry after the time in Retry-After")
		return
	}
	s.mux.ServeHTTP(w, r)
}

// Run listens on the configured address and serves until ctx ends, then
// gives the requests in flight a short grace.
func (s *Server) Run(ctx context.Context) error {
	ln, err := net.Listen("tcp", s.addr)
	if err != nil {
		return fmt.Errorf("checkout: listen on %s (CHECKOUT_ADDR): %w", s.addr, err)
	}
	srv := &http.Server{
		Handler: s, ReadHeaderTimeout: readHeaderTimeout, ReadTimeout: readTimeout, IdleTimeout: idleTimeout,
		MaxHeaderBytes: maxHeaderBytes, BaseContext: func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
	}
	srv.RegisterOnShutdown(func() { close(s.stopping) })
	s.log.Info().Str("addr", ln.Addr().String()).Str("public_url", s.publicURL).Msg("checkout listening")
	if s.listening != nil {
		s.listening(ln.Addr().String())
	}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	go s.limit.sweep(ctx)
	select {
	case err := <-done:
		return fmt.Errorf("checkout: %w", err)
	case <-ctx.Done():
	}
	grace, cancel := context.WithTimeout(context.WithoutCancel(ctx), shutdownGrace)
	defer cancel()
	if err := srv.Shutdown(grace); err != nil {
		_ = srv.Close()
	}
	if err := <-done; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("checkout: %w", err)
	}
	return nil
}

// clientIP is the address the rate limit counts a request against: the
// peer's. Behind a reverse proxy every client shares the proxy's, so the
// proxy should limit instead.
func clientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}
