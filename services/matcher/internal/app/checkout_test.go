package app_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/legacy"
	"github.com/rs/zerolog"

	"paysuite/pkg/broker"
	"paysuite/pkg/broker/brokertest"
	"paysuite/pkg/contract"
	"paysuite/pkg/devchain"
	"paysuite/pkg/erc20"
	"paysuite/pkg/service/flowtest"
	"paysuite/pkg/service/servicetest"
	"paysuite/pkg/sign"
	"paysuite/pkg/witness/witnesstest"
	"paysuite/services/matcher/internal/app"
	"paysuite/services/matcher/internal/checkout"
	"paysuite/services/matcher/internal/config"
)

// publicURL is the checkout's public URL in the tests: where payers would
// reach it, not where the test does.
const publicURL = "https://pay.shop.example"

// checkoutSuite is the matcher with its checkout, and the test as an HTTP
// client that checks every answer against proto/openapi.yaml.
type checkoutSuite struct {
	*suite
	// base is the checkout's bound address, as an http:// URL.
	base   string
	router routers.Router
}

// startCheckout runs the matcher with its checkout on a free port.
func startCheckout(t *testing.T) *checkoutSuite {
	t.Helper()
	t.Setenv("CHECKOUT_ADDR", "127.0.0.1:0")
	t.Setenv("CHECKOUT_PUBLIC_URL", publicURL)
	bound := make(chan string, 1)
	s := &suite{flowtest.Start(t, matcher, withCheckout(bound))}
	return &checkoutSuite{suite: s, base: listening(t, bound), router: openAPIRouter(t)}
}

// withCheckout is app.Run telling bound where its checkout listens.
func withCheckout(bound chan<- string) func(context.Context, config.Config, zerolog.Logger) error {
	return func(ctx context.Context, cfg config.Config, log zerolog.Logger) error {
		cfg.Checkout.Listening = func(addr string) { bound <- addr }
		return app.Run(ctx, cfg, log)
	}
}

// listening waits for the checkout's bound address.
func listening(t *testing.T, bound <-chan string) string {
	t.Helper()
	select {
	case addr := <-bound:
		return "http://" + addr
	case <-time.After(brokertest.Wait):
		t.Fatal("the checkout did not start listening")
	case <-t.Context().Done():
	}
	return ""
}

// openAPIRouter finds the operations of proto/openapi.yaml, whatever the
// server's address.
func openAPIRouter(t *testing.T) routers.Router {
	t.Helper()
	doc, err := openapi3.NewLoader().LoadFromFile("../../../../proto/openapi.yaml")
	if err != nil {
		t.Fatal(err)
	}
	doc.Servers = nil
	router, err := legacy.NewRouter(doc)
	if err != nil {
		t.Fatal(err)
	}
	return router
}

// answer is an HTTP answer of the checkout.
type answer struct {
	Status int
	Header http.Header
	Body   []byte
}

// field reads a top-level string field of the answer's JSON body.
func (a answer) field(name string) string {
	var fields map[string]any
	_ = json.Unmarshal(a.Body, &fields)
	s, _ := fields[name].(string)
	return s
}

// call makes a request to the checkout at base and checks the answer
// against the OpenAPI document; safe for concurrent use.
func (c *checkoutSuite) call(base, method, path, contentType string, body []byte) (answer, error) {
	req, err := http.NewRequestWithContext(c.T.Context(), method, base+path, bytes.NewReader(body))
	if err != nil {
		return answer{}, err
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return answer{}, err
	}
	defer resp.Body.Close()
	a := answer{Status: resp.StatusCode, Header: resp.Header}
	if a.Body, err = io.ReadAll(resp.Body); err != nil {
		return a, err
	}
	return a, c.conforms(req, a)
}

