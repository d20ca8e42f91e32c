package checkout

import (
	"bytes"
	"context"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/rs/zerolog"
)

// assets are the page's template, style sheet and script, built into the
// binary: the page needs no CDN, web font or file beside the matcher.
//
//go:embed assets
var assets embed.FS

// pageHTML is the payment page. It is parsed from the embedded assets, so a
// mistake in it fails every test of the page, never a running matcher.
var pageHTML = template.Must(template.ParseFS(assets, "assets/page.html"))

// staticFiles are the page's files under /checkout/static/.
var staticFiles = []string{"checkout.css", "checkout.js"}

// Timings and bounds of the event streams.
const (
	// pollEvery is how often an open stream reads its order's view: a read
	// by unique key, so a stream costs about one small query a second.
	pollEvery = time.Second
	// keepAliveEvery is how often an idle stream sends a comment, so proxies
	// keep it open and a vanished client is noticed.
	keepAliveEvery = 15 * time.Second
	// writeWithin bounds each write to a stream: a client that stops reading
	// loses its stream instead of holding it.
	writeWithin = 10 * time.Second
	// maxStreams bounds the event streams one server holds open at once.
	maxStreams = 2000
)

// errStreamsBusy answers an event stream beyond maxStreams.
var errStreamsBusy = apiError{http.StatusServiceUnavailable, "busy"}

// routePage adds the payer's routes: the hosted payment page of an order
// found by its checkout token, its view as JSON and as server-sent events,
// and the page's static files.
func (s *Server) routePage(mux *http.ServeMux) {
	p := &page{view: s.viewByToken, done: s.stopping, streams: make(chan struct{}, maxStreams), poll: pollEvery, log: s.log}
	mux.HandleFunc("/checkout/{token}", p.show)
	mux.HandleFunc("/checkout/{token}/state", p.state)
	mux.HandleFunc("/checkout/{token}/events", p.events)
	// One route per file: a subtree /checkout/static/ would overlap
	// /checkout/{token}/state.
	for _, name := range staticFiles {
		mux.HandleFunc("/checkout/static/"+name, func(w http.ResponseWriter, r *http.Request) {
			if !readOnly(w, r) {
				return
			}
			// The files change only with a new matcher.
			w.Header().Set("Cache-Control", "public, max-age=3600")
			w.Header().Set("X-Content-Type-Options", "nosniff")
			http.ServeFileFS(w, r, assets, "assets/"+name)
		})
	}
}

// page serves an order's payer.
type page struct {
	// view is the view of the order with a checkout token, nil when no
	// order has it.
	view func(ctx context.Context, token string) (*View, error)
	// done, closed when the server shuts down, ends the open streams.
	done <-chan struct{}
	// streams holds one slot per open event stream.
	streams chan struct{}
	poll    time.Duration
	log     zerolog.Logger
}

// show renders the payment page as the order stands now. Everything a payer
// needs is in the HTML; the script only keeps the status and countdown live.
func (p *page) show(w http.ResponseWriter, r *http.Request) {
	token := r.PathValue("token")
	v, ok := p.find(w, r, token, false)
	if !ok {
		return
	}
	html, err := renderPage(v, token, time.Now())
	if err != nil {
		p.fail(w, r, false, err)
		return
	}
	pageHeaders(w, "text/html; charset=utf-8")
	_, _ = w.Write(html)
}

// state answers the order's view as JSON: the payer's own, so unsigned.
func (p *page) state(w http.ResponseWriter, r *http.Request) {
	v, ok := p.find(w, r, r.PathValue("token"), true)
	if !ok {
		return
	}
	body, err := json.Marshal(v)
	if err != nil {
		p.fail(w, r, true, err)
		return
	}
	pageHeaders(w, "application/json")
	_, _ = w.Write(body)
}

