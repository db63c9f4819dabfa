package main

import (
	"strconv"

	qrcode "github.com/skip2/go-qrcode"
)

// qrLevel is the error correction level: Medium (15 %) keeps the symbol
// small enough for a VietQR payload (about 120 characters) to stay a low
// version that any phone camera reads from a screen.
const qrLevel = qrcode.Medium

// qrBitmap encodes content and returns its module bitmap, true for dark,
// including the 4-module quiet zone that go-qrcode adds.
func qrBitmap(content string) ([][]bool, error) {
	q, err := qrcode.New(content, qrLevel)
	if err != nil {
		return nil, err
	}
	return q.Bitmap(), nil
}

// qrPath returns SVG path data that draws the dark modules of bitmap in a
// viewBox of one unit per module: one "M x y h w v 1 h -w z" subpath per
// horizontal run of dark modules. This is far smaller than one element per
// module and renders crisply with shape-rendering="crispEdges".
func qrPath(bitmap [][]bool) string {
	b := make([]byte, 0, len(bitmap)*len(bitmap)*3)
	for y, row := range bitmap {
		for x := 0; x < len(row); {
			if !row[x] {
				x++
				continue
			}
			start := x
			for x < len(row) && row[x] {
				x++
			}
			w := strconv.Itoa(x - start)
			b = append(b, 'M')
			b = strconv.AppendInt(b, int64(start), 10)
			b = append(b, ' ')
			b = strconv.AppendInt(b, int64(y), 10)
			b = append(b, 'h')
			b = append(b, w...)
			b = append(b, "v1h-"...)
			b = append(b, w...)
			b = append(b, 'z')
		}
	}
	return string(b)
}

// qrPixelSize picks the displayed width in CSS pixels for a symbol of n
// modules (quiet zone included): a whole number of pixels per module, so
// modules have sharp equal edges, as close to target as possible and never
// fewer than 3 pixels per module.
func qrPixelSize(n, target int) int {
	if n <= 0 {
		return target
	}
	k := target / n
	if k < 3 {
		k = 3
	}
	return n * k
}

// qrTarget is the preferred displayed QR width in CSS pixels: large enough
// for any phone camera at arm's length, small enough for a 360 px screen.
const qrTarget = 288