// conforms checks a against the operation of req in the OpenAPI document;
// for a method the path does not have, against the path's own operation,
// which documents the 405.
func (c *checkoutSuite) conforms(req *http.Request, a answer) error {
	route, params, err := c.router.FindRoute(req)
	if err != nil {
		for _, m := range []string{http.MethodPost, http.MethodGet} {
			other := req.Clone(req.Context())
			other.Method = m
			if route, params, err = c.router.FindRoute(other); err == nil {
				req = other
				break
			}
		}
	}
	if err != nil {
		return fmt.Errorf("%s %s: not in openapi.yaml: %w", req.Method, req.URL.Path, err)
	}
	opts := &openapi3filter.Options{IncludeResponseStatus: true}
	err = openapi3filter.ValidateResponse(c.T.Context(), &openapi3filter.ResponseValidationInput{
		RequestValidationInput: &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route, Options: opts},
		Status:                 a.Status, Header: a.Header, Body: io.NopCloser(bytes.NewReader(a.Body)), Options: opts,
	})
	if err != nil {
		return fmt.Errorf("%s %s answered %d %s, not as openapi.yaml says: %w", req.Method, req.URL.Path, a.Status, a.Body, err)
	}
	return nil
}

// do is call on the suite's checkout, failing the test on an error.
func (c *checkoutSuite) do(method, path, contentType string, body []byte) answer {
	c.T.Helper()
	a, err := c.call(c.base, method, path, contentType, body)
	if err != nil {
		c.T.Fatal(err)
	}
	return a
}

// post sends body as an order request.
func (c *checkoutSuite) post(body []byte) answer {
	c.T.Helper()
	return c.do(http.MethodPost, "/v1/orders", "application/json", body)
}

// signed is an order request of id, signed with the suite's secret at ts.
func (c *checkoutSuite) signed(id, amount string, ts time.Time, extra ...any) []byte {
	c.T.Helper()
	fields := map[string]any{"request_id": id, "order_id": "o-" + id, "amount": amount}
	for i := 0; i+1 < len(extra); i += 2 {
		fields[extra[i].(string)] = extra[i+1]
	}
	return servicetest.Sign(c.T, c.Secret, fields, ts)
}

// expectStatus checks a's status and, for a return, its event, status and
// error.
func (c *checkoutSuite) expectStatus(a answer, status int, event string, returnStatus int, code string) servicetest.Return {
	c.T.Helper()
	if a.Status != status {
		c.T.Fatalf("answered %d %s, want %d", a.Status, a.Body, status)
	}
	fields, err := sign.ParseFields(a.Body)
	if err != nil {
		c.T.Fatal(err)
	}
	r := servicetest.Return{Delivery: broker.Delivery{Body: a.Body}, Fields: fields}
	if !r.Is(r.Str("request_id"), event, returnStatus) || r.Str("error") != code || !r.SignedWith(c.Secret) {
		c.T.Fatalf("answered %s, want a signed %s status %d %s", a.Body, event, returnStatus, code)
	}
	return r
}

// expectError checks that a is the error code with status.
func (c *checkoutSuite) expectError(a answer, status int, code string) {
	c.T.Helper()
	if a.Status != status || a.field("error") != code || a.field("message") == "" {
		c.T.Fatalf("answered %d %s, want %d %s", a.Status, a.Body, status, code)
	}
}

// nextIs checks that the next return on the queue is body, byte for byte.
func (c *checkoutSuite) nextIs(body []byte) {
	c.T.Helper()
	if r := c.Next(); !bytes.Equal(r.Body, body) {
		c.T.Fatalf("the return queue got %s, the HTTP answer was %s", r.Body, body)
	}
}

// orderState is the GET view of id.
type orderState struct {
	Event       string `json:"event"`
	Status      int    `json:"status"`
	RequestID   string `json:"request_id"`
	State       string `json:"state"`
	PayAmount   string `json:"pay_amount"`
	PaidAmount  string `json:"paid_amount"`
	SecondsLeft int64  `json:"seconds_left"`
	CheckoutURL string `json:"checkout_url"`
	Networks    []struct {
		Chain      string `json:"chain"`
		ChainID    uint64 `json:"chain_id"`
		Token      string `json:"token"`
		PayAddress string `json:"pay_address"`
		BaseUnits  string `json:"base_units"`
		URI        string `json:"uri"`
	} `json:"networks"`
}

// wantStatus is the status of a view in each state.
var wantStatus = map[string]int{"waiting": 2, "seen": 2, "partial": 2, "paid": 1, "expired": 0}

