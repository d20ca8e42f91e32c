package app_test

import (
	"bufio"
	"bytes"
	"context"
	"image/png"
	"io"
	"math/big"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/ethereum/go-ethereum/common"
	"github.com/makiuchi-d/gozxing"
	gozxingqr "github.com/makiuchi-d/gozxing/qrcode"
	"github.com/rs/zerolog"
	"github.com/shopspring/decimal"

	"paysuite/pkg/broker/brokertest"
	"paysuite/pkg/devchain"
	"paysuite/pkg/erc20"
	"paysuite/pkg/money"
	"paysuite/pkg/service/flowtest"
	"paysuite/pkg/tokens"
	"paysuite/pkg/witness/witnesstest"
	"paysuite/services/matcher/internal/app"
	"paysuite/services/matcher/internal/checkout"
	"paysuite/services/matcher/internal/config"
	"paysuite/services/matcher/internal/store"
)

// screenshotsDir is where UPDATE_SCREENSHOTS=1 writes the page's pictures
// for the README, from this package's directory.
const screenshotsDir = "../checkout/screenshots"

// TestBrowserCheckoutPage: a payer's browser (headless Chromium) opens the
// checkout_url of an order payable on ETH and BSC, picks a network, reads
// the address and amount from the page and from its QR code, pays them on
// the development chain, and sees the page go from waiting to seen to paid
// without a reload; an underpaid order shows partial, an expired one
// expired. The page's pictures of each state are written as it goes.
func TestBrowserCheckoutPage(t *testing.T) {
	chromium := browserPath(t)
	addr := freeAddr(t)
	listening := make(chan string, 1)
	var cfg config.Config
	run := func(ctx context.Context, c config.Config, log zerolog.Logger) error {
		c.Checkout.Listening = func(a string) { listening <- a }
		cfg = c
		return app.Run(ctx, c, log)
	}
	s := &twoChains{suite: &suite{flowtest.StartTwoChains(t, matcher, run, map[string]string{
		"CHECKOUT_ADDR": addr, "CHECKOUT_PUBLIC_URL": "http://" + addr,
	})}}
	select {
	case <-listening:
	case <-time.After(brokertest.Wait):
		t.Fatalf("the checkout is not listening on %s within %s", addr, brokertest.Wait)
	}

	// Every order first, so that no later return comes between a request
	// and its created return.
	paid := s.order("page-paid", map[string]any{"chain": "*", "amount": "12.5"})
	partial := s.order("page-partial", map[string]any{"amount": "20"})
	expired := s.order("page-expired", map[string]any{"amount": "3", "expires_in": 1})
	b := startBrowser(t, chromium)

	b.open(checkoutURL(t, paid.Str("checkout_url"), addr))
	b.waitState("waiting")
	// A mark the page keeps until it is loaded again.
	b.do(chromedp.Evaluate[chromedp.Void](`window.loadedOnce = true; undefined`))
	b.do(chromedp.Click(`.picker button[data-network="1"]`), chromedp.WaitVisible(`.network[data-chain="BSC"]`),
		chromedp.WaitNotVisible(`.network[data-chain="ETH"]`))
	b.do(chromedp.Click(`.picker button[data-network="0"]`), chromedp.WaitVisible(`.network[data-chain="ETH"]`),
		chromedp.WaitNotVisible(`.network[data-chain="BSC"]`))
	address := b.text(`.network[data-chain="ETH"] [data-field="pay_address"]`)
	amount := b.text(`.network[data-chain="ETH"] [data-field="pay_amount"]`)
	if address != paid.Str("pay_address") || amount != paid.Str("pay_amount") {
		t.Fatalf("page shows %s to %s, the created return %s", amount, address, paid.Body)
	}
	qr, err := chromedp.Run(b.ctx, chromedp.Screenshot(`.network[data-chain="ETH"] .qr`))
	if err != nil {
		t.Fatalf("screenshot the QR code: %v", err)
	}
	to, units := paymentURI(t, readQR(t, qr), devchain.ChainID, tokens.DevUSDT)
	want := money.ToBaseUnits(mustParse(t, amount, erc20.Decimals), erc20.Decimals)
	if !strings.EqualFold(to, address) || units.Cmp(want) != 0 {
		t.Fatalf("QR code asks %s to %s, the page %s (%s) to %s", units, to, amount, want, address)
	}
	b.shoot("waiting")

	// Paid with what the QR code asks, on the chain the matcher watches.
	ev := s.Chain.PayExact([]common.Address{common.HexToAddress(to)}, []*big.Int{units})[0]
	s.Transfer(s.Keys, ev)
	b.waitState("seen")
	b.shoot("seen")
	s.Chain.Mine(depth - 1)
	s.Transfer(s.Keys, witnesstest.Confirmed(ev, depth))
	b.waitState("paid")
	if again, err := chromedp.Run(b.ctx, chromedp.Evaluate[bool](`window.loadedOnce === true`)); err != nil || !again {
		t.Fatalf("the page was loaded again on its way to paid (%v)", err)
	}
	if got := b.text(`#status [data-for="paid"] [data-field="paid_amount"]`); got != "12.5" {
		t.Fatalf("paid page shows %s paid", got)
	}
	b.shoot("paid")

	// Underpaid: 5 of 20, confirmed.
	b.open(checkoutURL(t, partial.Str("checkout_url"), addr))
	b.waitState("waiting")
	under := s.Chain.PayExact([]common.Address{common.HexToAddress(partial.Str("pay_address"))},
		[]*big.Int{money.ToBaseUnits(mustParse(t, "5", erc20.Decimals), erc20.Decimals)})[0]
	s.Transfer(s.Keys, under)
	s.Chain.Mine(depth - 1)
	s.Transfer(s.Keys, witnesstest.Confirmed(under, depth))
	b.waitState("partial")
	if got := b.text(`#status [data-for="partial"] [data-field="paid_amount"]`); got != "5" {
		t.Fatalf("partial page shows %s paid", got)
	}
	b.shoot("partial")

	b.open(checkoutURL(t, expired.Str("checkout_url"), addr))
	b.waitState("expired")
	if visible, err := chromedp.Run(b.ctx, chromedp.Evaluate[bool](`document.querySelector(".pay").offsetParent !== null`)); err != nil || visible {
		t.Fatalf("expired page still shows where to pay (%v)", err)
	}
	b.shoot("expired")

	checkStreamEnds(t, s, cfg, strings.TrimPrefix(expired.Str("checkout_url"), "http://"+addr))
}