// events streams the order's view: a `state` event at once and another
// whenever the order changes, until the client leaves or the server stops.
func (p *page) events(w http.ResponseWriter, r *http.Request) {
	token := r.PathValue("token")
	v, ok := p.find(w, r, token, true)
	if !ok {
		return
	}
	select {
	case p.streams <- struct{}{}:
		defer func() { <-p.streams }()
	default:
		w.Header().Set("Retry-After", "5")
		writeAPIError(w, errStreamsBusy, "too many open event streams; retry shortly")
		return
	}
	ctx := r.Context()
	out := http.NewResponseController(w)
	pageHeaders(w, "text/event-stream")
	w.Header().Set("X-Accel-Buffering", "no") // a buffering proxy would hold the events back
	w.WriteHeader(http.StatusOK)
	// The reconnection delay first, then the view as it is.
	if !p.send(out, w, "retry: 2000\n\n") || !p.send(out, w, stateEvent(v)) {
		return
	}
	last := withoutClock(v)
	tick := time.NewTicker(p.poll)
	defer tick.Stop()
	idle := time.Duration(0)
	for {
		select {
		case <-ctx.Done():
			return
		case <-p.done:
			return
		case <-tick.C:
		}
		v, err := p.view(ctx, token)
		if err != nil || v == nil {
			if err != nil && ctx.Err() == nil {
				p.log.Warn().Err(err).Msg("checkout event stream: read the order view")
			}
			continue // a passing database error: the next tick tries again
		}
		idle += p.poll
		msg := ""
		if now := withoutClock(v); !bytes.Equal(now, last) {
			msg, last = stateEvent(v), now
		} else if idle >= keepAliveEvery {
			msg = ": keep-alive\n\n"
		}
		if msg == "" {
			continue
		}
		if !p.send(out, w, msg) {
			return
		}
		idle = 0
	}
}

// send writes msg to a stream within writeWithin and flushes it; false when
// the client is gone.
func (p *page) send(out *http.ResponseController, w http.ResponseWriter, msg string) bool {
	if err := out.SetWriteDeadline(time.Now().Add(writeWithin)); err != nil && !errors.Is(err, http.ErrNotSupported) {
		return false
	}
	if _, err := io.WriteString(w, msg); err != nil {
		return false
	}
	return out.Flush() == nil
}

// stateEvent is v as a server-sent `state` event. Its JSON is one line:
// encoding/json escapes the newlines inside strings.
func stateEvent(v *View) string {
	body, err := json.Marshal(v)
	if err != nil {
		body = []byte("{}") // a View always marshals
	}
	return "event: state\ndata: " + string(body) + "\n\n"
}

// withoutClock is v as JSON without seconds_left, which changes every
// second by itself: a stream sends a new event when the order changes, and
// the page counts down on its own.
func withoutClock(v *View) []byte {
	c := *v
	c.SecondsLeft = 0
	body, _ := json.Marshal(c)
	return body
}

// find reads the view of token's order, answering 404 itself when there is
// none and 500 when it cannot be read; asJSON picks the error's form.
func (p *page) find(w http.ResponseWriter, r *http.Request, token string, asJSON bool) (*View, bool) {
	if !readOnly(w, r) {
		return nil, false
	}
	if !validToken(token) {
		p.notFound(w, asJSON)
		return nil, false
	}
	v, err := p.view(r.Context(), token)
	switch {
	case err != nil:
		p.fail(w, r, asJSON, err)
		return nil, false
	case v == nil:
		p.notFound(w, asJSON)
		return nil, false
	}
	return v, true
}

// readOnly answers a method other than GET and HEAD with a JSON error, as
// the order API does, and says whether r may go on.
func readOnly(w http.ResponseWriter, r *http.Request) bool {
	if r.Method == http.MethodGet || r.Method == http.MethodHead {
		return true
	}
	w.Header().Set("Allow", "GET, HEAD")
	writeAPIError(w, errMethod, "the checkout page is read with GET")
	return false
}

func (p *page) notFound(w http.ResponseWriter, asJSON bool) {
	if asJSON {
		writeAPIError(w, errNotFound, "no order has this checkout token")
		return
	}
	pageHeaders(w, "text/html; charset=utf-8")
	w.WriteHeader(http.StatusNotFound)
	_, _ = io.WriteString(w, notFoundHTML)
}

