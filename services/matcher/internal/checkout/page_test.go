package checkout

import (
	"fmt"
	"image"
	"image/color"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/makiuchi-d/gozxing"
	gozxingqr "github.com/makiuchi-d/gozxing/qrcode"
)

// uri is an EIP-681 payment request as the view builds them.
const uri = "ethereum:0x5fbdb2315678afecb367f032d93f642f64180aa3@1337/transfer" +
	"?address=0x9fe46736679d2d9a65f0992f2272de9f3c7fa6e0&uint256=123450000"

// TestQRCodeDecodes: the module matrix the page draws decodes, with an
// independent decoder, to the text encoded.
func TestQRCodeDecodes(t *testing.T) {
	for _, text := range []string{uri, "ethereum:0x0000000000000000000000000000000000000000@1338/transfer?address=0x1&uint256=1"} {
		bitmap, err := qrBitmap(text)
		if err != nil {
			t.Fatal(err)
		}
		if got := decodeQR(t, raster(bitmap, 4)); got != text {
			t.Fatalf("decoded %q, want %q", got, text)
		}
	}
}

// TestQRSVGDrawsTheMatrix: the SVG's path covers exactly the dark modules
// of the matrix, inside the quiet zone.
func TestQRSVGDrawsTheMatrix(t *testing.T) {
	bitmap, err := qrBitmap(uri)
	if err != nil {
		t.Fatal(err)
	}
	svg, err := qrSVG(uri)
	if err != nil {
		t.Fatal(err)
	}
	size := len(bitmap) + 2*quietZone
	if !strings.Contains(string(svg), fmt.Sprintf(`viewBox="0 0 %d %d"`, size, size)) {
		t.Fatalf("SVG without the %d-module view box: %.200s", size, svg)
	}
	drawn := make([][]bool, size)
	for y := range drawn {
		drawn[y] = make([]bool, size)
	}
	runs := regexp.MustCompile(`M(\d+) (\d+)h(\d+)v1h-(\d+)z`).FindAllStringSubmatch(string(svg), -1)
	for _, r := range runs {
		x, _ := strconv.Atoi(r[1])
		y, _ := strconv.Atoi(r[2])
		n, _ := strconv.Atoi(r[3])
		for i := range n {
			drawn[y][x+i] = true
		}
	}
	for y := range size {
		for x := range size {
			in := y >= quietZone && y < size-quietZone && x >= quietZone && x < size-quietZone
			want := in && bitmap[y-quietZone][x-quietZone]
			if drawn[y][x] != want {
				t.Fatalf("module (%d, %d) drawn %v, want %v", x, y, drawn[y][x], want)
			}
		}
	}
}

// TestPageShowsEachState: the page rendered on the server carries, for
// every state, the state, the amount and every network's address, amount,
// QR code and wallet link; the picker only when there is a choice.
func TestPageShowsEachState(t *testing.T) {
	networks := []Network{
		{Chain: "ETH", ChainID: 1337, Token: "0x5fbdb2315678afecb367f032d93f642f64180aa3", Symbol: "USDT", Decimals: 6,
			PayAddress: "0x9fe46736679d2d9a65f0992f2272de9f3c7fa6e0", PayAmount: "123.45", BaseUnits: "123450000", URI: uri},
		{Chain: "BSC", ChainID: 1338, Token: "0x5fbdb2315678afecb367f032d93f642f64180aa3", Symbol: "USDT", Decimals: 18,
			PayAddress: "0x9fe46736679d2d9a65f0992f2272de9f3c7fa6e0", PayAmount: "123.45", BaseUnits: "123450000000000000000",
			URI: "ethereum:0x5fbdb2315678afecb367f032d93f642f64180aa3@1338/transfer?address=0x9fe46736679d2d9a65f0992f2272de9f3c7fa6e0&uint256=123450000000000000000"},
	}
	for _, tc := range []struct {
		state    string
		networks []Network
	}{
		{StateWaiting, networks}, {StateSeen, networks[:1]}, {StatePaid, networks}, {StatePartial, networks[:1]}, {StateExpired, networks},
	} {
		v := &View{RequestID: "r-1", OrderID: "<o&1>", State: tc.state, Amount: "123.45", Symbol: "USDT", PayAmount: "123.45",
			PaidAmount: "0", ExpiresAt: 1_900_000_000, SecondsLeft: 3725, Networks: tc.networks}
		body, err := renderPage(v, "AAAAAAAAAAAAAAAAAAAAAA", time.Unix(1_899_996_275, 0))
		if err != nil {
			t.Fatal(err)
		}
		html := string(body)
		for _, want := range []string{
			`class="state-` + tc.state, `data-state="` + tc.state + `"`, `&lt;o&amp;1&gt;`, "1:02:05", "17 Mar 2030 17:46 UTC",
			`href="static/checkout.css"`, `data-events-url="AAAAAAAAAAAAAAAAAAAAAA/events"`, "<noscript>",
		} {
			if !strings.Contains(html, want) {
				t.Fatalf("%s page without %q:\n%s", tc.state, want, html)
			}
		}
		for _, n := range tc.networks {
			for _, want := range []string{`data-chain="` + n.Chain + `"`, n.PayAddress, `>` + n.PayAmount + `<`,
				`href="` + strings.ReplaceAll(n.URI, "&", "&amp;") + `"`} {
				if !strings.Contains(html, want) {
					t.Fatalf("%s page without %q of %s:\n%s", tc.state, want, n.Chain, html)
				}
			}
		}
		if n := strings.Count(html, "<svg"); n != len(tc.networks) {
			t.Fatalf("%s page with %d QR codes, want %d", tc.state, n, len(tc.networks))
		}
		if picker := strings.Contains(html, `class="picker"`); picker != (len(tc.networks) > 1) {
			t.Fatalf("%s page with %d networks: picker %v", tc.state, len(tc.networks), picker)
		}
	}
}