// state reads the order of id over GET and checks it is sealed and in state.
func (c *checkoutSuite) state(id, state string) orderState {
	c.T.Helper()
	a := c.do(http.MethodGet, "/v1/orders/"+id, "", nil)
	fields, err := sign.ParseFields(a.Body)
	if a.Status != http.StatusOK || err != nil || sign.Verify(c.Secret, fields) != nil {
		c.T.Fatalf("GET %s answered %d %s, want it sealed", id, a.Status, a.Body)
	}
	var v orderState
	if err := json.Unmarshal(a.Body, &v); err != nil {
		c.T.Fatal(err)
	}
	if v.RequestID != id || v.State != state || v.Event != checkout.EventOrder || v.Status != wantStatus[state] {
		c.T.Fatalf("GET %s answered %s, want event order, state %s, status %d", id, a.Body, state, wantStatus[state])
	}
	// A signed view is a return: posted back as a request it is refused.
	c.expectStatus(c.post(a.Body), http.StatusBadRequest, contract.EventRejected, contract.StatusFailed, contract.ErrInvalidRequest)
	return v
}

// TestCheckoutOrders: orders over HTTP are the order flow itself. A new
// order is answered 201 with its created return, which carries its
// checkout_url and is what the return queue gets; a repeat, and a request
// first made over the queue, 200 with the stored return; a bad signature or
// stale timestamp 401 with a rejected return that goes nowhere else; a
// refusal 422 with the status-0 created return; what is not a request at
// all, too large, of the wrong method or content type, an error body. GET
// follows the order through waiting, seen, paid, partial and expired.
// Every answer is as proto/openapi.yaml documents it.
func TestCheckoutOrders(t *testing.T) {
	c := startCheckout(t)

	body := c.signed("h-1", "7.5", time.Now())
	created := c.expectStatus(c.post(body), http.StatusCreated, contract.EventCreated, contract.StatusSuccess, "")
	c.nextIs(created.Body)
	url := created.Str("checkout_url")
	if token := strings.TrimPrefix(url, publicURL+"/checkout/"); len(token) != 22 || token == url {
		t.Fatalf("checkout_url %q, want %s/checkout/ and a 22-character token", url, publicURL)
	}
	again := c.expectStatus(c.post(body), http.StatusOK, contract.EventCreated, contract.StatusSuccess, "")
	if !bytes.Equal(again.Body, created.Body) {
		t.Fatalf("repeat answered %s, want %s", again.Body, created.Body)
	}
	c.nextIs(created.Body)
	stale := c.signed("h-1", "7.5", time.Now().Add(-time.Hour))
	c.expectStatus(c.post(stale), http.StatusOK, contract.EventCreated, contract.StatusSuccess, "")
	c.nextIs(created.Body)

	// Over the queue first, then over HTTP: one request.
	c.Request(map[string]any{"request_id": "q-1", "order_id": "o-q-1", "amount": "2"}, c.Secret, time.Now())
	queued := c.Expect("q-1", contract.EventCreated, contract.StatusSuccess, "")
	if !strings.HasPrefix(queued.Str("checkout_url"), publicURL+"/checkout/") {
		t.Fatalf("created over the queue %s, want a checkout_url", queued.Body)
	}
	overHTTP := c.expectStatus(c.post(c.signed("q-1", "2", time.Now())), http.StatusOK, contract.EventCreated, contract.StatusSuccess, "")
	if !bytes.Equal(overHTTP.Body, queued.Body) {
		t.Fatalf("HTTP answered %s, want the queue's %s", overHTTP.Body, queued.Body)
	}
	c.nextIs(queued.Body)
	if n := c.Count("SELECT COUNT(*) FROM orders WHERE request_id = 'q-1'"); n != 1 {
		t.Fatalf("%d orders of q-1", n)
	}

	// Not authenticated: rejected, and nothing else.
	forged := servicetest.Sign(t, []byte("not the suite's secret"), map[string]any{"request_id": "h-2", "order_id": "o-h-2", "amount": "1"}, time.Now())
	c.expectStatus(c.post(forged), http.StatusUnauthorized, contract.EventRejected, contract.StatusFailed, contract.ErrBadSignature)
	unsigned := []byte(`{"request_id":"h-1","order_id":"o-h-1","amount":"7.5","timestamp":` + strconv.FormatInt(time.Now().Unix(), 10) + `}`)
	c.expectStatus(c.post(unsigned), http.StatusUnauthorized, contract.EventRejected, contract.StatusFailed, contract.ErrBadSignature)
	c.expectStatus(c.post(c.signed("h-2", "1", time.Now().Add(-time.Hour))), http.StatusUnauthorized,
		contract.EventRejected, contract.StatusFailed, contract.ErrStaleTimestamp)
	c.expectStatus(c.post(created.Body), http.StatusBadRequest, contract.EventRejected, contract.StatusFailed, contract.ErrInvalidRequest)

	// A refusal is the request's answer: 422, and the same bytes on the queue.
	refused := c.expectStatus(c.post(c.signed("h-3", "-1", time.Now())), http.StatusUnprocessableEntity,
		contract.EventCreated, contract.StatusFailed, contract.ErrInvalidAmount)
	c.nextIs(refused.Body)
	if refused.Str("checkout_url") != "" {
		t.Fatalf("refusal %s carries a checkout_url", refused.Body)
	}

	// No return can carry these.
	c.expectError(c.post([]byte(`{"request_id":`)), http.StatusBadRequest, "invalid_json")
	c.expectError(c.post([]byte(`{"order_id":"o-1"}`)), http.StatusBadRequest, "invalid_request_id")
	padded := c.signed("h-4", "1", time.Now(), "note", strings.Repeat("x", 70<<10))
	c.expectError(c.post(padded), http.StatusRequestEntityTooLarge, "body_too_large")
	c.expectError(c.do(http.MethodPost, "/v1/orders", "text/plain", c.signed("h-4", "1", time.Now())), http.StatusUnsupportedMediaType, "unsupported_media_type")
	wrong := c.do(http.MethodPut, "/v1/orders", "application/json", c.signed("h-4", "1", time.Now()))
	c.expectError(wrong, http.StatusMethodNotAllowed, "method_not_allowed")
	if wrong.Header.Get("Allow") != http.MethodPost {
		t.Fatalf("405 with Allow %q", wrong.Header.Get("Allow"))
	}
	c.expectError(c.do(http.MethodPost, "/v1/orders/h-1", "application/json", nil), http.StatusMethodNotAllowed, "method_not_allowed")
	c.expectError(c.do(http.MethodGet, "/v1/orders/nobody", "", nil), http.StatusNotFound, "not_found")
	if n := c.Count("SELECT COUNT(*) FROM orders WHERE request_id IN ('h-2', 'h-3', 'h-4')"); n != 0 {
		t.Fatalf("%d orders of requests that opened none", n)
	}

	// The order's state, as it moves.
	v := c.state("h-1", "waiting")
	if v.CheckoutURL != url || v.PayAmount != "7.5" || v.PaidAmount != "0" || v.SecondsLeft <= 0 || len(v.Networks) != 1 {
		t.Fatalf("view of h-1 %+v", v)
	}
	n := v.Networks[0]
	wantURI := fmt.Sprintf("ethereum:%s@%d/transfer?address=%s&uint256=7500000", strings.ToLower(erc20.DevTokenAddress),
		devchain.ChainID, created.Str("pay_address"))
	if n.Chain != "ETH" || n.ChainID != devchain.ChainID || n.PayAddress != created.Str("pay_address") || n.BaseUnits != "7500000" || n.URI != wantURI {
		t.Fatalf("network %+v, want uri %s", n, wantURI)
	}
	ev := c.pay(created)
	c.Transfer(c.Keys, ev)
	c.Expect("h-1", contract.EventPaid, contract.StatusPending, "")
	c.state("h-1", "seen")
	c.Chain.Mine(depth - 1)
	c.Transfer(c.Keys, witnesstest.Confirmed(ev, depth))
	c.Expect("h-1", contract.EventPaid, contract.StatusSuccess, "")
	if v := c.state("h-1", "paid"); v.PaidAmount != "7.5" || v.SecondsLeft != 0 {
		t.Fatalf("paid view %+v", v)
	}

	short := c.Chain.PayExact([]common.Address{common.HexToAddress(queued.Str("pay_address"))}, []*big.Int{big.NewInt(500_000)})[0]
	c.Transfer(c.Keys, short)
	c.Expect("q-1", contract.EventPaid, contract.StatusPending, "")
	c.Chain.Mine(depth - 1)
	c.Transfer(c.Keys, witnesstest.Confirmed(short, depth))
	c.Expect("q-1", contract.EventPaid, contract.StatusSuccess, "")
	if v := c.state("q-1", "partial"); v.PaidAmount != "0.5" {
		t.Fatalf("partial view %+v", v)
	}

	expiring := c.expectStatus(c.post(c.signed("h-5", "3", time.Now(), "expires_in", 1)), http.StatusCreated,
		contract.EventCreated, contract.StatusSuccess, "")
	c.nextIs(expiring.Body)
	c.Expect("h-5", contract.EventExpired, contract.StatusFailed, contract.ErrExpired)
	if v := c.state("h-5", "expired"); v.SecondsLeft != 0 {
		t.Fatalf("expired view %+v", v)
	}

	// Last, as it spends this client's allowance: the rate limit.
	for i := 0; ; i++ {
		a := c.do(http.MethodGet, "/v1/orders/nobody", "", nil)
		if a.Status == http.StatusNotFound && i < 1000 {
			continue
		}
		c.expectError(a, http.StatusTooManyRequests, "rate_limited")
		if s, err := strconv.Atoi(a.Header.Get("Retry-After")); err != nil || s < 1 {
			t.Fatalf("429 with Retry-After %q", a.Header.Get("Retry-After"))
		}
		break
	}
}