func (p *page) fail(w http.ResponseWriter, r *http.Request, asJSON bool, err error) {
	if r.Context().Err() != nil {
		return // the client left
	}
	p.log.Error().Err(err).Msg("checkout page")
	if asJSON {
		writeAPIError(w, errInternal, "the order cannot be read right now; retry shortly")
		return
	}
	pageHeaders(w, "text/html; charset=utf-8")
	w.WriteHeader(http.StatusInternalServerError)
	_, _ = io.WriteString(w, failedHTML)
}

// pageHeaders are the headers of every answer about an order: never cached
// (its state changes), never framed, scripts and styles only from the
// checkout itself, and the token in the address never sent to another site
// in a Referer.
func pageHeaders(w http.ResponseWriter, contentType string) {
	h := w.Header()
	h.Set("Content-Type", contentType)
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'self'; script-src 'self'; connect-src 'self'; "+
		"img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'")
}

// validToken says whether token can be a checkout token (16 bytes in
// base64url without padding), so that anything else is refused without a
// query.
func validToken(token string) bool {
	if len(token) != 22 {
		return false
	}
	for _, c := range token {
		if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

const notFoundHTML = `<!doctype html><html lang="en"><head><meta charset="utf-8">` +
	`<meta name="viewport" content="width=device-width, initial-scale=1"><title>Payment not found</title>` +
	`<link rel="stylesheet" href="static/checkout.css"></head><body><main><h1>Payment not found</h1>` +
	`<p>This payment link is not known. Check the link, or ask the shop for a new one.</p></main></body></html>`

const failedHTML = `<!doctype html><html lang="en"><head><meta charset="utf-8">` +
	`<meta name="viewport" content="width=device-width, initial-scale=1"><title>Payment page unavailable</title>` +
	`<link rel="stylesheet" href="static/checkout.css"></head><body><main><h1>Please try again</h1>` +
	`<p>The payment cannot be shown right now. Reload the page in a moment.</p></main></body></html>`

// pageData is what the template shows.
type pageData struct {
	View     *View
	Networks []pageNetwork
	// Base and Static are relative to the page's own address, so the page
	// works behind a proxy that serves it under any prefix.
	Base, Static string
	// TimeLeft, ExpiresAt and RenderedAt are as of rendering; the script
	// keeps the first current.
	TimeLeft, ExpiresAt, RenderedAt string
}

// pageNetwork is a network with its QR code.
type pageNetwork struct {
	Network
	// URI is the EIP-681 URI as a link a wallet opens.
	URI template.URL
	QR  template.HTML
}

// renderPage is the page of the order v, whose checkout token is token, as
// of now.
func renderPage(v *View, token string, now time.Time) ([]byte, error) {
	data := pageData{
		View: v, Base: token, Static: "static",
		TimeLeft:   timeLeft(v.SecondsLeft),
		ExpiresAt:  time.Unix(v.ExpiresAt, 0).UTC().Format("2 Jan 2006 15:04 MST"),
		RenderedAt: now.UTC().Format("15:04:05 MST"),
	}
	for _, n := range v.Networks {
		qr, err := qrSVG(n.URI)
		if err != nil {
			return nil, fmt.Errorf("QR code of %s: %w", n.URI, err)
		}
		pn := pageNetwork{Network: n, QR: qr}
		// Only a payment URI becomes a link; html/template would neuter any
		// other scheme anyway.
		if strings.HasPrefix(n.URI, "ethereum:") {
			pn.URI = template.URL(n.URI)
		}
		data.Networks = append(data.Networks, pn)
	}
	var b bytes.Buffer
	if err := pageHTML.Execute(&b, data); err != nil {
		return nil, fmt.Errorf("render the payment page: %w", err)
	}
	return b.Bytes(), nil
}

// timeLeft is seconds as the page's countdown shows it: m:ss, or h:mm:ss
// from an hour on.
func timeLeft(seconds int64) string {
	if seconds <= 0 {
		return "0:00"
	}
	h, m, s := seconds/3600, seconds%3600/60, seconds%60
	if h > 0 {
		return fmt.Sprintf("%d:%02d:%02d", h, m, s)
	}
	return fmt.Sprintf("%d:%02d", m, s)
}