// TestPageEventsFollowTheOrderNotTheClock: the stream's comparison ignores
// the seconds left, and sees every other change.
func TestPageEventsFollowTheOrderNotTheClock(t *testing.T) {
	v := View{State: StateWaiting, PaidAmount: "0", SecondsLeft: 100, Networks: []Network{}}
	later := v
	later.SecondsLeft = 99
	paid := v
	paid.State, paid.PaidAmount = StatePaid, "1"
	if string(withoutClock(&v)) != string(withoutClock(&later)) {
		t.Fatal("a second less counts as a change")
	}
	if string(withoutClock(&v)) == string(withoutClock(&paid)) {
		t.Fatal("a payment does not count as a change")
	}
	if ev := stateEvent(&paid); !strings.HasPrefix(ev, "event: state\ndata: {") || strings.Count(ev, "\n") != 3 {
		t.Fatalf("event %q", ev)
	}
}

func TestPageTokenAndTimeLeft(t *testing.T) {
	for token, ok := range map[string]bool{
		"AAAAAAAAAAAAAAAAAAAAAA": true, "abcdefghijklmnopqrst-_": true, "": false, "static": false,
		"AAAAAAAAAAAAAAAAAAAAA": false, "AAAAAAAAAAAAAAAAAAAAA=": false, "AAAAAAAAAAAAAAAAAAAA/A": false,
	} {
		if validToken(token) != ok {
			t.Fatalf("validToken(%q) = %v", token, !ok)
		}
	}
	for s, want := range map[int64]string{-5: "0:00", 0: "0:00", 9: "0:09", 600: "10:00", 3600: "1:00:00", 86399: "23:59:59"} {
		if got := timeLeft(s); got != want {
			t.Fatalf("timeLeft(%d) = %s, want %s", s, got, want)
		}
	}
}

// raster draws bitmap with a quiet zone, scale pixels a module.
func raster(bitmap [][]bool, scale int) image.Image {
	size := (len(bitmap) + 2*quietZone) * scale
	img := image.NewGray(image.Rect(0, 0, size, size))
	for y := range size {
		for x := range size {
			my, mx := y/scale-quietZone, x/scale-quietZone
			dark := my >= 0 && mx >= 0 && my < len(bitmap) && mx < len(bitmap) && bitmap[my][mx]
			if dark {
				img.SetGray(x, y, color.Gray{})
			} else {
				img.SetGray(x, y, color.Gray{Y: 255})
			}
		}
	}
	return img
}

func decodeQR(t *testing.T, img image.Image) string {
	t.Helper()
	bmp, err := gozxing.NewBinaryBitmapFromImage(img)
	if err != nil {
		t.Fatal(err)
	}
	res, err := gozxingqr.NewQRCodeReader().Decode(bmp, nil)
	if err != nil {
		t.Fatalf("decode QR code: %v", err)
	}
	return res.GetText()
}