// TestCheckoutReplicas: two matchers on one schema, each with its checkout,
// take orders at once: distinct request_ids open an order each, and one
// request_id sent to both, several times, opens one order, answered 201
// once and 200 with the same bytes every other time.
func TestCheckoutReplicas(t *testing.T) {
	c := startCheckout(t)
	bound := make(chan string, 1)
	servicetest.Start(t, map[string]string{}, withCheckout(bound))
	bases := []string{c.base, listening(t, bound)}

	same := c.signed("r-same", "4", time.Now())
	type result struct {
		id string
		a  answer
	}
	results := make(chan result, 32)
	var wg sync.WaitGroup
	for i := range 12 {
		wg.Go(func() {
			id, body := fmt.Sprintf("r-%d", i), same
			if i%2 == 0 {
				body = c.signed(id, "4", time.Now())
			} else {
				id = "r-same"
			}
			a, err := c.call(bases[i%len(bases)], http.MethodPost, "/v1/orders", "application/json", body)
			if err != nil {
				t.Error(err)
			}
			results <- result{id, a}
		})
	}
	wg.Wait()
	close(results)
	addresses := map[string]string{}
	var sameBodies [][]byte
	newSame := 0
	for r := range results {
		if r.id != "r-same" {
			if r.a.Status != http.StatusCreated {
				t.Fatalf("%s answered %d %s", r.id, r.a.Status, r.a.Body)
			}
			if other, dup := addresses[r.a.field("pay_address")]; dup {
				t.Fatalf("%s and %s share a pay_address", r.id, other)
			}
			addresses[r.a.field("pay_address")] = r.id
			continue
		}
		switch r.a.Status {
		case http.StatusCreated:
			newSame++
		case http.StatusOK:
		default:
			t.Fatalf("r-same answered %d %s", r.a.Status, r.a.Body)
		}
		sameBodies = append(sameBodies, r.a.Body)
	}
	if newSame != 1 {
		t.Fatalf("r-same answered 201 %d times, want once", newSame)
	}
	for _, b := range sameBodies[1:] {
		if !bytes.Equal(b, sameBodies[0]) {
			t.Fatalf("r-same answered %s and %s", sameBodies[0], b)
		}
	}
	if n := c.Count("SELECT COUNT(*) FROM orders"); n != 7 {
		t.Fatalf("%d orders, want 7 (six distinct, one repeated)", n)
	}
	if n := c.Count("SELECT COUNT(DISTINCT checkout_token) FROM orders"); n != 7 {
		t.Fatalf("%d checkout tokens for 7 orders", n)
	}
}