// checkStreamEnds: an event stream of the page at path sends the order's
// state at once, and ends cleanly (not cut) when its server shuts down,
// here a second replica over the same schema.
func checkStreamEnds(t *testing.T, s *twoChains, cfg config.Config, path string) {
	t.Helper()
	c := cfg.Checkout
	c.Addr = "127.0.0.1:0"
	listening := make(chan string, 1)
	c.Listening = func(a string) { listening <- a }
	ctx, stop := context.WithCancel(t.Context())
	defer stop()
	srv := checkout.New(checkout.Options{Store: store.New(s.DB), Chains: cfg.List, Config: c, Log: zerolog.Nop()})
	stopped := make(chan error, 1)
	go func() { stopped <- srv.Run(ctx) }()
	replica := "http://" + <-listening

	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, replica+path+"/events", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if ct := resp.Header.Get("Content-Type"); resp.StatusCode != http.StatusOK || ct != "text/event-stream" {
		t.Fatalf("event stream answered %d %s", resp.StatusCode, ct)
	}
	events := bufio.NewReader(resp.Body)
	for {
		line, err := events.ReadString('\n')
		if err != nil {
			t.Fatalf("event stream before its first event: %v", err)
		}
		if strings.HasPrefix(line, "data: ") {
			if !strings.Contains(line, `"state":"expired"`) {
				t.Fatalf("first event %s, want the expired order", line)
			}
			break
		}
	}
	stop()
	if _, err := io.ReadAll(events); err != nil {
		t.Fatalf("event stream cut at shutdown instead of ended: %v", err)
	}
	if err := <-stopped; err != nil {
		t.Fatalf("checkout replica stopped: %v", err)
	}
}

// browser is a headless Chromium tab the size of a phone's screen.
type browser struct {
	t   *testing.T
	ctx context.Context
	dir string
}

