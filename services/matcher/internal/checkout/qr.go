package checkout

import (
	"fmt"
	"html/template"
	"strings"

	qrcode "github.com/yeqown/go-qrcode/v2"
)

// quietZone is the light margin around a QR code, in modules: the four the
// standard asks for, so phone cameras find the code against any background.
const quietZone = 4

// qrSVG is text encoded as a QR code drawn as an inline SVG image: drawn on
// the server, so the page shows its code without JavaScript, and in
// modules rather than pixels, so it stays sharp at any size.
func qrSVG(text string) (template.HTML, error) {
	bitmap, err := qrBitmap(text)
	if err != nil {
		return "", err
	}
	size := len(bitmap) + 2*quietZone
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %d %d" shape-rendering="crispEdges" role="img" aria-label="QR code of the payment">`, size, size)
	fmt.Fprintf(&b, `<rect width="%d" height="%d" fill="#fff"/><path fill="#000" d="`, size, size)
	// One horizontal run of dark modules per path segment keeps the SVG
	// a few kilobytes for the URI's version.
	for y, row := range bitmap {
		for x := 0; x < len(row); {
			if !row[x] {
				x++
				continue
			}
			run := 0
			for x+run < len(row) && row[x+run] {
				run++
			}
			fmt.Fprintf(&b, "M%d %dh%dv1h-%dz", x+quietZone, y+quietZone, run, run)
			x += run
		}
	}
	b.WriteString(`"/></svg>`)
	return template.HTML(b.String()), nil // built above from numbers only
}

// qrBitmap is the module matrix of text's QR code, true for dark, without
// the quiet zone. Medium error correction keeps an EIP-681 URI at a version
// a phone reads from across a desk.
func qrBitmap(text string) ([][]bool, error) {
	code, err := qrcode.NewWith(text, qrcode.WithErrorCorrectionLevel(qrcode.ErrorCorrectionMedium))
	if err != nil {
		return nil, fmt.Errorf("encode QR code: %w", err)
	}
	var m matrixGrab
	if err := code.Save(&m); err != nil {
		return nil, fmt.Errorf("encode QR code: %w", err)
	}
	return m.bitmap, nil
}

// matrixGrab is a qrcode.Writer that keeps the module matrix: the library
// writes images, the page wants the modules.
type matrixGrab struct{ bitmap [][]bool }

func (m *matrixGrab) Write(mat qrcode.Matrix) error {
	m.bitmap = mat.Bitmap()
	return nil
}

func (m *matrixGrab) Close() error { return nil }