func startBrowser(t *testing.T, path string) *browser {
	t.Helper()
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(path), chromedp.NoSandbox,
		chromedp.WindowSize(390, 844), chromedp.Flag("disable-gpu", true))
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(alloc)
	// The whole visit takes seconds; a state the page never reaches fails
	// the test within this bound instead of hanging it.
	ctx, cancelWait := context.WithTimeout(ctx, brokertest.Wait)
	t.Cleanup(func() { cancelWait(); cancel(); cancelAlloc() })
	b := &browser{t: t, ctx: ctx, dir: t.TempDir()}
	if os.Getenv("UPDATE_SCREENSHOTS") == "1" {
		b.dir = screenshotsDir
		if err := os.MkdirAll(b.dir, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	b.do(chromedp.EmulateViewport(390, 844, chromedp.EmulateScale(2)))
	return b
}

// open loads the page at url, which must answer 200.
func (b *browser) open(url string) {
	b.t.Helper()
	resp, err := chromedp.Run(b.ctx, chromedp.NavigateResponse(url))
	if err != nil {
		b.t.Fatalf("open %s: %v", url, err)
	}
	if resp.Status != http.StatusOK {
		b.t.Fatalf("GET %s answered %d %s: the checkout does not serve its page", url, resp.Status, resp.StatusText)
	}
}

func (b *browser) do(steps ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	if err := chromedp.Do(b.ctx, steps...); err != nil {
		b.t.Fatalf("browser: %v", err)
	}
}

func (b *browser) text(sel string) string {
	b.t.Helper()
	s, err := chromedp.Run(b.ctx, chromedp.Text(sel, chromedp.NodeVisible))
	if err != nil {
		b.t.Fatalf("read %s: %v", sel, err)
	}
	return strings.TrimSpace(s)
}

// waitState waits until the page shows state.
func (b *browser) waitState(state string) {
	b.t.Helper()
	b.do(chromedp.WaitVisible(`main[data-state="` + state + `"] #status [data-for="` + state + `"]`))
}

// shoot writes a picture of the whole page as checkout-<name>.png.
func (b *browser) shoot(name string) {
	b.t.Helper()
	img, err := chromedp.Run(b.ctx, chromedp.FullScreenshot(100))
	if err != nil {
		b.t.Fatalf("screenshot %s: %v", name, err)
	}
	if err := os.WriteFile(filepath.Join(b.dir, "checkout-"+name+".png"), img, 0o644); err != nil {
		b.t.Fatal(err)
	}
}

// browserPath is Chromium's, or the test fails saying how to install it.
func browserPath(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser"} {
		if path, err := exec.LookPath(name); err == nil {
			return path
		}
	}
	t.Fatal("the browser test needs Chromium: install it with `apt-get install chromium` (scripts/ensure-infra.sh does)")
	return ""
}

// freeAddr is a loopback address with a port free a moment ago: the
// checkout's public URL must name its port before it listens.
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	if err := ln.Close(); err != nil {
		t.Fatal(err)
	}
	return addr
}

// checkoutURL checks that raw is a checkout page's address on the checkout
// at addr and returns it.
func checkoutURL(t *testing.T, raw, addr string) string {
	t.Helper()
	u, err := url.Parse(raw)
	if err != nil || u.Host != addr || !regexp.MustCompile(`^/checkout/[A-Za-z0-9_-]{22}$`).MatchString(u.Path) {
		t.Fatalf("checkout_url %q, want http://%s/checkout/<token>", raw, addr)
	}
	return raw
}

// readQR decodes the QR code in a PNG screenshot.
func readQR(t *testing.T, shot []byte) string {
	t.Helper()
	img, err := png.Decode(bytes.NewReader(shot))
	if err != nil {
		t.Fatal(err)
	}
	bmp, err := gozxing.NewBinaryBitmapFromImage(img)
	if err != nil {
		t.Fatal(err)
	}
	res, err := gozxingqr.NewQRCodeReader().Decode(bmp, nil)
	if err != nil {
		t.Fatalf("decode the page's QR code: %v", err)
	}
	return res.GetText()
}

// paymentURI reads an EIP-681 URI asking for a transfer of the token of
// tokenList on chainID, and returns its recipient and base units.
func paymentURI(t *testing.T, uri string, chainID uint64, tokenList string) (to string, units *big.Int) {
	t.Helper()
	list, err := tokens.Parse(tokenList)
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`^ethereum:(0x[0-9a-fA-F]{40})@(\d+)/transfer\?address=(0x[0-9a-fA-F]{40})&uint256=(\d+)$`).FindStringSubmatch(uri)
	if m == nil || !strings.EqualFold(m[1], list[0].Address.Hex()) || m[2] != strconv.FormatUint(chainID, 10) {
		t.Fatalf("QR code %q, want a transfer of %s on chain %d", uri, list[0].Address.Hex(), chainID)
	}
	units, ok := new(big.Int).SetString(m[4], 10)
	if !ok {
		t.Fatalf("QR code %q: uint256 not a number", uri)
	}
	return m[3], units
}

func mustParse(t *testing.T, amount string, decimals int32) decimal.Decimal {
	t.Helper()
	a, err := money.Parse(amount, decimals)
	if err != nil {
		t.Fatal(err)
	}
	return a
}
